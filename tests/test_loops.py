"""The loop in dollars: round-trip revenue attributed to (origin, first receiver, payer),
checked on tiny hand-computed cycles, against a dense reference, and on the baseline."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.ledger import Account, CashFlowKind, Ledger
from world.metrics import LOOP_COLUMNS
from world.settlement import ExternalParty, PaymentSystem

OP, FIN = CashFlowKind.OPERATING, CashFlowKind.FINANCING


def _system(n: int) -> PaymentSystem:
    return PaymentSystem([Ledger(str(i)) for i in range(n)])


def _outside(ps, firm, amount):
    ps.receive_external(
        firm, amount, credit=Account.REVENUE_LEGACY, party=ExternalParty.LEGACY_CUSTOMERS,
        memo="sales", flow=OP,
    )  # fmt: skip


def _finance(ps, lender, borrower, amount):
    ps.pay(
        lender, borrower, amount, payer_debit=Account.STAKES,
        payee_credit=Account.PAID_IN_CAPITAL, memo="invest", payer_flow=CashFlowKind.INVESTING,
        payee_flow=FIN, financing=True,
    )  # fmt: skip


def _buy(ps, payer, payee, amount):
    return ps.pay(
        payer, payee, amount, payer_debit=Account.COMPUTE_COST,
        payee_credit=Account.REVENUE_CLOUD, memo="buy", payer_flow=OP, payee_flow=OP,
    )  # fmt: skip


def test_three_firm_loop_by_hand():
    """A invests 10 in B; B (with 10 of outside cash) pays C 10; C pays A 8.

    B's cash: 10 tagged (A, B) + 10 outside → its payment to C carries 5 (A, B).
    C pays A 8 out of 10, 5 of them (A, B) → 4 USD went round A → B → C → A.
    """
    ps = _system(3)
    _outside(ps, 0, 10.0)
    _outside(ps, 1, 10.0)
    _finance(ps, 0, 1, 10.0)
    _buy(ps, 1, 2, 10.0)
    assert _buy(ps, 2, 0, 8.0) == pytest.approx(4.0)
    expected = np.zeros((3, 3, 3))
    expected[0, 1, 2] = 4.0
    np.testing.assert_allclose(ps.loop_revenue, expected)
    np.testing.assert_allclose(ps.tagged.sum(axis=1), ps.cash())


def test_two_loops_home_through_one_payer():
    """A finances B with 6 and lends C 4; B pays C 6; C (holding 6 (A,B) + 4 (A,C)) pays A 5:
    3 went round A → B → C → A and 2 round A → C → A."""
    ps = _system(3)
    _outside(ps, 0, 10.0)
    _finance(ps, 0, 1, 6.0)
    _finance(ps, 0, 2, 4.0)
    _buy(ps, 1, 2, 6.0)
    assert _buy(ps, 2, 0, 5.0) == pytest.approx(5.0)
    assert ps.loop_revenue[0, 1, 2] == pytest.approx(3.0)
    assert ps.loop_revenue[0, 2, 2] == pytest.approx(2.0)
    assert ps.loop_revenue.sum() == pytest.approx(5.0)
    np.testing.assert_allclose(ps.loop_revenue.sum(axis=(1, 2)), ps.round_trip_revenue)


def test_financing_retags_money():
    """A finances B, B finances C with it: the money is B's now, so C paying A is no round
    trip of A's, and C paying B is B's two-firm loop B → C → B."""
    ps = _system(3)
    _outside(ps, 0, 10.0)
    _finance(ps, 0, 1, 10.0)
    _finance(ps, 1, 2, 10.0)
    assert _buy(ps, 2, 0, 4.0) == 0.0
    assert _buy(ps, 2, 1, 6.0) == pytest.approx(6.0)
    assert ps.loop_revenue[1, 2, 2] == pytest.approx(6.0)
    assert ps.loop_revenue.sum() == pytest.approx(6.0)


def test_loops_reset_each_quarter():
    ps = _system(2)
    _outside(ps, 0, 5.0)
    _finance(ps, 0, 1, 5.0)
    _buy(ps, 1, 0, 5.0)
    assert ps.loop_revenue[0, 1, 1] == pytest.approx(5.0)
    ps.open_period(1)
    assert not ps.loop_revenue.any() and not ps.round_trip_revenue.any()


def _dense_loops(n, ops):
    """Loop revenue of ``ops`` traced naively: one dense row of (A, B) tags per firm."""
    tags = np.zeros((n, n * n + 1))
    cash = np.zeros(n)
    loops = np.zeros((n, n, n))
    for kind, i, j, share, financing in ops:
        if kind == "in":
            cash[i] += share * 10.0
            tags[i, -1] += share * 10.0
            continue
        amount = share * max(cash[i], 0.0)
        before = cash[i]
        cash[i] -= amount
        if before > 1e-15:
            carried = tags[i] * min(amount / before, 1.0)
            tags[i] -= carried
        else:
            carried = np.zeros(n * n + 1)
            carried[-1] = amount
        if kind == "out":
            continue
        cash[j] += amount
        loops[j, :, i] += carried[j * n : j * n + n]
        if financing:
            tags[j, i * n + j] += amount
        else:
            tags[j] += carried
    return loops, tags


_op = st.tuples(
    st.sampled_from(["in", "out", "pay"]),
    st.integers(0, 2),
    st.integers(0, 2),
    st.sampled_from([0.0, 0.5, 0.999999, 1.0]) | st.floats(0.0, 1.0),
    st.booleans(),
)


@settings(max_examples=120, deadline=None)
@given(ops=st.lists(_op, max_size=50))
def test_loops_match_a_dense_reference_and_sum_to_round_trips(ops):
    n = 3
    ops = [(k, i, j, s, f) for k, i, j, s, f in ops if k != "pay" or i != j]
    ps = _system(n)
    for kind, i, j, share, financing in ops:
        cash = ps.ledgers[i].cash
        if kind == "in":
            _outside(ps, i, share * 10.0)
        elif kind == "out":
            ps.pay_external(
                i, share * max(cash, 0.0), debit=Account.OPEX, party=ExternalParty.SUPPLIERS,
                memo="out", flow=OP,
            )  # fmt: skip
        else:
            ps.pay(
                i, j, share * max(cash, 0.0), payer_debit=Account.COMPUTE_COST,
                payee_credit=Account.REVENUE_CLOUD, memo="pay", payer_flow=OP, payee_flow=OP,
                financing=financing,
            )  # fmt: skip
    loops, tags = _dense_loops(n, ops)
    np.testing.assert_allclose(ps.loop_revenue, loops, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ps.tagged, tags, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ps.loop_revenue.sum(axis=(1, 2)), ps.round_trip_revenue, atol=1e-9)
    assert (ps.loop_revenue >= 0).all()


def test_baseline_records_the_articles_loop(baseline_result):
    loops = baseline_result.loops
    assert list(loops.columns) == list(LOOP_COLUMNS)
    assert (loops.usd > 0).all() and np.isfinite(loops.usd).all()
    # per firm and quarter, the loops add up to the firm's round-trip revenue
    firms = baseline_result.firms.set_index(["quarter", "firm"]).round_trip_revenue
    by_origin = loops.groupby(["quarter", "origin"]).usd.sum()
    np.testing.assert_allclose(firms.loc[by_origin.index], by_origin, rtol=1e-9)
    assert firms.drop(by_origin.index).abs().max() < 1e-12
    article = loops[
        (loops.origin == "NVIDIA") & (loops.via == "OpenAI") & (loops.payer == "Oracle")
    ]
    assert article.usd.sum() > 0.0


def _scaled_dense(n, ops):
    """The tracing as a scale times a dense row per firm (the layout before sparse rows).

    The same operations on the same numbers as :class:`PaymentSystem`, which keeps only a
    row's non-zero tags: the two must agree bit for bit.
    """
    rows, scale = np.zeros((n, n * n + 1)), [1.0] * n
    cash = [0.0] * n
    round_trip, loops = np.zeros(n), np.zeros((n, n, n))

    def deposit_scale(i):
        if scale[i] < 1e-6:
            rows[i] *= scale[i]
            scale[i] = 1.0
        return scale[i]

    for kind, i, j, share, financing in ops:
        if kind == "in":
            cash[i] += share * 10.0
            s = deposit_scale(i)  # before reading the row: it may renormalise
            rows[i, -1] += share * 10.0 / s
            continue
        amount = share * max(cash[i], 0.0)
        if amount <= 0.0:
            continue
        cash[i] -= amount
        before, old = cash[i] + amount, scale[i]
        frac = min(amount / before, 1.0) if before > 1e-15 else -1.0
        if frac >= 0.0:
            scale[i] *= 1.0 - frac
        if kind == "out":
            continue
        cash[j] += amount
        if frac < 0.0:
            carried = np.zeros(n * n + 1)
            carried[-1] = amount
        else:
            carried = rows[i] * (old * frac)
        home = carried[j * n : j * n + n]
        if home.sum() > 0.0:
            round_trip[j] += float(home.sum())
            loops[j, :, i] += home
        s = deposit_scale(j)
        if financing:
            rows[j, i * n + j] += amount / s
        elif s == 1.0:
            rows[j] += carried
        else:
            rows[j] += carried / s
    return rows * np.array(scale)[:, None], round_trip, loops


@pytest.mark.parametrize("n", [3, 9])  # numpy adds 9 tags pairwise, 3 one after the other
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_sparse_rows_match_scaled_dense_rows_bit_for_bit(n, data):
    op = st.tuples(
        st.sampled_from(["in", "out", "pay"]),
        st.integers(0, n - 1),
        st.integers(0, n - 1),
        st.sampled_from([0.3, 0.999999, 1.0]) | st.floats(0.0, 1.0),
        st.booleans(),
    )
    ops = [o for o in data.draw(st.lists(op, max_size=60)) if o[0] != "pay" or o[1] != o[2]]
    ps = _system(n)
    for kind, i, j, share, financing in ops:
        amount = share * max(ps.ledgers[i].cash, 0.0)
        if kind == "in":
            _outside(ps, i, share * 10.0)
        elif kind == "out":
            ps.pay_external(
                i, amount, debit=Account.OPEX, party=ExternalParty.SUPPLIERS, memo="out", flow=OP
            )
        else:
            ps.pay(
                i, j, amount, payer_debit=Account.COMPUTE_COST,
                payee_credit=Account.REVENUE_CLOUD, memo="pay", payer_flow=OP, payee_flow=OP,
                financing=financing,
            )  # fmt: skip
    tagged, round_trip, loops = _scaled_dense(n, ops)
    assert np.array_equal(ps.tagged, tagged)
    assert np.array_equal(ps.round_trip_revenue, round_trip)
    assert np.array_equal(ps.loop_revenue, loops)


def test_round_trip_adds_many_loops_as_numpy_adds_them():
    """Firm 0 finances firms 1-8, which all pay firm 9; firm 9 pays firm 0: its round trip
    has eight parts, which numpy adds pairwise (not one after the other)."""
    n = 10
    ps = _system(n)
    _outside(ps, 0, 100.0)
    rng = np.random.default_rng(10)  # amounts whose sum depends on the order of adding
    for b in range(1, 9):
        _finance(ps, 0, b, float(rng.uniform(0.1, 9.0)))
        _buy(ps, b, 9, ps.ledgers[b].cash * float(rng.uniform(0.2, 1.0)))
    carried = ps.tagged[9] * (7.0 / ps.ledgers[9].cash)
    one_by_one = 0.0
    for part in carried[0:n].tolist():
        one_by_one += part
    assert one_by_one != float(carried[0:n].sum())
    rt = _buy(ps, 9, 0, 7.0)
    assert rt == float(carried[0:n].sum())
    np.testing.assert_array_equal(ps.loop_revenue[0, :, 9], carried[0:n])
