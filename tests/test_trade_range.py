"""The trading pass's shortcut past the cash caps gives the bits of the caps themselves.

:func:`world.trading._trade_range` skips the asset-by-asset cash caps of an investor
whose cash covers the total cost of its buys ``CASH_MARGIN`` times over (first tested
lane by lane, each buy against ``1 / (n_lanes × CASH_MARGIN)`` of the cash, then by the
sum of the lanes). The reference
below takes every cap asset by asset for every investor, in plain Python floats (the
same IEEE operations in the same order); both must agree bit for bit, on populations
drawn so that many investors sit near the edge: cash a little above or below their
buys' cost or either of the shortcut's tests, exactly at it, none, negative or NaN.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from world.trading import CASH_MARGIN, N_SUMS, _trade_range

N_ASSETS = 7
N_INVESTORS = 240


@njit
def _kernel(types, capacity, tilt, holdings, cash, pending, listed, price, fill, floats, signal,
            do_order, out):  # fmt: skip
    """:func:`_trade_range` over every investor, its sums into ``out``."""
    out[:, :] = 0.0
    _trade_range(
        0, types.shape[0], types, capacity, tilt, holdings, cash, pending, listed, price, fill,
        floats, signal, do_order, out,
    )  # fmt: skip


def _reference(types, capacity, tilt, holdings, cash, pending, listed, price, fill, floats,
               signal, do_order, out):  # fmt: skip
    """The pass with every cash cap checked asset by asset (the kernel's definition)."""
    n_l = len(listed)
    sums = [[0.0] * n_l for _ in range(N_SUMS)]
    for i in range(types.shape[0]):
        c = float(cash[i])
        h = [float(holdings[i, col]) for col in listed]
        q = [max(float(pending[i, j]), -h[j]) for j in range(n_l)]
        q = [q[j] * fill[j] if q[j] > 0.0 else q[j] for j in range(n_l)]
        amount = [q[j] * price[j] for j in range(n_l)]
        for j in range(n_l):
            a = amount[j]
            if a > c:
                a = max(c, 0.0)
                amount[j] = a
                q[j] = a / price[j]
            c -= a
        h = [h[j] + q[j] for j in range(n_l)]
        d = [0.0] * n_l
        if do_order:
            for j in range(n_l):
                outlook = signal[types[i], j] + tilt[i]
                d[j] = max(capacity[i] * floats[j] * outlook, -h[j])
            c_j = float(cash[i])
            reserved = 0.0
            for j in range(n_l):
                c_j -= amount[j]
                k = max(d[j], 0.0) * price[j]
                if k > c_j - reserved:
                    k = max(c_j - reserved, 0.0)
                    d[j] = k / price[j]
                reserved += k
        for j, col in enumerate(listed):
            holdings[i, col] = h[j]
            pending[i, j] = d[j]
        cash[i] = c
        for j in range(n_l):
            for s, x in enumerate((q[j], amount[j], abs(q[j]), d[j], max(d[j], 0.0))):
                sums[s][j] += x
    out[:] = sums


def _population(seed, listed):
    """A population whose cash sits near the cost of its buys, edge cases included."""
    rng = np.random.default_rng(seed)
    n, n_l = N_INVESTORS, len(listed)
    price = rng.lognormal(0.0, 1.0, n_l)
    fill = np.where(rng.random(n_l) < 0.3, rng.random(n_l), 1.0)
    floats = rng.lognormal(0.0, 0.5, n_l)
    signal = rng.normal(0.0, 1.0, (3, n_l))
    types = rng.integers(0, 3, n).astype(np.int8)
    capacity = rng.random(n) / n
    tilt = rng.normal(0.0, 0.3, n)
    holdings = rng.lognormal(0.0, 1.0, (n, N_ASSETS)) / n
    pending = rng.normal(0.0, 1.0, (n, n_l)) / n
    # what the investor's buys would cost before any cap: fills, then new orders
    q = np.maximum(pending, -holdings[:, list(listed)])
    q = np.where(q > 0.0, q * fill, q)
    h = holdings[:, list(listed)] + q
    order = capacity[:, None] * floats * (signal[types] + tilt[:, None])
    cost = np.maximum(q * price, 0.0).sum(axis=1) + np.maximum(order, -h).clip(0.0) @ price
    cash = cost * rng.choice([0.0, 0.5, 0.99, 1.0, 1.0 + 1e-12, 1.01, 2.0, 10.0], n)
    # or near the shortcut's own test: the buys' total cost times CASH_MARGIN
    each = np.maximum(q * price, 0.0) + np.maximum(order, -h).clip(0.0) * price
    near = rng.choice([1.0 - 2.0**-52, 1.0, 1.0 + 2.0**-52, 1.0 + 2.0**-30], n)
    edge = each.sum(axis=1) * CASH_MARGIN * near
    cash = np.where(rng.random(n) < 0.3, edge, cash)
    # or near the lane-by-lane test: the dearest buy times n_lanes × CASH_MARGIN
    lane_edge = each.max(axis=1) * (n_l * CASH_MARGIN) * rng.choice(
        [1.0 - 2.0**-52, 1.0, 1.0 + 2.0**-52, 1.0 + 2.0**-30], n
    )
    cash = np.where(rng.random(n) < 0.2, lane_edge, cash)
    cash[rng.random(n) < 0.05] = 0.0
    cash[rng.random(n) < 0.03] = -1e-3
    cash[rng.random(n) < 0.02] = math.nan
    return types, capacity, tilt, holdings, cash, pending, listed, price, fill, floats, signal


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    listed=st.sampled_from([(0, 1, 2, 3, 4, 5), (0, 2, 3, 4, 5, 6), (1, 2, 3), (4,)]),
    do_order=st.booleans(),
)
def test_shortcut_gives_the_bits_of_the_cash_caps(seed, listed, do_order):
    args = _population(seed, listed)
    mine = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    ref = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out_mine = np.zeros((N_SUMS, len(listed)))
    out_ref = np.zeros((N_SUMS, len(listed)))
    _kernel(*mine, do_order, out_mine)
    _reference(*ref, do_order, out_ref)
    for name, a, b in zip(
        ("holdings", "cash", "pending", "sums"),
        (mine[3], mine[4], mine[5], out_mine),
        (ref[3], ref[4], ref[5], out_ref),
        strict=True,
    ):
        assert a.tobytes() == b.tobytes(), name


def _shortcut_classes(seed, listed):
    """How many investors of a population pass the lane test, only the sum test, neither."""
    types, capacity, tilt, holdings, cash, pending, _, price, fill, floats, signal = _population(
        seed, listed
    )
    q = np.maximum(pending, -holdings[:, list(listed)])
    q = np.where(q > 0.0, q * fill, q)
    h = holdings[:, list(listed)] + q
    order = capacity[:, None] * floats * (signal[types] + tilt[:, None])
    each = np.maximum(q * price, 0.0) + np.maximum(order, -h).clip(0.0) * price
    by_lane = np.all(each <= (cash * (1.0 / (len(listed) * CASH_MARGIN)))[:, None], axis=1)
    by_sum = CASH_MARGIN * each.sum(axis=1) <= cash
    return int(by_lane.sum()), int((by_sum & ~by_lane).sum()), int((~by_sum & ~by_lane).sum())


def test_populations_reach_every_branch_of_the_shortcut():
    """The drawn populations have investors past the lane test, past only the sum, and neither.

    (Sums in numpy's order, not the kernel's: the counts, not the edge bits, are checked.)
    """
    for listed in [(0, 1, 2, 3, 4, 5), (1, 2, 3)]:
        lane, only_sum, neither = _shortcut_classes(7, listed)
        assert lane >= 20 and only_sum >= 20 and neither >= 20, (listed, lane, only_sum, neither)
