"""Price rules of the firms: pure functions of a firm's own state and its competitors.

A cloud provider sets its list price per GW-quarter from its utilisation (spare
capacity → cut, full → raise) and its competitors' prices; a chip supplier sets its
markup over the reference price of a GW of accelerators from the cover of its order
backlog and its competitors' markups. Both move at most ``max_step`` log points a
quarter and never below a floor over their unit cost — so with spare capacity prices
fall and a price war can emerge, but a firm never sells below cost. Both have a
ceiling too: a supplier's markup ``chip_max_markup``, a provider's price
``cloud_max_entry_ratio`` times the rent at which a new GW would pay (above it, capacity
is worth building by anyone), so scarcity rents follow the cost of compute down.

Bounds are conditional expressions rather than ``max``/``min`` (``lo if lo > x else x``
is ``max(x, lo)``, NaN and signed zeros included, without a builtin call).
"""

from __future__ import annotations

import math

from world.params import PricingParams

__all__ = ["chip_markup_rule", "cloud_price_rule"]


def _step(x: float, p: PricingParams) -> float:
    lo, hi = -p.max_step, p.max_step
    x = lo if lo > x else x
    return hi if hi < x else x


def cloud_price_rule(
    price: float,
    utilisation: float,
    competitor_price: float,
    operating_cost: float,
    p: PricingParams,
    entry_price: float = math.inf,
) -> float:
    """A provider's new list price per GW-quarter (USD bn).

    ``log p' = log p + clip(a_u (u − u*) + w_c log(p_c / p), ±max_step)``, capped at
    ``entry_price · cloud_max_entry_ratio`` and floored at
    ``operating_cost · (1 + cloud_min_markup)`` (the floor wins if they cross).

    Parameters
    ----------
    price
        Current list price per GW-quarter, ``> 0``.
    utilisation
        Share of deployed capacity in use last quarter, in ``[0, 1]``.
    competitor_price
        Mean list price of the other providers (``price`` itself if none), ``> 0``.
    operating_cost
        Power and operations per GW-quarter, ``>= 0``.
    p
        Pricing parameters.
    entry_price
        Rent per GW-quarter at which a new GW earns its cost of capital
        (:meth:`agents.cloud.CloudProvider.entry_price`), ``> 0``; none: no cap.
    """
    if not (price > 0 and competitor_price > 0 and entry_price > 0):
        raise ValueError(
            f"prices must be > 0, got {price!r}, {competitor_price!r}, {entry_price!r}"
        )
    if not 0.0 <= utilisation <= 1.0 + 1e-9:
        raise ValueError(f"utilisation must lie in [0, 1], got {utilisation!r}")
    move = p.cloud_utilisation_response * (utilisation - p.cloud_target_utilisation)
    move += p.competitor_weight * math.log(competitor_price / price)
    new = price * math.exp(_step(move, p))
    cap = entry_price * p.cloud_max_entry_ratio
    new = cap if cap < new else new
    floor = operating_cost * (1.0 + p.cloud_min_markup)
    return floor if floor > new else new


def chip_markup_rule(
    markup: float,
    cover_quarters: float,
    competitor_markup: float,
    cost_share: float,
    p: PricingParams,
) -> float:
    """A supplier's new markup over the reference price of a GW of its accelerators.

    ``log μ' = log μ + clip(a_b log(cover / cover*) + w_c log(μ_c / μ), ±max_step)``,
    capped at ``chip_max_markup`` and floored at ``cost_share · (1 + chip_min_markup)``
    (``cost_share`` = unit cost over the reference price, i.e. one minus the opening
    gross margin).

    Parameters
    ----------
    markup
        Current price over the reference price, ``> 0``.
    cover_quarters
        Order backlog in quarters of recent sales, ``>= 0``.
    competitor_markup
        Mean markup of the other suppliers (``markup`` itself if none), ``> 0``.
    cost_share
        Unit cost over the reference price, in ``[0, 1]``.
    p
        Pricing parameters.
    """
    if not (markup > 0 and competitor_markup > 0):
        raise ValueError(f"markups must be > 0, got {markup!r}, {competitor_markup!r}")
    if not cover_quarters >= 0.0:
        raise ValueError(f"cover_quarters must be >= 0, got {cover_quarters!r}")
    ratio = (1e-3 if 1e-3 > cover_quarters else cover_quarters) / p.chip_target_cover
    move = p.chip_cover_response * math.log(ratio)
    move += p.competitor_weight * math.log(competitor_markup / markup)
    new = markup * math.exp(_step(move, p))
    new = p.chip_max_markup if p.chip_max_markup < new else new
    floor = cost_share * (1.0 + p.chip_min_markup)
    return floor if floor > new else new
