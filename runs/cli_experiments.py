"""CLI commands for experiments: ``aipm sweep`` and ``aipm analyze``.

Bad input (spec, flags, output directory, unreachable scheduler) is reported as
one line on stderr with exit code 2, before anything is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runs.commands import path_value

if TYPE_CHECKING:
    from runs.executors import Executor

DASK_ADDRESS = re.compile(r"^(local|(tcp|tls|inproc|ucx)://[^\s/]+)$")


def register(app: typer.Typer) -> None:
    """Add the experiment commands to ``app``."""
    app.command("sweep")(sweep)
    app.command("analyze")(analyze)


def sweep(
    spec: Annotated[
        Path,
        typer.Argument(
            help="sweep spec TOML file",
            show_default=False,
            parser=path_value("SPEC", "a sweep spec TOML file, e.g. scenarios/sweeps/example.toml"),
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="output directory",
            show_default=False,
            parser=path_value("--out", "a folder, e.g. out/sweeps/example"),
            metavar="<path>",
        ),
    ],
    resume: Annotated[
        bool, typer.Option("--resume", help="continue the sweep in --out: run only missing runs")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="worker processes (default: all cores; 1 = serial, in this process)"),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(help="run on Dask: 'local' (start a LocalCluster) or tcp://HOST:PORT"),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="seconds to wait for a --dask scheduler to answer")
    ] = 10.0,
    paths: Annotated[
        bool, typer.Option("--paths", help="also store per-quarter firm and system paths")
    ] = False,
    progress: Annotated[bool, typer.Option(help="show the progress bar")] = True,
) -> None:
    """Run a parameter sweep (grid, Latin hypercube, Sobol, Morris) with replicates."""
    from runs.cli import check_range, err, fail, say
    from runs.executors import make_executor
    from runs.experiment import SpecError, load_spec, plan_sweep
    from runs.interrupts import exit_code
    from runs.sweeping import SweepError, columns_of, prepare, run_plan

    if workers is not None:
        check_range("sweep", "--workers", workers)
    if not 0 < timeout <= 3600:
        raise fail(f"--timeout: {timeout} is out of range (allowed: 0 < timeout ≤ 3600)")
    if dask is not None and not DASK_ADDRESS.match(dask):
        raise fail(f"--dask: {dask!r} is not 'local' or a scheduler address like tcp://HOST:8786")
    # --resume stays idempotent (a sweep killed before it made its folder is resumed by
    # the same command), but says so when there is nothing to resume
    fresh = resume and not os.path.lexists(out)
    try:
        s = load_spec(spec)
        if paths:
            s = s.model_copy(update={"save_paths": True})
        plan = plan_sweep(s)
        columns = None if prepare(plan, out, resume=resume) else columns_of(plan)
    except (SpecError, SweepError) as exc:
        raise fail(str(exc)) from None
    if fresh:
        say(f"note: --resume: {out} does not exist yet: nothing to resume, a new sweep starts", err)
    try:
        executor = make_executor(workers, dask, timeout=timeout)
    except OSError as exc:  # includes timeouts reaching a scheduler
        raise fail(f"--dask: cannot reach {dask} ({exc})") from None
    try:
        with stopped_by_signals(executor) as check:
            report = run_plan(
                plan,
                out,
                executor,
                resume=resume,
                progress=progress,
                console=err,
                columns=columns,
                check=check,
            )
    except SweepError as exc:  # the folder is locked by another sweep, or cannot be made
        raise fail(str(exc)) from None
    except KeyboardInterrupt as exc:
        say(f"interrupted: finished runs are kept in {out}; add --resume to go on", err)
        raise typer.Exit(code=exit_code(exc)) from None
    finally:
        executor.close()
    for line in report.lines():
        say(line)


@contextmanager
def stopped_by_signals(executor: Executor) -> Iterator[Callable[[], None] | None]:
    """Ctrl-C and SIGTERM stop the sweep; yield the ``check`` for :func:`runs.sweeping.run_plan`.

    With ``--workers 1`` the runs are in this process: the signal stops the run under way
    at once (its chunk is not written). With a pool or Dask it stops the executor from
    the handler (:meth:`runs.executors.Executor.stop`): no chunk starts after the signal,
    and the chunks under way finish and are written before the sweep stops.
    """
    from runs.executors import SerialExecutor
    from runs.interrupts import StopSignals, sigterm_as_interrupt

    if isinstance(executor, SerialExecutor):
        with sigterm_as_interrupt():  # a terminated job stops like Ctrl-C
            yield None
        return
    with StopSignals(on_signal=executor.stop) as signals:
        yield signals.check


def analyze(
    directory: Annotated[
        Path,
        typer.Argument(
            help="sweep output directory",
            show_default=False,
            parser=path_value("DIR", "a sweep folder, e.g. out/sweeps/example"),
        ),
    ],
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="runs-table column for Sobol/Morris (repeatable)"),
    ] = None,
    regime: Annotated[str, typer.Option(help="PRIM: regime of interest")] = "cascade",
    threshold: Annotated[float, typer.Option(help="PRIM: minimum box density, (0, 1]")] = 0.8,
) -> None:
    """Analyse a sweep: regimes, Sobol or Morris indices, PRIM boxes (→ DIR/analysis/).

    Ctrl-C or SIGTERM stop it before it writes (DIR/analysis/ is then as it was), or
    once it has written every table: one line says which (exit 130 or 143).
    """
    from runs.cli import fail, import_on_a_short_stack, say, writing_in_place
    from runs.cli import out as stdout

    if not 0.0 < threshold <= 1.0:
        raise fail(f"--threshold: {threshold} is out of range (allowed: 0 < threshold ≤ 1)")
    with writing_in_place("the analysis", directory / "analysis") as writing:
        from runs.analysis import analyze as run_analysis
        from runs.analysis import check_inputs
        from runs.discovery import import_prim
        from runs.sweepstore import SweepStore

        try:  # the flags first: a typo is reported in a blink
            check_inputs(directory, metrics=metric or None, regime=regime)
            SweepStore(directory).check_unique()  # never count a run twice
        except (ValueError, OSError) as exc:
            raise fail(str(exc)) from None
        # PRIM's ema-workbench takes seconds to import: meanwhile a signal stops it
        import_on_a_short_stack(import_prim, check=writing.signals.check)
        try:
            result = run_analysis(
                directory,
                metrics=metric or None,
                regime=regime,
                threshold=threshold,
                check=writing.signals.check,
            )
        except (ValueError, OSError) as exc:
            raise fail(str(exc)) from None
        writing.written = f"{directory / 'analysis'}/"
        writing.signals.check()  # came while the tables were written: they are, and it says so
    import pandas as pd

    from runs.indices import INFLUENCE

    for name, table in result.tables().items():
        if not table.empty:  # indices: the most influential parameter first
            if name in INFLUENCE and {"metric", INFLUENCE[name]} <= set(table.columns):
                key = table[INFLUENCE[name]].abs()
                order = table.assign(_m=pd.Categorical(table["metric"], table["metric"].unique()))
                table = table.loc[order.assign(_k=-key).sort_values(["_m", "_k"]).index]
            text = table.to_string(index=False, float_format=lambda v: f"{v:.4g}")
            stdout.print(f"== {name} ==\n{text}\n", highlight=False, soft_wrap=True)
    for note in result.notes:
        say(f"note: {note}")
    say(f"wrote {directory / 'analysis'}/")
