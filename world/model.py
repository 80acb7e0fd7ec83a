"""The quarterly model: ``AIEconomy(mesa.Model)``.

``step()`` simulates one quarter in a fixed order (ARCHITECTURE.md):

1. demand — users, paid conversion, API tokens, compute need (:mod:`world.demand`);
2. deals — history deals of the scenario, then the firms' own proposals
   (:mod:`agents.firms`), accepted or rejected by their counterparties;
3. execution — GPU deliveries, build-out, compute served and billed, milestone
   tranches, operating flows, debt service, liquidity (:mod:`world.operations`);
4. close — taxes, period close, valuations, records (:mod:`world.metrics`).

All randomness comes from ``self.rng`` (Mesa 3: seeded with ``rng=``).
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from agents.chip import ChipSupplier
from agents.cloud import CloudProvider
from agents.firms import Firm, make_firm
from agents.lab import AILab
from agents.lenders import Lenders
from world import deals as dealmaking
from world import finance, metrics, opening, operations, valuation
from world.buildout import capex_per_gw, hardware_index
from world.contracts import ACTIVE, EXTERNAL, DealBook, Loan
from world.demand import (
    DemandState,
    advance_demand,
    macro_limit,
    outside_cloud_gw,
    outside_gpu_gw,
    scaled,
    wallet_factor,
)
from world.events import EventKind, EventLog
from world.exchange import Exchange
from world.params import Role, Scenario, ShockSpec, quarter_label, with_overrides
from world.settlement import PaymentSystem
from world.valuation import Fundamentals

__all__ = ["AIEconomy"]

_PRICE_NEWS = 0.05  # log points: price moves at least this large are logged as events
# price ratios whose log is below _PRICE_NEWS by far more than any rounding of a log
_QUIET_LOW = math.exp(-_PRICE_NEWS) * (1.0 + 1e-9)
_QUIET_HIGH = math.exp(_PRICE_NEWS) * (1.0 - 1e-9)
_MISSING = object()  # marks a key not in the memo


class AIEconomy(mesa.Model):
    """The AI economy: firms with double-entry books, deals, build-out and demand.

    Parameters
    ----------
    params
        Validated, frozen scenario.
    rng
        Seed or ``numpy.random.Generator`` (the model's only source of randomness).
    keep_journal
        Keep every journal entry and payment (for tracing flows; costs memory).
    firm_rows
        Record a full row per firm per quarter (``records.firms_frame()``); when False
        only valuations and default flags are kept (enough for a run's summary).
    """

    def __init__(
        self,
        params: Scenario,
        *,
        rng=None,
        keep_journal: bool = False,
        firm_rows: bool = True,
    ) -> None:
        super().__init__(rng=rng)
        self.params = params
        self.keep_journal = keep_journal
        self.quarter = 0
        self._capex_now: tuple = (None, None, 1.0, 0.0)  # (quarter, params, index, per GW)
        self.sentiment = 0.0
        self.firms: list[Firm] = [make_firm(self, spec, i) for i, spec in enumerate(params.firms)]
        # the firms of each role in index order (a firm's role and the firm list are fixed);
        # an attribute, not a functools.cached_property, which mypyc compiles to a plain
        # getter that recomputes the dict on every call
        self._firms_of_role: dict[Role, tuple[Firm, ...]] = {
            role: tuple(f for f in self.firms if f.role is role) for role in Role
        }
        self.firm_index = {f.name: f.index for f in self.firms}
        n = len(self.firms)
        self.payments = PaymentSystem([f.ledger for f in self.firms], keep_log=keep_journal)
        self.lenders = Lenders(params.credit, n)
        self.deals = DealBook()
        self.ownership = np.zeros((n, n))  # ownership[i, j]: share of j's equity held by i
        self.lab_compute_gw = [0.0] * n  # GW a lab can use this quarter (Python floats)
        self.warrant_fraction = np.zeros((n, n))  # vested warrants of j held by i
        self.stake_cost = np.zeros((n, n))  # USD bn i paid for the stake it holds in j
        self.round_raised = 0.0
        self.market = None  # the investor population's market, when enabled
        self.sentiment_shock = 0.0  # news hitting sentiment this quarter
        self.default_events: list = []
        self.events = EventLog()  # what happened and why (world.events)
        self.lender_losses = 0.0  # losses of the outside credit market, USD bn
        self._backlog_cache: tuple[int, tuple[list[float], list[float]]] | None = None
        self._memo: dict = {}  # per-quarter caches, keyed by the deal book's revision
        self._memo_key: tuple[int, int] = (-1, -1)
        self._credit: list[float] = []
        self._credit_quarter = -1
        self.shocks = [(params.relative(s.at), s) for s in params.shocks]
        self.history_end = params.relative(params.history_until) if params.history_until else -1
        d = params.demand
        self.demand = DemandState(
            users=d.users_0,
            paid_share=d.paid_share_0,
            arpu=d.arpu_0,
            token_price=1.0,
            api_volume=1.0,
            subscription_revenue=0.0,
            api_revenue=0.0,
            compute_need_gw=0.0,
        )
        self.prev_users = d.users_0
        self.compute_need_0: float | None = None  # the AI compute index's base (first quarter)
        self.compute_index = 1.0
        self.outside_growth = 0.0  # smoothed growth of the AI compute index per quarter
        self.outside_cloud_gw = np.zeros(n)  # outside demand for each provider's capacity
        self.outside_gpu_gw = np.zeros(n)  # outside demand for each supplier's chips
        self.wallet = 1.0  # share of demanded AI spending the macro limit lets through
        self.ai_spending = 0.0  # final AI spending this quarter (USD bn)
        self._cloud_price_level = self._mean_cloud_price()
        self.history_deals = [(params.relative(d.signed), d) for d in params.deals]
        self.fundamentals = Fundamentals(self)
        opening.open_books(self)
        # after the opening books: the AI capital starts from the opening PP&E
        self.records = metrics.Recorder(self, firm_rows=firm_rows)
        dealmaking.sign_history(self, before_start=True)
        if params.investors.enabled:
            self.market = Exchange(self)

    # -- time ---------------------------------------------------------------------
    @property
    def period(self) -> str:
        """Calendar label of the current quarter (e.g. ``"2025Q4"``)."""
        return quarter_label(self.params.start_index + self.quarter)

    def capex_index(self) -> float:
        """Capex per GW now relative to the start."""
        cached = self._capex_now  # the check of _capex_of_quarter inlined: asked very often
        if cached[0] != self.quarter or cached[1] is not self.params:
            cached = self._capex_of_quarter()
        return cached[2]

    def capex_per_gw_now(self) -> float:
        """All-in capex per GW in the current quarter (USD bn/GW)."""
        cached = self._capex_now
        if cached[0] != self.quarter or cached[1] is not self.params:
            cached = self._capex_of_quarter()
        return cached[3]

    def construction_per_gw(self, firm: Firm) -> float:
        """What ``firm`` pays now to house a GW of its own accelerators (USD bn/GW).

        The construction share of capex per GW; 0 for a firm that colocates (it rents
        the shell instead, ``buildout.colocation_rent_per_gw`` per GW-quarter in service).
        """
        if firm.spec.colocation:
            return 0.0
        return self.capex_per_gw_now() * (1 - self.params.buildout.chip_share)

    def shell_rent_per_gw(self, firm: Firm) -> float:
        """Rent ``firm`` pays per GW-quarter of its own fleet in service (USD bn/GW).

        ``buildout.colocation_rent_per_gw`` for a firm that colocates, else 0 (it built
        and owns the shell; see :meth:`construction_per_gw`).
        """
        return self.params.buildout.colocation_rent_per_gw if firm.spec.colocation else 0.0

    def _capex_of_quarter(self) -> tuple:
        """(quarter, params, capex index, capex per GW), computed once per quarter.

        Recomputed when the quarter or the parameter set (a shock) changes.
        """
        cached = self._capex_now
        if cached[0] != self.quarter or cached[1] is not self.params:
            b = self.params.buildout
            index = (1.0 - b.capex_decline) ** self.quarter
            per_gw = capex_per_gw(self.quarter, b.capex_per_gw, b.capex_decline)
            cached = self._capex_now = (self.quarter, self.params, index, per_gw)
        return cached

    def hardware_index_now(self) -> float:
        """FLOP per GW of new capacity relative to the start."""
        b = self.params.buildout
        return hardware_index(self.quarter, b.flop_doubling_years, b.capex_decline)

    # -- queries used by agents ---------------------------------------------------
    def by_role(self, role: Role, *, include_defaulted: bool = False) -> list[Firm]:
        """Firms of one role, in index order (defaulted firms left out by default)."""
        members = self._firms_of_role.get(role, ())
        if include_defaulted:
            return list(members)
        return [f for f in members if not f.defaulted]

    def active_firms(self) -> list[Firm]:
        """Firms that have not defaulted, in index order."""
        return [f for f in self.firms if not f.defaulted]

    def has_market(self, firm: Firm) -> bool:
        """True if ``firm``'s value comes from investor trading (listed, market on)."""
        return self.market is not None and firm.spec.listed

    def log_event(
        self, firm: int, kind: EventKind, amount: float, cause: str, counterparty: int = -1
    ) -> None:
        """Record an event of this quarter in :attr:`events` (see :mod:`world.events`)."""
        self.events.record(self.quarter, firm, kind, amount, cause, counterparty)

    def raise_lab_equity(self, lab: Firm, short: float) -> float:
        """A lab that must pay ``short`` more raises now (see :func:`world.funding.raise_for`)."""
        from world.funding import raise_for

        assert isinstance(lab, AILab)
        return raise_for(self, lab, force=True, at_least=short)

    def raise_equity(
        self, firm: Firm, amount: float, *, discount: float = 0.0, rescue: bool = False
    ) -> float:
        """Issue new shares to outside investors (see :func:`world.finance.raise_equity`)."""
        return finance.raise_equity(self, firm, amount, discount=discount, rescue=rescue)

    def contracted_gw(self, provider: int, q: int) -> float:
        """GW a provider owes its customers in quarter ``q``."""
        return sum([c.gw_due(q) for c in self.deals.of("cloud", "provider", provider)])

    def lab_contracted_gw(self, customer: int, q: int) -> float:
        """GW a lab has rented for quarter ``q``."""
        return sum([c.gw_due(q) for c in self.deals.of("cloud", "customer", customer)])

    def outside_cloud_forecast(self, firm: Firm, ahead: int) -> float:
        """Outside demand for ``firm``'s capacity ``ahead`` quarters from now (GW).

        Today's outside demand grown along a damped trend of the smoothed growth of
        outside demand (:meth:`agents.firm.Firm.damped_growth`).
        """
        return float(self.outside_cloud_gw[firm.index]) * firm.damped_growth(
            self.outside_growth, ahead
        )

    def backlogs(self) -> tuple[list[float], list[float]]:
        """Per firm: contracted sales still to deliver, and a lab's contracted purchases (USD bn).

        Backlog is the remaining value of cloud contracts a provider owes and of GPU
        orders a supplier has not delivered; commitments the remaining value of cloud
        contracts a firm rents. One pass over the deal book, cached per quarter; plain
        lists of Python floats (read-only for callers), as the firms' arithmetic wants them.
        """
        if self._backlog_cache is not None and self._backlog_cache[0] == self.quarter:
            return self._backlog_cache[1]
        n = len(self.firms)
        backlog, commitments = [0.0] * n, [0.0] * n
        q = self.quarter + 1
        for c in self.deals.cloud:
            value = c.remaining_value(q)
            backlog[c.provider] += value
            commitments[c.customer] += value
        for o in self.deals.gpu:
            backlog[o.supplier] += o.remaining_value()
        result = (backlog, commitments)
        self._backlog_cache = (self.quarter, result)
        return result

    def memo(self, key, compute):
        """``compute()`` cached until the quarter or the deal book changes."""
        quarter, revision = self._memo_key
        if quarter != self.quarter or revision != self.deals.revision:
            self._memo.clear()
            self._memo_key = (self.quarter, self.deals.revision)
        value = self._memo.get(key, _MISSING)  # not try/except: most asks here are misses
        if value is _MISSING:
            value = self._memo[key] = compute()
        return value

    def credit_backlogs(self) -> list[float]:
        """Per firm, the contracted backlog lenders count (see ``Firm.creditworthy_backlog``).

        Lenders assess it once a quarter, from the book at the start of the quarter (and
        again when they review covenants after it closes: :meth:`refresh_credit`).
        """
        if self._credit_quarter != self.quarter:
            self.refresh_credit()
        return self._credit

    def refresh_credit(self) -> None:
        """Re-assess the contracted backlog lenders count (see :meth:`credit_backlogs`)."""
        self._credit = self._credit_backlogs()
        self._credit_quarter = self.quarter

    def _credit_backlogs(self) -> list[float]:
        q = self.quarter + 1
        n = len(self.firms)
        out = [0.0] * n
        credit = list(map(self.customer_credit, range(n)))
        for c in self.deals.cloud:
            if c.status is ACTIVE:
                out[c.provider] += c.take_or_pay * c.remaining_value(q) * credit[c.customer]
        return out

    def customer_credit(self, customer: int) -> float:
        """Weight lenders give to contracted revenue owed by ``customer``, in [0, 1].

        0 for a firm in default; for a lab, the share of its remaining commitments that
        the value of its prospects covers; 1 for other firms.
        """
        firm = self.firms[customer]
        if firm.defaulted:
            return 0.0
        if firm.role is not Role.LAB:
            return 1.0
        commitments = self.backlogs()[1][customer]
        if commitments <= 1e-9:
            return 1.0
        value = float(self.fundamentals.values[customer])
        value = 0.0 if value < 0.0 else value  # max(value, 0.0)
        share = value / commitments
        return 1.0 if 1.0 < share else share  # min(share, 1.0)

    def opex_now(self, firm: Firm) -> float:
        """Firm's AI operating expenses this quarter (USD bn), see :meth:`Firm.adapt_opex`."""
        return firm.opex_level

    def interest_now(self, firm: Firm) -> float:
        """Interest the firm owes this quarter (USD bn, see :meth:`DealBook.interest`)."""
        return self.deals.interest(firm.index, self.quarter)

    def lab_revenue_now(self, lab: Firm) -> float:
        """Lab's potential revenue this quarter (USD bn)."""
        return (self.demand.subscription_revenue + self.demand.api_revenue) * lab.spec.users_share

    # -- the quarter ----------------------------------------------------------------
    def step(self) -> None:
        """Simulate one quarter."""
        q = self.quarter
        for firm in self.firms:
            firm.ledger.open_period(q)
            firm.equity_raised = 0.0
        self.payments.open_period(q)
        self._apply_shocks()
        self._set_prices()
        self._update_demand()
        dealmaking.sign_history(self, before_start=False)
        if q > self.history_end:
            dealmaking.negotiate(self)
        elif q > self.history_end - self.params.behaviour.order_lag:
            # providers order ahead so their deliveries start right after the replay
            dealmaking.negotiate(self, labs_too=False)
        operations.execute_quarter(self)
        operations.close_quarter(self)
        if self.market is not None:
            self.market.trade()
        self._update_sentiment()
        self.records.collect()
        self.deals.prune()
        self.quarter += 1

    def schedule_shock(self, shock: ShockSpec) -> None:
        """Add a shock to the schedule; it hits at the start of its quarter.

        Raises
        ------
        ValueError
            For a shock dated before the next quarter the model simulates.
        """
        q = self.params.relative(shock.at)
        if q < self.quarter:
            raise ValueError(
                f"at: {shock.at} has already been simulated (the next quarter is {self.period})"
            )
        self.shocks.append((q, shock))

    def _apply_shocks(self) -> None:
        """Apply the scenario's exogenous shocks dated this quarter."""
        for when, shock in self.shocks:
            if when == self.quarter:
                if shock.set:
                    self.params = with_overrides(self.params, dict(shock.set))
                    self.lenders.params = self.params.credit
                    self.lenders.risk_free = self.params.credit.risk_free
                    self.market_params_changed()
                self.sentiment_shock += shock.sentiment
                changes = ", ".join(f"{k} = {v}" for k, v in shock.set.items())
                self.log_event(
                    -1, EventKind.SHOCK, shock.sentiment, shock.note or changes or "sentiment shock"
                )

    def market_params_changed(self) -> None:
        """Let the exchange see parameters a shock changed."""
        if self.market is not None:
            self.market.params = self.params.market

    def _update_sentiment(self) -> None:
        """Without an investor population, sentiment is decaying accumulated news."""
        if self.market is None:
            keep = self.params.market.sentiment_persistence
            self.sentiment = min(max(keep * self.sentiment + self.sentiment_shock, -1.0), 1.0)
        self.sentiment_shock = 0.0

    # -- prices and demand ---------------------------------------------------------
    def _mean_cloud_price(self) -> float:
        prices = [f.price for f in self.firms if isinstance(f, CloudProvider) and not f.defaulted]
        return sum(prices) / len(prices) if prices else 1.0

    def _set_prices(self) -> None:
        """Providers and suppliers set this quarter's list prices (their own decisions).

        From the first quarter after the history replay; before, the opening prices hold.

        Moves of at least ``_PRICE_NEWS`` (log points) are logged as price cuts or rises.
        """
        if self.quarter <= self.history_end or self.quarter == 0:
            return  # the opening prices hold while history is replayed
        decided: list[tuple[Firm, float]] = []
        for f in self.firms:
            if f.defaulted:
                continue
            if isinstance(f, CloudProvider):
                decided.append((f, f.decide_price()))
            elif isinstance(f, ChipSupplier):
                decided.append((f, f.decide_markup()))
        for f, new in decided:
            if isinstance(f, CloudProvider):
                old, f.price = f.price, new
            else:
                assert isinstance(f, ChipSupplier)
                old, f.markup = f.markup, new
            ratio = new / old
            if _QUIET_LOW < ratio < _QUIET_HIGH:
                continue  # |log(ratio)| is surely below _PRICE_NEWS: no news, no log taken
            move = float(np.log(ratio))
            if abs(move) >= _PRICE_NEWS:
                kind = EventKind.PRICE_CUT if move < 0 else EventKind.PRICE_RISE
                why = "idle capacity" if move < 0 else "capacity in demand"
                if isinstance(f, ChipSupplier):
                    why = "thin order backlog" if move < 0 else "long order backlog"
                self.log_event(f.index, kind, f.price, f"{why} ({move:+.0%})")

    def run(self, quarters: int | None = None) -> None:
        """Run ``quarters`` steps (default: the scenario horizon)."""
        for _ in range(self.params.quarters if quarters is None else quarters):
            self.step()

    def _update_demand(self) -> None:
        """Users, revenue and compute need; outside demand; the macro limit (world.demand)."""
        d = self.params.demand
        macro = self.params.macro
        q = self.quarter
        prev_need = self.demand.compute_need_gw
        self.prev_users = self.demand.users
        market = d.market_size * (1 + d.market_sentiment * self.sentiment)
        level = self._mean_cloud_price()
        change, self._cloud_price_level = level / self._cloud_price_level, level
        state = advance_demand(
            self.demand,
            d,
            market_size=market,
            hardware_index=self.hardware_index_now(),
            quarter=q,
            compute_price_change=change,
        )
        if self.compute_need_0 is None:
            self.compute_need_0 = max(state.compute_need_gw, 1e-9)
        index = state.compute_need_gw / self.compute_need_0
        if q > 0 and self.compute_index > 0 and index > 0:
            # outside demand grows as the index to the power of its elasticity
            a = self.params.behaviour.forecast_smoothing
            growth = (index / self.compute_index) ** macro.outside_compute_elasticity - 1.0
            self.outside_growth = a * growth + (1 - a) * self.outside_growth
        self.compute_index = index
        s = self.sentiment
        spending = (state.subscription_revenue + state.api_revenue) * sum(
            [f.spec.users_share for f in self._firms_of_role[Role.LAB]]
        )
        for f in self.firms:
            if isinstance(f, CloudProvider):
                ratio = f.price / f.spec.cloud_price_per_gw
                gw = outside_cloud_gw(f.spec.outside_cloud_demand_gw, index, s, ratio, macro)
                self.outside_cloud_gw[f.index] = gw
                spending += gw * f.price
            elif isinstance(f, ChipSupplier):
                ratio = f.markup
                gw = outside_gpu_gw(f.spec.outside_gpu_demand_gw, index, s, ratio, macro)
                self.outside_gpu_gw[f.index] = gw
                spending += gw * f.price
        self.wallet = wallet_factor(spending, macro_limit(q, macro))
        self.outside_cloud_gw *= self.wallet
        self.outside_gpu_gw *= self.wallet
        self.ai_spending = spending * self.wallet
        self.demand = scaled(state, self.wallet)
        if prev_need > 0:
            growth = self.demand.compute_need_gw / prev_need - 1
            a = self.params.behaviour.forecast_smoothing
            for lab in self.by_role(Role.LAB):
                lab.need_growth = a * growth + (1 - a) * lab.need_growth

    def update_valuations(self) -> None:
        """Reprice every firm after the quarter's results (see :mod:`world.valuation`)."""
        valuation.reprice(self)

    # -- helpers used by deals / operations -----------------------------------------
    def add_external_debt(
        self, firm: Firm, amount: float, rate: float, quarters: int, memo: str = "debt_issue"
    ) -> None:
        """Borrow ``amount`` from the credit market for ``quarters`` (books loan and cash).

        A draw that matures in the same quarter as one of the firm's loans adds to that
        loan (its rate becomes the principal-weighted average), so the loan book stays
        one loan per maturity.
        """
        maturity = self.quarter + quarters
        for loan in self.deals.of("loans", "borrower", firm.index):
            if (
                loan.lender == EXTERNAL
                and loan.maturity == maturity
                and loan.active
                and loan.signed < self.quarter
            ):
                loan.rate = (loan.rate * loan.principal + rate * amount) / (loan.principal + amount)
                loan.principal += amount
                self.deals.loan_changed(loan)
                finance.draw_external(self, firm, amount, memo)
                return
        loan = Loan(
            self.deals.new_id(),
            self.quarter,
            lender=EXTERNAL,
            borrower=firm.index,
            principal=amount,
            rate=rate,
            maturity=maturity,
        )
        self.deals.add(loan, endogenous=True)
        finance.draw_loan(self, loan, memo)
