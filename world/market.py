"""Market kernels: discrete choice, price impact, fundamental value, investor parameters.

Pure numeric functions (numpy / numba) that take arrays and return arrays. They
hold no model state and draw no random numbers; the investor population in
:mod:`agents.investors` calls them. Units: money in USD bn, prices in USD per
share, shares in bn shares, time in quarters unless stated otherwise.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "InvestorParams",
    "backlog_cash_flow",
    "fundamental_value",
    "price_impact",
    "softmax_fractions",
]

FloatArray = NDArray[np.float64]


def _finite(name: str, value: ArrayLike) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def softmax_fractions(fitness: ArrayLike, beta: float) -> FloatArray:
    """Brock–Hommes discrete-choice fractions of strategies.

    ``n_h = exp(beta U_h) / sum_j exp(beta U_j)`` over the last axis, computed
    stably by subtracting the row maximum first.

    Parameters
    ----------
    fitness : array_like, shape (k,) or (n, k)
        Fitness ``U_h`` of each of ``k`` strategies (here: realised profit, percent
        of normal position value per quarter).
    beta : float
        Intensity of choice, ``>= 0``, in 1 / fitness unit. ``0`` gives uniform
        fractions; ``numpy.inf`` puts all mass on the best strategy (ties split
        equally).

    Returns
    -------
    numpy.ndarray
        Fractions, same shape as ``fitness``, each row summing to 1.
    """
    f = _finite("fitness", fitness)
    if f.ndim not in (1, 2) or f.shape[-1] == 0:
        raise ValueError(f"fitness must have shape (k,) or (n, k) with k >= 1, got {f.shape}")
    b = float(beta)
    if np.isnan(b) or b < 0.0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    top = f.max(axis=-1, keepdims=True)
    if np.isinf(b):
        best = (f == top).astype(np.float64)
        return best / best.sum(axis=-1, keepdims=True)
    e = np.exp(b * (f - top))
    return e / e.sum(axis=-1, keepdims=True)


def price_impact(
    log_price: ArrayLike,
    excess_demand: ArrayLike,
    lam: float,
    depth: ArrayLike = 1.0,
    max_move: float = np.inf,
) -> FloatArray:
    """Market-maker log-price update ``log p' = log p + clip(lam * ED / depth)``.

    The excess demand is normalised by the market depth, by convention the free
    float in shares: a net buy order of 1 % of the free float moves the price by
    ``lam`` percent (in log terms). ``lam`` is therefore dimensionless.

    Parameters
    ----------
    log_price : array_like
        Current log price (log USD per share).
    excess_demand : array_like
        Net buy orders, shares (bn shares); negative for net selling.
    lam : float
        Price impact ``>= 0``, log-price change per unit of ``ED / depth``.
    depth : array_like, optional
        Market depth in the same unit as ``excess_demand`` (free float, bn
        shares), ``> 0``. Default 1 (``excess_demand`` already normalised).
    max_move : float, optional
        Cap on ``|Δ log p|`` per call, ``> 0`` (a circuit breaker). Default none.

    Returns
    -------
    numpy.ndarray
        New log price, broadcast shape of the inputs.
    """
    lp = _finite("log_price", log_price)
    ed = _finite("excess_demand", excess_demand)
    d = _finite("depth", depth)
    if not np.all(d > 0.0):
        raise ValueError(f"depth must be > 0, got {depth!r}")
    lam_f = float(lam)
    if not np.isfinite(lam_f) or lam_f < 0.0:
        raise ValueError(f"lam must be finite and >= 0, got {lam!r}")
    cap = float(max_move)
    if np.isnan(cap) or cap <= 0.0:
        raise ValueError(f"max_move must be > 0, got {max_move!r}")
    return impact_unchecked(lp, ed, lam_f, d, cap)


def impact_unchecked(log_price, excess_demand, lam: float, depth, max_move: float):
    """:func:`price_impact` without validation, for hot loops whose inputs are known good."""
    return log_price + np.clip(lam * excess_demand / depth, -max_move, max_move)


def fundamental_value(
    cash_flow_per_q: ArrayLike,
    growth_per_q: ArrayLike,
    discount_rate_per_q: ArrayLike,
    horizon_q: ArrayLike,
    terminal_growth: ArrayLike,
) -> FloatArray:
    """Discounted expected cash flows with a Gordon terminal value, vectorised.

    ``V = sum_{t=1..H} CF (1+g)^t / (1+r)^t + CF (1+g)^H (1+g_T) / ((r - g_T)(1+r)^H)``:
    explicit growth ``g`` for ``H`` quarters, then growth ``g_T`` for ever.

    Parameters
    ----------
    cash_flow_per_q : array_like
        Current free cash flow to equity, USD bn per quarter (may be negative).
    growth_per_q : array_like
        Expected cash-flow growth during the horizon, per quarter, ``> -1``.
    discount_rate_per_q : array_like
        Discount rate per quarter, ``> -1`` and ``> terminal_growth``.
    horizon_q : array_like
        Explicit forecast horizon, quarters, non-negative integers.
    terminal_growth : array_like
        Growth after the horizon, per quarter, ``> -1``.

    Returns
    -------
    numpy.ndarray
        Equity value, USD bn, broadcast shape of the inputs.
    """
    cf = _finite("cash_flow_per_q", cash_flow_per_q)
    g = _finite("growth_per_q", growth_per_q)
    r = _finite("discount_rate_per_q", discount_rate_per_q)
    h = _finite("horizon_q", horizon_q)
    gt = _finite("terminal_growth", terminal_growth)
    if np.any(g <= -1.0):
        raise ValueError(f"growth_per_q must be > -1, got {growth_per_q!r}")
    if np.any(r <= -1.0):
        raise ValueError(f"discount_rate_per_q must be > -1, got {discount_rate_per_q!r}")
    if np.any(gt <= -1.0):
        raise ValueError(f"terminal_growth must be > -1, got {terminal_growth!r}")
    if np.any(h < 0.0) or np.any(h != np.round(h)):
        raise ValueError(f"horizon_q must be non-negative integers, got {horizon_q!r}")
    cf, g, r, h, gt = np.broadcast_arrays(cf, g, r, h, gt)
    if np.any(r <= gt):
        raise ValueError("discount_rate_per_q must exceed terminal_growth (Gordon model)")
    return fundamental_value_unchecked(cf, g, r, h, gt)


def fundamental_value_unchecked(cf, g, r, h, gt):
    """:func:`fundamental_value` without validation, for hot loops whose inputs are known good."""
    a = (1.0 + g) / (1.0 + r)
    a_h = a**h
    near_one = np.abs(1.0 - a) < 1e-12
    safe = np.where(near_one, 0.5, 1.0 - a)
    annuity = np.where(near_one, h, a * (1.0 - a_h) / safe)
    terminal = a_h * (1.0 + gt) / (r - gt)
    return cf * (annuity + terminal)


def backlog_cash_flow(
    backlog_usd_bn: ArrayLike, recognition_q: ArrayLike, margin: ArrayLike
) -> FloatArray:
    """Expected quarterly cash flow from contracted backlog (straight-line recognition).

    Parameters
    ----------
    backlog_usd_bn : array_like
        Remaining contracted revenue (remaining performance obligations), USD bn, ``>= 0``.
    recognition_q : array_like
        Quarters over which the backlog is recognised, ``> 0``.
    margin : array_like
        Cash margin on that revenue, fraction in ``[-1, 1]``.

    Returns
    -------
    numpy.ndarray
        Expected cash flow, USD bn per quarter: ``backlog / recognition_q * margin``.
    """
    b = _finite("backlog_usd_bn", backlog_usd_bn)
    q = _finite("recognition_q", recognition_q)
    m = _finite("margin", margin)
    if np.any(b < 0.0):
        raise ValueError(f"backlog_usd_bn must be >= 0, got {backlog_usd_bn!r}")
    if np.any(q <= 0.0):
        raise ValueError(f"recognition_q must be > 0, got {recognition_q!r}")
    if np.any(np.abs(m) > 1.0):
        raise ValueError(f"margin must lie in [-1, 1], got {margin!r}")
    return backlog_cash_flow_unchecked(b, q, m)


def backlog_cash_flow_unchecked(backlog_usd_bn, recognition_q, margin):
    """:func:`backlog_cash_flow` without validation, for hot loops whose inputs are known good."""
    return backlog_usd_bn / recognition_q * margin


class InvestorParams(BaseModel):
    """Parameters of the investor population (one frozen, validated object per run).

    Demand terms are fractions of an investor's normal position per weekly
    sub-round; sentiment lives in ``[-1, 1]``; rates are per quarter.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- population ---------------------------------------------------------
    enabled: bool = Field(
        True, description="Simulate the investor population (off: valuations follow revenue)."
    )
    n_investors: int = Field(
        10_000, ge=1, le=10_000_000, description="Number of investors (rows in the population)."
    )
    share_fundamentalist: float = Field(
        0.35, ge=0.0, le=1.0, description="Initial fraction of fundamentalists (by head count)."
    )
    share_chartist: float = Field(
        0.35, ge=0.0, le=1.0, description="Initial fraction of chartists (trend followers)."
    )
    share_noise: float = Field(
        0.30, ge=0.0, le=1.0, description="Initial fraction of noise traders."
    )
    wealth_pareto_alpha: float = Field(
        1.5,
        ge=1.05,
        le=20.0,
        description="Pareto tail index of investor wealth (lower = more unequal).",
    )
    holdings_dispersion: float = Field(
        0.5, ge=0.0, le=3.0, description="Lognormal sigma of initial portfolio tilts across firms."
    )
    cash_share: float = Field(
        0.2, ge=0.0, le=0.95, description="Initial cash as a fraction of each investor's wealth."
    )
    initial_sentiment_mean: float = Field(
        0.3, ge=-1.0, le=1.0, description="Mean initial sentiment (2025: optimistic)."
    )
    initial_sentiment_sd: float = Field(
        0.2, ge=0.0, le=2.0, description="Std. dev. of initial sentiment (clipped to [-1, 1])."
    )
    burn_in_quarters: int = Field(
        8,
        ge=0,
        le=40,
        description=(
            "Quarters the population trades at the opening values without news before "
            "2025Q1, prices then reset to the opening marks: strategy shares, sentiment "
            "and positions start from the market's own state, not from the initial guesses "
            "(0: start from the guesses; their transient doubled early volatility)."
        ),
    )
    # --- trading ------------------------------------------------------------
    sub_rounds: int = Field(12, ge=1, le=52, description="Trading sub-rounds per quarter (weekly).")
    price_impact: float = Field(
        3.0,
        ge=0.0,
        le=20.0,
        description=(
            "Market-maker λ: Δlog p per net order of 100 % of float (≤ 20: a net order of "
            "1 % of the float moves the price by at most 20 %)."
        ),
    )
    inventory_aversion: float = Field(
        0.01,
        ge=0.0,
        le=1.0,
        description="Market maker's quote shading per sub-round per unit of inventory.",
    )
    max_log_return: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description=(
            "Circuit breaker: cap on |Δlog p| per sub-round (≤ 1: a price can at most "
            "rise 2.7-fold or fall by 63 % in a week)."
        ),
    )
    quote_band: float = Field(
        20.0,
        ge=5.0,
        le=20.0,
        description=(
            "Market maker quotes within exp(±band) of fundamental value (log; F below "
            "1e-3 USD bn counts as 1e-3): keeps prices finite; far outside observed "
            "mispricing (|log| ≤ 2 for active firms in the shipped scenarios). At most "
            "20 (5e8×): wider bands let a price reach 1e16 USD bn, where the float "
            "rounding of marked stakes and warrants breaks the 1e-6 balance tolerance."
        ),
    )
    market_maker_short_limit: float = Field(
        1.0,
        gt=0.0,
        le=10.0,
        description=(
            "Largest short position of the market maker, fraction of the free float; "
            "buys beyond it are filled pro rata (keeps positions and cash bounded)."
        ),
    )
    fundamentalist_reaction: float = Field(
        0.01, ge=0.0, le=1.0, description="φ: order per sub-round per unit of log(F/P)."
    )
    fundamentalist_conviction: float = Field(
        4.0,
        ge=0.0,
        le=20.0,
        description=(
            "c: fundamentalists' order per unit of log(F/P) grows as 1 + (c·log(F/P))², "
            "so a price far from value meets ever surer value investors (Day & Huang "
            "1990); 0: linear."
        ),
    )
    fundamentalist_noise: float = Field(
        0.005,
        ge=0.0,
        le=0.2,
        description=(
            "σ_f: std. dev. of the fundamentalists' common order noise. At most 0.2 "
            "(40× the calibrated value): at 1.0 a common shock of a whole position per "
            "sub-round drove a baseline firm to USD 1.7e15 bn."
        ),
    )
    chartist_strength: float = Field(
        0.02,
        ge=0.0,
        le=0.3,
        description=(
            "χ: order per sub-round per unit of trend log return. At most 0.3 (15× the "
            "calibrated value): from about 0.35 the trend followers' feedback outruns "
            "the value investors and prices explode (listed price/sales above 1,000 at "
            "0.4, USD 1.6e11 bn at 10)."
        ),
    )
    chartist_memory: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="θ: weight of the latest return in the chartists' trend EWMA.",
    )
    chartist_noise: float = Field(
        0.04, ge=0.0, le=1.0, description="σ_c: std. dev. of the chartists' common order noise."
    )
    noise_sigma: float = Field(
        0.01, ge=0.0, le=1.0, description="σ_n: std. dev. of the noise traders' common orders."
    )
    shock_correlation: float = Field(
        0.4, ge=0.0, le=1.0, description="Correlation of a strategy's order noise across firms."
    )
    sentiment_tilt: float = Field(
        0.002,
        ge=0.0,
        le=0.1,
        description="κ: order per sub-round per unit of sentiment (all types).",
    )
    # --- strategy switching (Brock–Hommes) ----------------------------------
    beta: float = Field(
        6.0, ge=0.0, le=1000.0, description="Intensity of choice, 1 / (percent profit per quarter)."
    )
    profit_memory: float = Field(
        0.7, ge=0.0, lt=1.0, description="η: weight of past fitness, U_t = π_t + η U_{t-1}."
    )
    switch_rate: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="Fraction of investors revising their strategy per quarter.",
    )
    type_herding: float = Field(
        0.4,
        ge=0.0,
        le=100.0,
        description="Bonus to a strategy's fitness per unit of its head share.",
    )
    misalignment_weight: float = Field(
        10.0,
        ge=0.0,
        le=1000.0,
        description="Bonus to fundamentalism per unit of squared mispricing.",
    )
    # --- sentiment ----------------------------------------------------------
    herding_strength: float = Field(
        0.8, ge=0.0, le=5.0, description="J: pull of mean sentiment (> 1: bistable mood)."
    )
    news_sensitivity: float = Field(
        0.3, ge=0.0, le=5.0, description="ν: sentiment jump per unit of portfolio-weighted news."
    )
    sentiment_decay: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="δ: share of sentiment revised toward its target per quarter.",
    )
    return_sensitivity: float = Field(
        2.0, ge=0.0, le=50.0, description="γ: sentiment target per unit of own quarterly return."
    )
    sentiment_noise: float = Field(
        0.1, ge=0.0, le=5.0, description="σ_s: idiosyncratic noise in the sentiment target."
    )
    # --- valuation ----------------------------------------------------------
    discount_rate_per_q: float = Field(
        0.025, ge=0.0, le=0.5, description="Discount rate for fundamental values, per quarter."
    )
    terminal_growth_per_q: float = Field(
        0.005, ge=-0.1, le=0.1, description="Gordon terminal growth, per quarter."
    )
    # --- funding rounds ------------------------------------------------------
    round_commit_fraction: float = Field(
        0.05, ge=0.0, le=1.0, description="Fraction of its cash an investor can commit to a round."
    )
    round_min_subscription: float = Field(
        0.5, ge=0.0, le=1.0, description="Demand / amount sought below which a round fails."
    )
    round_floor_fraction: float = Field(
        0.6, ge=0.0, le=1.0, description="Lowest valuation the issuer accepts, fraction of its ask."
    )
    round_sentiment_weight: float = Field(
        0.5, ge=0.0, le=5.0, description="Log reservation-valuation premium per unit of sentiment."
    )
    round_valuation_dispersion: float = Field(
        0.3, ge=0.0, le=3.0, description="Std. dev. of investors' log reservation valuations."
    )
    round_momentum: float = Field(
        0.5, ge=0.0, le=5.0, description="Chartists' extrapolation of the last round's log step."
    )
    secondary_tender_share: float = Field(
        0.01,
        ge=0.0,
        le=0.1,
        description="Share of a private lab's value its holders offer the population in a "
        "quarter without a round; the price it clears at marks the lab (OpenAI's employee "
        "secondary of 2025-10: USD 6.6 bn at USD 500 bn, 1.3%, calibration/deals_2025.csv; "
        "0: marked only by rounds).",
    )
    max_tender_step_up: float = Field(
        1.35,
        ge=1.0,
        le=10.0,
        description="Highest quote of a secondary tender over the lab's last mark, in one "
        "quarter (OpenAI's fastest sustained pace: USD 157 bn post-money in 2024-10, 500 bn "
        "at the 2025-10 secondary, 3.2x in four quarters, 1.34x a quarter).",
    )

    @model_validator(mode="after")
    def _check(self) -> InvestorParams:
        total = self.share_fundamentalist + self.share_chartist + self.share_noise
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                "share_fundamentalist + share_chartist + share_noise must sum to 1, "
                f"got {total:.12g}"
            )
        if self.terminal_growth_per_q >= self.discount_rate_per_q:
            raise ValueError("terminal_growth_per_q must be below discount_rate_per_q")
        return self

    @property
    def type_shares(self) -> FloatArray:
        """Initial strategy shares (fundamentalist, chartist, noise)."""
        return np.array([self.share_fundamentalist, self.share_chartist, self.share_noise])
