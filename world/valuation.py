"""Repricing of firms after each quarter's results.

Without an investor population the valuation of every firm follows its results:
a firm's value scales with its trailing-four-quarter average revenue (a constant
revenue multiple), and private labs add the money raised in rounds
(post-money). When the model has an investor population (``model.market``), listed
prices come from trading instead and this rule is used only for private firms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from world.model import AIEconomy

__all__ = ["reprice"]


def reprice(model: AIEconomy) -> None:
    """Update ``firm.valuation`` from trailing-four-quarter revenue (constant multiple)."""
    for f in model.firms:
        if f.defaulted:
            f.valuation = 0.0
            continue
        if model.has_market(f):  # listed prices come from trading (world.exchange)
            continue
        hist = f.revenue_history
        if len(hist) < 2:
            continue
        now = sum(hist[-4:]) / len(hist[-4:])
        before = sum(hist[-5:-1]) / len(hist[-5:-1])
        if before > 1e-9:
            f.valuation *= max(now, 0.0) / before
