"""The aggregate credit market: prices new debt, tests covenants, decides rollovers.

One lender agent per scenario stands for banks and the bond market. A borrower's
*borrowing capacity* is

``max_debt_to_ebitda · EBITDA + collateral_ltv · hard assets + backlog_ltv · backlog``

(cash-flow lending, asset-backed lending and lending against contracted take-or-pay
revenue from customers not in default, USD bn). A loan's proceeds never count as its
own collateral: only assets the borrower already has do. The borrower's *credit use*
is ``u = debt / capacity``; the spread rises with ``u`` and falls with market
sentiment; lenders stop lending when ``u`` would exceed 1 (or the firm's own limit)
or the spread exceeds ``max_spread``.

Covenants (:meth:`Lenders.breached`): debt / EBITDA above ``covenant_debt_to_ebitda``,
EBITDA / interest below ``covenant_interest_cover`` (both on debt beyond what
contracted backlog backs), or negative book equity. A
borrower in breach gets no new credit and no rollover; lenders wait ``covenant_grace``
quarters (a waiver), then accelerate its debt (:meth:`Lenders.review`).
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from world.params import CreditParams

__all__ = ["CovenantAction", "CreditQuote", "Lenders"]


class CreditQuote(NamedTuple):
    """A lender's answer to a request for debt (USD bn; rates per year)."""

    amount: float
    rate: float
    spread: float
    granted: bool


class CovenantAction(Enum):
    """What the lenders do about one borrower after its quarter closes."""

    NONE = "none"  # in compliance
    BREACH = "breach"  # a new breach: credit stops, a waiver runs
    WAIVER = "waiver"  # still in breach, within the grace period
    ACCELERATE = "accelerate"  # grace over: the debt is due now


class Lenders:
    """Aggregate lender (not a firm: it has no ledger; its cash is outside money).

    Its methods are asked about 10,000 times a run, so they bound values with
    conditional expressions rather than ``max``/``min`` (``0.0 if x < 0.0 else x`` is
    ``max(x, 0.0)``, NaN and signed zeros included, without a builtin call).

    Parameters
    ----------
    params
        Credit-market parameters of the scenario.
    n_firms
        Number of firms (borrowers) it tracks covenants for.
    """

    def __init__(self, params: CreditParams, n_firms: int = 0) -> None:
        self.params = params
        self.risk_free = params.risk_free
        self.breach_quarters = [0] * n_firms

    def capacity(self, ebitda: float, hard_assets: float, backlog: float = 0.0) -> float:
        """Debt the market will carry for a firm (USD bn)."""
        p = self.params
        return (
            p.max_debt_to_ebitda * (0.0 if ebitda < 0.0 else ebitda)
            + p.collateral_ltv * (0.0 if hard_assets < 0.0 else hard_assets)
            + p.backlog_ltv * (0.0 if backlog < 0.0 else backlog)
        )

    def spread(self, credit_use: float, sentiment: float) -> float:
        """Credit spread per year at credit use ``u = debt / capacity``."""
        p = self.params
        s = p.base_spread + p.leverage_spread * (0.0 if credit_use < 0.0 else credit_use) ** 2
        s = s - p.sentiment_spread * sentiment
        return 0.0 if s < 0.0 else s

    def rate(
        self, debt: float, ebitda: float, hard_assets: float, sentiment: float, backlog: float = 0.0
    ) -> float:
        """Interest rate per year a firm would pay on new debt now."""
        cap = self.capacity(ebitda, hard_assets, backlog)
        use = debt / cap if cap > 0 else 10.0
        return self.risk_free + self.spread(10.0 if 10.0 < use else use, sentiment)

    def covenant_room(self, ebitda: float) -> float:
        """Most debt a borrower can carry without breaching a covenant at today's rates.

        ``min(covenant_debt_to_ebitda · EBITDA, EBITDA / (covenant_interest_cover · r))``
        with ``r`` the rate at zero credit use: lenders do not lend into a breach.
        """
        p = self.params
        e = 0.0 if ebitda < 0.0 else ebitda
        rate = self.risk_free + p.base_spread
        if rate <= 0:  # free money: interest cover never binds (and is not divided by 0)
            by_cover = float("inf")
        elif p.covenant_interest_cover > 0:
            by_cover = e / (p.covenant_interest_cover * rate)
        else:
            by_cover = e
        by_leverage = p.covenant_debt_to_ebitda * e
        return by_cover if by_cover < by_leverage else by_leverage

    def breached(
        self, debt: float, ebitda: float, interest: float, equity: float, backlog: float = 0.0
    ) -> bool:
        """True if a borrower with this debt breaches a covenant.

        Debt backed by contracted backlog (up to ``backlog_ltv`` of it: project finance
        against take-or-pay contracts) is outside the debt / EBITDA and interest-cover
        tests; negative equity breaches whatever the debt.

        Parameters
        ----------
        debt
            Interest-bearing debt (USD bn); a firm without debt breaches nothing.
        ebitda
            Annual EBITDA (USD bn per year).
        interest
            Annual interest expense (USD bn per year).
        equity
            Book equity (USD bn).
        backlog
            Contracted take-or-pay revenue from customers not in default (USD bn).
        """
        p = self.params
        if debt <= 1e-9:
            return False
        if equity < 0.0:
            return True
        backed = p.backlog_ltv * (0.0 if backlog < 0.0 else backlog)
        backed = debt if debt < backed else backed
        if backed > 0.0:
            interest *= 1.0 - backed / debt
            debt -= backed
        if debt <= 1e-9:
            return False
        if ebitda <= 0.0:
            return True
        if debt > p.covenant_debt_to_ebitda * ebitda:
            return True
        return interest > 1e-9 and ebitda < p.covenant_interest_cover * interest

    def review(self, firm: int, breached: bool) -> CovenantAction:
        """Lenders' decision about a borrower after its quarter closes.

        A first breach stops new credit; the breach is waived for ``covenant_grace``
        quarters; a breach that lasts longer is accelerated (all its debt falls due).
        """
        if not breached:
            self.breach_quarters[firm] = 0
            return CovenantAction.NONE
        self.breach_quarters[firm] += 1
        k = self.breach_quarters[firm]
        if k > self.params.covenant_grace:
            return CovenantAction.ACCELERATE
        return CovenantAction.BREACH if k == 1 else CovenantAction.WAIVER

    def in_breach(self, firm: int) -> bool:
        """True while the borrower's last review found a breach."""
        return 0 <= firm < len(self.breach_quarters) and self.breach_quarters[firm] > 0

    def quote(
        self,
        amount: float,
        debt: float,
        ebitda: float,
        hard_assets: float,
        sentiment: float,
        use_limit: float = 1.0,
        *,
        backlog: float = 0.0,
        breached: bool = False,
    ) -> CreditQuote:
        """Quote a loan of up to ``amount``: the largest part within the limits.

        Parameters
        ----------
        amount
            Requested amount (USD bn).
        debt
            Borrower's debt before the loan (USD bn).
        ebitda
            Borrower's EBITDA, annualised (USD bn per year).
        hard_assets
            Collateral the borrower already has: PP&E and construction in progress
            (USD bn). The loan's proceeds are not collateral.
        sentiment
            Market sentiment in [−1, 1].
        use_limit
            Borrower's own cap on credit use (≤ 1 binds before the lenders' cap).
        backlog
            Contracted take-or-pay revenue from customers not in default (USD bn).
        breached
            True if the borrower is in breach of a covenant: no credit.
        """
        p = self.params
        if amount <= 0 or breached:
            return CreditQuote(0.0, self.risk_free, 0.0, False)
        cap = self.capacity(ebitda, hard_assets, backlog)
        covenant = self.covenant_room(ebitda) + p.backlog_ltv * (0.0 if backlog < 0.0 else backlog)
        limit = 1.0 if 1.0 < use_limit else use_limit
        room = limit * (covenant if covenant < cap else cap) - debt
        room = 0.0 if room < 0.0 else room
        x = room if room < amount else amount
        use = (debt + x) / cap if cap > 0 else 10.0
        spread = self.spread(10.0 if 10.0 < use else use, sentiment)
        if x <= 1e-9 or spread > p.max_spread:
            return CreditQuote(0.0, self.risk_free + spread, spread, False)
        return CreditQuote(x, self.risk_free + spread, spread, True)
