"""What an output folder may be replaced with: never a file aipm did not write, never a
folder a running sweep writes to (`aipm run`, `aipm check-model`, the sweep itself)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from runs.output import OutputError, check_replaceable, open_output
from runs.owned import (
    CHECK_MODEL_LAYOUT,
    RUN_FIGURE_STEMS,
    RUN_LAYOUT,
    SWEEP_LAYOUT,
    foreign_entries,
)
from runs.sweepstore import lock

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


def invoke(*args):
    from typer.testing import CliRunner

    from runs.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(r) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) → its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail if a command starts simulating: errors must come before the simulation."""
    import runs.simulate

    def boom(*a, **k):
        raise AssertionError("the simulation started")

    monkeypatch.setattr(runs.simulate, "simulate", boom)


def fake_run(folder: Path, *names: str) -> Path:
    """A run folder (its params.json says so) with the files ``names``."""
    folder.mkdir(parents=True)
    (folder / "params.json").write_text(json.dumps({"kind": "aipm-run"}))
    for name in ("firms.parquet", *names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    return folder


def fake_sweep(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "params.json").write_text(json.dumps({"kind": "aipm-sweep", "spec_hash": "x"}))
    for name in ("design.parquet", "runs/part-00000.parquet", *names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    return folder


# -- a run folder holds a run's files only ----------------------------------------------
def test_a_run_folder_with_sweep_names_the_user_added_is_not_replaced(tmp_path):
    """The audit's case: analysis/ and report/ are a sweep's names, not a run's."""
    run = tmp_path / "r3"
    args = ("run", BASELINE, "--out", run, "--quarters", 2, "--no-report")
    assert invoke(*args).exit_code == 0
    (run / "analysis").mkdir()
    (run / "report").mkdir()
    (run / "analysis" / "my_notes.md").write_text("notes")
    (run / "report" / "draft.docx").write_text("x")
    before = files(run)
    line = one_error_line(invoke(*args))
    assert line == (
        f"error: --out: {run} is an earlier run that also holds analysis/my_notes.md, "
        "report/draft.docx, which replacing it would delete; move them, or --force to "
        "replace them too"
    )
    assert files(run) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r3"]  # no .r3.old, no .r3.*.tmp


def test_a_run_folders_figures_hold_only_the_reports_figures(tmp_path, no_simulation):
    run = fake_run(tmp_path / "run", "report.html", "figures/gauges.png", "figures/mine.png")
    line = one_error_line(invoke("run", BASELINE, "--out", run))
    assert "is an earlier run that also holds figures/mine.png, which replacing" in line
    assert (run / "figures" / "mine.png").read_text() == "figures/mine.png"
    (run / "figures" / "mine.png").unlink()
    check_replaceable(run)  # the report's own figures: replaced without a word


def test_foreign_entries_walk_what_aipm_does_not_write(tmp_path):
    run = fake_run(tmp_path / "run", "summary.json", "figures/network.png", "figures/minsky.png")
    (run / ".report.html.abc123.tmp").write_text("left by a killed write")
    (run / "figures" / "sub").mkdir()
    (run / "report.html").mkdir()  # aipm writes a file by that name, not a folder
    (run / "report.html" / "x.txt").write_text("x")
    (run / "analysis").mkdir()  # an empty folder of the user's is listed too
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "big.bin").write_text("not under run")
    (run / "link").symlink_to(tmp_path / "elsewhere")  # a link is not followed
    assert foreign_entries(run, RUN_LAYOUT) == [
        "analysis/",
        "figures/sub/",
        "link",
        "report.html/x.txt",
    ]
    sweep = fake_sweep(
        tmp_path / "sweep", "analysis/sobol.csv", "report/heatmap.png", ".aipm-sweep.lock"
    )
    assert foreign_entries(sweep, SWEEP_LAYOUT) == []
    (sweep / "analysis" / "notes.md").write_text("mine")
    (sweep / "runs" / "part-1.parquet").write_text("not a part")
    assert foreign_entries(sweep, SWEEP_LAYOUT) == ["analysis/notes.md", "runs/part-1.parquet"]


def test_the_run_layout_knows_every_figure_of_the_report():
    from runs.report import RUN_FIGURES

    assert set(RUN_FIGURES) <= RUN_FIGURE_STEMS


def test_the_sweep_layout_knows_the_prim_table_of_every_regime(tmp_path):
    """aipm analyze writes analysis/prim_<regime>.csv, aipm report report/prim_<regime>.png."""
    from runs.owned import REGIME_NAMES
    from world.regimes import Regime

    assert set(REGIME_NAMES) == {r.value for r in Regime}
    analysis = SWEEP_LAYOUT.folders["analysis"]
    assert all(analysis.allows_file(f"prim_{r}.csv") for r in REGIME_NAMES)
    assert analysis.allows_file("prim.csv")  # an older aipm's
    assert not analysis.allows_file("prim_mine.csv")
    assert SWEEP_LAYOUT.folders["report"].allows_file("prim_soft_landing.png")


def test_a_real_run_with_its_report_holds_nothing_foreign(tmp_path):
    run = tmp_path / "run"
    r = invoke("run", BASELINE, "--out", run, "--quarters", 2)
    assert r.exit_code == 0, r.stderr
    assert (run / "figures").is_dir() and (run / "report.html").is_file()
    assert foreign_entries(run, RUN_LAYOUT) == []


def test_force_replaces_a_run_folder_whatever_it_holds_but_never_a_users_folder(tmp_path):
    """As documented: --force replaces an earlier aipm output with everything in it."""
    run = fake_run(tmp_path / "run", "analysis/my_notes.md")
    check_replaceable(run, force=True)
    mine = tmp_path / "mine"
    (mine / "analysis").mkdir(parents=True)
    (mine / "analysis" / "notes.md").write_text("x")
    with pytest.raises(OutputError, match="is not an aipm output folder"):
        check_replaceable(mine, force=True)


# -- never a folder a running sweep writes to -------------------------------------------
def test_run_force_refuses_a_folder_a_running_sweep_writes_to(tmp_path, no_simulation):
    """The audit's case: `aipm run --force` while `aipm sweep` writes into the folder."""
    sweep = fake_sweep(tmp_path / "swk")
    with lock(sweep):  # what a running sweep holds
        before = files(sweep)
        line = one_error_line(invoke("run", BASELINE, "--out", sweep, "--force"))
        assert line == (
            f"error: --out: {sweep} is in use by a running aipm sweep (.aipm-sweep.lock is "
            "held); wait for it to finish, or stop it"
        )
        assert files(sweep) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["swk"]
    check_replaceable(sweep, force=True)  # the sweep is over: --force replaces it


def test_a_sweep_running_in_a_folder_inside_is_seen_too(tmp_path):
    out = tmp_path / "check"
    out.mkdir()
    (out / "params.json").write_text(json.dumps({"kind": "aipm-check-model"}))
    inner = fake_sweep(out / "sobol_sweep")
    with lock(inner):
        with pytest.raises(OutputError, match=f"{inner} is in use by a running aipm sweep"):
            check_replaceable(out, force=True)
        with pytest.raises(OutputError, match="in use by a running aipm sweep"):
            from runs.output import OutputKind

            open_output(out, kind=OutputKind.CHECK_MODEL)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check"]


def test_the_lock_is_checked_again_before_replacing(tmp_path):
    out = tmp_path / "swk"
    slot = open_output(out, force=True)
    with slot:
        fake_sweep(out)  # a sweep started there while the run was simulating
        with lock(out), pytest.raises(OutputError, match="in use by a running aipm sweep"):
            slot.commit()
        assert (out / "design.parquet").exists() and not slot.committed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["swk"]


def test_a_sweep_stops_when_its_folder_is_replaced_under_it(tmp_path):
    """A process that ignores the lock replaces the folder: the sweep writes no more there."""
    from runs.executors import Executor
    from runs.sweeping import SweepError, sweep

    out = tmp_path / "swk"

    class ReplaceAfterFirst(Executor):
        name = "replacer"

        def imap_unordered(self, fn, tasks):
            for k, task in enumerate(tasks):
                if k == 1:  # the first chunk is written: now the folder is replaced
                    out.rename(tmp_path / "moved")
                    out.mkdir()
                    (out / "params.json").write_text(json.dumps({"kind": "aipm-run"}))
                yield fn(task)

    spec = {
        "name": "t",
        "scenario": str(BASELINE),
        "design": "lhs",
        "samples": 2,
        "replicates": 2,
        "chunk_size": 1,
        "fixed": {"quarters": 2, "investors.enabled": False},
        "parameters": {"demand.bass_q": {"low": 0.03, "high": 0.15}},
    }
    with pytest.raises(SweepError, match=f"--out: {out} was moved or replaced while the sweep"):
        sweep(spec, out, executor=ReplaceAfterFirst(), progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["params.json"]  # nothing of the sweep
    moved = tmp_path / "moved"
    assert len(list((moved / "runs").glob("part-*.parquet"))) == 1
    assert not (moved / "summary.json").exists()  # never reported complete


# -- aipm check-model --out ------------------------------------------------------------
QUICK = ("check-model", "--quick", "--seeds", 20, "--scenario", "shock_rate_hike", "--no-progress")


def _fake_result(config):
    from runs.validation.checks import Check, checks_frame
    from runs.validation.suite import SuiteResult

    nan = float("nan")
    check = Check("books/baseline/x", "books", "baseline", "c", "t", 0.0, nan, nan, nan, "ok", True)
    runs = pd.DataFrame({"scenario": ["baseline"], "seed": [1], "status": ["ok"]})
    return SuiteResult(
        config, ["baseline"], runs, pd.DataFrame({"seed": [1]}), checks_frame([check]), []
    )


@pytest.fixture
def fake_suite(monkeypatch):
    """The suite without its runs: ``run_suite`` returns one passing check at once.

    ``calls`` records each call's ``out``; set ``during`` to act while the suite "runs".
    """
    import runs.validation.page as page
    import runs.validation.suite as suite

    state = {"calls": [], "during": None}

    def run_suite(config, **kw):
        state["calls"].append(kw["out"])
        if state["during"] is not None:
            state["during"](Path(kw["out"]))
        return _fake_result(config)

    monkeypatch.setattr(suite, "run_suite", run_suite)
    monkeypatch.setattr(page, "render", lambda result: {"claims": ("Claims.", b"png")})
    return state


def earlier_full_output(out: Path) -> Path:
    """What the full suite wrote before check-model wrote a params.json."""
    out.mkdir(parents=True)
    for name in ("runs", "checks", "anchors", "out_of_sample", "sobol", "seed_noise"):
        (out / f"{name}.parquet").write_text(name)
    (out / "checks.md").write_text("table")
    (out / "figures").mkdir()
    for name in ("claims", "sobol"):
        (out / "figures" / f"{name}.png").write_text(name)
    fake_sweep(out / "sobol_sweep")
    return out


def test_check_model_replaces_its_earlier_output_whole_and_keeps_the_sobol_sweep(
    tmp_path, fake_suite
):
    out = earlier_full_output(tmp_path / "cm")
    sweep_files = files(out / "sobol_sweep")
    r = invoke(*QUICK, "--out", out)
    assert r.exit_code == 0, r.stderr
    assert fake_suite["calls"] == [out]  # the Sobol sweep (full suite) goes to OUT/sobol_sweep
    names = sorted(p.name for p in out.iterdir())
    assert names == [  # no stale sobol.parquet, seed_noise.parquet, figures/sobol.png
        "anchors.parquet",
        "checks.md",
        "checks.parquet",
        "figures",
        "out_of_sample.parquet",
        "params.json",
        "runs.parquet",
        "sobol_sweep",
    ]
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["claims.png"]
    params = json.loads((out / "params.json").read_text())
    assert params["kind"] == "aipm-check-model" and params["seeds"] == 20 and not params["full"]
    assert files(out / "sobol_sweep") == sweep_files  # resumable: kept, untouched
    assert foreign_entries(out, CHECK_MODEL_LAYOUT) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cm"]  # no .cm.old, no .cm.*.tmp
    r = invoke(*QUICK, "--out", out)  # and again, now that it has its params.json
    assert r.exit_code == 0, r.stderr


def test_a_new_check_model_folder_takes_the_sweep_written_in_place(tmp_path, fake_suite):
    fake_suite["during"] = lambda out: fake_sweep(out / "sobol_sweep")
    out = tmp_path / "new" / "cm"
    r = invoke(*QUICK, "--out", out)
    assert r.exit_code == 0, r.stderr
    assert (out / "sobol_sweep" / "design.parquet").exists() and (out / "checks.md").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["cm"]


@pytest.mark.parametrize("when", ["suite", "writing"])
def test_a_failed_check_model_leaves_the_earlier_output_as_it_was(
    tmp_path, fake_suite, monkeypatch, when
):
    import runs.validation.page as page

    def fail(*_args):
        raise RuntimeError("a worker died")

    if when == "suite":
        fake_suite["during"] = fail
    else:  # the last file written: the tables and figures are written by then
        monkeypatch.setattr(page, "check_table_markdown", fail)
    out = earlier_full_output(tmp_path / "cm")
    before = files(out)
    r = invoke(*QUICK, "--out", out)
    assert isinstance(r.exception, RuntimeError)
    assert files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cm"]
    r = invoke(*QUICK, "--out", tmp_path / "new")
    assert isinstance(r.exception, RuntimeError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cm"]  # nothing half-written


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda out: (out.mkdir(), (out / "notes.txt").write_text("mine")),
            "is not empty and is not an earlier aipm check-model output (it holds notes.txt); "
            "give a new or empty folder",
        ),
        (
            lambda out: (earlier_full_output(out), (out / "notes.txt").write_text("mine")),
            "is an earlier check-model output that also holds notes.txt, which replacing it "
            "would delete; move them",
        ),
        (
            lambda out: (
                earlier_full_output(out),
                (out / "figures" / "mine.png").write_text("mine"),
            ),
            "is an earlier check-model output that also holds figures/mine.png, which "
            "replacing it would delete; move them",
        ),
        (
            lambda out: fake_run(out, "notes.txt"),
            "is not an earlier aipm check-model output (it holds another aipm output); "
            "give a new or empty folder",
        ),
    ],
)
def test_check_model_refuses_a_folder_that_is_not_its_own(tmp_path, fake_suite, make, message):
    out = tmp_path / "cm"
    make(out)
    before = files(out)
    line = one_error_line(invoke(*QUICK, "--out", out))
    assert line == f"error: --out: {out} {message}"
    assert fake_suite["calls"] == []  # refused before running anything
    assert files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cm"]


def test_check_model_refuses_the_current_folder(tmp_path, fake_suite, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    line = one_error_line(invoke(*QUICK, "--out", "."))
    assert line == "error: --out: '.' does not name a folder for the check-model output"
    line = one_error_line(invoke(*QUICK, "--out", tmp_path))
    assert line == f"error: --out: {tmp_path} is the current folder or contains it"
    assert fake_suite["calls"] == []
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_check_model_refuses_a_folder_whose_sobol_sweep_is_running(tmp_path, fake_suite):
    out = earlier_full_output(tmp_path / "cm")
    with lock(out / "sobol_sweep"):
        line = one_error_line(invoke(*QUICK, "--out", out))
    assert f"{out / 'sobol_sweep'} is in use by a running aipm sweep" in line
    assert fake_suite["calls"] == []


def test_the_suites_sobol_sweep_of_another_spec_is_replaced_only_if_it_holds_a_sweep_only(
    tmp_path, monkeypatch
):
    import runs.sweeping
    from runs.executors import SerialExecutor
    from runs.validation.seednoise import run_sensitivity
    from runs.validation.suite import SuiteError

    def boom(*a, **k):
        raise AssertionError("the sweep started")

    monkeypatch.setattr(runs.sweeping, "columns_of", boom)
    out = fake_sweep(tmp_path / "sobol_sweep", "analysis/my_notes.md")
    with pytest.raises(SuiteError, match="also holds analysis/my_notes.md") as info:
        run_sensitivity(
            ROOT / "scenarios" / "sweeps" / "sobol.toml", out, SerialExecutor(), progress=False
        )
    assert "(the suite's Sobol sweep folder)" in str(info.value)
    assert (out / "analysis" / "my_notes.md").read_text() == "analysis/my_notes.md"
    assert os.path.exists(out / "runs" / "part-00000.parquet")


def test_what_commit_keeps_goes_back_if_the_swap_fails(tmp_path, monkeypatch):
    """A failed rename leaves the earlier output whole, its kept sobol_sweep included."""
    import runs.output
    from runs.output import OutputKind

    out = earlier_full_output(tmp_path / "cm")
    before = files(out)
    slot = open_output(out, kind=OutputKind.CHECK_MODEL)

    def fail(name):
        if name == "output.before-rename":  # sobol_sweep has moved into the new folder
            assert (slot.tmp / "sobol_sweep").is_dir()
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(runs.output, "fault_point", fail)
    with slot, pytest.raises(PermissionError):  # the error itself, not a lock message
        slot.commit()  # keeps the check-model layout's sobol_sweep
    assert files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cm"]
