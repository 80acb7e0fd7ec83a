"""Stock-flow consistency: every payment is someone's receipt; money changes only externally."""

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.ledger import Account, CashFlowKind, Ledger
from world.settlement import ExternalParty, PaymentSystem


def test_system_cash_changes_only_through_external_flows(baseline_run, baseline_result):
    m = baseline_run
    firms = baseline_result.firms
    cash = firms.pivot(index="quarter", columns="firm", values="cash").sum(axis=1)
    external = defaultdict(float)
    for flow in m.payments.external:
        external[flow.quarter] += flow.amount
    opening = sum(f.spec.cash for f in m.firms)
    prev = opening
    for q, total in cash.items():
        assert total - prev == pytest.approx(external[q], rel=1e-9, abs=1e-7)
        prev = total


def test_every_payment_is_someones_receipt(baseline_run):
    m = baseline_run
    for f in m.firms:
        journal_cash = sum(e.cash_change for e in f.ledger.journal if e.memo != "opening_balance")
        paid = sum(p.amount for p in m.payments.payments if p.payer == f.index)
        received = sum(p.amount for p in m.payments.payments if p.payee == f.index)
        ext = sum(x.amount for x in m.payments.external if x.firm == f.index)
        assert journal_cash == pytest.approx(received - paid + ext, rel=1e-9, abs=1e-7)


def test_origin_rows_sum_to_cash(baseline_run):
    m = baseline_run
    assert np.allclose(m.payments.origin.sum(axis=1), m.payments.cash(), rtol=1e-9, atol=1e-7)
    mix = m.payments.origin_mix()
    assert np.allclose(mix.sum(axis=1), 1.0)


def _system(n):
    ledgers = [Ledger(str(i)) for i in range(n)]
    ps = PaymentSystem(ledgers)
    for i in range(n):
        ps.receive_external(
            i,
            0.0,
            credit=Account.PAID_IN_CAPITAL,
            party=ExternalParty.INVESTORS,
            memo="x",
            flow=CashFlowKind.FINANCING,
        )
    return ps


def test_round_trip_on_a_hand_computed_cycle():
    """A invests 10 in B; B (holding 10 of its own outside cash) pays C 10; C pays A 8.

    B's mix: 10 'A' + 10 outside → a payment of 10 carries 5 'A'. C then holds 5 'A' of
    10 and pays A 8 → 4 of it is A's own money: round-trip share of A = 4/8 = 0.5.
    """
    ps = _system(3)
    op, fin = CashFlowKind.OPERATING, CashFlowKind.FINANCING
    ps.receive_external(
        0,
        10.0,
        credit=Account.PAID_IN_CAPITAL,
        party=ExternalParty.INVESTORS,
        memo="seed",
        flow=fin,
    )
    ps.receive_external(
        1,
        10.0,
        credit=Account.REVENUE_LEGACY,
        party=ExternalParty.LEGACY_CUSTOMERS,
        memo="sales",
        flow=op,
    )
    ps.pay(
        0,
        1,
        10.0,
        payer_debit=Account.STAKES,
        payee_credit=Account.PAID_IN_CAPITAL,
        memo="invest",
        payer_flow=CashFlowKind.INVESTING,
        payee_flow=fin,
        financing=True,
    )
    ps.pay(
        1,
        2,
        10.0,
        payer_debit=Account.COMPUTE_COST,
        payee_credit=Account.REVENUE_CLOUD,
        memo="rent",
        payer_flow=op,
        payee_flow=op,
    )
    rt = ps.pay(
        2,
        0,
        8.0,
        payer_debit=Account.COMPUTE_COST,
        payee_credit=Account.REVENUE_GPU,
        memo="chips",
        payer_flow=op,
        payee_flow=op,
    )
    assert rt == pytest.approx(4.0)
    assert ps.round_trip_revenue[0] == pytest.approx(4.0)
    assert ps.round_trip_revenue[2] == 0.0  # C's revenue came from B's mixed cash, none C's own
    assert np.allclose(ps.origin.sum(axis=1), ps.cash())


def test_direct_round_trip_counts_fully():
    """A lends B 5; B spends all of it buying from A: A's revenue is 100 % round trip."""
    ps = _system(2)
    ps.receive_external(
        0,
        5.0,
        credit=Account.PAID_IN_CAPITAL,
        party=ExternalParty.INVESTORS,
        memo="seed",
        flow=CashFlowKind.FINANCING,
    )
    ps.pay(
        0,
        1,
        5.0,
        payer_debit=Account.LOANS_RECEIVABLE,
        payee_credit=Account.VENDOR_DEBT,
        memo="loan",
        payer_flow=CashFlowKind.INVESTING,
        payee_flow=CashFlowKind.FINANCING,
        financing=True,
    )
    rt = ps.pay(
        1,
        0,
        5.0,
        payer_debit=Account.CONSTRUCTION_IN_PROGRESS,
        payee_credit=Account.REVENUE_GPU,
        memo="gpu",
        payer_flow=CashFlowKind.INVESTING,
        payee_flow=CashFlowKind.OPERATING,
    )
    assert rt == pytest.approx(5.0)


def test_payment_rejects_negative_amounts():
    ps = _system(2)
    with pytest.raises(ValueError, match="amount"):
        ps.pay(
            0,
            1,
            -1.0,
            payer_debit=Account.OPEX,
            payee_credit=Account.REVENUE_API,
            memo="x",
            payer_flow=CashFlowKind.OPERATING,
            payee_flow=CashFlowKind.OPERATING,
        )


# -- the scaled origin rows against a dense reference ------------------------------------
_OP = CashFlowKind.OPERATING


def _dense_reference(n, ops):
    """Origin matrix and round trips of ``ops`` traced naively (one dense row per firm)."""
    origin = np.zeros((n, n + 1))
    cash = np.zeros(n)
    round_trip = np.zeros(n)
    for kind, i, j, share, financing in ops:
        if kind == "in":
            amount = share * 10.0
            cash[i] += amount
            origin[i, n] += amount
        elif kind == "out":
            amount = share * max(cash[i], 0.0)
            before = cash[i]
            cash[i] -= amount
            if before > 1e-15:
                origin[i] *= 1.0 - min(amount / before, 1.0)
        else:
            amount = share * max(cash[i], 0.0)
            before = cash[i]
            cash[i] -= amount
            cash[j] += amount
            if before <= 1e-15:
                carried = np.zeros(n + 1)
                carried[n] = amount
            else:
                carried = origin[i] * min(amount / before, 1.0)
                origin[i] -= carried
            round_trip[j] += carried[j]
            if financing:
                origin[j, i] += amount
            else:
                origin[j] += carried
    return origin, cash, round_trip


_op = st.tuples(
    st.sampled_from(["in", "out", "pay"]),
    st.integers(0, 2),
    st.integers(0, 2),
    st.sampled_from([0.0, 0.3, 0.999999, 1.0]) | st.floats(0.0, 1.0),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(_op, max_size=60))
def test_scaled_origin_rows_match_a_dense_reference(ops):
    """Many near-total outflows (which renormalise the scaled rows) keep the tracing exact."""
    n = 3
    ops = [(k, i, j, s, f) for k, i, j, s, f in ops if k != "pay" or i != j]
    ps = PaymentSystem([Ledger(str(i)) for i in range(n)])
    for kind, i, j, share, financing in ops:
        cash = ps.ledgers[i].cash
        if kind == "in":
            ps.receive_external(
                i, share * 10.0, credit=Account.REVENUE_LEGACY,
                party=ExternalParty.LEGACY_CUSTOMERS, memo="in", flow=_OP,
            )  # fmt: skip
        elif kind == "out":
            ps.pay_external(
                i, share * max(cash, 0.0), debit=Account.OPEX,
                party=ExternalParty.SUPPLIERS, memo="out", flow=_OP,
            )  # fmt: skip
        else:
            ps.pay(
                i, j, share * max(cash, 0.0), payer_debit=Account.COMPUTE_COST,
                payee_credit=Account.REVENUE_CLOUD, memo="pay", payer_flow=_OP,
                payee_flow=_OP, financing=financing,
            )  # fmt: skip
    origin, cash, round_trip = _dense_reference(n, ops)
    assert np.allclose(ps.cash(), cash, rtol=1e-12, atol=1e-12)
    assert np.allclose(ps.origin, origin, rtol=1e-9, atol=1e-9)
    assert np.allclose(ps.origin.sum(axis=1), ps.cash(), rtol=1e-9, atol=1e-9)
    assert np.allclose(ps.round_trip_revenue, round_trip, rtol=1e-9, atol=1e-9)
