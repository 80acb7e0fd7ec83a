"""The report of ``aipm run``, drawn by a second process that gets ready while the run runs.

A report costs ``aipm run`` about as much as the run itself: importing matplotlib,
loading fonts and filling matplotlib's caches, then drawing 17 panels. None of it
needs the run until the drawing, so :class:`ReportWorker` starts a child process
(``python -m runs.report_worker RUN_DIR``) before the simulation: on the second core
it imports the drawing modules and draws a small figure (:func:`warm_up`) while the
first core simulates. Once the run's tables are in ``RUN_DIR`` (the temporary folder
of :func:`runs.output.open_output`), :meth:`ReportWorker.build` tells it to draw; it
draws the figures in two processes (:func:`runs.report.build_report` with
``processes=2``) and exits with code 0 once every file of the report is written.

The protocol is one line on the child's standard input: ``draw`` to draw, nothing
(end of file) to exit without drawing — so a parent that dies never leaves a child
behind. The child's standard error is the parent's: a failure prints its traceback
there, and the parent raises :class:`ReportError`. Files are written as
:func:`~runs.report.build_report` writes them (each atomically), inside the
temporary folder that is moved into place only after the report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType

__all__ = ["DRAW", "ReportError", "ReportWorker", "main", "warm_up"]

DRAW = "draw"
"""The line that tells the drawing process to draw the report."""


class ReportError(RuntimeError):
    """The drawing process failed (its traceback is on standard error)."""


class ReportWorker:
    """A drawing process for the report of one run folder (a context manager).

    Leaving the ``with`` block stops the process if it is still running (the run
    failed or was interrupted), before the temporary folder is removed.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "runs.report_worker", str(self.run_dir.resolve())],
            stdin=subprocess.PIPE,
        )

    def build(self, run_dir: Path) -> None:
        """Draw the report into ``run_dir`` (the folder given at start) and wait for it.

        Raises
        ------
        ValueError
            If ``run_dir`` is not the folder the process was started for.
        ReportError
            If the drawing process failed.
        """
        if Path(run_dir).resolve() != self.run_dir.resolve():
            raise ValueError(f"run_dir: {run_dir} (this drawing process draws {self.run_dir})")
        self._process.communicate(f"{DRAW}\n".encode())
        if self._process.returncode != 0:
            raise ReportError(
                f"drawing the report failed (exit code {self._process.returncode}); "
                "nothing was written"
            )

    def close(self) -> None:
        """Stop the drawing process unless it has finished (idempotent)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._process.stdin is not None:
            self._process.stdin.close()

    def __enter__(self) -> ReportWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def warm_up() -> None:
    """Draw and encode one small styled figure: fonts loaded, matplotlib's caches filled."""
    from matplotlib.figure import Figure

    from runs.report import png_bytes
    from runs.style import PANEL_SIZE, styled

    with styled():
        fig = Figure(figsize=PANEL_SIZE)
        ax = fig.subplots()
        ax.plot([0.0, 1.0], [1.0, 0.0], label="line")
        ax.set_title("title")
        ax.set_xlabel("quarter")
        ax.legend()
        fig.suptitle("figure", fontweight="bold")
    png_bytes(fig)


def main(argv: list[str] | None = None) -> int:
    """The drawing process: get ready, then draw when told to (see the module docstring)."""
    (run_dir,) = sys.argv[1:] if argv is None else argv
    from runs.report import build_report

    warm_up()
    if sys.stdin.readline().strip() != DRAW:
        return 0  # the run did not get as far as its report
    build_report(Path(run_dir), processes=2)
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the run says so
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # Every file is written and closed: exit without tearing down the drawing modules'
    # objects (a third of a second the run would wait for).
    os._exit(code)
