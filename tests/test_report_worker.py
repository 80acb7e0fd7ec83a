"""The report drawn in two processes, and the drawing process of ``aipm run``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import runs.report
from runs.output import write_run
from runs.report import RUN_FIGURES, SECOND_PROCESS_FIGURES, build_report
from runs.report_worker import ReportError, ReportWorker
from runs.scenario import load_scenario
from runs.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
REPORT_FILES = ("report.html", "dashboard.png", *(f"figures/{s}.png" for s in RUN_FIGURES))


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    """A small run's tables, without a report."""
    out = tmp_path_factory.mktemp("worker") / "tables"
    return write_run(simulate(load_scenario(BASELINE, quarters=6), 3), out)


def copy_tables(tables: Path, to: Path) -> Path:
    shutil.copytree(tables, to)
    return to


def report_files(run_dir: Path) -> dict[str, bytes]:
    return {name: (run_dir / name).read_bytes() for name in REPORT_FILES}


def test_two_processes_write_the_same_files_as_one(tables, tmp_path):
    assert set(SECOND_PROCESS_FIGURES) < set(RUN_FIGURES)
    one, two = copy_tables(tables, tmp_path / "one"), copy_tables(tables, tmp_path / "two")
    build_report(one)
    build_report(two, processes=2)
    assert report_files(one) == report_files(two)


def test_a_figure_the_second_process_cannot_draw_is_the_reports_error(
    tables, tmp_path, monkeypatch
):
    makers = runs.report.run_figures

    def broken(t):
        def fail():
            raise ValueError("firms: no rows to draw")

        return {**makers(t), SECOND_PROCESS_FIGURES[0]: fail}

    monkeypatch.setattr(runs.report, "run_figures", broken)
    run_dir = copy_tables(tables, tmp_path / "run")
    with pytest.raises(ValueError, match="firms: no rows to draw"):
        build_report(run_dir, processes=2)
    assert not (run_dir / "report.html").exists()


def test_processes_is_one_or_two(tables):
    with pytest.raises(ValueError, match="processes: 3"):
        build_report(tables, processes=3)


def test_worker_draws_when_told(tables, tmp_path):
    run_dir = copy_tables(tables, tmp_path / "run")
    with ReportWorker(run_dir) as worker:
        worker.build(run_dir)
    build_report(copy_tables(tables, tmp_path / "here"))
    assert report_files(run_dir) == report_files(tmp_path / "here")


def test_worker_left_without_drawing_writes_nothing(tables, tmp_path):
    run_dir = copy_tables(tables, tmp_path / "run")
    before = sorted(p.name for p in run_dir.rglob("*"))
    with ReportWorker(run_dir) as worker:
        pass
    assert worker.exitcode is not None  # stopped, not left behind
    assert sorted(p.name for p in run_dir.rglob("*")) == before


def test_worker_failure_is_a_report_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with ReportWorker(empty) as worker, pytest.raises(ReportError, match="exit code 1"):
        worker.build(empty)
    assert not any(empty.iterdir())
    with ReportWorker(empty) as worker, pytest.raises(ValueError, match="run_dir"):
        worker.build(tmp_path)


def test_without_fork_aipm_run_draws_the_same_report_in_process(tmp_path, monkeypatch):
    """Where forking is unsafe (macOS, Windows) ``aipm run`` draws after the run, in its
    own process: the same files as the forked drawing process."""
    from typer.testing import CliRunner

    import runs.cli
    import runs.report_worker
    from runs.cli import app

    assert runs.report_worker.can_fork() == sys.platform.startswith("linux")
    args = ["run", str(BASELINE), "--quarters", "6", "--seed", "3", "--out"]
    forked = CliRunner().invoke(app, [*args, str(tmp_path / "forked")])
    monkeypatch.setattr(runs.cli, "can_fork", lambda: False)
    inline = CliRunner().invoke(app, [*args, str(tmp_path / "inline")])
    assert forked.exit_code == 0 and inline.exit_code == 0, inline.output
    assert report_files(tmp_path / "inline") == report_files(tmp_path / "forked")


@pytest.mark.parametrize("forks", [True, False])
def test_aipm_report_draws_in_two_processes_where_it_can_fork(tables, tmp_path, monkeypatch, forks):
    """``aipm report DIR`` draws a run's report as ``aipm run`` does: in two processes
    where forking is safe, in its own process elsewhere; the files are the same."""
    from typer.testing import CliRunner

    import runs.report_worker
    from runs.cli import app

    asked = []

    def spy(run_dir, *, processes=1, **rest):  # rest: the command's check of signals
        asked.append(processes)
        return build_report(run_dir, processes=processes, **rest)

    monkeypatch.setattr(runs.report, "build_report", spy)
    monkeypatch.setattr(runs.report_worker, "can_fork", lambda: forks)
    run_dir = copy_tables(tables, tmp_path / "run")
    r = CliRunner().invoke(app, ["report", str(run_dir)])
    assert r.exit_code == 0, r.output
    assert asked == [2 if forks else 1]
    one = copy_tables(tables, tmp_path / "one")
    build_report(one)
    assert report_files(run_dir) == report_files(one)


def test_inline_report_failure_is_a_report_error(tmp_path):
    from runs.report_worker import InlineReport

    with pytest.raises(ReportError, match="nothing was written"):
        InlineReport().build(tmp_path)
    assert not any(tmp_path.iterdir())


def test_grids_built_ahead_are_the_ones_the_report_asks_for(tables, monkeypatch):
    from runs.figures import base

    asked: list[base.Grid] = []
    new_grid = base._new_grid
    monkeypatch.setattr(base, "_new_grid", lambda grid: asked.append(grid) or new_grid(grid))
    monkeypatch.setattr(base, "_spare_grids", {})
    runs.report.draw_figures(runs.report.read_tables(tables), list(RUN_FIGURES))
    assert sorted(map(repr, asked)) == sorted(map(repr, runs.report.RUN_GRIDS))


def test_a_report_drawn_on_grids_built_ahead_is_the_same(tables, tmp_path, monkeypatch):
    from runs.figures import base

    fresh, ahead = copy_tables(tables, tmp_path / "fresh"), copy_tables(tables, tmp_path / "ahead")
    monkeypatch.setattr(base, "_spare_grids", {})
    build_report(fresh)
    base.prepare_grids(runs.report.RUN_GRIDS)
    build_report(ahead)
    assert not any(base._spare_grids.values())  # every grid was used
    assert report_files(fresh) == report_files(ahead)
