"""The stock market and private rounds: the investor population wired to the firms.

Once per quarter, after the books close, :meth:`Exchange.trade` takes each firm's
*fundamental value* (:class:`world.valuation.Fundamentals`: bounded, fading growth
expectations applied to the firm's own results, backlog and commitments) and a *news*
surprise (revenue against expectation, losses, user growth for labs, plus the
quarter's sentiment shocks and contagion losses), lets the investor population
trade, and sets every listed firm's value to its market capitalisation. The mean
investor sentiment becomes the model's sentiment, which feeds debt spreads, the
firms' forecasts and deal-making, and outside demand.

A lab's funding round is a primary issue to the population
(:meth:`Exchange.primary_round`): the price is what the marginal investor pays, and
the round can be undersubscribed or fail. In a quarter without a round its holders
offer ``secondary_tender_share`` of its value to the population, and the price that
tender clears at marks the lab (:meth:`Exchange.mark_private`), so a lab that needs
no money is not left at the value of its last round (the quote moves no money). The
cash investors pay in a round reaches the lab's ledger as paid-in capital; secondary
trading moves cash between investors only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.investors import InvestorPopulation, QuarterMarketResult, RoundOutcome
from world.params import MarketParams, Role

if TYPE_CHECKING:
    from agents.firms import Firm
    from world.model import AIEconomy

__all__ = ["Exchange"]

_TOKEN_VALUE = 1e-3  # USD bn: the mark of a lab whose prospects are worth nothing


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
        self.opening = np.array([f.valuation for f in firms])
        self.population = InvestorPopulation(
            model.params.investors,
            self.names,
            self.shares.copy(),
            self.opening,
            floats,
            model.rng,
            private_assets=private,
        )
        self.population.burn_in(self.opening, model.params.investors.burn_in_quarters, model.rng)
        self.expected_revenue = np.full(len(firms), np.nan)  # set by the first quarter
        self.revenue_growth = np.zeros(len(firms))
        self.fundamentals = self.opening.copy()
        self.prev_fundamentals = self.opening.copy()
        self.last: QuarterMarketResult | None = None
        self.last_round: RoundOutcome | None = None
        self._rounds_now: set[int] = set()  # labs with a round this quarter
        self.raised = 0.0  # cash investors paid into primary rounds, USD bn
        self.issued = np.zeros(len(firms))  # shares issued in primary rounds, bn
        self.staff_shares = np.zeros(len(firms))  # shares paid to staff (dilute), bn
        self.subround_returns: list[np.ndarray] = []  # (sub_rounds, n_listed) per quarter

    def _news(self) -> np.ndarray:
        """Each firm's results surprise, clipped to [-1, 1]; updates the expectations.

        Seven firms: the arithmetic is done on Python floats (the same IEEE operations
        as on numpy scalars, a fraction of the cost) and stored back once.
        """
        m = self.model
        p = self.params
        a = m.params.behaviour.forecast_smoothing
        user_growth = m.demand.users / max(m.prev_users, 1e-9) - 1.0
        expected = self.expected_revenue.tolist()
        growth = self.revenue_growth.tolist()
        news = [0.0] * len(m.firms)
        for f in m.firms:
            i = f.index
            rev = f.statement.revenue
            exp = expected[i]
            if math.isnan(exp):
                exp = rev
            surprise = (rev / exp - 1.0) if exp > 1e-9 else 0.0
            if f.role is Role.LAB:
                surprise += user_growth - growth[i]
            if f.statement.net_income < 0 and f.balance.total_equity > 0:
                surprise += p.loss_news * f.statement.net_income / f.balance.total_equity
            news[i] = surprise * p.news_scale - p.contagion_news * f.debtrank_loss
            # update the adaptive expectations for next quarter
            if exp > 1e-9 and rev > 0:
                g = rev / exp * (1.0 + growth[i]) - 1.0
                growth[i] = a * g + (1 - a) * growth[i]
            expected[i] = max(rev, 0.0) * (1.0 + growth[i])
        self.expected_revenue[:] = expected
        self.revenue_growth[:] = growth
        shock = m.sentiment_shock
        return np.array([min(max(x + shock, -1.0), 1.0) for x in news])

    # -- the quarter --------------------------------------------------------------------
    def trade(self) -> None:
        """One quarter of trading; listed values follow market capitalisation."""
        m = self.model
        self.fundamentals = m.fundamentals.values.copy()
        news = self._news()
        # a defaulted firm is marked at a token value; results are public: quotes gap at
        # the open by the change in the fundamentals of a listed, active firm
        pop = self.population
        listed = pop.listed.tolist()
        prev = self.prev_fundamentals.tolist()
        value = self.fundamentals.tolist()
        ratio = [1.0] * len(m.firms)
        for f in m.firms:
            i = f.index
            if f.defaulted:
                value[i] = 1e-3
            elif listed[i] and prev[i] > 0 and value[i] > 0:
                ratio[i] = value[i] / prev[i]
        fundamentals = np.array(value)
        self.prev_fundamentals = fundamentals.copy()
        pop.prices *= np.array(ratio) ** self.params.announcement_gap
        res = pop.trade_quarter(fundamentals, news, m.rng)
        self.last = res
        self.subround_returns.append(res.subround_returns)
        prices = res.prices.tolist()
        shares = self.shares.tolist()
        for f in m.firms:
            if f.defaulted:
                f.valuation = 0.0
            elif f.spec.listed:
                f.valuation = prices[f.index] * shares[f.index]
        m.sentiment = min(max(float(res.mean_sentiment), -1.0), 1.0)
        if m.quarter > m.history_end and self.population.params.secondary_tender_share > 0.0:
            for f in m.firms:
                if not (f.spec.listed or f.defaulted or f.index in self._rounds_now):
                    self.mark_private(f)
        self._rounds_now.clear()

    def mark_private(self, lab: Firm) -> None:
        """Mark a private lab by a secondary tender to the population (no money moves).

        Its holders offer ``secondary_tender_share`` of its value; the valuation the
        investors' bids clear it at becomes the lab's value, at most
        ``max_tender_step_up`` times its last mark (a quarter's step, where a round's
        ask may step up ``max_round_step_up``). A tender nobody takes is news, as a
        failed round: the lab is marked down to its fundamental value.
        """
        fundamental = float(self.model.fundamentals.values[lab.index])
        outcome, value = self.population.secondary_quote(
            self.population.params.secondary_tender_share, fundamental, self.model.rng,
            asset=lab.name, max_step=self.population.params.max_tender_step_up,
        )  # fmt: skip
        if outcome is RoundOutcome.FAILED:
            self._mark_down(lab, fundamental)
        else:
            lab.valuation = value

    def _mark_down(self, lab: Firm, fundamental: float) -> None:
        """Mark ``lab`` down to its fundamental value (at least a token value)."""
        pop = self.population
        a = lab.index
        value = max(min(lab.valuation, fundamental), _TOKEN_VALUE)
        pop.prices[a] = value / pop.shares_outstanding[a]
        lab.valuation = value

    def issue(self, firm: Firm, amount: float, pre_money: float) -> None:
        """Record new shares of a listed firm bought outside the population."""
        if firm.spec.listed and pre_money > 0:
            self.shares[firm.index] *= (pre_money + amount) / pre_money

    def place(self, firm: Firm, amount: float) -> None:
        """Shares for ``amount`` placed outside the population at the firm's valuation."""
        if firm.valuation <= 0:
            return
        if firm.spec.listed:
            self.issue(firm, amount, firm.valuation)
        else:
            pop = self.population
            a = firm.index
            held = float(pop.shares_outstanding[a])
            price = float(pop.prices[a])
            if not (np.isfinite(price) and price > 0.0):  # no mark left: the firm's own value
                price = max(firm.valuation, _TOKEN_VALUE) / max(held, _TOKEN_VALUE)
            shares = amount / price
            pop.place_outside(firm.name, shares)
            self.issued[a] += shares

    def dilute(self, firm: Firm, keep: float) -> None:
        """New shares of ``firm`` to holders outside the population, at an unchanged value.

        The shares outstanding grow by ``1 / keep`` and the price per share falls by
        ``keep`` (the staff's shares of :func:`world.finance.pay_in_stock`), so the
        investors' holdings are worth ``keep`` of what they were and the firm's mark
        (price × shares) does not change.
        """
        pop = self.population
        a = firm.index
        new = float(pop.shares_outstanding[a]) * (1.0 / keep - 1.0)
        pop.place_outside(firm.name, new)
        pop.prices[a] *= keep
        self.staff_shares[a] += new
        if firm.spec.listed:
            self.shares[a] /= keep

    def primary_round(self, lab: Firm, amount: float, ask: float) -> tuple[float, float]:
        """A lab's round with the population; returns (cash raised, post-money value)."""
        m = self.model
        pop = self.population
        fundamental = float(m.fundamentals.values[lab.index])
        res = pop.funding_round(
            amount,
            ask,
            fundamental,
            m.rng,
            asset=lab.name,
            appetite=m.params.behaviour.outside_equity_appetite,
        )
        self.last_round = res.outcome
        self._rounds_now.add(lab.index)
        if res.outcome is RoundOutcome.FAILED:
            # a failed round is news: holders mark the lab down to its fundamental value
            self._mark_down(lab, fundamental)
            return 0.0, lab.valuation
        self.raised += res.amount_raised_usd_bn
        self.issued[lab.index] += res.shares_issued_bn
        return res.amount_raised_usd_bn, res.post_money_valuation_usd_bn
