import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.contracts import (
    Backstop,
    CloudContract,
    ContractStatus,
    DealBook,
    EquityInvestment,
    FlowKind,
    GpuOrder,
    Loan,
    Warrant,
)
from world.params import DealKind, GpuOrderSpec


def test_cloud_contract_schedule_and_take_or_pay():
    c = CloudContract(
        1, 0, customer=0, provider=1, gw=2.0, price=3.0, start=4, end=8, take_or_pay=0.8
    )
    assert c.schedule(3) == []
    (flow,) = c.schedule(4)
    assert (flow.payer, flow.payee, flow.amount, flow.kind, flow.gw) == (
        0,
        1,
        6.0,
        FlowKind.CLOUD_RENT,
        2.0,
    )
    assert c.schedule(8) == []
    assert c.value == pytest.approx(24.0)
    assert c.remaining_value(0) == pytest.approx(24.0)
    assert c.remaining_value(6) == pytest.approx(12.0)
    # take-or-pay: using only a quarter of 2 delivered GW still bills 80 %
    assert c.billed(delivered=2.0, used=0.5) == pytest.approx(0.8 * 2.0 * 3.0)
    # shortfall of the provider: only delivered capacity is billed
    assert c.billed(delivered=1.0, used=1.0) == pytest.approx(3.0)
    assert c.billed(delivered=5.0, used=5.0) == pytest.approx(6.0)  # capped at contract GW


def test_gpu_order_prepayment_and_deliveries_sum_to_value():
    o = GpuOrder(
        1,
        2,
        buyer=0,
        supplier=1,
        gw=4.0,
        price=35.0,
        first_delivery=4,
        deliveries=4,
        prepay_share=0.25,
    )
    flows = [f for q in range(0, 12) for f in o.schedule(q)]
    assert flows[0].kind is FlowKind.GPU_PREPAYMENT and flows[0].quarter == 2
    assert flows[0].amount == pytest.approx(0.25 * 140.0)
    deliveries = [f for f in flows if f.kind is FlowKind.GPU_DELIVERY]
    assert [f.quarter for f in deliveries] == [4, 5, 6, 7]
    assert sum(f.gw for f in deliveries) == pytest.approx(4.0)
    assert sum(f.amount for f in flows) == pytest.approx(o.value)
    assert o.remaining_value() == pytest.approx(140.0)
    o.delivered_gw = 3.0
    assert o.remaining_value() == pytest.approx(35.0)


def test_equity_investment_tranches_follow_milestones_and_cap():
    inv = EquityInvestment(
        1, 0, investor=0, investee=1, upfront=5.0, per_gw=10.0, max_amount=30.0, base_gw=2.0
    )
    assert inv.due(2.0) == pytest.approx(5.0)  # upfront only
    assert inv.due(3.5) == pytest.approx(15.0)  # one whole GW reached
    assert inv.unlocked(10.0) == pytest.approx(30.0)  # capped
    inv.paid = 15.0
    assert inv.due(3.9) == 0.0
    (flow,) = inv.schedule(3, investee_gw=4.0)
    assert flow.kind is FlowKind.EQUITY_TRANCHE and flow.amount == pytest.approx(10.0)


def test_warrant_vests_per_gw_and_completes():
    w = Warrant(1, 0, grantor=0, holder=1, share_fraction=0.1, vest_gw=4.0)
    assert w.vest(1.0) == pytest.approx(0.025)
    assert w.vest(2.0) == pytest.approx(0.05)
    assert w.vest(5.0) == pytest.approx(0.025)  # capped at the full fraction
    assert w.status is ContractStatus.COMPLETED
    assert w.vest(1.0) == 0.0


def test_loan_schedule_interest_and_principal():
    loan = Loan(1, 0, lender=-1, borrower=2, principal=100.0, rate=0.08, maturity=4)
    (draw,) = loan.schedule(0)
    assert draw.kind is FlowKind.LOAN_DRAW and draw.amount == 100.0
    assert [f.amount for f in loan.schedule(1)] == [pytest.approx(2.0)]
    last = loan.schedule(4)
    assert [f.kind for f in last] == [FlowKind.INTEREST, FlowKind.PRINCIPAL]
    assert sum(f.amount for q in range(1, 5) for f in loan.schedule(q)) == pytest.approx(108.0)
    assert loan.schedule(5) == []


def test_backstop_buys_idle_capacity_up_to_limit():
    b = Backstop(1, 0, guarantor=0, provider=1, gw=0.5, price=3.0, start=2, end=4)
    assert b.purchase(1, 1.0) == 0.0
    assert b.purchase(2, 0.2) == pytest.approx(0.6)
    assert b.purchase(3, 2.0) == pytest.approx(1.5)
    assert b.purchase(4, 2.0) == 0.0


def test_dealbook_records_signings_with_unique_ids():
    book = DealBook()
    c = CloudContract(
        book.new_id(), 0, customer=0, provider=1, gw=1.0, price=2.0, start=0, end=4, take_or_pay=1.0
    )
    o = GpuOrder(
        book.new_id(),
        0,
        buyer=1,
        supplier=2,
        gw=1.0,
        price=30.0,
        first_delivery=1,
        deliveries=1,
        prepay_share=0.0,
    )
    book.add(c, endogenous=False)
    book.add(o, endogenous=True)
    assert [s.kind for s in book.signed] == [DealKind.CLOUD_CONTRACT, DealKind.GPU_ORDER]
    assert [s.value for s in book.signed] == [pytest.approx(8.0), pytest.approx(30.0)]
    assert len({s.contract_id for s in book.signed}) == 2


def test_dealbook_indexes_follow_adds_and_prunes():
    """The grouped views equal a plain scan after every add and prune, whether or
    not they were asked for in between (a pruned list's index is dropped, never
    trusted by the id() and length of a later list)."""
    import random

    rnd = random.Random(7)
    book = DealBook()
    for step in range(200):
        c = CloudContract(
            book.new_id(), 0, customer=rnd.randrange(3), provider=rnd.randrange(4), gw=1.0,
            price=2.0, start=0, end=4, take_or_pay=1.0,
        )  # fmt: skip
        book.add(c, endogenous=True)
        if rnd.random() < 0.3:
            for x in book.cloud:
                if rnd.random() < 0.3:
                    x.status = ContractStatus.COMPLETED
            before = book.cloud
            book.prune()
            if book.cloud is not before:  # replaced: an index kept is stamped with the new list
                for entry in book._index.get("cloud", {}).values():
                    assert entry[0] == id(book.cloud) and entry[1] == len(book.cloud)
        if rnd.random() < 0.5 or step == 199:
            party = rnd.choice(["customer", "provider"])
            for firm in range(4):
                plain = [x for x in book.cloud if getattr(x, party) == firm]
                assert book.of("cloud", party, firm) == plain
            rebuilt: dict[int, list] = {}
            for x in book.cloud:
                rebuilt.setdefault(getattr(x, party), []).append(x)
            assert book.by("cloud", party) == rebuilt  # pruned groups: a rebuild's, none empty


def test_dealbook_interest_memo_follows_loans_added_changed_and_seasoned():
    """The memoised interest per borrower equals the loans' own sum at every ask, while
    loans are added (signed now, later or before), change (each change announced with
    loan_changed), are pruned and season from one quarter to the next."""
    import random

    rnd = random.Random(11)
    book = DealBook()
    q = 0
    for _ in range(400):
        event = rnd.random()
        if event < 0.3:
            book.add(
                Loan(
                    book.new_id(), q + rnd.choice([-2, 0, 0, 0, 1]), lender=-1,
                    borrower=rnd.randrange(3), principal=rnd.uniform(1.0, 9.0),
                    rate=rnd.uniform(0.02, 0.12), maturity=q + rnd.randrange(1, 9),
                ),
                endogenous=True,
            )  # fmt: skip
        elif event < 0.5 and book.loans:
            loan = rnd.choice(book.loans)
            match rnd.randrange(3):
                case 0:
                    loan.principal *= rnd.uniform(0.5, 1.5)
                case 1:
                    loan.rate = rnd.uniform(0.02, 0.12)
                case _:
                    loan.status = ContractStatus.COMPLETED
            book.loan_changed(loan)
        elif event < 0.6:
            book.prune()
        elif event < 0.7:
            q += 1
        for borrower in range(3):
            plain = sum([ln.interest_due(q) for ln in book.loans if ln.borrower == borrower], 0.0)
            assert book.interest(borrower, q) == plain


# -- an order book as a ladder (GpuOrderSpec.ladder) ------------------------------------
@given(
    gw=st.floats(0.01, 100.0),
    d=st.integers(1, 40),
    ladder=st.integers(1, 8),
)
def test_a_ladder_delivers_its_gw_at_one_rate_and_runs_off_one_rate_a_quarter(gw, d, ladder):
    spec = GpuOrderSpec(
        signed="2024Q4", buyer="A", supplier="B", gw=gw, price_per_gw=35.0,
        delivery_quarters=d, ladder=ladder,
    )  # fmt: skip
    tranches = spec.tranches()
    assert [n for _, n in tranches] == list(range(d, d + ladder))
    assert sum(g for g, _ in tranches) == pytest.approx(gw, rel=1e-12)
    rates = [g / n for g, n in tranches]
    assert max(rates) == pytest.approx(min(rates), rel=1e-12)  # one rate
    # GW delivered per quarter: ladder rates for d quarters, then one rate less a quarter
    quarters = range(d + ladder)  # the last one after the book has run off
    per_quarter = [sum(g / n for g, n in tranches if q < n) for q in quarters]
    expected = [rates[0] * min(ladder, d + ladder - 1 - q) for q in quarters]
    assert per_quarter == pytest.approx(expected, rel=1e-9)
    assert per_quarter[-1] == 0.0 and per_quarter[-2] > 0.0
    if ladder == 1:  # one order, exactly as specified (no rounding through a rate)
        assert tranches == ((gw, d),)


def test_the_baseline_opening_book_runs_off_as_a_ladder(baseline):
    """The opening orders deliver the 2025 capex anchors' GW in 2025, then 3:2:1."""
    opening = [
        d for d in baseline.deals if d.kind == "gpu_order" and baseline.relative(d.signed) < 0
    ]
    assert len(opening) == 4 and all(d.ladder == 4 for d in opening)
    for d in opening:
        first = sum(g / n * 4 for g, n in d.tranches())  # delivered in 2025Q1-2025Q4
        assert first == pytest.approx(d.gw * 16 / 22)


# -- a cloud contract that ramps up (CloudContract.ramp) ---------------------------------
@given(
    gw=st.floats(0.01, 50.0),
    start=st.integers(0, 10),
    quarters=st.integers(1, 40),
    ramp=st.integers(1, 40),
    at=st.integers(-2, 55),
)
def test_a_ramped_contract_is_due_k_over_ramp_then_all_and_its_values_add_up(
    gw, start, quarters, ramp, at
):
    ramp = min(ramp, quarters)
    c = CloudContract(
        1, 0, customer=0, provider=1, gw=gw, price=3.0, start=start, end=start + quarters,
        take_or_pay=0.8, ramp=ramp,
    )  # fmt: skip
    due = [c.gw_due(q) for q in range(start, start + quarters)]
    assert due == pytest.approx([gw * min(k, ramp) / ramp for k in range(1, quarters + 1)])
    assert due[ramp - 1] == gw and all(a <= b for a, b in zip(due, due[1:], strict=False))
    assert c.gw_due(start - 1) == 0.0 and c.gw_due(start + quarters) == 0.0
    # value and what is left are the schedules' sums, in closed form
    assert c.value == pytest.approx(sum(f.amount for q in range(60) for f in c.schedule(q)))
    left = sum(c.gw_due(q) * c.price for q in range(max(at, 0), start + quarters))
    assert c.remaining_value(at) == pytest.approx(left, abs=1e-9)
    if ramp == 1:  # flat: the plain formula, exactly
        assert c.value == gw * 3.0 * quarters
    c.status = ContractStatus.CANCELLED
    assert c.remaining_value(at) == 0.0 and c.gw_due(start) == 0.0


def test_a_cloud_contract_spec_rejects_a_ramp_longer_than_the_contract():
    from pydantic import ValidationError

    from world.params import CloudContractSpec

    spec = dict(signed="2025Q1", customer="A", provider="B", gw=1.0, price_per_gw=3.0)
    assert CloudContractSpec(**spec, start="2025Q2", quarters=8, ramp_quarters=8).ramp_quarters == 8
    with pytest.raises(ValidationError, match=r"ramp_quarters must be in \[1, quarters = 8\]"):
        CloudContractSpec(**spec, start="2025Q2", quarters=8, ramp_quarters=9)
