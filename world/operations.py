"""Executing and closing a quarter, in a fixed order.

Execution (:func:`execute_quarter`): GPU deliveries, outside chip sales and build-out
(:mod:`world.delivery`); compute served, the labs' sales and operating flows
(:mod:`world.serving`); milestone tranches (:mod:`world.funding`); debt service
(:mod:`world.debt`); the labs' rounds and distress cuts (:mod:`world.funding`);
debt repayment and payouts from cash above the firms' reserves (:mod:`world.debt`);
cash overdrawn by the quarter's running costs, funded or owed
(:func:`world.finance.cover_overdraft`).
Closing (:func:`close_quarter`): defaults and contagion (:mod:`world.distress`),
mark-to-market, taxes, statements, the lenders' covenant review, repricing.

Every cash movement goes through :class:`~world.settlement.PaymentSystem`; every
non-cash event is a balanced journal entry in the firm's own ledger. Money for
payments is found by :func:`world.finance.fund`; what a firm cannot find is recorded
as a missed payment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from world import distress
from world.debt import allocate_capital, review_covenants, service_debt
from world.delivery import build_out, deliver_gpus, outside_chip_sales
from world.finance import cover_overdraft
from world.funding import lab_funding, milestone_tranches
from world.ledger import Account, CashFlowKind, Ledger
from world.serving import lab_sales, operating_flows, serve_compute
from world.settlement import ExternalParty
from world.stress import minsky_of

if TYPE_CHECKING:
    from world.model import AIEconomy

OP = CashFlowKind.OPERATING
_EPS = 1e-9
_STAKES, _WARRANTS, _TAX = Account.STAKES, Account.WARRANTS, Account.TAX
_COST_OF_REVENUE, _COMPUTE_COST, _OPEX = Account.COST_OF_REVENUE, Account.COMPUTE_COST, Account.OPEX

__all__ = ["close_quarter", "execute_quarter"]


def execute_quarter(model: AIEconomy) -> None:
    """Run the execution phase of one quarter in a fixed order."""
    model.round_raised = 0.0
    for f in model.firms:
        f.missed = 0.0
        f.capex = 0.0
        f.payout = 0.0
        f.interest_due = 0.0
        f.principal_due = 0.0
    deliver_gpus(model)
    outside_chip_sales(model)
    build_out(model)
    serve_compute(model)
    lab_sales(model)
    milestone_tranches(model)
    operating_flows(model)
    service_debt(model)
    lab_funding(model)
    allocate_capital(model)
    for f in model.firms:
        cover_overdraft(model, f)


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
    pay_external = model.payments.pay_external
    for f in model.firms:
        ledger = f.ledger
        i = f.index
        _mark_to_market(ledger, _STAKES, stake_values[i])
        _mark_to_market(ledger, _WARRANTS, warrant_values[i])
        income = ledger.net_income()
        tax = f.spec.tax_rate * (0.0 if income < 0.0 else income)  # max(income, 0.0)
        if tax > 0:
            cash = ledger.cash
            cash = 0.0 if cash < 0.0 else cash  # max(cash, 0.0)
            paid = cash if cash < tax else tax  # min(tax, cash)
            pay_external(i, paid, debit=_TAX, party=ExternalParty.GOVERNMENT, memo="tax", flow=OP)
            if tax - paid > _EPS:
                ledger.post_transfer("tax_payable", _TAX, Account.PAYABLES, tax - paid)
        f.statement = statement = ledger.income_statement()
        if not f.defaulted:
            f.revenue_history.append(statement.revenue)
            f.adapt_opex()
        expenses = statement.expenses
        f.ebitda_history.append(
            statement.revenue
            - (expenses[_COST_OF_REVENUE] + expenses[_COMPUTE_COST] + expenses[_OPEX])
        )
        f.cash_flows = cash_flows = ledger.cash_flow_statement()
        f.balance = ledger.balance_sheet()
        ledger.close_period(statement)
        f.minsky = minsky_of(cash_flows.operating, f.interest_due, f.principal_due)
    review_covenants(model)
    model.update_valuations()


def _mark_to_market(ledger: Ledger, account: Account, value: float) -> None:
    """Mark a holdings account (stakes or warrants) to ``value`` (USD bn)."""
    book = ledger.balance(account)
    if abs(value - book) > _EPS and (book > 0 or value > 0):
        ledger.post_transfer("mark_to_market", account, Account.MARK_TO_MARKET, value - book)
