"""Command line: ``aipm run``, ``aipm validate`` (and the commands added by later modules).

Every error — a bad scenario file, a bad flag value, an unknown option, a missing
argument, an unusable output folder — is one line on stderr (``error: ...``),
printed literally (no Rich markup), with exit code 2 and nothing written.
A command module adds its commands with a ``register(app)`` function listed in
:func:`_register_commands`.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text
from typer.core import TyperGroup

from runs.commands import path_value, plural
from runs.faults import fault_point
from runs.interrupts import StopSignals, end_with, exit_code
from runs.investor_snapshots import MAX_INVESTOR_SNAPSHOT_BYTES, investor_snapshot_error
from runs.report_worker import InlineReport, ReportError, ReportWorker, can_fork
from runs.scenario import ScenarioError, load_scenario
from world.params import Scenario, quarter_index, quarter_label

# Consoles print text as given: no markup, emoji codes or highlighting, no wrapping.
err = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)
out = Console(markup=False, emoji=False, highlight=False, soft_wrap=True)

#: Click's exception classes (typer may vendor Click, so they are found from typer's own).
_CLICK = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
UsageError: type[Exception] = _CLICK["UsageError"]
ClickException: type[Exception] = _CLICK["ClickException"]

MAX_MESSAGE = 1000
"""Longest error line printed (characters); longer ones are cut in the middle."""


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` as one printable line: control characters escaped, cut to ``limit``."""
    chars = [c if c.isprintable() else repr(c)[1:-1] for c in str(text)]
    line = "".join(chars)
    if len(line) > limit:
        half = limit // 2 - 2
        line = f"{line[:half]} ... {line[-half:]}"
    return line


def say(text: str, console: Console | None = None) -> None:
    """Print one line literally (stdout by default)."""
    (console or out).print(Text(one_line(text, limit=100_000)))


def print_error(message: str) -> None:
    """Print ``error: message`` as one literal line on stderr."""
    err.print(Text.assemble(("error: ", "bold red"), one_line(message)))


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the exit (code 2) to raise."""
    print_error(message)
    return typer.Exit(code=2)


#: The allowed range of every integer flag, by command: checked by :func:`check_range`
#: and named too when the value is not a whole number (:func:`_not_a_whole_number`).
INT_RANGES: dict[str, dict[str, tuple[int, int]]] = {
    "run": {"--seed": (0, 2**63 - 1), "--quarters": (1, 400), "--investor-snapshots": (0, 400)},
    "sweep": {"--workers": (1, 4096)},
    "app": {"--port": (1, 65535)},
    "check-model": {"--seeds": (20, 10_000), "--workers": (1, 256), "--root-seed": (0, 2**63 - 1)},
}


def _allowed(command: str, flag: str) -> str:
    """`` (allowed: lo ≤ name ≤ hi)`` for an integer flag of :data:`INT_RANGES`."""
    lo, hi = INT_RANGES[command][flag]
    return f" (allowed: {lo} ≤ {flag.lstrip('-')} ≤ {hi})"


def check_range(command: str, flag: str, value: int) -> None:
    """Reject an integer flag outside its :data:`INT_RANGES` range: one line, exit 2."""
    lo, hi = INT_RANGES[command][flag]
    if not lo <= value <= hi:
        raise fail(f"{flag}: {value} is out of range{_allowed(command, flag)}")


class AipmGroup(TyperGroup):
    """The command group: Click's usage errors become one line and exit code 2."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit (standalone) or return with its code.

        Standalone (as :class:`typer.testing.CliRunner` calls it) exits with 130 or 143
        after an interruption; :func:`main`, the program, ends by the signal instead.
        """
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name or "aipm",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
            code = rv if isinstance(rv, int) else 0
        except UsageError as exc:
            code = _usage_error(exc)
        except ClickException as exc:
            print_error(exc.format_message())  # type: ignore[attr-defined]
            code = getattr(exc, "exit_code", 1)
        except (KeyboardInterrupt, typer.Abort) as exc:
            err.print("interrupted")
            code = exit_code(exc)
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_error(exc: Exception) -> int:
    """Print a Click usage error as one line; ``aipm`` alone prints the help."""
    message = exc.format_message()  # type: ignore[attr-defined]
    if type(exc).__name__ == "NoArgsIsHelpError":
        out.print(message)
        return 0
    ctx = getattr(exc, "ctx", None)
    if (line := _not_a_whole_number(exc, ctx)) is not None:
        print_error(line)
        return 2
    hint = f" (see {ctx.command_path if ctx is not None else 'aipm'} --help)"
    print_error(f"{message}{hint}")
    return 2


def _not_a_whole_number(exc: Exception, ctx: Any) -> str | None:
    """The error for an integer flag Click could not convert, naming its range.

    ``--seed: 'abc' is not a whole number (allowed: ...)`` for a flag of
    :data:`INT_RANGES`; None for any other error.
    """
    param = getattr(exc, "param", None)
    if type(exc).__name__ != "BadParameter" or ctx is None or param is None:
        return None
    ranges = INT_RANGES.get(ctx.info_name, {})
    flag = next((f for f in getattr(param, "opts", ()) if f in ranges), None)
    if flag is None:
        return None
    cause = exc.__cause__
    errors = cause.errors() if isinstance(cause, ValidationError) else [{}]
    value = f" {errors[0]['input']!r}" if errors and "input" in errors[0] else ""
    return f"{flag}:{value} is not a whole number{_allowed(ctx.info_name, flag)}"


app = typer.Typer(
    cls=AipmGroup,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="aipm — AI Perpetual Motion: an agent-based model of AI circular financing.",
)

ScenarioPath = Annotated[
    Path,
    typer.Argument(
        help="scenario TOML file",
        show_default=False,
        parser=path_value("SCENARIO", "a scenario TOML file, e.g. scenarios/baseline.toml"),
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="override a parameter, PATH=VALUE (TOML value; repeatable), "
        "e.g. --set demand.bass_q=0.03",
        show_default=False,
    ),
]
ShockOption = Annotated[
    list[str] | None,
    typer.Option(
        "--shock",
        help="add a shock, QUARTER:PATH=VALUE (repeatable), "
        "e.g. --shock 2026Q3:behaviour.vendor_financing=false or 2026Q1:sentiment=-0.5",
        show_default=False,
    ),
]


def load_or_fail(
    scenario: Path,
    sets: list[str] | None = None,
    shocks: list[str] | None = None,
    quarters: int | None = None,
) -> Scenario:
    """:func:`runs.scenario.load_scenario`, with a one-line error (exit 2) on bad input.

    The file's ``[expect]`` table is checked too, as ``aipm check-model`` reads it
    (:func:`check_expectations`). A sweep spec is told to use ``aipm sweep``.
    """
    try:
        s = load_scenario(scenario, sets=sets or (), shocks=shocks or (), quarters=quarters)
        check_expectations(scenario)
    except ScenarioError as exc:
        if _is_sweep_spec(scenario):
            raise fail(
                f"{scenario}: is a sweep spec, not a scenario (run it with "
                f"`aipm sweep {scenario} --out DIR`)"
            ) from None
        raise fail(str(exc)) from None
    return s


def check_expectations(scenario: Path) -> None:
    """Check the ``[expect]`` table of the file ``scenario`` (claims; not of its base).

    Raises :class:`ScenarioError` with the one-line message of
    :func:`runs.validation.claims.load_expectations`, the check ``aipm check-model`` makes.
    """
    from runs.scenario import read_expect_table

    if not read_expect_table(scenario):
        return  # no claims: nothing more to import
    from runs.validation.claims import ClaimError, load_expectations

    try:
        load_expectations(scenario)
    except ClaimError as exc:
        raise ScenarioError(str(exc)) from None


def _cut_short(s: Scenario) -> str | None:
    """A note when the run ends before some of the scenario's shocks or deals."""
    late_shocks = sum(quarter_index(x.at) > s.end_index for x in s.shocks)
    late_deals = sum(quarter_index(d.signed) > s.end_index for d in s.deals)
    late = [plural(n, what) for n, what in ((late_shocks, "shock"), (late_deals, "deal")) if n]
    if not late:
        return None
    return (
        f"note: the run ends at {quarter_label(s.end_index)}, before the scenario's "
        f"last {' and '.join(late)}"
    )


@app.command()
def validate(scenario: ScenarioPath, set_: SetOption = None, shock: ShockOption = None) -> None:
    """Check a scenario file (and what-ifs) or a sweep spec; print one line (error: exit 2)."""
    if _is_sweep_spec(scenario):
        if set_ or shock:
            flag = "--set" if set_ else "--shock"
            raise fail(f"{flag}: not for a sweep spec ({scenario}: its [fixed] table sets values)")
        _validate_spec(scenario)
        return
    s = load_or_fail(scenario, set_, shock)
    counts = ", ".join(
        plural(n, what)
        for n, what in ((len(s.firms), "firm"), (len(s.deals), "deal"), (len(s.shocks), "shock"))
    )
    say(f"ok: {s.name} — {counts}, {plural(s.quarters, 'quarter')} from {s.start}")


def _is_sweep_spec(path: Path) -> bool:
    """Whether ``path`` reads as a sweep spec (:func:`runs.experiment.looks_like_spec`)."""
    from runs.experiment import looks_like_spec
    from runs.scenario import read_toml

    try:
        return looks_like_spec(read_toml(path))
    except ScenarioError:  # unreadable: reported as a scenario file's error
        return False


def _validate_spec(path: Path) -> None:
    """Check a sweep spec as ``aipm sweep`` does before it writes anything; one line."""
    from runs.experiment import SpecError, load_spec, plan_sweep

    try:
        plan = plan_sweep(load_spec(path))
    except SpecError as exc:
        raise fail(f"{exc} (checked as a sweep spec)") from None
    spec = plan.spec
    say(
        f"ok: sweep spec {spec.name} — design {spec.design.value}, "
        f"{plural(len(plan.parameters), 'parameter')}, "
        f"{plural(len(plan.design), 'design point')} × {plural(spec.replicates, 'replicate')} = "
        f"{plural(plan.n_runs, 'run')} of {plan.base.name} "
        f"({plural(plan.base.quarters, 'quarter')})"
    )


def import_on_a_short_stack(
    *modules: str | Callable[[], object], check: Callable[[], None]
) -> None:
    """Import ``modules`` in turn on a new thread, whose stack is short, and wait for them.

    Each is a module's name or a function that imports it (with its own warnings
    filter, say). For mesa: ``mesa.model`` names its logger from ``inspect.stack()``
    when it is imported, which looks each frame of the stack up among all the loaded
    modules (about 1,400 by then). Imported by the model from the command (click's
    frames, then each import's), the stack is 44 frames deep; from a new thread, 25:
    the lookup takes about a fifth less (0.12 s of CPU on a busy machine). The
    ema-workbench of ``aipm analyze`` does the same lookups for its loggers.

    ``check`` is called every 50 ms meanwhile (a second or more on a busy machine):
    what it raises (an interruption) is raised here, and the thread, a daemon, is left
    to finish or to end with the process.
    """

    def load() -> None:
        for module in modules:
            if isinstance(module, str):
                importlib.import_module(module)
            else:
                module()

    thread = threading.Thread(target=load, name="aipm-import", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        check()


@contextmanager
def _drawing(run_dir: Path, report: bool) -> Iterator[ReportWorker | InlineReport | None]:
    """The process that draws the report into ``run_dir`` (None without a report).

    Started before the simulation, so that it imports and warms up meanwhile; see
    :mod:`runs.report_worker`. Where forking is unsafe (:func:`can_fork`), this
    process draws it after the run.
    """
    if not report:
        yield None
        return
    if not can_fork():
        yield InlineReport()
        return
    with ReportWorker(run_dir) as drawer:
        yield drawer


@app.command()
def run(
    scenario: ScenarioPath,
    seed: Annotated[int, typer.Option(help="random seed, 0 ≤ seed < 2**63")] = 0,
    quarters: Annotated[int | None, typer.Option(help="override the horizon, 1..400")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="output folder (default out/NAME): new, empty, or an earlier run's",
            parser=path_value("--out", "a folder, e.g. out/baseline"),
            metavar="<path>",
        ),
    ] = None,
    set_: SetOption = None,
    shock: ShockOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="replace --out even if it is another earlier aipm output (e.g. a sweep); "
            "never a folder that is not aipm's",
        ),
    ] = False,
    report: Annotated[bool, typer.Option(help="write the report (PNG + HTML)")] = True,
    investor_snapshots: Annotated[
        int,
        typer.Option(
            "--investor-snapshots",
            help="write investors.parquet: investor-level snapshots every N quarters "
            f"(0: off; at most {MAX_INVESTOR_SNAPSHOT_BYTES / 1e9:g} GB of them in memory)",
        ),
    ] = 0,
) -> None:
    """Run a scenario and write params.json, firms/system/deals Parquet and the report."""
    from runs.output import OutputError, open_output

    check_range("run", "--seed", seed)
    check_range("run", "--investor-snapshots", investor_snapshots)
    if quarters is not None:
        check_range("run", "--quarters", quarters)
    with StopSignals() as signals:  # from here on Ctrl-C and SIGTERM stop it at a safe point
        s = load_or_fail(scenario, set_, shock, quarters)
        # the snapshots stay in memory until the run ends: refuse too many before starting
        if (message := investor_snapshot_error(s, investor_snapshots)) is not None:
            raise fail(message)
        target = out_dir if out_dir is not None else Path("out") / s.name
        try:
            slot = open_output(target, force=force, inputs=(scenario,))
        except OutputError as exc:
            raise fail(str(exc)) from None
        for note in slot.notes:
            say(note, err)
        if (note := _cut_short(s)) is not None:
            say(note, err)
        result = _simulate_into(slot, s, seed, report, investor_snapshots, signals)
        from world.metrics import TRAILING_QUARTERS

        last = result.firms[result.firms.quarter == result.firms.quarter.max()]
        # the regime rules compare the network's revenue over four quarters with its start
        short = " (too short a run to tell)" if s.quarters <= TRAILING_QUARTERS else ""
        say(
            f"wrote {target}/ — {plural(s.quarters, 'quarter')}, seed {seed}, "
            f"regime {result.summary['regime']}{short}, "
            f"{plural(int(last.defaulted.sum()), 'defaulted firm')}"
        )


def _simulate_into(
    slot: Any, s: Scenario, seed: int, report: bool, investor_snapshots: int, signals: StopSignals
) -> Any:
    """Run ``s`` and write it into ``slot`` (with its report), checking ``signals`` on the way.

    A signal stops the run at the next check: before the model is imported, between two
    quarters, before the report, while it is drawn, before the run is moved into place,
    and after (:func:`say_if_slot_interrupted` then says what is on disk).
    """
    from runs.output import write_run

    with say_if_slot_interrupted(slot, signals), slot, _drawing(slot.tmp, report) as drawer:
        signals.check()
        # imported once the drawing process has started: it gets ready meanwhile
        import_on_a_short_stack("mesa", "runs.simulate", check=signals.check)
        from runs.simulate import simulate

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("quarters"),
            TimeElapsedColumn(),
            console=err,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task(s.name, total=s.quarters)

            def on_quarter(k: int) -> None:
                progress.update(task, completed=k)
                fault_point("run.quarter")
                signals.check()

            result = simulate(s, seed, on_quarter=on_quarter, investor_snapshots=investor_snapshots)
        signals.check()

        def finish(folder: Path) -> None:  # the tables are written; the folder is not moved yet
            signals.check()
            if drawer is not None:
                drawer.build(folder, check=signals.check)
            signals.check()

        try:
            write_run(result, slot, extra_files=finish)
        except ReportError as exc:
            print_error(str(exc))
            raise typer.Exit(code=1) from None
        signals.check()  # came while the run was moved into place: it is written, and said so
    return result


@contextmanager
def say_if_slot_interrupted(
    slot: Any, signals: StopSignals, written: str = "the run", sobol_sweep: Path | None = None
) -> Iterator[None]:
    """One line on stderr when writing into ``slot`` is interrupted: what is on disk.

    For a command that writes a folder with :func:`runs.output.open_output`
    (:func:`saying_if_interrupted`); ``written`` names what it writes there.
    ``sobol_sweep``: check-model's Sobol sweep, written in place and resumed by the next
    call; unless the slot was committed, the line says that its finished runs are kept
    there (once it exists).
    """
    existed = slot.target.exists()

    def on_disk() -> str:
        if slot.committed:
            return f"{written} was already written to {slot.target}/"
        said = (
            f"nothing written (the earlier {slot.target}/ is kept)"
            if existed
            else "nothing written"
        )
        if sobol_sweep is not None and sobol_sweep.is_dir():
            said += f"; the Sobol sweep's finished runs are kept in {sobol_sweep} for the next call"
        return said

    with saying_if_interrupted(signals, on_disk):
        yield


@contextmanager
def saying_if_interrupted(signals: StopSignals, on_disk: Callable[[], str]) -> Iterator[None]:
    """Stop a command that Ctrl-C or SIGTERM interrupted: ``interrupted: <on_disk()>``, 128 + n.

    For the block of a command that writes files, inside the ``with`` block of
    ``signals``, which it checks at safe points: when the interruption leaves it (after
    the block's own clean-up: temporary files, child processes), this prints one line
    on stderr, ``interrupted: `` and what is on disk then, and exits with 128 + the
    signal's number (:func:`runs.interrupts.exit_code`; the program then dies of the
    signal, :func:`main`). An error that leaves the block once a signal has come is
    the signal's doing (a worker or drawing process it ended) and is reported as the
    interruption instead.
    """
    try:
        try:
            yield
        except Exception:
            signals.check()
            raise
    except KeyboardInterrupt as exc:
        say(f"interrupted: {on_disk()}", err)
        raise typer.Exit(code=exit_code(exc)) from None


class WritingInPlace:
    """A command that writes files into an existing folder, as Ctrl-C or SIGTERM find it.

    ``what`` names what it writes (``the report``); ``folder`` is as it was until
    :attr:`written` (where it was written) is set. See :func:`writing_in_place`.
    """

    def __init__(self, what: str, folder: Path) -> None:
        self.what, self.folder = what, folder
        self.signals = StopSignals()
        self.written: str | None = None

    def on_disk(self) -> str:
        """What is on disk, for the line ``interrupted: ...``."""
        if self.written is not None:
            return f"{self.what} was already written to {self.written}"
        return f"nothing written ({self.folder}/ is as it was)"


@contextmanager
def writing_in_place(what: str, folder: Path) -> Iterator[WritingInPlace]:
    """Ctrl-C and SIGTERM stop the block at a check of its ``signals``, with one line.

    The block checks ``.signals`` between the steps that write nothing, writes its
    files (each atomically; a signal then waits), sets ``.written`` and checks again:
    ``interrupted: nothing written (FOLDER/ is as it was)`` or ``interrupted: WHAT was
    already written to WRITTEN`` (:func:`saying_if_interrupted`).
    """
    writing = WritingInPlace(what, folder)
    with writing.signals, saying_if_interrupted(writing.signals, writing.on_disk):
        yield writing


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point (``aipm``; ``python -m runs`` is the same).

    The process ends when the command does: its objects are frozen
    (:func:`gc.freeze`) so that the interpreter's exit does not search them all for
    cycles again — about half a second for a process that has imported the model.
    Files are closed by the commands themselves; memory is returned to the system.
    A command stopped by Ctrl-C or SIGTERM ends by that signal once it has cleaned up
    and said so (:func:`runs.interrupts.end_with`), so that a shell loop stops too;
    ``app`` called from Python (tests) returns or exits with 130 or 143 instead.
    """
    try:
        code = app(args=argv, prog_name="aipm", standalone_mode=False)
    finally:
        gc.freeze()
    end_with(code)


def _register_commands() -> None:
    """Add the commands that live in their own modules (sweeps, reports, app, check-model)."""
    from runs import cli_experiments, cli_report, cli_validation

    cli_experiments.register(app)
    cli_report.register(app)
    cli_validation.register(app)


_register_commands()
