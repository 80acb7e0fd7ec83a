"""Cloud providers — the *gears*: buy accelerators, build data centres, rent compute.

A provider decides, from its own state and what it sees of the market:

* its **list price** per GW-quarter (:meth:`CloudProvider.decide_price`): cut when its
  capacity is idle now or will be when new contracts start, raised when full, pulled
  toward its competitors', never below its operating cost and never above
  ``cloud_max_entry_ratio`` times the rent at which a new GW would pay
  (:meth:`CloudProvider.entry_price`; :func:`agents.pricing.cloud_price_rule`);
* how much of a lab's request it **offers** (:meth:`CloudProvider.offer`): spare
  capacity first, then new builds, if a build pays at its price and enough of it can
  be financed;
* how many accelerators to **order** (:meth:`CloudProvider.plan_capacity`): a share of
  the gap between what it will need (contracts plus forecast outside demand) and what
  it has or has on order — partial adjustment, so orders follow demand without waves —
  and which undelivered orders to **cancel** when its need falls
  (:meth:`CloudProvider.excess_orders`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from agents.firm import Firm, GpuProposal
from agents.pricing import cloud_price_rule
from world.contracts import ACTIVE
from world.params import FirmSpec, Role

if TYPE_CHECKING:
    from world.contracts import GpuOrder
    from world.model import AIEconomy

__all__ = ["CloudProvider"]


class CloudProvider(Firm):
    """Gears: buys accelerators, builds and powers data centres, rents compute."""

    role: ClassVar[Role] = Role.CLOUD

    def __init__(self, model: AIEconomy, spec: FirmSpec, index: int) -> None:
        super().__init__(model, spec, index)
        self.price = spec.cloud_price_per_gw  # list price per GW-quarter (USD bn)
        self._order_weights: list[tuple[int, float]] | None = None  # see _suppliers()
        # supplier_shares() and which of its suppliers were alive when it was computed
        self._shares: dict[int, float] = {}
        self._shares_for: tuple[bool, ...] | None = None

    # -- pricing -------------------------------------------------------------------
    def load(self) -> float:
        """Utilisation the provider prices on: the lower of now and when new deals start.

        Now: the share of deployed capacity in use last quarter. Ahead: what it owes
        customers plus forecast outside demand, over its capacity (fleet and orders),
        when a contract signed today would start — so a provider whose contracts run
        out cuts its price before its capacity falls idle.
        """
        m = self.model
        start = m.quarter + m.params.behaviour.contract_lead
        secured = self.secured_gw(start)
        ahead = 1.0
        if secured > 1e-9:
            owed = m.contracted_gw(self.index, start)
            ahead = (owed + m.outside_cloud_forecast(self, start - m.quarter)) / secured
        now = self.utilisation if self.fleet.deployed_gw > 1e-9 else 1.0
        # min(max(min(now, ahead), 0.0), 1.0) without builtin calls (asked every quarter)
        load = ahead if ahead < now else now
        load = 0.0 if load < 0.0 else load
        return 1.0 if 1.0 < load else load

    def decide_price(self) -> float:
        """Next quarter's list price from its load and competitors (USD bn per GW-q)."""
        m = self.model
        others = [f.price for f in m.by_role(Role.CLOUD) if f is not self]
        competitor = sum(others) / len(others) if others else self.price
        return cloud_price_rule(
            self.price,
            self.load(),
            competitor,
            self.spec.operating_cost_per_gw,
            m.params.pricing,
            self.entry_price(),
        )

    def supplier_shares(self) -> dict[int, float]:
        """Share of its accelerator orders per chip supplier not in default (sums to 1).

        The shares change only when a supplier defaults: kept until then (callers read
        the dict, they do not change it).
        """
        firms = self.model.firms
        weights = self._suppliers()
        alive = tuple([not firms[i].defaulted for i, _ in weights])
        if alive != self._shares_for:
            shares = {i: w for i, w in weights if not firms[i].defaulted}
            total = sum(shares.values())
            self._shares = {i: w / total for i, w in shares.items()} if total > 0 else {}
            self._shares_for = alive
        return self._shares

    def _suppliers(self) -> list[tuple[int, float]]:
        """(supplier index, order weight > 0) from its data row (every supplier alike if none).

        The data and the firms do not change in a run: built on first use.
        """
        if self._order_weights is None:
            m = self.model
            names = self.spec.supplier_shares or {
                f.name: 1.0 for f in m.firms if f.role is Role.CHIP
            }
            self._order_weights = [(m.firm_index[n], w) for n, w in names.items() if w > 0]
        return self._order_weights

    def build_cost(self) -> float:
        """All-in cost of a new GW at today's chip prices (USD bn per GW).

        Its suppliers' list prices, weighted by its order shares, plus buildings and
        power at today's construction cost.
        """
        m = self.model
        capex = m.capex_per_gw_now()
        return self._build_cost(capex, capex * (1 - m.params.buildout.chip_share))

    def _build_cost(self, capex: float, construction: float) -> float:
        """:meth:`build_cost` from today's capex per GW and its construction part (USD bn/GW)."""
        shares = self.supplier_shares()
        if not shares:
            return capex
        firms = self.model.firms
        chips = sum([w * firms[i].price for i, w in shares.items()])
        return chips + construction

    # -- contracts -----------------------------------------------------------------
    def _build_terms(self, quarters: int) -> tuple[float, float]:
        """(annuity factor, build cost net of the buildings' discounted residual value).

        Over ``quarters`` at the provider's cost of capital: what a margin of one per
        quarter is worth today, and what a new GW costs at today's chip prices
        (:meth:`build_cost`) times ``1 + hurdle``, less the buildings' value at the end.
        """
        m = self.model
        bo = m.params.buildout
        rate = self.borrowing_rate() / 4
        discount = (1 + rate) ** -quarters  # of a payment at the end of the term
        annuity = (1 - discount) / rate if rate > 0 else float(quarters)
        if not annuity > 0.0:  # a rate too small for 1 - discount to differ from 0
            annuity = float(quarters)  # its limit as the rate goes to 0
        capex = m.capex_per_gw_now()
        building = capex * (1 - bo.chip_share)
        residual = building * bo.residual_value_share * discount
        net = self._build_cost(capex, building) * (1 + m.params.behaviour.hurdle_spread) - residual
        return annuity, net

    def build_pays(self, quarters: int, price: float | None = None) -> bool:
        """True if renting a new GW for ``quarters`` at ``price`` covers its cost.

        Rent minus operating cost over the term, discounted at the provider's cost of
        capital, plus the discounted residual value of the buildings, must exceed the
        build cost at today's chip prices (:meth:`build_cost`) times ``1 + hurdle``.
        ``price`` defaults to the list price.
        """
        annuity, net = self._build_terms(quarters)
        margin = (self.price if price is None else price) - self.spec.operating_cost_per_gw
        return margin * annuity >= net

    def entry_price(self) -> float:
        """Rent per GW-quarter at which a new GW just pays over an accelerator's life.

        The price at which :meth:`build_pays` turns true for ``life_quarters``: operating
        cost plus the net build cost spread as an annuity (USD bn per GW-quarter).
        """
        annuity, net = self._build_terms(self.model.params.buildout.life_quarters)
        # max(net, 0.0) written 0.0 if net < 0.0 else net (the same value, no builtin call)
        return self.spec.operating_cost_per_gw + (0.0 if net < 0.0 else net) / annuity

    def spare_gw(self, q: int) -> float:
        """Capacity at ``q`` (fleet and orders) not owed to customers or outside demand (GW)."""
        m = self.model
        used = m.contracted_gw(self.index, q) + m.outside_cloud_forecast(self, q - m.quarter)
        return max(self.secured_gw(q) - used, 0.0)

    def offer(self, gw: float, start: int, quarters: int) -> float:
        """GW of a lab's request for ``[start, start + quarters)`` the provider takes on.

        Spare capacity is offered whole; new builds only if a build pays at the list
        price and cash, the credit market and (if on) vendor financing cover at least
        ``build_financing_cover`` of their cost. Either way, at most what keeps its
        backlog within ``provider_max_backlog_years`` of its trailing revenue
        (:meth:`backlog_room_gw`).
        """
        m = self.model
        b = m.params.behaviour
        if self.defaulted or gw <= 0:
            return 0.0
        room = self.backlog_room_gw(quarters)
        gw = room if room < gw else gw  # min(gw, room)
        if gw <= 1e-9:
            return 0.0
        spare = min(self.spare_gw(start), gw)
        build = gw - spare
        if build <= 1e-9 or not self.build_pays(quarters):
            return spare
        per_gw = self.build_cost()
        need = build * per_gw
        room = self.credit_quote(need).amount
        vendor = need * b.vendor_financing_share if b.vendor_financing else 0.0
        funds = max(self.cash - b.min_cash_quarters * self.fixed_costs(), 0.0) + room + vendor
        if b.build_financing_cover <= 0:  # no cover asked: every build is taken on
            return spare + build
        financed_gw = funds / (b.build_financing_cover * per_gw)
        return spare + min(build, financed_gw)

    def backlog_room_gw(self, quarters: int) -> float:
        """GW a new ``quarters``-long contract at the list price can add to the backlog.

        The provider keeps its backlog (the remaining value of its contracts and
        undelivered orders it sells) within ``provider_max_backlog_years`` years of
        its trailing four quarters' revenue (fewer quarters at the start: their mean
        times four). No revenue yet: no limit.
        """
        m = self.model
        if not self.revenue_history:
            return float("inf")
        limit = m.params.behaviour.provider_max_backlog_years * 4.0 * self.recent_revenue()
        room = limit - m.backlogs()[0][self.index]
        per_gw = self.price * quarters
        return room / per_gw if room > 0.0 and per_gw > 0.0 else 0.0

    # -- capacity --------------------------------------------------------------------
    def capacity_target(self, q: int) -> float:
        """GW the provider wants in service at ``q``: contracts plus outside demand.

        Outside (spot) demand is built for at its forecast only when a new GW rented at
        the list price for an accelerator life covers its cost of capital; otherwise the
        provider keeps its outside capacity at today's level or the forecast if lower.
        """
        m = self.model
        ahead = q - m.quarter
        outside = m.outside_cloud_forecast(self, ahead)
        today = m.outside_cloud_forecast(self, 0)
        if outside < today:
            # a falling forecast is the lower either way: no need to ask whether a build
            # pays; but the lenders still assess the deal book now, as that would
            # (:meth:`~world.model.AIEconomy.credit_backlogs`, once a quarter when first
            # asked)
            m.credit_backlogs()
        elif not self.build_pays(m.params.buildout.life_quarters):
            outside = min(today, outside)
        return m.contracted_gw(self.index, q) + outside

    def capacity_gap(self) -> float:
        """GW the provider lacks at the planning horizon (negative: GW it has in excess).

        Its capacity target less its fleet and undelivered orders then.
        """
        at = self.model.quarter + self.model.params.behaviour.plan_horizon
        return self.capacity_target(at) - self.secured_gw(at)

    def plan_capacity(self, gap: float | None = None) -> list[GpuProposal]:
        """Order a share ``order_adjustment`` of the capacity gap at the planning horizon.

        A gap of at least ``min_deal_gw`` is ordered at least at that size, so a small
        provider does not let its fleet retire one partial order at a time. ``gap`` is
        :meth:`capacity_gap` if already known (nothing changed since).
        """
        m = self.model
        b = m.params.behaviour
        if gap is None:
            gap = self.capacity_gap()
        if gap < b.min_deal_gw:
            return []
        gap = gap * b.order_adjustment
        gap = b.min_deal_gw if b.min_deal_gw > gap else gap  # a small gap is ordered whole
        return [
            GpuProposal(self.index, i, gap * w) for i, w in sorted(self.supplier_shares().items())
        ]

    def excess_orders(self, gap: float | None = None) -> list[tuple[GpuOrder, float]]:
        """Undelivered orders to cancel when the need at the horizon fell: (order, GW).

        Cancels the latest orders first, down to the capacity target (cancellation
        costs ``order_cancel_fee`` of the cancelled value, so the provider only cancels
        what it does not expect to need). ``gap`` is :meth:`capacity_gap` if already
        known.
        """
        m = self.model
        excess = -(self.capacity_gap() if gap is None else gap)
        cuts: list[tuple[GpuOrder, float]] = []
        if excess < m.params.behaviour.min_deal_gw:
            return cuts
        mine = [o for o in m.deals.of("gpu", "buyer", self.index) if o.status is ACTIVE]
        for order in sorted(mine, key=lambda o: -o.signed):
            if excess <= 1e-9:
                break
            undelivered = order.gw - order.delivered_gw
            cut = min(undelivered, excess)
            if cut > 1e-9:
                cuts.append((order, cut))
                excess -= cut
        return cuts
