"""Accelerators and data centres: GPU deliveries, outside chip sales, build-out.

Every cash movement goes through :class:`~world.settlement.PaymentSystem`; energising
capacity, depreciation and warrant vesting are balanced journal entries in the firm's
own ledger. Money for payments is found by :func:`world.finance.fund`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.chip import ChipSupplier
from world.buildout import power_shares
from world.contracts import ContractStatus
from world.events import EventKind
from world.finance import fund
from world.ledger import Account, CashFlowKind
from world.params import Role
from world.settlement import ExternalParty

if TYPE_CHECKING:
    from agents.firm import Firm
    from world.model import AIEconomy

OP, INV = CashFlowKind.OPERATING, CashFlowKind.INVESTING
_PPE, _CONSTRUCTION, _DEPRECIATION = (
    Account.PPE,
    Account.CONSTRUCTION_IN_PROGRESS,
    Account.DEPRECIATION,
)
_COMPLETED = ContractStatus.COMPLETED

__all__ = ["build_out", "deliver_gpus", "outside_chip_sales", "sell_outside"]


def deliver_gpus(model: AIEconomy) -> None:
    """Deliver this quarter's parts of every GPU order (funded by the buyer, or cancelled).

    A supplier short of production capacity delivers the same share of every part due
    and of its outside buyers' demand; the rest of each order slips to later quarters.

    Each delivery must be funded on top of the buyer's earlier deliveries this quarter
    (the liquidity waterfall of :func:`world.finance.fund` runs for the running total,
    which is what paying them one by one would ask); an order whose part cannot be
    funded is cancelled. The payments are then made once per buyer and supplier: the
    chips (net of prepayments), the construction (none for a buyer that colocates:
    :meth:`~world.model.AIEconomy.construction_per_gw`), and the suppliers' cost of the chips;
    a buyer's parts start one construction project.
    """
    q = model.quarter
    bo = model.params.buildout
    firms = model.firms
    construction = [model.construction_per_gw(f) for f in firms]  # 0 for a firm that colocates
    n = len(firms)
    committed = [0.0] * n  # cash each buyer owes for this quarter's deliveries
    chips: dict[tuple[int, int], float] = {}  # (buyer, supplier) -> cash due for chips
    build = [0.0] * n
    project_gw = [0.0] * n
    project_cost = [0.0] * n
    project_building = [0.0] * n
    chip_cost = [0.0] * n
    due = [o for o in model.deals.gpu if o.due(q)]
    # each order's next part as ordered: what is due, the same until it is delivered below
    # (funding an earlier delivery may cancel an order, never change its parts)
    parts = [o.next_part() for o in due]
    demand = model.outside_gpu_gw.tolist()
    for order, part in zip(due, parts, strict=True):
        demand[order.supplier] += part
    ratio = [1.0] * n
    unit_cost = [0.0] * n  # a supplier's cost per GW does not change within the quarter
    for f in firms:
        if isinstance(f, ChipSupplier):
            ratio[f.index] = f.allocate_supply(demand[f.index])
            unit_cost[f.index] = f.unit_cost()
    warrants = model.deals.warrants
    for order, part in zip(due, parts, strict=True):
        b, s = order.buyer, order.supplier
        part *= ratio[s]
        if part <= 1e-12:
            continue
        buyer = firms[b]
        value = part * order.price
        cash_due = (1 - order.prepay_share) * value
        prepaid = value - cash_due
        part_build = part * construction[b]
        need = committed[b] + cash_due + part_build
        if fund(model, buyer, need) < need:
            lost = order.remaining_value()
            order.status = ContractStatus.CANCELLED
            model.log_event(b, EventKind.COMMITMENT_CUT, lost, "could not pay a delivery", s)
            continue
        committed[b] = need
        pair = (b, s)
        chips[pair] = chips.get(pair, 0.0) + cash_due
        build[b] += part_build
        project_gw[b] += part
        project_cost[b] += value + part_build
        project_building[b] += part_build
        chip_cost[s] += part * unit_cost[s]
        buyer.capex += cash_due + part_build
        if prepaid > 0:
            cip = Account.CONSTRUCTION_IN_PROGRESS
            buyer.ledger.post_transfer("gpu_delivery_prepaid", cip, Account.PREPAYMENTS, prepaid)
            firms[s].ledger.post_transfer(
                "gpu_delivery_prepaid", Account.DEFERRED_REVENUE, Account.REVENUE_GPU, prepaid
            )
        delivered = order.delivered_gw + part
        order.delivered_gw = delivered
        if delivered >= order.gw - 1e-9:
            order.status = _COMPLETED
        for w in warrants:
            if w.grantor == s and w.holder == b:
                fraction = w.vest(part)
                if fraction > 0:
                    supplier = firms[s]
                    fair = fraction * supplier.valuation
                    buyer.ledger.post_transfer(
                        "warrant_vest", Account.WARRANTS, Account.MARK_TO_MARKET, fair
                    )
                    supplier.ledger.post_transfer(
                        "warrant_grant", Account.OPEX, Account.PAID_IN_CAPITAL, fair
                    )
                    model.warrant_fraction[b, s] += fraction
    model.deals.touch()  # deliveries and cancellations changed the orders
    payments = model.payments
    for (b, s), amount in chips.items():
        payments.pay(
            b,
            s,
            amount,
            payer_debit=Account.CONSTRUCTION_IN_PROGRESS,
            payee_credit=Account.REVENUE_GPU,
            memo="gpu_delivery",
            payer_flow=INV,
            payee_flow=OP,
        )
    ready_q, hardware = q + bo.construction_quarters, model.hardware_index_now()
    for f in firms:
        i = f.index
        if build[i] > 0.0:
            payments.pay_external(
                i,
                build[i],
                debit=Account.CONSTRUCTION_IN_PROGRESS,
                party=ExternalParty.SUPPLIERS,
                memo="construction",
                flow=INV,
            )
        if project_gw[i] > 0.0:
            f.fleet.start_project(
                project_gw[i], project_cost[i], ready_q, hardware, project_building[i]
            )
        if chip_cost[i] > 0.0:
            payments.pay_external(
                i,
                chip_cost[i],
                debit=Account.COST_OF_REVENUE,
                party=ExternalParty.SUPPLIERS,
                memo="gpu_cost",
                flow=OP,
            )


def sell_outside(
    model: AIEconomy,
    firm: Firm,
    value: float,
    revenue: Account,
    customers: ExternalParty,
    cost_value: float,
    cost: Account,
    memo: str,
) -> None:
    """Sales to customers outside the network and their cost, paid to outside suppliers."""
    model.payments.receive_external(
        firm.index, value, credit=revenue, party=customers, memo=memo, flow=OP
    )
    model.payments.pay_external(
        firm.index,
        cost_value,
        debit=cost,
        party=ExternalParty.SUPPLIERS,
        memo=f"{memo}_cost",
        flow=OP,
    )


def outside_chip_sales(model: AIEconomy) -> None:
    """Accelerators sold to buyers outside the network at the list price, and their cost."""
    for f in model.by_role(Role.CHIP):
        assert isinstance(f, ChipSupplier)
        gw = float(model.outside_gpu_gw[f.index]) * f.supply_ratio
        sell_outside(
            model,
            f,
            gw * f.price,
            Account.REVENUE_GPU,
            ExternalParty.OUTSIDE_CHIP_CUSTOMERS,
            gw * f.unit_cost(),
            Account.COST_OF_REVENUE,
            "outside_gpu_sales",
        )
        f.outside_gpu_gw = gw


def build_out(model: AIEconomy) -> None:
    """Energise ready projects under the power cap; depreciate and retire vintages."""
    q = model.quarter
    bo = model.params.buildout
    ready = [0.0 if f.defaulted else f.fleet.ready_gw(q) for f in model.firms]
    life, building_life = bo.life_quarters, bo.building_life_quarters
    for f, gw in zip(model.firms, power_shares(ready, bo.power_cap_gw), strict=True):
        if f.defaulted:
            continue
        fleet = f.fleet
        if gw > 0:
            cost = fleet.energise(q, gw, life)
            f.ledger.post_transfer("energise", _PPE, _CONSTRUCTION, cost)
        charge, _ = fleet.depreciate(q, building_life)
        if charge > 0:
            f.ledger.post_transfer("depreciation", _DEPRECIATION, _PPE, charge)
