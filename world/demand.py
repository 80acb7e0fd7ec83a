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
quarter (order 10× per year), volume responds with a constant price elasticity
``ε`` and grows with adoption, so revenue scales as ``price^(1-ε)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from world.params import DemandParams

__all__ = [
    "DemandState",
    "bass_cumulative",
    "bass_step",
    "advance_demand",
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


@dataclass(frozen=True, slots=True)
class DemandState:
    """The engine's demand in one quarter (all per quarter unless noted).

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
    unpaid_new_users
        New users of this quarter who do not pay yet (millions): ``paid_lag`` times
        the quarter's new users; from the next quarter on they pay like the others.
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
    unpaid_new_users: float = 0.0

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
) -> DemandState:
    """One quarter of demand: users, paid share, ARPU, tokens, revenue, compute need.

    All rates are per quarter (see :class:`~world.params.DemandParams`).
    ``market_size`` is the (sentiment-adjusted) Bass market size in millions,
    ``hardware_index`` FLOP per GW of new capacity relative to the start, and
    ``quarter`` counts from 0. API volume index = (users/users_0) · price^(−ε);
    API revenue = ``api_revenue_0 · price · volume``. Paying users = paid share ·
    (users − ``paid_lag`` · the quarter's new users): a share ``paid_lag`` of the
    quarter's new users pays only from the next quarter on. Compute need (GW) =
    (users · compute_per_user · usage intensity · algorithmic efficiency
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
    arpu = prev.arpu * (1.0 + arpu_growth)
    token_price = prev.token_price * (1.0 - token_price_decline)
    adoption = users / users_0
    api_volume = adoption * token_price ** (-token_elasticity)
    unpaid = p.paid_lag * max(users - prev.users, 0.0)
    subscription_revenue = (users - unpaid) * paid_share * arpu * 3.0 / 1000.0
    api_revenue = api_revenue_0 * token_price * api_volume
    # cumulative indices, so parameters may change between quarters (shocks)
    if quarter > 0:
        algo = prev.efficiency * (1.0 - efficiency_gain)
        intensity = prev.intensity * (1.0 + usage_growth * p.usage_growth_decay**quarter)
    else:
        algo, intensity = prev.efficiency, prev.intensity
    # chat compute: users x usage intensity x algorithmic efficiency; API compute scales
    # with API spend (the price per capability unit already falls with efficiency)
    chat = compute_per_user_gw * users * intensity * algo
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
        unpaid_new_users=unpaid,
    )
