"""Statistics of one run's paths: default quarters, drawdowns, trailing sums.

Pure functions over plain arrays (quarters along the first axis), shared by the stress
summaries (:mod:`world.stress`) and the regime labels (:mod:`world.regimes`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["default_quarters", "max_drawdown", "trailing_sum"]


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


def trailing_sum(x: ArrayLike, window: int = 4) -> NDArray[np.float64]:
    r"""Sum over the last ``window`` quarters, annualised while fewer have passed.

    .. math:: T_t = \frac{w}{\min(t + 1, w)} \sum_{s = \max(0, t - w + 1)}^{t} x_s

    so the first quarters are scaled to a full window (quarter 0 counts four times
    for ``window = 4``): a flow per quarter becomes a flow per ``window`` quarters.

    Parameters
    ----------
    x : array_like
        Shape ``(quarters,)`` or ``(quarters, firms)``; finite.
    window : int
        Quarters summed (``4``: a year of quarterly flows). At least 1.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.

    Raises
    ------
    ValueError
        If ``x`` is empty, not 1- or 2-dimensional or not finite, or ``window < 1``.

    Examples
    --------
    >>> trailing_sum([1.0, 2.0, 3.0, 4.0, 5.0]).tolist()
    [4.0, 6.0, 8.0, 10.0, 14.0]

    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be an int >= 1, got {window!r}")
    v = _finite(x, "x")
    if v.ndim not in (1, 2) or v.shape[0] == 0:
        raise ValueError(f"x must be a non-empty 1- or 2-dimensional array, got {v.shape}")
    csum = np.cumsum(v, axis=0)
    out = csum.copy()
    out[window:] = csum[window:] - csum[:-window]
    counts = np.minimum(np.arange(1, v.shape[0] + 1), window).astype(np.float64)
    scale = window / counts
    return out * (scale if v.ndim == 1 else scale[:, None])
