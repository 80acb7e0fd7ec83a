"""Fundamental values with bounded, fading growth expectations (pure kernels).

A firm's expected growth does not compound for ever: the growth investors expect in
quarter ``k`` ahead *fades* from today's expectation ``g0`` to the long-run rate
``g_inf`` (the standard "fade" of equity analysts, e.g. Damodaran's high-growth →
stable-growth transition)::

    g_k = g_inf + (g0 − g_inf) · φ^k,        k = 1, 2, …

so the cumulative growth ever expected is at most ``exp((g0 − g_inf) / (1 − φ))`` times
the long-run trend. Today's expectation is itself adaptive and bounded
(:func:`update_growth_expectation`), so fundamentals cannot explode whatever the
realised path.

Two valuations use the fade:

* :func:`fade_multiple` — value per unit of current cash flow (or revenue) of a cash
  flow growing along the fade, with a Gordon terminal value after the horizon;
* :func:`lab_prospects_value` — an AI lab's equity value from its revenue growth,
  its cost structure converging to long-run shares, and its contracted compute: what
  the lab must pay under take-or-pay contracts beyond what its revenue can carry at
  normal economics is a loss investors subtract, and its revenue never outgrows the
  macro limit on AI spending. A stall in revenue growth with large commitments
  therefore gives a low or negative value — the lab's rounds then fail.

All rates are per quarter, money in USD bn. No randomness, no model state.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "fade_growth_path",
    "fade_multiple",
    "fade_multiple_unchecked",
    "growth_expectation_unchecked",
    "lab_prospects_value",
    "lab_value_unchecked",
    "update_growth_expectation",
]

FloatArray = NDArray[np.float64]


@functools.lru_cache(maxsize=64)
def _powers(base: float, horizon: int, sign: float = 1.0) -> FloatArray:
    """``base ** (sign · k)`` for ``k = 1..horizon``, read-only.

    Cached: the kernels ask for the same few bases (fades, discount factors) every
    quarter.
    """
    out = base ** (sign * np.arange(1, horizon + 1, dtype=np.float64))
    out.flags.writeable = False
    return out


def _check_rates(r: float, g_inf: float, fade: float, horizon: int) -> None:
    if not (np.isfinite(r) and r > -1.0):
        raise ValueError(f"discount rate r must be finite and > -1, got {r!r}")
    if not (np.isfinite(g_inf) and g_inf < r):
        raise ValueError(f"g_inf must be finite and below the discount rate {r}, got {g_inf!r}")
    if not 0.0 <= fade < 1.0:
        raise ValueError(f"fade must lie in [0, 1), got {fade!r}")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1, got {horizon!r}")


def fade_growth_path(g0: ArrayLike, g_inf: float, fade: float, horizon: int) -> FloatArray:
    """Expected growth per quarter ``k = 1..horizon`` ahead, shape ``(..., horizon)``.

    Parameters
    ----------
    g0
        Today's growth expectation per quarter (scalar or array), each ``> -1``.
    g_inf
        Long-run growth per quarter.
    fade
        Share of the excess growth that survives each quarter, in ``[0, 1)``.
    horizon
        Number of quarters, ``>= 1``.
    """
    g = np.asarray(g0, dtype=np.float64)
    if not np.all(np.isfinite(g)) or np.any(g <= -1.0):
        raise ValueError(f"g0 must be finite and > -1, got {g0!r}")
    if not 0.0 <= fade < 1.0:
        raise ValueError(f"fade must lie in [0, 1), got {fade!r}")
    k = np.arange(1, int(horizon) + 1, dtype=np.float64)
    return g_inf + (g[..., None] - g_inf) * fade**k


def fade_multiple(g0: ArrayLike, r: float, g_inf: float, fade: float, horizon: int) -> FloatArray:
    """Value per unit of today's quarterly cash flow growing along the fade.

    ``M = Σ_{k=1..H} Π_{j≤k} (1 + g_j)/(1 + r)
    + Π_{j≤H} (1 + g_j)/(1 + r)^H · (1 + g_inf)/(r − g_inf)``

    Parameters
    ----------
    g0
        Today's growth expectation per quarter (scalar or array), ``> -1``.
    r
        Discount rate per quarter, above ``g_inf``.
    g_inf
        Long-run growth per quarter (also the terminal growth).
    fade
        Persistence of excess growth per quarter, in ``[0, 1)``.
    horizon
        Explicit forecast horizon in quarters, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        The multiple (quarters of cash flow), same shape as ``g0``; finite and bounded
        by the multiple at the largest ``g0``.
    """
    _check_rates(r, g_inf, fade, horizon)
    g = np.asarray(g0, dtype=np.float64)
    if not np.all(np.isfinite(g)) or np.any(g <= -1.0):
        raise ValueError(f"g0 must be finite and > -1, got {g0!r}")
    return fade_multiple_unchecked(g, r, g_inf, fade, int(horizon))


def fade_multiple_unchecked(
    g0: FloatArray, r: float, g_inf: float, fade: float, horizon: int
) -> FloatArray:
    """:func:`fade_multiple` without validation, for the model's hot path.

    One compiled pass per firm (:func:`_fade_multiples`) on the flattened ``g0``:
    the numpy expression's operations in its order, so the same floats.
    """
    g = np.asarray(g0, dtype=np.float64)
    out = _fade_multiples(g.ravel(), r, g_inf, _powers(fade, horizon))
    return out if g.ndim == 1 else out.reshape(g.shape)[()]  # (a 0-d g0: a numpy scalar)


_PAIRWISE_BLOCK = 128
"""numpy's pairwise summation adds runs of up to this many floats in one block."""


@njit(cache=True)
def _block_sum(a: FloatArray, start: int, n: int) -> float:
    """Sum of ``a[start:start + n]`` (``n <= 128``) in numpy's order: 8 partial sums."""
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - n % 8:
        j = start + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@njit(cache=True)
def _pairwise_sum(a: FloatArray) -> float:
    """``numpy.add.reduce(a)`` for a contiguous float64 ``a``: the same float.

    numpy sums in blocks (:func:`_block_sum`) and splits a longer run in two halves
    (a multiple of 8 first), adding the halves' sums; the result is added to the
    identity ``0.0``. The halving is done with an explicit stack (numba's cache does
    not keep recursive functions safely): a task is a run to sum or an addition of
    the two sums computed last.
    """
    starts = np.empty(192, np.int64)  # 3 tasks per halving; 2**64 floats at most
    sizes = np.empty(192, np.int64)  # -1: add the last two sums
    sums = np.empty(96)
    tasks, done = 1, 0
    starts[0], sizes[0] = 0, a.size
    while tasks:
        tasks -= 1
        start, n = starts[tasks], sizes[tasks]
        if n < 0:
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]
        elif n <= _PAIRWISE_BLOCK:
            sums[done] = _block_sum(a, start, n)
            done += 1
        else:
            half = n // 2
            half -= half % 8
            sizes[tasks] = -1  # after both halves: add them (left + right)
            starts[tasks + 1], sizes[tasks + 1] = start + half, n - half
            starts[tasks + 2], sizes[tasks + 2] = start, half
            tasks += 3
    return 0.0 + sums[0]


@njit(cache=True)
def _fade_multiples(g0: FloatArray, r: float, g_inf: float, powers: FloatArray) -> FloatArray:
    """The fade multiple of each ``g0[i]`` (``powers`` are ``fade ** k``, ``k = 1..H``)."""
    horizon = powers.size
    out = np.empty(g0.size)
    factors = np.empty(horizon)
    for i in range(g0.size):
        excess = g0[i] - g_inf
        acc = 1.0
        for k in range(horizon):
            step = (excess * powers[k] + g_inf + 1.0) / (1.0 + r)
            acc = step if k == 0 else acc * step
            factors[k] = acc
        terminal = factors[horizon - 1] * (1.0 + g_inf) / (r - g_inf)
        out[i] = _pairwise_sum(factors) + terminal
    return out


def update_growth_expectation(
    previous: ArrayLike,
    observed: ArrayLike,
    smoothing: float,
    g_min: float,
    g_max: float,
) -> FloatArray:
    """Adaptive, bounded growth expectation: ``clip(prev + a·(obs − prev), g_min, g_max)``.

    ``observed`` is the realised growth per quarter (e.g. of trailing-year revenue);
    NaN observations leave the expectation unchanged.
    """
    if not 0.0 < smoothing <= 1.0:
        raise ValueError(f"smoothing must lie in (0, 1], got {smoothing!r}")
    if not (-1.0 < g_min <= g_max):
        raise ValueError(f"need -1 < g_min <= g_max, got {g_min!r}, {g_max!r}")
    prev = np.asarray(previous, dtype=np.float64)
    obs = np.asarray(observed, dtype=np.float64)
    new = np.where(np.isnan(obs), prev, prev + smoothing * (obs - prev))
    return np.clip(new, g_min, g_max)


def growth_expectation_unchecked(
    previous: float, observed: float, smoothing: float, g_min: float, g_max: float
) -> float:
    """:func:`update_growth_expectation` of one firm without validation (the model's hot path).

    The same operations on Python floats: a NaN observation keeps the old value, then
    the floor and the cap, in ``numpy.clip``'s order.
    """
    new = previous if observed != observed else previous + smoothing * (observed - previous)
    new = g_min if g_min > new else new  # max(new, g_min), a NaN kept
    return g_max if g_max < new else new  # min(new, g_max)


def lab_prospects_value(
    revenue_q: float,
    g0: float,
    other_share_now: float,
    compute_share_now: float,
    committed_q: ArrayLike,
    *,
    other_share_lr: float,
    compute_share_lr: float,
    cost_fade: float,
    r: float,
    g_inf: float,
    fade: float,
    tax_rate: float = 0.0,
    revenue_cap_q: ArrayLike | None = None,
) -> float:
    """Equity value of an AI lab from its prospects (USD bn; may be negative).

    Expected revenue ``R_k = R · Π_{j≤k}(1 + g_j)`` follows the fade; costs per unit of
    revenue converge from today's shares to long-run shares at rate ``cost_fade``:
    other costs ``o_k`` (staff, R&D, sales) and compute ``c_k``. Compute is at least
    what the lab has contracted on take-or-pay terms: ``C_k = max(committed_k,
    c_k · R_k)``. Cash flow ``CF_k = R_k (1 − o_k) − C_k`` (taxed when positive) is
    discounted at ``r``; after the horizon (``len(committed_q)`` quarters) the
    long-run margin ``1 − o_lr − c_lr`` grows at ``g_inf`` (Gordon).

    Parameters
    ----------
    revenue_q
        Current revenue per quarter (trailing average), ``>= 0``.
    g0
        Today's revenue growth expectation per quarter, ``> -1``.
    other_share_now, compute_share_now
        Today's non-compute and compute costs as shares of revenue (``>= 0``; may
        exceed 1 for a lab that burns cash).
    committed_q
        Contracted minimum compute payments for each quarter ahead, USD bn, ``>= 0``;
        its length is the explicit horizon (``>= 1``).
    other_share_lr, compute_share_lr
        Long-run cost shares of revenue, ``>= 0``.
    cost_fade
        Persistence per quarter of today's excess cost shares, in ``[0, 1)``.
    r, g_inf, fade
        Discount rate, long-run growth and growth fade, per quarter.
    tax_rate
        Tax on positive cash flows.
    revenue_cap_q
        Most revenue the lab can have in each quarter ahead (USD bn, same length as
        ``committed_q``; e.g. the macro limit on AI spending): investors know no lab
        outgrows the economy it sells to. Default: no cap.
    """
    committed = np.asarray(committed_q, dtype=np.float64)
    horizon = committed.size
    _check_rates(r, g_inf, fade, horizon)
    if not 0.0 <= cost_fade < 1.0:
        raise ValueError(f"cost_fade must lie in [0, 1), got {cost_fade!r}")
    for name, v in (
        ("revenue_q", revenue_q),
        ("other_share_now", other_share_now),
        ("compute_share_now", compute_share_now),
        ("other_share_lr", other_share_lr),
        ("compute_share_lr", compute_share_lr),
    ):
        if not (np.isfinite(v) and v >= 0.0):
            raise ValueError(f"{name} must be finite and >= 0, got {v!r}")
    if not np.all(np.isfinite(committed)) or np.any(committed < 0.0):
        raise ValueError("committed_q must be finite and >= 0")
    if not (np.isfinite(g0) and g0 > -1.0):
        raise ValueError(f"g0 must be finite and > -1, got {g0!r}")
    cap = None
    if revenue_cap_q is not None:
        cap = np.asarray(revenue_cap_q, dtype=np.float64)
        if cap.shape != committed.shape or not np.all(cap > 0.0):
            raise ValueError("revenue_cap_q must be > 0 with one value per quarter ahead")
    return lab_value_unchecked(
        revenue_q, g0, other_share_now, compute_share_now, committed, other_share_lr,
        compute_share_lr, cost_fade, r, g_inf, fade, tax_rate, cap,
    )  # fmt: skip


def lab_value_unchecked(
    revenue_q: float,
    g0: float,
    other_share_now: float,
    compute_share_now: float,
    committed: FloatArray,
    other_share_lr: float,
    compute_share_lr: float,
    cost_fade: float,
    r: float,
    g_inf: float,
    fade: float,
    tax_rate: float,
    cap: FloatArray | None,
) -> float:
    """:func:`lab_prospects_value` without validation, for the model's hot path.

    The powers of the fades and of the discount factor come from a cache; the rest is
    one compiled pass (:func:`_lab_value`).
    """
    horizon = committed.size
    return _lab_value(
        revenue_q, g0, other_share_now, compute_share_now, committed, other_share_lr,
        compute_share_lr, r, g_inf, tax_rate, _powers(fade, horizon),
        _powers(cost_fade, horizon), _powers(1.0 + r, horizon, -1.0),
        _NO_CAP if cap is None else cap,
    )  # fmt: skip


_NO_CAP = np.empty(0)
"""The revenue cap of a lab value without one (:func:`_lab_value` reads an empty cap so)."""


@njit(cache=True)
def _lab_value(
    revenue_q: float,
    g0: float,
    other_share_now: float,
    compute_share_now: float,
    committed: FloatArray,
    other_share_lr: float,
    compute_share_lr: float,
    r: float,
    g_inf: float,
    tax_rate: float,
    fade_powers: FloatArray,
    cost_powers: FloatArray,
    discount: FloatArray,
    cap: FloatArray,
) -> float:
    """The lab value of :func:`lab_value_unchecked` in one pass over the horizon.

    The operations (and their order) of the numpy expression it replaced: revenue
    along the fade (a running product), capped; costs converging to their long-run
    shares; positive cash flows taxed; discounted and summed in numpy's pairwise order;
    plus the Gordon terminal value. ``cap`` is empty for no cap.
    """
    horizon = committed.size
    capped = cap.size > 0
    cf = np.empty(horizon)
    base = 1.0 + g_inf
    excess = g0 - g_inf
    after_tax = 1.0 - tax_rate
    acc = 1.0
    revenue = 0.0
    for k in range(horizon):
        step = base + excess * fade_powers[k]
        acc = step if k == 0 else acc * step
        revenue = revenue_q * acc
        if capped:
            limit = cap[k]
            # numpy.minimum: a NaN wins, on a tie the second
            revenue = revenue if revenue < limit or revenue != revenue else limit
        other = other_share_lr + (other_share_now - other_share_lr) * cost_powers[k]
        compute = compute_share_lr + (compute_share_now - compute_share_lr) * cost_powers[k]
        floor = committed[k]
        need = compute * revenue
        cost = floor if floor > need or floor != floor else need  # numpy.maximum
        flow = revenue * (1.0 - other) - cost
        if flow > 0.0:
            flow *= after_tax
        cf[k] = flow * discount[k]
    margin_lr = 1.0 - other_share_lr - compute_share_lr
    if 0.0 > margin_lr:  # max(margin_lr, 0.0)
        margin_lr = 0.0
    margin_lr *= after_tax
    terminal = revenue * margin_lr * (1.0 + g_inf) / (r - g_inf) * discount[horizon - 1]
    return _pairwise_sum(cf) + terminal
