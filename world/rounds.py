"""Numba kernels of a primary funding round: bids, and the marginal bid by selection.

A round takes the valid bids best first (highest reservation valuation; equal
valuations by investor index) until the amount sought is covered. The marginal bid
is found by a weighted quickselect (O(n) expected) instead of sorting every bid.
Called by :meth:`agents.investors.InvestorPopulation.funding_round`; the kernels hold
no state and draw no random numbers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bids_above", "marginal_bid", "round_bids"]


@njit(cache=True)
def round_bids(
    types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction, floor, ask
):  # pragma: no cover - compiled
    """Bids of a primary round: reservation valuations, commitments, the valid bidders.

    Investor ``i`` values the issuer at ``anchors[type_i] · exp(sentiment_weight · s_i +
    dispersion · eps_i)`` and commits ``commit_fraction · max(cash_i, 0)``; a bid is
    valid if its valuation is positive and at least ``floor`` and it commits money (a
    zero valuation would buy infinitely many shares). Returns the
    valuations, the commitments, the valid bidders' indices (ascending), the money
    committed at or above ``ask`` and the money of all valid bids (summed in investor
    order).
    """
    n = types.shape[0]
    res = np.empty(n)
    commit = np.empty(n)
    valid = np.empty(n, dtype=np.int64)
    m = 0
    at_ask = 0.0
    total = 0.0
    for i in range(n):
        r = anchors[types[i]] * np.exp(sentiment_weight * sentiment[i] + dispersion * eps[i])
        c = commit_fraction * max(cash[i], 0.0)
        res[i] = r
        commit[i] = c
        if r >= floor and r > 0.0 and c > 0.0:
            valid[m] = i
            m += 1
            total += c
        if r >= ask:
            at_ask += c
    return res, commit, valid[:m], at_ask, total


@njit(cache=True, inline="always")
def _ranks_above(res, i, j):  # pragma: no cover - compiled
    """Bid ``i`` comes before bid ``j``: a higher valuation, or the same and a lower index."""
    return res[i] > res[j] or (res[i] == res[j] and i < j)


@njit(cache=True)
def marginal_bid(res, commit, valid, sought):  # pragma: no cover - compiled
    """The bid that completes ``sought`` when the valid bids are taken best first.

    Bids are ranked by valuation ``res`` (highest first; equal valuations by investor
    index, lowest first), and the marginal bid is the first whose commitment brings
    the running total to ``sought`` or more. Found by a weighted quickselect (three-way
    partitions around a median-of-three pivot, O(n) expected), not by sorting. The
    caller checks ``sum(commit[valid]) >= sought``. Returns the investor index.
    """
    idx = valid.copy()
    lo = 0
    hi = idx.shape[0]
    need = sought
    while hi - lo > 1:
        x = res[idx[lo]]
        y = res[idx[(lo + hi) // 2]]
        z = res[idx[hi - 1]]
        pivot = max(min(x, y), min(max(x, y), z))
        # three-way partition of idx[lo:hi]: above the pivot | equal | below
        lt = lo
        i = lo
        gt = hi
        while i < gt:
            v = res[idx[i]]
            if v > pivot:
                idx[lt], idx[i] = idx[i], idx[lt]
                lt += 1
                i += 1
            elif v < pivot:
                gt -= 1
                idx[gt], idx[i] = idx[i], idx[gt]
            else:
                i += 1
        w_above = 0.0
        for p in range(lo, lt):
            w_above += commit[idx[p]]
        if w_above >= need:
            hi = lt
            continue
        w_equal = 0.0
        for p in range(lt, gt):
            w_equal += commit[idx[p]]
        if w_above + w_equal >= need or gt == hi:
            # the marginal bid has the pivot's valuation: ties go by investor index
            need -= w_above
            ties = np.sort(idx[lt:gt])
            for p in range(ties.shape[0] - 1):
                need -= commit[ties[p]]
                if need <= 0.0:
                    return ties[p]
            return ties[ties.shape[0] - 1]
        need -= w_above + w_equal
        lo = gt
    return idx[lo]


@njit(cache=True)
def bids_above(res, valid, marginal):  # pragma: no cover - compiled
    """The valid bids ranked before ``marginal`` (investor indices, ascending)."""
    out = np.empty(valid.shape[0], dtype=np.int64)
    m = 0
    for p in range(valid.shape[0]):
        i = valid[p]
        if _ranks_above(res, i, marginal):
            out[m] = i
            m += 1
    return out[:m]
