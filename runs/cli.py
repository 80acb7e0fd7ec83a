"""Command line: ``aipm run``, ``aipm validate`` (and the commands added by later modules).

Bad input (scenario files, flags) exits with code 2 and one line on stderr naming the
field and the allowed range; nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from runs.scenario import ScenarioError, apply_overrides, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="aipm — AI Perpetual Motion: an agent-based model of AI circular financing.",
)
err = Console(stderr=True)
out = Console()

ScenarioPath = Annotated[Path, typer.Argument(help="scenario TOML file", show_default=False)]


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the exit (code 2) to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def check_range(flag: str, value: int, lo: int, hi: int) -> None:
    """Reject an out-of-range integer flag with a one-line error (exit 2)."""
    if not lo <= value <= hi:
        raise fail(f"{flag}: {value} is out of range (allowed: {lo} ≤ {flag.lstrip('-')} ≤ {hi})")


@app.command()
def validate(scenario: ScenarioPath) -> None:
    """Check a scenario file; print a one-line summary or a one-line error (exit 2)."""
    try:
        s = load_scenario(scenario)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    out.print(
        f"ok: {s.name} — {len(s.firms)} firms, {len(s.deals)} deals, "
        f"{s.quarters} quarters from {s.start}"
    )


@app.command()
def run(
    scenario: ScenarioPath,
    seed: Annotated[int, typer.Option(help="random seed, 0 ≤ seed < 2**63")] = 0,
    quarters: Annotated[int | None, typer.Option(help="override the horizon, 1..400")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="output directory (default out/NAME)")
    ] = None,
    report: Annotated[bool, typer.Option(help="write the report (PNG + HTML)")] = True,
    investor_snapshots: Annotated[
        int,
        typer.Option(
            "--investor-snapshots",
            help="write investors.parquet: investor-level snapshots every N quarters (0: off)",
        ),
    ] = 0,
) -> None:
    """Run a scenario and write params.json, firms/system/deals Parquet and the report."""
    from runs.output import write_run
    from runs.simulate import simulate

    check_range("--seed", seed, 0, 2**63 - 1)
    check_range("--investor-snapshots", investor_snapshots, 0, 400)
    try:
        s = load_scenario(scenario)
        if quarters is not None:
            check_range("--quarters", quarters, 1, 400)
            s = apply_overrides(s, {"quarters": quarters})
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    target = out_dir if out_dir is not None else Path("out") / s.name
    if target.exists() and not target.is_dir():
        raise fail(f"--out: {target} exists and is not a directory")
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
        result = simulate(
            s,
            seed,
            on_quarter=lambda k: progress.update(task, completed=k),
            investor_snapshots=investor_snapshots,
        )

    def add_report(tmp: Path) -> None:
        if report:
            from runs.report import build_report

            build_report(tmp)

    write_run(result, target, extra_files=add_report)
    last = result.firms[result.firms.quarter == result.firms.quarter.max()]
    out.print(
        f"wrote {target}/ — {s.quarters} quarters, seed {seed}, "
        f"regime {result.summary['regime']}, {int(last.defaulted.sum())} defaulted firms"
    )


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (usage errors exit 2)."""
    try:
        app(args=argv)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


def _register_commands() -> None:
    """Add the commands that live in their own modules (sweeps, reports, app, check-model)."""
    from runs import cli_experiments, cli_report, cli_validation

    cli_experiments.register(app)
    cli_report.register(app)
    cli_validation.register(app)


_register_commands()
