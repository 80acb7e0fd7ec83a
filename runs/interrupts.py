"""Ctrl-C and SIGTERM: a command stops at a safe point, says so in one line, exits 128 + n.

Python turns Ctrl-C (SIGINT) into a KeyboardInterrupt raised wherever the main thread
is at that moment, and ``aipm run`` did the same with SIGTERM. Raised there, it could
land inside an object's ``__del__`` or a ctypes callback of numba's compiler (printed
as "Exception ignored ..." and lost: the run went on), inside an import (numba then
failed with an ImportError and a traceback), or between a fork and its bookkeeping.
:class:`StopSignals` records the signal instead, and the command stops where stopping
is safe: it calls :meth:`StopSignals.check` between the steps of its work (between
quarters, before writing, while it waits for another process), which raises
:class:`Interrupted`, a KeyboardInterrupt that says which signal came. The command's
clean-up (its temporary folder, its child processes) then runs as for any error, with
no signal able to cut it short: later signals are recorded too, and ignored.

Exit codes follow the shell's convention, 128 + the signal's number
(:func:`exit_code`): 130 after Ctrl-C, 143 after SIGTERM — the status a shell shows
for a process that the signal ends before a command starts handling it (while Python
imports the command line). The ``aipm`` program itself ends with
:func:`end_with`: once it has cleaned up and said so, it dies of the signal that
stopped it, as that signal's default action would have ended it, so that a shell loop
(``for s in a b; do aipm run $s; done``) or ``make`` stops too; a shell still shows
130 or 143.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType, TracebackType
from typing import Any, NoReturn

__all__ = [
    "STOP_SIGNALS",
    "Interrupted",
    "StopSignals",
    "end_at_once_on_signals",
    "end_with",
    "exit_code",
    "no_check",
    "sigterm_as_interrupt",
]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop a command: Ctrl-C and ``kill``'s default (also a scheduler's)."""


class Interrupted(KeyboardInterrupt):
    """A command was stopped by the signal ``signum`` (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


def exit_code(exc: BaseException) -> int:
    """128 + the signal's number for an :class:`Interrupted`; 130 for another KeyboardInterrupt.

    A plain KeyboardInterrupt is Python's own Ctrl-C (SIGINT, number 2).
    """
    return 128 + getattr(exc, "signum", signal.SIGINT)


def no_check() -> None:
    """The default ``check`` of a command's steps (a report, an analysis): nothing stops them."""


def end_with(code: int) -> NoReturn:
    """End this process with exit code ``code``; an interruption's (130, 143) by its signal.

    A shell stops a loop, and ``make`` its recipe, only if the command died of SIGINT:
    a command that exits with 130 is taken to have handled Ctrl-C as a request of its
    own (Cracauer, "Proper handling of SIGINT/SIGQUIT"; CPython dies of SIGINT after an
    uncaught KeyboardInterrupt since 3.8). So for 128 + n, n being SIGINT or SIGTERM,
    this flushes standard output and error, runs the exit functions (:mod:`atexit`) as
    an exit would, then sets the signal's default action and sends it to this process:
    the shell shows 130 or 143 as before, and a parent in Python sees ``-n``
    (:attr:`subprocess.Popen.returncode`). For the program's entry point only
    (:func:`runs.cli.main`): a caller in Python gets the code returned instead.
    """
    signum = code - 128
    if signum not in STOP_SIGNALS or os.name != "posix":
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe or stream: nothing to flush
            stream.flush()
    atexit._run_exitfuncs()
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    os.kill(os.getpid(), signum)
    sys.exit(code)  # not reached: the signal has ended the process


class StopSignals:
    """Record SIGINT and SIGTERM in the ``with`` block; :meth:`check` raises them.

    The first signal is kept in :attr:`received`; every later one is ignored (``timeout``
    sends its signal twice, to the process and to its group). A signal this process
    ignored when it started stays ignored (a shell starts a background job, ``cmd &``,
    with Ctrl-C ignored). Leaving the block restores the previous handlers. Only the
    main thread may set handlers: in another thread the block changes nothing and
    :meth:`check` never raises.

    ``on_signal``, if given (or set later, e.g. once the executor exists), is called by
    the handler at the first signal, in the main thread between two of its bytecodes,
    wherever it is: it must do no more than set a flag (:meth:`runs.executors.Executor.stop`:
    no new work starts while the command waits for the work under way).
    """

    def __init__(self, on_signal: Callable[[], None] | None = None) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}
        self.on_signal = on_signal

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal has come (again at every later call).

        Raises
        ------
        Interrupted
            With the first signal received in the block.
        """
        if self.received is not None:
            raise Interrupted(self.received)

    def _record(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            if self.on_signal is not None:
                self.on_signal()

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._record)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


def end_at_once_on_signals() -> None:
    """Let SIGINT and SIGTERM end this process at once, quietly (their default action).

    For a helper process forked by a command (the report's drawing processes): Ctrl-C
    reaches every process of the terminal's process group, and ``timeout`` or a job
    scheduler signal the group too. The helper ends without a word (no traceback
    from wherever the signal landed) and the command that started it, which gets the
    signal as well or sees its helper end, stops, says so and cleans up. A signal
    ignored (inherited so) stays ignored.
    """
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` at once, wherever it lands, as Ctrl-C does.

    For commands that are safe to stop at any point (``aipm sweep --workers 1``: whatever
    a stop leaves, ``--resume`` completes); :class:`StopSignals` is the careful kind.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
