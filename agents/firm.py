"""The firm agent's base: double-entry books, a compute fleet, and the typed proposals.

Figures (balance sheet, prices, margins) come from the scenario's
:class:`~world.params.FirmSpec` rows; the role subclasses (:mod:`agents.chip`,
:mod:`agents.cloud`, :mod:`agents.lab`) only decide. Agents read state and return
typed proposals; ``world`` executes and books them — an agent never edits another
agent's ledger.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import mesa

from world.buildout import Fleet
from world.contracts import ACTIVE
from world.ledger import Account, Ledger
from world.params import FirmSpec, Role
from world.stress import MinskyClass

if TYPE_CHECKING:
    from world.model import AIEconomy

__all__ = ["CloudProposal", "Firm", "GpuProposal", "InvestmentProposal"]


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

    role: ClassVar[Role]

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
        self._ebitda_cache: tuple[list[float] | None, int, float] = (None, 0, 0.0)
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
        self.payout = 0.0  # cash returned to shareholders this quarter (USD bn)
        self.equity_raised = 0.0  # cash received for new shares this quarter (USD bn)
        self.utilisation = 0.0
        self.compute_used = 0.0
        self.compute_bill = 0.0  # rent paid for compute this quarter (USD bn)
        self.gw_in_use = 0.0  # own deployed GW in use this quarter (the rest is idle)
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
        history = self.ebitda_history
        if history:
            # the history only grows, at the close: cached until it is longer (or replaced)
            cached_history, cached_length, value = self._ebitda_cache
            if cached_history is not history or cached_length != len(history):
                recent = history[-4:]
                value = 4.0 * sum(recent) / len(recent)
                self._ebitda_cache = (history, len(history), value)
            return value
        s = self.spec
        per_q = (
            s.legacy_revenue * s.legacy_margin
            + s.deployed_gw * max(s.cloud_price_per_gw - s.operating_cost_per_gw, 0.0)
            + s.outside_gpu_demand_gw * s.gpu_price_per_gw * s.gross_margin
            - s.opex
        )
        return 4.0 * per_q

    def creditworthy_backlog(self) -> float:
        """Contracted take-or-pay revenue lenders count as a lending base (USD bn).

        Each contract counts its take-or-pay part, weighted by the customer's credit: a
        customer in default counts nothing; a lab counts in proportion to how much of
        its remaining commitments the value of its prospects covers (at most fully).
        """
        return self.model.credit_backlogs()[self.index]

    def credit_quote(self, amount: float, *, refinancing: float = 0.0):
        """Ask the credit market for ``amount`` USD bn (see :class:`~agents.lenders.Lenders`).

        ``refinancing`` is debt the loan would replace (a rollover): it is excluded from
        the debt before the loan, and the firm's own credit-use limit does not apply. A
        firm in breach of a covenant gets nothing.
        """
        m = self.model
        return m.lenders.quote(
            amount,
            self.debt - refinancing,
            self.ebitda,
            self.hard_assets,
            m.sentiment,
            1.0 if refinancing else m.params.behaviour.credit_use_limit,
            backlog=m.credit_backlogs()[self.index],  # creditworthy_backlog(), one call less
            breached=m.lenders.in_breach(self.index),
        )

    def borrowing_rate(self) -> float:
        """Interest rate per year on new debt now."""
        m = self.model
        # the backlog is creditworthy_backlog(), asked of the model directly (one call less)
        return m.lenders.rate(
            self.debt, self.ebitda, self.hard_assets, m.sentiment, m.credit_backlogs()[self.index]
        )

    def choose_maturity(self) -> int:
        """Tenor (quarters) for new debt: the offered tenor whose maturity is least crowded.

        The firm ladders its debt: among the credit market's tenors it picks the one
        whose maturity quarter (± one quarter) has the least of its debt falling due,
        preferring the longest on ties — so refinancing needs never pile up in one
        quarter.
        """
        m = self.model
        q = m.quarter
        tenors = m.params.credit.debt_tenors
        # only the maturities a tenor looks at are summed (each in the loans' order, as
        # a sum over all would): most of a firm's loans fall due elsewhere
        near = _near_maturities(q, tenors)
        due: dict[int, float] = {}
        for ln in m.deals.of("loans", "borrower", self.index):
            if ln.maturity in near and ln.status is ACTIVE:
                due[ln.maturity] = due.get(ln.maturity, 0.0) + ln.principal
        best, best_load = 0, float("inf")
        for tenor in tenors:
            t = q + tenor
            load = due.get(t - 1, 0.0) + due.get(t, 0.0) + due.get(t + 1, 0.0)
            if load <= best_load:
                best, best_load = tenor, load
        return best

    def committed_capex(self, quarters: int) -> float:
        """Cash due on undelivered GPU orders in the next ``quarters`` quarters (USD bn).

        Not memoised: each ask comes after the deal book changed (a baseline run asks
        about 2,000 times and would find nothing in the memo).
        """
        m = self.model
        orders = m.deals.of("gpu", "buyer", self.index)
        if not orders:  # (most firms order no accelerators: no construction cost asked)
            return 0.0
        q = m.quarter
        build = m.construction_per_gw(self)
        total = 0.0
        for o in orders:
            if o.status is ACTIVE:
                total += o.cash_due(q, quarters, build)
        return total

    def capital_allocation(self) -> tuple[float, float]:
        """Cash to repay debt and to pay out this quarter: ``(repay, payout)``, USD bn.

        The firm keeps its :meth:`cash_reserve`; of the excess it repays
        ``deleverage_share`` of its debt (all of the excess while it breaches a
        covenant), and a firm that :meth:`may_pay_out`, with positive book equity and no
        breach, returns ``payout_share`` of what is left to its shareholders.
        """
        excess = self.cash - self.cash_reserve()
        if excess <= 1e-9 or self.defaulted:
            return 0.0, 0.0
        m = self.model
        b = m.params.behaviour
        breach = m.lenders.in_breach(self.index)
        share = 1.0 if breach else b.deleverage_share
        repay = min(share * excess, self.ledger.balance(Account.DEBT))
        sound = not breach and self.balance.total_equity > 0.0
        payout = b.payout_share * (excess - repay) if sound and self.may_pay_out() else 0.0
        return repay, payout

    def cash_reserve(self) -> float:
        """Cash kept before repaying debt or paying out (USD bn).

        ``cash_reserve_quarters`` of fixed costs and of committed capex.
        """
        n = self.model.params.behaviour.cash_reserve_quarters
        return n * self.fixed_costs() + self.committed_capex(max(int(round(n)), 1))

    def may_pay_out(self) -> bool:
        """Whether the firm returns surplus cash to shareholders: a listed firm does."""
        return self.spec.listed

    def damped_growth(self, growth: float, quarters: int) -> float:
        """Factor by which a quantity growing at ``growth`` now grows over ``quarters``.

        Damped trend: the growth rate is first bounded by ``growth_floor`` and
        ``growth_cap``, then shrinks by ``forecast_damping`` each quarter ahead,
        ``Π_{k=1..h} (1 + g φ^k)``.
        """
        b = self.model.params.behaviour
        g = b.growth_floor if b.growth_floor > growth else growth  # max, min: no builtin calls
        g = b.growth_cap if b.growth_cap < g else g
        factor, step = 1.0, g
        for _ in range(quarters):  # none for quarters <= 0
            step *= b.forecast_damping
            factor *= 1.0 + step
        return factor

    def fixed_costs(self) -> float:
        """Cash costs per quarter that do not scale with sales (USD bn).

        Its AI opex less the part it pays in stock (``stock_pay_share``), its interest
        and, if it colocates, the rent of the shells its fleet is in.
        """
        return self.cash_opex() + self.model.interest_now(self) + self.shell_rent()

    def cash_opex(self) -> float:
        """AI opex this quarter less the part paid in stock (``stock_pay_share``), USD bn."""
        return self.model.opex_now(self) * (1.0 - self.spec.stock_pay_share)

    def shell_rent(self) -> float:
        """Rent this quarter for the shells its fleet is in, USD bn (0 unless it colocates)."""
        return self.fleet.deployed_gw * self.model.shell_rent_per_gw(self)

    def legacy_growth_factor(self, q: int) -> float:
        """How much the business outside the network has grown by quarter ``q``.

        ``(1 + legacy_growth)^q``: its revenue and capex in quarter ``q`` are
        ``legacy_revenue`` and ``legacy_capex`` times this.
        """
        return (1.0 + self.spec.legacy_growth) ** q

    def recent_revenue(self) -> float:
        """Mean revenue per quarter over the last four quarters, USD bn.

        Fewer quarters at the start; 0 before the first.
        """
        recent = self.revenue_history[-4:]
        return sum(recent) / len(recent) if recent else 0.0

    def adapt_opex(self) -> None:
        """Set next quarter's AI opex: it follows revenue, growing at most ``opex_growth``.

        ``opex ← opex · (1 + clip(g, −opex_cut_max, opex_growth))`` with ``g`` the latest
        quarter-on-quarter revenue growth: a firm hires as sales grow (up to its
        planned pace) and cuts when they fall.
        """
        hist = self.revenue_history
        if len(hist) < 2 or hist[-2] <= 1e-9:
            g = self.spec.opex_growth
        else:
            g = hist[-1] / hist[-2] - 1.0
        floor, cap = -self.model.params.behaviour.opex_cut_max, self.spec.opex_growth
        g = floor if floor > g else g  # min(max(g, floor), cap) without builtin calls
        self.opex_level *= 1.0 + (cap if cap < g else g)

    def secured_gw(self, q: int) -> float:
        """Own capacity in service at ``q``: fleet plus undelivered orders (GW)."""
        i = self.index
        pending = sum(
            [
                o.gw - o.delivered_gw
                for o in self.model.deals.of("gpu", "buyer", i)
                if o.status is ACTIVE
            ]
        )
        return self.fleet.gw_at(q) + pending

    def decide(self) -> list[object]:
        """Return this quarter's proposals (overridden by roles)."""
        return []


@functools.lru_cache(maxsize=64)
def _near_maturities(q: int, tenors: tuple[int, ...]) -> frozenset[int]:
    """Maturity quarters :meth:`Firm.choose_maturity` weighs in ``q``: each tenor's ± one."""
    return frozenset([q + t + d for t in tenors for d in (-1, 0, 1)])
