"""Shared fixtures: the baseline scenario and one cached baseline run."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs.scenario import load_scenario
from runs.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def baseline():
    return load_scenario(ROOT / "scenarios" / "baseline.toml")


@pytest.fixture(scope="session")
def baseline_run(baseline):
    """One full baseline run with the model kept (journal on) for inspection."""
    from world.model import AIEconomy

    model = AIEconomy(baseline, rng=7, keep_journal=True)
    model.run()
    return model


@pytest.fixture(scope="session")
def baseline_result(baseline):
    return simulate(baseline, 7)
