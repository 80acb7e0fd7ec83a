"""CLI commands for reports and the app: ``aipm report DIR`` and ``aipm app``."""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from runs.commands import path_value
from runs.readback import UnreadableFile, read_json

#: The page served by ``aipm app`` (one model per browser session).
APP_FILE = Path(__file__).with_name("app.py")

#: The JSON files of a run directory its report reads; each holds one object.
RUN_JSON = ("params.json", "summary.json")

#: A host name: dot-separated labels of letters, digits and '-' (RFC 1123), at most 253.
HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def register(app: typer.Typer) -> None:
    """Add the report and app commands to ``app``."""
    app.command("report")(report)
    app.command("app")(serve_app)


def report(
    directory: Annotated[
        Path,
        typer.Argument(
            help="run directory (or sweep directory)",
            show_default=False,
            parser=path_value("DIR", "a run or sweep folder, e.g. out/baseline"),
        ),
    ],
) -> None:
    """Rebuild the report (dashboard PNG, figures, report.html) of a run or sweep directory.

    Ctrl-C or SIGTERM stop it before it writes (its files are then as they were), or
    once it has written them all: one line says which (exit 130 or 143).
    """
    from runs.cli import fail, import_on_a_short_stack, out, writing_in_place
    from runs.report_worker import can_fork

    if not directory.is_dir():
        why = "it is a file" if directory.exists() else "it does not exist"
        raise fail(f"DIR: {directory} is not a directory ({why})")
    if (directory / "system.parquet").is_file():
        if (problem := _json_problem(directory)) is not None:
            raise fail(problem)
        module = "runs.report"
    elif (directory / "runs").is_dir():
        module = "runs.sweep_report"
    else:
        raise fail(
            f"DIR: {directory} is neither a run directory (system.parquet) "
            "nor a sweep directory (runs/)"
        )
    with writing_in_place("the report", directory) as writing:
        import_on_a_short_stack(module, check=writing.signals.check)
        from runs.report import build_report
        from runs.sweep_report import build_sweep_report

        try:
            if module == "runs.report":
                # in two processes as `aipm run` draws it, where forking is safe (same files)
                processes = 2 if can_fork() else 1
                page = build_report(directory, processes=processes, check=writing.signals.check)
            else:
                page = build_sweep_report(directory, check=writing.signals.check)
        except UnreadableFile as exc:  # names the file itself
            raise fail(str(exc)) from None
        except (FileNotFoundError, ValueError) as exc:
            raise fail(f"{directory}: {exc}") from None
        writing.written = str(page)
        writing.signals.check()  # came while the files were written: they are, and it says so
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
            data = read_json(path)
        except UnreadableFile as exc:  # names the file itself
            return str(exc)
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
    from runs.cli import check_range, err, fail

    check_range("app", "--port", port)
    if (problem := listen_problem(host, port)) is not None:
        raise fail(problem)
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


def listen_problem(host: str, port: int) -> str | None:
    """Why the app's server could not listen on ``host``:``port``, naming the flag; or None.

    Checked as the server (uvicorn, through asyncio's ``create_server``) will bind:
    every address ``host`` resolves to, with ``SO_REUSEADDR``; the sockets are closed
    again at once. ``host`` must be an IP address or a host name.
    """
    if re.fullmatch(r"[0-9.]+", host) or ":" in host:  # meant as an IP address
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return f"--host: {host!r} is not a valid IP address"
    elif not HOST_NAME.match(host):
        return (
            f"--host: {host!r} is not an IP address or a host name "
            "(letters, digits, '-' and '.'; e.g. 127.0.0.1, 0.0.0.0, localhost)"
        )
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        return f"--host: cannot resolve {host!r} ({getattr(exc, 'strerror', None) or exc})"
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in infos:
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio: no dual-stack socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                return _bind_error(host, port, address[0], exc)
    except OSError as exc:  # the socket itself (an address family this machine lacks)
        return f"--host: cannot listen on {host} ({exc.strerror or exc})"
    finally:
        for sock in sockets:
            sock.close()
    return None


def _bind_error(host: str, port: int, address: str, exc: OSError) -> str:
    """The one-line error for a failed bind to ``address`` (of ``host``), naming the flag."""
    why = exc.strerror or str(exc)
    where = host if address == host else f"{host} ({address})"
    if exc.errno == errno.EADDRINUSE:
        return f"--port: {port} is already in use on {where} (pick another port)"
    if exc.errno == errno.EACCES and port < 1024:
        return f"--port: {port} needs administrator rights (allowed here: 1024 ≤ port ≤ 65535)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"--host: {where} is not an address of this machine ({why})"
    return f"--host/--port: cannot listen on {where} port {port} ({why})"
