"""Executing a quarter: contracts, build-out, compute served, operating flows, debt.

Every cash movement goes through :class:`~world.settlement.PaymentSystem`; every
non-cash event (delivery against a prepayment, energising capacity, depreciation,
warrant vesting, mark-to-market) is a balanced journal entry in the firm's own
ledger. Money for payments is found by :func:`world.finance.fund`; what a firm
cannot find is recorded as a missed payment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from world import distress
from world.buildout import power_shares
from world.contracts import EXTERNAL, ContractStatus
from world.events import EventKind
from world.finance import fund, funding_round, issue_equity, pay, pay_out
from world.ledger import Account, CashFlowKind
from world.params import Role
from world.settlement import ExternalParty
from world.stress import minsky_of

if TYPE_CHECKING:
    from agents.firms import Firm
    from world.model import AIEconomy

OP, INV, FIN = CashFlowKind.OPERATING, CashFlowKind.INVESTING, CashFlowKind.FINANCING
_EPS = 1e-9

__all__ = ["close_quarter", "execute_quarter"]


def execute_quarter(model: AIEconomy) -> None:
    """Run the execution phase of one quarter in a fixed order."""
    model.round_raised = 0.0
    for f in model.firms:
        f.missed = 0.0
        f.capex = 0.0
        f.interest_due = 0.0
        f.principal_due = 0.0
    _deliver_gpus(model)
    _outside_chip_sales(model)
    _build_out(model)
    _serve_compute(model)
    _lab_sales(model)
    _milestone_tranches(model)
    _operating_flows(model)
    _service_debt(model)
    _lab_runway(model)


def _deliver_gpus(model: AIEconomy) -> None:
    """Deliver this quarter's parts of every GPU order (funded by the buyer, or cancelled).

    Each delivery must be funded on top of the buyer's earlier deliveries this quarter
    (the liquidity waterfall of :func:`world.finance.fund` runs for the running total,
    which is what paying them one by one would ask); an order whose part cannot be
    funded is cancelled. The payments are then made once per buyer and supplier: the
    chips (net of prepayments), the construction, and the suppliers' cost of the chips;
    a buyer's parts start one construction project.
    """
    q = model.quarter
    bo = model.params.buildout
    construction = model.capex_per_gw_now() * (1 - bo.chip_share)
    firms = model.firms
    n = len(firms)
    committed = [0.0] * n  # cash each buyer owes for this quarter's deliveries
    chips: dict[tuple[int, int], float] = {}  # (buyer, supplier) -> cash due for chips
    build = [0.0] * n
    project_gw = [0.0] * n
    project_cost = [0.0] * n
    chip_cost = [0.0] * n
    for order in model.deals.gpu:
        first = order.first_delivery
        if not (order.active and first <= q < first + order.deliveries):
            continue
        b, s = order.buyer, order.supplier
        buyer, supplier = firms[b], firms[s]
        part = order.gw / order.deliveries
        value = part * order.price
        cash_due = (1 - order.prepay_share) * value
        prepaid = value - cash_due
        part_build = part * construction
        need = committed[b] + cash_due + part_build
        if fund(model, buyer, need) < need:
            order.status = ContractStatus.CANCELLED
            continue
        committed[b] = need
        chips[b, s] = chips.get((b, s), 0.0) + cash_due
        build[b] += part_build
        project_gw[b] += part
        project_cost[b] += value + part_build
        chip_cost[s] += (1 - supplier.spec.gross_margin) * value
        buyer.capex += cash_due + part_build
        if prepaid > 0:
            cip = Account.CONSTRUCTION_IN_PROGRESS
            buyer.ledger.post_transfer("gpu_delivery_prepaid", cip, Account.PREPAYMENTS, prepaid)
            supplier.ledger.post_transfer(
                "gpu_delivery_prepaid", Account.DEFERRED_REVENUE, Account.REVENUE_GPU, prepaid
            )
        order.delivered_gw += part
        if order.delivered_gw >= order.gw - 1e-9:
            order.status = ContractStatus.COMPLETED
        for w in model.deals.warrants:
            if w.grantor == s and w.holder == b:
                fraction = w.vest(part)
                if fraction > 0:
                    fair = fraction * supplier.valuation
                    buyer.ledger.post_transfer(
                        "warrant_vest", Account.WARRANTS, Account.MARK_TO_MARKET, fair
                    )
                    supplier.ledger.post_transfer(
                        "warrant_grant", Account.OPEX, Account.PAID_IN_CAPITAL, fair
                    )
                    model.warrant_fraction[b, s] += fraction
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
            f.fleet.start_project(project_gw[i], project_cost[i], ready_q, hardware)
        if chip_cost[i] > 0.0:
            payments.pay_external(
                i,
                chip_cost[i],
                debit=Account.COST_OF_REVENUE,
                party=ExternalParty.SUPPLIERS,
                memo="gpu_cost",
                flow=OP,
            )


def _sell_outside(
    model: AIEconomy,
    firm: Firm,
    value: float,
    revenue: Account,
    customers: ExternalParty,
    cost_share: float,
    cost: Account,
    memo: str,
) -> None:
    """Sales to customers outside the network and their cost, paid to outside suppliers."""
    model.payments.receive_external(
        firm.index, value, credit=revenue, party=customers, memo=memo, flow=OP
    )
    model.payments.pay_external(
        firm.index,
        cost_share * value,
        debit=cost,
        party=ExternalParty.SUPPLIERS,
        memo=f"{memo}_cost",
        flow=OP,
    )


def _outside_chip_sales(model: AIEconomy) -> None:
    q = model.quarter
    for f in model.by_role(Role.CHIP):
        s = f.spec
        gw = s.outside_gpu_demand_gw * (1 + s.outside_gpu_growth) ** q * (1 + 0.3 * model.sentiment)
        value = gw * s.gpu_price_per_gw * model.capex_index()
        _sell_outside(
            model,
            f,
            value,
            Account.REVENUE_GPU,
            ExternalParty.OUTSIDE_CHIP_CUSTOMERS,
            1 - s.gross_margin,
            Account.COST_OF_REVENUE,
            "outside_gpu_sales",
        )
        f.outside_gpu_gw = gw


def _build_out(model: AIEconomy) -> None:
    q = model.quarter
    bo = model.params.buildout
    ready = [0.0 if f.defaulted else f.fleet.ready_gw(q) for f in model.firms]
    for f, gw in zip(model.firms, power_shares(ready, bo.power_cap_gw), strict=True):
        if f.defaulted:
            continue
        if gw > 0:
            cost = f.fleet.energise(q, gw, bo.life_quarters)
            f.ledger.post_transfer("energise", Account.PPE, Account.CONSTRUCTION_IN_PROGRESS, cost)
        charge, _ = f.fleet.depreciate(q)
        if charge > 0:
            f.ledger.post_transfer("depreciation", Account.DEPRECIATION, Account.PPE, charge)


def _serve_compute(model: AIEconomy) -> None:
    q = model.quarter
    labs = model.by_role(Role.LAB)
    need = {lab.index: model.demand.compute_need_gw * lab.spec.users_share for lab in labs}
    own_used = {i: min(need[i], model.firms[i].fleet.deployed_gw) for i in need}
    delivered: dict[int, float] = {}
    in_force = [c for c in model.deals.cloud if c.in_force(q)]  # `active` is checked again:
    # a payment below can cancel a distressed firm's contracts
    for cloud in model.by_role(Role.CLOUD):
        capacity = cloud.fleet.deployed_gw
        contracts = [c for c in in_force if c.provider == cloud.index and c.active]
        due = sum(c.gw for c in contracts)
        ratio = min(1.0, capacity / due) if due > 0 else 0.0
        for c in contracts:
            delivered[c.id] = c.gw * ratio
        free = max(capacity - due * ratio, 0.0)
        outside = min(model.outside_cloud_demand(cloud, q), free)
        model.payments.receive_external(
            cloud.index,
            outside * cloud.spec.cloud_price_per_gw,
            credit=Account.REVENUE_CLOUD,
            party=ExternalParty.OUTSIDE_CLOUD_CUSTOMERS,
            memo="outside_cloud_rent",
            flow=OP,
        )
        idle = free - outside
        for b in model.deals.backstops:
            if b.provider == cloud.index and idle > 0:
                amount = b.purchase(q, idle)
                guarantor = model.firms[b.guarantor]
                pay(
                    model,
                    guarantor,
                    cloud,
                    amount,
                    Account.COMPUTE_COST,
                    Account.REVENUE_CLOUD,
                    "backstop_purchase",
                    financing=True,
                )
                idle -= min(idle, b.gw)
        cloud.utilisation = (capacity - max(idle, 0.0)) / capacity if capacity > 0 else 0.0
    for lab in labs:
        # a provider left out above (defaulted) delivered nothing and bills nothing
        contracts = [
            c for c in in_force if c.customer == lab.index and c.active and c.id in delivered
        ]
        total = sum(delivered[c.id] for c in contracts)
        rest = need[lab.index] - own_used[lab.index]
        frac = min(1.0, rest / total) if total > 0 else 0.0
        bills: dict[int, float] = {}  # one rent payment per provider: its contracts' bills
        for c in contracts:
            bills[c.provider] = bills.get(c.provider, 0.0) + c.billed(
                delivered[c.id], delivered[c.id] * frac
            )
        for provider, bill in bills.items():
            pay(
                model,
                lab,
                model.firms[provider],
                bill,
                Account.COMPUTE_COST,
                Account.REVENUE_CLOUD,
                "cloud_rent",
            )
        model.lab_compute_gw[lab.index] = lab.fleet.deployed_gw + total
        lab.compute_used = own_used[lab.index] + total * frac


def _lab_sales(model: AIEconomy) -> None:
    d = model.demand
    ratio = 1.0 + model.params.demand.training_ratio
    for lab in model.by_role(Role.LAB):
        need = d.compute_need_gw * lab.spec.users_share
        served = min(1.0, model.lab_compute_gw[lab.index] * ratio / need) if need > 0 else 1.0
        lab.served = served
        for amount, account in (
            (d.subscription_revenue, Account.REVENUE_SUBSCRIPTIONS),
            (d.api_revenue, Account.REVENUE_API),
        ):
            model.payments.receive_external(
                lab.index,
                amount * lab.spec.users_share * served,
                credit=account,
                party=ExternalParty.CONSUMERS,
                memo="ai_sales",
                flow=OP,
            )


def _milestone_tranches(model: AIEconomy) -> None:
    b = model.params.behaviour
    for inv in model.deals.equity:
        due = inv.due(model.lab_compute_gw[inv.investee])
        if due <= _EPS:
            continue
        investor, investee = model.firms[inv.investor], model.firms[inv.investee]
        spare = investor.cash - b.min_cash_quarters * investor.fixed_costs()
        amount = min(due, max(spare, 0.0))
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


def _operating_flows(model: AIEconomy) -> None:
    q = model.quarter
    for f in model.active_firms():
        s = f.spec
        legacy = s.legacy_revenue * (1 + s.legacy_growth) ** q
        _sell_outside(
            model,
            f,
            legacy,
            Account.REVENUE_LEGACY,
            ExternalParty.LEGACY_CUSTOMERS,
            1 - s.legacy_margin,
            Account.OPEX,
            "legacy_sales",
        )
        capex = s.legacy_capex * (1 + s.legacy_growth) ** q
        if capex > 0:
            pay_out(
                model, f, capex, Account.LEGACY_ASSETS, ExternalParty.SUPPLIERS, "legacy_capex", INV
            )
            f.ledger.post(
                "legacy_depreciation",
                ((Account.DEPRECIATION, capex), (Account.LEGACY_ASSETS, -capex)),
            )
            f.capex += capex
        pay_out(model, f, model.opex_now(f), Account.OPEX, ExternalParty.EMPLOYEES, "ai_opex")
        power = f.fleet.deployed_gw * s.operating_cost_per_gw
        pay_out(model, f, power, Account.COST_OF_REVENUE, ExternalParty.SUPPLIERS, "power_ops")


def _service_debt(model: AIEconomy) -> None:
    """Interest on every loan, then principal of the loans that mature.

    Interest is paid first, one payment per borrower and lender (the credit market
    or a vendor) for all its loans; then each matured loan is rolled over if the
    lenders agree, or repaid.
    """
    q = model.quarter
    firms = model.firms
    external = [0.0] * len(firms)
    vendor: dict[tuple[int, int], float] = {}
    matured = []
    for loan in model.deals.loans:
        if not loan.active or loan.signed >= q:
            continue
        borrower = firms[loan.borrower]
        if borrower.defaulted:
            continue
        interest = loan.principal * loan.rate / 4
        borrower.interest_due += interest
        if loan.lender == EXTERNAL:
            external[loan.borrower] += interest
        else:
            key = (loan.borrower, loan.lender)
            vendor[key] = vendor.get(key, 0.0) + interest
        if q >= loan.maturity:
            borrower.principal_due += loan.principal
            matured.append(loan)
    for borrower, interest in zip(firms, external, strict=True):
        if interest > 0.0:
            pay_out(
                model,
                borrower,
                interest,
                Account.INTEREST_EXPENSE,
                ExternalParty.LENDERS,
                "interest",
            )
    for (b, lender), interest in vendor.items():
        pay(
            model,
            firms[b],
            firms[lender],
            interest,
            Account.INTEREST_EXPENSE,
            Account.INTEREST_INCOME,
            "vendor_interest",
        )
    for loan in matured:
        borrower = firms[loan.borrower]
        if loan.lender == EXTERNAL:
            quote = borrower.credit_quote(loan.principal, refinancing=loan.principal)
            if quote.granted and quote.amount >= loan.principal - _EPS:
                loan.rate = quote.rate
                loan.maturity = q + model.params.credit.new_debt_quarters
                model.log_event(
                    borrower.index, EventKind.LOAN_ROLLED, loan.principal, f"at {quote.rate:.1%}"
                )
                continue
            model.log_event(
                borrower.index, EventKind.CREDIT_REFUSED, loan.principal, "rollover refused"
            )
            paid = pay_out(
                model,
                borrower,
                loan.principal,
                Account.DEBT,
                ExternalParty.LENDERS,
                "principal",
                FIN,
            )
        else:
            paid = pay(
                model,
                borrower,
                firms[loan.lender],
                loan.principal,
                Account.VENDOR_DEBT,
                Account.LOANS_RECEIVABLE,
                "vendor_principal",
                FIN,
                INV,
            )
        loan.principal -= paid
        if loan.principal <= _EPS:
            loan.status = ContractStatus.COMPLETED


def _lab_runway(model: AIEconomy) -> None:
    b = model.params.behaviour
    q = model.quarter
    for lab in model.by_role(Role.LAB):
        burn = -lab.ledger.cash_flow_statement().operating
        if burn > 0 and lab.cash < b.lab_runway_quarters * burn and lab.round_quarter != q:
            lab.round_quarter = model.quarter
            funding_round(model, lab, b.lab_dilution_per_round * lab.valuation)


# -- closing ---------------------------------------------------------------------------
def close_quarter(model: AIEconomy) -> None:
    """Resolve defaults, mark stakes to market, pay taxes, close the books, reprice."""
    if model.params.stress.enabled:
        distress.resolve_defaults(model)
    else:
        for f in model.firms:
            if f.missed > 1e-6 and not f.defaulted:
                f.defaulted, f.default_quarter = True, model.quarter
    values = np.array([g.valuation for g in model.firms])
    stake_values = (model.ownership @ values).tolist()
    warrant_values = (model.warrant_fraction @ values).tolist()
    for f in model.firms:
        ledger = f.ledger
        for account, value in (
            (Account.STAKES, stake_values[f.index]),
            (Account.WARRANTS, warrant_values[f.index]),
        ):
            book = ledger.balance(account)
            if abs(value - book) > _EPS and (book > 0 or value > 0):
                delta = value - book
                ledger.post_transfer("mark_to_market", account, Account.MARK_TO_MARKET, delta)
        tax = f.spec.tax_rate * max(ledger.net_income(), 0.0)
        if tax > 0:
            paid = min(tax, max(f.cash, 0.0))
            model.payments.pay_external(
                f.index,
                paid,
                debit=Account.TAX,
                party=ExternalParty.GOVERNMENT,
                memo="tax",
                flow=OP,
            )
            if tax - paid > _EPS:
                ledger.post_transfer("tax_payable", Account.TAX, Account.PAYABLES, tax - paid)
        f.statement = statement = ledger.income_statement()
        if not f.defaulted:
            f.revenue_history.append(statement.revenue)
            f.adapt_opex()
        expenses = statement.expenses
        f.ebitda_history.append(
            statement.revenue
            - (
                expenses[Account.COST_OF_REVENUE]
                + expenses[Account.COMPUTE_COST]
                + expenses[Account.OPEX]
            )
        )
        f.cash_flows = ledger.cash_flow_statement()
        f.balance = ledger.balance_sheet()
        ledger.close_period(statement)
    for f in model.firms:
        f.minsky = minsky_of(f.cash_flows.operating, f.interest_due, f.principal_due)
    model.update_valuations()
