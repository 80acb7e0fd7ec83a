"""Debt service: interest, maturities, rollovers, vendor-loan decisions and covenants.

Each quarter every borrower pays interest (one payment per borrower and lender), then
each loan that matures is settled by its lender's decision:

* **credit-market loans** are rolled over when the lenders would lend the principal
  again (no covenant breach, room under the borrower's capacity) at today's rate and a
  maturity the borrower picks to ladder its debt
  (:meth:`agents.firm.Firm.choose_maturity`); otherwise they are repaid, or missed;
* **vendor loans** follow the supplier's decision
  (:meth:`agents.chip.ChipSupplier.vendor_loan_action`): repay, roll, restructure
  (the supplier forgives part and books the write-down) or call.

After the books close, the lenders test every borrower's covenants
(:func:`review_covenants`): a breach stops new credit and rollovers; a breach that
outlasts the grace period accelerates the borrower's debt (cross-default: vendor
loans too, whose suppliers then decide), which falls due next quarter.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

from agents.chip import ChipSupplier, VendorAction
from agents.lenders import CovenantAction
from world.contracts import ACTIVE, EXTERNAL, ContractStatus, Loan
from world.events import EventKind
from world.finance import pay, pay_out
from world.ledger import Account, CashFlowKind
from world.settlement import ExternalParty

if TYPE_CHECKING:
    from agents.firm import Firm
    from world.model import AIEconomy

OP, INV, FIN = CashFlowKind.OPERATING, CashFlowKind.INVESTING, CashFlowKind.FINANCING
_EPS = 1e-9
_BY_MATURITY = attrgetter("maturity", "id")  # a loan's (maturity, id), no Python call per loan

__all__ = ["allocate_capital", "review_covenants", "service_debt"]


def service_debt(model: AIEconomy) -> None:
    """Interest on every loan, then each maturing loan settled by its lender's decision."""
    q = model.quarter
    firms = model.firms
    external = [0.0] * len(firms)
    vendor: dict[tuple[int, int], float] = {}
    matured = []
    for loan in model.deals.loans:
        if loan.status is not ACTIVE or loan.signed >= q:
            continue
        b = loan.borrower
        borrower = firms[b]
        if borrower.defaulted:
            continue
        principal = loan.principal
        interest = principal * loan.rate / 4
        borrower.interest_due += interest
        lender = loan.lender
        if lender == EXTERNAL:
            external[b] += interest
        else:
            key = (b, lender)
            vendor[key] = vendor.get(key, 0.0) + interest
        if q >= loan.maturity:
            borrower.principal_due += principal
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
        if loan.lender == EXTERNAL:
            _settle_external(model, loan)
        else:
            _settle_vendor(model, loan)
        if loan.principal <= _EPS:
            loan.status = ContractStatus.COMPLETED
            model.deals.loan_changed(loan)
    model.deals.touch()


def _settle_external(model: AIEconomy, loan: Loan) -> None:
    q = model.quarter
    borrower = model.firms[loan.borrower]
    quote = borrower.credit_quote(loan.principal, refinancing=loan.principal)
    if quote.granted and quote.amount >= loan.principal - _EPS:
        loan.rate = quote.rate
        loan.maturity = q + borrower.choose_maturity()
        model.deals.loan_changed(loan)
        model.log_event(
            borrower.index, EventKind.LOAN_ROLLED, loan.principal, f"at {quote.rate:.1%}"
        )
        return
    why = "covenant breach" if model.lenders.in_breach(borrower.index) else "no room to refinance"
    model.log_event(borrower.index, EventKind.CREDIT_REFUSED, loan.principal, f"rollover: {why}")
    paid = pay_out(
        model, borrower, loan.principal, Account.DEBT, ExternalParty.LENDERS, "principal", FIN
    )
    loan.principal -= paid
    model.deals.loan_changed(loan)


def _settle_vendor(model: AIEconomy, loan: Loan) -> None:
    q = model.quarter
    b = model.params.behaviour
    borrower, lender = model.firms[loan.borrower], model.firms[loan.lender]
    action = (
        lender.vendor_loan_action(loan) if isinstance(lender, ChipSupplier) else VendorAction.CALL
    )
    if action is VendorAction.ROLL:
        loan.rate = b.vendor_rate
        loan.maturity = q + borrower.choose_maturity()
        model.deals.loan_changed(loan)
        model.log_event(
            borrower.index,
            EventKind.LOAN_ROLLED,
            loan.principal,
            "vendor loan rolled",
            lender.index,
        )
        return
    if action is VendorAction.RESTRUCTURE:
        loss = b.vendor_restructure_haircut * loan.principal
        lender.ledger.post(
            "loan_impairment", ((Account.IMPAIRMENT, loss), (Account.LOANS_RECEIVABLE, -loss))
        )
        borrower.ledger.post(
            "debt_forgiven", ((Account.VENDOR_DEBT, loss), (Account.MARK_TO_MARKET, -loss))
        )
        loan.principal -= loss
        loan.maturity = q + borrower.choose_maturity()
        model.deals.loan_changed(loan)
        model.log_event(
            borrower.index,
            EventKind.LOAN_RESTRUCTURED,
            loan.principal,
            f"vendor forgave {loss:.1f} and extended",
            lender.index,
        )
        model.log_event(
            lender.index, EventKind.WRITE_DOWN, loss, "restructured vendor loan", borrower.index
        )
        return
    if action is VendorAction.CALL:
        model.log_event(
            borrower.index, EventKind.LOAN_CALLED, loan.principal, "vendor called", lender.index
        )
    paid = pay(
        model,
        borrower,
        lender,
        loan.principal,
        Account.VENDOR_DEBT,
        Account.LOANS_RECEIVABLE,
        "vendor_principal",
        FIN,
        INV,
    )
    loan.principal -= paid
    model.deals.loan_changed(loan)


def review_covenants(model: AIEconomy) -> None:
    """The lenders test every indebted firm's covenants after its quarter closed.

    A new breach is logged and stops credit; past the grace period the firm's debt is
    accelerated: it falls due next quarter (market loans must be repaid; each vendor
    decides on its loans then).
    """
    lenders = model.lenders
    q = model.quarter
    model.refresh_credit()
    credit = model.credit_backlogs()  # each firm's Firm.creditworthy_backlog
    for f in model.firms:
        if f.defaulted:
            continue
        balance = f.balance
        liabilities = balance.liabilities
        debt = liabilities[Account.DEBT] + liabilities[Account.VENDOR_DEBT]
        backlog = credit[f.index]
        equity = balance.total_equity
        breached = lenders.breached(debt, f.ebitda, 4.0 * f.interest_due, equity, backlog)
        action = lenders.review(f.index, breached)
        if action is CovenantAction.BREACH:
            cause = _breach_cause(model, f, backlog)
            model.log_event(f.index, EventKind.COVENANT_BREACH, debt, cause)
        elif action is CovenantAction.ACCELERATE:
            # the breach (cross-default) brings every loan forward: market lenders demand
            # repayment, vendors decide at once what to do (roll, restructure or call)
            called = 0.0
            for loan in model.deals.of("loans", "borrower", f.index):
                if loan.active and loan.maturity > q + 1:
                    loan.maturity = q + 1
                    model.deals.loan_changed(loan)
                    called += loan.principal
            if called > _EPS:
                model.log_event(
                    f.index, EventKind.LOAN_CALLED, called, "covenant breach not cured: accelerated"
                )


def _breach_cause(model: AIEconomy, f, backlog: float) -> str:
    c = model.params.credit
    if f.balance.total_equity < 0.0:
        return "negative book equity"
    if f.ebitda <= 0.0:
        return "EBITDA below zero"
    debt = f.balance.liabilities[Account.DEBT] + f.balance.liabilities[Account.VENDOR_DEBT]
    recourse = max(debt - c.backlog_ltv * backlog, 0.0)
    if recourse > c.covenant_debt_to_ebitda * f.ebitda:
        return f"debt / EBITDA {recourse / f.ebitda:.1f} > {c.covenant_debt_to_ebitda:g}"
    return f"interest cover below {c.covenant_interest_cover:g}"


def allocate_capital(model: AIEconomy) -> None:
    """Firms repay debt and pay out cash above their reserve (their own decision).

    Repayment goes to the loans that mature soonest;
    payouts (dividends and buybacks) leave the network to outside shareholders.
    """
    for f in model.firms:
        if f.defaulted:
            continue
        repay, payout = f.capital_allocation()
        if repay > _EPS:
            loans = [
                ln
                for ln in model.deals.of("loans", "borrower", f.index)
                if ln.lender == EXTERNAL and ln.status is ACTIVE
            ]
            loans.sort(key=_BY_MATURITY)
            left = repay
            for loan in loans:
                if left <= _EPS:
                    break
                part = min(left, loan.principal)
                model.payments.pay_external(
                    f.index,
                    part,
                    debit=Account.DEBT,
                    party=ExternalParty.LENDERS,
                    memo="prepayment",
                    flow=FIN,
                )
                loan.principal -= part
                left -= part
                if loan.principal <= _EPS:
                    loan.status = ContractStatus.COMPLETED
                model.deals.loan_changed(loan)
        if payout > _EPS:
            distribute(model, f, payout)


def distribute(model: AIEconomy, firm: Firm, amount: float) -> None:
    """Pay ``amount`` to ``firm``'s shareholders, pro rata (a buyback keeps their shares).

    A firm of the network that holds a stake receives its share as a return of capital
    (its stake's book value and what it counts as paid for the stake fall by what it
    receives; the next mark brings the book value to its share of the lower value); the
    rest leaves the network to outside shareholders.
    """
    j = firm.index
    firm.payout += amount
    outside = amount
    for i, share in enumerate(model.ownership[:, j].tolist()):
        if share <= 0.0 or model.firms[i].defaulted:
            continue
        part = share * amount
        cost = model.stake_cost[i, j] - part
        model.stake_cost[i, j] = cost if cost > 0.0 else 0.0
        model.payments.pay(
            j,
            i,
            part,
            payer_debit=Account.RETAINED_EARNINGS,
            payee_credit=Account.STAKES,
            memo="payout",
            payer_flow=FIN,
            payee_flow=INV,
        )
        outside -= part
    model.payments.pay_external(
        j,
        outside,
        debit=Account.RETAINED_EARNINGS,
        party=ExternalParty.INVESTORS,
        memo="payout",
        flow=FIN,
    )
