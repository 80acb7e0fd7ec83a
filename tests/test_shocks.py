"""Each shipped shock does what its file says: the mechanisms it names move, from its
quarter on, and nothing differs from the baseline before it (same seed); over 20 seeds,
what it does not reach stays equal in its quarter (the mechanism pattern of
VALIDATION.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runs.scenario import apply_overrides, load_scenario
from world.model import AIEconomy

SEED = 7
INVESTORS = {"investors.n_investors": 500}


def _scenario(root, name):
    return apply_overrides(load_scenario(root / "scenarios" / f"{name}.toml"), INVESTORS)


def _run(scenario, quarters=None, probe=None):
    """Step a model, calling ``probe(model)`` after every quarter; return (model, rows)."""
    model = AIEconomy(scenario, rng=SEED)
    rows = []
    for _ in range(scenario.quarters if quarters is None else quarters):
        model.step()
        if probe is not None:
            rows.append(probe(model))
    return model, rows


def _shock_quarter(scenario, k=0):
    return scenario.relative(scenario.shocks[k].at)


SHOCKS = [
    "shock_efficiency_jump",
    "shock_failed_round",
    "shock_power_constraint",
    "shock_price_war",
    "shock_rate_hike",
    "shock_supplier_stops_financing",
    "engine_stall",
]


@pytest.fixture(scope="module")
def baseline_firms(root):
    model, _ = _run(_scenario(root, "baseline"), quarters=12)
    return model.records.firms_frame()


@pytest.mark.parametrize("name", SHOCKS)
def test_nothing_differs_before_the_shock(root, baseline_firms, name):
    scenario = _scenario(root, name)
    q0 = _shock_quarter(scenario)
    model, _ = _run(scenario, quarters=min(q0 + 2, 12))
    firms = model.records.firms_frame()
    before = firms[firms.quarter < q0].reset_index(drop=True)
    base = baseline_firms[baseline_firms.quarter < q0].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, base)
    after = firms[firms.quarter == q0 + 1].reset_index(drop=True)
    base_after = baseline_firms[baseline_firms.quarter == q0 + 1].reset_index(drop=True)
    assert not after.equals(base_after), "the shock changed nothing"


def test_supplier_stops_financing_stops_loans_investments_and_tranches(root):
    scenario = _scenario(root, "shock_supplier_stops_financing")
    q0 = _shock_quarter(scenario)

    def paid(model):
        chips = {f.index for f in model.firms if f.role.value == "chip"}
        deals = model.deals.equity + [c for c in model.deals.closed if hasattr(c, "per_gw")]
        return sum(d.paid for d in deals if d.investor in chips)

    model, tranches = _run(scenario, probe=paid)
    assert tranches[-1] == pytest.approx(tranches[q0 - 1]), "tranches paid after the shock"
    signed = model.deals.signed
    vendor = [d for d in signed if d.kind.value == "vendor_loan" and d.quarter >= q0]
    assert vendor == []
    events = model.events.of_kind(type(model.events.events[0].kind).STRATEGIC_INVESTMENT)
    assert all(e.quarter < q0 for e in events)
    # and in the baseline the same supplier does pay tranches after that quarter
    _, base = _run(_scenario(root, "baseline"), probe=paid)
    assert base[-1] > base[q0 - 1] + 1.0


def test_failed_round_raises_nothing_after_the_shock(root):
    scenario = _scenario(root, "shock_failed_round")
    q0 = _shock_quarter(scenario)
    model, _ = _run(scenario)
    system = model.records.system_frame()
    assert (system.funding_raised[system.quarter >= q0] == 0.0).all()
    kinds = {"round_full", "round_undersubscribed", "rescue_round"}
    late = [e for e in model.events.events if e.kind.value in kinds and e.quarter >= q0]
    assert late == []
    assert system.sentiment[system.quarter == q0].iloc[0] < system.sentiment[q0 - 1]


def test_rate_hike_raises_rates_on_new_debt(root):
    scenario = _scenario(root, "shock_rate_hike")
    q0 = _shock_quarter(scenario)
    model, rates = _run(scenario, probe=lambda m: m.lenders.risk_free)
    assert rates[q0 - 1] == pytest.approx(0.042) and rates[q0] == pytest.approx(0.08)
    new = [ln for ln in model.deals.loans if ln.signed >= q0 and ln.lender == -1]
    assert new and min(ln.rate for ln in new) >= 0.08


def test_power_constraint_caps_new_capacity(root):
    scenario = _scenario(root, "shock_power_constraint")
    q0 = _shock_quarter(scenario)

    def energised(model):  # the quarter just stepped is model.quarter - 1
        q = model.quarter - 1
        return sum(v.gw for f in model.firms for v in f.fleet.vintages if v.deployed_q == q)

    _, rows = _run(scenario, probe=energised)
    assert max(rows[q0:]) <= 0.8 + 1e-9
    _, base = _run(_scenario(root, "baseline"), probe=energised)
    assert max(base[q0:]) > 0.8


def test_price_war_cuts_token_prices_and_arpu(root):
    probe = lambda m: (m.demand.token_price, m.demand.arpu)  # noqa: E731
    scenario = _scenario(root, "shock_price_war")
    q0 = _shock_quarter(scenario)
    _, war = _run(scenario, quarters=q0 + 4, probe=probe)
    _, base = _run(_scenario(root, "baseline"), quarters=q0 + 4, probe=probe)
    assert war[q0 - 1] == base[q0 - 1]
    assert war[-1][0] < 0.3 * base[-1][0]  # the price per capability falls much faster
    assert war[-1][1] < war[q0 - 1][1] < base[-1][1]  # ARPU falls


def test_efficiency_jump_cuts_compute_need_once(root):
    probe = lambda m: m.demand.compute_need_gw  # noqa: E731
    scenario = _scenario(root, "shock_efficiency_jump")
    q0 = _shock_quarter(scenario)
    _, jump = _run(scenario, quarters=q0 + 4, probe=probe)
    _, base = _run(_scenario(root, "baseline"), quarters=q0 + 4, probe=probe)
    ratio = np.array(jump) / np.array(base)
    assert ratio[q0 - 1] == pytest.approx(1.0)
    # chat compute per user falls to 0.4 / 0.92 of the baseline's in one quarter; API
    # compute (about a fifth of the need) is not touched by the shock
    assert ratio[q0] < 0.6
    # afterwards efficiency improves at its usual pace again: the gap stays, it does not grow
    assert ratio[q0 + 3] == pytest.approx(ratio[q0 + 1], rel=0.15)


def test_engine_stall_stops_users_and_conversion(root):
    probe = lambda m: (m.demand.users, m.demand.paid_share)  # noqa: E731
    scenario = _scenario(root, "engine_stall")
    q0 = _shock_quarter(scenario)
    _, rows = _run(scenario, quarters=q0 + 6, probe=probe)
    users = np.array([r[0] for r in rows])
    paid = np.array([r[1] for r in rows])
    assert users[q0 - 1] > users[q0 - 2]  # growing before
    assert np.all(np.abs(np.diff(users[q0:])) < 1e-3 * users[q0])
    assert np.all(np.diff(paid[q0:]) <= 1e-12)


# -- the mechanism pattern over seeds (VALIDATION.md): what a shock drives moves in its
# quarter, in the stated direction, in every seed; what it does not reach that quarter
# stays equal; and nothing differs before it
MECHANISM_SEEDS = range(20)


def _state(model):
    q = model.quarter - 1  # the quarter just stepped
    signed = [d for d in model.deals.signed if d.quarter == q and d.kind.value == "vendor_loan"]
    return {
        "users": model.demand.users,
        "paid_share": model.demand.paid_share,
        "risk_free": model.lenders.risk_free,
        "token_price": model.demand.token_price,
        "compute_need": model.demand.compute_need_gw,
        "sentiment": model.sentiment,
        "funding_raised": model.round_raised,
        "energised_gw": sum(
            v.gw for f in model.firms for v in f.fleet.vintages if v.deployed_q == q
        ),
        "vendor_loans_signed": len(signed),
    }


_DEMAND = ("users", "paid_share", "token_price", "compute_need")
# shock: (what moves in the shock quarter and which way, what stays equal that quarter)
MECHANISMS = {
    "shock_efficiency_jump": (
        {"compute_need": -1},
        ("users", "paid_share", "risk_free", "token_price"),
    ),
    "shock_failed_round": ({"sentiment": -1}, (*_DEMAND, "risk_free")),
    "shock_price_war": ({"token_price": -1}, ("users", "paid_share", "risk_free")),
    "shock_rate_hike": ({"risk_free": +1}, _DEMAND),
    "engine_stall": ({"users": -1, "paid_share": -1}, ("risk_free", "token_price")),
    "shock_power_constraint": ({}, (*_DEMAND, "risk_free")),
    "shock_supplier_stops_financing": ({}, (*_DEMAND, "risk_free")),
}


@pytest.mark.parametrize("name", list(MECHANISMS))
def test_each_shock_moves_what_it_drives_and_nothing_else_in_its_quarter_over_20_seeds(root, name):
    small = {"investors.n_investors": 200}
    scenario = apply_overrides(load_scenario(root / "scenarios" / f"{name}.toml"), small)
    base = apply_overrides(load_scenario(root / "scenarios" / "baseline.toml"), small)
    q0 = _shock_quarter(scenario)
    moves, stays = MECHANISMS[name]
    after = 4  # quarters after the shock's for the shocks whose effect is a cap or a ban
    for seed in MECHANISM_SEEDS:
        rows = _states(scenario, seed, q0 + after)
        base_rows = _states(base, seed, q0 + after)
        assert rows[:q0] == base_rows[:q0], f"seed {seed}: differs before the shock"
        shocked, reference = rows[q0], base_rows[q0]
        for var, sign in moves.items():
            assert np.sign(shocked[var] - reference[var]) == sign, (seed, var)
        for var in stays:
            assert shocked[var] == reference[var], (seed, var)
        if name == "shock_failed_round":
            assert all(r["funding_raised"] == 0.0 for r in rows[q0:]), seed
        if name == "shock_power_constraint":  # binds from its quarter on; the baseline's does not
            cap = scenario.shocks[0].set["buildout.power_cap_gw"]
            assert max(r["energised_gw"] for r in rows[q0:]) <= cap + 1e-9, seed
            assert max(r["energised_gw"] for r in base_rows[q0:]) > cap, seed
        if name == "shock_supplier_stops_financing":  # the baseline's suppliers keep lending
            assert sum(r["vendor_loans_signed"] for r in rows[q0:]) == 0, seed
            assert sum(r["vendor_loans_signed"] for r in base_rows[q0:]) > 0, seed


def _states(scenario, seed, quarters):
    model = AIEconomy(scenario, rng=seed)
    rows = []
    for _ in range(quarters):
        model.step()
        rows.append(_state(model))
    return rows


# -- what a shock may set: only what the model reads after the run starts ---------------
def _system_after(scenario, shock_set, quarters=8):
    """The system table after ``quarters``, with ``shock_set`` scheduled at 2026Q1.

    Scheduled on the model directly: the scenario's validation would refuse a
    parameter read only at the start, and this is what it would have done.
    """
    from world.params import ShockSpec

    model = AIEconomy(scenario, rng=SEED)
    if shock_set:
        model.schedule_shock(ShockSpec(at="2026Q1", set=shock_set))
    for _ in range(quarters):
        model.step()
    return model.records.system_frame().drop(columns="quarter", errors="ignore")


@pytest.fixture(scope="module")
def small_baseline(root):
    return _scenario(root, "baseline")


@pytest.fixture(scope="module")
def unshocked_system(small_baseline):
    return _system_after(small_baseline, {})


# the parameters the audit found a shock left unchanged, and one of each kind of READ_AT_START
READ_ONCE = {
    "investors.herding_strength": 1.6,
    "investors.switch_rate": 0.9,
    "investors.beta": 30.0,
    "investors.n_investors": 600,
    "investors.round_commit_fraction": 0.2,
    "history_until": "2025Q2",
    "demand.arpu_0": 50.0,
    "market.insider_fraction": 0.3,
    "market.max_premium": 2.0,
}


@pytest.mark.parametrize(("path", "value"), list(READ_ONCE.items()))
def test_a_parameter_read_once_is_refused_as_a_shock_and_would_change_nothing(
    small_baseline, unshocked_system, path, value
):
    from world.params import shock_problem, with_overrides

    assert shock_problem(path) is not None
    shocked = small_baseline.model_copy(update={"shocks": ()})
    with pytest.raises(ValueError, match=rf"shocks\.0\.set\.{path}: .*a shock cannot change it"):
        with_overrides(shocked, {"shocks": [{"at": "2026Q1", "set": {path: value}}]})
    pd.testing.assert_frame_equal(_system_after(small_baseline, {path: value}), unshocked_system)


@pytest.mark.parametrize(
    ("path", "value"),
    [("investors.discount_rate_per_q", 0.04), ("investors.terminal_growth_per_q", 0.0)],
)
def test_the_investor_parameters_a_shock_may_set_change_the_run(
    small_baseline, unshocked_system, path, value
):
    from world.params import shock_problem

    assert shock_problem(path) is None
    system = _system_after(small_baseline, {path: value})
    assert not system.equals(unshocked_system)
    assert system.iloc[:4].equals(unshocked_system.iloc[:4])  # 2025: before the shock
