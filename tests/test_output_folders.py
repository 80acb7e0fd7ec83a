"""What an output folder may be replaced with: never a file aipm did not write, never a
folder a running sweep writes to (`aipm run`, the sweep itself)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from runs.output import OutputError, check_replaceable, open_output
from runs.owned import RUN_FIGURE_STEMS, RUN_LAYOUT, SWEEP_LAYOUT, foreign_entries
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
