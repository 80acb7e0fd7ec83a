"""Numba kernels of the investor population: one trading pass, portfolio values, switching.

One row per investor; the loops are serial on purpose (memory bound, and serial sums
are deterministic). Called by :class:`agents.investors.InvestorPopulation`; they hold
no state and draw no random numbers (the caller passes its draws in).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["end_of_quarter", "portfolio_values", "trade_pass"]


# --------------------------------------------------------------------------- #
# numba kernels of the population (one row per investor; serial on purpose:  #
# the loop is memory bound and serial sums are deterministic)                 #
# --------------------------------------------------------------------------- #


@njit(cache=True)
def trade_pass(
    types,
    capacity,
    tilt,
    holdings,
    cash,
    pending,
    listed_idx,
    float_shares,
    price,
    signal,
    do_order,
    out,
):  # pragma: no cover - compiled
    """Fill pending orders at ``price``, then submit new orders at the same quote (in place).

    Per investor ``i`` and listed asset ``j`` (in asset order): the pending order is
    filled at ``price[j]``, a sell capped by the holding, a buy by the cash in hand;
    then a new order ``capacity_i * float_j * (signal[type_i, j] + tilt_i)`` shares
    (``tilt_i``: sentiment tilt) is placed, a sell capped by the holding, a buy by
    the cash not yet reserved for this pass's other orders. ``out`` (4, n_listed)
    receives the sums of executed shares, cash paid by investors (USD bn), traded
    volume (shares) and submitted orders (shares).
    """
    n = types.shape[0]
    n_l = listed_idx.shape[0]
    out[:] = 0.0
    ex = out[0]
    paid = out[1]
    vol = out[2]
    sub = out[3]
    for i in range(n):
        c = cash[i]
        reserved = 0.0
        t = types[i]
        base = capacity[i]
        tl = tilt[i]
        for j in range(n_l):
            k = listed_idx[j]
            h = holdings[i, k]
            p = price[j]
            q = max(pending[i, j], -h)
            amount = q * p
            if amount > c:
                amount = max(c, 0.0)
                q = amount / p
            h += q
            c -= amount
            ex[j] += q
            paid[j] += amount
            vol[j] += abs(q)
            holdings[i, k] = h
            d = 0.0
            if do_order:
                d = max(base * float_shares[j] * (signal[t, j] + tl), -h)
                cost = max(d, 0.0) * p
                if cost > c - reserved:
                    cost = max(c - reserved, 0.0)
                    d = cost / p
                reserved += cost
                sub[j] += d
            pending[i, j] = d
        cash[i] = c


@njit(cache=True)
def portfolio_values(holdings, cash, price, news, out_wealth, out_news):  # pragma: no cover
    """Per investor: wealth ``cash + holdings @ price`` (USD bn) and value-weighted news."""
    n, k = holdings.shape
    for i in range(n):
        v = 0.0
        s = 0.0
        for j in range(k):
            x = holdings[i, j] * price[j]
            v += x
            s += x * news[j]
        out_wealth[i] = cash[i] + v
        out_news[i] = s / v if v > 0.0 else 0.0


@njit(cache=True)
def end_of_quarter(
    types,
    sentiment,
    holdings,
    cash,
    price,
    wealth_start,
    cum_probs,
    switch_rate,
    uniforms,
    normals,
    herd,
    return_sensitivity,
    sentiment_noise,
    decay,
):  # pragma: no cover - compiled
    """Strategy switching and sentiment update of every investor (in place).

    Investor ``i`` revises its strategy if ``uniforms[0, i] < switch_rate``, drawing
    the new one from the cumulative probabilities ``cum_probs`` with
    ``uniforms[1, i]``. Sentiment moves a share ``decay`` toward
    ``tanh(herd + return_sensitivity * R_i + sentiment_noise * normals[i])`` where
    ``R_i`` is the investor's return on wealth since ``wealth_start``.
    """
    n, k = holdings.shape
    m = cum_probs.shape[0]
    for i in range(n):
        if uniforms[0, i] < switch_rate:
            u = uniforms[1, i]
            t = 0
            while t < m - 1 and u >= cum_probs[t]:
                t += 1
            types[i] = t
        w = cash[i]
        for j in range(k):
            w += holdings[i, j] * price[j]
        w0 = wealth_start[i]
        ret = w / w0 - 1.0 if w0 > 0.0 else 0.0
        target = np.tanh(herd + return_sensitivity * ret + sentiment_noise * normals[i])
        sentiment[i] += decay * (target - sentiment[i])


@njit(cache=True)
def run_subrounds(
    types,
    capacity,
    tilt,
    holdings,
    cash,
    pending,
    listed_idx,
    float_shares,
    shares_out,
    fundamental,
    trend,
    mm_inventory,
    noise,
    path,
    signals,
    volume,
    out,
    reaction,
    chartist_strength,
    inventory_aversion,
    impact,
    max_move,
    chartist_memory,
    max_mispricing,
):  # pragma: no cover - compiled
    """All trading sub-rounds of a quarter in one compiled loop (in place).

    Sub-round ``r`` prices at ``exp(path[r])``: signals are the fundamentalists'
    ``reaction · log(F / cap)`` (clipped to ``±max_mispricing``; F ≤ 0 counts as the
    lower cap), the chartists' ``chartist_strength · trend`` and the scaled common
    shocks ``noise[r]``; :func:`trade_pass` fills and places orders; the market maker
    moves the log price by ``impact · (orders − inventory_aversion · inventory) /
    float`` (clipped to ``±max_move``) and the chartists' trend follows. A last pass
    fills the orders of the final sub-round. Returns the market maker's cash change.
    """
    r_n = noise.shape[0]
    n_l = listed_idx.shape[0]
    mm_cash = 0.0
    price = np.empty(n_l)
    for r in range(r_n + 1):
        for j in range(n_l):
            price[j] = np.exp(path[r, j])
        sig = signals[min(r, r_n - 1)]
        if r < r_n:
            for j in range(n_l):
                cap = price[j] * shares_out[j]
                f = fundamental[j]
                floor = cap * np.exp(-max_mispricing)
                x = np.log((f if f > floor else floor) / cap)
                sig[0, j] = reaction * min(x, max_mispricing) + noise[r, 0, j]
                sig[1, j] = chartist_strength * trend[j] + noise[r, 1, j]
                sig[2, j] = noise[r, 2, j]
        trade_pass(
            types, capacity, tilt, holdings, cash, pending, listed_idx, float_shares,
            price, sig, r < r_n, out,
        )  # fmt: skip
        for j in range(n_l):
            mm_inventory[j] -= out[0, j]
            mm_cash += out[1, j]
            volume[j] += out[2, j]
        if r < r_n:
            for j in range(n_l):
                move = impact * (out[3, j] - inventory_aversion * mm_inventory[j]) / float_shares[j]
                move = min(max(move, -max_move), max_move)
                path[r + 1, j] = path[r, j] + move
                trend[j] += chartist_memory * (path[r + 1, j] - path[r, j] - trend[j])
    return mm_cash
