"""The firms' fast paths give what the straightforward computations give, to the bit.

Each fast path (a memo, a narrowed scan, an early return) is checked on every ask
of whole runs — the baseline and a shock that moves rates, prices and parameters —
against the computation it replaces.
"""

from __future__ import annotations

import pytest

from agents.firm import Firm
from agents.lab import AILab
from runs.scenario import apply_overrides, load_scenario
from world.contracts import ACTIVE
from world.model import AIEconomy


def _choose_maturity(firm: Firm) -> int:
    """:meth:`Firm.choose_maturity` summing every active loan's maturity."""
    m = firm.model
    q = m.quarter
    due: dict[int, float] = {}
    for ln in m.deals.of("loans", "borrower", firm.index):
        if ln.status is ACTIVE:
            due[ln.maturity] = due.get(ln.maturity, 0.0) + ln.principal
    best, best_load = 0, float("inf")
    for tenor in m.params.credit.debt_tenors:
        t = q + tenor
        load = due.get(t - 1, 0.0) + due.get(t, 0.0) + due.get(t + 1, 0.0)
        if load <= best_load:
            best, best_load = tenor, load
    return best


def _committed_capex(firm: Firm, quarters: int) -> float:
    """:meth:`Firm.committed_capex` asking each order for its cash due."""
    m = firm.model
    build = m.construction_per_gw(firm)
    total = 0.0
    for o in m.deals.of("gpu", "buyer", firm.index):
        if o.status is ACTIVE:
            total += o.cash_due(m.quarter, quarters, build)
    return total


@pytest.fixture(params=["baseline.toml", "shock_rate_hike.toml"])
def scenario(request, root):
    return apply_overrides(
        load_scenario(root / "scenarios" / request.param), {"investors.enabled": False}
    )


def test_fast_paths_match_the_straightforward_computations(scenario, monkeypatch):
    asks = {"maturity": 0, "capex": 0, "costs": 0, "costs_kept": 0}
    choose, committed, costs = Firm.choose_maturity, Firm.committed_capex, AILab.cash_costs

    def checked_choose(self):
        asks["maturity"] += 1
        got = choose(self)
        assert got == _choose_maturity(self)
        return got

    def checked_committed(self, quarters):
        asks["capex"] += 1
        got = committed(self, quarters)
        assert got == _committed_capex(self, quarters)  # == on floats: the same bits
        return got

    def checked_costs(self):
        asks["costs"] += 1
        kept = self._costs
        got = costs(self)
        asks["costs_kept"] += self._costs is kept  # answered from the memo
        assert got == self._cash_costs()
        return got

    monkeypatch.setattr(Firm, "choose_maturity", checked_choose)
    monkeypatch.setattr(Firm, "committed_capex", checked_committed)
    monkeypatch.setattr(AILab, "cash_costs", checked_costs)
    for seed in (0, 1):
        AIEconomy(scenario, rng=seed).run()
    assert asks["maturity"] > 10 and asks["capex"] > 100
    # the memo answers most asks, and is recomputed too (the check covers both)
    assert 0 < asks["costs_kept"] < asks["costs"]


def test_lab_cash_costs_follow_what_they_read(baseline):
    model = AIEconomy(apply_overrides(baseline, {"investors.enabled": False}), rng=2)
    model.run(6)
    lab = next(f for f in model.firms if isinstance(f, AILab))
    before = lab.cash_costs()
    lab.opex_level *= 1.5
    assert lab.cash_costs() == lab._cash_costs() > before
    raised = lab.cash_costs()
    lab.compute_bill += 100.0
    assert lab.cash_costs() == lab._cash_costs() > raised
    model.deals.touch()
    assert lab.cash_costs() == lab._cash_costs()
