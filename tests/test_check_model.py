"""``aipm check-model``: the quick validation suite runs in CI and reports every check.

The suite reports honestly on the model as it is; this test requires that it runs,
writes its table and figures, exits 1 exactly when a check fails, and that the
checks listed in MUST_PASS pass (those the current model passes: anchors, stylized
facts, books, regime rules, and the claims and bounds it meets). The others are
the yardstick for the mechanisms still being built (docs/explanation/validation.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))

#: Whole groups that must pass.
MUST_PASS_GROUPS = ("anchors", "market", "books", "regime")
#: Single checks that must pass (the current model meets them).
MUST_PASS = {
    "direction/engine_stall/defaults",
    "direction/engine_stall/lab_default",
    "direction/engine_stall/lab_distress",
    "direction/engine_stall/lab_revenue",
    "direction/engine_stall/peak_valuation",
    "direction/engine_stall/provider_losses",
    "direction/engine_stall/supplier_losses",
    "direction/engine_stall/supplier_revenue",
    "direction/optimistic/lab_revenue",
    "direction/optimistic/peak_valuation",
    "direction/optimistic/provider_revenue",
    "direction/optimistic/supplier_revenue",
    "direction/pessimistic/defaults",
    "direction/pessimistic/lab_distress",
    "direction/pessimistic/lab_revenue",
    "direction/pessimistic/peak_valuation",
    "direction/pessimistic/supplier_revenue",
    "direction/shock_efficiency_jump/provider_revenue",
    "direction/shock_efficiency_jump/supplier_revenue",
    "direction/shock_failed_round/lab_distress",
    "direction/shock_failed_round/lab_funding_failures",
    "direction/shock_failed_round/peak_valuation",
    "direction/shock_power_constraint/provider_revenue",
    "direction/shock_power_constraint/supplier_revenue",
    "direction/shock_price_war/lab_distress",
    "direction/shock_price_war/lab_revenue",
    "direction/shock_price_war/peak_valuation",
    "direction/shock_rate_hike/ai_value_end",
    "direction/shock_rate_hike/peak_valuation",
    "direction/shock_supplier_stops_financing/round_trip_share",
    "rate/engine_stall/lab_distress",
    "size/baseline/lab_price_to_sales",
    "size/baseline/listed_price_to_sales",
    "size/baseline/macro_limit",
    "size/baseline/negative_equity",
    "size/engine_stall/lab_price_to_sales",
    "size/engine_stall/listed_price_to_sales",
    "size/engine_stall/macro_limit",
    "size/engine_stall/negative_equity",
    "size/optimistic/lab_price_to_sales",
    "size/optimistic/macro_limit",
    "size/optimistic/negative_equity",
    "size/pessimistic/lab_price_to_sales",
    "size/pessimistic/listed_price_to_sales",
    "size/pessimistic/macro_limit",
    "size/pessimistic/negative_equity",
    "size/shock_efficiency_jump/lab_price_to_sales",
    "size/shock_efficiency_jump/listed_price_to_sales",
    "size/shock_efficiency_jump/macro_limit",
    "size/shock_efficiency_jump/negative_equity",
    "size/shock_failed_round/lab_price_to_sales",
    "size/shock_failed_round/listed_price_to_sales",
    "size/shock_failed_round/macro_limit",
    "size/shock_failed_round/negative_equity",
    "size/shock_power_constraint/lab_price_to_sales",
    "size/shock_power_constraint/listed_price_to_sales",
    "size/shock_power_constraint/macro_limit",
    "size/shock_power_constraint/negative_equity",
    "size/shock_price_war/lab_price_to_sales",
    "size/shock_price_war/listed_price_to_sales",
    "size/shock_price_war/macro_limit",
    "size/shock_price_war/negative_equity",
    "size/shock_rate_hike/lab_price_to_sales",
    "size/shock_rate_hike/listed_price_to_sales",
    "size/shock_rate_hike/macro_limit",
    "size/shock_rate_hike/negative_equity",
    "size/shock_supplier_stops_financing/lab_price_to_sales",
    "size/shock_supplier_stops_financing/listed_price_to_sales",
    "size/shock_supplier_stops_financing/macro_limit",
    "size/shock_supplier_stops_financing/negative_equity",
}


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
    for group in ("anchors", "market", "books", "regime", "direction", "size"):
        assert (checks["group"] == group).any(), group
    # every shipped scenario, at least 20 seeds each, every run complete
    assert sorted(runs["scenario"].unique()) == SCENARIOS
    assert runs.groupby("scenario").size().min() >= 20 and (runs["status"] == "ok").all()
    assert runs.groupby("scenario")["seed"].nunique().min() >= 20
    # the printed table names every failing check with its verdict
    for cid in checks.loc[~checks["passed"], "id"]:
        assert cid in r.stdout
    assert ("FAIL" in r.stdout) == (r.returncode == 1)
    for name in ("claims", "sizes", "regimes", "regime_paths"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    assert (out / "checks.md").read_text().count("\n") == len(checks) + 2


@pytest.mark.slow
def test_checks_that_must_pass(quick):
    _, out = quick
    checks = pd.read_parquet(out / "checks.parquet").set_index("id")
    required = set(checks.index[checks["group"].isin(MUST_PASS_GROUPS)]) | MUST_PASS
    assert required <= set(checks.index), sorted(required - set(checks.index))
    failing = sorted(c for c in required if not checks.loc[c, "passed"])
    assert not failing, "\n".join(f"{c}: {checks.loc[c, 'observed']}" for c in failing)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "5"], "--seeds: 5 is out of range (allowed: 20 ≤ seeds ≤ 10000)"),
        (["--workers", "0"], "--workers: 0 is out of range"),
        (["--scenario", "nope"], "--scenario: 'nope' is not a scenario (allowed: baseline"),
    ],
)
def test_bad_flags_exit_2_one_line_nothing_written(tmp_path, args, message):
    out = tmp_path / "out"
    r = invoke("check-model", "--out", out, *args, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert not out.exists()
