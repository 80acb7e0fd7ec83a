"""The report drawn in two processes, and the drawing process of ``aipm run``."""

from __future__ import annotations

import shutil
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
