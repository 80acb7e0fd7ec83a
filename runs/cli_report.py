"""CLI commands for reports and the app: ``aipm report DIR`` and ``aipm app``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

#: The page served by ``aipm app`` (one model per browser session).
APP_FILE = Path(__file__).with_name("app.py")

#: The JSON files of a run directory its report reads; each holds one object.
RUN_JSON = ("params.json", "summary.json")


def register(app: typer.Typer) -> None:
    """Add the report and app commands to ``app``."""
    app.command("report")(report)
    app.command("app")(serve_app)


def report(
    directory: Annotated[
        Path, typer.Argument(help="run directory (or sweep directory)", show_default=False)
    ],
) -> None:
    """Rebuild the report (dashboard PNG, figures, report.html) of a run or sweep directory."""
    from runs.cli import fail, out
    from runs.report import build_report
    from runs.sweep_report import build_sweep_report

    if not directory.is_dir():
        why = "it is a file" if directory.exists() else "it does not exist"
        raise fail(f"DIR: {directory} is not a directory ({why})")
    if (directory / "system.parquet").is_file():
        build = build_report
        if (problem := _json_problem(directory)) is not None:
            raise fail(problem)
    elif (directory / "runs").is_dir():
        build = build_sweep_report
    else:
        raise fail(
            f"DIR: {directory} is neither a run directory (system.parquet) "
            "nor a sweep directory (runs/)"
        )
    try:
        page = build(directory)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(f"{directory}: {exc}") from None
    out.print(f"wrote {page}")


def _json_problem(run_dir: Path) -> str | None:
    """What is wrong with a :data:`RUN_JSON` file of ``run_dir``, naming it; None if nothing.

    A missing file is left to the report (it names it, or does without a summary).
    """
    for name in RUN_JSON:
        path = run_dir / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # JSONDecodeError, UnicodeDecodeError
            return f"{path}: cannot read it as JSON ({exc})"
        if not isinstance(data, dict):
            return f"{path}: not a JSON object (aipm run writes one: {{...}})"
    return None


def serve_app(
    port: Annotated[int, typer.Option(help="TCP port, 1..65535")] = 8765,
    host: Annotated[
        str, typer.Option(help="address to bind (loopback by default; others expose the app)")
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="open a browser tab")
    ] = False,
) -> None:
    """Serve the interactive app (one model per browser session) until interrupted."""
    from runs.cli import check_range, err

    check_range("app", "--port", port)
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP_FILE),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]
    err.print(f"aipm app on http://{host}:{port}/ (Ctrl-C stops it)", highlight=False)
    sys.stderr.flush()
    # become the server (same process id): signals and exit codes reach it directly
    os.execv(sys.executable, command)
