"""Equity for the labs: milestone tranches, funding rounds and the labs' distress cuts.

* **Tranches** of strategic investments fall due as the lab's compute grows past each
  GW; the investor decides whether to pay (a supplier only while it still invests,
  into a lab not in default whose prospects are worth something:
  :meth:`agents.chip.ChipSupplier.tranche`).
* **Rounds**: each lab decides whether and how much to raise and at what ask
  (:meth:`agents.lab.AILab.round_request`); the investor population prices and fills
  the round (:func:`world.finance.funding_round`), which can be undersubscribed or
  fail.
* **Cuts**: a lab still short of runway cuts opex and cancels commitments on their
  contract terms (:meth:`agents.lab.AILab.distress_cuts`,
  :mod:`world.cancellation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.chip import ChipSupplier
from agents.lab import AILab
from world.cancellation import cancel_cloud, cut_order
from world.contracts import ContractStatus
from world.events import EventKind
from world.finance import funding_round, issue_equity
from world.ledger import Account, CashFlowKind
from world.params import Role

if TYPE_CHECKING:
    from world.model import AIEconomy

INV, FIN = CashFlowKind.INVESTING, CashFlowKind.FINANCING
_EPS = 1e-9

__all__ = ["lab_funding", "milestone_tranches", "raise_for"]


def milestone_tranches(model: AIEconomy) -> None:
    """Pay the tranches of strategic investments that milestones unlocked, if decided."""
    b = model.params.behaviour
    for inv in model.deals.equity:
        due = inv.due(model.lab_compute_gw[inv.investee])
        if due <= _EPS:
            continue
        investor, investee = model.firms[inv.investor], model.firms[inv.investee]
        if isinstance(investor, ChipSupplier):
            amount = investor.tranche(inv, due)
        else:
            spare = investor.cash - b.min_cash_quarters * investor.fixed_costs()
            amount = 0.0 if investee.defaulted else min(due, max(spare, 0.0))
        if amount <= _EPS:
            continue
        model.payments.pay(
            investor.index,
            investee.index,
            amount,
            payer_debit=Account.STAKES,
            payee_credit=Account.PAID_IN_CAPITAL,
            memo="equity_tranche",
            payer_flow=INV,
            payee_flow=FIN,
            financing=True,
        )
        issue_equity(model, investee.index, investor.index, amount)
        inv.paid += amount
        if inv.paid >= inv.max_amount - 1e-9:
            inv.status = ContractStatus.COMPLETED


def raise_for(model: AIEconomy, lab: AILab, *, force: bool = False, at_least: float = 0.0) -> float:
    """Run the lab's regular round of this quarter, if it wants one; return the raise.

    At most one regular round per quarter. ``force``: the lab must raise now (a payment
    is due), seeking at least ``at_least``.
    """
    q = model.quarter
    if lab.round_quarter == q or lab.defaulted:
        return 0.0
    request = lab.round_request(force=force)
    if request is None:
        return 0.0
    lab.round_quarter = q
    sought = max(request.amount, at_least)
    raised = funding_round(model, lab, sought, ask=request.ask)
    lab.record_round(sought, raised)
    return raised


def lab_funding(model: AIEconomy) -> None:
    """Each lab raises if its runway is short, then cuts if it is still too short."""
    for lab in model.by_role(Role.LAB):
        assert isinstance(lab, AILab)
        raise_for(model, lab)
        opex_cut, orders, contracts = lab.distress_cuts()
        if opex_cut <= _EPS and not orders and not contracts:
            continue
        lab.opex_level -= opex_cut
        model.log_event(lab.index, EventKind.COMMITMENT_CUT, opex_cut, "opex cut: runway short")
        for order in orders:
            cut_order(model, order, order.gw - order.delivered_gw, "runway short")
        for contract in contracts:
            cancel_cloud(model, contract, "runway short")
