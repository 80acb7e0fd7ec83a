"""Per-block random streams: the same numbers for a seed whatever the thread count.

A population of one block draws every number from the caller's generator (so runs of
up to ``BLOCK`` investors keep their bits); a larger one draws each investor's own
numbers from its block's stream, and the caller's generator only for the common shocks.
"""

import numba
import numpy as np
import pytest
from scipy import stats
from test_investors import CAPS, NAMES, make

import agents.streams as streams
from agents.streams import BlockStreams
from world.trading import BLOCK, block_bounds

N_MANY = 2 * BLOCK + 1_234


def _fills(threads: int, n: int = N_MANY, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    numba.set_num_threads(threads)
    try:
        s = BlockStreams(block_bounds(n), np.random.default_rng(seed))
        normals, uniforms = np.empty(n), np.empty((2, n))
        s.fill(normals, uniforms)
        s.fill(normals[::-1].copy())  # a second call moves every stream on
        again = np.empty(n)
        s.fill(again)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return np.concatenate([normals, again]), uniforms


def test_the_same_numbers_for_one_and_two_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba was started with one thread")
    n1, u1 = _fills(1)
    n2, u2 = _fills(2)
    np.testing.assert_array_equal(n1, n2)
    np.testing.assert_array_equal(u1, u2)


def test_streams_depend_on_the_seed_and_differ_between_blocks():
    a, ua = _fills(1, seed=11)
    b, _ = _fills(1, seed=12)
    assert not np.array_equal(a, b)
    bounds = block_bounds(N_MANY)
    first, second = a[bounds[0] : bounds[1]], a[bounds[1] : bounds[2]]
    assert not np.array_equal(first[:100], second[:100])  # no block repeats another's stream
    # the numbers are what they claim to be (one seed: a fixed sample, not a flaky test)
    assert stats.kstest(a, "norm").pvalue > 1e-3
    assert ua.min() >= 0.0 and ua.max() < 1.0
    assert stats.kstest(ua.ravel(), "uniform").pvalue > 1e-3


def test_bad_shapes_and_bounds_are_refused():
    s = BlockStreams(block_bounds(N_MANY), np.random.default_rng(0))
    with pytest.raises(ValueError, match="normals must have shape"):
        s.fill(np.empty(N_MANY - 1))
    with pytest.raises(ValueError, match="uniforms must have shape"):
        s.fill(uniforms=np.empty(2 * N_MANY))
    with pytest.raises(ValueError, match="bounds must start at 0"):
        BlockStreams([5, 10], np.random.default_rng(0))


def test_a_forked_process_gets_threads_of_its_own(monkeypatch):
    pool = streams._executor(1)
    assert streams._executor(1) is pool
    monkeypatch.setattr(streams.os, "getpid", lambda: -1)
    assert streams._executor(1) is not pool


def test_one_block_draws_everything_from_the_callers_generator():
    n = 500
    pop, rng = make(n=n, seed=5)
    assert pop._streams is None
    twin = np.random.default_rng()
    twin.bit_generator.state = rng.bit_generator.state
    pop.trade_quarter(CAPS, np.zeros(len(NAMES)), rng)
    n_l = len(NAMES) - 1
    m = pop.params.sub_rounds * 3 * (n_l + 1)
    twin.standard_normal(m + n)
    twin.random(2 * n)
    assert rng.bit_generator.state == twin.bit_generator.state


def test_many_blocks_draw_only_the_common_shocks_from_the_callers_generator():
    pop, rng = make(n=N_MANY, seed=5)
    assert pop._streams is not None and pop._streams.n_blocks == block_bounds(N_MANY).size - 1
    twin = np.random.default_rng()
    twin.bit_generator.state = rng.bit_generator.state
    pop.trade_quarter(CAPS, np.zeros(len(NAMES)), rng)
    n_l = len(NAMES) - 1
    twin.standard_normal(pop.params.sub_rounds * 3 * (n_l + 1))
    assert rng.bit_generator.state == twin.bit_generator.state
    # and a funding round's valuation noise does not touch it either
    ask = float(pop.market_caps[-1])
    pop.funding_round(0.01 * ask, ask, ask, rng)
    assert rng.bit_generator.state == twin.bit_generator.state


def _twin(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_construction_draws_from_the_callers_generator_for_one_block_only():
    p = make(n=2)[0].params
    k = len(NAMES)
    # one block: pareto, lognormal holdings, sentiment normals, the shuffle of strategies
    pop, rng = make(n=500, seed=9)
    twin = _twin(9)
    twin.pareto(p.wealth_pareto_alpha, 500)
    twin.lognormal(0.0, p.holdings_dispersion, (500, k))
    twin.standard_normal(500)
    twin.shuffle(np.zeros(500, dtype=np.int8))
    assert rng.bit_generator.state == twin.bit_generator.state
    # many blocks: the streams' seed words, then the shuffle; the rest from the streams
    pop, rng = make(n=N_MANY, seed=9)
    twin = _twin(9)
    twin.integers(0, 2**63, size=4)
    twin.shuffle(np.zeros(N_MANY, dtype=np.int8))
    assert rng.bit_generator.state == twin.bit_generator.state
    # the blocks' lognormal holdings: log-holdings less each investor's capacity scale and
    # each asset's normalisation are N(0, σ²) draws
    logs = np.log(pop.holdings / pop.capacity[:, None])
    z = (logs - logs.mean(axis=0)) / p.holdings_dispersion
    assert stats.kstest(z[:, 0], "norm").pvalue > 1e-3


@pytest.mark.parametrize(
    "bit_generator", [np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox]
)
def test_compiled_normals_are_numpys_bit_for_bit(bit_generator):
    """:func:`agents.streams.standard_normal` gives numpy's numbers and leaves its state.

    Two million draws a seed pass through the ziggurat's slow paths (the wedges and
    the tail beyond 3.65) thousands of times; the outputs of a 2-D ``out`` and of an
    empty one, and the state after every call, must also match.
    """
    for seed in (0, 7, 2025):
        ours, theirs = (
            np.random.Generator(bit_generator(seed)),
            np.random.Generator(bit_generator(seed)),
        )
        for shape in ((2_000_000,), (1_000, 9), (0,), (7,), (streams.COMPILED_NORMALS_MIN,)):
            a, b = np.empty(shape), np.empty(shape)
            streams.standard_normal(ours, a)
            theirs.standard_normal(out=b)
            np.testing.assert_array_equal(a, b)
            np.testing.assert_equal(ours.bit_generator.state, theirs.bit_generator.state)


def test_compiled_normals_reach_the_tail():
    """The two million draws above include the ziggurat's tail (|z| > 3.6541...)."""
    z = np.empty(2_000_000)
    streams.standard_normal(np.random.default_rng(0), z)
    assert (np.abs(z) > 3.6541528853610088).sum() > 200  # about 516 expected


@pytest.mark.parametrize(
    "out", [np.empty(10, dtype=np.float32), np.empty((10, 4))[:, 1], np.empty((4, 10)).T]
)
def test_compiled_normals_want_a_contiguous_float64_array(out):
    with pytest.raises(ValueError, match="C-contiguous float64"):
        streams.standard_normal(np.random.default_rng(0), out)


@pytest.mark.parametrize(
    "bit_generator", [np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox]
)
def test_a_blocks_quarter_in_one_compiled_call_is_numpys_bit_for_bit(bit_generator):
    """``_fill_quarter`` draws numpy's normals, then numpy's two rows of uniforms."""
    for seed in (0, 5):
        ours, theirs = (
            np.random.Generator(bit_generator(seed)),
            np.random.Generator(bit_generator(seed)),
        )
        for n in (300_000, 1, 0, 4_099):
            normals, uniforms = np.empty(n), np.empty((2, n))
            streams._fill_quarter(ours, normals, uniforms[0], uniforms[1])
            np.testing.assert_array_equal(normals, theirs.standard_normal(n))
            np.testing.assert_array_equal(uniforms[0], theirs.random(n))
            np.testing.assert_array_equal(uniforms[1], theirs.random(n))
            np.testing.assert_equal(ours.bit_generator.state, theirs.bit_generator.state)


def test_fill_draws_a_blocks_quarter_as_three_numpy_calls():
    """:meth:`BlockStreams.fill` of normals and uniforms: each block's numpy calls in turn."""
    n = N_MANY
    bounds = block_bounds(n)
    s = BlockStreams(bounds, np.random.default_rng(3))
    twins = [np.random.Generator(np.random.PCG64()) for _ in s.generators]
    for t, g in zip(twins, s.generators, strict=True):  # each block's stream, copied
        t.bit_generator.state = g.bit_generator.state
    normals, uniforms = np.empty(n), np.empty((2, n))
    s.fill(normals, uniforms)
    for b, t in enumerate(twins):
        lo, hi = bounds[b], bounds[b + 1]
        np.testing.assert_array_equal(normals[lo:hi], t.standard_normal(hi - lo))
        np.testing.assert_array_equal(uniforms[0, lo:hi], t.random(hi - lo))
        np.testing.assert_array_equal(uniforms[1, lo:hi], t.random(hi - lo))
