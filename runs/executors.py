"""Where the chunks of a sweep run: in this process, a local process pool, or Dask.

All three take the same task function and tasks and yield results as they
finish (in any order); at most ``2 × workers`` tasks are in flight, so a sweep of
a million runs never holds a million futures or results. Since a run's result
depends only on its parameters and seed, the executor changes the speed of a
sweep, never its results.
"""

from __future__ import annotations

import abc
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import islice
from multiprocessing import get_context
from typing import Any, Self

__all__ = [
    "DaskExecutor",
    "Executor",
    "PoolExecutor",
    "SerialExecutor",
    "available_cores",
    "make_executor",
]


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

    @abc.abstractmethod
    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in completion order."""

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
            yield fn(task)


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which then shuts the pool down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class PoolExecutor(Executor):
    """A local pool of worker processes (started with ``spawn``: no fork of threads).

    Parameters
    ----------
    workers : int, optional
        Number of processes; default: all available cores.
    """

    name = "pool"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or available_cores()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=get_context("spawn"), initializer=_ignore_sigint
        )

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield results as they finish, with at most ``2 × workers`` tasks in flight."""
        pending: set[Future] = set()
        it = iter(tasks)
        try:
            for task in it:
                pending.add(self._pool.submit(fn, task))
                if len(pending) >= 2 * self.workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        yield f.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
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


class DaskExecutor(Executor):
    """Dask distributed: a fresh ``LocalCluster`` or an existing scheduler.

    Parameters
    ----------
    address : str or distributed.Client
        ``"local"`` starts a ``LocalCluster`` (scheduler and ``workers`` worker
        processes, one thread each, on 127.0.0.1, no dashboard) that
        :meth:`close` stops; ``"tcp://HOST:PORT"`` connects to a running
        scheduler; a ``Client`` is used as is (and left open).
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
            self._cluster = LocalCluster(
                n_workers=workers or available_cores(),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
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
                nxt = next(it, None)
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
