"""Stress labels and run metrics: Minsky classes, run summaries (and the regimes, re-exported).

Pure functions over plain arrays (one run's paths), used by the model and the
sweep reports; they know nothing about agents. Regime labels live in
:mod:`world.regimes` and path statistics in :mod:`world.pathstats`; both are
re-exported here.

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

from world.pathstats import _finite, _paths, default_quarters, max_drawdown, trailing_sum
from world.regimes import (
    REGIME_RULES,
    Regime,
    RegimeRules,
    RegimeStats,
    ai_exposed_value,
    classify_regime,
    regime_rule,
    regime_rules_text,
    regime_stats,
)

__all__ = [
    "REGIME_RULES",
    "MinskyClass",
    "Regime",
    "RegimeRules",
    "RegimeStats",
    "RunSummary",
    "ai_exposed_value",
    "classify_regime",
    "default_quarters",
    "max_drawdown",
    "minsky_class",
    "minsky_of",
    "regime_rule",
    "regime_rules_text",
    "regime_stats",
    "run_summary_metrics",
    "trailing_sum",
]


class MinskyClass(enum.IntEnum):
    """Minsky's financing postures ([M92]_)."""

    HEDGE = 0
    """Operating cash flow covers interest and principal due."""
    SPECULATIVE = 1
    """Operating cash flow covers interest but not principal: debt must be rolled over."""
    PONZI = 2
    """Operating cash flow does not cover interest: debt grows to pay debt."""


def minsky_class(
    operating_cash_flow: ArrayLike, interest_due: ArrayLike, principal_due: ArrayLike
) -> NDArray[np.int64]:
    """Classify firms as hedge, speculative or Ponzi financed ([M92]_).

    With operating cash flow ``c``, interest due ``i`` and principal due ``k``
    over the same period:

    * ``HEDGE`` if ``c >= i + k``;
    * ``SPECULATIVE`` if ``i <= c < i + k``;
    * ``PONZI`` if ``c < i``.

    Ties count in the firm's favour (exact cover is cover). A firm with only
    principal due (``i == 0``, ``k > 0``) is speculative if ``0 <= c < k`` and
    Ponzi if ``c < 0``: it must borrow to keep operating, so its debt grows.
    A firm with no debt service is hedge if ``c >= 0`` and Ponzi if ``c < 0``:
    ``c`` is what is left after the operating payments its contracts commit it to
    (compute rent, opex), and Minsky's hedge units are those "which can fulfill all
    of their contractual payment obligations by their cash flows" ([M92]_); a lab
    burning cash with no debt meets its compute contracts only with new money
    (equity, loans or asset sales), which is what makes it fragile.
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
    [0, 1, 2, 2]

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
    out[c >= service] = MinskyClass.HEDGE
    return out


def minsky_of(operating_cash_flow: float, interest_due: float, principal_due: float) -> MinskyClass:
    """:func:`minsky_class` of one firm (scalars, no validation: the model's hot loop)."""
    service = interest_due + principal_due
    if operating_cash_flow >= service:
        return MinskyClass.HEDGE
    if operating_cash_flow >= interest_due:
        return MinskyClass.SPECULATIVE
    return MinskyClass.PONZI


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
        per_firm: dict[str, tuple[float, ...]] = {
            "peak_valuation": self.peak_valuation,
            "trough_valuation": self.trough_valuation,
            "max_drawdown": self.max_drawdown,
            "loss": self.loss,
        }
        for key, values in per_firm.items():
            for name, value in zip(self.firm_names, values, strict=True):
                out[f"{key}_{name}"] = value
        # a loop of its own: the int quarters would be floats in a float-typed loop
        # variable once compiled with mypyc (runs/compile.py)
        for name, quarter in zip(self.firm_names, self.default_quarter, strict=True):
            out[f"default_quarter_{name}"] = quarter
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
