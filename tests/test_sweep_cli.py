"""`aipm sweep` / `aipm analyze`: happy path, bad input (exit 2, nothing written), kill + resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from runs.cli import app
from runs.sweeping import sweep
from runs.sweepstore import SweepStore

ROOT = Path(__file__).resolve().parent.parent
BASELINE = (ROOT / "scenarios" / "baseline.toml").as_posix()


def write_spec(folder: Path, samples=3, quarters=4, chunk=2, **replace) -> Path:
    text = f"""
name = "cli"
scenario = "{BASELINE}"
design = "lhs"
samples = {samples}
replicates = 2
root_seed = 7
chunk_size = {chunk}

[fixed]
quarters = {quarters}

[parameters]
"demand.bass_q" = {{ low = 0.03, high = 0.15 }}
"behaviour.optimism" = {{ low = 0.0, high = 1.0 }}
"""
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "spec.toml"
    path.write_text(text)
    return path


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def aipm(*args, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "runs", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_sweep_and_analyze(tmp_path):
    out = tmp_path / "out"
    r = invoke("sweep", write_spec(tmp_path), "--out", out, "--workers", 1, "--paths")
    assert r.exit_code == 0, r.stderr
    assert "sweep cli: 6 runs" in r.stdout and "6 ok, 0 failed" in r.stdout
    assert "complete:" in r.stdout
    runs = SweepStore(out).read_runs()
    assert runs["run_id"].tolist() == list(range(6)) and (runs["status"] == "ok").all()
    assert (out / "summary.json").exists() and (out / "paths" / "system").is_dir()
    r = invoke("analyze", out, "--regime", "boom")
    assert r.exit_code == 0, r.stderr
    assert "== regimes ==" in r.stdout and (out / "analysis" / "regimes.csv").exists()
    # a misspelt metric or regime: one line with what is allowed and the closest name
    analysed = sorted((out / "analysis").iterdir())
    r = invoke("analyze", out, "--metric", "lab_revenu")
    assert r.exit_code == 2 and r.stderr.startswith(
        "error: --metric: 'lab_revenu' is not a numeric column of the runs table (allowed: one "
        "of its "
    )
    assert r.stderr.endswith(
        " numeric columns, e.g. lab_revenue, peak_valuation, ai_value_drawdown); did you mean "
        "'lab_revenue'?\n"
    )
    r = invoke("analyze", out, "--regime", "boon")
    assert (r.exit_code, r.stderr) == (
        2,
        "error: --regime: 'boon' is not a regime (allowed: boom, soft_landing, crash_recovered, "
        "bust, cascade); did you mean 'boom'?\n",
    )
    assert sorted((out / "analysis").iterdir()) == analysed


@pytest.mark.parametrize(
    ("flag", "value"), [("--metric", "lab_revenu"), ("--regime", "boon"), ("--metric", "regime")]
)
def test_analyze_reports_a_bad_flag_before_it_imports_prim(tmp_path, flag, value):
    """PRIM's ema-workbench takes seconds to import: a misspelt flag is reported first."""
    columns = {"run_id": "int64", "lab_revenue": "float64"}
    params = {"kind": "aipm-sweep", "parameters": [], "columns": columns}
    (tmp_path / "params.json").write_text(json.dumps(params))  # what the flags are checked on
    script = (
        "import sys; from runs.cli import app; "
        "code = app(sys.argv[1:], standalone_mode=False); "
        "print(code, sorted(m for m in sys.modules if m.startswith('ema_workbench')))"
    )
    p = subprocess.run(
        [sys.executable, "-c", script, "analyze", str(tmp_path), flag, value],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.stdout == "2 []\n", p.stderr  # exit 2, and ema_workbench never imported
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith(f"error: {flag}: {value!r}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.json"]


BAD_SPECS = [
    ('"demand.bass_q"', '"demand.bass_z"', "parameters.demand.bass_z: unknown parameter"),
    ("low = 0.03, high = 0.15", "low = 0.15, high = 0.15", "empty range"),
    ('design = "lhs"', 'design = "latin"', "design: Input should be 'grid', 'lhs'"),
    ("samples = 3", "samples = 0", "samples: Input should be greater than or equal to 1"),
    ("quarters = 4", "quarters = 4000", "fixed: quarters: Input should be less than"),
    ("high = 1.0", "high = 5.0", "behaviour.optimism: 5.0 is not allowed"),
    ('name = "cli"', 'name = "cli', "invalid TOML"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_SPECS)
def test_bad_specs_exit_2_one_line_nothing_written(tmp_path, old, new, message):
    out = tmp_path / "out"
    r = invoke("sweep", write_spec(tmp_path, **{old: new}), "--out", out)
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert message in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--workers", "0"), "--workers: 0 is out of range (allowed: 1 ≤ workers ≤ 4096)"),
        (
            ("--workers", "abc"),
            "--workers: 'abc' is not a whole number (allowed: 1 ≤ workers ≤ 4096)",
        ),
        (("--dask", "http://x:1"), "--dask: 'http://x:1' is not 'local'"),
        (("--resume",), "is not a sweep directory"),
        ((), "is not empty (use --resume"),
    ],
)
def test_bad_flags_and_directories_exit_2(tmp_path, flags, message):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = invoke("sweep", write_spec(tmp_path), "--out", out, *flags)
    assert r.exit_code == 2 and message in r.stderr, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_resume_of_a_folder_that_does_not_exist_says_so_and_starts_the_sweep(tmp_path):
    """--resume is idempotent (a sweep killed before it made its folder is resumed by the
    same command, see test_faults), but it says there was nothing to resume."""
    out = tmp_path / "out"
    r = invoke("sweep", write_spec(tmp_path), "--out", out, "--resume")
    assert r.exit_code == 0, r.stderr
    assert (
        f"note: --resume: {out} does not exist yet: nothing to resume, a new sweep starts"
        in r.stderr
    )
    assert (out / "runs").is_dir()


def test_a_scenario_file_given_as_a_sweep_spec_is_named_so(tmp_path):
    out = tmp_path / "out"
    r = invoke("sweep", BASELINE, "--out", out)
    assert r.exit_code == 2 and not out.exists()
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "baseline.toml: not a sweep spec" in lines[0], r.stderr
    assert "aipm run" in lines[0]


def test_unreachable_scheduler_exit_2(tmp_path):
    out = tmp_path / "out"
    address = "tcp://127.0.0.1:9"  # discard port: nothing listens
    r = invoke("sweep", write_spec(tmp_path), "--out", out, "--dask", address, "--timeout", 1)
    assert r.exit_code == 2 and "--dask: cannot reach tcp://127.0.0.1:9" in r.stderr
    assert not out.exists()


def test_analyze_bad_input_exit_2(tmp_path):
    r = invoke("analyze", tmp_path)
    assert r.exit_code == 2
    assert r.stderr == f"error: {tmp_path}: not a sweep directory (no sweep params.json)\n"
    assert not (tmp_path / "analysis").exists()
    r = invoke("analyze", tmp_path / "nothing")
    assert r.stderr == f"error: {tmp_path / 'nothing'}: not a sweep directory (it does not exist)\n"
    assert not (tmp_path / "nothing").exists()
    r = invoke("analyze", tmp_path, "--threshold", "1.5")
    assert r.exit_code == 2 and "--threshold" in r.stderr


def test_a_part_or_table_that_cannot_be_read_is_named_once(tmp_path):
    """A runs part that is not Parquet: analyze and report name it once (pyarrow's message
    named it twice), and sweep --resume gives one line instead of a traceback; an analysis
    table that is not UTF-8 CSV is named too. Nothing is written."""
    out = tmp_path / "out"
    r = invoke("sweep", write_spec(tmp_path, samples=1), "--out", out, "--workers", 1)
    assert r.exit_code == 0, r.stderr
    (part,) = (out / "runs").iterdir()
    part.write_bytes(b"x")
    why = "Parquet file size is 1 bytes, smaller than the minimum file footer (8 bytes)"
    line = f"error: {part}: cannot read it as Parquet ({why})"
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    for args in (("analyze", out), ("report", out)):
        r = invoke(*args)
        assert (r.exit_code, r.stderr) == (2, line + "\n"), args
    resume = ("sweep", write_spec(tmp_path, samples=1), "--out", out, "--resume", "--workers", 1)
    r = invoke(*resume)  # was a traceback
    assert r.exit_code == 2
    assert r.stderr == f"{line}; move it out of the folder and --resume runs its runs again\n"
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # nothing changed
    part.unlink()  # as the message says: --resume runs its runs again
    r = invoke(*resume)
    assert r.exit_code == 0, r.stderr
    assert len(SweepStore(out).read_runs()) == 2
    (out / "analysis").mkdir()
    (out / "analysis" / "morris.csv").write_bytes(b"\xff\xfe")
    r = invoke("report", out)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: {out / 'analysis' / 'morris.csv'}: cannot read it as CSV (")


def test_killed_sweep_resumes_each_run_exactly_once(tmp_path):
    spec = write_spec(tmp_path, samples=20, quarters=10, chunk=1)
    out = tmp_path / "killed"
    proc = aipm("sweep", spec, "--out", out, "--workers", 2, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while len(list((out / "runs").glob("part-*.parquet"))) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "sweep made no progress"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its pool workers, mid-write or not
        proc.communicate()
    partial = SweepStore(out).read_runs()
    assert 0 < len(partial) < 40 and partial["run_id"].is_unique
    assert not (out / "summary.json").exists()

    # resumed by another executor (serial): the results cannot tell
    resumed = aipm("sweep", spec, "--out", out, "--workers", 1, "--resume", "--no-progress")
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"resumed: {len(partial)} runs were already done" in stdout
    # the regimes of every run of the folder, and how many ran in this call
    regimes = next(line for line in stdout.splitlines() if line.startswith("regimes: "))
    assert regimes.endswith(f" ({40 - len(partial)} run now, {len(partial)} before)"), stdout
    counts = regimes.removeprefix("regimes: ").rsplit(" (", 1)[0].split(" · ")
    assert sum(int(c.rsplit(" ", 1)[1]) for c in counts) == 40
    summary = json.loads((out / "summary.json").read_text())
    assert sum(summary["regimes"].values()) == 40
    assert sum(summary["regimes_now"].values()) == 40 - len(partial)

    full = sweep(spec, tmp_path / "full", workers=1, progress=False)
    got = SweepStore(out).read_runs()
    assert got["run_id"].is_unique and got["run_id"].tolist() == list(range(40))
    pd.testing.assert_frame_equal(
        got.drop(columns="duration_s"), full.drop(columns="duration_s"), check_exact=True
    )
    assert not list(out.rglob(".*.tmp"))


@pytest.fixture(scope="module")
def example_sweep(tmp_path_factory):
    """The tutorial's sweep (scenarios/sweeps/example.toml) and what `aipm sweep` printed."""
    out = tmp_path_factory.mktemp("tutorial") / "example"
    spec = ROOT / "scenarios" / "sweeps" / "example.toml"
    r = invoke("sweep", spec, "--out", out, "--workers", 1, "--no-progress")
    assert r.exit_code == 0, r.stderr
    return out, r.stdout


def test_tutorial_example_sweep_runs(example_sweep):
    """The command of docs/tutorials/first-sweep.md, on its spec."""
    out, printed = example_sweep
    assert "sweep example: 32 runs" in printed and "32 ok, 0 failed" in printed
    runs = SweepStore(out).read_runs()
    saved = json.loads((out / "params.json").read_text())
    assert saved["scenario"]["investors"]["n_investors"] == 2000  # the spec's [fixed]
    assert {"demand.usage_growth_decay", "demand.arpu_max"} <= set(runs.columns)
    # the tutorial's point: the same three assumptions end in different regimes
    assert {"boom", "bust"} <= set(runs["regime"]), runs["regime"].value_counts()


def test_analyze_keeps_the_prim_boxes_of_each_regime(example_sweep):
    """The audit's case: `aipm analyze DIR --regime boom`, then `aipm analyze DIR` (PRIM on
    cascades) overwrote the boom boxes in analysis/prim.csv. Each regime has its own file,
    which a later call for another regime leaves as it was; the report draws each."""
    from runs.owned import SWEEP_LAYOUT, foreign_entries

    out, _ = example_sweep
    analysis = out / "analysis"
    r = invoke("analyze", out, "--regime", "boom")
    assert r.exit_code == 0, r.stderr
    assert "== prim_boom ==" in r.stdout
    boom = (analysis / "prim_boom.csv").read_bytes()
    assert len(pd.read_csv(analysis / "prim_boom.csv")) > 0  # the tutorial's booms have boxes
    r = invoke("analyze", out)  # PRIM on the default regime, cascade
    assert r.exit_code == 0, r.stderr
    assert "== prim_cascade ==" in r.stdout and "== prim_boom ==" not in r.stdout
    assert (analysis / "prim_boom.csv").read_bytes() == boom
    assert (analysis / "prim_cascade.csv").read_bytes() != boom
    assert not (analysis / "prim.csv").exists()
    assert json.loads((analysis / "notes.json").read_text())["regime"] == "cascade"
    r = invoke("report", out)
    assert r.exit_code == 0, r.stderr
    assert {"prim_boom.png", "prim_cascade.png"} <= {p.name for p in (out / "report").iterdir()}
    assert "PRIM boxes: where runs end in boom." in (out / "report.html").read_text()
    assert foreign_entries(out, SWEEP_LAYOUT) == []  # all of it is aipm's to replace


@pytest.mark.parametrize(
    ("name", "design"), [("sobol", "sobol"), ("morris", "morris"), ("accelerator", "morris")]
)
def test_shipped_sweep_specs_are_valid(name, design):
    from runs.experiment import load_spec, plan_sweep

    plan = plan_sweep(load_spec(ROOT / "scenarios" / "sweeps" / f"{name}.toml"))
    assert plan.spec.design.value == design and plan.n_runs > 50
    # sensitivity on replicate means (issue #11): several seeds per design point
    assert plan.spec.replicates >= 2


def test_every_shipped_sweep_spec_is_tested():
    shipped = {p.stem for p in (ROOT / "scenarios" / "sweeps").glob("*.toml")}
    assert shipped == {"example", "sobol", "morris", "accelerator"}


def test_the_accelerator_screen_analyses_with_integer_parameters(tmp_path):
    """scenarios/sweeps/accelerator.toml has integer parameters (horizons, quarters): a
    small design of it sweeps and analyses as the baseline page's commands do."""
    spec = tmp_path / "acc.toml"
    text = (ROOT / "scenarios" / "sweeps" / "accelerator.toml").read_text(encoding="utf-8")
    text = text.replace('scenario = "../baseline.toml"', f'scenario = "{BASELINE}"')
    text = text.replace("samples = 20", "samples = 2").replace("replicates = 2", "replicates = 1")
    text = text.replace(
        '"investors.n_investors" = 1000', '"investors.n_investors" = 200\nquarters = 12'
    )
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "acc"
    r = invoke("sweep", spec, "--out", out, "--workers", 1, "--no-progress")
    assert r.exit_code == 0, r.stderr
    r = invoke("analyze", out, "--metric", "supplier_revenue_fall", "--regime", "bust")
    assert r.exit_code == 0, r.stderr
    morris = pd.read_csv(out / "analysis" / "morris.csv")
    assert set(morris.parameter) >= {"behaviour.plan_horizon", "buildout.life_quarters"}
    # printed most influential first: the mu_star column (the 4th) does not rise
    block = r.stdout.split("== morris ==\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    printed = [float(line.split()[3]) for line in block]
    assert len(printed) == len(morris) and printed == sorted(printed, reverse=True)


def test_the_summary_counts_every_run_of_the_folder():
    from collections import Counter

    from runs.sweeping import SweepReport

    report = SweepReport("s", Path("out"), "serial×1", 32, already_done=24, run_now=8)
    report.regimes, report.regimes_before = Counter(bust=8), Counter(boom=10, bust=14)
    report.complete, report.seconds = True, 2.0
    assert report.lines()[1:3] == [
        "resumed: 24 runs were already done",
        "regimes: boom 10 · bust 22 (8 run now, 24 before)",
    ]
    assert report.to_json()["regimes"] == {"boom": 10, "bust": 22}
    fresh = SweepReport("s", Path("out"), "serial×1", 1, run_now=1, regimes=Counter(bust=1))
    assert fresh.lines()[:2] == [
        "sweep s: 1 run in 0.0 s (-, serial×1) — 1 ok, 0 failed",
        "regimes: bust 1",
    ]
