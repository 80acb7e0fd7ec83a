"""Surplus cash: who pays it out, how much is kept, and where it goes.

A firm keeps a reserve and returns part of the cash above it to its shareholders; a
lab, listed or not, only while its revenue covers its costs, and its reserve counts
its compute. A payout reaches the firms of the network that hold a stake, pro rata;
the rest leaves the network. Over seeds of ``productive_future``, where the lab earns
more than it spends for years, the rule keeps its cash from piling up.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from agents.lab import AILab
from runs.scenario import apply_overrides, load_scenario
from world import operations
from world.debt import distribute
from world.ledger import Account
from world.model import AIEconomy

SEEDS = range(20)


def _lab(m: AIEconomy) -> AILab:
    (lab,) = (f for f in m.firms if isinstance(f, AILab))
    return lab


def test_a_payout_reaches_the_firms_that_hold_a_stake(baseline):
    m = AIEconomy(apply_overrides(baseline, {"investors.n_investors": 200}), rng=0)
    for _ in range(4):
        m.step()
    lab = _lab(m)
    holders = np.flatnonzero(m.ownership[:, lab.index] > 0)
    assert holders.size  # Microsoft holds about 27 % of OpenAI from the opening
    cash = [f.cash for f in m.firms]
    stakes = [f.ledger.balance(Account.STAKES) for f in m.firms]
    paid_for = m.stake_cost[:, lab.index].copy()
    distribute(m, lab, 10.0)
    # what a holder counts as paid for its stake (its loss if the lab defaults) is net
    # of the capital it got back
    np.testing.assert_allclose(
        m.stake_cost[:, lab.index], np.maximum(paid_for - 10.0 * m.ownership[:, lab.index], 0.0)
    )
    assert (m.stake_cost[holders, lab.index] < paid_for[holders]).all()
    for f in m.firms:
        share = m.ownership[f.index, lab.index]
        if f is lab:
            assert f.cash == pytest.approx(cash[f.index] - 10.0)
        else:  # a return of capital: cash in, the stake's book value down as much
            assert f.cash == pytest.approx(cash[f.index] + 10.0 * share)
            assert f.ledger.balance(Account.STAKES) == pytest.approx(stakes[f.index] - 10.0 * share)
        assert f.ledger.trial_balance() == pytest.approx(0.0, abs=1e-9)


def _run(scenario, seed: int, pays_out: bool = True) -> tuple[float, list[tuple]]:
    """(the lab's highest cash in 2030–34, what it decided and did when it paid out).

    Each decision is recorded as the world asks for it: expected burn, funding
    stress, reserve, repayment and payout, and the lab's cash before and after
    ``allocate_capital`` carried them out.
    """
    m = AIEconomy(scenario, rng=seed)
    lab = _lab(m)
    if not pays_out:  # the rule switched off: the lab keeps all it earns
        lab.may_pay_out = lambda: False
    asked = []
    decide = lab.capital_allocation

    def recorded() -> tuple[float, float]:
        repay, payout = decide()
        asked.append((lab.expected_burn(), lab.funding_stress, lab.cash_reserve(), repay, payout))
        return repay, payout

    lab.capital_allocation = recorded
    decisions, cash = [], []
    allocate = operations.allocate_capital

    def allocate_and_record(model: AIEconomy) -> None:
        asked.clear()
        before = lab.cash
        allocate(model)
        if asked and asked[0][4] > 0.0:
            decisions.append((*asked[0], before, lab.cash))

    operations.allocate_capital = allocate_and_record
    try:
        for _ in range(40):
            m.step()
            if m.quarter >= 20:
                cash.append(lab.cash)
    finally:
        operations.allocate_capital = allocate
    return max(cash), decisions


@pytest.mark.slow
def test_a_lab_that_funds_itself_pays_out_and_keeps_its_reserve(root):
    pf = load_scenario(root / "scenarios" / "productive_future.toml")
    scenario = apply_overrides(pf, {"investors.n_investors": 200})
    with_rule = [_run(scenario, s) for s in SEEDS]
    without = [_run(scenario, s, pays_out=False)[0] for s in SEEDS]
    paying = 0
    for _, decisions in with_rule:
        paying += bool(decisions)
        for burn, stress, reserve, repay, payout, before, after in decisions:
            assert burn <= 0.0 and not stress  # only while its revenue covers its costs
            assert before - after == pytest.approx(repay + payout)  # the world pays it
            assert after >= reserve - 1e-6  # and what the lab keeps covers its reserve
    assert paying >= 15  # the lab earns more than it spends in most runs of the story
    peaks = [peak for peak, _ in with_rule]
    # one-sided Mann-Whitney over 20 seeds: the rule keeps the lab's cash lower
    assert mannwhitneyu(peaks, without, alternative="less").pvalue < 0.01
    assert np.median(peaks) < 0.6 * np.median(without)


def test_a_lab_that_burns_cash_keeps_it(baseline):
    m = AIEconomy(apply_overrides(baseline, {"investors.n_investors": 200}), rng=3)
    lab = _lab(m)
    burning = 0
    for _ in range(12):
        m.step()
        if lab.expected_burn() > 0.0:
            burning += 1
            assert not lab.may_pay_out()
            assert lab.capital_allocation()[1] == 0.0
    assert burning >= 8  # the baseline's lab spends more than it earns in its first years


def _journaled_run(baseline, seed: int) -> AIEconomy:
    """16 quarters of the baseline at 200 investors, every journal entry kept."""
    m = AIEconomy(
        apply_overrides(baseline, {"investors.n_investors": 200, "quarters": 16}),
        rng=seed,
        keep_journal=True,
    )
    m.run()
    return m


def _assert_recorded(m: AIEconomy, column: str, booked: np.ndarray) -> None:
    """The records' ``column`` (lean path and firm rows) equals ``booked`` (quarters, firms)."""
    np.testing.assert_allclose(m.records.firm_paths(column), booked, atol=1e-9)
    frame = m.records.firms_frame().pivot(index="quarter", columns="firm", values=column)
    np.testing.assert_allclose(frame[[f.name for f in m.firms]].to_numpy(), booked, atol=1e-9)


def test_the_records_keep_every_payout(baseline):
    m = _journaled_run(baseline, 1)
    booked = np.zeros((16, len(m.firms)))
    for f in m.firms:
        for e in f.ledger.journal:
            if e.memo == "payout" and any(a is Account.RETAINED_EARNINGS for a, _ in e.lines):
                booked[e.quarter, f.index] += sum(
                    x for a, x in e.lines if a is Account.RETAINED_EARNINGS
                )
    assert booked.sum() > 0  # the listed firms pay out in the baseline
    _assert_recorded(m, "payouts", booked)


def test_the_records_keep_the_cash_paid_in_for_new_shares(baseline):
    """``equity_raised`` is the cash credited to paid-in capital: rounds, tranches, rescues.

    Warrants a supplier grants and the lab's pay in stock (paid-in capital against an
    expense, no cash) are not money paid in.
    """
    m = _journaled_run(baseline, 2)
    booked = np.zeros((16, len(m.firms)))
    cash_in = {"equity_placement", "equity_issue", "rescue_round", "equity_tranche"}
    grants = stock = 0
    for f in m.firms:
        for e in f.ledger.journal:
            paid_in = -sum(x for a, x in e.lines if a is Account.PAID_IN_CAPITAL)
            if e.memo in cash_in:
                booked[e.quarter, f.index] += paid_in
            elif paid_in > 0.0:
                assert e.memo in ("warrant_grant", "stock_pay", "opening_balance"), e.memo
                grants += e.memo == "warrant_grant"
                stock += e.memo == "stock_pay"
    lab = [f.index for f in m.firms if f.role == "lab"]
    assert booked[:, lab].sum() > 50.0  # the baseline's lab raises money in its first years
    assert grants > 0  # and AMD's warrants vest: booked, but not counted as money paid in
    assert stock > 0  # nor is the stock the lab pays its staff with
    _assert_recorded(m, "equity_raised", booked)
