"""AI labs — the *engine*: sell subscriptions and API tokens, rent compute, raise equity.

A lab decides, from its own state:

* how much **compute to rent** (:meth:`AILab.plan_compute`): the gap between its
  forecast need (adaptive, optimism-biased by sentiment) and what it has secured, as far
  as its funding capacity carries the bill; it asks providers in order of price, and
  each offers what it has or can build (availability);
* when and how much to **raise** (:meth:`AILab.round_request`): when its cash covers
  fewer than ``lab_runway_quarters`` of expected burn — operating costs plus the compute
  it has contracted, less revenue — it seeks ``lab_runway_target`` quarters of burn, at
  most ``max_round_share`` of its valuation; it asks the higher of its last valuation
  and the value investors see in its prospects, or — after a failed round or with little
  runway left — accepts a down round at the lower of the two;
* how to **cut** when it cannot raise enough (:meth:`AILab.distress_cuts`): opex first,
  then undelivered GPU orders and cloud contracts beyond what it can pay for, latest
  first, paying the cancellation fees its contracts set. What it still cannot pay it
  misses, and it defaults;
* what to do with **surplus cash** (:meth:`AILab.may_pay_out`, :meth:`AILab.cash_reserve`):
  while its revenue covers its costs, it returns part of the cash above its reserve to
  its shareholders, as a listed firm does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from agents.firm import Firm
from world.params import FirmSpec, Role

if TYPE_CHECKING:
    from world.contracts import CloudContract, GpuOrder
    from world.model import AIEconomy

__all__ = ["AILab", "ComputeRequest", "RoundRequest"]

_add_up = np.add.reduce  # what ``ndarray.sum`` calls, without its Python wrapper


@dataclass(frozen=True, slots=True)
class ComputeRequest:
    """A lab wants ``gw`` more compute from ``start`` for ``quarters``."""

    customer: int
    gw: float
    start: int
    quarters: int


@dataclass(frozen=True, slots=True)
class RoundRequest:
    """A lab seeks ``amount`` of new equity at a pre-money valuation of ``ask`` (USD bn)."""

    amount: float
    ask: float


class AILab(Firm):
    """Engine: sells subscriptions and API tokens, rents compute, raises equity."""

    role: ClassVar[Role] = Role.LAB

    def __init__(self, model: AIEconomy, spec: FirmSpec, index: int) -> None:
        super().__init__(model, spec, index)
        self.funding_stress = False  # the lab could not raise what it sought lately
        self.failed_rounds = 0  # consecutive regular rounds that raised nothing
        self.round_scale = 1.0  # share of its need the lab seeks (learnt from failures)
        self._costs: tuple[tuple, float] = ((), 0.0)  # cash_costs() and what it read

    # -- compute ------------------------------------------------------------------
    def forecast_need(self) -> float:
        """Compute need (GW) at the planning horizon: a damped trend, optimism-biased."""
        m = self.model
        b = m.params.behaviour
        trend = self.damped_growth(self.need_growth, b.plan_horizon)
        uplift = max(1.0 + b.optimism * m.sentiment, 0.0)
        return m.demand.compute_need_gw * self.spec.users_share * trend * uplift

    def funding_capacity(self) -> float:
        """Money the lab can expect per year over a contract's life (USD bn).

        A year of revenue, the rounds it counts on (``lab_rounds_per_year`` rounds of
        ``lab_dilution_per_round`` of its valuation — the reflexive channel: a higher
        valuation carries larger commitments) and its cash spread over the years of a
        new contract; no rounds while it is in funding stress.
        """
        m = self.model
        b = m.params.behaviour
        revenue = 4 * m.lab_revenue_now(self)
        rounds = 0.0 if self.funding_stress else b.lab_rounds_per_year
        raise_ = rounds * b.lab_dilution_per_round * self.valuation
        years = b.contract_quarters / 4.0
        return max(revenue + raise_ + self.cash / years, 0.0)

    def plan_compute(self) -> ComputeRequest | None:
        """Rent the gap between forecast need and secured capacity, if affordable.

        The bill of what is secured plus the gap, at the cheapest list price, may be at
        most ``lab_commitment_multiple`` times the funding capacity; the rest of the gap
        is recorded as ``unfunded_gw`` (what a strategic investor could fund).
        """
        m = self.model
        b = m.params.behaviour
        q = m.quarter
        at = q + b.plan_horizon
        secured = m.lab_contracted_gw(self.index, at) + self.secured_gw(at)
        gap = self.forecast_need() - secured
        self.unfunded_gw = 0.0
        if gap < b.min_deal_gw:
            return None
        prices = [f.price for f in m.by_role(Role.CLOUD)]
        if not prices:
            return None
        price = min(prices)
        bill_now = 4 * price * secured
        affordable = b.lab_commitment_multiple * self.funding_capacity() - bill_now
        affordable_gw = max(affordable / (4 * price), 0.0)
        if affordable_gw < gap:
            self.unfunded_gw = gap - affordable_gw
            gap = affordable_gw
        if gap < b.min_deal_gw:
            return None
        return ComputeRequest(self.index, gap, q + b.contract_lead, b.contract_quarters)

    def rank_providers(self) -> list[Firm]:
        """Providers not in default, cheapest first (ties in a seeded random order)."""
        m = self.model
        providers = m.by_role(Role.CLOUD)
        m.rng.shuffle(providers)  # as rng.permutation would order them, from the same draws
        return sorted(providers, key=lambda f: f.price)

    # -- funding --------------------------------------------------------------------
    def expected_burn(self) -> float:
        """Expected net cash outflow per quarter over the runway target (USD bn; < 0: none).

        Its :meth:`cash_costs` less its latest revenue: the last closed quarter's, or in
        the first quarter (none closed yet) the sales booked so far this quarter.
        """
        latest = self.statement if self.revenue_history else self.ledger.income_statement()
        return self.cash_costs() - latest.revenue

    def cash_costs(self) -> float:
        """Expected cash costs per quarter over the runway target, before revenue (USD bn).

        Opex less the part paid in stock (``stock_pay_share``), power (and, if it
        colocates, rent) for its own fleet and the larger of its current compute bill and
        the compute it has contracted (take-or-pay minimums and GPU deliveries).

        Asked three or four times a quarter (round, cuts, reserve, payout), mostly with
        nothing it reads changed: kept until the quarter, the deal book, the parameters,
        its compute bill, its fleet or its opex change.
        """
        m = self.model
        key = (
            m.quarter,
            m.deals.revision,
            m.params,
            self.compute_bill,
            self.fleet.deployed_gw,
            self.opex_level,
        )
        inputs, costs = self._costs
        if inputs != key:
            costs = self._cash_costs()
            self._costs = (key, costs)
        return costs

    def _cash_costs(self) -> float:
        """:meth:`cash_costs` computed afresh."""
        m = self.model
        b = m.params.behaviour
        committed = m.fundamentals.committed_compute(self, b.lab_runway_target)
        # max(mean, bill) without builtin calls; np.add.reduce is what ndarray.sum calls
        mean = float(_add_up(committed)) / (committed.size if committed.size > 1 else 1)
        bill = self.compute_bill
        compute = bill if bill > mean else mean
        per_gw = self.spec.operating_cost_per_gw + m.shell_rent_per_gw(self)
        fleet = self.fleet.deployed_gw * per_gw  # power, and rent if it colocates
        return self.cash_opex() + fleet + compute

    def runway(self) -> float:
        """Quarters of expected burn the lab's cash covers (``inf`` if it burns nothing)."""
        return self._runway_at(self.expected_burn())

    def _runway_at(self, burn: float) -> float:
        """Quarters of ``burn`` the lab's cash covers (``inf`` if it burns nothing)."""
        return float("inf") if burn <= 1e-9 else max(self.cash, 0.0) / burn

    def cash_reserve(self) -> float:
        """Cash kept before repaying debt or paying out (USD bn).

        A firm's reserve, with the lab's largest cost counted: at least
        ``cash_reserve_quarters`` of its :meth:`cash_costs` (opex, power and the compute
        it pays for or has contracted).
        """
        reserve = self.model.params.behaviour.cash_reserve_quarters * self.cash_costs()
        firm = super().cash_reserve()
        return reserve if reserve > firm else firm

    def may_pay_out(self) -> bool:
        """Whether the lab returns surplus cash (a buyback or a tender offer).

        Listed or not, only while it funds itself: its revenue covers its expected costs
        and its last round did not fall short.
        """
        return not self.funding_stress and self.expected_burn() <= 0.0

    def round_request(self, *, force: bool = False) -> RoundRequest | None:
        """The round the lab seeks now, if any (``force``: it must raise whatever it can).

        It raises when its runway is below ``lab_runway_quarters``: enough for
        ``lab_runway_target`` quarters of burn (scaled down after failed rounds, see
        :meth:`record_round`), at most ``max_round_share`` of its valuation; unless forced, it
        seeks no round that this cap holds below ``min_round_scale`` of its need (a lab
        worth next to nothing cannot raise money that buys runway). It asks the
        higher of its last valuation and what investors see in its prospects (its
        fundamental value), at most ``max_round_step_up`` times its last valuation; with
        funding stress or less than ``lab_min_runway`` quarters left it accepts the lower
        of the two (a down round), if its prospects are worth anything.
        """
        m = self.model
        b = m.params.behaviour
        burn = self.expected_burn()
        if burn <= 1e-9 and not force:
            return None
        runway = self._runway_at(burn)
        if runway >= b.lab_runway_quarters and not force:
            return None
        need = max(b.lab_runway_target * burn - self.cash, burn, 0.0)
        amount = min(need * self.round_scale, b.max_round_share * self.valuation)
        if amount <= 1e-9 or (amount < b.min_round_scale * need and not force):
            return None  # a round its valuation holds below min_round_scale buys no runway
        fundamental = float(m.fundamentals.values[self.index])
        ask = min(max(self.valuation, fundamental), b.max_round_step_up * self.valuation)
        if (self.funding_stress or runway < b.lab_min_runway) and fundamental > 0.0:
            ask = min(self.valuation, fundamental)
        return RoundRequest(amount, ask)

    def record_round(self, sought: float, raised: float) -> None:
        """Remember how the last regular round went.

        Funding stress when it raised less than ``lab_stress_share`` of what it sought;
        after a failed round the lab seeks ``round_retry_share`` times the share of its
        need it sought, never less than ``min_round_scale``; after a success ``1 /
        round_retry_share`` times, up to all of it.
        """
        b = self.model.params.behaviour
        failed = raised <= 1e-9
        self.failed_rounds = self.failed_rounds + 1 if failed else 0
        self.funding_stress = raised < b.lab_stress_share * sought
        if failed:
            self.round_scale = max(self.round_scale * b.round_retry_share, b.min_round_scale)
        elif b.round_retry_share > 0.0:
            self.round_scale = min(1.0, self.round_scale / b.round_retry_share)
        else:
            self.round_scale = 1.0

    # -- distress ---------------------------------------------------------------------
    def distress_cuts(self) -> tuple[float, list[GpuOrder], list[CloudContract]]:
        """What a lab short of runway cuts: (opex cut USD bn, orders, contracts to cancel).

        Only when its runway is below ``lab_min_runway`` quarters. Opex falls by
        ``lab_opex_cut``; undelivered GPU orders go first, then cloud contracts for
        capacity beyond what its latest revenue can pay at today's prices, latest start
        first — as far as its cash, less a quarter's burn, pays the cancellation fees
        its contracts set. The world charges the fees.
        """
        m = self.model
        b = m.params.behaviour
        if self.runway() >= b.lab_min_runway:
            return 0.0, [], []
        opex_cut = b.lab_opex_cut * self.opex_level
        orders = [o for o in m.deals.of("gpu", "buyer", self.index) if o.active]
        q = m.quarter
        mine = [c for c in m.deals.of("cloud", "customer", self.index) if c.active and c.end > q]
        price = min([f.price for f in m.by_role(Role.CLOUD)] or [1.0])
        affordable_gw = max(self.statement.revenue, 0.0) / max(price, 1e-9)
        keep_gw = 0.0
        excess: list[CloudContract] = []
        for c in sorted(mine, key=lambda c: (c.start, c.id)):
            if keep_gw + c.gw <= affordable_gw + 1e-9:
                keep_gw += c.gw
            else:
                excess.append(c)
        # it can only walk away from what it can pay the fees for
        budget = max(self.cash - max(self.expected_burn(), 0.0), 0.0)
        fees = 0.0
        for o in orders:
            fees += o.cancel_fee * (o.gw - o.delivered_gw) * o.price
        if fees > budget:
            orders = []
            fees = 0.0
        cancel: list[CloudContract] = []
        for c in sorted(excess, key=lambda c: (-c.start, -c.id)):
            fee = c.cancellation_fee(q + 1)
            if fees + fee <= budget:
                cancel.append(c)
                fees += fee
        return opex_cut, orders, cancel
