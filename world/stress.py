"""Stress labels and run metrics: Minsky classes, regimes, run summaries.

Pure functions over plain arrays (one run's paths), used by the model and the
sweep reports; they know nothing about agents.

References
----------
.. [M92] Minsky, H. P. (1992). The Financial Instability Hypothesis. Levy
   Economics Institute Working Paper No. 74.

"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "MinskyClass",
    "Regime",
    "RegimeRules",
    "RunSummary",
    "classify_regime",
    "default_quarters",
    "max_drawdown",
    "minsky_class",
    "minsky_of",
    "run_summary_metrics",
]


class MinskyClass(enum.IntEnum):
    """Minsky's financing postures ([M92]_)."""

    HEDGE = 0
    """Operating cash flow covers interest and principal due."""
    SPECULATIVE = 1
    """Operating cash flow covers interest but not principal: debt must be rolled over."""
    PONZI = 2
    """Operating cash flow does not cover interest: debt grows to pay debt."""


class Regime(enum.StrEnum):
    """Label of a whole run, from :func:`classify_regime`."""

    BOOM = "boom"
    SOFT_LANDING = "soft_landing"
    BUST = "bust"
    CASCADE = "cascade"


def minsky_class(
    operating_cash_flow: ArrayLike, interest_due: ArrayLike, principal_due: ArrayLike
) -> NDArray[np.int64]:
    """Classify firms as hedge, speculative or Ponzi financed ([M92]_).

    With operating cash flow ``c``, interest due ``i`` and principal due ``k``
    over the same period:

    * ``HEDGE`` if ``i + k == 0`` (no debt service: nothing to cover, whatever
      the sign of ``c``) or ``c >= i + k``;
    * ``SPECULATIVE`` if ``i <= c < i + k``;
    * ``PONZI`` if ``c < i``.

    Ties count in the firm's favour (exact cover is cover). A firm with only
    principal due (``i == 0``, ``k > 0``) is speculative if ``0 <= c < k`` and
    Ponzi if ``c < 0``: it must borrow to keep operating, so its debt grows.
    Arguments broadcast against each other.

    Parameters
    ----------
    operating_cash_flow : array_like
        USD bn per quarter; finite, may be negative.
    interest_due : array_like
        USD bn per quarter; finite, non-negative.
    principal_due : array_like
        USD bn per quarter; finite, non-negative.

    Returns
    -------
    numpy.ndarray
        int64 codes of :class:`MinskyClass` (``0`` hedge, ``1`` speculative,
        ``2`` Ponzi), broadcast shape of the arguments.

    Raises
    ------
    ValueError
        If an argument is not finite, interest or principal is negative, or
        the shapes do not broadcast.

    Examples
    --------
    >>> minsky_class([5.0, 3.0, 0.5, -1.0], [1.0, 1.0, 1.0, 0.0], [2.0, 4.0, 4.0, 0.0]).tolist()
    [0, 1, 2, 0]

    """
    c = _finite(operating_cash_flow, "operating_cash_flow")
    i = _finite(interest_due, "interest_due")
    k = _finite(principal_due, "principal_due")
    if np.any(i < 0):
        raise ValueError("interest_due must be non-negative")
    if np.any(k < 0):
        raise ValueError("principal_due must be non-negative")
    try:
        c, i, k = np.broadcast_arrays(c, i, k)
    except ValueError as err:
        raise ValueError(
            f"operating_cash_flow, interest_due and principal_due must broadcast: {err}"
        ) from err
    service = i + k
    out = np.full(c.shape, MinskyClass.PONZI, dtype=np.int64)
    out[c >= i] = MinskyClass.SPECULATIVE
    out[(c >= service) | (service == 0)] = MinskyClass.HEDGE
    return out


def minsky_of(operating_cash_flow: float, interest_due: float, principal_due: float) -> MinskyClass:
    """:func:`minsky_class` of one firm (scalars, no validation: the model's hot loop)."""
    service = interest_due + principal_due
    if operating_cash_flow >= service or service == 0:
        return MinskyClass.HEDGE
    if operating_cash_flow >= interest_due:
        return MinskyClass.SPECULATIVE
    return MinskyClass.PONZI


@dataclass(frozen=True)
class RegimeRules:
    """Thresholds of :func:`classify_regime`.

    Attributes
    ----------
    cascade_window : int
        Quarters. Two firms defaulting at most this many quarters apart
        (same quarter included) make a cascade. Non-negative.
    cascade_min : int
        This many defaults in one run make a cascade whatever their timing. At least 2.
    bust_drawdown : float
        Fraction in ``(0, 1]``: drawdown of aggregate valuation from its running
        peak that, with a lower end than start, makes a bust.
    boom_growth : float
        Aggregate valuation at the end must be at least this multiple of the
        start for a boom. Positive.
    boom_gw_growth : float
        Deployed GW at the end must be at least this multiple of the start for
        a boom (``1.0``: the build-out did not shrink). Non-negative.

    """

    cascade_window: int = 2
    cascade_min: int = 3
    bust_drawdown: float = 0.5
    boom_growth: float = 1.5
    boom_gw_growth: float = 1.0

    def __post_init__(self) -> None:
        """Validate the thresholds."""
        if not isinstance(self.cascade_window, int) or self.cascade_window < 0:
            raise ValueError(
                f"cascade_window must be a non-negative int, got {self.cascade_window!r}"
            )
        if not isinstance(self.cascade_min, int) or self.cascade_min < 2:
            raise ValueError(f"cascade_min must be an int >= 2, got {self.cascade_min!r}")
        if not 0.0 < self.bust_drawdown <= 1.0:
            raise ValueError(f"bust_drawdown must be in (0, 1], got {self.bust_drawdown!r}")
        if not (np.isfinite(self.boom_growth) and self.boom_growth > 0):
            raise ValueError(f"boom_growth must be positive, got {self.boom_growth!r}")
        if not (np.isfinite(self.boom_gw_growth) and self.boom_gw_growth >= 0):
            raise ValueError(f"boom_gw_growth must be non-negative, got {self.boom_gw_growth!r}")


def classify_regime(
    valuations: ArrayLike,
    defaulted: ArrayLike,
    deployed_gw: ArrayLike,
    rules: RegimeRules | None = None,
) -> Regime:
    r"""Label one run as cascade, bust, boom or soft landing.

    Let :math:`V_t = \sum_f` ``valuations[t, f]`` be aggregate valuation, the
    default quarter of a firm the first quarter its ``defaulted`` flag is set
    (see :func:`default_quarters`), and the drawdown the largest fall of
    :math:`V` from its running peak (see :func:`max_drawdown`). The first rule
    that holds wins:

    1. ``CASCADE``: at least ``rules.cascade_min`` firms default, or two
       firms default at most ``rules.cascade_window`` quarters apart.
    2. ``BUST``: a firm defaults, or the drawdown is at least
       ``rules.bust_drawdown`` and :math:`V_{T-1} < V_0`.
    3. ``BOOM``: :math:`V_{T-1} \ge` ``rules.boom_growth`` :math:`\cdot V_0` and
       ``deployed_gw[-1] >= rules.boom_gw_growth * deployed_gw[0]``
       (no default, by rule 2).
    4. ``SOFT_LANDING`` otherwise: no default and no deep, unrecovered
       crash, but no boom either (including a crash that was recovered).

    Parameters
    ----------
    valuations : array_like
        Shape ``(quarters, firms)``, USD bn; market or last-round valuation,
        ``0`` after default. Finite, non-negative, with :math:`V_0 > 0`.
    defaulted : array_like
        Shape ``(quarters, firms)``, bool; ``True`` while a firm is in default.
    deployed_gw : array_like
        Shape ``(quarters,)``, GW of AI compute deployed. Finite, non-negative.
    rules : RegimeRules, optional
        Thresholds; default ``RegimeRules()``.

    Returns
    -------
    Regime
        The label.

    Raises
    ------
    ValueError
        If shapes disagree, there are no quarters, values are not finite or
        negative, or the starting aggregate valuation is not positive.

    """
    rules = RegimeRules() if rules is None else rules
    v, d = _paths(valuations, defaulted)
    gw = _finite(deployed_gw, "deployed_gw")
    if gw.shape != (v.shape[0],):
        raise ValueError(f"deployed_gw must have shape ({v.shape[0]},), got {gw.shape}")
    if np.any(gw < 0):
        raise ValueError("deployed_gw must be non-negative")
    total = v.sum(axis=1)
    if total[0] <= 0:
        raise ValueError("valuations must have a positive aggregate in the first quarter")

    quarters = default_quarters(d)
    quarters = np.sort(quarters[quarters >= 0])
    if quarters.size >= rules.cascade_min or (
        quarters.size >= 2 and np.min(np.diff(quarters)) <= rules.cascade_window
    ):
        return Regime.CASCADE
    if quarters.size > 0 or (max_drawdown(total) >= rules.bust_drawdown and total[-1] < total[0]):
        return Regime.BUST
    if total[-1] >= rules.boom_growth * total[0] and gw[-1] >= rules.boom_gw_growth * gw[0]:
        return Regime.BOOM
    return Regime.SOFT_LANDING


@dataclass(frozen=True)
class RunSummary:
    """Per-run stress metrics from :func:`run_summary_metrics`.

    Per-firm tuples follow the order of ``firm_names``.

    Attributes
    ----------
    firm_names : tuple of str
        Firm labels.
    peak_valuation : tuple of float
        USD bn, highest valuation over the run.
    trough_valuation : tuple of float
        USD bn, lowest valuation over the run.
    max_drawdown : tuple of float
        Largest fall from a running peak, fraction in ``[0, 1]``.
    loss : tuple of float
        USD bn, value lost from the peak: peak minus final valuation (``>= 0``).
    default_quarter : tuple of int
        Quarter index of each firm's default, ``-1`` if it never defaults.
    n_defaults : int
        Number of firms that default.
    first_default_quarter : int
        Quarter of the first default, ``-1`` if none.
    cascade_size : int
        Defaults after the first one: ``n_defaults - 1``, or ``0`` if none.
    total_loss : float
        USD bn, sum of ``loss``.
    aggregate_max_drawdown : float
        Largest fall of aggregate valuation from its running peak, fraction.

    """

    firm_names: tuple[str, ...]
    peak_valuation: tuple[float, ...]
    trough_valuation: tuple[float, ...]
    max_drawdown: tuple[float, ...]
    loss: tuple[float, ...]
    default_quarter: tuple[int, ...]
    n_defaults: int
    first_default_quarter: int
    cascade_size: int
    total_loss: float
    aggregate_max_drawdown: float

    def to_dict(self) -> dict[str, float | int]:
        """Flatten into scalars, per-firm keys suffixed ``_<firm name>``.

        Returns
        -------
        dict
            E.g. ``{"n_defaults": 1, ..., "max_drawdown_NVIDIA": 0.4, ...}``.

        """
        out: dict[str, float | int] = {
            "n_defaults": self.n_defaults,
            "first_default_quarter": self.first_default_quarter,
            "cascade_size": self.cascade_size,
            "total_loss": self.total_loss,
            "aggregate_max_drawdown": self.aggregate_max_drawdown,
        }
        per_firm: dict[str, tuple[float, ...] | tuple[int, ...]] = {
            "peak_valuation": self.peak_valuation,
            "trough_valuation": self.trough_valuation,
            "max_drawdown": self.max_drawdown,
            "loss": self.loss,
            "default_quarter": self.default_quarter,
        }
        for key, values in per_firm.items():
            for name, value in zip(self.firm_names, values, strict=True):
                out[f"{key}_{name}"] = value
        return out


def run_summary_metrics(
    valuations: ArrayLike, defaulted: ArrayLike, firm_names: Sequence[str]
) -> RunSummary:
    """Summarise one run's valuation and default paths.

    Parameters
    ----------
    valuations : array_like
        Shape ``(quarters, firms)``, USD bn; finite, non-negative.
    defaulted : array_like
        Shape ``(quarters, firms)``, bool; ``True`` while a firm is in default
        (the first ``True`` is its default quarter).
    firm_names : sequence of str
        One unique, non-empty name per firm (column).

    Returns
    -------
    RunSummary
        Peaks, troughs, drawdowns, losses from peak and default timing; see
        its attributes for the definitions.

    Raises
    ------
    ValueError
        If shapes disagree, there are no quarters, values are not finite or
        negative, or names are not unique non-empty strings, one per firm.

    Examples
    --------
    >>> s = run_summary_metrics([[10.0, 4.0], [5.0, 6.0]], [[False, False], [True, False]],
    ...                         ["LabA", "Cloud"])
    >>> s.to_dict()["max_drawdown_LabA"], s.n_defaults, s.first_default_quarter
    (0.5, 1, 1)

    """
    v, d = _paths(valuations, defaulted)
    names = tuple(firm_names)
    if len(names) != v.shape[1]:
        raise ValueError(f"firm_names must have {v.shape[1]} names, got {len(names)}")
    if not all(isinstance(x, str) and x for x in names) or len(set(names)) != len(names):
        raise ValueError("firm_names must be unique non-empty strings")

    quarters = default_quarters(d)
    hit = quarters[quarters >= 0]
    n_defaults = int(hit.size)
    peak = v.max(axis=0)
    loss = peak - v[-1]
    return RunSummary(
        firm_names=names,
        peak_valuation=tuple(float(x) for x in peak),
        trough_valuation=tuple(float(x) for x in v.min(axis=0)),
        max_drawdown=tuple(float(x) for x in max_drawdown(v)),
        loss=tuple(float(x) for x in loss),
        default_quarter=tuple(int(x) for x in quarters),
        n_defaults=n_defaults,
        first_default_quarter=int(hit.min()) if n_defaults else -1,
        cascade_size=max(n_defaults - 1, 0),
        total_loss=float(loss.sum()),
        aggregate_max_drawdown=float(max_drawdown(v.sum(axis=1))),
    )


def default_quarters(defaulted: ArrayLike) -> NDArray[np.int64]:
    """First quarter in which each firm is flagged as defaulted.

    Parameters
    ----------
    defaulted : array_like
        Shape ``(quarters, firms)``, bool.

    Returns
    -------
    numpy.ndarray
        Shape ``(firms,)``, int64 quarter index, ``-1`` for firms never in default.

    Raises
    ------
    ValueError
        If ``defaulted`` is not 2-dimensional.

    Examples
    --------
    >>> default_quarters([[False, False], [False, True], [True, True]]).tolist()
    [2, 1]

    """
    d = np.asarray(defaulted, dtype=bool)
    if d.ndim != 2:
        raise ValueError(f"defaulted must be 2-dimensional, got shape {d.shape}")
    any_default = d.any(axis=0)
    return np.where(any_default, d.argmax(axis=0), -1).astype(np.int64)


def max_drawdown(path: ArrayLike) -> NDArray[np.float64]:
    r"""Largest relative fall from a running peak, along the first axis.

    .. math:: \mathrm{MDD} = \max_t \Big(1 - \frac{x_t}{\max_{s \le t} x_s}\Big)

    with the ratio taken as 1 while the running peak is zero.

    Parameters
    ----------
    path : array_like
        Shape ``(quarters,)`` or ``(quarters, firms)``; finite, non-negative.

    Returns
    -------
    numpy.ndarray
        Fraction in ``[0, 1]``; 0-d for a single path, shape ``(firms,)`` otherwise.

    Raises
    ------
    ValueError
        If ``path`` is empty, not 1- or 2-dimensional, not finite or negative.

    Examples
    --------
    >>> float(max_drawdown([1.0, 2.0, 1.0, 3.0, 2.4]))
    0.5

    """
    x = _finite(path, "path")
    if x.ndim not in (1, 2) or x.shape[0] == 0:
        raise ValueError(f"path must be a non-empty 1- or 2-dimensional array, got {x.shape}")
    if np.any(x < 0):
        raise ValueError("path must be non-negative")
    peak = np.maximum.accumulate(x, axis=0)
    ratio = np.ones_like(x)
    np.divide(x, peak, out=ratio, where=peak > 0)
    return np.asarray((1.0 - ratio).max(axis=0))


def _paths(
    valuations: ArrayLike, defaulted: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Validate a run's ``(quarters, firms)`` valuation and default paths."""
    v = _finite(valuations, "valuations")
    if v.ndim != 2 or v.shape[0] == 0:
        raise ValueError(f"valuations must be a (quarters, firms) array, got shape {v.shape}")
    if np.any(v < 0):
        raise ValueError("valuations must be non-negative")
    d = np.asarray(defaulted)
    if d.dtype != np.bool_:
        raise ValueError(f"defaulted must be a boolean array, got dtype {d.dtype}")
    if d.shape != v.shape:
        raise ValueError(f"defaulted must have the shape of valuations {v.shape}, got {d.shape}")
    return v, d


def _finite(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return ``x`` as a finite float64 array, else raise ``ValueError`` naming it."""
    try:
        v = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric: {err}") from err
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return v
