"""The report of ``aipm run``, drawn by a second process that gets ready while the run runs.

A report costs ``aipm run`` about as much as the run itself: importing matplotlib,
loading fonts and filling matplotlib's caches, then drawing 17 panels. None of it
needs the run until the drawing, so :class:`ReportWorker` forks a child process before
the simulation: on the second core it imports the drawing modules, reads a small
Parquet table and draws a small figure (:func:`warm_up`) while the first core
simulates. Forked, it starts with what the command has imported already (numpy, the
parameters) instead of importing them again. Once the run's tables are in the run
folder (the temporary folder of :func:`runs.output.open_output`),
:meth:`ReportWorker.build` tells it to draw; it draws the figures in two processes
(:func:`runs.report.build_report` with ``processes=2``) and exits with code 0 once
every file of the report is written.

The child waits for one message on a pipe: ``draw`` to draw; the pipe closing
(:meth:`ReportWorker.close`) makes it exit without drawing. It never outlives the run:
Linux kills it when the parent dies, however the parent dies (``PR_SET_PDEATHSIG``,
:func:`runs.executors.die_with_parent`), and its own second drawing process with it.
Ctrl-C and SIGTERM end it at once, without a word (the signals' default action): the
run that started it stops, says so and cleans up (:mod:`runs.interrupts`). A failure
prints its traceback on standard error and the parent raises :class:`ReportError`.
Files are written as :func:`~runs.report.build_report` writes them (each atomically),
inside the temporary folder that is moved into place only after the report.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType

__all__ = ["DRAW", "InlineReport", "ReportError", "ReportWorker", "can_fork", "warm_up"]

DRAW = "draw"
"""The message that tells the drawing process to draw the report."""
CHECK_SECONDS = 0.05
"""How often :meth:`ReportWorker.build` calls its ``check`` while the report is drawn."""


class ReportError(RuntimeError):
    """The drawing process failed (its traceback is on standard error)."""


def can_fork() -> bool:
    """Whether the report may be drawn by forked processes here.

    Linux only: there ``fork`` is the default start method and safe for a process that
    has imported numpy; macOS's system libraries do not survive a fork, and Windows has
    none. Elsewhere ``aipm run`` draws the report in its own process after the run
    (:class:`InlineReport`): the same files, without the head start.
    """
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class InlineReport:
    """Draws the report in this process when told to (where :func:`can_fork` is false)."""

    def build(self, run_dir: Path, check: Callable[[], None] | None = None) -> None:
        """Draw the report into ``run_dir`` (``check`` is called before and after).

        Raises
        ------
        ReportError
            If drawing failed (the report's own error is its cause).
        """
        from runs.report import build_report

        if check is not None:
            check()
        try:
            build_report(Path(run_dir))
        except (OSError, ValueError, KeyError) as exc:
            raise ReportError(f"drawing the report failed ({exc}); nothing was written") from exc
        if check is not None:
            check()


class ReportWorker:
    """A drawing process for the report of one run folder (a context manager).

    Start it with no other thread running (it forks), from the thread that will wait for
    it: Linux's parent-death signal follows the thread that starts a process. Leaving
    the ``with`` block stops the process if it is still running (the run failed or was
    interrupted), before the temporary folder is removed.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        context = multiprocessing.get_context("fork")
        receive, self._go = context.Pipe(duplex=False)
        sys.stdout.flush()  # nothing buffered is copied into the child
        sys.stderr.flush()
        self._process = context.Process(
            target=_serve, args=(self.run_dir, receive, self._go, os.getpid()), name="aipm-report"
        )
        self._process.start()
        receive.close()

    @property
    def exitcode(self) -> int | None:
        """The drawing process's exit code (None while it runs)."""
        return self._process.exitcode

    def build(self, run_dir: Path, check: Callable[[], None] | None = None) -> None:
        """Draw the report into ``run_dir`` (the folder given at start) and wait for it.

        ``check`` is called every :data:`CHECK_SECONDS` while the process draws, and once
        it has ended, before its exit code is looked at: what it raises (an interruption,
        :meth:`runs.interrupts.StopSignals.check`) is raised here, and leaving the
        ``with`` block then stops the process.

        Raises
        ------
        ValueError
            If ``run_dir`` is not the folder the process was started for.
        ReportError
            If the drawing process failed.
        """
        if Path(run_dir).resolve() != self.run_dir.resolve():
            raise ValueError(f"run_dir: {run_dir} (this drawing process draws {self.run_dir})")
        with contextlib.suppress(OSError):  # it died already: its exit code says how
            self._go.send(DRAW)
        self._go.close()
        while True:
            self._process.join(CHECK_SECONDS if check is not None else None)
            if check is not None:  # first: a Ctrl-C that also ended the process is the cause
                check()
            if self._process.exitcode is not None:
                break
        if self._process.exitcode != 0:
            raise ReportError(
                f"drawing the report failed (exit code {self._process.exitcode}); "
                "nothing was written"
            )

    def close(self) -> None:
        """Stop the drawing process unless it has finished (idempotent)."""
        self._go.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()

    def __enter__(self) -> ReportWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _serve(run_dir: Path, go: Connection, parents_end: Connection, parent_pid: int) -> None:
    """The drawing process: get ready, then draw when told to (see the module docstring)."""
    from runs.executors import die_with_parent
    from runs.interrupts import end_at_once_on_signals

    end_at_once_on_signals()  # Ctrl-C reaches the whole process group: the run says so
    die_with_parent(parent_pid, watch=False)  # no thread: it forks its second process
    parents_end.close()  # so that the pipe closes when the parent's end does
    from runs.report import build_report

    warm_up()
    try:
        told = go.recv()
    except EOFError:
        return  # the run did not get as far as its report
    if told == DRAW:
        build_report(run_dir, processes=2)


def warm_up() -> None:
    """Get the drawing process ready for the report's first steps.

    Reads a one-row Parquet table (pyarrow's Parquet reader and pandas' Arrow types are
    imported here rather than when the run's tables are read: about 60 ms), draws
    and encodes one small styled figure (fonts loaded, matplotlib's caches filled),
    then builds the report's empty figures and axes (:data:`runs.report.RUN_GRIDS`,
    about 0.15 s of drawing the report; the second drawing process, forked later, gets
    them too).
    """
    import pandas as pd
    from matplotlib.figure import Figure

    from runs.figures.base import prepare_grids
    from runs.report import RUN_GRIDS, png_bytes
    from runs.style import PANEL_SIZE, styled

    table = io.BytesIO()
    pd.DataFrame({"quarter": [0], "firm": ["lab"], "cash": [1.0]}).to_parquet(table, index=False)
    table.seek(0)
    pd.read_parquet(table)

    with styled():
        fig = Figure(figsize=PANEL_SIZE)
        ax = fig.subplots()
        ax.plot([0.0, 1.0], [1.0, 0.0], label="line")
        ax.set_title("title")
        ax.set_xlabel("quarter")
        ax.legend()
        fig.suptitle("figure", fontweight="bold")
    png_bytes(fig)
    prepare_grids(RUN_GRIDS)
