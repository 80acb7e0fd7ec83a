import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.ledger import (
    REVENUE_ACCOUNTS,
    Account,
    AccountType,
    CashFlowKind,
    Ledger,
    UnbalancedEntryError,
)

OP, INV, FIN = CashFlowKind


def test_balanced_entry_updates_natural_balances():
    ledger = Ledger("A")
    ledger.post("issue", [(Account.CASH, 10.0), (Account.PAID_IN_CAPITAL, -10.0)], FIN)
    ledger.post("sale", [(Account.CASH, 5.0), (Account.REVENUE_CLOUD, -5.0)], OP)
    ledger.post("power", [(Account.COST_OF_REVENUE, 2.0), (Account.CASH, -2.0)], OP)
    assert ledger.cash == pytest.approx(13.0)
    assert ledger.balance(Account.PAID_IN_CAPITAL) == pytest.approx(10.0)
    assert ledger.balance(Account.REVENUE_CLOUD) == pytest.approx(5.0)
    inc = ledger.income_statement()
    assert inc.revenue == pytest.approx(5.0)
    assert inc.net_income == pytest.approx(3.0)
    bs = ledger.balance_sheet()
    assert bs.total_assets == pytest.approx(bs.total_liabilities + bs.total_equity)
    cf = ledger.cash_flow_statement()
    assert (cf.operating, cf.investing, cf.financing) == pytest.approx((3.0, 0.0, 10.0))


def test_unbalanced_entry_raises_and_changes_nothing():
    ledger = Ledger("A")
    with pytest.raises(UnbalancedEntryError, match="unbalanced"):
        ledger.post("bad", [(Account.CASH, 10.0), (Account.DEBT, -9.0)], FIN)
    assert ledger.cash == 0.0
    assert ledger.journal == []


def test_non_finite_and_untagged_cash_raise():
    ledger = Ledger("A")
    with pytest.raises(UnbalancedEntryError, match="non-finite"):
        ledger.post("nan", [(Account.CASH, math.nan), (Account.DEBT, -1.0)], FIN)
    with pytest.raises(UnbalancedEntryError, match="cash-flow section"):
        ledger.post("untagged", [(Account.CASH, 1.0), (Account.DEBT, -1.0)])


def test_close_period_moves_result_to_retained_earnings():
    ledger = Ledger("A")
    ledger.post("sale", [(Account.CASH, 7.0), (Account.REVENUE_GPU, -7.0)], OP)
    ledger.post("opex", [(Account.OPEX, 2.0), (Account.CASH, -2.0)], OP)
    statement = ledger.close_period()
    assert statement.net_income == pytest.approx(5.0)
    assert ledger.balance(Account.RETAINED_EARNINGS) == pytest.approx(5.0)
    assert ledger.income_statement().net_income == 0.0
    assert ledger.trial_balance() == pytest.approx(0.0, abs=1e-12)


def test_account_types_cover_chart():
    assert Account.CASH.type is AccountType.ASSET
    assert Account.DEBT.type is AccountType.LIABILITY
    assert Account.RETAINED_EARNINGS.type is AccountType.EQUITY
    assert Account.REVENUE_API.type is AccountType.INCOME
    assert Account.IMPAIRMENT.type is AccountType.EXPENSE
    assert {a.type for a in Account} == set(AccountType)


accounts = st.sampled_from(list(Account))
amounts = st.floats(min_value=0.001, max_value=1e4, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(accounts, accounts, amounts, st.sampled_from(list(CashFlowKind))),
        min_size=1,
        max_size=40,
    )
)
def test_random_balanced_entries_keep_the_identity(entries):
    ledger = Ledger("A")
    cash_by_flow = [0.0, 0.0, 0.0]
    for debit, credit, amount, flow in entries:
        if debit == credit:
            continue
        ledger.post("x", [(debit, amount), (credit, -amount)], flow)
        cash = (amount if debit is Account.CASH else 0.0) - (
            amount if credit is Account.CASH else 0.0
        )
        cash_by_flow[flow] += cash
    assert ledger.trial_balance() == pytest.approx(0.0, abs=1e-6)
    bs = ledger.balance_sheet()
    assert bs.total_assets == pytest.approx(bs.total_liabilities + bs.total_equity, abs=1e-6)
    cf = ledger.cash_flow_statement()
    assert cf.net_change == pytest.approx(ledger.cash, abs=1e-6)
    assert [cf.operating, cf.investing, cf.financing] == pytest.approx(cash_by_flow, abs=1e-6)
    statement = ledger.income_statement()
    assert ledger.net_income() == statement.net_income  # the shortcut is the same sum
    assert statement.revenue == math.fsum(statement.income[a] for a in REVENUE_ACCOUNTS)
    assert bs.total_equity == math.fsum(bs.equity.values())
    ledger.close_period()
    assert ledger.net_income() == 0.0
    bs = ledger.balance_sheet()
    assert bs.total_assets == pytest.approx(bs.total_liabilities + bs.total_equity, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(accounts, accounts, amounts, st.sampled_from(list(CashFlowKind)))
def test_post_transfer_equals_post(debit, credit, amount, flow):
    if debit == credit:
        return
    a, b = Ledger("a"), Ledger("b")
    a.post("x", [(debit, amount), (credit, -amount)], flow)
    b.post_transfer("x", debit, credit, amount, flow)
    assert [a.balance(x) for x in Account] == [b.balance(x) for x in Account]
    assert a.cash_flow_statement() == b.cash_flow_statement()
    assert a.journal == b.journal


def test_post_transfer_checks():
    ledger = Ledger("A")
    with pytest.raises(UnbalancedEntryError, match="non-finite"):
        ledger.post_transfer("x", Account.CASH, Account.DEBT, math.inf, FIN)
    with pytest.raises(UnbalancedEntryError, match="cash-flow section"):
        ledger.post_transfer("x", Account.CASH, Account.DEBT, 1.0)


_finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


def _same_float(x: float, y: float) -> bool:
    """Equal including the sign of zero."""
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_finite, st.sampled_from([0.0, -0.0])), max_size=12))
def test_negated_fsum_is_fsum_of_the_negations(values):
    from world.ledger import _negated_fsum

    assert _same_float(_negated_fsum(values), math.fsum([-x for x in values]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(_finite, st.sampled_from([0.0, -0.0])), st.one_of(_finite, st.just(-0.0)))
def test_fsum2_is_fsum_of_two(x, y):
    from world.ledger import _fsum2

    assert _same_float(_fsum2(x, y), math.fsum([x, y]))


@settings(max_examples=100, deadline=None)
@given(st.lists(_finite, min_size=29, max_size=29))
def test_statements_are_the_account_by_account_sums(balances):
    ledger = Ledger("A", keep_journal=False)
    ledger._bal[:] = balances
    inc = ledger.income_statement()
    assert inc.income == {a: -balances[a] for a in Account if a.type is AccountType.INCOME}
    assert inc.expenses == {a: balances[a] for a in Account if a.type is AccountType.EXPENSE}
    assert _same_float(inc.revenue, math.fsum([inc.income[a] for a in REVENUE_ACCOUNTS]))
    net = math.fsum(inc.income.values()) - math.fsum(inc.expenses.values())
    assert _same_float(inc.net_income, net)
    assert _same_float(ledger.net_income(), net)
    bs = ledger.balance_sheet()
    assert _same_float(bs.total_assets, math.fsum(bs.assets.values()))
    assert _same_float(bs.total_liabilities, math.fsum(bs.liabilities.values()))
    assert _same_float(bs.total_equity, math.fsum(bs.equity.values()))
    closing = -math.fsum(balances[Account.REVENUE_LEGACY :])
    assert _same_float(bs.equity[Account.RETAINED_EARNINGS], -balances[14] + closing)
