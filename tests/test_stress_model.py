"""Distress in the whole model: outcome distribution, books after defaults, contagion order."""

from collections import Counter

import numpy as np
import pytest

from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate
from world.events import EventKind
from world.ledger import Account
from world.model import AIEconomy
from world.stress import Regime

SCENARIOS = [
    "pessimistic",
    "shock_failed_round",
    "shock_rate_hike",
    "shock_power_constraint",
    "shock_price_war",
    "shock_efficiency_jump",
    "shock_supplier_stops_financing",
]


@pytest.fixture(scope="module")
def outcomes(root):
    """Several seeds of the pessimistic and shock scenarios (fewer investors, for speed)."""
    runs = []
    for name in SCENARIOS:
        scenario = apply_overrides(
            load_scenario(root / "scenarios" / f"{name}.toml"), {"investors.n_investors": 1000}
        )
        for seed in range(4):
            runs.append((name, seed, simulate(scenario, seed, keep_model=True)))
    return runs


def test_some_runs_default_and_some_do_not(outcomes, capsys):
    defaults = [r.summary["n_defaults"] for _, _, r in outcomes]
    regimes = Counter(r.summary["regime"] for _, _, r in outcomes)
    with capsys.disabled():
        print(
            f"\n{len(outcomes)} runs: regimes {dict(regimes)}; "
            f"runs with a default {sum(d > 0 for d in defaults)}"
        )
    assert any(d > 0 for d in defaults)
    assert any(d == 0 for d in defaults)
    assert set(regimes) <= {r.value for r in Regime}


def test_books_balance_after_defaults(outcomes):
    checked = 0
    for _, _, r in outcomes:
        m = r.model
        f = r.firms
        gap = (f.total_assets - f.total_liabilities - f.equity).abs()
        assert (gap / f.total_assets.abs().clip(lower=1.0)).max() < 1e-9
        for firm in m.firms:
            bs = firm.ledger.balance_sheet()
            for account in (
                Account.CASH,
                Account.PPE,
                Account.CONSTRUCTION_IN_PROGRESS,
                Account.STAKES,
                Account.WARRANTS,
                Account.LOANS_RECEIVABLE,
            ):
                assert bs.assets[account] >= -1e-6, (firm.name, account)
            for account in (Account.DEBT, Account.VENDOR_DEBT):
                assert bs.liabilities[account] >= -1e-6, (firm.name, account)
        assert (f.deployed_gw >= 0).all() and (f.valuation >= 0).all()
        assert (f[f.defaulted].valuation == 0).all()
        checked += bool(m.default_events)
    assert checked > 0  # at least one run with defaults was checked


def test_defaulted_firms_stop_and_their_contracts_end(outcomes):
    for _, _, r in outcomes:
        m = r.model
        for event in m.default_events:
            for i in event.defaulters:
                assert not any(c.active and i in (c.customer, c.provider) for c in m.deals.cloud)
                assert not any(o.active and i in (o.buyer, o.supplier) for o in m.deals.gpu)


@pytest.fixture(scope="module")
def lab_default(root):
    """A run in which the lab defaults: high costs and a failed-round shock early on."""
    scenario = apply_overrides(
        load_scenario(root / "scenarios" / "shock_failed_round.toml"),
        {"firms.OpenAI.opex": 12.0, "shocks.0.at": "2026Q1", "investors.n_investors": 2000},
    )
    result = simulate(scenario, 0, keep_model=True)
    m = result.model
    lab = m.firm_index["OpenAI"]
    events = [e for e in m.default_events if lab in e.defaulters]
    assert events, "the lab did not default in this run"
    return m, events[0], lab


def test_contagion_hits_the_most_exposed_hardest(lab_default, capsys):
    """Asserted from the run's own exposures: who was most exposed to the lab loses most."""
    m, event, lab = lab_default
    others = [i for i in range(len(m.firms)) if i not in event.defaulters]
    exposure = event.exposures[:, lab]
    leverage = exposure / event.equity  # first-round loss per unit of equity
    h = event.losses
    loss = h * event.equity
    with capsys.disabled():
        print("\nlab default: firm, exposure to the lab, relative loss h, loss (USD bn)")
        for i in others:
            print(f"  {m.firms[i].name:10s} {exposure[i]:8.1f} {h[i]:7.3f} {loss[i]:8.1f}")
    assert np.all((h >= 0) & (h <= 1))
    most = max(others, key=lambda i: leverage[i])
    assert leverage[most] > 0
    assert h[most] == max(h[i] for i in others)
    # every firm exposed to the lab loses at least its direct exposure (capped at equity)
    for i in others:
        assert loss[i] >= min(exposure[i], event.equity[i]) - 1e-9
    # firms exposed to no one lose nothing
    for i in others:
        if event.exposures[i].sum() == 0:
            assert h[i] == 0
    # more exposure, more loss: rank correlation across the lab's counterparties
    exposed = [i for i in others if exposure[i] > 0]
    assert len(exposed) >= 3
    rho = np.corrcoef(
        np.argsort(np.argsort(exposure[exposed])), np.argsort(np.argsort(loss[exposed]))
    )[0, 1]
    assert rho > 0


def test_default_write_downs_are_booked(lab_default):
    m, event, lab = lab_default
    assert event.outside_losses >= 0
    assert np.all(event.creditor_losses >= 0)
    assert m.firms[lab].defaulted and m.firms[lab].valuation == 0
    # stakes in the defaulted lab are marked to zero in the holders' books
    values = np.array([f.valuation for f in m.firms])
    for i in np.flatnonzero(m.ownership[:, lab] > 0):
        holder = m.firms[i]
        if not holder.defaulted:
            marked = float(m.ownership[i] @ values)
            assert holder.ledger.balance(Account.STAKES) == pytest.approx(marked, abs=1e-6)


def test_stakes_in_a_defaulter_are_lost_at_what_was_paid(root):
    """Each holder's ``stake_loss`` is what it put into the lab, booked once, at the default.

    What was put in comes from the holders' journals: the opening stake's book value
    and the tranches paid (every equity deal of the scenario is into the lab).
    """
    scenario = apply_overrides(
        load_scenario(root / "scenarios" / "shock_failed_round.toml"),
        {"firms.OpenAI.opex": 12.0, "shocks.0.at": "2026Q1", "investors.n_investors": 500},
    )
    m = AIEconomy(scenario, rng=0, keep_journal=True)
    lab = m.firm_index["OpenAI"]
    assert {d.investee for d in scenario.deals if d.kind == "equity_investment"} == {"OpenAI"}
    for _ in range(scenario.quarters):
        m.step()
        if m.firms[lab].defaulted:
            break
    assert m.firms[lab].defaulted, "the lab did not default in this run"
    lost = {e.firm: e.amount for e in m.events.events if e.kind is EventKind.STAKE_LOSS}
    put_in = {
        f.index: sum(
            amount
            for entry in f.ledger.journal
            if entry.memo in ("opening_stake", "equity_tranche")
            for account, amount in entry.lines
            if account is Account.STAKES
        )
        for f in m.firms
    }
    holders = {i for i, v in put_in.items() if v > 0}
    assert len(holders) >= 2  # the opening stake and a supplier's tranches
    assert set(lost) == holders
    for i in holders:
        assert lost[i] == pytest.approx(put_in[i])
    assert np.all(m.stake_cost[:, lab] == 0)  # nothing left to lose twice
