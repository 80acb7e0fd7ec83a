"""Shared fixtures: the baseline scenario and one cached baseline run."""

from __future__ import annotations

import os
from pathlib import Path

# The tests run the pure-Python sources, whose module internals they can patch (a mypyc
# build would not see the patches); tests/test_compiled.py checks that the compiled build
# gives the same numbers. AIPM_PURE=0 runs the suite on the compiled build instead.
os.environ.setdefault("AIPM_PURE", "1")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from runs.scenario import load_scenario  # noqa: E402
from runs.simulate import simulate  # noqa: E402

# Property tests draw the same examples on every run (a seed per test), so a green
# `make test` stays green on a fresh clone; `HYPOTHESIS_PROFILE=explore make test`
# draws new ones each run to hunt for counterexamples (keep any found as @example).
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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


@pytest.fixture
def command_error(capsys):
    """Run a ``python -m runs.<module>`` ``main`` on bad ``args``: its one stderr line.

    Asserts exit code 2, nothing on stdout and exactly one line on stderr.
    """

    def run(main, args) -> str:
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1, captured.err
        return lines[0]

    return run
