"""Deal-making: history deals from the scenario and the firms' own negotiations.

The scenario's deals (the calibration's announced 2025 deals) are signed in their
quarter ("history replay"); deals signed before the first simulated quarter are in
force from the start. After ``history_until`` the firms originate deals of their own
from their state each quarter (:func:`negotiate`): labs rent compute, providers
accept or refuse and order accelerators, suppliers invest in labs and finance
customers the credit market refuses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.chip import ChipSupplier
from agents.cloud import CloudProvider
from agents.lab import AILab
from world import finance, opening
from world.cancellation import cut_order
from world.contracts import (
    EXTERNAL,
    Backstop,
    CloudContract,
    EquityInvestment,
    GpuOrder,
    Loan,
    SignedDeal,
    Warrant,
)
from world.events import EventKind
from world.params import (
    BackstopSpec,
    CloudContractSpec,
    DealKind,
    DebtSpec,
    EquityInvestmentSpec,
    FundingRoundSpec,
    GpuOrderSpec,
    Role,
    VendorLoanSpec,
    WarrantSpec,
)

if TYPE_CHECKING:
    from agents.firms import Firm
    from world.model import AIEconomy

__all__ = ["negotiate", "sign_history", "sign_cloud", "sign_gpu_order"]


def sign_history(model: AIEconomy, *, before_start: bool) -> None:
    """Sign the scenario's deals due now (or all pre-start deals when ``before_start``)."""
    p = model.params
    ix = model.firm_index
    q = model.quarter  # (signing does not change it)
    if before_start:
        due = [(when, spec) for when, spec in model.history_deals if when < 0]
    else:
        due = [(when, spec) for when, spec in model.history_deals if when == q and when >= 0]
    for when, spec in due:
        signed = max(when, 0)
        match spec:
            case CloudContractSpec():
                start = p.relative(spec.start)
                sign_cloud(
                    model,
                    ix[spec.customer],
                    ix[spec.provider],
                    spec.gw,
                    spec.price_per_gw,
                    start,
                    spec.quarters,
                    spec.take_or_pay,
                    spec.cancel_fee,
                    endogenous=False,
                    ramp=spec.ramp_quarters,
                )
            case GpuOrderSpec():
                for gw, deliveries in spec.tranches():
                    sign_gpu_order(
                        model,
                        ix[spec.buyer],
                        ix[spec.supplier],
                        gw,
                        spec.price_per_gw,
                        spec.lag_quarters,
                        deliveries,
                        spec.prepay_share,
                        spec.cancel_fee,
                        endogenous=False,
                        signed=when,
                    )
            case EquityInvestmentSpec():
                inv = EquityInvestment(
                    model.deals.new_id(),
                    signed,
                    investor=ix[spec.investor],
                    investee=ix[spec.investee],
                    upfront=spec.upfront,
                    per_gw=spec.per_gw,
                    max_amount=spec.max_amount,
                    base_gw=model.lab_compute_gw[ix[spec.investee]],
                )
                model.deals.add(inv, endogenous=False)
                if before_start:
                    opening.opening_stake(model, inv)
            case WarrantSpec():
                w = Warrant(
                    model.deals.new_id(),
                    signed,
                    grantor=ix[spec.grantor],
                    holder=ix[spec.holder],
                    share_fraction=spec.share_fraction,
                    vest_gw=spec.vest_gw,
                )
                model.deals.add(w, endogenous=False)
            case VendorLoanSpec() | DebtSpec():
                vendor = isinstance(spec, VendorLoanSpec)
                loan = Loan(
                    model.deals.new_id(),
                    signed,
                    lender=ix[spec.lender] if isinstance(spec, VendorLoanSpec) else EXTERNAL,
                    borrower=ix[spec.borrower],
                    principal=spec.amount,
                    rate=spec.rate,
                    maturity=signed + spec.quarters,
                    vendor=vendor,
                )
                model.deals.add(loan, endogenous=False)
                finance.draw_loan(model, loan, "vendor_loan" if vendor else "debt_issue")
            case BackstopSpec():
                b = Backstop(
                    model.deals.new_id(),
                    signed,
                    guarantor=ix[spec.guarantor],
                    provider=ix[spec.provider],
                    gw=spec.gw,
                    price=spec.price_per_gw,
                    start=p.relative(spec.start),
                    end=p.relative(spec.start) + spec.quarters,
                )
                model.deals.add(b, endogenous=False)
            case FundingRoundSpec():
                raised = finance.place_equity(
                    model, model.firms[ix[spec.investee]], spec.amount, "announced round"
                )
                model.deals.signed.append(
                    SignedDeal(
                        signed,
                        model.deals.new_id(),
                        DealKind.FUNDING_ROUND,
                        -1,
                        ix[spec.investee],
                        raised,
                        0.0,
                        False,
                    )
                )


def sign_cloud(
    model: AIEconomy,
    customer: int,
    provider: int,
    gw: float,
    price: float,
    start: int,
    quarters: int,
    take_or_pay: float,
    cancel_fee: float,
    *,
    endogenous: bool,
    ramp: int = 1,
) -> None:
    """Sign a cloud contract (no cash moves at signing; ``ramp``: see CloudContract)."""
    c = CloudContract(
        model.deals.new_id(),
        max(model.quarter, 0),
        customer=customer,
        provider=provider,
        gw=gw,
        price=price,
        start=start,
        end=start + quarters,
        take_or_pay=take_or_pay,
        cancel_fee=cancel_fee,
        ramp=ramp,
    )
    model.deals.add(c, endogenous=endogenous)


def sign_gpu_order(
    model: AIEconomy,
    buyer: int,
    supplier: int,
    gw: float,
    price: float,
    lag: int,
    deliveries: int,
    prepay: float,
    cancel_fee: float,
    *,
    endogenous: bool,
    signed: int | None = None,
) -> GpuOrder:
    """Sign a GPU order; deliveries start ``lag`` quarters after signing."""
    when = model.quarter if signed is None else signed
    order = GpuOrder(
        model.deals.new_id(),
        when if when > 0 else 0,
        buyer=buyer,
        supplier=supplier,
        gw=gw,
        price=price,
        first_delivery=when + lag if when + lag > 0 else 0,
        deliveries=deliveries,
        prepay_share=prepay,
        cancel_fee=cancel_fee,
    )
    model.deals.add(order, endogenous=endogenous)
    if prepay > 0 and when >= 0:
        finance.pay_prepayment(model, order)
    return order


def negotiate(model: AIEconomy, *, labs_too: bool = True) -> None:
    """One round of endogenous deal-making, in a fixed, seeded order.

    1. Each lab (in random order) asks providers for compute, cheapest first; each
       provider offers what it has or can build and finance; contracts are signed at
       the provider's list price. A lab that cannot fund its plan — or could not raise
       — may get a strategic investment from a supplier. (Skipped with
       ``labs_too=False``: while the labs' 2025 deals are replayed from history.)
    2. Each provider (in random order) orders accelerators for its capacity gap at each
       supplier's list price, financed by cash, credit or the supplier; a provider
       whose need fell cancels undelivered orders on their terms.
    """
    b = model.params.behaviour
    labs = model.by_role(Role.LAB) if labs_too else []
    for lab in _in_random_order(model, labs):
        assert isinstance(lab, AILab)
        _rent_compute(model, lab)
        if lab.unfunded_gw > 0 or lab.funding_stress:
            _strategic_investment(model, lab)
    clouds = model.by_role(Role.CLOUD)
    for cloud in _in_random_order(model, clouds):
        assert isinstance(cloud, CloudProvider)
        gap = cloud.capacity_gap()
        cuts = cloud.excess_orders(gap)
        for order, gw in cuts:
            cut_order(model, order, gw, "capacity no longer needed")
        if cuts:
            gap = cloud.capacity_gap()  # the cuts changed what it has on order
        # its commitments on orders: summed once, then grown per order; its fixed costs
        # (opex and interest) do not change while it orders: a vendor loan signed now
        # bears no interest this quarter
        committed = fixed = 0.0
        for k, proposal in enumerate(cloud.plan_capacity(gap)):
            supplier = model.firms[proposal.supplier]
            assert isinstance(supplier, ChipSupplier)
            price = supplier.price
            if k == 0:
                committed = finance.committed_for_orders(model, cloud)
                fixed = cloud.fixed_costs()
            gw = finance.finance_order(model, cloud, supplier, proposal.gw, price, committed, fixed)
            if gw >= b.min_deal_gw:
                order = sign_gpu_order(
                    model,
                    cloud.index,
                    supplier.index,
                    gw,
                    price,
                    b.order_lag,
                    b.order_deliveries,
                    0.0,
                    b.order_cancel_fee,
                    endogenous=True,
                )
                committed += finance.order_commitment(model, order)


def _in_random_order(model: AIEconomy, firms: list[Firm]) -> list[Firm]:
    """``firms`` shuffled by the model's generator.

    The order ``rng.permutation(len(firms))`` gives, from the same draws, without a
    numpy array for a handful of firms. A single firm is not shuffled: shuffling one
    item draws nothing.
    """
    order = list(firms)
    if len(order) > 1:
        model.rng.shuffle(order)
    return order


def _rent_compute(model: AIEconomy, lab: AILab) -> None:
    b = model.params.behaviour
    request = lab.plan_compute()
    if request is None:
        return
    remaining = request.gw
    cap = b.lab_max_provider_share * request.gw
    providers = lab.rank_providers()
    for k, provider in enumerate(providers):
        if remaining < b.min_deal_gw:
            break
        assert isinstance(provider, CloudProvider)
        last = k == len(providers) - 1
        gw = provider.offer(
            remaining if last else min(remaining, cap), request.start, request.quarters
        )
        if gw < b.min_deal_gw:
            continue
        sign_cloud(
            model,
            lab.index,
            provider.index,
            gw,
            provider.price,
            request.start,
            request.quarters,
            b.take_or_pay,
            b.cancel_fee,
            endogenous=True,
        )
        remaining -= gw


def _strategic_investment(model: AIEconomy, lab: AILab) -> None:
    suppliers = sorted(model.by_role(Role.CHIP), key=lambda f: -f.cash)
    for supplier in suppliers:
        assert isinstance(supplier, ChipSupplier)
        offer = supplier.consider_investment(lab)
        if offer is None:
            continue
        inv = EquityInvestment(
            model.deals.new_id(),
            model.quarter,
            investor=offer.investor,
            investee=offer.investee,
            upfront=0.0,
            per_gw=offer.per_gw,
            max_amount=offer.max_amount,
            base_gw=model.lab_compute_gw[lab.index],
        )
        model.deals.add(inv, endogenous=True)
        model.log_event(
            supplier.index,
            EventKind.STRATEGIC_INVESTMENT,
            offer.max_amount,
            f"{offer.per_gw:.1f} per GW the lab deploys: its funding put sales at risk",
            lab.index,
        )
        return
