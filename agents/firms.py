"""Firm agents: one base class holding the books, three roles that differ by behaviour.

Figures (balance sheet, prices, margins) come from the scenario's
:class:`~world.params.FirmSpec` rows; the subclasses only decide. Agents read
state and return typed proposals; ``world`` executes and books them — an agent
never edits another agent's ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa

from world.buildout import Fleet
from world.ledger import Account, Ledger
from world.params import FirmSpec, Role
from world.stress import MinskyClass

if TYPE_CHECKING:
    from world.model import AIEconomy

__all__ = [
    "AILab",
    "ChipSupplier",
    "CloudProposal",
    "CloudProvider",
    "Firm",
    "GpuProposal",
    "InvestmentProposal",
    "make_firm",
]


@dataclass(frozen=True, slots=True)
class CloudProposal:
    """A lab asks a provider for ``gw`` from quarter ``start`` for ``quarters``."""

    customer: int
    provider: int
    gw: float
    start: int
    quarters: int


@dataclass(frozen=True, slots=True)
class GpuProposal:
    """A firm wants to order ``gw`` of accelerators from ``supplier``."""

    buyer: int
    supplier: int
    gw: float


@dataclass(frozen=True, slots=True)
class InvestmentProposal:
    """A supplier offers a lab ``per_gw`` USD bn per GW deployed, up to ``max_amount``."""

    investor: int
    investee: int
    per_gw: float
    max_amount: float


class Firm(mesa.Agent):
    """A firm with double-entry books and a compute fleet.

    Parameters
    ----------
    model
        The :class:`~world.model.AIEconomy` the firm lives in.
    spec
        The firm's data row from the scenario.
    index
        Position of the firm in the model's firm list (row of all matrices).
    """

    role: Role

    def __init__(self, model: AIEconomy, spec: FirmSpec, index: int) -> None:
        super().__init__(model)
        self.spec = spec
        self.name = spec.name
        self.index = index
        self.ledger = Ledger(spec.name, keep_journal=model.keep_journal)
        self.fleet = Fleet()
        self.valuation = spec.market_cap
        self.need_growth = 0.0
        self.defaulted = False
        self.unfunded_gw = 0.0
        self.ebitda_history: list[float] = []
        self.revenue_history: list[float] = []
        self.default_quarter = -1
        self.debtrank_loss = 0.0
        self.cancelled_value = 0.0  # contract value cancelled in distress (USD bn)
        self.rescued = 0.0  # cash raised in rescue rounds (USD bn)
        self.interest_due = 0.0  # this quarter (USD bn)
        self.principal_due = 0.0  # this quarter (USD bn)
        self.minsky = MinskyClass.HEDGE
        self.opex_level = spec.opex  # AI operating expenses this quarter (USD bn)
        self.round_quarter = -1  # last quarter the firm tried a regular round
        self.rescue_quarter = -1  # last quarter the firm tried a rescue round
        self.missed = 0.0  # payments due this quarter that could not be made (USD bn)
        self.capex = 0.0  # investing outflows for capacity this quarter (USD bn)
        self.utilisation = 0.0
        self.compute_used = 0.0
        self.served = 1.0
        self.outside_gpu_gw = 0.0
        self.statement = self.ledger.income_statement()
        self.cash_flows = self.ledger.cash_flow_statement()
        self.balance = self.ledger.balance_sheet()

    # -- reading the books ------------------------------------------------------
    @property
    def cash(self) -> float:
        """Cash (USD bn)."""
        return self.ledger.cash

    @property
    def debt(self) -> float:
        """Interest-bearing debt incl. vendor debt (USD bn)."""
        return self.ledger.balance(Account.DEBT) + self.ledger.balance(Account.VENDOR_DEBT)

    @property
    def total_assets(self) -> float:
        """Total assets (USD bn)."""
        return self.ledger.balance_sheet().total_assets

    @property
    def leverage(self) -> float:
        """Debt / total assets."""
        assets = self.total_assets
        return self.debt / assets if assets > 0 else 0.0

    @property
    def hard_assets(self) -> float:
        """PP&E plus construction in progress: lenders' collateral (USD bn)."""
        return self.ledger.balance(Account.PPE) + self.ledger.balance(
            Account.CONSTRUCTION_IN_PROGRESS
        )

    @property
    def ebitda(self) -> float:
        """EBITDA, annualised from up to the last four quarters (USD bn per year).

        Before the first quarter closes it is estimated from the firm's data row.
        """
        if self.ebitda_history:
            recent = self.ebitda_history[-4:]
            return 4.0 * sum(recent) / len(recent)
        s = self.spec
        per_q = (
            s.legacy_revenue * s.legacy_margin
            + s.deployed_gw * max(s.cloud_price_per_gw - s.operating_cost_per_gw, 0.0)
            + s.outside_gpu_demand_gw * s.gpu_price_per_gw * s.gross_margin
            - s.opex
        )
        return 4.0 * per_q

    def credit_quote(self, amount: float, *, refinancing: float = 0.0):
        """Ask the credit market for ``amount`` USD bn (see :class:`~agents.lenders.Lenders`).

        ``refinancing`` is debt the loan would replace (a rollover): it is excluded from
        the debt before the loan and the proceeds add no collateral.
        """
        m = self.model
        return m.lenders.quote(
            amount,
            self.debt - refinancing,
            self.ebitda,
            self.hard_assets,
            m.sentiment,
            1.0 if refinancing else m.params.behaviour.credit_use_limit,
            proceeds_collateral=refinancing == 0.0,
        )

    def borrowing_rate(self) -> float:
        """Interest rate per year on new debt now."""
        m = self.model
        return m.lenders.rate(self.debt, self.ebitda, self.hard_assets, m.sentiment)

    def fixed_costs(self) -> float:
        """Cash costs per quarter that do not scale with sales (USD bn)."""
        return self.model.opex_now(self) + self.model.interest_now(self)

    def adapt_opex(self) -> None:
        """Set next quarter's AI opex: it follows revenue, growing at most ``opex_growth``.

        ``opex ← opex · (1 + clip(g, −10 %, opex_growth))`` with ``g`` the latest
        quarter-on-quarter revenue growth: a firm hires as sales grow (up to its
        planned pace) and cuts when they fall.
        """
        hist = self.revenue_history
        if len(hist) < 2 or hist[-2] <= 1e-9:
            g = self.spec.opex_growth
        else:
            g = hist[-1] / hist[-2] - 1.0
        self.opex_level *= 1.0 + min(max(g, -0.1), self.spec.opex_growth)

    def secured_gw(self, q: int) -> float:
        """Own capacity in service at ``q``: fleet plus undelivered orders (GW)."""
        i = self.index
        pending = sum(
            [o.gw - o.delivered_gw for o in self.model.deals.gpu if o.buyer == i and o.active]
        )
        return self.fleet.gw_at(q) + pending

    def decide(self) -> list[object]:
        """Return this quarter's proposals (overridden by roles)."""
        return []


class ChipSupplier(Firm):
    """Fuel: sells accelerators per GW, invests in labs, finances customers."""

    role = Role.CHIP

    def consider_investment(self, lab: Firm, unfunded_gw: float) -> InvestmentProposal | None:
        """Offer a milestone investment to a lab whose compute plan lacks funding.

        The supplier invests when its cash exceeds its buffer and the lab buys its
        chips (directly or through its providers); the tranche per GW is the
        supplier's margin on one GW of its chips, so the deal pays for itself if
        the GW is built with its accelerators.
        """
        b = self.model.params.behaviour
        if not b.strategic_investment or unfunded_gw < b.min_deal_gw:
            return None
        spare = self.cash - b.min_cash_quarters * 4 * self.fixed_costs()
        if spare <= 0:
            return None
        per_gw = self.spec.gpu_price_per_gw * self.spec.gross_margin * self.model.capex_index()
        amount = min(per_gw * unfunded_gw, 0.25 * spare)
        if amount < per_gw:
            return None
        return InvestmentProposal(self.index, lab.index, per_gw, amount)


class CloudProvider(Firm):
    """Gears: buys accelerators, builds and powers data centres, rents compute."""

    role = Role.CLOUD

    def build_pays(self, quarters: int) -> bool:
        """True if renting a new GW for ``quarters`` at list price covers its cost.

        Rent minus operating cost over the term, discounted at the provider's cost of
        capital, plus the discounted residual value of the non-chip share, must
        exceed ``capex · (1 + hurdle)``.
        """
        m = self.model
        bo = m.params.buildout
        rate = self.borrowing_rate() / 4
        annuity = (1 - (1 + rate) ** -quarters) / rate if rate > 0 else float(quarters)
        margin = self.spec.cloud_price_per_gw - self.spec.operating_cost_per_gw
        capex = m.capex_per_gw_now()
        residual = capex * (1 - bo.chip_share) * 0.75 * (1 + rate) ** -quarters
        return margin * annuity + residual >= capex * (1 + m.params.behaviour.hurdle_spread)

    def accepts(self, proposal: CloudProposal) -> bool:
        """Accept a contract if the build pays (:meth:`build_pays`) and can be financed.

        Financing: cash, the credit market and (if on) vendor financing must cover at
        least half of the build.
        """
        m = self.model
        b = m.params.behaviour
        if not self.build_pays(proposal.quarters):
            return False
        need = proposal.gw * m.capex_per_gw_now()
        room = self.credit_quote(need).amount
        vendor = need * b.vendor_financing_share if b.vendor_financing else 0.0
        return self.cash + room + vendor >= 0.5 * need

    def plan_capacity(self) -> list[GpuProposal]:
        """Order accelerators for contracted demand, and for outside demand if it pays.

        Outside (spot) demand at the horizon is built for only when a new GW rented at
        list price for an accelerator life covers its cost of capital; otherwise the
        provider keeps its outside capacity at today's level.
        """
        m = self.model
        h = m.params.behaviour.plan_horizon
        q = m.quarter
        if self.build_pays(m.params.buildout.life_quarters):
            outside = m.outside_cloud_demand(self, q + h)
        else:
            outside = min(m.outside_cloud_demand(self, q), m.outside_cloud_demand(self, q + h))
        target = m.contracted_gw(self.index, q + h) + outside
        gap = target - self.secured_gw(q + h)
        if gap < m.params.behaviour.min_deal_gw:
            return []
        shares = self.spec.supplier_shares or {f.name: 1.0 for f in m.firms if f.role is Role.CHIP}
        total = sum(shares.values()) or 1.0
        return [
            GpuProposal(self.index, m.firm_index[name], gap * share / total)
            for name, share in sorted(shares.items())
            if share > 0
        ]


class AILab(Firm):
    """Engine: sells subscriptions and API tokens, rents compute, raises equity."""

    role = Role.LAB

    def forecast_need(self) -> float:
        """Compute need (GW) at the planning horizon: adaptive and optimism-biased."""
        m = self.model
        b = m.params.behaviour
        g = min(max(self.need_growth, -0.2), b.growth_cap)
        uplift = 1.0 + b.optimism * m.sentiment
        return m.demand.compute_need_gw * self.spec.users_share * (1 + g) ** b.plan_horizon * uplift

    def funding_capacity(self) -> float:
        """Money the lab can expect over the next year (USD bn)."""
        m = self.model
        b = m.params.behaviour
        revenue = 4 * m.lab_revenue_now(self)
        return max(revenue + 2 * b.lab_dilution_per_round * self.valuation + self.cash, 0.0)

    def plan_compute(self) -> list[CloudProposal]:
        """Rent the gap between forecast need and secured capacity, if affordable."""
        m = self.model
        b = m.params.behaviour
        q = m.quarter
        at = q + b.plan_horizon
        secured = m.lab_contracted_gw(self.index, at) + self.secured_gw(at)
        gap = self.forecast_need() - secured
        self.unfunded_gw = 0.0
        if gap < b.min_deal_gw:
            return []
        price = min(f.spec.cloud_price_per_gw for f in m.firms if f.role is Role.CLOUD)
        bill_now = 4 * price * secured
        affordable = b.lab_commitment_multiple * self.funding_capacity() - bill_now
        affordable_gw = max(affordable / (4 * price), 0.0)
        if affordable_gw < gap:
            self.unfunded_gw = gap - affordable_gw
            gap = affordable_gw
        if gap < b.min_deal_gw:
            return []
        providers = [f for f in m.firms if f.role is Role.CLOUD and not f.defaulted]
        order = m.rng.permutation(len(providers))
        ranked = sorted((providers[i] for i in order), key=lambda f: f.spec.cloud_price_per_gw)
        start = q + b.contract_lead
        return [CloudProposal(self.index, f.index, gap, start, b.contract_quarters) for f in ranked]


_ROLES: dict[Role, type[Firm]] = {
    Role.CHIP: ChipSupplier,
    Role.CLOUD: CloudProvider,
    Role.LAB: AILab,
}


def make_firm(model: AIEconomy, spec: FirmSpec, index: int) -> Firm:
    """Create the firm agent for ``spec``'s role."""
    return _ROLES[spec.role](model, spec, index)
