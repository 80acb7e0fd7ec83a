"""The floor: a kernel that streams the trading kernel's bytes and does next to no work.

Per investor and pass it reads and writes exactly the arrays one pass of
:func:`world.trading.trade_quarter_kernel` reads and writes — strategy (int8),
capacity, tilt, cash, the listed columns of holdings and the pending orders — over
the same blocks (:func:`world.trading.block_bounds`) on all cores, with one add per
value. ``1 + 8 + 8 + 2·8 + 2·(2·8·n_listed)`` bytes per investor-pass (225 B for
six listed firms), :func:`world.trading.passes_per_quarter` passes per quarter. No
model can trade a quarter faster on this memory layout; the benchmarks report the
model's time as a multiple of it, measured in the same run.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from world.trading import block_bounds, passes_per_quarter

__all__ = ["bytes_per_investor_pass", "floor_quarters", "make_arrays"]


def bytes_per_investor_pass(n_listed: int) -> int:
    """Bytes one pass moves per investor (reads and writes)."""
    return 1 + 8 + 8 + 2 * 8 + 2 * 2 * 8 * n_listed


def make_arrays(n: int, n_assets: int, n_listed: int, seed: int = 0) -> tuple:
    """The arrays of a population of ``n`` investors, filled (every page touched)."""
    rng = np.random.default_rng(seed)
    types = rng.integers(0, 3, n).astype(np.int8)
    capacity = rng.random(n)
    tilt = rng.random(n)
    cash = rng.random(n)
    holdings = rng.random((n, n_assets))
    pending = rng.random((n, n_listed))
    listed_idx = np.arange(n_listed, dtype=np.int64)
    return types, capacity, tilt, cash, holdings, pending, listed_idx


@njit(cache=True)
def _floor_block(lo, hi, types, capacity, tilt, cash, holdings, pending, listed_idx, x):
    acc = 0.0
    for i in range(lo, hi):  # pragma: no cover - compiled
        a = capacity[i] + tilt[i] + types[i]
        c = cash[i]
        for j in range(listed_idx.shape[0]):
            k = listed_idx[j]
            h = holdings[i, k] + x
            holdings[i, k] = h
            pending[i, j] = pending[i, j] + x * a
            c += x * h
        cash[i] = c
        acc += a
    return acc


@njit(cache=True, parallel=True)
def _floor_pass(bounds, types, capacity, tilt, cash, holdings, pending, listed_idx, x, out):
    for b in prange(bounds.shape[0] - 1):
        out[b] = _floor_block(
            bounds[b], bounds[b + 1], types, capacity, tilt, cash, holdings, pending,
            listed_idx, x,
        )  # fmt: skip


def floor_quarters(arrays: tuple, quarters: int, sub_rounds: int) -> float:
    """Stream the arrays ``quarters × passes_per_quarter(sub_rounds)`` times; a checksum."""
    types = arrays[0]
    bounds = block_bounds(types.shape[0])
    out = np.zeros(bounds.shape[0] - 1)
    total = 0.0
    for _ in range(quarters * passes_per_quarter(sub_rounds)):
        if out.shape[0] == 1:  # one block: serial, as the trading kernel does
            out[0] = _floor_block(0, types.shape[0], *arrays, 1e-300)
        else:
            _floor_pass(bounds, *arrays, 1e-300, out)
        total += float(out.sum())
    return total
