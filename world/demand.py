r"""Demand for AI: Bass diffusion of users, paid conversion, API tokens, compute need.

Pure functions on floats/arrays (no model, no randomness). Time is in quarters.

Users follow the Bass (1969) diffusion model ``dN/dt = (p + q N/m)(m - N)``. Its
closed form from an initial adopter share ``f0 = N(0)/m`` is

.. math::

   F(t) = \\frac{1 - c\\,e^{-(p+q)t}}{1 + (q/p)\\,c\\,e^{-(p+q)t}},\\qquad
   c = \\frac{1 - f_0}{1 + (q/p) f_0}.

:func:`bass_step` advances users one quarter with that exact solution, so stepping
with constant parameters reproduces the closed form; parameters may change between
quarters (sentiment-sensitive market size).

API revenue: the price per unit of capability falls by a factor ``decline`` per
quarter (order 10× per year) and moves with the price of cloud compute (token prices
follow the cost of compute, ``token_cost_pass_through``); volume responds with a
constant price elasticity ``ε`` and grows with adoption, so revenue scales as
``price^(1-ε)``.

The world outside the network (:func:`outside_cloud_gw`, :func:`outside_gpu_gw`) rents
AI cloud capacity and buys accelerators in proportion to the same state: the *AI
compute index* (compute the users and API demand need, relative to the first quarter)
raised to ``outside_compute_elasticity``, moved by sentiment and by prices. All final
AI spending — the labs' sales, outside cloud rent and outside accelerator purchases —
is bounded by the *macro limit* (:func:`macro_limit`): a share of world IT spending.
When demand would exceed it, every part is scaled by the same :func:`wallet_factor`,
so no revenue compounds without end.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from world.params import DemandParams, MacroParams

__all__ = [
    "DemandState",
    "advance_demand",
    "bass_cumulative",
    "bass_step",
    "macro_limit",
    "monetised_arpu",
    "outside_cloud_gw",
    "outside_gpu_gw",
    "rationed_subscriptions",
    "scaled",
    "wallet_factor",
]


def bass_cumulative(t: float | np.ndarray, p: float, q: float, f0: float = 0.0):
    """Cumulative adopter share F(t) of the Bass model (closed form).

    Parameters
    ----------
    t
        Time since F = f0, in quarters (scalar or array, ≥ 0).
    p, q
        Coefficients of innovation and imitation, per quarter (p > 0, q ≥ 0).
    f0
        Adopter share at t = 0, in [0, 1).

    Returns
    -------
    float or numpy.ndarray
        Share of the market size that has adopted at time t.
    """
    if p <= 0:
        raise ValueError(f"p must be > 0, got {p}")
    if q < 0:
        raise ValueError(f"q must be >= 0, got {q}")
    if not 0.0 <= f0 < 1.0:
        raise ValueError(f"f0 must be in [0, 1), got {f0}")
    c = (1.0 - f0) / (1.0 + (q / p) * f0)
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    out = (1.0 - c * e) / (1.0 + (q / p) * c * e)
    return float(out) if np.ndim(out) == 0 else out


def bass_step(users: float, p: float, q: float, m: float, dt: float = 1.0) -> float:
    """Advance adopters by ``dt`` quarters along the exact Bass solution.

    Parameters
    ----------
    users
        Adopters now (millions), ≥ 0.
    p, q
        Innovation and imitation coefficients, per quarter.
    m
        Market size (millions), > 0. If ``users >= m`` adopters stay unchanged
        (a shrinking market does not remove users in this model).
    dt
        Step length in quarters.
    """
    if m <= 0:
        raise ValueError(f"m must be > 0, got {m}")
    if users < 0:
        raise ValueError(f"users must be >= 0, got {users}")
    if users >= m:
        return users
    return m * bass_cumulative(dt, p, q, users / m)


class DemandState(NamedTuple):
    """The engine's demand in one quarter (all per quarter unless noted).

    An immutable record; a NamedTuple rather than a frozen dataclass because it is
    built twice a quarter and a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field) costs several times more.

    Attributes
    ----------
    users
        Weekly active users (millions).
    paid_share
        Share of users paying a subscription.
    arpu
        Revenue per paying user per month (USD).
    token_price
        Price per unit of API capability relative to the start (index, start = 1).
    api_volume
        API volume relative to the start (index, start = 1).
    subscription_revenue, api_revenue
        Potential lab revenue this quarter (USD bn).
    compute_need_gw
        Compute the demand needs (GW of new-vintage capacity), inference + training.
    intensity
        Compute per user from usage (index, start = 1): grows by
        ``usage_growth · decay^t`` per quarter (saturating).
    efficiency
        Algorithmic efficiency factor (index, start = 1): falls by
        ``efficiency_gain`` per quarter.
    compute_price
        Price of cloud compute relative to the start (index, start = 1).
    unpaid_new_users
        New users of this quarter who do not pay yet (millions): ``paid_lag`` times
        the quarter's new users; from the next quarter on they pay like the others.
    usage
        Usage per user relative to the start (index, start = 1): ``intensity`` times
        the Jevons response to the cost of a unit of usage.
    """

    users: float
    paid_share: float
    arpu: float
    token_price: float
    api_volume: float
    subscription_revenue: float
    api_revenue: float
    compute_need_gw: float
    intensity: float = 1.0
    efficiency: float = 1.0
    compute_price: float = 1.0
    unpaid_new_users: float = 0.0
    usage: float = 1.0

    @property
    def paid_users(self) -> float:
        """Paying users (millions): the paying share of users who can pay this quarter."""
        return (self.users - self.unpaid_new_users) * self.paid_share


def advance_demand(
    prev: DemandState,
    params: DemandParams,
    *,
    market_size: float,
    hardware_index: float,
    quarter: int,
    compute_price_change: float = 1.0,
) -> DemandState:
    """One quarter of demand: users, paid share, ARPU, tokens, revenue, compute need.

    All rates are per quarter (see :class:`~world.params.DemandParams`).
    ``market_size`` is the (sentiment-adjusted) Bass market size in millions,
    ``hardware_index`` FLOP per GW of new capacity relative to the start, and
    ``quarter`` counts from 0, ``compute_price_change`` is this quarter's ratio of
    the cloud rental price to last quarter's (token prices follow it with elasticity
    ``token_cost_pass_through``). API spend per adopter relative to the start is
    ``x = price^(1−ε)``, saturating above 1 as ``K x / (K + x − 1)`` with
    ``K = api_spend_saturation``; ARPU grows up to ``arpu_max``. API volume index =
    (users/users_0) · spend / price;
    API revenue = ``api_revenue_0 · price · volume``. Paying users = paid share ·
    (users − ``paid_lag`` · the quarter's new users): a share ``paid_lag`` of the
    quarter's new users pays only from the next quarter on. Compute need (GW) =
    (users · compute_per_user · usage intensity · cost^(−η) · algorithmic efficiency
    + compute_per_api · API revenue index)
    · (1 + training_ratio) / hardware_index.
    """
    p = params
    (
        bass_p,
        bass_q,
        paid_share_max,
        conversion_speed,
        arpu_growth,
        token_price_decline,
        token_elasticity,
        api_revenue_0,
        users_0,
        compute_per_user_gw,
        compute_per_api_gw,
        efficiency_gain,
        usage_growth,
        training_ratio,
    ) = (
        p.bass_p,
        p.bass_q,
        p.paid_share_max,
        p.conversion_speed,
        p.arpu_growth,
        p.token_price_decline,
        p.token_elasticity,
        p.api_revenue_0,
        p.users_0,
        p.compute_per_user_gw,
        p.compute_per_api_gw,
        p.efficiency_gain,
        p.usage_growth,
        p.training_ratio,
    )
    users = bass_step(prev.users, bass_p, bass_q, market_size)
    paid_share = prev.paid_share + conversion_speed * max(paid_share_max - prev.paid_share, 0.0)
    arpu = min(prev.arpu * (1.0 + arpu_growth), max(p.arpu_max, prev.arpu))
    token_price = (
        prev.token_price
        * (1.0 - token_price_decline)
        * max(compute_price_change, 1e-9) ** p.token_cost_pass_through
    )
    adoption = users / users_0
    # spend per adopter relative to the start: price^(1 − ε), saturating at
    # api_spend_saturation (Michaelis-Menten above 1: a budget for tokens fills up)
    raw = token_price ** (1.0 - token_elasticity)
    k = p.api_spend_saturation
    spend = raw if raw <= 1.0 else k * raw / (k + raw - 1.0)
    api_volume = adoption * spend / token_price
    unpaid = p.paid_lag * max(users - prev.users, 0.0)
    # cumulative indices, so parameters may change between quarters (shocks)
    if quarter > 0:
        algo = prev.efficiency * (1.0 - efficiency_gain)
        intensity = prev.intensity * (1.0 + usage_growth * p.usage_growth_decay**quarter)
    else:
        algo, intensity = prev.efficiency, prev.intensity
    # chat compute: users x usage intensity x algorithmic efficiency; API compute scales
    # with API spend (the price per capability unit already falls with efficiency)
    # Jevons: usage per user also responds to the cost of a unit of usage (algorithmic
    # efficiency × price of compute / hardware), with elasticity usage_cost_elasticity
    compute_price = prev.compute_price * max(compute_price_change, 1e-9)
    cost = algo * compute_price / max(hardware_index, 1e-9)
    jevons = max(cost, 1e-12) ** (-p.usage_cost_elasticity)
    usage = intensity * jevons  # usage per user relative to the start
    billed = monetised_arpu(arpu, usage, p.usage_monetisation, p.arpu_max)
    subscription_revenue = (users - unpaid) * paid_share * billed * 3.0 / 1000.0
    api_revenue = api_revenue_0 * token_price * api_volume
    chat = compute_per_user_gw * users * intensity * jevons * algo
    api = compute_per_api_gw * api_revenue / max(api_revenue_0, 1e-12)
    compute_need = (chat + api) * (1.0 + training_ratio) / max(hardware_index, 1e-9)
    if not math.isfinite(compute_need):
        raise FloatingPointError("compute need is not finite; check demand parameters")
    return DemandState(
        users=users,
        paid_share=paid_share,
        arpu=arpu,
        token_price=token_price,
        api_volume=api_volume,
        subscription_revenue=subscription_revenue,
        api_revenue=api_revenue,
        compute_need_gw=compute_need,
        intensity=intensity,
        efficiency=algo,
        compute_price=compute_price,
        unpaid_new_users=unpaid,
        usage=usage,
    )


def monetised_arpu(arpu: float, usage: float, elasticity: float, arpu_max: float) -> float:
    """Revenue per paying user-month (USD) when plans charge for usage.

    ``arpu · usage^elasticity`` with ``usage`` the usage per user relative to the
    start, but never above ``max(arpu_max, arpu)``: premium tiers cap what a
    mass-market plan charges. With ``elasticity = 0`` (flat-rate plans) it is
    ``arpu`` exactly.

    Examples
    --------
    >>> monetised_arpu(20.0, 4.0, 0.5, 60.0)
    40.0
    >>> monetised_arpu(20.0, 100.0, 0.5, 60.0)
    60.0
    >>> monetised_arpu(20.0, 100.0, 0.0, 60.0)
    20.0
    """
    if elasticity == 0.0:
        return arpu
    return min(arpu * max(usage, 0.0) ** elasticity, max(arpu_max, arpu))


def rationed_subscriptions(revenue: float, served: float, usage: float, elasticity: float) -> float:
    """Subscription revenue when the lab serves only a share ``served`` of the compute need.

    A lab short of compute rations usage per user before it turns users away: with
    usage per user ``usage`` (relative to the start, when each user needed one unit)
    it keeps serving a share ``access = min(1, served · max(usage, 1))`` of its
    users, each getting ``served / access`` of the usage they want. Users pay for
    access, and for usage with ``elasticity`` (``usage_monetisation``):
    ``revenue · access · (served / access)^elasticity``. Metered plans
    (``elasticity = 1``) lose the unserved share, ``revenue · served``; flat plans
    lose only the users cut off.

    Examples
    --------
    >>> rationed_subscriptions(10.0, 0.5, 4.0, 0.0)
    10.0
    >>> rationed_subscriptions(10.0, 0.5, 4.0, 1.0)
    5.0
    >>> rationed_subscriptions(10.0, 0.1, 4.0, 0.0)
    4.0
    """
    if served >= 1.0:
        return revenue
    access = min(1.0, served * max(usage, 1.0))
    if access <= 0.0:
        return 0.0
    return revenue * access * (served / access) ** elasticity


def scaled(state: DemandState, wallet: float) -> DemandState:
    """``state`` with spending and compute need scaled by ``wallet`` (users unchanged)."""
    if wallet >= 1.0:
        return state
    return state._replace(
        subscription_revenue=state.subscription_revenue * wallet,
        api_revenue=state.api_revenue * wallet,
        api_volume=state.api_volume * wallet,
        compute_need_gw=state.compute_need_gw * wallet,
    )


def macro_limit(quarter: int, macro: MacroParams) -> float:
    """Most final AI spending the world can afford in ``quarter`` (USD bn per quarter).

    ``ai_share_max`` of world IT spending, which grows by ``it_spending_growth`` per
    quarter from ``world_it_spending`` (USD bn per year) in the first quarter.
    """
    return (
        macro.ai_share_max
        * macro.world_it_spending
        / 4.0
        * (1.0 + macro.it_spending_growth) ** max(quarter, 0)
    )


def wallet_factor(spending: float, limit: float) -> float:
    """Share of the demanded AI spending the macro limit lets through, in (0, 1]."""
    if not (math.isfinite(spending) and spending >= 0.0):
        raise ValueError(f"spending must be finite and >= 0, got {spending!r}")
    if not limit > 0.0:
        raise ValueError(f"limit must be > 0, got {limit!r}")
    return 1.0 if spending <= limit else limit / spending


def _outside(
    base_gw: float,
    compute_index: float,
    sentiment: float,
    price_ratio: float,
    elasticity: float,
    sentiment_weight: float,
    macro: MacroParams,
) -> float:
    # max(x, lo) written lo if lo > x else x: the same value without a builtin call
    mood = 1.0 + sentiment_weight * sentiment
    mood = 0.0 if 0.0 > mood else mood
    index = (0.0 if 0.0 > compute_index else compute_index) ** macro.outside_compute_elasticity
    ratio = 1e-9 if 1e-9 > price_ratio else price_ratio
    return base_gw * index * mood * ratio ** (-elasticity)


def outside_cloud_gw(
    base_gw: float, compute_index: float, sentiment: float, price_ratio: float, macro: MacroParams
) -> float:
    """AI cloud capacity outside customers want to rent from a provider (GW).

    ``base_gw · index^κ · (1 + w_s·sentiment) · (price / opening price)^(−ε)`` with the
    AI compute index relative to the first quarter, κ = ``outside_compute_elasticity``,
    w_s = ``outside_cloud_sentiment`` and ε = ``cloud_price_elasticity``.
    """
    return _outside(
        base_gw,
        compute_index,
        sentiment,
        price_ratio,
        macro.cloud_price_elasticity,
        macro.outside_cloud_sentiment,
        macro,
    )


def outside_gpu_gw(
    base_gw: float, compute_index: float, sentiment: float, price_ratio: float, macro: MacroParams
) -> float:
    """Accelerators outside buyers want from a supplier this quarter (GW per quarter).

    Like :func:`outside_cloud_gw` with ``outside_gpu_sentiment`` and
    ``gpu_price_elasticity``; ``price_ratio`` is the supplier's price over its
    reference price (the opening price falling with capex per GW).
    """
    return _outside(
        base_gw,
        compute_index,
        sentiment,
        price_ratio,
        macro.gpu_price_elasticity,
        macro.outside_gpu_sentiment,
        macro,
    )
