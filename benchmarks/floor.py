"""The floor: a kernel that streams the trading kernel's bytes and does next to no work.

Per investor and pass it reads and writes exactly the arrays that kind of pass of
:func:`world.trading.trade_quarter_kernel` reads and writes, over the same blocks
(:func:`world.trading.block_bounds`) on all cores, with one add per value:

* a sub-round: strategy (int8), capacity, tilt, cash and the listed columns of
  holdings and of the pending orders, each read and written but the first three
  (``1 + 8 + 8 + 2·8 + 2·(2·8·n_listed)`` bytes: 225 B for six listed firms);
* the first pass (news and the first sub-round): a sub-round's bytes, and every
  other column of holdings read (the wealth at the open values the whole row),
  sentiment read and written, the wealth at the open and the tilt written
  (``+ 8·(n_assets − n_listed) + 2·8 + 8 + 8``);
* the last pass (the last fills, switching, sentiment): a sub-round's bytes but
  capacity and tilt (no new orders), and the other holdings columns, the two
  uniforms, the sentiment's normal, the wealth at the open read, sentiment read and
  written (``− 2·8 + 8·(n_assets − n_listed) + 2·8 + 8 + 8 + 2·8``);
* the spread of sentiment: sentiment read (8 B).

:func:`bytes_per_investor_quarter` adds them up: 3,013 B a quarter for the baseline
(seven assets, six listed, twelve sub-rounds), against 13 × 225 = 2,925 B for a floor
that streams a sub-round's bytes on every pass (the floor of stops 44-48). Like the
trading loop, it asks the core for the holdings and pending rows
:data:`world.trading.AHEAD` investors ahead (:func:`world.trading._prefetch`): without
that, both were bound by the core's prefetcher stopping at every 4 KiB page, not by the
bytes, and the trading loop with it ran a sub-round in half the time of this floor
without it (stop 51; asking for every other array too made the floor slower, 56-57
against 51-52 ns an investor-quarter at 1e6). Like the trading loop, too, it reads and
writes an investor's listed holdings and pending orders as one vector each
(:func:`world.trading._row`) and indexes without numba's fix-up of negative indices
(:func:`world.trading._at`): with one scalar access per value and the fix-ups it took
51-52 ns an investor-quarter, with the vectors 35-36 (stop 51). No model can trade a
quarter faster on this memory layout; the benchmarks report the model's time as a
multiple of it, measured in the same run. The quarter's random draws, which
:mod:`agents.streams` writes before the kernel runs, are not in it: they are work.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from world.trading import (
    AHEAD,
    _at,
    _at2,
    _loose_sum,
    _prefetch,
    _row,
    _set_at,
    _set_row,
    _splat,
    block_bounds,
    passes_per_quarter,
)

__all__ = [
    "bytes_per_investor_pass",
    "bytes_per_investor_quarter",
    "floor_quarters",
    "make_arrays",
    "working_set_bytes",
]

OPEN, TRADE, CLOSE = 0, 1, 2
"""Kinds of pass, as in :mod:`world.trading`."""


def bytes_per_investor_pass(n_listed: int, n_assets: int | None = None, kind: int = TRADE) -> int:
    """Bytes one pass of ``kind`` moves per investor (reads and writes)."""
    sub_round = 1 + 8 + 8 + 2 * 8 + 2 * 2 * 8 * n_listed
    if kind == TRADE:
        return sub_round
    if n_assets is None:
        raise ValueError("n_assets is needed for the first and the last pass")
    other = 8 * (n_assets - n_listed)  # the holdings columns a sub-round does not read
    if kind == OPEN:  # + sentiment read and written, wealth at the open and tilt written
        return sub_round + other + 2 * 8 + 8 + 8
    # CLOSE: no capacity or tilt read; + two uniforms, a normal, the wealth at the
    # open read, sentiment read and written
    return sub_round - 2 * 8 + other + 2 * 8 + 8 + 8 + 2 * 8


def bytes_per_investor_quarter(n_assets: int, n_listed: int, sub_rounds: int) -> int:
    """Bytes a quarter's passes move per investor: first, sub-rounds, last, spread."""
    trades = passes_per_quarter(sub_rounds) - 2
    return (
        bytes_per_investor_pass(n_listed, n_assets, OPEN)
        + trades * bytes_per_investor_pass(n_listed)
        + bytes_per_investor_pass(n_listed, n_assets, CLOSE)
        + 8
    )


def make_arrays(n: int, n_assets: int, n_listed: int, seed: int = 0) -> tuple:
    """The arrays of a population of ``n`` investors, filled (every page touched).

    Strategy, capacity, tilt, cash, holdings, pending orders, the listed columns, and
    the arrays of the first and last passes: sentiment, wealth at the open, uniforms
    (2, n) and normals.
    """
    rng = np.random.default_rng(seed)
    types = rng.integers(0, 3, n).astype(np.int8)
    capacity = rng.random(n)
    tilt = rng.random(n)
    cash = rng.random(n)
    holdings = rng.random((n, n_assets))
    pending = rng.random((n, n_listed))
    listed_idx = np.arange(n_listed, dtype=np.int64)
    sentiment = rng.random(n)
    wealth0 = rng.random(n)
    uniforms = rng.random((2, n))
    normals = rng.random(n)
    return (
        types, capacity, tilt, cash, holdings, pending, listed_idx, sentiment, wealth0,
        uniforms, normals,
    )  # fmt: skip


def working_set_bytes(arrays: tuple) -> int:
    """Bytes of the arrays a quarter of the floor touches: all of ``arrays``.

    169 B an investor for seven assets, six listed (169 MB at 1e6). Set against the
    last-level cache: where they fit, the floor streams at the cache's speed.
    """
    return int(sum(a.nbytes for a in arrays))


@njit(cache=True)
def _floor_block(
    kind, lo, hi, cols, types, capacity, tilt, cash, holdings, pending, listed_idx, sentiment,
    wealth0, uniforms, normals, x,
):  # fmt: skip
    n_l = listed_idx.shape[0]
    n_rows = holdings.shape[0]
    acc = 0.0
    for i in range(lo, hi):  # pragma: no cover - compiled
        if i + AHEAD < n_rows:  # as the trading loop asks for them
            _prefetch(holdings, i + AHEAD)
            _prefetch(pending, i + AHEAD)
        # every index in range and not negative: no wraparound, as in the trading loop
        a = float(_at(types, i))
        if kind != CLOSE:  # new orders: capacity and tilt
            a += _at(capacity, i) + _at(tilt, i)
        c = _at(cash, i)
        h = _row(holdings, i, cols[0], cols) + _splat(x, cols)
        _set_row(holdings, i, cols[0], h)
        _set_row(pending, i, 0, _row(pending, i, 0, cols) + _splat(x * a, cols))
        c += x * _loose_sum(h)
        _set_at(cash, i, c)
        if kind != TRADE:  # the rest of the row, and sentiment
            for k in range(n_l, holdings.shape[1]):
                a += _at2(holdings, i, k)
            _set_at(sentiment, i, _at(sentiment, i) + x * a)
        if kind == OPEN:
            _set_at(wealth0, i, x * c)
            _set_at(tilt, i, x * a)
        elif kind == CLOSE:
            a += _at2(uniforms, 0, i) + _at2(uniforms, 1, i) + _at(normals, i) + _at(wealth0, i)
        acc += a
    return acc


@njit(cache=True, parallel=True)
def _floor_pass(
    kind, bounds, cols, types, capacity, tilt, cash, holdings, pending, listed_idx, sentiment,
    wealth0, uniforms, normals, x,
):  # fmt: skip
    out = np.empty(bounds.shape[0] - 1)
    for b in prange(bounds.shape[0] - 1):  # pragma: no cover - compiled
        out[b] = _floor_block(
            kind, bounds[b], bounds[b + 1], cols, types, capacity, tilt, cash, holdings, pending,
            listed_idx, sentiment, wealth0, uniforms, normals, x,
        )  # fmt: skip
    return out.sum()


@njit(cache=True)
def _spread_block(lo, hi, sentiment):
    acc = 0.0
    for i in range(lo, hi):  # pragma: no cover - compiled
        acc += sentiment[i] * sentiment[i]
    return acc


@njit(cache=True, parallel=True)
def _spread_pass(bounds, sentiment):
    out = np.empty(bounds.shape[0] - 1)
    for b in prange(bounds.shape[0] - 1):  # pragma: no cover - compiled
        out[b] = _spread_block(bounds[b], bounds[b + 1], sentiment)
    return out.sum()


def floor_quarters(arrays: tuple, quarters: int, sub_rounds: int) -> float:
    """Stream the arrays as ``quarters`` quarters of passes would; a checksum.

    Each quarter: the first pass, ``passes_per_quarter(sub_rounds) − 2`` sub-rounds,
    the last pass, and the spread of sentiment, on all cores (one block: serially, as
    the trading kernel does).
    """
    n = arrays[0].shape[0]
    bounds = block_bounds(n)
    one_block = bounds.shape[0] == 2
    kinds = [OPEN] + [TRADE] * (passes_per_quarter(sub_rounds) - 2) + [CLOSE]
    sentiment = arrays[7]
    cols = tuple(int(k) for k in arrays[6])
    total = 0.0
    for _ in range(quarters):
        for kind in kinds:
            if one_block:
                total += _floor_block(kind, 0, n, cols, *arrays, 1e-300)
            else:
                total += _floor_pass(kind, bounds, cols, *arrays, 1e-300)
        total += _spread_block(0, n, sentiment) if one_block else _spread_pass(bounds, sentiment)
    return total
