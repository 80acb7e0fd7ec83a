"""A private lab is marked between rounds by a secondary tender; providers bound their backlog.

The tender's quote is a call auction among the investors' own valuations (the kernel is
checked against its definition); the population's mark moves the price only; over seeds,
a lab that needs no round follows its prospects instead of its last round. A cloud
provider takes on no contract that puts its backlog above its limit in years of revenue.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu
from test_funding_round import _population

from agents.cloud import CloudProvider
from agents.investors import RoundOutcome
from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate
from world.model import AIEconomy
from world.rounds import FAILED, FULL, secondary_quote, valuations

WEIGHT, DISPERSION, COMMIT = 0.5, 0.3, 0.05


def _excess(res, commit, asks, value, offered, shares_out):
    """Money bid above ``value`` less the value of the shares offered at or below it."""
    return commit[res > value].sum() - value / shares_out * (offered + asks[res <= value].sum())


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 400),
    seed=st.integers(0, 2**32 - 1),
    mark=st.floats(1.0, 1e4),
    offered=st.floats(1e-4, 0.2),
    sellers=st.floats(0.0, 1.0),
)
def test_the_quote_is_where_the_money_bid_meets_the_value_offered(n, seed, mark, offered, sellers):
    rng = np.random.default_rng(seed)
    types = rng.integers(0, 3, n).astype(np.int8)
    sentiment = rng.uniform(-1.0, 1.0, n)
    cash = rng.uniform(-1.0, 10.0, n) * mark / n
    asks = rng.uniform(0.0, 1.0, n) * (rng.random(n) < sellers) / n
    eps = rng.standard_normal(n)
    anchors = mark * np.exp(rng.normal(0.0, 0.5, 3))
    low, high = 0.6 * mark, 1.5 * mark
    code, value = secondary_quote(
        types, sentiment, cash, asks, eps, anchors, WEIGHT, DISPERSION, COMMIT,
        offered, 1.0, low, high,
    )  # fmt: skip
    res = anchors[types] * np.exp(WEIGHT * sentiment + DISPERSION * eps)
    commit = COMMIT * np.maximum(cash, 0.0)
    scale = commit.sum() + high * (offered + asks.sum())  # money at stake, for rounding

    def excess(v):
        return _excess(res, commit, asks, v, offered, 1.0)

    if code == FAILED:
        assert excess(low) < 0.0 and value == low
        return
    assert code == FULL and low <= value <= high
    if value == high:
        assert excess(high) >= -1e-12 * scale
        return
    # the money bid falls and the value offered rises with the valuation: one crossing
    assert excess(value * (1 - 1e-9)) >= -1e-12 * scale
    assert excess(value * (1 + 1e-9)) <= 1e-12 * scale


def test_a_quote_moves_the_mark_and_nothing_else():
    pop = _population(2_000, 5)
    a = pop.asset_names.index("OpenAI")
    cash, holdings = pop.cash.copy(), pop.holdings.copy()
    shares, prices = pop.shares_outstanding.copy(), pop.prices.copy()
    mark = prices[a] * shares[a]
    outcome, value = pop.secondary_quote(0.01, 2.0 * mark, np.random.default_rng(1), max_step=1.5)
    assert outcome is RoundOutcome.FULL
    assert value == pytest.approx(pop.prices[a] * shares[a], rel=1e-12)
    assert 0.6 * mark <= value <= 1.5 * mark
    np.testing.assert_array_equal(pop.cash, cash)
    np.testing.assert_array_equal(pop.holdings, holdings)
    np.testing.assert_array_equal(pop.shares_outstanding, shares)
    listed = np.arange(prices.size) != a
    np.testing.assert_array_equal(pop.prices[listed], prices[listed])


@pytest.mark.parametrize("seed", range(5))
def test_a_more_optimistic_population_quotes_higher(seed):
    """Same investors and draws, sentiment shifted up: every valuation rises, so the quote."""
    quotes = []
    for mood in (-0.5, 0.5):
        pop = _population(3_000, seed, initial_sentiment_mean=mood)
        quotes.append(
            pop.secondary_quote(0.01, 500.0, np.random.default_rng(seed), max_step=1.5)[1]
        )
    assert quotes[1] > quotes[0]


def test_a_population_with_no_cash_fails_the_quote_and_keeps_the_mark():
    pop = _population(500, 2)
    pop.cash[:] = 0.0
    a = pop.asset_names.index("OpenAI")
    price = pop.prices[a]
    outcome, value = pop.secondary_quote(0.01, 500.0, np.random.default_rng(0), max_step=1.5)
    assert outcome is RoundOutcome.FAILED
    assert pop.prices[a] == price and value == pytest.approx(price * pop.shares_outstanding[a])


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"offered_share": 0.0}, "offered_share"),
        ({"offered_share": float("nan")}, "offered_share"),
        ({"max_step": 0.5}, "max_step"),
        ({"fundamental_usd_bn": float("inf")}, "fundamental_usd_bn"),
    ],
)
def test_bad_quote_arguments_name_the_field(kw, field):
    args = {"offered_share": 0.01, "fundamental_usd_bn": 500.0, "max_step": 1.5} | kw
    pop = _population(50, 0)
    with pytest.raises(ValueError, match=field):
        pop.secondary_quote(
            args["offered_share"], args["fundamental_usd_bn"], np.random.default_rng(0),
            max_step=args["max_step"],
        )  # fmt: skip


# -- over seeds: a lab that needs no money follows its prospects -----------------------
SEEDS = range(20)


def _lab_gaps(root, share):
    """Per seed: median |log(value / fundamental)| of the lab over its agent quarters."""
    scenario = apply_overrides(
        load_scenario(root / "scenarios" / "productive_future.toml"),
        {"investors.n_investors": 1_000, "investors.secondary_tender_share": share},
    )
    gaps, flat = [], []
    for seed in SEEDS:
        run = simulate(scenario, seed)
        lab = run.firms[(run.firms.role == "lab") & (run.firms.quarter > 4)]
        lab = lab[~lab.defaulted & (lab.fundamental_value > 0)]
        gaps.append(float(np.median(np.abs(np.log(lab.valuation / lab.fundamental_value)))))
        flat.append(float((lab.valuation.diff() == 0.0).mean()))
    return np.array(gaps), np.array(flat)


def test_secondary_marks_keep_a_self_funding_lab_near_its_prospects(root):
    """productive_future, 20 seeds: marked between rounds, the lab's value is nearer its
    fundamental (one-sided Mann–Whitney on the per-seed median gap, p < 0.01) and it
    changes in most quarters; marked only at rounds, it stays flat in most."""
    marked, marked_flat = _lab_gaps(root, 0.01)
    stale, stale_flat = _lab_gaps(root, 0.0)
    assert mannwhitneyu(marked, stale, alternative="less").pvalue < 0.01
    assert np.median(marked) < 0.5 * np.median(stale)
    assert np.median(stale_flat) > 0.5 > np.median(marked_flat)


# -- a tender steps the mark by at most a quarter's pace ---------------------------------
def _tender_steps(root, step, seeds):
    """(mark before, quote) of every successful tender in productive_future runs."""
    scenario = apply_overrides(
        load_scenario(root / "scenarios" / "productive_future.toml"),
        {"investors.n_investors": 300, "investors.max_tender_step_up": step},
    )
    steps = []
    for seed in seeds:
        m = AIEconomy(scenario, rng=seed)
        pop = m.market.population

        def recorded(*args, _pop=pop, _quote=pop.secondary_quote, **kwargs):
            a = _pop.asset_names.index(kwargs["asset"])
            mark = float(_pop.prices[a] * _pop.shares_outstanding[a])
            outcome, value = _quote(*args, **kwargs)
            if outcome is RoundOutcome.FULL:
                steps.append((mark, value, kwargs["max_step"]))
            return outcome, value

        pop.secondary_quote = recorded
        m.run()
    return steps


@pytest.mark.parametrize("step", [1.0, 1.35, 2.0])
def test_a_tender_steps_the_mark_up_by_at_most_max_tender_step_up(root, step):
    """The quote of every tender (5 seeds of productive_future, where the lab's value
    climbs fastest) is at most ``investors.max_tender_step_up`` times the mark before
    it; the scenario's own value is the one passed, not the rounds' ``max_round_step_up``."""
    steps = _tender_steps(root, step, range(5))
    assert len(steps) >= 20
    assert all(cap == step for _, _, cap in steps)
    assert all(value <= step * mark * (1 + 1e-12) for mark, value, _ in steps)
    if step > 1.0:  # the cap binds in the climb: some tender quotes at it
        assert any(value >= step * mark * (1 - 1e-9) for mark, value, _ in steps)


# -- a provider bounds its backlog -----------------------------------------------------
def _provider_model(root, years):
    scenario = apply_overrides(
        load_scenario(root / "scenarios" / "optimistic.toml"),
        {"investors.n_investors": 300, "behaviour.provider_max_backlog_years": years},
    )
    m = AIEconomy(scenario, rng=4)
    for _ in range(6):
        m.step()
    return m


@pytest.mark.parametrize("years", [1.0, 20.0])
def test_a_provider_takes_on_no_more_than_its_backlog_room(root, years):
    m = _provider_model(root, years)
    quarters = m.params.behaviour.contract_quarters
    start = m.quarter + m.params.behaviour.contract_lead
    for f in m.firms:
        if not isinstance(f, CloudProvider) or f.defaulted:
            continue
        room = f.backlog_room_gw(quarters)
        yearly = 4.0 * float(np.mean(f.revenue_history[-4:]))
        backlog = m.backlogs()[0][f.index]
        assert room == pytest.approx(max(years * yearly - backlog, 0.0) / (f.price * quarters))
        assert f.offer(1e4, start, quarters) <= room + 1e-9
        if years == 1.0 and backlog > yearly:  # already above a year of sales: nothing new
            assert f.offer(1e4, start, quarters) == 0.0


def _bisection(res, commit, held, offered, shares_out, low, high):
    """The quote's search as first written, with a branch per bid (its definition; the C
    library's ``exp`` and ``log``, as numba's)."""
    bid, supply, inside = 0.0, offered, []
    for r, c, h in zip(res, commit, held, strict=True):
        if r > high:
            bid += c
        elif r <= low:
            supply += h
        else:
            inside.append((r, c, h))
    c_in, h_in = 0.0, 0.0  # summed in order (Python's sum() compensates)
    for _, c, h in inside:
        c_in += c
        h_in += h
    if bid + c_in - low / shares_out * supply < 0.0:
        return FAILED, low
    if bid - high / shares_out * (supply + h_in) >= 0.0:
        return FULL, high
    lo, hi = math.log(low), math.log(high)
    for _ in range(64):
        if not inside:
            break
        mid = 0.5 * (lo + hi)
        v = math.exp(mid)
        above, below = 0.0, 0.0
        for r, c, h in inside:
            if r > v:
                above += c
            else:
                below += h
        upper = bid + above - v / shares_out * (supply + below) >= 0.0
        if upper:
            lo, supply = mid, supply + below
        else:
            hi, bid = mid, bid + above
        inside = [b for b in inside if (b[0] > v) == upper]
    if inside:
        return FULL, math.exp(0.5 * (lo + hi))
    value = shares_out * bid / supply
    return FULL, min(max(value, math.exp(lo)), math.exp(hi))


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 300),
    seed=st.integers(0, 2**32 - 1),
    edges=st.floats(0.0, 0.5),
    nan_anchor=st.booleans(),
    money=st.floats(20.0, 400.0),
)
def test_the_branch_free_search_gives_the_bisections_bits(n, seed, edges, nan_anchor, money):
    """Bids at the bracket's ends, NaN valuations, ties: the same code and value, bit for bit."""
    rng = np.random.default_rng(seed)
    types = rng.integers(0, 3, n).astype(np.int8)
    sentiment = rng.uniform(-1.0, 1.0, n)
    sentiment[rng.random(n) < edges] = 0.0  # many valuations exactly at an anchor
    cash = rng.uniform(-1.0, 10.0, n) * money / n  # the money bid meets the offer near 100
    asks = rng.uniform(0.0, 1.0, n) * (rng.random(n) < 0.5) / n
    eps = np.where(rng.random(n) < edges, 0.0, rng.standard_normal(n))
    low, high = 60.0, 150.0
    anchors = np.array([low, high, rng.uniform(50.0, 160.0)])  # valuations at low and high
    if nan_anchor:
        anchors[2] = np.nan
    args = (types, sentiment, cash, asks, eps, anchors, WEIGHT, DISPERSION, COMMIT)
    code, value = secondary_quote(*args, 0.01, 1.0, low, high)
    res, commit = valuations(types, sentiment, cash, eps, anchors, WEIGHT, DISPERSION, COMMIT)
    want = _bisection(res, commit, asks, 0.01, 1.0, low, high)
    assert (code, value) == want or (np.isnan(value) and np.isnan(want[1]) and code == want[0])


def test_the_bisection_examples_land_inside_the_bracket():
    """The example above has teeth: most of its quotes are found by the bisection itself."""
    inside = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n = 200
        cash = rng.uniform(-1.0, 10.0, n) * 100.0 / n
        asks = rng.uniform(0.0, 1.0, n) * (rng.random(n) < 0.5) / n
        types = rng.integers(0, 3, n).astype(np.int8)
        sentiment, eps = rng.uniform(-1.0, 1.0, n), rng.standard_normal(n)
        anchors = np.array([60.0, 150.0, 100.0])
        code, value = secondary_quote(
            types, sentiment, cash, asks, eps, anchors, WEIGHT, DISPERSION, COMMIT,
            0.01, 1.0, 60.0, 150.0,
        )  # fmt: skip
        inside += code == FULL and 60.0 < value < 150.0
    assert inside >= 30
