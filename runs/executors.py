"""Where the chunks of a sweep run: in this process, a local process pool, or Dask.

All three take the same task function and tasks and yield results as they
finish (in any order); at most ``2 × workers`` tasks are in flight, so a sweep of
a million runs never holds a million futures or results. Since a run's result
depends only on its parameters and seed, the executor changes the speed of a
sweep, never its results.

:meth:`Executor.stop` (safe in a signal handler: it only sets flags) ends the work
early: no task starts after it, the tasks already started finish and their results
are still yielded. A process pool hands a task to its workers' queue before one of
them takes it (``concurrent.futures`` then counts it as running: it can no longer be
cancelled), so the pool's workers read a shared flag before each task and skip the
task once it is set.

Workers die with the process that started them, even when it is killed with
``kill -9`` (which no clean-up code sees): pool workers ask Linux for SIGKILL
when their parent dies (``prctl(PR_SET_PDEATHSIG)``) and watch their parent
process id from a thread as a portable fallback (:func:`die_with_parent`); with
the workers gone, multiprocessing's resource tracker sees its pipe close and
exits too. Dask's worker processes watch their nanny the same way.
"""

from __future__ import annotations

import abc
import atexit
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from itertools import islice
from multiprocessing import get_context
from typing import Any, Self

__all__ = [
    "DaskExecutor",
    "Executor",
    "PoolExecutor",
    "SerialExecutor",
    "available_cores",
    "die_with_parent",
    "make_executor",
]

PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: signal this process when its parent (thread) exits."""
WATCH_SECONDS = 0.5
"""How often the fallback watchdog checks that the parent is alive."""


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Executor(abc.ABC):
    """Runs ``fn(task)`` for each task, yielding results as they finish."""

    name: str = "executor"
    workers: int = 1
    stopping: bool = False
    """Whether :meth:`stop` was called (then no task starts any more)."""

    @abc.abstractmethod
    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in completion order (until :meth:`stop`)."""

    def stop(self) -> None:
        """Start no task from now on (for good: a stopped executor runs nothing more).

        The tasks started finish, and ``imap_unordered`` yields their results, then ends.
        Safe to call from a signal handler (it only sets flags). The ``--dask`` executor
        stops handing tasks to the cluster; those it handed over (up to ``2 × workers``) run.
        """
        self.stopping = True

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        """``fn(task)`` for every task, in the tasks' order (computed in any order)."""
        indexed = list(enumerate(tasks))
        out: list[Any] = [None] * len(indexed)
        for i, result in self.imap_unordered(partial(_indexed, fn), indexed):
            out[i] = result
        return out

    def close(self) -> None:  # noqa: B027 - a no-op unless the executor owns workers
        """Release workers (no-op for executors that own none)."""

    def warm_up(self) -> None:
        """Start every worker and import the model there (optional; for benchmarks)."""
        from runs.worker import warm_up

        warm_up()

    def describe(self) -> str:
        """Short label for summaries, e.g. ``pool×4``."""
        return f"{self.name}×{self.workers}"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs every task in this process, in order."""

    name = "serial"

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` in task order."""
        for task in tasks:
            if self.stopping:
                return
            yield fn(task)


def _indexed(fn: Callable[[Any], Any], item: tuple[int, Any]) -> tuple[int, Any]:
    """``(i, fn(task))`` for ``item = (i, task)`` (module level: it crosses processes)."""
    i, task = item
    return i, fn(task)


def _set_pdeathsig() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; whether that worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent_pid:  # re-parented: the parent is gone
            os._exit(1)


def die_with_parent(parent_pid: int, *, pdeathsig: bool = True, watch: bool = True) -> None:
    """Make this process exit as soon as its parent ``parent_pid`` dies.

    Sets ``PR_SET_PDEATHSIG`` on Linux (``pdeathsig``: only safe when the parent
    thread that started this process lives as long as the parent process) and
    starts a daemon thread that polls :func:`os.getppid` every
    :data:`WATCH_SECONDS` (every platform; ``watch=False``: no thread, for a
    process that forks later, on Linux, where the signal suffices). Exits at once
    if the parent is already gone.
    """
    if pdeathsig:
        _set_pdeathsig()
    if os.getppid() != parent_pid:
        os._exit(1)
    if not watch:
        return
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="aipm-parent-watch", daemon=True
    ).start()


_stopping: Any = None
"""In a pool worker: its pool's shared stop flag (a ``RawValue``, set by :func:`_init_worker`)."""


class _Skipped:
    """What a pool worker returns for a task it did not start: its pool was stopped."""


def _init_worker(parent_pid: int, pdeathsig: bool, stopping: Any) -> None:
    """Pool worker set-up: leave Ctrl-C to the parent; die with the parent; keep the flag.

    A worker also ends without the interpreter's teardown (the last exit function it
    runs is :func:`os._exit`): by then it has sent every result and flushed its output,
    and freeing the model's modules one by one kept the pool's ``close`` — and so the
    end of every sweep and of every stop — waiting 0.5 to 1.2 s more.
    """
    global _stopping
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid, pdeathsig=pdeathsig)
    _stopping = stopping
    atexit.register(os._exit, 0)  # after the exit functions registered later (the model's)


def _unless_stopped(fn: Callable[[Any], Any], task: Any) -> Any:
    """``fn(task)`` in a pool worker, or a :class:`_Skipped` if the pool was stopped first."""
    if _stopping is not None and _stopping.value:
        return _Skipped()
    return fn(task)


class PoolExecutor(Executor):
    """A local pool of worker processes (started with ``spawn``: no fork of threads).

    Workers exit when this process dies, however it dies (see the module
    docstring). Use the executor from the thread that created it: Linux's
    parent-death signal follows the thread that starts a worker.

    Parameters
    ----------
    workers : int, optional
        Number of processes; default: all available cores.
    """

    name = "pool"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or available_cores()
        main = threading.current_thread() is threading.main_thread()
        context = get_context("spawn")
        # shared memory, no lock: a signal handler may set it (stop) at any moment
        self._stopping = context.RawValue(ctypes.c_bool, False)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(os.getpid(), main, self._stopping),
        )

    def stop(self) -> None:
        """Start no task from now on (:meth:`Executor.stop`), nor let a worker start one."""
        self._stopping.value = True
        self.stopping = True

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield results as they finish, with at most ``2 × workers`` tasks in flight."""
        pending: set[Future] = set()
        it = iter(tasks)
        try:
            for task in it:
                if self.stopping:
                    break
                pending.add(self._pool.submit(_unless_stopped, fn, task))
                if len(pending) >= 2 * self.workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from _started(done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from _started(done)
        except BrokenProcessPool:
            if not self.stopping:
                raise
            # the signal that stopped it reached the workers too (Ctrl-C's and a scheduler's
            # go to the whole process group): the tasks under way died with them
        finally:
            for f in pending:
                f.cancel()

    def warm_up(self) -> None:
        """Start the worker processes and import the model in each."""
        from runs.worker import warm_up

        pids: set[int] = set()
        for _ in range(10):
            futures = [self._pool.submit(warm_up, 0.2) for _ in range(self.workers)]
            pids.update(f.result() for f in futures)
            if len(pids) >= self.workers:
                return

    def close(self) -> None:
        """Shut the pool down, cancelling queued tasks."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _started(done: set[Future]) -> Iterator[Any]:
    """Results of the tasks in ``done`` that a worker started (not skipped after a stop)."""
    for f in done:
        result = f.result()
        if not isinstance(result, _Skipped):
            yield result


class DaskExecutor(Executor):
    """Dask distributed: a fresh ``LocalCluster`` or an existing scheduler.

    Parameters
    ----------
    address : str or distributed.Client
        ``"local"`` starts a ``LocalCluster`` (scheduler and ``workers`` worker
        processes, one thread each, on 127.0.0.1, no dashboard and no statistical
        profiler in the workers) that :meth:`close` stops; ``"tcp://HOST:PORT"``
        connects to a running scheduler; a ``Client`` is used as is (and left open).
    workers : int, optional
        Worker processes of a local cluster; default: all available cores.
    timeout : float
        Seconds to wait for a remote scheduler.
    """

    name = "dask"

    def __init__(
        self, address: Any = "local", workers: int | None = None, timeout: float = 10.0
    ) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        self._own_client = True
        if isinstance(address, Client):
            self.client, self._own_client = address, False
        elif address == "local":
            import dask

            # No dashboard and no HTTP pages: the scheduler's HTTP server (which
            # Dask starts even without a dashboard, on port 8787 by default)
            # listens on a free loopback port and serves no route. No statistical
            # profiler in the workers either: it samples the running task's stack
            # every 10 ms for a dashboard nobody sees, taking the GIL from the
            # model: a baseline run in a worker's task took 20-30% longer with it
            # and a whole one-worker sweep about 4% (docs/explanation/performance.md).
            quiet = {
                "distributed.scheduler.http.routes": [],
                "distributed.worker.http.routes": [],
                "distributed.worker.profile.enabled": False,
            }
            with dask.config.set(quiet):
                self._cluster = LocalCluster(
                    n_workers=workers or available_cores(),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                )
            self.client = Client(self._cluster)
            self.client.wait_for_workers(len(self._cluster.workers))
        else:
            self.client = Client(address, timeout=timeout)
        self.address = self.client.scheduler.address
        self.workers = max(1, sum(self.client.nthreads().values()))

    def warm_up(self) -> None:
        """Import the model on every worker."""
        from runs.worker import warm_up

        self.client.run(warm_up)

    def describe(self) -> str:
        """Label with the scheduler address."""
        return f"dask×{self.workers} ({self.address})"

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield results as they finish, with at most ``2 × workers`` tasks in flight."""
        from distributed import as_completed

        it = iter(tasks)
        first = [self.client.submit(fn, t, pure=False) for t in islice(it, 2 * self.workers)]
        queue = as_completed(first)
        try:
            for future in queue:
                result = future.result()
                future.release()
                nxt = None if self.stopping else next(it, None)
                if nxt is not None:
                    queue.add(self.client.submit(fn, nxt, pure=False))
                yield result
        finally:
            for future in queue.futures:
                future.cancel()

    def close(self) -> None:
        """Close the client and stop a cluster this executor started."""
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None = None, dask: Any = None, timeout: float = 10.0) -> Executor:
    """Executor for the CLI flags: ``--dask`` wins; else ``--workers 1`` is serial, else a pool."""
    if dask is not None:
        return DaskExecutor(dask, workers, timeout=timeout)
    if workers == 1:
        return SerialExecutor()
    return PoolExecutor(workers)
