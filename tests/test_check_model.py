"""``aipm check-model``: the quick validation suite runs in CI and reports every check.

The suite reports honestly on the model as it is; this test requires that it runs,
writes its table and figures, exits 1 exactly when a check fails, and that every
check of the quick suite passes on the current model (docs/explanation/validation.md
has the full suite, with the Sobol sweep).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))

#: Groups the quick suite reports (it has no Sobol sweep: that is ``--full``).
QUICK_GROUPS = (
    "anchors",
    "out_of_sample",
    "market",
    "books",
    "regime",
    "direction",
    "rate",
    "size",
)


def invoke(*args, timeout=1500):
    return subprocess.run(
        [sys.executable, "-m", "runs", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("check-model")
    return invoke("check-model", "--out", out, "--no-progress"), out


@pytest.mark.slow
def test_quick_suite_runs_and_reports_every_check(quick):
    r, out = quick
    assert r.returncode in (0, 1), r.stderr
    checks = pd.read_parquet(out / "checks.parquet")
    runs = pd.read_parquet(out / "runs.parquet")
    assert (r.returncode == 1) == (not checks["passed"].all())
    assert f"{int(checks['passed'].sum())} of {len(checks)} checks passed" in r.stdout
    assert checks["id"].is_unique and len(checks) >= 100
    for group in ("anchors", "out_of_sample", "market", "books", "regime", "direction", "size"):
        assert (checks["group"] == group).any(), group
    # the baseline's values on the dates of the October-2025 market values, every seed
    values = pd.read_parquet(out / "out_of_sample.parquet")
    assert values.groupby("name")["seed"].nunique().eq(100).all() and values["model"].gt(0).all()
    assert (checks["group"] == "out_of_sample").sum() == values["name"].nunique() == 6
    # every shipped scenario, at least 20 seeds each, every run complete
    assert sorted(runs["scenario"].unique()) == SCENARIOS
    assert runs.groupby("scenario").size().min() >= 20 and (runs["status"] == "ok").all()
    assert (runs["scenario"] == "baseline").sum() == 100  # the market facts' power
    assert runs.groupby("scenario")["seed"].nunique().min() >= 20
    # the printed table names every failing check with its verdict
    for cid in checks.loc[~checks["passed"], "id"]:
        assert cid in r.stdout
    assert ("FAIL" in r.stdout) == (r.returncode == 1)
    for name in ("claims", "sizes", "regimes", "regime_map", "regime_paths"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    assert (out / "checks.md").read_text().count("\n") == len(checks) + 2


@pytest.mark.slow
def test_every_quick_check_passes(quick):
    """The model meets every check of the quick suite (30 seeds of every scenario, 100
    of the baseline: volatility clustering, tested on the baseline alone, is a small
    effect that 50 runs decide at p = 0.007 and 100 at p = 9e-5; see SuiteConfig)."""
    r, out = quick
    checks = pd.read_parquet(out / "checks.parquet").set_index("id")
    assert set(checks["group"]) == set(QUICK_GROUPS)
    assert "market/baseline/volatility_clustering" in checks.index
    failing = checks.index[~checks["passed"]]
    assert failing.empty, "\n".join(f"{c}: {checks.loc[c, 'observed']}" for c in failing)
    assert r.returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "5"], "--seeds: 5 is out of range (allowed: 20 ≤ seeds ≤ 10000)"),
        (["--workers", "0"], "--workers: 0 is out of range"),
        (["--scenario", "nope"], "--scenario: 'nope' is not a scenario (allowed: baseline"),
        (["--sobol-minutes", "1"], "--sobol-minutes: only with --full"),
        (["--full", "--sobol-minutes", "-1"], "--sobol-minutes: -1.0 is out of range"),
    ],
)
def test_bad_flags_exit_2_one_line_nothing_written(tmp_path, args, message):
    out = tmp_path / "out"
    r = invoke("check-model", "--out", out, *args, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert not out.exists()


def test_the_suites_sobol_folder_is_replaced_only_if_it_is_an_aipm_output(tmp_path):
    """The full suite replaces OUT/sobol_sweep when it holds an older spec's sweep; a
    folder there that is not an aipm output (someone's files) is refused, and kept."""
    from runs.executors import SerialExecutor
    from runs.validation.seednoise import run_sensitivity
    from runs.validation.suite import SuiteError

    root = Path(__file__).resolve().parent.parent
    spec = tmp_path / "tiny.toml"
    spec.write_text(
        f'name = "tiny"\nscenario = "{root / "scenarios" / "baseline.toml"}"\n'
        'design = "sobol"\nsamples = 2\nreplicates = 2\n[fixed]\nquarters = 2\n'
        '"investors.enabled" = false\n[parameters]\n'
        '"demand.bass_q" = { low = 0.03, high = 0.15 }\n'
        '"behaviour.optimism" = { low = 0.0, high = 1.0 }\n'
    )
    out = tmp_path / "sobol_sweep"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SuiteError, match="not an aipm sweep folder"):
        run_sensitivity(spec, out, SerialExecutor(), progress=False)
    assert (out / "notes.txt").read_text() == "mine"
