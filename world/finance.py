"""Money for payments: the liquidity waterfall, equity issues, loans and order finance.

:func:`fund` is the single place where a firm that must pay finds the money: its
cash, then the credit market, then (labs) a funding round, then — when stress is on —
the distress steps of :mod:`world.distress`; what it cannot find is recorded by the
caller as a missed payment. Equity issues book paid-in capital and dilute existing
holders; loans move principal from the lender (a firm or the credit market).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.chip import ChipSupplier
from world import distress
from world.contracts import EXTERNAL, GpuOrder, Loan
from world.events import EventKind
from world.ledger import Account, CashFlowKind
from world.params import Role
from world.settlement import ExternalParty

if TYPE_CHECKING:
    from agents.firms import Firm
    from world.model import AIEconomy

OP, INV, FIN = CashFlowKind.OPERATING, CashFlowKind.INVESTING, CashFlowKind.FINANCING
_EPS = 1e-9

__all__ = [
    "cover_overdraft",
    "draw_external",
    "committed_for_orders",
    "draw_loan",
    "finance_order",
    "fund",
    "funding_round",
    "issue_equity",
    "order_commitment",
    "pay",
    "pay_out",
    "pay_in_stock",
    "pay_prepayment",
    "place_equity",
    "raise_equity",
]


def fund(model: AIEconomy, firm: Firm, amount: float) -> float:
    """Make ``amount`` available in ``firm``'s cash if possible; return what is available.

    Liquidity waterfall: cash → borrowing (new debt within the lenders' limits, none in
    covenant breach, at a maturity the firm picks to ladder its debt) → for labs, a
    regular funding round (the lab's own request, at
    least the shortfall) → when stress is enabled, selling stakes at fire-sale prices →
    a rescue round at a discount (:mod:`world.distress`). Returns ``min(amount, cash)``
    after these steps; what is still missing becomes a missed payment for the caller
    to record.
    """
    ledger = firm.ledger  # its cash is read from the ledger (Firm.cash, one call less)
    short = amount - ledger.cash
    if short <= _EPS:
        return amount
    b = model.params.behaviour
    quote = firm.credit_quote(short * (1.0 + b.credit_line_buffer))
    if quote.granted:
        model.add_external_debt(firm, quote.amount, quote.rate, firm.choose_maturity(), "borrowing")
    short = amount - ledger.cash
    if short > _EPS and firm.role is Role.LAB:
        model.raise_lab_equity(firm, short)
        short = amount - ledger.cash
    if short > _EPS and model.params.stress.enabled:
        q = model.quarter
        distress.sell_stakes(model, firm, short)
        short = amount - ledger.cash
        if short > _EPS and firm.rescue_quarter != q:
            firm.rescue_quarter = q  # one rescue attempt per quarter
            # size the rescue for all that falls due this quarter, not the first shortfall
            reserve = b.cash_reserve_quarters * firm.fixed_costs()
            target = max(short, firm.principal_due + firm.interest_due + reserve)
            distress.rescue_round(model, firm, target)
    return max(min(amount, ledger.cash), 0.0)


def cover_overdraft(model: AIEconomy, firm: Firm) -> None:
    """Find the money for cash ``firm`` overdrew this quarter; owe what it cannot find.

    The quarter's running costs (chips made, outside sales, construction) are paid as
    they fall due, before all of the quarter's income is in, so a firm can end the
    execution phase with negative cash. It then goes down the waterfall (:func:`fund`)
    for the gap. What it still cannot find its bank covered (an overdraft: cash from the
    lenders, owed as payables) and is a missed payment: the firm defaults when the
    quarter closes. A firm already in default only owes it.
    """
    ledger = firm.ledger
    if ledger.cash >= -_EPS:
        return
    if not firm.defaulted:
        fund(model, firm, 0.0)
        if ledger.cash >= -_EPS:
            return
        firm.missed -= ledger.cash
    model.payments.receive_external(
        firm.index,
        -ledger.cash,
        credit=Account.PAYABLES,
        party=ExternalParty.LENDERS,
        memo="overdraft_owed",
        flow=FIN,
    )


def funding_round(model: AIEconomy, lab: Firm, amount: float, *, ask: float | None = None) -> float:
    """A regular round: new shares for ``amount`` at pre-money ``ask``; return the raise.

    ``ask`` defaults to the lab's valuation (above it: an up-round, below: a down round);
    the round is capped at ``max_round_share`` of the valuation.
    """
    if amount <= _EPS or lab.valuation <= 0:
        return 0.0
    cap = model.params.behaviour.max_round_share * lab.valuation
    discount = 0.0 if ask is None else min(1.0 - ask / lab.valuation, 1.0 - 1e-6)
    raised = raise_equity(model, lab, min(amount, cap), discount=discount)
    model.round_raised += raised
    return raised


def place_equity(model: AIEconomy, firm: Firm, amount: float, cause: str) -> float:
    """New shares for ``amount`` placed with outside investors at the firm's valuation.

    For rounds that were agreed before the run (the scenario's announced rounds, e.g.
    SoftBank's committed tranches): the money arrives in full, at the valuation of the
    day; nobody bids. Returns the amount placed.
    """
    if amount <= _EPS or firm.valuation <= _EPS:
        return 0.0
    if model.market is not None:
        model.market.place(firm, amount)
    model.payments.receive_external(
        firm.index,
        amount,
        credit=Account.PAID_IN_CAPITAL,
        party=ExternalParty.INVESTORS,
        memo="equity_placement",
        flow=FIN,
    )
    issue_equity(model, firm.index, None, amount)
    model.round_raised += amount
    model.log_event(firm.index, EventKind.ROUND_FULL, amount, cause)
    return amount


def raise_equity(
    model: AIEconomy, firm: Firm, amount: float, *, discount: float = 0.0, rescue: bool = False
) -> float:
    """Issue new shares to outside investors for ``amount`` at ``(1 − discount)`` of value.

    The cash is booked as paid-in capital in the issuer's ledger; existing holders are
    diluted. Returns the amount raised (0 if the firm has no value left).
    """
    if amount <= _EPS or firm.valuation <= _EPS:
        return 0.0
    sought = amount
    raised = _issue(model, firm, amount, discount, rescue)
    if rescue:
        kind = EventKind.RESCUE_ROUND if raised > _EPS else EventKind.ROUND_FAILED
        cause = "rescue round at a discount" if raised > _EPS else "rescue round found no buyers"
    elif raised <= _EPS:
        kind, cause = EventKind.ROUND_FAILED, "investors did not subscribe"
    elif raised < sought * (1.0 - 1e-6):
        kind, cause = EventKind.ROUND_UNDERSUBSCRIBED, f"sought {_amount(sought)}"
    else:
        kind, cause = EventKind.ROUND_FULL, f"sought {_amount(sought)}"
    model.log_event(firm.index, kind, raised if raised > _EPS else sought, cause)
    return raised


def _amount(usd_bn: float) -> str:
    """An amount (USD bn) for an event's cause: one decimal, two digits if below 0.05."""
    return f"{usd_bn:.1f}" if abs(usd_bn) >= 0.05 else f"{usd_bn:.2g}"


def _issue(model: AIEconomy, firm: Firm, amount: float, discount: float, rescue: bool) -> float:
    """Place new shares for up to ``amount``; book the cash; return what was raised."""
    ask = firm.valuation * (1.0 - discount)
    if ask <= _EPS:  # a 100 % discount: shares at no price raise nothing
        return 0.0
    if model.market is not None and not firm.spec.listed:
        # a private firm's round goes to the investor population: it prices and can fail
        amount, post = model.market.primary_round(firm, amount, ask)
        if amount <= _EPS:
            return 0.0
        discount = 1.0 - (post - amount) / firm.valuation
    else:
        if model.fundamentals.values[firm.index] <= 0.0:
            return 0.0  # nobody buys a firm whose prospects are worth nothing
        # outside investors take a share that falls with sentiment (none at s = -1)
        appetite = model.params.behaviour.outside_equity_appetite
        amount *= appetite * min(max(1.0 + model.sentiment, 0.0), 1.0)
        if amount <= _EPS:
            return 0.0
        if model.market is not None:
            model.market.issue(firm, amount, ask)
    model.payments.receive_external(
        firm.index,
        amount,
        credit=Account.PAID_IN_CAPITAL,
        party=ExternalParty.INVESTORS,
        memo="rescue_round" if rescue else "equity_issue",
        flow=FIN,
    )
    issue_equity(model, firm.index, None, amount, discount)
    if rescue:
        firm.rescued += amount
    return amount


def issue_equity(
    model: AIEconomy, issuer: int, investor: int | None, amount: float, discount: float = 0.0
) -> None:
    """Update ownership for new shares bought for ``amount`` at the issuer's valuation.

    With a discount the new shares are priced at ``(1 − discount)`` of the valuation:
    pre-money value ``V(1 − d)``, post-money ``V(1 − d) + amount``. The money counts
    in the issuer's ``equity_raised`` of the quarter (the shareholders' own money, not
    value the firm created; see :func:`world.regimes.ai_exposed_value`).
    """
    firm = model.firms[issuer]
    firm.equity_raised += amount
    pre = firm.valuation * (1.0 - discount)
    post = pre + amount
    _dilute_holders(model, issuer, pre / post)
    if investor is not None:
        model.ownership[investor, issuer] += amount / post
        model.stake_cost[investor, issuer] += amount
    firm.valuation = post


def pay_in_stock(model: AIEconomy, firm: Firm, amount: float) -> None:
    """Pay ``amount`` (USD bn) of ``firm``'s costs in new shares: an expense, no cash.

    Booked as opex credited to paid-in capital. The shares go to its staff, outside the
    modelled holders, at the firm's value: the value does not change (no money came in),
    and every holder's part of it — the firms' stakes and warrants, the investor
    population's shares (:meth:`world.exchange.Exchange.dilute`) — is scaled by
    ``V / (V + amount)``. Not money raised: ``equity_raised`` does not count it. A firm
    with no value left books the expense and dilutes nobody.
    """
    firm.ledger.post_transfer("stock_pay", Account.OPEX, Account.PAID_IN_CAPITAL, amount)
    value = firm.valuation
    if value <= _EPS:
        return
    keep = value / (value + amount)
    _dilute_holders(model, firm.index, keep)
    if model.market is not None:
        model.market.dilute(firm, keep)


def _dilute_holders(model: AIEconomy, issuer: int, keep: float) -> None:
    """Every firm's stake in and warrants on ``issuer`` scaled by ``keep`` (new shares issued)."""
    model.ownership[:, issuer] *= keep
    model.warrant_fraction[:, issuer] *= keep


def draw_external(model: AIEconomy, firm: Firm, amount: float, memo: str) -> None:
    """Cash from the credit market into ``firm`` against new debt."""
    model.payments.receive_external(
        firm.index, amount, credit=Account.DEBT, party=ExternalParty.LENDERS, memo=memo, flow=FIN
    )


def draw_loan(model: AIEconomy, loan: Loan, memo: str) -> None:
    """Move a loan's principal from the lender to the borrower."""
    if loan.lender == EXTERNAL:
        draw_external(model, model.firms[loan.borrower], loan.principal, memo)
    else:
        lender = model.firms[loan.lender]
        fund(model, lender, loan.principal)
        model.payments.pay(
            loan.lender,
            loan.borrower,
            loan.principal,
            payer_debit=Account.LOANS_RECEIVABLE,
            payee_credit=Account.VENDOR_DEBT,
            memo=memo,
            payer_flow=INV,
            payee_flow=FIN,
            financing=True,
        )


def pay_prepayment(model: AIEconomy, order: GpuOrder) -> None:
    """Buyer prepays a share of a GPU order at signing."""
    buyer = model.firms[order.buyer]
    amount = fund(model, buyer, order.prepay_share * order.value)
    model.payments.pay(
        order.buyer,
        order.supplier,
        amount,
        payer_debit=Account.PREPAYMENTS,
        payee_credit=Account.DEFERRED_REVENUE,
        memo="gpu_prepayment",
        payer_flow=INV,
        payee_flow=OP,
    )
    order.prepay_share = amount / order.value if order.value > 0 else 0.0


def committed_for_orders(model: AIEconomy, buyer: Firm) -> float:
    """Cash ``buyer`` still owes on its orders over a new order's payment window (USD bn).

    Its :meth:`~agents.firm.Firm.committed_capex` over the order lag and deliveries and
    one quarter more: what :func:`finance_order` counts against the buyer's funds.
    """
    b = model.params.behaviour
    return buyer.committed_capex(b.order_lag + b.order_deliveries + 1)


def order_commitment(model: AIEconomy, order: GpuOrder) -> float:
    """What an order just signed adds to its buyer's :func:`committed_for_orders` (USD bn).

    The buyer's orders are summed in the order they were signed, so its commitments
    after signing are those before plus this, to the last bit: a buyer placing several
    orders in a turn need not sum its order book again.
    """
    b = model.params.behaviour
    build = model.construction_per_gw(model.firms[order.buyer])
    return order.cash_due(model.quarter, b.order_lag + b.order_deliveries + 1, build)


def finance_order(
    model: AIEconomy,
    buyer: Firm,
    supplier: Firm,
    gw: float,
    price: float,
    committed: float | None = None,
    fixed_costs: float | None = None,
) -> float:
    """Check the money for an order of ``gw`` at ``price``; return the GW that is financed.

    The buyer can count on its spare cash, the credit the lenders would grant now and
    its EBITDA over the quarters the order is paid in, less the cash still due on
    orders it already placed (``committed``: :func:`committed_for_orders`, if the
    caller knows it); it borrows
    later, as deliveries are paid (:func:`fund`). For what it cannot cover the supplier
    may lend now (:meth:`agents.chip.ChipSupplier.vendor_offer` — the Nortel channel).
    ``fixed_costs`` is the buyer's :meth:`~agents.firm.Firm.fixed_costs`, if the caller
    knows it.
    """
    b = model.params.behaviour
    per_gw = price + model.construction_per_gw(buyer)
    need = gw * per_gw
    if fixed_costs is None:
        fixed_costs = buyer.fixed_costs()
    # max(x, 0.0) is written 0.0 if x < 0.0 else x (the same value, no builtin call)
    spare = buyer.cash - b.min_cash_quarters * fixed_costs
    spare = 0.0 if spare < 0.0 else spare
    window = b.order_lag + b.order_deliveries  # quarters over which the order is paid
    if committed is None:
        committed = committed_for_orders(model, buyer)
    ebitda = buyer.ebitda
    earnings = (0.0 if ebitda < 0.0 else ebitda) * window / 4.0
    own = spare + earnings - committed
    if need - (0.0 if own < 0.0 else own) <= _EPS:
        # covered without credit, so covered with it (the credit granted is never negative
        # and adding it cannot lower the funds, rounding included): no quote is needed, but
        # the lenders still assess the deal book now, as the quote would (once a quarter,
        # when first asked: :meth:`~world.model.AIEconomy.credit_backlogs`)
        model.credit_backlogs()
        return gw
    funds = spare + buyer.credit_quote(need).amount + earnings - committed
    short = need - (0.0 if funds < 0.0 else funds)
    if short > _EPS and isinstance(supplier, ChipSupplier):
        amount = supplier.vendor_offer(buyer, short, gw * price)
        if amount > _EPS:
            loan = Loan(
                model.deals.new_id(),
                model.quarter,
                lender=supplier.index,
                borrower=buyer.index,
                principal=amount,
                rate=b.vendor_rate,
                maturity=model.quarter + buyer.choose_maturity(),
                vendor=True,
            )
            model.deals.add(loan, endogenous=True)
            draw_loan(model, loan, "vendor_loan")
            short -= amount
    if short <= _EPS:
        return gw
    return gw * max(1.0 - short / need, 0.0)


def pay(
    model: AIEconomy,
    payer: Firm,
    payee: Firm,
    amount: float,
    debit: Account,
    credit: Account,
    memo: str,
    payer_flow: CashFlowKind = OP,
    payee_flow: CashFlowKind = OP,
    financing: bool = False,
) -> float:
    """Fund and make a payment; record any shortfall as missed. Returns the amount paid."""
    # fund's first test written out: cash covers most payments (one call less)
    paid = amount if amount - payer.ledger.cash <= _EPS else fund(model, payer, amount)
    model.payments.pay(
        payer.index,
        payee.index,
        paid,
        payer_debit=debit,
        payee_credit=credit,
        memo=memo,
        payer_flow=payer_flow,
        payee_flow=payee_flow,
        financing=financing,
    )
    if amount - paid > 1e-6:
        payer.missed += amount - paid
    return paid


def pay_out(
    model: AIEconomy,
    firm: Firm,
    amount: float,
    debit: Account,
    party: ExternalParty,
    memo: str,
    flow: CashFlowKind = OP,
) -> float:
    """Fund and make a payment to outside the network; record any shortfall as missed."""
    # fund's first test written out: cash covers most payments (one call less)
    paid = amount if amount - firm.ledger.cash <= _EPS else fund(model, firm, amount)
    model.payments.pay_external(firm.index, paid, debit=debit, party=party, memo=memo, flow=flow)
    if amount - paid > 1e-6:
        firm.missed += amount - paid
    return paid
