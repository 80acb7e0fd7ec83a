"""Regime labels of a run, computed on the AI network: boom, soft landing, crash, bust, cascade.

A label is a summary a reader must agree with when looking at the paths, so it is
computed on the part of the economy the model is about — the AI businesses of the
firms — and not on the legacy businesses of the largest ones (Amazon's retail,
Microsoft's Office), whose value would otherwise swamp the story:

* **AI revenue** of a firm: its sales from cloud compute, GPUs, subscriptions and
  API (every revenue account but the legacy one); the network's AI revenue
  :math:`R_t` is the sum over firms over the last four quarters (USD bn per year).
* **AI-exposed value** of a firm (:func:`ai_exposed_value`): its value to its
  shareholders — its valuation plus the cash it has returned to them since the start —
  times the share of AI in its revenue over the last four quarters (1 for a pure AI
  firm such as a lab or CoreWeave, ~0.1 for Amazon in 2025); the network's
  AI-exposed value :math:`V_t` is the sum over firms (USD bn).

The rules (:func:`classify_regime`, thresholds in :class:`RegimeRules`, one
sentence per label in :func:`regime_rules_text` for reports) are tested on
synthetic paths whose label is obvious (steady growth; crash and recovery; crash
without recovery; one default; a cascade).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from world.pathstats import _finite, default_quarters, max_drawdown, trailing_sum

__all__ = [
    "REGIME_RULES",
    "Regime",
    "RegimeRules",
    "RegimeStats",
    "ai_exposed_value",
    "classify_regime",
    "regime_rule",
    "regime_rules_text",
    "regime_stats",
]


class Regime(enum.StrEnum):
    """Label of a whole run, from :func:`classify_regime` (in rule order, last first)."""

    BOOM = "boom"
    SOFT_LANDING = "soft_landing"
    CRASH_RECOVERED = "crash_recovered"
    BUST = "bust"
    CASCADE = "cascade"


@dataclass(frozen=True)
class RegimeRules:
    """Thresholds of :func:`classify_regime`.

    Attributes
    ----------
    cascade_window : int
        Quarters. Two firms defaulting at most this many quarters apart (same
        quarter included) make a cascade. Non-negative.
    cascade_min : int
        This many defaults in one run make a cascade whatever their timing. At least 2.
    crash_drawdown : float
        Fraction in ``(0, 1]``: a fall of the AI-exposed value from its running
        peak at least this deep is a crash.
    recovery_share : float
        Fraction in ``(0, 1]``: a crash is recovered if the AI-exposed value ends
        at least this share of its highest value.
    revenue_collapse : float
        Fraction in ``(0, 1]``: the network's AI revenue (last four quarters)
        ending at least this far below its peak is a collapse (a bust).
    boom_growth : float
        AI-exposed value at the end must be at least this multiple of the start
        for a boom. Positive.
    boom_revenue_growth : float
        The network's AI revenue (last four quarters) at the end must be at least
        this multiple of the first quarter's (annualised) for a boom. Positive.

    """

    cascade_window: int = 2
    cascade_min: int = 3
    crash_drawdown: float = 0.5
    recovery_share: float = 0.8
    revenue_collapse: float = 0.5
    boom_growth: float = 1.5
    boom_revenue_growth: float = 1.5

    def __post_init__(self) -> None:
        """Validate the thresholds."""
        if not isinstance(self.cascade_window, int) or self.cascade_window < 0:
            raise ValueError(
                f"cascade_window must be a non-negative int, got {self.cascade_window!r}"
            )
        if not isinstance(self.cascade_min, int) or self.cascade_min < 2:
            raise ValueError(f"cascade_min must be an int >= 2, got {self.cascade_min!r}")
        for name in ("crash_drawdown", "recovery_share", "revenue_collapse"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value!r}")
        for name in ("boom_growth", "boom_revenue_growth"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive, got {value!r}")


def regime_rules_text(rules: RegimeRules | None = None) -> dict[Regime, str]:
    """One sentence per label stating its rule, with the thresholds of ``rules``.

    The rules are applied in the order of the returned mapping (cascade first);
    the first that holds gives the label. Reports print the sentence next to the label.

    Examples
    --------
    >>> regime_rules_text()[Regime.CASCADE]
    'At least 3 firms of the AI network default, or two default at most 2 quarters apart.'

    """
    r = RegimeRules() if rules is None else rules
    crash, keep = f"{r.crash_drawdown:.0%}", f"{r.recovery_share:.0%}"
    drop = f"{r.revenue_collapse:.0%}"
    return {
        Regime.CASCADE: (
            f"At least {r.cascade_min} firms of the AI network default, or two default at "
            f"most {r.cascade_window} quarters apart."
        ),
        Regime.BUST: (
            f"A firm defaults, or the AI-exposed value falls {crash} or more from a peak and "
            f"ends below {keep} of its highest value, or the network's AI revenue (last four "
            f"quarters) ends {drop} or more below its peak."
        ),
        Regime.CRASH_RECOVERED: (
            f"No default, but the AI-exposed value falls {crash} or more from a peak and "
            f"then recovers to end at {keep} or more of its highest value."
        ),
        Regime.BOOM: (
            f"No default or crash, and the AI-exposed value ends at least "
            f"{r.boom_growth:g}× and the network's AI revenue at least "
            f"{r.boom_revenue_growth:g}× their start."
        ),
        Regime.SOFT_LANDING: (
            f"None of the above: no default, no crash of {crash} or more and no collapse of "
            f"AI revenue, but no boom either."
        ),
    }


#: The rule of each label with the default thresholds (read-only), for reports.
REGIME_RULES = MappingProxyType(regime_rules_text())


def regime_rule(label: Regime | str, rules: RegimeRules | None = None) -> str:
    """The rule sentence of one label (e.g. ``regime_rule("boom")``).

    Raises
    ------
    ValueError
        If ``label`` is not a regime.
    """
    try:
        key = Regime(label)
    except ValueError:
        allowed = ", ".join(r.value for r in Regime)
        raise ValueError(f"label: {label!r} is not a regime (allowed: {allowed})") from None
    return regime_rules_text(rules)[key]


def ai_exposed_value(
    valuations: ArrayLike,
    revenue: ArrayLike,
    ai_revenue: ArrayLike,
    window: int = 4,
    payouts: ArrayLike | None = None,
    equity_raised: ArrayLike | None = None,
) -> NDArray[np.float64]:
    r"""AI-exposed value of each firm: its value to shareholders times the AI share of its revenue.

    .. math:: E_{t,f} = \max\Bigl(V_{t,f} + \sum_{s \le t} (D_{s,f} - I_{s,f}),\ 0\Bigr)\,
              \frac{A_{t,f}}{S_{t,f}}

    with :math:`D` the cash the firm returned to its shareholders each quarter
    (dividends, buybacks, a lab's tender offers) and :math:`I` the cash they paid in
    for new shares (funding rounds, strategic investments, rescues), as a total-return
    index counts them: a payout lowers the firm's value by what its shareholders
    receive, and is not a loss to them; a round raises it by what they pay, and is
    not value the firm created (a lab that raises USD 100 bn and spends it on compute
    that earns nothing has lost its shareholders USD 100 bn). :math:`A` and :math:`S`
    are the firm's AI revenue and total revenue summed over the last ``window`` quarters
    (:func:`~world.pathstats.trailing_sum`); the share is clipped to ``[0, 1]`` and
    taken as 1 while the firm has no revenue (its value is then all prospects).

    Parameters
    ----------
    valuations, revenue, ai_revenue : array_like
        Shape ``(quarters, firms)``: valuation (USD bn), total revenue and AI
        revenue (USD bn per quarter). Finite.
    window : int
        Quarters of revenue the share is measured over.
    payouts : array_like, optional
        Shape ``(quarters, firms)``: cash returned to shareholders each quarter, USD
        bn, finite and ``>= 0``; none: nothing was paid out.
    equity_raised : array_like, optional
        Shape ``(quarters, firms)``: cash paid in for new shares each quarter, USD bn,
        finite and ``>= 0``; none: no shares were sold.

    Returns
    -------
    numpy.ndarray
        Shape ``(quarters, firms)``, USD bn, non-negative.

    Raises
    ------
    ValueError
        If the shapes differ, are not 2-dimensional, or values are not finite (or a
        payout or an amount raised is negative).

    Examples
    --------
    >>> ai_exposed_value([[100.0, 10.0]], [[10.0, 1.0]], [[2.0, 1.0]]).tolist()
    [[20.0, 10.0]]
    >>> ai_exposed_value([[60.0], [50.0]], [[1.0], [1.0]], [[1.0], [1.0]],
    ...                  payouts=[[0.0], [10.0]]).ravel().tolist()
    [60.0, 60.0]
    >>> ai_exposed_value([[60.0], [90.0], [70.0]], [[1.0]] * 3, [[1.0]] * 3,
    ...                  equity_raised=[[0.0], [30.0], [0.0]]).ravel().tolist()
    [60.0, 60.0, 40.0]

    """
    v = _finite(valuations, "valuations")
    s = _finite(revenue, "revenue")
    a = _finite(ai_revenue, "ai_revenue")
    if v.ndim != 2 or v.shape[0] == 0:
        raise ValueError(f"valuations must be a (quarters, firms) array, got shape {v.shape}")
    d = None if payouts is None else _finite(payouts, "payouts")
    i = None if equity_raised is None else _finite(equity_raised, "equity_raised")
    for name, x in (("revenue", s), ("ai_revenue", a), ("payouts", d), ("equity_raised", i)):
        if x is not None and x.shape != v.shape:
            raise ValueError(f"{name} must have the shape of valuations {v.shape}, got {x.shape}")
    for name, x, sign in (("payouts", d, 1.0), ("equity_raised", i, -1.0)):
        if x is not None:
            if (x < 0.0).any():
                raise ValueError(f"{name} must be >= 0")
            v = v + sign * np.cumsum(x, axis=0)
    total, ai = trailing_sum(s, window), trailing_sum(a, window)
    share = np.ones_like(total)
    np.divide(ai, total, out=share, where=total > 1e-12)
    return np.clip(v, 0.0, None) * np.clip(share, 0.0, 1.0)


@dataclass(frozen=True)
class RegimeStats:
    """The figures a regime label is read from (see :func:`regime_stats`).

    Attributes
    ----------
    value_growth : float
        AI-exposed value at the end / at the start.
    value_drawdown : float
        Largest fall of the AI-exposed value from its running peak, fraction.
    value_end_to_peak : float
        AI-exposed value at the end / its highest value, fraction.
    revenue_growth : float
        Network AI revenue (last four quarters) at the end / in the first quarter
        (annualised); ``inf`` if it started at zero and grew.
    revenue_end_to_peak : float
        Network AI revenue at the end / its highest value (1 if it was always zero).
    default_quarters : tuple of int
        Default quarter of each firm that defaults, in time order.

    """

    value_growth: float
    value_drawdown: float
    value_end_to_peak: float
    revenue_growth: float
    revenue_end_to_peak: float
    default_quarters: tuple[int, ...]


def regime_stats(ai_value: ArrayLike, ai_revenue: ArrayLike, defaulted: ArrayLike) -> RegimeStats:
    """The figures of :func:`classify_regime`, from the AI network's paths.

    Parameters
    ----------
    ai_value : array_like
        Shape ``(quarters,)`` or ``(quarters, firms)`` (summed over firms): AI-exposed
        value, USD bn. Finite, non-negative, positive in the first quarter.
    ai_revenue : array_like
        Shape ``(quarters,)`` or ``(quarters, firms)`` (summed over firms): AI revenue
        per quarter, USD bn. Finite, non-negative.
    defaulted : array_like
        Shape ``(quarters, firms)``, bool; ``True`` while a firm is in default.

    Raises
    ------
    ValueError
        If shapes disagree, there are no quarters, or values are not finite, negative,
        or the starting AI-exposed value is not positive.
    """
    value = _network(ai_value, "ai_value")
    revenue = _network(ai_revenue, "ai_revenue")
    d = np.asarray(defaulted)
    if d.dtype != np.bool_ or d.ndim != 2:
        raise ValueError(
            f"defaulted must be a 2-dimensional boolean array, got {d.dtype} {d.shape}"
        )
    t = value.shape[0]
    if revenue.shape != (t,) or d.shape[0] != t:
        raise ValueError(
            f"ai_value, ai_revenue and defaulted must have the same number of quarters, "
            f"got {t}, {revenue.shape[0]} and {d.shape[0]}"
        )
    if value[0] <= 0:
        raise ValueError("ai_value must be positive in the first quarter")
    annual = trailing_sum(revenue)
    peak_rev = float(annual.max())
    quarters = default_quarters(d)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # ratios may be inf
        if annual[0] > 0:
            rev_growth = float(annual[-1] / annual[0])
        else:
            rev_growth = float("inf") if annual[-1] > 0 else 1.0
        return RegimeStats(
            value_growth=float(value[-1] / value[0]),
            value_drawdown=float(max_drawdown(value)),
            value_end_to_peak=float(value[-1] / value.max()),
            revenue_growth=rev_growth,
            revenue_end_to_peak=float(annual[-1] / peak_rev) if peak_rev > 0 else 1.0,
            default_quarters=tuple(int(q) for q in np.sort(quarters[quarters >= 0])),
        )


def classify_regime(
    ai_value: ArrayLike,
    ai_revenue: ArrayLike,
    defaulted: ArrayLike,
    rules: RegimeRules | None = None,
) -> Regime:
    r"""Label one run as cascade, bust, crash recovered, boom or soft landing.

    With :math:`V_t` the network's AI-exposed value, :math:`R_t` its AI revenue
    over the last four quarters, a firm's default quarter the first quarter it is
    flagged, and a *crash* a fall of :math:`V` from its running peak of at least
    ``rules.crash_drawdown``, the first rule that holds wins (sentences in
    :func:`regime_rules_text`):

    1. ``CASCADE``: at least ``rules.cascade_min`` firms default, or two firms
       default at most ``rules.cascade_window`` quarters apart.
    2. ``BUST``: a firm defaults; or a crash and
       :math:`V_{T-1} <` ``rules.recovery_share`` :math:`\cdot \max_t V_t`; or
       :math:`R_{T-1} \le (1 -` ``rules.revenue_collapse`` :math:`) \max_t R_t`.
    3. ``CRASH_RECOVERED``: a crash, and :math:`V` ends at ``rules.recovery_share``
       or more of its highest value.
    4. ``BOOM``: :math:`V_{T-1} \ge` ``rules.boom_growth`` :math:`\cdot V_0` and
       :math:`R_{T-1} \ge` ``rules.boom_revenue_growth`` :math:`\cdot R_0`.
    5. ``SOFT_LANDING`` otherwise.

    Parameters
    ----------
    ai_value, ai_revenue, defaulted
        See :func:`regime_stats`.
    rules : RegimeRules, optional
        Thresholds; default ``RegimeRules()``.

    Returns
    -------
    Regime
        The label.

    Raises
    ------
    ValueError
        See :func:`regime_stats`.

    Examples
    --------
    >>> no_default = np.zeros((4, 1), dtype=bool)
    >>> classify_regime([10.0, 14.0, 18.0, 25.0], [1.0, 2.0, 3.0, 4.0], no_default).value
    'boom'
    >>> classify_regime([10.0, 20.0, 8.0, 19.0], [1.0, 1.0, 1.0, 1.0], no_default).value
    'crash_recovered'

    """
    rules = RegimeRules() if rules is None else rules
    return label_of(regime_stats(ai_value, ai_revenue, defaulted), rules)


def label_of(stats: RegimeStats, rules: RegimeRules | None = None) -> Regime:
    """The label of :func:`classify_regime` from already computed :class:`RegimeStats`."""
    rules = RegimeRules() if rules is None else rules
    quarters = np.asarray(stats.default_quarters, dtype=np.int64)
    if quarters.size >= rules.cascade_min or (
        quarters.size >= 2 and np.min(np.diff(quarters)) <= rules.cascade_window
    ):
        return Regime.CASCADE
    crash = stats.value_drawdown >= rules.crash_drawdown - 1e-12
    recovered = stats.value_end_to_peak >= rules.recovery_share - 1e-12
    collapsed = stats.revenue_end_to_peak <= 1.0 - rules.revenue_collapse + 1e-12
    if quarters.size > 0 or (crash and not recovered) or collapsed:
        return Regime.BUST
    if crash:
        return Regime.CRASH_RECOVERED
    if (
        stats.value_growth >= rules.boom_growth
        and stats.revenue_growth >= rules.boom_revenue_growth
    ):
        return Regime.BOOM
    return Regime.SOFT_LANDING


def _network(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """A network path: ``x`` itself if 1-D, its sum over firms if 2-D; non-negative."""
    v = _finite(x, name)
    if v.ndim == 2:
        v = v.sum(axis=1)
    if v.ndim != 1 or v.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (quarters,) or (quarters, firms) array")
    if np.any(v < 0):
        raise ValueError(f"{name} must be non-negative")
    return v
