"""Financial distress: the liquidity waterfall, defaults, clearing and contagion.

A firm that must pay more than its cash goes down a waterfall
(:func:`world.finance.fund`): cash → credit line → :func:`sell_stakes` (fire sale,
price impact from :func:`world.contagion.fire_sale_proceeds`) →
:func:`cancel_future_commitments` (not-yet-started cloud contracts and undelivered
GPU orders; suppliers' backlog falls) → :func:`rescue_round` (new equity at a
discount) → only then a missed payment. A firm that missed a payment defaults at the
end of the quarter (:func:`resolve_defaults`):

1. its contracts are cancelled (customers lose capacity, suppliers lose backlog);
2. simultaneous obligations between firms (vendor loans) and to the credit market
   are cleared with Eisenberg–Noe or Rogers–Veraart (:mod:`world.clearing`); each
   creditor writes its claim down to what the clearing vector pays;
3. equity losses spread with differential DebtRank (:mod:`world.contagion`) over
   stakes, vendor loans and lost backlog; the value-weighted loss lowers market
   sentiment (contagion through beliefs) and each firm's value.

Nothing here decides *that* a firm defaults: defaults follow from cash, obligations
and the counterparties' and lenders' own decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from world.clearing import eisenberg_noe, rogers_veraart
from world.contagion import debtrank, fire_sale_proceeds
from world.contracts import EXTERNAL, ContractStatus
from world.events import EventKind
from world.ledger import Account, CashFlowKind
from world.settlement import ExternalParty

if TYPE_CHECKING:
    from agents.firms import Firm
    from world.model import AIEconomy

__all__ = [
    "DefaultEvent",
    "cancel_future_commitments",
    "rescue_round",
    "resolve_defaults",
    "sell_stakes",
]

_EPS = 1e-9


@dataclass(frozen=True)
class DefaultEvent:
    """What happened when firms defaulted in one quarter (for reports and tests)."""

    quarter: int
    defaulters: tuple[int, ...]
    exposures: np.ndarray  # exposures[i, j]: what i loses if j loses all its equity, USD bn
    equity: np.ndarray  # market equity before the shock, USD bn
    losses: np.ndarray  # DebtRank relative equity losses h
    clearing_payments: np.ndarray
    creditor_losses: np.ndarray  # write-downs booked per firm, USD bn
    outside_losses: float  # losses of the credit market, USD bn


# -- waterfall steps -----------------------------------------------------------------
def sell_stakes(model: AIEconomy, firm: Firm, needed: float) -> float:
    """Sell stakes and vested warrants to outside investors at fire-sale prices.

    Sells the largest holdings first until ``needed`` USD bn is raised or nothing is
    left; the gap between book value and proceeds is a mark-to-market loss. Returns
    the cash raised.
    """
    values = np.array([g.valuation for g in model.firms])
    holdings = (model.ownership[firm.index] + model.warrant_fraction[firm.index]) * values
    depth = model.params.stress.fire_sale_depth
    raised = 0.0
    for j in np.argsort(-holdings):
        if raised >= needed - _EPS or holdings[j] <= _EPS:
            break
        value = float(holdings[j])
        # units: the stake at its pre-sale mark (price 1 per USD bn); selling q of it
        # raises d·(1 − e^(−q/d)) — invert that for the rest needed, or sell it all
        full = float(fire_sale_proceeds(1.0, value, depth))
        target = needed - raised
        if full <= target:
            frac, proceeds = 1.0, full
        else:
            sold = -depth * float(np.log1p(-target / depth))
            frac, proceeds = min(sold / value, 1.0), target
        _book_stake_sale(model, firm, int(j), frac, proceeds)
        raised += proceeds
    if raised > _EPS:
        model.log_event(firm.index, EventKind.STAKE_SALE, raised, "fire sale to meet payments")
    return raised


def _book_stake_sale(model: AIEconomy, firm: Firm, j: int, frac: float, proceeds: float) -> None:
    ledger = firm.ledger
    own = float(model.ownership[firm.index, j])
    war = float(model.warrant_fraction[firm.index, j])
    total = own + war
    if total <= 0:
        return
    for account, share in ((Account.STAKES, own), (Account.WARRANTS, war)):
        if share > 0:
            # book value of the stake in j: proportional to its share of the account
            held = model.ownership if account is Account.STAKES else model.warrant_fraction
            row_value = float(held[firm.index] @ np.array([g.valuation for g in model.firms]))
            if row_value <= 0:
                continue
            part = ledger.balance(account) * (share * model.firms[j].valuation / row_value)
            book_part = frac * part
            ledger.post("stake_sale", ((account, -book_part), (Account.MARK_TO_MARKET, book_part)))
    model.ownership[firm.index, j] *= 1 - frac
    model.warrant_fraction[firm.index, j] *= 1 - frac
    model.stake_cost[firm.index, j] *= 1 - frac
    model.payments.receive_external(
        firm.index,
        proceeds,
        credit=Account.MARK_TO_MARKET,
        party=ExternalParty.INVESTORS,
        memo="stake_fire_sale",
        flow=CashFlowKind.INVESTING,
    )


def cancel_future_commitments(model: AIEconomy, firm: Firm) -> float:
    """Cancel cloud contracts not yet started and GPU orders not yet delivered.

    Returns the contract value cancelled (USD bn). Providers whose contracts are
    cancelled cancel their own undelivered orders beyond what they still need, so
    suppliers' backlog falls down the chain.
    """
    q = model.quarter
    cancelled = 0.0
    for c in model.deals.cloud:
        if c.active and c.customer == firm.index and c.start > q:
            cancelled += c.remaining_value(q)
            c.status = ContractStatus.CANCELLED
    for o in model.deals.gpu:
        if o.active and o.buyer == firm.index:
            cancelled += o.remaining_value()
            o.status = ContractStatus.CANCELLED
    firm.cancelled_value += cancelled
    model.deals.touch()
    if cancelled > _EPS:
        model.log_event(
            firm.index,
            EventKind.COMMITMENT_CUT,
            cancelled,
            "cancelled unstarted contracts",
        )
    return cancelled


def rescue_round(model: AIEconomy, firm: Firm, needed: float) -> float:
    """Raise new equity from outside investors at a discount; return the cash raised."""
    st = model.params.stress
    if firm.valuation <= _EPS or needed <= _EPS:
        return 0.0
    amount = min(needed, st.rescue_max_share * firm.valuation)
    return model.raise_equity(firm, amount, discount=st.rescue_discount, rescue=True)


# -- defaults --------------------------------------------------------------------------
def resolve_defaults(model: AIEconomy) -> DefaultEvent | None:
    """Default the firms that missed payments this quarter; clear and propagate losses."""
    new = [f for f in model.firms if f.missed > 1e-6 and not f.defaulted]
    if not new:
        return None
    n = len(model.firms)
    values = np.array([max(f.valuation, 0.0) for f in model.firms])
    exposures = _exposures(model, values)
    for f in new:
        f.defaulted = True
        f.default_quarter = model.quarter
        model.log_event(f.index, EventKind.MISSED_PAYMENT, f.missed, "could not fund its payments")
        model.log_event(
            f.index,
            EventKind.DEFAULT,
            f.ledger.balance_sheet().total_liabilities,
            f"missed {f.missed:.1f} after cash, credit, stake sales and a rescue round",
        )
        _cancel_all(model, f)
    for f in new:
        _wipe_out_stakes(model, f)
    payments, creditor_losses, outside = _clear(model, new)
    shock = np.zeros(n)
    shock[[f.index for f in new]] = 1.0
    equity = np.where(values > _EPS, values, 1.0)
    h = debtrank(exposures, equity, shock)
    # beliefs: the market's sentiment falls with the value-weighted loss
    weighted = float((h * values).sum() / max(values.sum(), _EPS))
    model.sentiment_shock -= model.params.stress.sentiment_contagion * weighted
    names = ", ".join(f.name for f in new)
    for f in model.firms:
        f.debtrank_loss = float(h[f.index])
        if not f.defaulted and h[f.index] > 0.01:
            model.log_event(
                f.index,
                EventKind.CONTAGION_LOSS,
                float(h[f.index] * values[f.index]),
                f"equity loss from the default of {names} (DebtRank)",
            )
        if f.defaulted:
            f.valuation = 0.0
        elif not model.has_market(f):
            f.valuation *= 1.0 - h[f.index]
    event = DefaultEvent(
        quarter=model.quarter,
        defaulters=tuple(f.index for f in new),
        exposures=exposures,
        equity=equity,
        losses=h,
        clearing_payments=payments,
        creditor_losses=creditor_losses,
        outside_losses=outside,
    )
    model.default_events.append(event)
    return event


def _wipe_out_stakes(model: AIEconomy, defaulter: Firm) -> None:
    """Log what the other firms paid for the stakes they still hold in ``defaulter``.

    The stakes are worth nothing from now on (the defaulter's valuation is 0); their
    marks book the loss quarter by quarter, so the event records the loss against what
    was paid, once, at the default.
    """
    j = defaulter.index
    for holder in model.firms:
        cost = float(model.stake_cost[holder.index, j])
        if cost > _EPS and not holder.defaulted:
            model.log_event(
                holder.index, EventKind.STAKE_LOSS, cost, "stake in a defaulter wiped out", j
            )
        model.stake_cost[holder.index, j] = 0.0


def _exposures(model: AIEconomy, values: np.ndarray) -> np.ndarray:
    """exposures[i, j]: what i loses if j loses all its equity (USD bn)."""
    n = len(model.firms)
    q = model.quarter
    ex = (model.ownership + model.warrant_fraction) * values[None, :]
    margin = model.params.stress.backlog_margin
    for loan in model.deals.loans:
        if loan.active and loan.lender != EXTERNAL:
            ex[loan.lender, loan.borrower] += loan.principal
    for c in model.deals.cloud:
        if c.active:
            ex[c.provider, c.customer] += margin * c.remaining_value(q + 1)
    for o in model.deals.gpu:
        if o.active:
            ex[o.supplier, o.buyer] += margin * o.remaining_value()
    ex[np.arange(n), np.arange(n)] = 0.0
    return ex


def _cancel_all(model: AIEconomy, f: Firm) -> None:
    i = f.index
    model.deals.touch()
    for c in model.deals.cloud:
        if c.active and i in (c.customer, c.provider):
            f.cancelled_value += c.remaining_value(model.quarter)
            c.status = ContractStatus.CANCELLED
    for o in model.deals.gpu:
        if o.active and i in (o.buyer, o.supplier):
            o.status = ContractStatus.CANCELLED
    for e in model.deals.equity:
        if e.active and i in (e.investor, e.investee):
            e.status = ContractStatus.CANCELLED
    for b in model.deals.backstops:
        if b.active and i in (b.guarantor, b.provider):
            b.status = ContractStatus.CANCELLED
    for w in model.deals.warrants:
        if w.active and i in (w.grantor, w.holder):
            w.status = ContractStatus.CANCELLED


def _clear(model: AIEconomy, new: list[Firm]) -> tuple[np.ndarray, np.ndarray, float]:
    """Clear debts of all firms (node n = the credit market) and book the write-downs."""
    n = len(model.firms)
    st = model.params.stress
    liab = np.zeros((n + 1, n + 1))
    loans = [ln for ln in model.deals.loans if ln.active]
    for ln in loans:
        creditor = n if ln.lender == EXTERNAL else ln.lender
        liab[ln.borrower, creditor] += ln.principal
    external = np.zeros(n + 1)
    defaulted = {f.index for f in new}
    for f in model.firms:
        bs = f.ledger.balance_sheet()
        other = bs.total_assets - bs.assets[Account.CASH] - bs.assets[Account.LOANS_RECEIVABLE]
        recovery = st.recovery_rate if f.index in defaulted else 1.0
        external[f.index] = max(bs.assets[Account.CASH] + recovery * max(other, 0.0), 0.0)
    if st.clearing == "rogers_veraart":
        result = rogers_veraart(liab, external, st.rv_alpha, st.rv_beta)
    else:
        result = eisenberg_noe(liab, external)
    pbar = liab.sum(axis=1)
    ratio = np.divide(result.payments, pbar, out=np.ones(n + 1), where=pbar > 0)
    creditor_losses = np.zeros(n)
    outside = 0.0
    for ln in loans:
        if ln.borrower not in defaulted:
            continue
        loss = ln.principal * (1.0 - min(float(ratio[ln.borrower]), 1.0))
        debtor = model.firms[ln.borrower]
        account = Account.DEBT if ln.lender == EXTERNAL else Account.VENDOR_DEBT
        if loss > _EPS:
            debtor.ledger.post(
                "debt_written_off", ((account, loss), (Account.MARK_TO_MARKET, -loss))
            )
            if ln.lender == EXTERNAL:
                outside += loss
            else:
                lender = model.firms[ln.lender]
                lender.ledger.post(
                    "loan_impairment",
                    ((Account.IMPAIRMENT, loss), (Account.LOANS_RECEIVABLE, -loss)),
                )
                creditor_losses[ln.lender] += loss
                model.log_event(
                    ln.lender, EventKind.WRITE_DOWN, loss, "vendor loan to a defaulter", ln.borrower
                )
        ln.principal -= loss
        ln.status = ContractStatus.DEFAULTED
        model.deals.loan_changed(ln)
    model.lender_losses += outside
    return result.payments, creditor_losses, outside
