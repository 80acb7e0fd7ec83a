"""Numba kernels of the investor population: one trading pass, portfolio values, switching.

One row per investor; the loops are serial on purpose (memory bound, and serial sums
are deterministic). Called by :class:`agents.investors.InvestorPopulation`; they hold
no state and draw no random numbers (the caller passes its draws in).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "end_of_quarter",
    "portfolio_values",
    "round_bids",
    "run_subrounds",
    "trade_pass",
    "trade_quarter_kernel",
]


# --------------------------------------------------------------------------- #
# numba kernels of the population (one row per investor; serial on purpose:  #
# the loop is memory bound and serial sums are deterministic)                 #
# --------------------------------------------------------------------------- #


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _investor_value(holdings, cash, price, news, i):  # pragma: no cover - compiled
    """Investor ``i``'s wealth (USD bn) and the value-weighted news of its portfolio."""
    v = 0.0
    s = 0.0
    for j in range(holdings.shape[1]):
        x = holdings[i, j] * price[j]
        v += x
        s += x * news[j]
    return cash[i] + v, (s / v if v > 0.0 else 0.0)


@njit(cache=True)
def portfolio_values(holdings, cash, price, news, out_wealth, out_news):  # pragma: no cover
    """Per investor: wealth ``cash + holdings @ price`` (USD bn) and value-weighted news."""
    for i in range(holdings.shape[0]):
        out_wealth[i], out_news[i] = _investor_value(holdings, cash, price, news, i)


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
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


# indices of the scalar parameters packed for :func:`trade_quarter_kernel`
P_NEWS_SENSITIVITY = 0
P_SHOCK_CORRELATION = 1
P_SENTIMENT_TILT = 2
P_REACTION = 3
P_CHARTIST_STRENGTH = 4
P_INVENTORY_AVERSION = 5
P_IMPACT = 6
P_MAX_MOVE = 7
P_CHARTIST_MEMORY = 8
P_MAX_MISPRICING = 9
P_PROFIT_MEMORY = 10
P_TYPE_HERDING = 11
P_MISALIGNMENT_WEIGHT = 12
P_BETA = 13
P_SWITCH_RATE = 14
P_HERDING_STRENGTH = 15
P_RETURN_SENSITIVITY = 16
P_SENTIMENT_NOISE = 17
P_SENTIMENT_DECAY = 18
N_PARAMS = 19


@njit(cache=True)
def trade_quarter_kernel(
    types,
    capacity,
    sentiment,
    holdings,
    cash,
    pending,
    listed_idx,
    float_listed,
    shares_listed,
    prices,
    fundamental_listed,
    news,
    trend,
    mm_inventory,
    profit_memory,
    type_counts,
    sigma,
    normals,
    uniforms,
    pars,
    path,
    signals,
    volume,
    parts,
    stats,
):  # pragma: no cover - compiled
    """One quarter of the population in one compiled call (in place).

    1. News moves each investor's sentiment by ``news_sensitivity`` times the
       portfolio-weighted news (clipped to [−1, 1]); wealth at the open is kept.
    2. Common and idiosyncratic shocks (``normals``: the first ``sub_rounds · 3 ·
       (n_listed + 1)`` values, correlation ``shock_correlation``, scaled by ``sigma``
       per strategy) and :func:`run_subrounds` trade the sub-rounds; prices follow.
    3. Brock–Hommes fitness: each strategy's profit one sub-round after its orders
       (value-weighted, percent), with memory; attractiveness adds herding on head
       counts and, for fundamentalists, the squared mispricing; discrete-choice
       fractions (intensity ``beta``; ``inf`` picks the best).
    4. :func:`end_of_quarter` switches strategies and updates sentiment (herding to
       the mean sentiment after the news); ``uniforms`` (2n) and the last n normals.

    ``profit_memory`` is updated; ``type_counts`` receives the head counts per
    strategy after switching and ``stats`` the mean and standard deviation of
    sentiment after the quarter.
    Returns the market maker's cash change.
    """
    n = types.shape[0]
    n_l = listed_idx.shape[0]
    r_n = signals.shape[0]
    # 1. news -> sentiment, wealth at the open
    wealth0 = np.empty(n)
    tilt = np.empty(n)
    ns = pars[P_NEWS_SENSITIVITY]
    s_sum = 0.0
    type_counts[:] = 0
    for i in range(n):
        type_counts[types[i]] += 1
        wealth0[i], weighted_news = _investor_value(holdings, cash, prices, news, i)
        si = sentiment[i] + ns * weighted_news
        si = min(max(si, -1.0), 1.0)
        sentiment[i] = si
        tilt[i] = pars[P_SENTIMENT_TILT] * si
        s_sum += si
    # 2. shocks and the sub-rounds
    rho = pars[P_SHOCK_CORRELATION]
    a = np.sqrt(rho)
    b = np.sqrt(1.0 - rho)
    noise = np.empty((r_n, 3, n_l))
    m = n_l + 1
    for r in range(r_n):
        for h in range(3):
            base = (r * 3 + h) * m
            common = normals[base + n_l]
            for j in range(n_l):
                noise[r, h, j] = sigma[h] * (a * common + b * normals[base + j])
    weights = np.empty(n_l)
    total = 0.0
    for j in range(n_l):
        weights[j] = prices[listed_idx[j]] * float_listed[j]
        total += weights[j]
        path[0, j] = np.log(prices[listed_idx[j]])
    for j in range(n_l):
        weights[j] /= total
    mm_cash = run_subrounds(
        types, capacity, tilt, holdings, cash, pending, listed_idx, float_listed,
        shares_listed, fundamental_listed, trend, mm_inventory, noise, path, signals,
        volume, parts, pars[P_REACTION], pars[P_CHARTIST_STRENGTH],
        pars[P_INVENTORY_AVERSION], pars[P_IMPACT], pars[P_MAX_MOVE],
        pars[P_CHARTIST_MEMORY], pars[P_MAX_MISPRICING],
    )  # fmt: skip
    for j in range(n_l):
        prices[listed_idx[j]] = np.exp(path[r_n, j])
    # 3. fitness and choice probabilities
    attract = np.empty(3)
    for h in range(3):
        profit = 0.0
        for r in range(r_n - 1):
            for j in range(n_l):
                profit += signals[r, h, j] * (path[r + 2, j] - path[r + 1, j]) * weights[j]
        profit_memory[h] = 100.0 * profit + pars[P_PROFIT_MEMORY] * profit_memory[h]
        attract[h] = profit_memory[h] + pars[P_TYPE_HERDING] * type_counts[h] / n
    cap_mis = pars[P_MAX_MISPRICING]
    mis2 = 0.0
    for j in range(n_l):
        cap = prices[listed_idx[j]] * shares_listed[j]
        floor = cap * np.exp(-cap_mis)
        f = fundamental_listed[j]  # <= 0 (or no fundamental) counts as the lower cap
        x = min(np.log((f if f > floor else floor) / cap), cap_mis)
        mis2 += weights[j] * x * x
    attract[0] += pars[P_MISALIGNMENT_WEIGHT] * mis2
    top = max(attract[0], max(attract[1], attract[2]))
    beta = pars[P_BETA]
    probs = np.empty(3)
    for h in range(3):
        if np.isinf(beta):
            probs[h] = 1.0 if attract[h] == top else 0.0
        else:
            probs[h] = np.exp(beta * (attract[h] - top))
    norm = probs[0] + probs[1] + probs[2]
    cum = np.empty(3)
    acc = 0.0
    for h in range(3):
        acc += probs[h] / norm
        cum[h] = acc
    # 4. switching and sentiment
    end_of_quarter(
        types, sentiment, holdings, cash, prices, wealth0, cum, pars[P_SWITCH_RATE],
        uniforms.reshape(2, n), normals[normals.shape[0] - n :],
        pars[P_HERDING_STRENGTH] * s_sum / n, pars[P_RETURN_SENSITIVITY],
        pars[P_SENTIMENT_NOISE], pars[P_SENTIMENT_DECAY],
    )  # fmt: skip
    type_counts[:] = 0
    s_sum = 0.0
    for i in range(n):
        type_counts[types[i]] += 1
        s_sum += sentiment[i]
    mean = s_sum / n
    ss = 0.0
    for i in range(n):
        d = sentiment[i] - mean
        ss += d * d
    stats[0] = mean
    stats[1] = np.sqrt(ss / n)
    return mm_cash


@njit(cache=True)
def round_bids(
    types, sentiment, cash, eps, anchors, sentiment_weight, dispersion, commit_fraction, floor, ask
):  # pragma: no cover - compiled
    """Bids of a primary round: reservation valuations, commitments, the valid bidders.

    Investor ``i`` values the issuer at ``anchors[type_i] · exp(sentiment_weight · s_i +
    dispersion · eps_i)`` and commits ``commit_fraction · max(cash_i, 0)``; a bid is
    valid if its valuation is at least ``floor`` and it commits money. Returns the
    valuations, the commitments, the valid bidders' indices (ascending) and the money
    committed at or above ``ask``.
    """
    n = types.shape[0]
    res = np.empty(n)
    commit = np.empty(n)
    valid = np.empty(n, dtype=np.int64)
    m = 0
    at_ask = 0.0
    for i in range(n):
        r = anchors[types[i]] * np.exp(sentiment_weight * sentiment[i] + dispersion * eps[i])
        c = commit_fraction * max(cash[i], 0.0)
        res[i] = r
        commit[i] = c
        if r >= floor and c > 0.0:
            valid[m] = i
            m += 1
        if r >= ask:
            at_ask += c
    return res, commit, valid[:m], at_ask
