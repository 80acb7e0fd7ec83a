"""Naive reference: every investor is a ``mesa.Agent`` with its own ``step()``.

Same behavioural rules as :class:`agents.investors.InvestorPopulation` (orders by
strategy, market maker, fills, Brock–Hommes switching, sentiment), written the
way a first Mesa model would be: Python objects, per-agent loops and per-agent
random draws. Used only by ``bench_investors.py`` to measure the speed-up of the
vectorised population; it is not part of the model.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from world.market import InvestorParams, price_impact, softmax_fractions


class NaiveInvestor(mesa.Agent):
    """One investor as a Python object."""

    def __init__(self, model, strategy, capacity, sentiment, holdings, cash):
        super().__init__(model)
        self.strategy = strategy
        self.capacity = capacity
        self.sentiment = sentiment
        self.holdings = holdings  # list, bn shares per asset
        self.cash = cash
        self.pending = [0.0] * len(model.listed_idx)
        self.wealth_start = 0.0

    def wealth(self):
        m = self.model
        return self.cash + sum(h * p for h, p in zip(self.holdings, m.prices, strict=True))

    def absorb_news(self):
        m = self.model
        values = [h * p for h, p in zip(self.holdings, m.prices, strict=True)]
        total = sum(values)
        self.wealth_start = self.cash + total
        if total > 0.0:
            news = sum(v * x for v, x in zip(values, m.news, strict=True)) / total
            s = self.sentiment + m.params.news_sensitivity * news
            self.sentiment = min(1.0, max(-1.0, s))

    def step(self):
        """One trading pass: fill the pending orders, then place new ones."""
        m = self.model
        c = self.cash
        reserved = 0.0
        tilt = m.params.sentiment_tilt * self.sentiment
        for j, k in enumerate(m.listed_idx):
            p = m.quote[j]
            q = max(self.pending[j], -self.holdings[k])
            amount = q * p
            if amount > c:
                amount = max(c, 0.0)
                q = amount / p
            self.holdings[k] += q
            c -= amount
            m.executed[j] += q
            m.paid[j] += amount
            m.volume[j] += abs(q)
            d = 0.0
            if m.do_order:
                d = self.capacity * m.float_listed[j] * (m.signal[self.strategy][j] + tilt)
                d = max(d, -self.holdings[k])
                cost = max(d, 0.0) * p
                if cost > c - reserved:
                    cost = max(c - reserved, 0.0)
                    d = cost / p
                reserved += cost
                m.submitted[j] += d
            self.pending[j] = d
        self.cash = c

    def end_quarter(self):
        """Switch strategy (maybe) and update sentiment, with this agent's own draws."""
        m = self.model
        prm = m.params
        if m.rng.random() < prm.switch_rate:
            u = m.rng.random()
            t = 0
            while t < 2 and u >= m.cum_probs[t]:
                t += 1
            self.strategy = t
        w0 = self.wealth_start
        ret = self.wealth() / w0 - 1.0 if w0 > 0.0 else 0.0
        target = math.tanh(
            m.herd + prm.return_sensitivity * ret + prm.sentiment_noise * m.rng.standard_normal()
        )
        self.sentiment += prm.sentiment_decay * (target - self.sentiment)


class NaiveMarket(mesa.Model):
    """The investor population as a Mesa model of ``NaiveInvestor`` agents."""

    def __init__(
        self,
        params: InvestorParams,
        asset_names,
        shares_outstanding,
        initial_prices,
        float_fraction,
        private_assets=(),
        rng=None,
    ):
        super().__init__(rng=rng)
        self.params = params
        k = len(asset_names)
        self.prices = [float(x) for x in initial_prices]
        self.shares_outstanding = [float(x) for x in shares_outstanding]
        float_shares = np.broadcast_to(float_fraction, (k,)) * np.asarray(shares_outstanding)
        self.listed_idx = [i for i, a in enumerate(asset_names) if a not in set(private_assets)]
        self.float_listed = [float(float_shares[i]) for i in self.listed_idx]
        self.trend = [0.0] * len(self.listed_idx)
        self.profit_memory = np.zeros(3)
        self.mm_inventory = [0.0] * len(self.listed_idx)
        self.mm_cash = 0.0
        counts = np.round(params.type_shares * params.n_investors).astype(int)
        counts[-1] = params.n_investors - counts[:-1].sum()
        strategies = [t for t in range(3) for _ in range(counts[t])]
        self.rng.shuffle(strategies)
        for i in range(params.n_investors):  # per-agent draws, as a naive model does
            w = self.rng.pareto(params.wealth_pareto_alpha) + 1.0
            tilt = [self.rng.lognormal(0.0, params.holdings_dispersion) for _ in range(k)]
            s = params.initial_sentiment_mean + params.initial_sentiment_sd * self.rng.normal()
            NaiveInvestor(self, strategies[i], w, min(1.0, max(-1.0, s)), tilt, 0.0)
        total_w = sum(a.capacity for a in self.agents)
        col = [0.0] * k
        for a in self.agents:
            a.capacity /= total_w
            a.holdings = [h * a.capacity for h in a.holdings]
            col = [c + h for c, h in zip(col, a.holdings, strict=True)]
        cash_ratio = params.cash_share / (1.0 - params.cash_share)
        for a in self.agents:
            a.holdings = [h * f / c for h, f, c in zip(a.holdings, float_shares, col, strict=True)]
            a.cash = cash_ratio * sum(h * p for h, p in zip(a.holdings, self.prices, strict=True))

    def trade_quarter(self, fundamentals, news):
        """Trade one quarter; returns the sub-round log returns, shape (sub_rounds, n_listed)."""
        p = self.params
        n_l, r_n = len(self.listed_idx), p.sub_rounds
        self.news = list(news)
        self.agents.do("absorb_news")
        shocks = self.rng.standard_normal((r_n, 3, n_l + 1))
        rho = p.shock_correlation
        shocks = math.sqrt(rho) * shocks[..., -1:] + math.sqrt(1.0 - rho) * shocks[..., :-1]
        sigma = [p.fundamentalist_noise, p.chartist_noise, p.noise_sigma]
        log_p = [math.log(self.prices[k]) for k in self.listed_idx]
        values = [
            self.prices[k] * f for k, f in zip(self.listed_idx, self.float_listed, strict=True)
        ]
        weights = [v / sum(values) for v in values]
        signals, rets = [], []
        for r in range(r_n + 1):
            self.quote = [math.exp(x) for x in log_p]
            self.do_order = r < r_n
            if self.do_order:
                mis = [
                    max(
                        -5.0,
                        min(
                            5.0,
                            math.log(
                                fundamentals[k] / (self.quote[j] * self.shares_outstanding[k])
                            ),
                        ),
                    )
                    for j, k in enumerate(self.listed_idx)
                ]
                self.signal = [
                    [
                        p.fundamentalist_reaction
                        * x
                        * (1.0 + (p.fundamentalist_conviction * x) ** 2)
                        for x in mis
                    ],
                    [p.chartist_strength * m for m in self.trend],
                    [0.0] * n_l,
                ]
                for h in range(3):
                    for j in range(n_l):
                        self.signal[h][j] += sigma[h] * shocks[r, h, j]
                signals.append([row[:] for row in self.signal])
            self.executed, self.paid = [0.0] * n_l, [0.0] * n_l
            self.volume, self.submitted = [0.0] * n_l, [0.0] * n_l
            self.agents.shuffle_do("step")
            for j in range(n_l):
                self.mm_inventory[j] -= self.executed[j]
            self.mm_cash += sum(self.paid)
            if self.do_order:
                new = []
                for j in range(n_l):
                    imbalance = self.submitted[j] - p.inventory_aversion * self.mm_inventory[j]
                    new.append(
                        float(
                            price_impact(
                                log_p[j],
                                imbalance,
                                p.price_impact,
                                self.float_listed[j],
                                p.max_log_return,
                            )
                        )
                    )
                rets.append([b - a for a, b in zip(log_p, new, strict=True)])
                for j in range(n_l):
                    self.trend[j] += p.chartist_memory * (rets[-1][j] - self.trend[j])
                log_p = new
        for j, k in enumerate(self.listed_idx):
            self.prices[k] = math.exp(log_p[j])
        profit = np.zeros(3)
        for r in range(r_n - 1):
            for h in range(3):
                for j in range(n_l):
                    profit[h] += 100.0 * weights[j] * signals[r][h][j] * rets[r + 1][j]
        self.profit_memory = profit + p.profit_memory * self.profit_memory
        shares = np.bincount([a.strategy for a in self.agents], minlength=3) / len(self.agents)
        mis2 = sum(
            w
            * max(
                -5.0,
                min(5.0, math.log(fundamentals[k] / (self.prices[k] * self.shares_outstanding[k]))),
            )
            ** 2
            for w, k in zip(weights, self.listed_idx, strict=True)
        )
        attract = self.profit_memory + p.type_herding * shares
        attract[0] += p.misalignment_weight * mis2
        self.cum_probs = np.cumsum(softmax_fractions(attract, p.beta))
        self.herd = p.herding_strength * np.mean([a.sentiment for a in self.agents])
        self.agents.do("end_quarter")
        return np.array(rets)
