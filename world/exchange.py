"""The stock market and private rounds: the investor population wired to the firms.

Once per quarter, after the books close, :meth:`Exchange.trade` turns each firm's
results into a *fundamental value* (discounted expected cash flows from its own
income statement and backlog, :func:`world.market.fundamental_value`) and a *news*
surprise (revenue against expectation, losses, user growth for labs, plus the
quarter's sentiment shocks and contagion losses), lets the investor population
trade, and sets every listed firm's value to its market capitalisation. The mean
investor sentiment becomes the model's sentiment, which feeds debt spreads, the
firms' forecasts and deal-making, and outside demand.

A lab's funding round is a primary issue to the population
(:meth:`Exchange.primary_round`): the price is what the marginal investor pays, and
the round can be undersubscribed or fail. The cash investors pay reaches the lab's
ledger as paid-in capital; secondary trading moves cash between investors only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.investors import InvestorPopulation, QuarterMarketResult, RoundOutcome
from world.ledger import Account
from world.market import backlog_cash_flow_unchecked, fundamental_value_unchecked
from world.params import MarketParams, Role

if TYPE_CHECKING:
    from agents.firms import Firm
    from world.model import AIEconomy

__all__ = ["Exchange"]


class Exchange:
    """Market for the firms' equity, owned by the model.

    Parameters
    ----------
    model
        The economy (its firms, rng and parameters).
    """

    def __init__(self, model: AIEconomy) -> None:
        self.model = model
        self.params: MarketParams = model.params.market
        firms = model.firms
        self.names = [f.name for f in firms]
        held_by_firms = model.ownership.sum(axis=0) + model.warrant_fraction.sum(axis=0)
        floats = np.clip(1.0 - self.params.insider_fraction - held_by_firms, 0.05, 1.0)
        private = [f.name for f in firms if not f.spec.listed]
        # one bn shares per firm at the start: price (USD/share) = value (USD bn)
        self.shares = np.ones(len(firms))
        self.population = InvestorPopulation(
            model.params.investors,
            self.names,
            self.shares.copy(),
            np.array([f.valuation for f in firms]),
            floats,
            model.rng,
            private_assets=private,
        )
        self.expected_revenue = np.full(len(firms), np.nan)  # set by the first quarter
        self.revenue_growth = np.zeros(len(firms))
        self.opening = np.array([f.valuation for f in firms])
        self.fundamentals = self.opening.copy()
        self.anchor: tuple[np.ndarray, np.ndarray] | None = None
        self.prev_fundamentals = self.opening.copy()
        self.last: QuarterMarketResult | None = None
        self.last_round: RoundOutcome | None = None
        self.raised = 0.0  # cash investors paid into primary rounds, USD bn
        self.issued = np.zeros(len(firms))  # shares issued in primary rounds, bn
        self.subround_returns: list[np.ndarray] = []  # (sub_rounds, n_listed) per quarter

    # -- valuation inputs -----------------------------------------------------------
    def _dcf(self) -> np.ndarray:
        """Discounted expected owner cash flows per firm (USD bn; may be ≤ 0).

        Cash flow per quarter: trailing (up to four quarters) EBITDA less interest, after
        tax, plus the cash margin on contracted backlog; growth: the firm's smoothed
        revenue growth, capped (:class:`~world.params.MarketParams`).
        """
        m = self.model
        p = self.params
        ip = m.params.investors
        n = len(m.firms)
        owner = np.empty(n)
        backlog = m.backlogs()[0]
        for f in m.firms:
            recent = f.ebitda_history[-4:]
            ebitda = sum(recent) / len(recent) if recent else 0.0
            interest = f.statement.expenses[Account.INTEREST_EXPENSE]
            owner[f.index] = (ebitda - interest) * (1.0 - f.spec.tax_rate)
        cf = owner + backlog_cash_flow_unchecked(
            backlog, float(p.backlog_quarters), float(p.backlog_margin)
        )
        g = np.minimum(np.maximum(self.revenue_growth, -0.05), p.max_growth_per_q)
        return fundamental_value_unchecked(
            cf,
            g,
            float(ip.discount_rate_per_q),
            float(p.horizon_quarters),
            float(ip.terminal_growth_per_q),
        )

    def _fundamentals(self) -> np.ndarray:
        """Fundamental equity value per firm, anchored at the opening valuations.

        A firm whose DCF at the anchor (first) quarter is a meaningful share of its
        opening value is worth ``F_t = V_0 · DCF_t / DCF_1``: the opening multiple of
        discounted cash flows is taken as justified by expectations, and the firm's own
        results, backlog and growth move it. A firm without such cash flows (a growth
        firm, e.g. a lab) is valued on revenue: ``F_t = V_0 · R_t / R_1`` with ``R``
        trailing four-quarter revenue. Floored at book equity.
        """
        m = self.model
        dcf = self._dcf()
        revenue = np.array([max(_mean(f.revenue_history[-4:]), 0.0) for f in m.firms])
        if self.anchor is None:
            self.anchor = (dcf.copy(), np.maximum(revenue, 1e-9))
        dcf0, rev0 = self.anchor
        on_cash = dcf0 > self.params.min_dcf_share * self.opening
        value = np.where(
            on_cash,
            self.opening * np.maximum(dcf, 0.0) / np.where(on_cash, dcf0, 1.0),
            self.opening * revenue / rev0,
        )
        book = np.array([f.balance.total_equity for f in m.firms])
        return np.maximum(value, np.maximum(book, 1e-3))

    def _news(self) -> np.ndarray:
        m = self.model
        p = self.params
        news = np.zeros(len(m.firms))
        for f in m.firms:
            rev = f.statement.revenue
            exp = self.expected_revenue[f.index]
            if math.isnan(exp):
                exp = rev
            surprise = (rev / exp - 1.0) if exp > 1e-9 else 0.0
            if f.role is Role.LAB:
                growth = m.demand.users / max(m.prev_users, 1e-9) - 1.0
                surprise += growth - self.revenue_growth[f.index]
            if f.statement.net_income < 0 and f.balance.total_equity > 0:
                surprise += p.loss_news * f.statement.net_income / f.balance.total_equity
            news[f.index] = surprise * p.news_scale - 3.0 * f.debtrank_loss
            # update the adaptive expectations for next quarter
            if exp > 1e-9 and rev > 0:
                g = rev / exp * (1.0 + self.revenue_growth[f.index]) - 1.0
                a = m.params.behaviour.forecast_smoothing
                self.revenue_growth[f.index] = a * g + (1 - a) * self.revenue_growth[f.index]
            self.expected_revenue[f.index] = max(rev, 0.0) * (1.0 + self.revenue_growth[f.index])
        news += m.sentiment_shock
        return np.minimum(np.maximum(news, -1.0), 1.0)

    # -- the quarter --------------------------------------------------------------------
    def trade(self) -> None:
        """One quarter of trading; listed values follow market capitalisation."""
        m = self.model
        self.fundamentals = self._fundamentals()
        news = self._news()
        active = np.array([not f.defaulted for f in m.firms])
        fundamentals = np.where(active, self.fundamentals, 1e-3)
        # results are public: quotes gap at the open by the change in fundamentals
        prev = self.prev_fundamentals
        self.prev_fundamentals = fundamentals.copy()
        pop = self.population
        listed = pop.listed & active & (prev > 0) & (fundamentals > 0)
        ratio = np.where(listed, fundamentals / np.where(prev > 0, prev, 1.0), 1.0)
        pop.prices *= ratio**self.params.announcement_gap
        res = pop.trade_quarter(fundamentals, news, m.rng)
        self.last = res
        self.subround_returns.append(res.subround_returns)
        for f in m.firms:
            if f.defaulted:
                f.valuation = 0.0
            elif f.spec.listed:
                f.valuation = float(res.prices[f.index] * self.shares[f.index])
        m.sentiment = min(max(float(res.mean_sentiment), -1.0), 1.0)

    def issue(self, firm: Firm, amount: float, pre_money: float) -> None:
        """Record new shares of a listed firm bought outside the population."""
        if firm.spec.listed and pre_money > 0:
            self.shares[firm.index] *= (pre_money + amount) / pre_money

    def primary_round(self, lab: Firm, amount: float, ask: float) -> tuple[float, float]:
        """A lab's round with the population; returns (cash raised, post-money value)."""
        m = self.model
        res = self.population.funding_round(
            amount, ask, float(self.fundamentals[lab.index]), m.rng, asset=lab.name
        )
        self.last_round = res.outcome
        if res.outcome is RoundOutcome.FAILED:
            return 0.0, lab.valuation
        self.raised += res.amount_raised_usd_bn
        self.issued[lab.index] += res.shares_issued_bn
        return res.amount_raised_usd_bn, res.post_money_valuation_usd_bn


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
