"""The ledger's cash fast paths post exactly what :meth:`Ledger.post_transfer` posts."""

from __future__ import annotations

import math
import random

import pytest

from world.ledger import Account, CashFlowKind, Ledger, UnbalancedEntryError

_NON_CASH = [a for a in Account if a is not Account.CASH]
_AMOUNTS = [0.0, -0.0, 1e-300, 0.1, 3.7, 1e12, -2.5]


def _state(ledger: Ledger) -> tuple:
    return (
        [ledger.balance(a) for a in Account],
        tuple(ledger.cash_flow_statement()),
        [(e.memo, e.lines, e.cash_flow) for e in ledger.journal],
    )


@pytest.mark.parametrize("keep_journal", [False, True])
def test_pay_and_receive_cash_match_post_transfer(keep_journal: bool) -> None:
    rng = random.Random(7)
    fast = Ledger("fast", keep_journal=keep_journal)
    slow = Ledger("slow", keep_journal=keep_journal)
    for _ in range(2000):
        account = rng.choice(_NON_CASH)
        flow = rng.choice(list(CashFlowKind))
        amount = rng.choice(_AMOUNTS) if rng.random() < 0.2 else rng.uniform(0.0, 50.0)
        if rng.random() < 0.5:
            after = fast.pay_cash("out", account, amount, flow)
            slow.post_transfer("out", account, Account.CASH, amount, flow)
            assert math.copysign(1.0, after) == math.copysign(1.0, slow.cash)
            assert after == slow.cash
        else:
            fast.receive_cash("in", account, amount, flow)
            slow.post_transfer("in", Account.CASH, account, amount, flow)
        assert _state(fast) == _state(slow)


def test_fast_paths_raise_as_post_transfer() -> None:
    ledger = Ledger("x", keep_journal=False)
    with pytest.raises(UnbalancedEntryError, match="non-finite"):
        ledger.pay_cash("bad", Account.OPEX, math.nan, CashFlowKind.OPERATING)
    with pytest.raises(UnbalancedEntryError, match="non-finite"):
        ledger.receive_cash("bad", Account.REVENUE_API, math.inf, CashFlowKind.OPERATING)
    with pytest.raises(UnbalancedEntryError, match="cash-flow section"):
        ledger.pay_cash("bad", Account.OPEX, 1.0, None)  # type: ignore[arg-type]
    with pytest.raises(UnbalancedEntryError, match="cash-flow section"):
        ledger.receive_cash("bad", Account.REVENUE_API, 1.0, None)  # type: ignore[arg-type]
    assert ledger.trial_balance() == 0.0
