"""Chip suppliers — the *fuel*: sell accelerators per GW, invest in labs, finance customers.

A supplier decides, from its own state:

* its **price** per GW (:meth:`ChipSupplier.decide_markup`): a markup over the
  reference price of a GW of accelerators (the opening price falling with capex per
  GW), raised when its order backlog covers more quarters of sales than it aims for,
  cut when it covers fewer, pulled toward its competitors' markups, never below its
  unit cost (:func:`agents.pricing.chip_markup_rule`);
* whether to make a **strategic investment** in a lab (:meth:`consider_investment`):
  when the lab cannot fund the compute it needs and the supplier's backlog and sales
  depend on it, up to the margin at stake and a share of its spare cash — the
  NVIDIA → OpenAI leg of the loop — and whether to keep paying its **tranches**
  (:meth:`tranche`);
* whether to **finance** a customer the credit market refuses (:meth:`vendor_offer`) —
  the Nortel channel — and, when a vendor loan matures, to have it repaid, **roll** it,
  **restructure** it (forgive part, extend) or **call** it (:meth:`vendor_loan_action`).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from agents.firm import Firm, InvestmentProposal
from agents.pricing import chip_markup_rule
from world.contracts import ACTIVE
from world.params import FirmSpec, Role

if TYPE_CHECKING:
    from agents.lab import AILab
    from world.contracts import EquityInvestment, Loan
    from world.model import AIEconomy

__all__ = ["ChipSupplier", "VendorAction"]


class VendorAction(Enum):
    """A supplier's decision on a maturing vendor loan."""

    REPAY = "repay"  # the borrower can pay (from cash or new credit): collect
    ROLL = "roll"  # extend at the vendor rate for a new tenor
    RESTRUCTURE = "restructure"  # forgive part of the principal and extend the rest
    CALL = "call"  # demand repayment now (the borrower pays or defaults)


class ChipSupplier(Firm):
    """Fuel: sells accelerators per GW, invests in labs, finances customers."""

    role: ClassVar[Role] = Role.CHIP

    def __init__(self, model: AIEconomy, spec: FirmSpec, index: int) -> None:
        super().__init__(model, spec, index)
        self.markup = 1.0  # price over the reference price of a GW of accelerators
        self.supply_gw = spec.supply_gw  # production capacity, GW per quarter (0: unlimited)
        self.supply_ratio = 1.0  # share of this quarter's demand it could deliver

    # -- pricing -------------------------------------------------------------------
    def reference_price(self) -> float:
        """Opening price per GW falling with capex per GW (USD bn per GW)."""
        return self.spec.gpu_price_per_gw * self.model.capex_index()

    @property
    def price(self) -> float:
        """List price per GW for new orders (USD bn per GW)."""
        return self.reference_price() * self.markup

    def unit_cost(self) -> float:
        """Cost of making one GW of accelerators (USD bn per GW)."""
        return (1.0 - self.spec.gross_margin) * self.reference_price()

    def backlog_cover(self) -> float:
        """Undelivered orders in quarters of recent accelerator sales."""
        m = self.model
        backlog = m.backlogs()[0][self.index]
        # accelerator sales: revenue less the legacy business's, over the same quarters
        n, q = min(len(self.revenue_history), 4), m.quarter
        factor = sum([self.legacy_growth_factor(q - k) for k in range(1, n + 1)]) / n if n else 1.0
        sales = self.recent_revenue() - self.spec.legacy_revenue * factor
        return backlog / max(sales, 1e-6)

    def decide_markup(self) -> float:
        """Next quarter's markup from backlog cover and competitors."""
        m = self.model
        others = [f.markup for f in m.by_role(Role.CHIP) if f is not self]
        competitor = sum(others) / len(others) if others else self.markup
        return chip_markup_rule(
            self.markup,
            self.backlog_cover(),
            competitor,
            1.0 - self.spec.gross_margin,
            m.params.pricing,
        )

    # -- production ------------------------------------------------------------------
    def allocate_supply(self, demand_gw: float) -> float:
        """Share of this quarter's demand (orders due and outside buyers) it can deliver.

        Also decides next quarter's production capacity: a sold-out supplier expands by
        ``supply_growth``, an idle one shrinks by ``supply_decline`` per unit idle share.
        """
        bo = self.model.params.buildout
        if self.supply_gw <= 0.0 or demand_gw <= 1e-12:
            self.supply_ratio = 1.0
            if self.supply_gw > 0.0:
                self.supply_gw *= 1.0 - bo.supply_decline
            return 1.0
        use = demand_gw / self.supply_gw
        self.supply_ratio = min(1.0, 1.0 / use)
        if use >= 1.0:
            self.supply_gw *= 1.0 + bo.supply_growth
        else:
            self.supply_gw *= 1.0 - bo.supply_decline * (1.0 - use)
        return self.supply_ratio

    # -- strategic investment --------------------------------------------------------
    def spare_cash(self) -> float:
        """Cash above a buffer of ``min_cash_quarters`` of a year's fixed costs (USD bn)."""
        b = self.model.params.behaviour
        return max(self.cash - b.min_cash_quarters * 4 * self.fixed_costs(), 0.0)

    def backlog_at_risk(self, lab: Firm) -> float:
        """Value of this supplier's undelivered orders that depend on ``lab`` (USD bn).

        The lab's own orders count whole; a provider's orders count in proportion to
        the share of the provider's contracted backlog that is owed by the lab.
        """
        m = self.model
        q = m.quarter + 1
        by_provider: dict[int, tuple[float, float]] = {}
        for c in m.deals.cloud:
            if not c.active:
                continue
            value = c.remaining_value(q)
            lab_part, total = by_provider.get(c.provider, (0.0, 0.0))
            by_provider[c.provider] = (
                lab_part + (value if c.customer == lab.index else 0.0),
                total + value,
            )
        risk = 0.0
        for o in m.deals.gpu:
            if o.supplier != self.index or not o.active:
                continue
            if o.buyer == lab.index:
                risk += o.remaining_value()
            elif o.buyer in by_provider:
                lab_part, total = by_provider[o.buyer]
                if total > 0:
                    risk += o.remaining_value() * lab_part / total
        return risk

    def consider_investment(self, lab: AILab) -> InvestmentProposal | None:
        """Offer a lab milestone tranches when its funding puts this supplier's sales at risk.

        The lab must lack funding for compute it needs (``lab.unfunded_gw``) or have
        failed to raise; the supplier then invests up to ``invest_margin_cover`` times
        the margin it would lose — on the backlog at risk and on the accelerators of the
        lab's unfunded GW — and at most ``invest_cash_share`` of its spare cash; the
        tranche per GW is its margin on one GW of its chips. No deal while an earlier
        one with the lab still has a GW or more undrawn, nor when the lab's prospects
        are worth nothing.
        """
        m = self.model
        b = m.params.behaviour
        if not b.strategic_investment or lab.defaulted:
            return None
        if lab.unfunded_gw < b.min_deal_gw and not lab.funding_stress:
            return None
        if m.fundamentals.values[lab.index] <= 0.0:
            return None
        per_gw = self.price * self.spec.gross_margin
        if per_gw <= 0.0:
            return None
        for inv in m.deals.equity:
            if (
                inv.active
                and inv.investor == self.index
                and inv.investee == lab.index
                and inv.max_amount - inv.paid >= per_gw
            ):
                return None
        chips_gw = lab.unfunded_gw * m.params.buildout.chip_share
        at_stake = self.spec.gross_margin * self.backlog_at_risk(lab) + per_gw * chips_gw
        amount = min(b.invest_margin_cover * at_stake, b.invest_cash_share * self.spare_cash())
        if amount < per_gw:
            return None
        return InvestmentProposal(self.index, lab.index, per_gw, amount)

    def tranche(self, inv: EquityInvestment, due: float) -> float:
        """How much of a tranche that fell due the supplier pays now (USD bn).

        A non-binding commitment (like NVIDIA's letter of intent): paid only while the
        supplier still invests strategically, from spare cash, into a lab not in
        default whose prospects are worth something.
        """
        m = self.model
        lab = m.firms[inv.investee]
        if not m.params.behaviour.strategic_investment or lab.defaulted:
            return 0.0
        if m.fundamentals.values[lab.index] <= 0.0:
            return 0.0
        b = m.params.behaviour
        spare = self.cash - b.min_cash_quarters * self.fixed_costs()
        return min(due, max(spare, 0.0))

    # -- vendor financing ----------------------------------------------------------------
    def vendor_book(self) -> float:
        """Vendor loans outstanding (USD bn)."""
        i = self.index
        loans = self.model.deals.of("loans", "lender", i)
        return sum([ln.principal for ln in loans if ln.status is ACTIVE])

    def vendor_offer(self, buyer: Firm, short: float, order_value: float) -> float:
        """Vendor loan offered to a buyer the credit market will not fully finance (USD bn).

        At most ``vendor_financing_share`` of the order, the supplier's spare cash and
        the room under ``vendor_book_limit`` times its EBITDA; nothing to a buyer with
        negative equity (even Nortel's customers had to look solvent).
        """
        b = self.model.params.behaviour
        if not b.vendor_financing or short <= 0 or buyer.balance.total_equity < 0.0:
            return 0.0
        room = b.vendor_book_limit * max(self.ebitda, 0.0) - self.vendor_book()
        return max(min(short, b.vendor_financing_share * order_value, self.spare_cash(), room), 0.0)

    def vendor_loan_action(self, loan: Loan) -> VendorAction:
        """Decide what to do with a vendor loan that matures (or was accelerated).

        * the borrower can pay from spare cash or new credit → ``REPAY``;
        * otherwise, if the supplier still finances customers, has the cash to wait and
          the borrower is solvent (positive equity, covenants met) → ``ROLL``;
        * otherwise, if the borrower is insolvent or in breach and forgiving
          ``vendor_restructure_haircut`` costs less than a default would (the
          creditors' recovery rate is below ``1 − haircut``) → ``RESTRUCTURE``;
        * otherwise → ``CALL``.
        """
        m = self.model
        b = m.params.behaviour
        borrower = m.firms[loan.borrower]
        buffer = b.min_cash_quarters * borrower.fixed_costs()
        available = max(borrower.cash - buffer, 0.0) + borrower.credit_quote(loan.principal).amount
        if available >= loan.principal:
            return VendorAction.REPAY
        solvent = borrower.balance.total_equity > 0.0 and not m.lenders.in_breach(borrower.index)
        if b.vendor_financing and solvent and self.spare_cash() >= loan.principal:
            return VendorAction.ROLL
        if not solvent and m.params.stress.recovery_rate < 1.0 - b.vendor_restructure_haircut:
            return VendorAction.RESTRUCTURE
        return VendorAction.CALL
