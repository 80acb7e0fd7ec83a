"""Random streams per block of investors: a large population's draws on all threads.

A population of more than one block (:func:`world.trading.block_bounds`: the cut
depends on the number of investors only) draws each investor's own random numbers —
the sentiment noise and the two uniforms of a quarter, the valuation noise of a
funding round — from its block's generator, seeded once from the model's generator.
The blocks are filled on numba's threads (a numpy generator releases the GIL while it
fills an array), so a seed gives the same numbers whatever the thread count, and at
1e6 investors the draws take half the time they take on one core. A population of
one block draws from the model's generator instead
(:class:`agents.investors.InvestorPopulation`).

Standard normals are drawn by :func:`standard_normal`: numba's compiled
``Generator.standard_normal`` (numpy's ziggurat, the same numbers and the same state
after them as ``numpy.random.Generator.standard_normal``) takes 3.8 ns a draw where
numpy's takes 11 ns on the machines we measured.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["BlockStreams", "standard_normal"]

FloatArray = NDArray[np.float64]

_pool: tuple[int, int, ThreadPoolExecutor] | None = None
"""(process id, threads, executor): the draws' threads, made again in a forked child."""


def _executor(threads: int) -> ThreadPoolExecutor:
    """A pool of at least ``threads`` threads owned by this process."""
    global _pool
    pid = os.getpid()
    if _pool is None or _pool[0] != pid or _pool[1] < threads:
        if _pool is not None and _pool[0] == pid:  # a larger pool replaces this one's threads
            _pool[2].shutdown(wait=False)
        _pool = (pid, threads, ThreadPoolExecutor(threads, thread_name_prefix="aipm-draws"))
    return _pool[2]


@njit(cache=True, nogil=True)
def _fill_standard_normal(g, out):  # pragma: no cover - compiled
    """``out[i] = g.standard_normal()`` in turn (numba's port of numpy's ziggurat)."""
    for i in range(out.shape[0]):
        out[i] = g.standard_normal()


@njit(cache=True, nogil=True)
def _fill_quarter(g, normals, u0, u1):  # pragma: no cover - compiled
    """A block's draws of a quarter in one compiled call: ``normals``, then ``u0``, then ``u1``.

    The normals are numba's port of numpy's ziggurat and the uniforms its
    ``Generator.random`` (the bit generator's own ``next_double``): numpy's numbers,
    in numpy's order, at about 0.7 ns an investor less than three calls (one release
    of the GIL, not three; 4.2 against 4.9 ns at 1e6 investors on two threads).
    """
    _fill_standard_normal(g, normals)
    for i in range(u0.shape[0]):
        u0[i] = g.random()
    for i in range(u1.shape[0]):
        u1[i] = g.random()


COMPILED_NORMALS_MIN = 2_048
"""Draws from which :func:`standard_normal` calls the compiled loop: each call spends
about 10 us handing the generator to numba, the time numpy takes for ~1,300 draws."""


def standard_normal(rng: np.random.Generator, out: FloatArray) -> None:
    """Fill ``out`` with standard normals from ``rng``: ``rng.standard_normal(out=out)``, faster.

    The same numbers, in the same order, and ``rng`` left in the same state as numpy's
    method (``tests/test_streams.py`` checks both over millions of draws, tails
    included); from :data:`COMPILED_NORMALS_MIN` draws they are made by compiled code
    that releases the GIL, fewer by numpy. ``out`` is a C-contiguous float64 array of
    any shape.
    """
    if out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError("out must be a C-contiguous float64 array")
    if out.size < COMPILED_NORMALS_MIN:
        rng.standard_normal(out=out)
    else:
        _fill_standard_normal(rng, out.reshape(-1))


class BlockStreams:
    """One generator per block of investors, filled on all of numba's threads.

    Parameters
    ----------
    bounds : sequence of int
        Start of each block and the end of the last (:func:`world.trading.block_bounds`).
    rng : numpy.random.Generator
        The model's generator: four 63-bit words drawn from it seed every block's
        stream (``SeedSequence.spawn``), so the streams depend on the seed only.
    """

    def __init__(self, bounds: Sequence[int], rng: np.random.Generator) -> None:
        self.bounds = [int(b) for b in bounds]
        if len(self.bounds) < 2 or self.bounds[0] != 0:
            raise ValueError(f"bounds must start at 0 and hold at least one block, got {bounds!r}")
        entropy = [int(x) for x in rng.integers(0, 2**63, size=4)]
        seeds = np.random.SeedSequence(entropy).spawn(len(self.bounds) - 1)
        self.generators = [np.random.Generator(np.random.PCG64(s)) for s in seeds]

    @property
    def n_blocks(self) -> int:
        """Number of blocks (one generator each)."""
        return len(self.generators)

    def fill(self, normals: FloatArray | None = None, uniforms: FloatArray | None = None) -> None:
        """Fill ``normals`` (n) with standard normals and ``uniforms`` (2, n) with U[0, 1).

        Block ``b`` fills its investors' slice of ``normals``, then of ``uniforms[0]``,
        then of ``uniforms[1]``, from its own generator, whichever thread runs it.
        """
        n = self.bounds[-1]
        for name, arr, shape in (("normals", normals, (n,)), ("uniforms", uniforms, (2, n))):
            if arr is not None and arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")

        def draw(g: np.random.Generator, lo: int, hi: int) -> None:
            if normals is not None and uniforms is not None and hi - lo >= COMPILED_NORMALS_MIN:
                _fill_quarter(g, normals[lo:hi], uniforms[0, lo:hi], uniforms[1, lo:hi])
                return
            if normals is not None:
                standard_normal(g, normals[lo:hi])
            if uniforms is not None:
                g.random(out=uniforms[0, lo:hi])
                g.random(out=uniforms[1, lo:hi])

        self.each_block(draw)

    def each_block(self, work: Callable[[np.random.Generator, int, int], None]) -> None:
        """``work(generator, lo, hi)`` for every block (investors ``lo..hi-1``), on all threads.

        The blocks are shared out evenly between numba's threads, this one included;
        ``work`` must write only its block's rows, so the thread that runs a block
        does not matter.
        """

        def run(blocks: range) -> None:
            for b in blocks:
                work(self.generators[b], self.bounds[b], self.bounds[b + 1])

        _on_threads(run, self.n_blocks)


def _on_threads(work: Callable[[range], None], n_blocks: int) -> None:
    """``work`` over blocks ``0..n_blocks-1``: an even share per thread, this one included."""
    threads = min(numba.get_num_threads(), n_blocks)
    if threads <= 1:
        work(range(n_blocks))
        return
    cuts = [(t * n_blocks) // threads for t in range(threads + 1)]
    pool = _executor(threads - 1)
    futures = [pool.submit(work, range(cuts[t], cuts[t + 1])) for t in range(1, threads)]
    work(range(cuts[0], cuts[1]))
    for f in futures:
        f.result()
