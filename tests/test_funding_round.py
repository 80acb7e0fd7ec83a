"""Funding rounds by selection (O(n)) agree with the sorted reference they replaced."""

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_investors import FLOAT, NAMES, PRICES, SHARES

from agents.investors import InvestorPopulation, RoundOutcome
from world.market import InvestorParams
from world.rounds import (
    FEW_TIES,
    FULL,
    QUOTE_FLOATS,
    ROUND_FLOATS,
    ROUND_INTS,
    SCATTERED,
    SELECT_MIN,
    UNDERSUBSCRIBED,
    _sort_indices,
    _valuations_range,
    allocate,
    best_first,
    marginal_bid,
    primary_round,
    primary_round_into,
    round_bids,
    secondary_quote,
    secondary_quote_into,
    settle,
)
from world.rounds import valuations as bid_valuations
from world.trading import BLOCK


def sorted_reference(res, commit, valid, sought, ask, min_subscription):
    """The former algorithm: sort every valid bid, cumulative sums, ``searchsorted``."""
    order = valid[np.argsort(-res[valid], kind="stable")]
    cum = np.cumsum(commit[order])
    total = float(cum[-1]) if cum.size else 0.0
    if cum.size == 0 or total < min_subscription * sought:
        return RoundOutcome.FAILED, np.array([], dtype=np.int64), np.array([]), None
    if total >= sought:
        m = int(np.searchsorted(cum, sought, side="left"))
        outcome = RoundOutcome.FULL
    else:
        m = cum.size - 1
        outcome = RoundOutcome.UNDERSUBSCRIBED
    winners = order[: m + 1]
    fills = commit[winners]
    if outcome is RoundOutcome.FULL:
        fills[-1] = sought - (float(cum[m - 1]) if m > 0 else 0.0)
    return outcome, winners, fills, min(float(res[order[m]]), ask)


# a few distinct valuations, so that ties are common
valuations = st.sampled_from([1.0, 2.0, 2.5, 3.0, 7.0]) | st.floats(0.5, 10.0)


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 60), elements=valuations),
    st.data(),
)
def test_marginal_bid_is_the_sorted_crossing(res, data):
    n = res.size
    commit = data.draw(arrays(np.float64, n, elements=st.floats(0.01, 5.0)))
    valid = np.flatnonzero(data.draw(arrays(np.bool_, n))).astype(np.int64)
    if valid.size == 0:
        return
    order = valid[np.argsort(-res[valid], kind="stable")]
    cum = np.cumsum(commit[order])
    sought = data.draw(st.floats(0.0, 1.0)) * cum[-1]
    # away from last-bit ties with a running total (there, summation order decides)
    assume(sought > 0.0 and np.all(np.abs(cum - sought) > 1e-9 * cum[-1]))
    expected = order[np.searchsorted(cum, sought, side="left")]
    assert marginal_bid(res, commit, valid, sought) == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.data())
def test_sort_indices_sorts_a_slice_in_place(n, data):
    """Both ways (insertion, marking) sort ``idx[lo:hi]`` ascending and leave the rest."""
    idx = np.array(data.draw(st.permutations(range(n))), dtype=np.int64)
    lo = data.draw(st.integers(0, n))
    hi = data.draw(st.integers(lo, n))
    expected = idx.copy()
    expected[lo:hi] = np.sort(idx[lo:hi])
    _sort_indices(idx, lo, hi, n)
    np.testing.assert_array_equal(idx, expected)


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, st.integers(FEW_TIES + 1, 400), elements=st.sampled_from([1.0, 2.0])),
    st.data(),
)
def test_marginal_bid_among_many_equal_valuations(res, data):
    """More than FEW_TIES bids at the marginal valuation: they are taken in investor order."""
    n = res.size
    commit = data.draw(arrays(np.float64, n, elements=st.floats(0.01, 5.0)))
    valid = np.arange(n, dtype=np.int64)
    order = valid[np.argsort(-res, kind="stable")]
    cum = np.cumsum(commit[order])
    sought = data.draw(st.floats(0.0, 1.0)) * cum[-1]
    assume(sought > 0.0 and np.all(np.abs(cum - sought) > 1e-9 * cum[-1]))
    marginal = order[np.searchsorted(cum, sought, side="left")]
    assume(np.count_nonzero(res == res[marginal]) > FEW_TIES)  # the marking path
    assert marginal_bid(res, commit, valid, sought) == marginal


@settings(max_examples=300, deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(0, 80),
        elements=st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, np.inf, -np.inf, 1e-310])
        | st.floats(allow_nan=False),
    ),
    st.data(),
)
def test_best_first_is_the_stable_sort(res, data):
    idx = np.flatnonzero(data.draw(arrays(np.bool_, res.size))).astype(np.int64)
    if data.draw(st.booleans()):  # any order, not only ascending
        idx = np.array(data.draw(st.permutations(idx)), dtype=np.int64)
    expected = idx[np.argsort(-res[idx], kind="stable")]
    assert best_first(res, idx).tolist() == expected.tolist()


def _many_valuations(kind, m, rng):
    """``m`` valuations of a kind that stresses the bucketing of large rounds."""
    if kind == "spread":  # three anchors, lognormal noise: the model's rounds
        return rng.choice([944.0, 300.0, 310.0], m) * rng.lognormal(0.0, 0.4, m)
    if kind == "ties":  # a few values: whole buckets of equal keys
        return rng.choice([1.0, 2.0, 2.5, 3.0], m)
    if kind == "extremes":  # infinite, subnormal, huge and zero valuations side by side
        return rng.choice([np.inf, 1e-310, 1e300, 0.0, -0.0, 5.0], m) * rng.uniform(1, 2, m)
    if kind == "narrow":  # keys that differ in their last bits only
        return 1.0 + rng.integers(0, 1_000, m) * np.finfo(float).eps
    return np.full(m, 7.0)  # all equal


@pytest.mark.parametrize("kind", ["spread", "ties", "extremes", "narrow", "equal"])
@pytest.mark.parametrize("m", [SELECT_MIN, 3 * SELECT_MIN + 17])
def test_marginal_bid_of_many_bids_is_the_sorted_crossing(kind, m):
    """From SELECT_MIN valid bids the selection buckets them first: the same marginal bid."""
    rng = np.random.default_rng(m)
    n = m + m // 9
    res = _many_valuations(kind, n, rng)
    commit = rng.uniform(0.01, 5.0, n)
    valid = np.sort(rng.choice(n, m, replace=False)).astype(np.int64)
    order = valid[np.argsort(-res[valid], kind="stable")]
    cum = np.cumsum(commit[order])
    checked = 0
    for share in np.linspace(0.001, 0.999, 41):
        sought = share * cum[-1]
        if np.any(np.abs(cum - sought) <= 1e-9 * cum[-1]):
            continue  # a last-bit tie with a running total: summation order decides
        expected = order[np.searchsorted(cum, sought, side="left")]
        assert marginal_bid(res, commit, valid, sought) == expected
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize("kind", ["spread", "ties", "extremes", "narrow", "equal"])
def test_best_first_of_many_bids_is_the_stable_sort(kind):
    """Large sorts (an odd or even number of radix passes, scratch reused): argsort's order."""
    rng = np.random.default_rng(3)
    res = _many_valuations(kind, 3 * SELECT_MIN, rng)
    idx = rng.permutation(res.size)[: 2 * SELECT_MIN].astype(np.int64)
    expected = idx[np.argsort(-res[idx], kind="stable")]
    np.testing.assert_array_equal(best_first(res, idx), expected)


def _population(n, seed, **kw):
    params = InvestorParams(n_investors=n, **kw)
    return InvestorPopulation(
        params, NAMES, SHARES, PRICES, FLOAT, np.random.default_rng(seed),
        private_assets=["OpenAI"],
    )  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 3_000) | st.sampled_from([SELECT_MIN + 321, 3 * SELECT_MIN]),
    seed=st.integers(0, 2**32 - 1),
    mood=st.floats(-1.0, 1.0),
    dispersion=st.sampled_from([0.0, 0.3]) | st.floats(0.0, 3.0),
    weight=st.sampled_from([0.0, 0.5]),
    share_of_demand=st.floats(0.05, 1.6),
    ask=st.floats(50.0, 2_000.0),
    fundamental=st.floats(-100.0, 2_000.0),
    appetite=st.floats(0.1, 1.0),
)
def test_funding_round_matches_sorted_reference(
    n, seed, mood, dispersion, weight, share_of_demand, ask, fundamental, appetite
):
    kw = dict(
        initial_sentiment_mean=mood,
        round_valuation_dispersion=dispersion,
        round_sentiment_weight=weight,
    )
    probe = _population(n, seed, **kw).funding_round(
        1e12, ask, fundamental, np.random.default_rng(seed + 1), appetite=appetite
    )
    sought = max(share_of_demand * probe.demand_above_floor_usd_bn, 1e-6)
    pop = _population(n, seed, **kw)
    cash0, holdings0 = pop.cash.copy(), pop.holdings[:, -1].copy()
    # the reference on the same bids: the same state and the same draws
    ref_pop = _population(n, seed, **kw)
    p = ref_pop.params
    eps = np.random.default_rng(seed + 1).standard_normal(n)
    mark = ref_pop.prices[-1] * ref_pop.shares_outstanding[-1]
    anchors = np.array([max(fundamental, 0.0), mark, mark])
    res, commit, valid, _, _ = round_bids(
        ref_pop.types, ref_pop.sentiment, ref_pop.cash, eps, anchors, p.round_sentiment_weight,
        p.round_valuation_dispersion, p.round_commit_fraction * appetite,
        p.round_floor_fraction * ask, ask,
    )  # fmt: skip
    cum = np.cumsum(commit[valid[np.argsort(-res[valid], kind="stable")]])
    assume(np.all(np.abs(cum - sought) > 1e-9 * sought))  # no last-bit tie with a running total
    outcome, winners, fills, pre = sorted_reference(
        res, commit, valid, sought, ask, p.round_min_subscription
    )

    got = pop.funding_round(
        sought, ask, fundamental, np.random.default_rng(seed + 1), appetite=appetite
    )
    assert got.outcome is outcome
    if outcome is RoundOutcome.FAILED:
        np.testing.assert_array_equal(pop.cash, cash0)
        assert got.amount_raised_usd_bn == 0.0
        return
    assert got.pre_money_valuation_usd_bn == pre  # the same marginal price, exactly
    assert got.n_subscribers == winners.size
    # the same fills, bit for bit: the books after the round are those of the reference
    pps = pre / ref_pop.shares_outstanding[-1]
    cash, holdings = cash0.copy(), holdings0.copy()
    cash[winners] -= fills
    holdings[winners] += fills / pps
    np.testing.assert_array_equal(pop.cash, cash)
    np.testing.assert_array_equal(pop.holdings[:, -1], holdings)
    assert got.amount_raised_usd_bn == float(fills.sum())
    assert got.shares_issued_bn == float((fills / pps).sum())


def test_appetite_scales_commitments():
    shy = _population(2_000, 4).funding_round(
        1e6, 500.0, 300.0, np.random.default_rng(1), appetite=0.5
    )
    plain = _population(2_000, 4).funding_round(1e6, 500.0, 300.0, np.random.default_rng(1))
    assert shy.demand_above_floor_usd_bn == pytest.approx(0.5 * plain.demand_above_floor_usd_bn)
    with pytest.raises(ValueError, match="appetite"):
        _population(10, 4).funding_round(1.0, 500.0, 300.0, np.random.default_rng(1), appetite=-1)


@pytest.mark.parametrize("seed", range(5))
def test_a_worthless_bid_never_buys_shares(seed):
    """With no floor and a zero fundamental, fundamentalists bid 0: such bids are not valid."""
    pop = _population(
        500, seed, round_floor_fraction=0.0, share_fundamentalist=1.0,
        share_chartist=0.0, share_noise=0.0,
    )  # fmt: skip
    got = pop.funding_round(50.0, 500.0, 0.0, np.random.default_rng(seed))
    assert got.outcome is RoundOutcome.FAILED
    assert np.isfinite(pop.shares_outstanding).all()


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 400),
    dense=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    price=st.floats(0.01, 100.0),
)
def test_settlement_books_each_winner_once_whatever_the_path(n, dense, seed, price):
    """Few winners are booked in their order, many in investor order: the same books."""
    rng = np.random.default_rng(seed)
    w = max(1, n // 2) if dense else max(1, n // (SCATTERED * 2))
    assume(w * SCATTERED >= n if dense else w * SCATTERED < n)
    winners = rng.permutation(n)[:w].astype(np.int64)  # best first: scattered
    fills = rng.uniform(1e-6, 5.0, w)
    cash = rng.uniform(-1.0, 10.0, n)
    holdings = rng.uniform(0.0, 3.0, (n, 3))
    want_cash, want_holdings = cash.copy(), holdings.copy()
    want_cash[winners] -= fills
    want_holdings[winners, 2] += fills / price
    shares = settle(cash, holdings, 2, winners, fills, price)
    np.testing.assert_array_equal(cash, want_cash)
    np.testing.assert_array_equal(holdings, want_holdings)
    np.testing.assert_array_equal(shares, fills / price)


def test_valuations_of_many_blocks_are_those_of_one_loop_on_any_thread_count():
    """A population of several blocks values the issuer on all threads, with the same bits."""
    n = 2 * BLOCK + 777
    rng = np.random.default_rng(5)
    types = rng.integers(0, 3, n).astype(np.int8)
    sentiment, eps = rng.uniform(-1.0, 1.0, n), rng.standard_normal(n)
    cash = rng.uniform(-1.0, 10.0, n)
    anchors = np.array([300.0, 550.0, 410.0])
    args = (types, sentiment, cash, eps, anchors, 0.4, 0.3, 0.05)
    res1, commit1 = np.empty(n), np.empty(n)
    _valuations_range(0, n, *args, res1, commit1)  # one loop over every investor
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        try:
            res, commit = bid_valuations(*args)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        np.testing.assert_array_equal(res, res1)
        np.testing.assert_array_equal(commit, commit1)
    np.testing.assert_allclose(res1, anchors[types] * np.exp(0.4 * sentiment + 0.3 * eps))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 2_000) | st.just(BLOCK + 1_234),
    seed=st.integers(0, 2**32 - 1),
    share_of_demand=st.floats(0.05, 1.6),
    garbage=st.sampled_from([np.nan, -1.0, 1e300]),
    spread=st.sampled_from([(0.4, 0.3), (0.0, 0.0)]),  # (0, 0): three valuations, many ties
)
def test_rounds_in_reused_scratch_are_those_in_fresh_arrays(
    n, seed, share_of_demand, garbage, spread
):
    """The population keeps one scratch for every round and quote; whatever it holds from
    before, a round (two in a row) and a quote give the fresh-array kernels' bits."""
    rng = np.random.default_rng(seed)
    types = rng.integers(0, 3, n).astype(np.int8)
    sentiment, cash = rng.uniform(-1.0, 1.0, n), rng.uniform(-1.0, 10.0, n)
    holdings = rng.uniform(0.0, 1.0, (n, 2))
    anchors = np.array([300.0, 550.0, 410.0])
    floats = np.full(ROUND_FLOATS * n, garbage)
    ints = rng.integers(0, n, ROUND_INTS * n).astype(np.int64)  # stale, in-range indices
    assert QUOTE_FLOATS <= ROUND_FLOATS  # the population's one scratch serves both
    books = {"fresh": (cash.copy(), holdings.copy()), "reused": (cash.copy(), holdings.copy())}
    for _ in range(2):  # the second round finds the first one's scratch
        eps = rng.standard_normal(n)
        sought = share_of_demand * 0.05 * float(np.maximum(cash, 0.0).sum()) + 1e-9
        args = (types, sentiment)
        rest = (eps, anchors, *spread, 0.05, 100.0, 400.0, sought, 0.25, 1, 2.0)
        fresh = primary_round(*args, *books["fresh"], *rest)
        reused = primary_round_into(*args, *books["reused"], *rest, floats, ints)
        assert fresh[0] == reused[0]
        for a, b in zip(fresh[1:], reused[1:], strict=True):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(books["fresh"], books["reused"], strict=True):
            np.testing.assert_array_equal(a, b)
        asks = 0.05 * books["fresh"][1][:, 1]
        quote = (types, sentiment, books["fresh"][0], asks, eps, anchors, *spread, 0.05)
        bracket = (0.1 * float(holdings[:, 1].sum()) + 1.0, 10.0, 100.0, 900.0)
        assert secondary_quote(*quote, *bracket) == secondary_quote_into(*quote, *bracket, floats)


@pytest.mark.parametrize("seed", range(60))
def test_a_round_settles_its_winners_as_settle_does_even_when_the_marginal_bid_moves(seed):
    """The books after a round equal :func:`settle` of :func:`allocate`'s winners, bit for bit.

    Commitments of 1 and 1e16 make sums depend on their order, and ``sought`` sits on a
    running total, so the selection and the winners' running total often disagree in
    the last bit and the marginal bid moves by one place (then the winners are not the
    ones the selection left in investor order); many rounds here settle in investor order.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 40))
    types = rng.integers(0, 3, n).astype(np.int8)
    anchors = np.array([4.0, 3.0, 2.0])  # with no sentiment or noise: res = anchors[types]
    cash = np.where(rng.random(n) < 0.3, 1e16, 1.0) * rng.choice([1.0, 3.0, 0.1, 0.7], n)
    holdings = rng.uniform(0.0, 1.0, (n, 2))
    zeros = np.zeros(n)
    res = anchors[types]
    order = np.argsort(-res, kind="stable")
    k = int(rng.integers(0, n - 1))
    sought = np.nextafter(np.cumsum(cash[order])[k], [0.0, np.inf, np.inf][seed % 3])
    books = (cash.copy(), holdings.copy())
    floats, ints = np.empty(ROUND_FLOATS * n), np.empty(ROUND_INTS * n, dtype=np.int64)
    code, fills, shares, pre, pps, *_ = primary_round_into(
        types, zeros, *books, zeros, anchors, 0.0, 0.0, 1.0, 1.0, 4.0, sought, 0.0, 1, 10.0,
        floats, ints,
    )  # fmt: skip
    everyone = np.arange(n, dtype=np.int64)
    if code == FULL:
        won, want_fills = allocate(res, cash, everyone, sought)
    else:  # the bids' total, summed in investor order, fell short by rounding: all win
        assert code == UNDERSUBSCRIBED
        won = best_first(res, everyone)
        want_fills = cash[won]
    np.testing.assert_array_equal(fills, want_fills)
    want = (cash.copy(), holdings.copy())
    np.testing.assert_array_equal(shares, settle(*want, 1, won, want_fills, pps))
    np.testing.assert_array_equal(books[0], want[0])
    np.testing.assert_array_equal(books[1], want[1])
