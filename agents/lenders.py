"""The aggregate credit market: prices new debt and decides rollovers.

One lender agent per scenario stands for banks and the bond market. Its spread
rises with the borrower's leverage and falls with market sentiment; above a
leverage limit or a maximum spread it stops lending, so rollovers can fail when
spreads blow out.
"""

from __future__ import annotations

from dataclasses import dataclass

from world.params import CreditParams

__all__ = ["CreditQuote", "Lenders"]


@dataclass(frozen=True, slots=True)
class CreditQuote:
    """A lender's answer to a request for ``amount`` USD bn of debt."""

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

    def spread(self, leverage: float, sentiment: float) -> float:
        """Credit spread per year for a borrower with ``leverage`` = debt / assets."""
        p = self.params
        s = p.base_spread + p.leverage_spread * max(leverage, 0.0) ** 2
        return max(s - p.sentiment_spread * sentiment, 0.0)

    def quote(
        self, amount: float, debt: float, assets: float, sentiment: float, cap_leverage: float
    ) -> CreditQuote:
        """Quote a loan of up to ``amount``; grants the largest part within the limits.

        The loan is granted up to the amount that keeps ``(debt + x) / (assets + x)``
        below the lender's and the borrower's leverage caps, if the spread is below
        the maximum spread.
        """
        p = self.params
        limit = min(p.max_leverage, cap_leverage)
        if amount <= 0 or limit >= 1.0 - 1e-9 and assets <= 0:
            return CreditQuote(0.0, self.risk_free, 0.0, False)
        # (debt + x) / (assets + x) <= limit  <=>  x <= (limit*assets - debt) / (1 - limit)
        room = (limit * assets - debt) / max(1.0 - limit, 1e-9)
        x = min(amount, max(room, 0.0))
        leverage_after = (debt + x) / max(assets + x, 1e-9)
        spread = self.spread(leverage_after, sentiment)
        if x <= 1e-9 or spread > p.max_spread:
            return CreditQuote(0.0, self.risk_free + spread, spread, False)
        return CreditQuote(x, self.risk_free + spread, spread, True)
