"""Run a sweep: the Python API behind ``aipm sweep`` (:func:`sweep`).

A sweep is planned (:func:`runs.experiment.plan_sweep`), its output directory
checked (:func:`prepare`, before anything is written), the runs still missing
are cut into chunks and handed to an executor (:mod:`runs.executors`), and
each finished chunk is written at once (:class:`runs.sweepstore.SweepStore`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from runs.commands import plural
from runs.executors import Executor, make_executor
from runs.experiment import SpecError, SweepPlan, SweepSpec, load_spec, parse_spec, plan_sweep
from runs.faults import fault_point
from runs.output import git_commit, package_version
from runs.sweepstore import (
    SweepError,
    SweepLock,
    SweepStore,
    is_sweep_dir,
    lock,
    visible_entries,
)
from runs.worker import (
    ID_COLUMNS,
    STATUS_COLUMNS,
    ChunkTask,
    RunTask,
    metric_columns,
    probe_metrics,
    run_chunk,
)

__all__ = [
    "SpecError",
    "SweepError",
    "SweepReport",
    "columns_of",
    "prepare",
    "run_plan",
    "sweep",
    "sweep_params",
]

FORMAT = 1


@dataclass
class SweepReport:
    """What one call of :func:`run_plan` did (also written to ``summary.json``)."""

    name: str
    out: Path
    executor: str
    n_runs: int
    already_done: int = 0
    run_now: int = 0
    n_failed: int = 0
    seconds: float = 0.0
    regimes: Counter = field(default_factory=Counter)
    regimes_before: Counter = field(default_factory=Counter)
    failures: list[tuple[int, str]] = field(default_factory=list)
    complete: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Contents of ``summary.json``."""
        return {
            "name": self.name,
            "complete": self.complete,
            "n_runs": self.n_runs,
            "already_done": self.already_done,
            "run_now": self.run_now,
            "n_failed_now": self.n_failed,
            "regimes_now": dict(sorted(self.regimes.items())),
            "regimes": dict(sorted((self.regimes + self.regimes_before).items())),
            "seconds": round(self.seconds, 3),
            "runs_per_second": round(self.run_now / self.seconds, 3) if self.seconds else None,
            "executor": self.executor,
            "first_failures": [{"run_id": i, "error": e} for i, e in self.failures[:20]],
            "warnings": self.warnings,
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def lines(self) -> list[str]:
        """Human summary, a few lines."""
        rate = f"{self.run_now / self.seconds:.1f} runs/s" if self.seconds else "-"
        done = self.already_done + self.run_now
        head = (
            f"sweep {self.name}: {plural(self.run_now, 'run')} in {self.seconds:.1f} s ({rate}, "
            f"{self.executor}) — {self.run_now - self.n_failed} ok, {self.n_failed} failed"
        )
        out = [head]
        if self.already_done:
            were = "was" if self.already_done == 1 else "were"
            out.append(f"resumed: {plural(self.already_done, 'run')} {were} already done")
        regimes = self.regimes + self.regimes_before  # every run of the folder
        if regimes:
            counts = " · ".join(f"{k} {v}" for k, v in sorted(regimes.items()))
            now, before = self.regimes.total(), self.regimes_before.total()
            split = f" ({now} run now, {before} before)" if before else ""
            out.append(f"regimes: {counts}{split}")
        out += [f"  run {i} failed: {e}" for i, e in self.failures[:3]]
        out += [f"warning: {w}" for w in self.warnings]
        state = "complete" if self.complete else f"INCOMPLETE ({done}/{self.n_runs} runs)"
        out.append(f"{state}: {self.out}")
        return out


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} runs/s" if speed else "- runs/s")


def _as_spec(spec: SweepSpec | dict[str, Any] | str | Path) -> SweepSpec:
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return parse_spec(spec, Path.cwd())
    return load_spec(spec)


def columns_of(plan: SweepPlan) -> dict[str, str]:
    """Column → dtype of the runs table of ``plan``.

    The metric columns are those of a one-quarter probe run of the base scenario
    (:func:`runs.worker.probe_metrics`), so the table follows the run summary.

    Raises
    ------
    SweepError
        If the base scenario cannot run one quarter.
    """
    try:
        metrics = probe_metrics(plan.base)
    # the probe runs arbitrary model code: any error means the sweep cannot start
    except Exception as exc:
        raise SweepError(f"scenario: the base scenario does not run ({exc!r:.300})") from None
    return {
        **ID_COLUMNS,
        **{p.path: p.dtype() for p in plan.parameters},
        **STATUS_COLUMNS,
        **metric_columns(metrics),
    }


def sweep_params(plan: SweepPlan, columns: dict[str, str]) -> dict[str, Any]:
    """Contents of ``params.json`` (``columns``: the runs table's, from :func:`columns_of`)."""
    spec = plan.spec
    return {
        "kind": "aipm-sweep",
        "format": FORMAT,
        "name": spec.name,
        "spec_hash": plan.spec_hash,
        "spec": spec.model_dump(mode="json"),
        "design": spec.design.value,
        "design_seed": plan.design_seed,
        "root_seed": spec.root_seed,
        "replicates": spec.replicates,
        "n_points": len(plan.design),
        "n_runs": plan.n_runs,
        "save_paths": spec.save_paths,
        "parameters": [p.to_json() for p in plan.parameters],
        "firm_names": [f.name for f in plan.base.firms],
        "columns": columns,
        "scenario": plan.base.model_dump(mode="json"),
        "aipm_version": package_version(),
        "git_commit": git_commit(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _check_out(out: Path) -> None:
    """``out`` is (or can become) a folder: not a file, nor under one.

    A sweep never deletes anything of its folder but its own leftovers, so any
    folder that is empty or holds this sweep will do (the current one included).
    """
    if os.path.lexists(out) and not out.is_dir():
        raise SweepError(f"--out: {out} exists and is not a directory")
    p = out.parent
    while not os.path.lexists(p) and p.parent != p:
        p = p.parent
    if os.path.lexists(p) and not p.is_dir():
        raise SweepError(f"--out: {p} is a file, not a folder")


def prepare(plan: SweepPlan, out: Path, *, resume: bool) -> bool:
    """Check ``out`` can take this sweep; return whether it already holds part of it.

    A folder holding only hidden leftovers of a killed start (the lock, temporary
    files) counts as empty. Raises :class:`SweepError` (one line) and writes
    nothing when it cannot.
    """
    out = Path(out)
    _check_out(out)
    try:
        empty = not out.exists() or not visible_entries(out)
    except OSError as exc:
        raise SweepError(f"--out: cannot read {out} ({exc.strerror or exc})") from None
    if empty:
        return False
    if not resume:
        raise SweepError(f"--out: {out} is not empty (use --resume to continue a sweep there)")
    if not is_sweep_dir(out):
        raise SweepError(f"--resume: {out} is not a sweep directory (no sweep params.json)")
    theirs = SweepStore(out).params().get("spec_hash")
    if theirs != plan.spec_hash:
        raise SweepError(
            f"--resume: {out} holds another sweep (spec hash {theirs}, this spec {plan.spec_hash})"
        )
    return True


def _tasks(
    plan: SweepPlan, todo: pd.DataFrame, chunk: int, columns: dict[str, str]
) -> Iterator[ChunkTask]:
    """Chunks of the runs in ``todo`` (rows of the run table), in run_id order."""
    paths = [p.path for p in plan.parameters]
    design = plan.design.sort_values("point_id")
    overrides = [
        tuple((p, _plain(v)) for p, v in zip(paths, values, strict=True))
        for values in zip(*(design[p].tolist() for p in paths), strict=True)
    ]
    schema = tuple(columns.items())
    runs: list[RunTask] = []
    for run_id, point_id, replicate, seed in todo[list(ID_COLUMNS)].itertuples(index=False):
        run = RunTask(int(run_id), int(point_id), int(replicate), int(seed), overrides[point_id])
        runs.append(run)
        if len(runs) == chunk:
            yield ChunkTask(plan.base, tuple(runs), schema, plan.spec.save_paths)
            runs = []
    if runs:
        yield ChunkTask(plan.base, tuple(runs), schema, plan.spec.save_paths)


def _plain(value: Any) -> Any:
    """Numpy/pandas scalar → Python scalar (for pydantic and pickling)."""
    return value.item() if hasattr(value, "item") else value


def run_plan(
    plan: SweepPlan,
    out: Path,
    executor: Executor,
    *,
    resume: bool = False,
    progress: bool = True,
    console: Console | None = None,
    columns: dict[str, str] | None = None,
    check: Callable[[], None] | None = None,
) -> SweepReport:
    """Run the missing runs of ``plan`` into ``out`` (checked with :func:`prepare`).

    The sweep folder is locked (:func:`runs.sweepstore.lock`) while this runs: a
    second process on the same folder gets a one-line :class:`SweepError`, and so
    does this one if the folder is moved or replaced meanwhile (it then stops before
    writing the next chunk, and writes no summary there).
    ``columns`` (from :func:`columns_of`) saves the probe run when already known;
    a resumed sweep keeps the columns stored in its ``params.json``.
    ``check`` is called after each chunk is written: what it raises (an interruption,
    :meth:`runs.interrupts.StopSignals.check`) stops the sweep there, resumable. Once the
    executor is stopped (:meth:`runs.executors.Executor.stop`, from the signal's handler)
    no chunk starts; ``check`` is then called once the chunks under way are written.
    """
    out = Path(out)
    _check_out(out)
    with lock(out) as held:
        return _run_locked(plan, out, executor, resume, progress, console, columns, held, check)


def _run_locked(
    plan: SweepPlan,
    out: Path,
    executor: Executor,
    resume: bool,
    progress: bool,
    console: Console | None,
    columns: dict[str, str] | None,
    held: SweepLock,
    check: Callable[[], None] | None = None,
) -> SweepReport:
    store = SweepStore(out)
    warnings = []
    fault_point("sweep.after-lock")
    if prepare(plan, out, resume=resume):  # again, now that no one else writes here
        done = store.recover()
        before = _regimes_of(store) if done else Counter()
        store.ensure_design(plan.design)
        meta = store.params()
        columns = meta["columns"]
        if meta.get("git_commit") != (now := git_commit()):
            warnings.append(
                f"resumed at git commit {now}; the sweep was started at {meta.get('git_commit')}"
            )
    else:
        columns = columns or columns_of(plan)
        store.create(sweep_params(plan, columns), plan.design)
        done, before = set(), Counter()
    todo = plan.runs[~plan.runs["run_id"].isin(done)]
    chunk = plan.spec.chunk_size or max(1, min(16, math.ceil(len(todo) / (4 * executor.workers))))
    report = SweepReport(
        plan.spec.name, out, executor.describe(), plan.n_runs, already_done=len(done)
    )
    report.warnings += warnings
    report.regimes_before = before
    console = console or Console(stderr=True)
    start = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not progress,
    ) as bar:
        task = bar.add_task(plan.spec.name, total=plan.n_runs, completed=len(done), failed=0)
        try:
            tasks = _tasks(plan, todo, chunk, columns)
            for result in executor.imap_unordered(run_chunk, tasks):
                held.check()  # never a part into a folder that is no longer this sweep's
                store.write_chunk(result.runs, result.firms, result.system)
                report.run_now += len(result.run_ids)
                for run_id, status, regime, error in zip(
                    result.run_ids, result.statuses, result.regimes, result.errors, strict=True
                ):
                    if status == "ok":
                        report.regimes[regime] += 1
                    else:
                        report.n_failed += 1
                        report.failures.append((run_id, error))
                bar.update(task, advance=len(result.run_ids), failed=report.n_failed)
                if check is not None and not executor.stopping:
                    check()
            if check is not None:
                check()  # the executor was stopped: the chunks under way are written
        finally:
            report.seconds = time.perf_counter() - start
            report.complete = report.already_done + report.run_now == plan.n_runs
            if held.still_ours():
                store.write_summary(report.to_json())
    return report


def _regimes_of(store: SweepStore) -> Counter:
    """Regime of each finished run (status ok) already in the folder, counted."""
    if not {"status", "regime"} <= set(store.params().get("columns", {})):
        return Counter()
    runs = store.read_runs(columns=["status", "regime"])
    return Counter(runs.loc[runs["status"] == "ok", "regime"].astype(str))


def sweep(
    spec: SweepSpec | dict[str, Any] | str | Path,
    out: str | Path,
    *,
    resume: bool = False,
    workers: int | None = None,
    dask: Any = None,
    executor: Executor | None = None,
    save_paths: bool | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run a sweep into ``out`` and return its runs table (one row per run).

    Parameters
    ----------
    spec : SweepSpec, dict, str or Path
        The spec, its TOML file, or a mapping of its fields (relative scenario
        paths: from the current directory).
    out : str or Path
        Output directory (see :mod:`runs.sweepstore` for the layout); must be
        new or empty unless ``resume``.
    resume : bool
        Continue a sweep in ``out``: run only the runs it does not hold yet.
    workers : int, optional
        Worker processes (default: all cores); ``1`` runs serially in this process.
    dask : str or distributed.Client, optional
        ``"local"`` (start a LocalCluster of ``workers`` processes), a scheduler
        address ``"tcp://HOST:PORT"``, or a ``Client``.
    executor : Executor, optional
        Use this executor (left open) instead of ``workers``/``dask``.
    save_paths : bool, optional
        Override the spec's ``save_paths`` (store per-quarter paths).
    progress : bool
        Show a progress bar and the end summary on stderr.

    Returns
    -------
    pandas.DataFrame
        Every finished run of the sweep, sorted by ``run_id``.

    Raises
    ------
    SpecError, SweepError
        Bad spec, unusable output directory or executor (nothing written).
    """
    spec = _as_spec(spec)
    if save_paths is not None:
        spec = spec.model_copy(update={"save_paths": bool(save_paths)})
    plan = plan_sweep(spec)
    out = Path(out)
    columns = None if prepare(plan, out, resume=resume) else columns_of(plan)
    owned = executor is None
    if owned:
        try:
            executor = make_executor(workers, dask)
        except OSError as exc:  # includes timeouts connecting to a scheduler
            raise SweepError(f"--dask: cannot reach {dask} ({exc})") from None
    console = Console(stderr=True)
    try:
        report = run_plan(
            plan, out, executor, resume=resume, progress=progress, console=console, columns=columns
        )
    finally:
        if owned:
            executor.close()
    if progress:
        for line in report.lines():
            console.print(line, highlight=False, soft_wrap=True)
    return SweepStore(out).read_runs()
