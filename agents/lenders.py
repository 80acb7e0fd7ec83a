"""The aggregate credit market: prices new debt and decides rollovers.

One lender agent per scenario stands for banks and the bond market. A borrower's
*borrowing capacity* is ``max_debt_to_ebitda · EBITDA + collateral_ltv · hard assets``
(cash-flow lending plus asset-backed lending, USD bn); its *credit use*
``u = debt / capacity``. The spread rises with ``u`` and falls with market
sentiment; lenders stop lending when ``u`` would exceed 1 (or the firm's own limit)
or the spread exceeds ``max_spread`` — so rollovers can fail when earnings fall,
collateral is written down or sentiment sours.
"""

from __future__ import annotations

from typing import NamedTuple

from world.params import CreditParams

__all__ = ["CreditQuote", "Lenders"]


class CreditQuote(NamedTuple):
    """A lender's answer to a request for debt (USD bn; rates per year)."""

    amount: float
    rate: float
    spread: float
    granted: bool


class Lenders:
    """Aggregate lender (not a firm: it has no ledger; its cash is outside money).

    Parameters
    ----------
    params
        Credit-market parameters of the scenario.
    """

    def __init__(self, params: CreditParams) -> None:
        self.params = params
        self.risk_free = params.risk_free

    def capacity(self, ebitda: float, hard_assets: float) -> float:
        """Debt the market will carry for a firm (USD bn)."""
        p = self.params
        return p.max_debt_to_ebitda * max(ebitda, 0.0) + p.collateral_ltv * max(hard_assets, 0.0)

    def spread(self, credit_use: float, sentiment: float) -> float:
        """Credit spread per year at credit use ``u = debt / capacity``."""
        p = self.params
        s = p.base_spread + p.leverage_spread * max(credit_use, 0.0) ** 2
        return max(s - p.sentiment_spread * sentiment, 0.0)

    def rate(self, debt: float, ebitda: float, hard_assets: float, sentiment: float) -> float:
        """Interest rate per year a firm would pay on new debt now."""
        cap = self.capacity(ebitda, hard_assets)
        use = debt / cap if cap > 0 else 10.0
        return self.risk_free + self.spread(min(use, 10.0), sentiment)

    def quote(
        self,
        amount: float,
        debt: float,
        ebitda: float,
        hard_assets: float,
        sentiment: float,
        use_limit: float = 1.0,
        *,
        proceeds_collateral: bool = True,
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
            Collateral: PP&E, construction in progress and the new loan's use (USD bn).
        sentiment
            Market sentiment in [−1, 1].
        use_limit
            Borrower's own cap on credit use (≤ 1 binds before the lenders' cap).
        proceeds_collateral
            True when the loan is spent on capacity (it adds collateral), False for a
            refinancing.
        """
        p = self.params
        if amount <= 0:
            return CreditQuote(0.0, self.risk_free, 0.0, False)
        limit = min(use_limit, 1.0)
        # the loan's proceeds become collateral when spent on capacity
        ltv = p.collateral_ltv if proceeds_collateral else 0.0
        cap0 = self.capacity(ebitda, hard_assets)
        room = (limit * cap0 - debt) / max(1.0 - limit * ltv, 1e-9)
        x = min(amount, max(room, 0.0))
        cap = self.capacity(ebitda, hard_assets + (x if proceeds_collateral else 0.0))
        use = (debt + x) / cap if cap > 0 else 10.0
        spread = self.spread(min(use, 10.0), sentiment)
        if x <= 1e-9 or spread > p.max_spread:
            return CreditQuote(0.0, self.risk_free + spread, spread, False)
        return CreditQuote(x, self.risk_free + spread, spread, True)
