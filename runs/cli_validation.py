"""CLI command ``aipm check-model``: the model validation suite.

Exit codes: 0 every check passed, 1 a check failed (the table says which), 2 bad
input (a flag, a scenario or an ``[expect]`` table, an ``--out`` folder that is not an
earlier check-model output), with one line on stderr and nothing written.

``--out`` is written like a run folder (:func:`runs.output.open_output`): into a
temporary folder beside it, moved into place at the end, so an interrupted suite
leaves the earlier output as it was and a finished one replaces it whole. Only the
full suite's ``sobol_sweep`` (resumable) is written in place and kept from one call
to the next.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runs.commands import path_value

if TYPE_CHECKING:
    from runs.interrupts import StopSignals
    from runs.validation.suite import SuiteConfig, SuiteResult

ROOT = Path(__file__).resolve().parent.parent


def register(app: typer.Typer) -> None:
    """Add ``check-model`` to ``app``."""
    app.command("check-model")(check_model)


def check_model(
    full: Annotated[
        bool,
        typer.Option(
            "--full/--quick",
            help="full: 50 seeds per scenario and the Sobol sweep with replicates; "
            "quick: 30 seeds (100 of the baseline), no sweep",
        ),
    ] = False,
    seeds: Annotated[
        int | None, typer.Option(help="seeds per scenario, 20..10000 (default 30 quick, 50 full)")
    ] = None,
    workers: Annotated[int, typer.Option(help="worker processes, 1..256")] = 2,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", help="run only this scenario and the baseline (repeatable)"),
    ] = None,
    root_seed: Annotated[
        int, typer.Option(help="root of every run's seed, 0 ≤ seed < 2**63")
    ] = 2025,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="output folder (tables, figures, check table): new, empty or an earlier "
            "check-model output, replaced whole",
            parser=path_value("--out", "a folder, e.g. out/check-model"),
            metavar="<path>",
        ),
    ] = Path("out/check-model"),
    docs: Annotated[
        bool, typer.Option("--docs", help="also regenerate docs/explanation/validation.md")
    ] = False,
    sobol_minutes: Annotated[
        float | None,
        typer.Option(
            help="full: stop the Sobol sweep after the stage (64, 128, 256, ... base samples) "
            "that passes this many minutes; indices on what is complete (resume later)"
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
) -> None:
    """Validate the model: every scenario over many seeds, every pattern with a stated test."""
    from runs.cli import check_range, fail
    from runs.cli import out as stdout
    from runs.commands import plural
    from runs.interrupts import StopSignals
    from runs.validation.page import write_docs
    from runs.validation.suite import FULL, QUICK

    config = FULL if full else QUICK
    if seeds is not None:
        check_range("check-model", "--seeds", seeds)
        config = dataclasses.replace(config, seeds=seeds)
    check_range("check-model", "--workers", workers)
    check_range("check-model", "--root-seed", root_seed)
    if sobol_minutes is not None:
        if not full:
            raise fail("--sobol-minutes: only with --full (the quick suite runs no Sobol sweep)")
        if not 0 <= sobol_minutes <= 10_000:
            raise fail(
                f"--sobol-minutes: {sobol_minutes} is out of range "
                "(allowed: 0 ≤ sobol-minutes ≤ 10000)"
            )
        config = dataclasses.replace(config, sobol_budget_s=60.0 * sobol_minutes)
    config = dataclasses.replace(config, root_seed=root_seed, only=tuple(scenario or ()))
    if out.exists() and not out.is_dir():
        raise fail(f"--out: {out} exists and is not a directory")
    with StopSignals() as signals:  # from here on Ctrl-C and SIGTERM stop it at a safe point
        start = time.perf_counter()
        result, rendered = _check_into(out, config, workers, progress, signals)
    if docs:
        page = write_docs(result, ROOT, rendered)
        stdout.print(f"wrote {page}", highlight=False)
    print_table(result.checks, stdout)
    failed = result.checks[~result.checks["passed"]]
    n = len(result.checks)
    stdout.print(
        f"{n - len(failed)} of {plural(n, 'check')} passed ({plural(len(result.runs), 'run')}, "
        f"{config.seeds} seeds per scenario, {config.seeds_of('baseline')} of the baseline, "
        f"{time.perf_counter() - start:.0f} s); "
        f"wrote {out}/",
        highlight=False,
        soft_wrap=True,
    )
    if len(failed):
        raise typer.Exit(code=1)


def _check_into(
    out: Path, config: SuiteConfig, workers: int, progress: bool, signals: StopSignals
) -> tuple[SuiteResult, Any]:
    """Run the suite into ``out`` (moved into place whole) and write its outputs.

    Ctrl-C or SIGTERM (``signals``) stop it after the runs under way, with one line that
    says what is on disk (:func:`runs.cli.say_if_slot_interrupted`). Returns the suite's
    result and its rendered page.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from runs.cli import err, fail, say, say_if_slot_interrupted
    from runs.executors import make_executor
    from runs.output import OutputError, OutputKind, open_output
    from runs.owned import SOBOL_SWEEP
    from runs.sweepstore import SweepError
    from runs.validation.page import render, write_outputs
    from runs.validation.suite import SuiteError, plan, run_suite

    try:
        tasks, _ = plan(config)  # validates every scenario and claim before running
        slot = open_output(out, kind=OutputKind.CHECK_MODEL)
    except (SuiteError, OutputError) as exc:
        raise fail(str(exc)) from None
    for note in slot.notes:
        say(note, err)
    # leaving with an error or a signal: the temporary folder is removed, then it is said
    sweep = out / SOBOL_SWEEP if config.sensitivity else None
    with say_if_slot_interrupted(slot, signals, "the suite's output", sweep), slot:
        with Progress(
            TextColumn("[bold]check-model"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TimeElapsedColumn(),
            console=err,
            disable=not (progress and err.is_terminal),
        ) as bar:
            task = bar.add_task("runs", total=len(tasks))
            executor = make_executor(workers)
            signals.on_signal = executor.stop  # no run starts after a signal
            try:
                result = run_suite(
                    config,
                    workers=workers,
                    out=out,  # the Sobol sweep: OUT/sobol_sweep, resumable, kept by commit
                    on_run=lambda done, _total: bar.update(task, completed=done),
                    progress=progress and err.is_terminal,
                    check=signals.check,
                    executor=executor,
                )
            except (SuiteError, SweepError) as exc:  # the Sobol sweep's folder
                raise fail(str(exc)) from None
            finally:
                executor.close()
        rendered = render(result)
        signals.check()
        write_outputs(result, slot.tmp, rendered)
        signals.check()
        try:
            slot.commit()  # carries the earlier sobol_sweep over
        except OutputError as exc:  # someone wrote into OUT meanwhile
            raise fail(str(exc)) from None
        signals.check()  # came while it was moved into place: it is written, and said so
    return result, rendered


def print_table(checks, console) -> None:
    """Print every check: verdict, id, statistic, p-value or interval, what was seen."""
    from rich.table import Table
    from rich.text import Text

    from runs.validation.page import _num

    table = Table(show_lines=False, pad_edge=False, expand=False)
    for name in ("", "check", "statistic", "p / interval", "observed"):
        table.add_column(name, overflow="fold")
    for c in checks.itertuples(index=False):
        if _num(c.p_value):
            p = f"p={_num(c.p_value)}"
        elif _num(c.low) or _num(c.high):
            p = f"[{_num(c.low)}, {_num(c.high)}]"
        else:
            p = ""
        verdict = Text("pass", style="green") if c.passed else Text("FAIL", style="bold red")
        table.add_row(verdict, *(Text(x) for x in (c.id, _num(c.statistic), p, c.observed)))
    if not console.is_terminal:  # a log file: wide enough for one line per check
        from rich.console import Console

        console = Console(file=console.file, width=max(console.width, 200))
    console.print(table)
