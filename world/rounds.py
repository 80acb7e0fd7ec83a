"""Numba kernels of a primary funding round: bids, and the marginal bid by selection.

A round takes the valid bids best first (highest reservation valuation; equal
valuations by investor index) until the amount sought is covered. The marginal bid
is found by selection (O(n)) instead of sorting every bid: a large set of bids is
first put in buckets by the leading bits of their sort keys, then a weighted
quickselect runs in the bucket where the running total reaches the amount
(:func:`marginal_bid`).
The winners are put best first by a stable radix sort of their valuations
(:func:`best_first`), the order of ``numpy.argsort(-res, kind="stable")``.
:func:`primary_round` runs a whole round (bids, winners, settlement) in one compiled
call; :func:`secondary_quote` prices a tender of existing shares by a call auction
among the same valuations, without settling it. Called by
:class:`agents.investors.InvestorPopulation`; the kernels hold no state and draw no
random numbers.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from world.trading import block_bounds

__all__ = [
    "FAILED",
    "FULL",
    "UNDERSUBSCRIBED",
    "allocate",
    "best_first",
    "bids_above",
    "marginal_bid",
    "primary_round",
    "primary_round_into",
    "round_bids",
    "secondary_quote",
    "secondary_quote_into",
    "settle",
    "valuations",
]

FAILED, FULL, UNDERSUBSCRIBED = 0, 1, 2
"""Outcome codes of :func:`primary_round`: nothing sold; the amount sought; every valid bid."""


@njit(cache=True)
def _valuations_range(
    lo, hi, types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction,
    res, commit,
):  # fmt: skip  # pragma: no cover - compiled
    """Valuations and commitments of investors ``lo..hi-1`` (see :func:`round_bids`)."""
    for i in range(lo, hi):
        res[i] = anchors[types[i]] * np.exp(sentiment_weight * sentiment[i] + dispersion * eps[i])
        commit[i] = commit_fraction * max(cash[i], 0.0)


@njit(cache=True, parallel=True)
def _valuations_blocks(
    bounds, types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction,
    res, commit,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`_valuations_range` over the blocks of ``bounds``, on all threads."""
    for b in prange(bounds.shape[0] - 1):
        _valuations_range(
            bounds[b], bounds[b + 1], types, sentiment, cash, eps, anchors, sentiment_weight,
            dispersion, commit_fraction, res, commit,
        )  # fmt: skip


@njit(cache=True)
def valuations(
    types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction
):  # pragma: no cover - compiled
    """Every investor's reservation valuation and commitment (see :func:`round_bids`).

    Each investor's two values depend on its own row only, so a population of more
    than one block (:func:`world.trading.block_bounds`) computes them on all threads
    with the same bits.
    """
    n = types.shape[0]
    res = np.empty(n)
    commit = np.empty(n)
    _valuations_into(
        types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction,
        res, commit,
    )  # fmt: skip
    return res, commit


@njit(cache=True)
def _valuations_into(
    types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction, res,
    commit,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`valuations` written into ``res`` and ``commit`` (n each)."""
    n = types.shape[0]
    bounds = block_bounds(n)
    if bounds.shape[0] == 2:
        _valuations_range(
            bounds[0], bounds[1], types, sentiment, cash, eps, anchors, sentiment_weight,
            dispersion, commit_fraction, res, commit,
        )  # fmt: skip
    else:
        _valuations_blocks(
            bounds, types, sentiment, cash, eps, anchors, sentiment_weight, dispersion,
            commit_fraction, res, commit,
        )  # fmt: skip


@njit(cache=True)
def round_bids(
    types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction, floor, ask
):  # pragma: no cover - compiled
    """Bids of a primary round: reservation valuations, commitments, the valid bidders.

    Investor ``i`` values the issuer at ``anchors[type_i] · exp(sentiment_weight · s_i +
    dispersion · eps_i)`` and commits ``commit_fraction · max(cash_i, 0)``
    (:func:`valuations`); a bid is valid if its valuation is positive and at least
    ``floor`` and it commits money (a zero valuation would buy infinitely many shares).
    Returns the valuations, the commitments, the valid bidders' indices (ascending), the
    money committed at or above ``ask`` and the money of all valid bids (summed in
    investor order).
    """
    n = types.shape[0]
    res = np.empty(n)
    commit = np.empty(n)
    valid, at_ask, total = _round_bids_into(
        types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction,
        floor, ask, res, commit, np.empty(n, dtype=np.int64),
    )  # fmt: skip
    return res, commit, valid, at_ask, total


@njit(cache=True)
def _round_bids_into(
    types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction, floor,
    ask, res, commit, valid,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`round_bids` written into ``res``, ``commit`` and ``valid`` (n each).

    Returns the valid bidders (a view of ``valid``), the money at or above ``ask`` and
    the money of all valid bids.
    """
    n = types.shape[0]
    _valuations_into(
        types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction,
        res, commit,
    )  # fmt: skip
    m = 0
    at_ask = 0.0
    total = 0.0
    for i in range(n):
        r = res[i]
        c = commit[i]
        if r >= floor and r > 0.0 and c > 0.0:
            valid[m] = i
            m += 1
            total += c
        if r >= ask:
            at_ask += c
    return valid[:m], at_ask, total


@njit(cache=True, inline="always")
def _ranks_above(res, i, j):  # pragma: no cover - compiled
    """Bid ``i`` comes before bid ``j``: a higher valuation, or the same and a lower index."""
    return res[i] > res[j] or (res[i] == res[j] and i < j)


FEW_TIES = 32
"""Tied bids :func:`_sort_indices` puts in order by insertion; more are marked."""


@njit(cache=True)
def _sort_indices(idx, lo, hi, n):  # pragma: no cover - compiled
    """Sort the distinct investor indices ``idx[lo:hi]`` (all below ``n``) ascending, in place.

    Up to :data:`FEW_TIES` of them by insertion; more by marking them in an array of
    the ``n`` investors and reading it back in order (O(n): a population whose
    valuations are all equal stays linear). Plain loops: numba takes seconds to
    compile ``numpy.sort``.
    """
    if hi - lo <= FEW_TIES:
        for p in range(lo + 1, hi):
            v = idx[p]
            q = p - 1
            while q >= lo and idx[q] > v:
                idx[q + 1] = idx[q]
                q -= 1
            idx[q + 1] = v
        return
    marked = np.zeros(n, dtype=np.bool_)
    for p in range(lo, hi):
        marked[idx[p]] = True
    p = lo
    for i in range(n):
        if marked[i]:
            idx[p] = i
            p += 1


@njit(cache=True)
def marginal_bid(res, commit, valid, sought):  # pragma: no cover - compiled
    """The bid that completes ``sought`` when the valid bids are taken best first.

    Bids are ranked by valuation ``res`` (highest first; equal valuations by investor
    index, lowest first), and the marginal bid is the first whose commitment brings
    the running total to ``sought`` or more. Found by selection, not by sorting: from
    :data:`SELECT_MIN` bids, one pass buckets them by the leading bits of their sort
    keys; then a weighted quickselect (three-way partitions around a median-of-three
    pivot, O(n) expected) in the bucket that holds it. The bids' valuations and
    commitments move with their indices, so the partitions read memory in order. The
    caller checks ``sum(commit[valid]) >= sought``. Returns the investor index.
    """
    m = valid.shape[0]
    return _marginal_bid_into(
        res, commit, valid, sought, np.empty(m, dtype=np.int64), np.empty(m), np.empty(m)
    )


SELECT_BITS = 12
"""Bits of the sort key by which :func:`marginal_bid` first buckets a large set of bids."""
SELECT_MIN = 4_096
"""Valid bids from which :func:`marginal_bid` buckets them before its quickselect."""


@njit(cache=True, inline="always")
def _descending_keys(res, idx, keys):  # pragma: no cover - compiled
    """``keys[p]``: a key of ``res[idx[p]]`` whose unsigned order is descending value.

    The double's bits (``-0.0`` read as ``0.0``: equal values, equal keys), flipped so
    that unsigned order is the value's order (``~b`` for a negative value, the sign bit
    set for a positive), then all flipped. ``keys`` (uint64) is at least as long as
    ``idx``. Returns the least and the greatest key.
    """
    m = idx.shape[0]
    x = keys.view(np.float64)
    for p in range(m):
        x[p] = res[idx[p]] + 0.0  # -0.0 + 0.0 is 0.0
    sign = np.uint64(1) << np.uint64(63)
    k_min = ~np.uint64(0)
    k_max = np.uint64(0)
    for p in range(m):
        b = keys[p]
        k = ~(~b if b & sign else b | sign)
        keys[p] = k
        k_min = min(k_min, k)
        k_max = max(k_max, k)
    return k_min, k_max


@njit(cache=True, inline="always")
def _bucket_shift(k_min, k_max, bits):  # pragma: no cover - compiled
    """The least shift that puts the keys ``k_min..k_max`` in at most ``2**bits`` buckets."""
    shift = np.uint64(0)
    limit = np.uint64(1) << np.uint64(bits)
    while (k_max >> shift) - (k_min >> shift) >= limit:
        shift += np.uint64(1)
    return shift


@njit(cache=True)
def _marginal_bid_into(res, commit, valid, sought, idx, vals, wts):  # pragma: no cover
    """:func:`marginal_bid` working in ``idx``, ``vals`` and ``wts`` (at least m each).

    From :data:`SELECT_MIN` valid bids, one pass buckets them by the leading
    :data:`SELECT_BITS` bits in which their keys differ (best first; each bucket's
    bids and commitments counted) and the quickselect runs on the bucket where the
    running total reaches ``sought`` only: 2.7-3.0 ms for 930,000 bids, against 16-24 ms
    for a quickselect on them all, whose partitions mispredict a branch on almost every
    bid.
    """
    m = valid.shape[0]
    if m >= SELECT_MIN:
        bits = vals.view(np.uint64)
        k_min, k_max = _descending_keys(res, valid, bits)
        if k_min != k_max:
            shift = _bucket_shift(k_min, k_max, SELECT_BITS)
            base = k_min >> shift
            n_buckets = np.int64((k_max >> shift) - base) + 1
            sums = np.zeros(n_buckets)
            for p in range(m):
                sums[np.int64((bits[p] >> shift) - base)] += commit[valid[p]]
            chosen = n_buckets - 1
            above = 0.0  # the commitments of the buckets before the chosen one
            for b in range(n_buckets):
                if above + sums[b] >= sought:
                    chosen = b
                    break
                if b < n_buckets - 1:
                    above += sums[b]
            # the bucket's bids, in investor order (count <= p: a key is read before
            # its place is written)
            key = np.uint64(chosen) + base
            count = 0
            for p in range(m):
                if (bits[p] >> shift) == key:
                    i = valid[p]
                    idx[count] = i
                    vals[count] = res[i]
                    wts[count] = commit[i]
                    count += 1
            return _select(res, commit, idx, vals, wts, count, sought - above)
    for p in range(m):  # the bids' valuations and commitments move with their indices:
        idx[p] = valid[p]  # the partitions read them in order, not scattered over the
        vals[p] = res[idx[p]]  # population
        wts[p] = commit[idx[p]]
    return _select(res, commit, idx, vals, wts, m, sought)


@njit(cache=True)
def _select(res, commit, idx, vals, wts, count, need):  # pragma: no cover - compiled
    """The first of the bids ``idx[:count]`` (best first) whose running total reaches ``need``.

    ``vals`` and ``wts`` hold their valuations and commitments; a weighted quickselect
    with three-way partitions around a median-of-three pivot.
    """
    lo = 0
    hi = count
    while hi - lo > 1:
        x = vals[lo]
        y = vals[(lo + hi) // 2]
        z = vals[hi - 1]
        pivot = max(min(x, y), min(max(x, y), z))
        # three-way partition of [lo, hi): above the pivot | equal | below
        lt = lo
        i = lo
        gt = hi
        while i < gt:
            v = vals[i]
            if v > pivot:
                idx[lt], idx[i] = idx[i], idx[lt]
                vals[lt], vals[i] = vals[i], vals[lt]
                wts[lt], wts[i] = wts[i], wts[lt]
                lt += 1
                i += 1
            elif v < pivot:
                gt -= 1
                idx[gt], idx[i] = idx[i], idx[gt]
                vals[gt], vals[i] = vals[i], vals[gt]
                wts[gt], wts[i] = wts[i], wts[gt]
            else:
                i += 1
        w_above = 0.0
        for p in range(lo, lt):
            w_above += wts[p]
        if w_above >= need:
            hi = lt
            continue
        w_equal = 0.0
        for p in range(lt, gt):
            w_equal += wts[p]
        if w_above + w_equal >= need or gt == hi:
            # the marginal bid has the pivot's valuation: ties go by investor index
            need -= w_above
            _sort_indices(idx, lt, gt, res.shape[0])
            for p in range(lt, gt - 1):
                need -= commit[idx[p]]
                if need <= 0.0:
                    return idx[p]
            return idx[gt - 1]
        need -= w_above + w_equal
        lo = gt
    return idx[lo]


@njit(cache=True)
def bids_above(res, valid, marginal):  # pragma: no cover - compiled
    """The valid bids ranked before ``marginal`` (investor indices, ascending)."""
    return _bids_above_into(res, valid, marginal, np.empty(valid.shape[0], dtype=np.int64))


@njit(cache=True)
def _bids_above_into(res, valid, marginal, out):  # pragma: no cover - compiled
    """:func:`bids_above` into ``out`` (at least as long as ``valid``); returns a view."""
    m = 0
    for p in range(valid.shape[0]):
        i = valid[p]
        if _ranks_above(res, i, marginal):
            out[m] = i
            m += 1
    return out[:m]


RADIX_BITS = 8
"""Bits of the sort key taken per pass of :func:`best_first` (256 buckets)."""


@njit(cache=True)
def best_first(res, idx):  # pragma: no cover - compiled
    """``idx`` ordered by valuation ``res`` (highest first), equal ones kept in ``idx``'s order.

    The order of ``idx[numpy.argsort(-res[idx], kind="stable")]`` for valuations that are
    not NaN, found by a least-significant-digit radix sort of 64-bit keys: a double's
    bits (``-0.0`` read as ``0.0``), flipped so that unsigned order is descending value.
    A pass whose digit is the same for every key moves nothing and is skipped.
    """
    m = idx.shape[0]
    out = np.empty(m, dtype=np.int64)
    _best_first_into(
        res, idx, np.empty(m, dtype=np.uint64), np.empty(m, dtype=np.uint64), out,
        np.empty(m, dtype=np.int64),
    )  # fmt: skip
    return out


@njit(cache=True)
def _best_first_into(res, idx, keys, keys_tmp, order, order_tmp):  # pragma: no cover - compiled
    """:func:`best_first` into ``order`` (as long as ``idx``), working in the other arrays.

    ``keys`` and ``keys_tmp`` (uint64) and ``order_tmp`` are at least as long as
    ``idx``; the caller keeps them between rounds, so that a large round maps no fresh
    pages (about a tenth of the sort's time at 740,000 winners).
    """
    m = idx.shape[0]
    _descending_keys(res, idx, keys)
    n_buckets = 1 << RADIX_BITS
    n_passes = 64 // RADIX_BITS
    mask = np.uint64(n_buckets - 1)
    start = np.zeros((n_passes, n_buckets + 1), dtype=np.int64)
    for p in range(m):  # every pass's digit counts in one read of the keys
        k = keys[p]
        for d in range(n_passes):
            start[d, ((k >> np.uint64(d * RADIX_BITS)) & mask) + 1] += 1
    for p in range(m):
        order[p] = idx[p]
    flips = 0
    for d in range(n_passes):
        count = start[d]
        shared = False  # one digit for all: this pass changes nothing
        for b in range(n_buckets):
            shared |= count[b + 1] == m
        if shared:
            continue
        for b in range(n_buckets):
            count[b + 1] += count[b]
        flips += 1
        sh = np.uint64(d * RADIX_BITS)
        for p in range(m):
            b = (keys[p] >> sh) & mask
            q = count[b]
            count[b] = q + 1
            order_tmp[q] = order[p]
            keys_tmp[q] = keys[p]
        order, order_tmp = order_tmp, order
        keys, keys_tmp = keys_tmp, keys
    if flips % 2 == 1:  # the last pass wrote the _tmp arrays: the caller's order is there
        for p in range(m):
            order_tmp[p] = order[p]


@njit(cache=True)
def allocate(res, commit, valid, sought):  # pragma: no cover - compiled
    """Winners of a covered round (best first) and their fills.

    The marginal bid is the first, best first, whose commitment brings the running
    total to ``sought``. It is found by selection (:func:`marginal_bid`); only the
    winners are then sorted (O(n + m log m) for m winners) and their running total taken
    in that order (``numpy.cumsum``'s order), so fills and sums are the same, bit for
    bit, as those of a sort of every bid. Should that running total disagree with the
    selection at the last bit, the marginal bid moves by one place (none is left to move
    to: every valid bid wins). The last winner's fill is what completes ``sought``.
    """
    v = valid.shape[0]
    won, fills, _ = _allocate_into(
        res, commit, valid, sought, np.empty(v, dtype=np.int64), np.empty(v), np.empty(v),
        np.empty(v, dtype=np.int64), np.empty(v),
    )  # fmt: skip
    return won, fills


@njit(cache=True)
def _allocate_into(
    res, commit, valid, sought, idx, vals, wts, winners, cum
):  # pragma: no cover - compiled
    """:func:`allocate` working in the caller's scratch.

    ``idx``, ``vals``, ``wts``, ``winners`` and ``cum`` are each at least as long as
    ``valid`` (``vals`` and ``wts`` hold the winners' sort keys, ``cum`` the sort's
    other copy of them until the running total is taken); the winners and fills it
    returns are new arrays. The third value it returns is the number of bids the
    selection left in ``idx``, in investor order with the marginal bid last: they are
    the winners if there are as many winners (the running total moves the marginal bid
    by adding or dropping one, never both).
    """
    marginal = _marginal_bid_into(res, commit, valid, sought, idx, vals, wts)
    above = _bids_above_into(res, valid, marginal, idx)  # (the selection is done with idx)
    w = above.shape[0] + 1
    w_selected = w
    idx[w - 1] = marginal  # the winners, in investor order but the marginal bid last
    # sorted into winners, the keys in vals and wts, the radix sort's other copy in cum
    _best_first_into(
        res, idx[:w], vals.view(np.uint64), wts.view(np.uint64), winners[:w],
        cum.view(np.int64)[:w],
    )  # fmt: skip
    acc = 0.0
    for p in range(w):
        acc += commit[winners[p]]
        cum[p] = acc
    while w > 1 and cum[w - 2] >= sought:  # the previous bid completes it
        w -= 1
    while cum[w - 1] < sought and w < valid.shape[0]:  # the next bid completes it
        taken = np.zeros(res.shape[0], dtype=np.bool_)
        for p in range(w):
            taken[winners[p]] = True
        nxt = -1
        for i in valid:
            if not taken[i] and (nxt < 0 or _ranks_above(res, i, nxt)):
                nxt = i
        winners[w] = nxt
        cum[w] = cum[w - 1] + commit[nxt]
        w += 1
    won = np.empty(w, dtype=np.int64)
    fills = np.empty(w)
    for p in range(w):
        won[p] = winners[p]
        fills[p] = commit[winners[p]]
    fills[w - 1] = sought - (cum[w - 2] if w > 1 else 0.0)
    return won, fills, w_selected


SCATTERED = 16
"""Winners fewer than one investor in this many are settled directly, in the winners' order."""


@njit(cache=True)
def settle(cash, holdings, asset, winners, fills, price):  # pragma: no cover - compiled
    """The winners pay their ``fills`` (USD bn) and get ``fills / price`` shares of ``asset``.

    ``winners`` are distinct investors and every fill is positive. Returns the new
    shares per winner (bn shares), in the winners' order. Each investor's books change
    once, so the order of the updates does not change them: a round with many winners
    (best first, scattered over the population) writes each fill next to its investor
    and then updates the books in investor order, reading memory in order.
    """
    return _settle_into(cash, holdings, asset, winners, fills, price, np.empty(cash.shape[0]))


@njit(cache=True)
def _settle_into(cash, holdings, asset, winners, fills, price, fill_of):  # pragma: no cover
    """:func:`settle` working in ``fill_of`` (n floats, any content): no fresh pages."""
    w = winners.shape[0]
    n = cash.shape[0]
    shares = np.empty(w)
    for p in range(w):
        shares[p] = fills[p] / price
    if w * SCATTERED < n:
        for p in range(w):
            i = winners[p]
            cash[i] -= fills[p]
            holdings[i, asset] += shares[p]
        return shares
    for i in range(n):
        fill_of[i] = 0.0
    for p in range(w):
        fill_of[winners[p]] = fills[p]
    for i in range(n):
        f = fill_of[i]
        if f > 0.0:
            cash[i] -= f
            holdings[i, asset] += f / price
    return shares


@njit(cache=True)
def _settle_in_order(cash, holdings, asset, bidders, commit, last_fill, price):  # pragma: no cover
    """Settle ``bidders`` (investor order): each pays its commitment, the last ``last_fill``.

    The same update of each investor's books as :func:`settle` (whose order does not
    change them), reading the books in investor order with no array of fills by
    investor: at 1e6 investors and 740,000 winners a round took 52-57 ms against 69-79.
    """
    w = bidders.shape[0]
    for p in range(w):
        i = bidders[p]
        f = commit[i] if p < w - 1 else last_fill
        cash[i] -= f
        holdings[i, asset] += f / price


@njit(cache=True)
def primary_round(
    types, sentiment, cash, holdings, eps, anchors, sentiment_weight, dispersion, commit_fraction,
    floor, ask, sought, min_subscription, asset, shares_pre,
):  # fmt: skip  # pragma: no cover - compiled
    """A whole primary round of ``asset``: bids, winners and fills, settlement (in place).

    The bids of :func:`round_bids` (same arguments). A round whose valid bids are
    none or commit less than ``min_subscription × sought`` fails (:data:`FAILED`:
    nothing changes). One they cover is :data:`FULL`: the winners and fills of
    :func:`allocate`. Otherwise every valid bid wins (:data:`UNDERSUBSCRIBED`; sorted
    by :func:`best_first`, so sums taken in the winners' order match a full round's)
    and is filled in full. The pre-money valuation is the last winner's valuation, at
    most ``ask``; the winners pay at ``pre / shares_pre`` per share (:func:`settle`).

    Returns the outcome code, the fills (USD bn) and new shares (bn shares) of the
    winners in order (empty if the round failed), the pre-money valuation and the
    price per share (NaN if failed), the money committed at or above ``ask`` and the
    money of all valid bids.
    """
    n = types.shape[0]
    return primary_round_into(
        types, sentiment, cash, holdings, eps, anchors, sentiment_weight, dispersion,
        commit_fraction, floor, ask, sought, min_subscription, asset, shares_pre,
        np.empty(ROUND_FLOATS * n), np.empty(ROUND_INTS * n, dtype=np.int64),
    )  # fmt: skip


ROUND_FLOATS, ROUND_INTS = 5, 3
"""Scratch of a round per investor: floats (valuations, commitments, the selection's
valuations and commitments — then the winners' sort keys, then the settlement's fills
by investor — and the running total, which first holds the sort's other copy) and
indices (valid bids, the selection's indices, the winners); :data:`QUOTE_FLOATS` ≤
``ROUND_FLOATS``, so one buffer serves both."""


@njit(cache=True)
def primary_round_into(
    types, sentiment, cash, holdings, eps, anchors, sentiment_weight, dispersion, commit_fraction,
    floor, ask, sought, min_subscription, asset, shares_pre, floats, ints,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`primary_round` working in the caller's scratch.

    ``floats`` (at least ``ROUND_FLOATS × n``) and ``ints`` (int64, at least
    ``ROUND_INTS × n``) are kept by the caller between rounds, so that a large population
    maps no fresh pages each round. Same results, bit for bit; the arrays it returns are
    new.
    """
    n = types.shape[0]
    res = floats[0:n]
    commit = floats[n : 2 * n]
    valid, at_ask, total = _round_bids_into(
        types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction,
        floor, ask, res, commit, ints[0:n],
    )  # fmt: skip
    if valid.shape[0] == 0 or total < min_subscription * sought:
        none = np.empty(0)
        return FAILED, none, none, np.nan, np.nan, at_ask, total
    in_order = valid  # the winners in investor order if as many (the last one last)
    if total >= sought:
        winners, fills, w_in_order = _allocate_into(
            res, commit, valid, sought, ints[n : 2 * n], floats[2 * n : 3 * n],
            floats[3 * n : 4 * n], ints[2 * n : 3 * n], floats[4 * n : 5 * n],
        )  # fmt: skip
        in_order = ints[n : n + w_in_order]
        outcome = FULL
    else:
        m = valid.shape[0]
        winners = ints[n : n + m]
        _best_first_into(
            res, valid, floats[2 * n : 3 * n].view(np.uint64),
            floats[3 * n : 4 * n].view(np.uint64), winners, ints[2 * n : 2 * n + m],
        )  # fmt: skip
        fills = np.empty(winners.shape[0])
        for p in range(winners.shape[0]):
            fills[p] = commit[winners[p]]
        outcome = UNDERSUBSCRIBED
    w = winners.shape[0]
    pre = min(res[winners[w - 1]], ask)
    pps = pre / shares_pre
    if in_order.shape[0] == w and w * SCATTERED >= n:  # many winners: in investor order
        shares = np.empty(w)
        for p in range(w):
            shares[p] = fills[p] / pps
        last = fills[w - 1] if outcome == FULL else commit[in_order[w - 1]]  # its own fill
        _settle_in_order(cash, holdings, asset, in_order, commit, last, pps)
    else:
        shares = _settle_into(cash, holdings, asset, winners, fills, pps, floats[2 * n : 3 * n])
    return outcome, fills, shares, pre, pps, at_ask, total


@njit(cache=True)
def secondary_quote(
    types, sentiment, cash, held, eps, anchors, sentiment_weight, dispersion, commit_fraction,
    offered, shares_out, low, high,
):  # fmt: skip  # pragma: no cover - compiled
    """The valuation at which a call auction of existing shares clears, in ``[low, high]``.

    Each investor values the issuer as in :func:`round_bids`: at a valuation ``V``
    below its own it bids its commitment (USD bn), at or above it offers ``held`` bn
    shares (its ask); the holders of the tender offer ``offered`` bn shares at any
    price. The excess demand ``E(V)`` — the money bid less the value offered,
    ``V / shares_out`` per share — falls with ``V``; the quote is the highest ``V``
    with ``E(V) ≥ 0``. Bisection on ``log V`` that sets aside, at each step, the bids
    outside the bracket (their money or shares then count whatever ``V`` in it), so
    the work is about two passes over the investors; once no valuation is left inside
    the bracket ``E`` is linear and the crossing exact. Returns (:data:`FAILED`,
    ``low``) if the bids fall short even at ``low``, (:data:`FULL`, ``high``) if
    they exceed the offer even at ``high``, else (:data:`FULL`, ``V``). Nothing is
    settled.
    """
    return secondary_quote_into(
        types, sentiment, cash, held, eps, anchors, sentiment_weight, dispersion,
        commit_fraction, offered, shares_out, low, high, np.empty(QUOTE_FLOATS * types.shape[0]),
    )  # fmt: skip


QUOTE_FLOATS = 5
"""Scratch floats of a quote per investor: valuations, commitments, and the valuations,
money and shares of the bids inside the bracket."""


@njit(cache=True)
def secondary_quote_into(
    types, sentiment, cash, held, eps, anchors, sentiment_weight, dispersion, commit_fraction,
    offered, shares_out, low, high, floats,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`secondary_quote` working in the caller's scratch.

    ``floats`` holds at least ``QUOTE_FLOATS × n``; the same result, bit for bit.
    """
    n = types.shape[0]
    res = floats[0:n]
    commit = floats[n : 2 * n]
    _valuations_into(
        types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction,
        res, commit,
    )  # fmt: skip
    # money bid above the bracket, shares offered below it; the bids inside it, their
    # valuations, money and shares side by side (the bisection reads them in order)
    bid, supply = 0.0, offered
    r_in = floats[2 * n : 3 * n]
    c_in = floats[3 * n : 4 * n]
    h_in = floats[4 * n : 5 * n]
    m = 0
    # No branch here or in the bisection's loops: a bid's side of a valuation is a coin
    # toss to the branch predictor, and selects (adding 0.0, or writing every bid where
    # the next one overwrites it unless it is kept) give the same sums in the same order.
    # The slowest quotes of a 1e6 run took 11-16 ms against 20-22 ms with branches.
    for i in range(n):
        r, c, h = res[i], commit[i], held[i]
        over, under = r > high, r <= low
        bid += c if over else 0.0
        supply += h if under else 0.0
        r_in[m] = r
        c_in[m] = c
        h_in[m] = h
        m += 1 - (over | under)  # inside the bracket (NaN too, as before)
    if bid + _sum_first(c_in, m) - low / shares_out * supply < 0.0:
        return FAILED, low
    if bid - high / shares_out * (supply + _sum_first(h_in, m)) >= 0.0:
        return FULL, high
    lo, hi = np.log(low), np.log(high)
    for _ in range(64):
        if m == 0:
            break
        mid = 0.5 * (lo + hi)
        v = np.exp(mid)
        above, below = 0.0, 0.0
        for p in range(m):
            up = r_in[p] > v
            above += c_in[p] if up else 0.0
            below += 0.0 if up else h_in[p]
        upper = bid + above - v / shares_out * (supply + below) >= 0.0
        if upper:
            lo = mid  # the bids at or below v offer shares throughout the new bracket
            supply += below
        else:
            hi = mid  # the bids above v bid money throughout the new bracket
            bid += above
        keep = 0
        for p in range(m):  # keep the bids inside the new bracket, in order
            r = r_in[p]
            r_in[keep] = r
            c_in[keep] = c_in[p]
            h_in[keep] = h_in[p]
            keep += (r > v) == upper
        m = keep
    if m > 0:  # valuations closer than a 2**-64 share of the bracket: take its middle
        return FULL, np.exp(0.5 * (lo + hi))
    # no valuation inside (lo, hi]: bid − V/S·supply = 0 has its root in the bracket
    value = shares_out * bid / supply
    low_v, high_v = np.exp(lo), np.exp(hi)
    value = low_v if value < low_v else value
    return FULL, high_v if value > high_v else value


@njit(cache=True)
def _sum_first(values, m):  # pragma: no cover - compiled
    """The first ``m`` of ``values``, summed in order."""
    total = 0.0
    for p in range(m):
        total += values[p]
    return total
