"""`aipm run` and `aipm validate`, including bad scenario files (exit 2, nothing written)."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from world.metrics import FIRM_COLUMNS, SYSTEM_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


def aipm(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "runs", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
    )


def test_validate_ok():
    r = aipm("validate", BASELINE)
    assert r.returncode == 0, r.stderr
    assert "baseline" in r.stdout and "7 firms" in r.stdout


def test_run_writes_outputs(tmp_path):
    out = tmp_path / "run"
    r = aipm("run", BASELINE, "--seed", 3, "--quarters", 6, "--out", out, "--no-report")
    assert r.returncode == 0, r.stderr
    params = json.loads((out / "params.json").read_text())
    assert params["seed"] == 3 and params["scenario"]["quarters"] == 6
    assert params["aipm_version"] and params["git_commit"]
    firms = pd.read_parquet(out / "firms.parquet")
    system = pd.read_parquet(out / "system.parquet")
    assert set(FIRM_COLUMNS) <= set(firms.columns)
    assert set(SYSTEM_COLUMNS) <= set(system.columns)
    assert len(system) == 6 and len(firms) == 6 * 7
    assert not list(tmp_path.glob(".*tmp"))  # no temporary leftovers


BAD = [
    (
        "quarters = 40",
        "quarters = 4000",
        "quarters: Input should be less than or equal to 400 (allowed: 1 ≤ quarters ≤ 400)",
    ),
    ("bass_q = 0.07", "bass_qq = 0.07", "demand.bass_qq: unknown key"),
    ("token_elasticity = 1.12", 'token_elasticity = "fast"', "demand.token_elasticity:"),
    ("market_cap = 202.8", "market_cap = -1.0", "firms.1.market_cap: Input should be greater"),
    ('customer = "OpenAI"', 'customer = "OpenAl"', "unknown firm 'OpenAl'"),
    ('name = "baseline"', 'name = "baseline', "invalid TOML"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_scenarios_exit_2_one_line_nothing_written(tmp_path, old, new, message, command):
    text = BASELINE.read_text()
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1))
    out = tmp_path / "out"
    args = ("run", bad, "--out", out) if command == "run" else ("validate", bad)
    r = aipm(*args)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert message in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--quarters", "0", "--quarters: 0 is out of range (allowed: 1 ≤ quarters ≤ 400)"),
        ("--seed", "-1", "--seed: -1 is out of range"),
    ],
)
def test_bad_flags_exit_2(tmp_path, flag, value, message):
    out = tmp_path / "out"
    r = aipm("run", BASELINE, flag, value, "--out", out)
    assert r.returncode == 2 and message in r.stderr and not out.exists()


def test_missing_file_exit_2(tmp_path):
    r = aipm("validate", tmp_path / "nope.toml")
    assert r.returncode == 2 and "cannot read scenario file" in r.stderr


def test_console_script_and_module_agree(tmp_path):
    exe = Path(sys.executable).with_name("aipm")
    r = subprocess.run([exe, "validate", BASELINE], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == aipm("validate", BASELINE).stdout
