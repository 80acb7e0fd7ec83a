"""Repricing of firms after each quarter's results.

Without an investor population the valuation of every firm follows its results:
a firm's value scales with its quarterly revenue relative to the previous quarter
(a constant revenue multiple), and private labs add the money raised in rounds
(post-money). When the model has an investor population (``model.market``), listed
prices come from trading instead and this rule is used only for private firms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from world.model import AIEconomy

__all__ = ["reprice"]


def reprice(model: AIEconomy) -> None:
    """Update ``firm.valuation`` for every firm from its latest income statement."""
    for f in model.firms:
        revenue = f.statement.revenue
        prev = getattr(f, "prev_revenue", None)
        if prev is not None and prev > 1e-9 and revenue > 0:
            f.valuation *= revenue / prev
        elif revenue <= 0 and prev is not None:
            f.valuation *= 0.5
        f.prev_revenue = revenue
