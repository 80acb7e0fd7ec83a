"""The vectorised investor population: accounting, rounds, determinism, stylized facts."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import kurtosis

from agents.investors import (
    FundingRoundResult,
    InvestorPopulation,
    QuarterMarketResult,
    RoundOutcome,
    StrategyType,
)
from world.market import InvestorParams

# 2025 calibration shape: listed AI firms (bn shares, USD/share) plus a private lab
NAMES = ["NVDA", "MSFT", "ORCL", "AMD", "CRWV", "OpenAI"]
SHARES = np.array([24.4, 7.43, 2.8, 1.62, 0.49, 1.0])
PRICES = np.array([180.0, 510.0, 280.0, 230.0, 120.0, 500.0])
FLOAT = np.array([0.95, 0.98, 0.6, 0.98, 0.5, 0.3])
CAPS = SHARES * PRICES
REL = 1e-9


def make(n=2_000, seed=7, **kw):
    params = InvestorParams(n_investors=n, **kw)
    rng = np.random.default_rng(seed)
    pop = InvestorPopulation(params, NAMES, SHARES, PRICES, FLOAT, rng, private_assets=["OpenAI"])
    return pop, rng


def run_quarters(pop, rng, quarters, drift=0.01):
    fundamentals = CAPS.copy()
    out = []
    for _ in range(quarters):
        fundamentals = fundamentals * np.exp(rng.normal(drift, 0.05, len(NAMES)))
        news = np.clip(rng.normal(0.0, 0.3, len(NAMES)), -1.0, 1.0)
        out.append(pop.trade_quarter(fundamentals, news, rng))
    return out


def assert_books(pop, shares_before, cash_before):
    np.testing.assert_allclose(pop.total_shares(), pop.shares_outstanding, rtol=REL)
    np.testing.assert_allclose(pop.shares_outstanding, shares_before, rtol=REL)
    assert pop.total_cash() == pytest.approx(cash_before, rel=REL)
    assert pop.cash.min() >= -1e-12 * pop.cash.sum()
    assert pop.holdings.min() >= -1e-12
    assert np.all(np.abs(pop.sentiment) <= 1.0)
    assert set(np.unique(pop.types)) <= {0, 1, 2}


# ------------------------------------------------------------- initial state
def test_initial_state_matches_calibration():
    pop, _ = make()
    np.testing.assert_allclose(pop.market_caps, CAPS, rtol=1e-15)
    np.testing.assert_allclose(pop.holdings.sum(axis=0), FLOAT * SHARES, rtol=1e-12)
    np.testing.assert_allclose(pop.total_shares(), SHARES, rtol=1e-12)
    np.testing.assert_allclose(pop.capacity.sum(), 1.0)
    np.testing.assert_allclose(pop.type_shares(), [0.35, 0.35, 0.30], atol=1e-3)
    equity = pop.holdings @ PRICES
    np.testing.assert_allclose(pop.cash, equity * 0.2 / 0.8, rtol=1e-12)
    assert pop.market_maker_cash == 0.0
    np.testing.assert_array_equal(pop.market_maker_inventory, 0.0)


# ------------------------------------------------------------------ trading
def test_trade_quarter_conserves_shares_and_cash():
    pop, rng = make()
    shares0, cash0 = pop.shares_outstanding.copy(), pop.total_cash()
    results = run_quarters(pop, rng, 6)
    assert_books(pop, shares0, cash0)
    assert pop.market_maker_cash != 0.0  # trades happened
    res = results[-1]
    assert isinstance(res, QuarterMarketResult)
    assert res.subround_returns.shape == (12, 5)
    assert res.listed_names == ("NVDA", "MSFT", "ORCL", "AMD", "CRWV")
    np.testing.assert_allclose(res.market_caps, res.prices * pop.shares_outstanding)
    assert res.prices[-1] == PRICES[-1]  # the private lab does not trade
    assert np.all(np.isfinite(res.price_to_fundamental))
    assert np.all(res.volume > 0.0)
    assert res.type_shares.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        res.prices[0] = 1.0  # read-only
    # quarterly log returns add up the sub-round returns of listed assets
    np.testing.assert_allclose(
        res.quarterly_returns[:5], res.subround_returns.sum(axis=0), atol=1e-12
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 300),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 20.0),
    st.floats(0.0, 0.2),
    st.integers(0, 2**32 - 1),
)
def test_conservation_property(n, a, b, lam, cash_share, seed):
    b = min(b, 1.0 - a)
    pop, rng = make(
        n=n,
        seed=seed,
        share_fundamentalist=a,
        share_chartist=b,
        share_noise=max(0.0, 1.0 - a - b),
        price_impact=lam,
        cash_share=cash_share,
        sub_rounds=4,
    )
    shares0, cash0 = pop.shares_outstanding.copy(), pop.total_cash()
    run_quarters(pop, rng, 3, drift=0.2)
    assert_books(pop, shares0, cash0)
    assert np.all(np.isfinite(pop.prices)) and np.all(pop.prices > 0.0)


@pytest.mark.parametrize("kind", list(StrategyType))
def test_single_type_population(kind):
    shares = dict.fromkeys(("share_fundamentalist", "share_chartist", "share_noise"), 0.0)
    shares[f"share_{kind.name.lower()}"] = 1.0
    pop, rng = make(n=500, switch_rate=0.0, **shares)
    shares0, cash0 = pop.shares_outstanding.copy(), pop.total_cash()
    results = run_quarters(pop, rng, 4)
    assert_books(pop, shares0, cash0)
    assert np.all(pop.types == kind)
    np.testing.assert_array_equal(results[-1].type_shares, np.eye(3)[kind])
    assert np.all(np.isfinite(results[-1].subround_returns))


def test_switching_follows_fitness():
    pop, rng = make(n=3_000, beta=1000.0, switch_rate=1.0, type_herding=0.0)
    pop.profit_memory[:] = [0.0, 5.0, 0.0]  # chartists did best, remembered
    res = pop.trade_quarter(CAPS, np.zeros(len(NAMES)), rng)
    assert res.type_shares[StrategyType.CHARTIST] == 1.0


def test_fundamentals_and_news_move_prices_and_sentiment():
    """Same seed, same shocks: only the inputs differ."""
    up, rng_up = make(seed=3)
    down, rng_down = make(seed=3)
    res_up = up.trade_quarter(CAPS * 2.0, np.full(len(NAMES), 0.8), rng_up)
    res_down = down.trade_quarter(CAPS * 0.5, np.full(len(NAMES), -0.8), rng_down)
    assert np.all(res_up.prices[:5] > res_down.prices[:5])
    assert res_up.mean_sentiment > res_down.mean_sentiment + 0.2


def test_determinism_for_a_seed():
    def history(seed):
        pop, rng = make(seed=seed)
        res = run_quarters(pop, rng, 3)
        rnd = pop.funding_round(20.0, 500.0, 300.0, rng)
        return np.concatenate([r.subround_returns.ravel() for r in res]), rnd, pop

    r1, round1, p1 = history(11)
    r2, round2, p2 = history(11)
    r3, _, _ = history(12)
    np.testing.assert_array_equal(r1, r2)
    assert round1 == round2
    np.testing.assert_array_equal(p1.holdings, p2.holdings)
    np.testing.assert_array_equal(p1.sentiment, p2.sentiment)
    assert not np.array_equal(r1, r3)


def test_input_validation_names_argument():
    pop, rng = make(n=50)
    with pytest.raises(ValueError, match="fundamentals"):
        pop.trade_quarter(CAPS[:3], np.zeros(len(NAMES)), rng)
    with pytest.raises(ValueError, match="news"):
        pop.trade_quarter(CAPS, [np.nan] * len(NAMES), rng)
    with pytest.raises(ValueError, match="initial_prices"):
        InvestorPopulation(InvestorParams(n_investors=5), NAMES, SHARES, -PRICES, FLOAT, rng)
    with pytest.raises(ValueError, match="float_fraction"):
        InvestorPopulation(InvestorParams(n_investors=5), NAMES, SHARES, PRICES, 1.5, rng)
    with pytest.raises(ValueError, match="private_assets"):
        InvestorPopulation(
            InvestorParams(n_investors=5), NAMES, SHARES, PRICES, FLOAT, rng, private_assets=["X"]
        )
    with pytest.raises(ValueError, match="asset"):
        pop.funding_round(10.0, 100.0, 50.0, rng, asset="NVDA")
    with pytest.raises(ValueError, match="amount_sought_usd_bn"):
        pop.funding_round(0.0, 100.0, 50.0, rng)


# ------------------------------------------------------------ funding rounds
def test_funding_round_full_books_cash_and_shares():
    pop, rng = make(n=5_000)
    cash0, shares0 = pop.investor_cash(), pop.shares_outstanding.copy()
    holdings0 = pop.holdings[:, -1].sum()
    res = pop.funding_round(10.0, 500.0, 200.0, rng)
    assert isinstance(res, FundingRoundResult)
    assert res.outcome is RoundOutcome.FULL
    assert res.amount_raised_usd_bn == pytest.approx(10.0, rel=1e-12)
    assert cash0 - pop.investor_cash() == pytest.approx(res.amount_raised_usd_bn, rel=REL)
    assert pop.shares_outstanding[-1] - shares0[-1] == pytest.approx(res.shares_issued_bn)
    assert pop.holdings[:, -1].sum() - holdings0 == pytest.approx(res.shares_issued_bn)
    np.testing.assert_allclose(pop.total_shares(), pop.shares_outstanding, rtol=REL)
    assert res.pre_money_valuation_usd_bn == pytest.approx(500.0)  # covered at the ask
    assert res.post_money_valuation_usd_bn == pytest.approx(510.0)
    assert res.price_per_share_usd == pytest.approx(500.0 / shares0[-1])
    assert pop.prices[-1] == res.price_per_share_usd
    assert res.demand_at_ask_usd_bn >= 10.0


def test_funding_round_undersubscribed_is_a_down_round():
    pop, rng = make(n=5_000)
    probe = make(n=5_000)[0].funding_round(1e6, 500.0, 200.0, np.random.default_rng(1))
    sought = probe.demand_above_floor_usd_bn / 0.8  # demand covers ~80 % of it
    cash0 = pop.investor_cash()
    res = pop.funding_round(sought, 500.0, 200.0, np.random.default_rng(1))
    assert res.outcome is RoundOutcome.UNDERSUBSCRIBED
    assert 0.5 * sought <= res.amount_raised_usd_bn < sought
    assert cash0 - pop.investor_cash() == pytest.approx(res.amount_raised_usd_bn, rel=REL)
    assert 0.6 * 500.0 <= res.pre_money_valuation_usd_bn < 500.0


def test_funding_round_fails_without_changing_anything():
    pop, rng = make(n=2_000)
    cash, holdings, shares = pop.cash.copy(), pop.holdings.copy(), pop.shares_outstanding.copy()
    res = pop.funding_round(1e5, 500.0, 200.0, rng)
    assert res.outcome is RoundOutcome.FAILED
    assert res.amount_raised_usd_bn == 0.0 and res.shares_issued_bn == 0.0
    np.testing.assert_array_equal(pop.cash, cash)
    np.testing.assert_array_equal(pop.holdings, holdings)
    np.testing.assert_array_equal(pop.shares_outstanding, shares)


def test_sentiment_drives_round_demand():
    gloomy, _ = make(n=4_000, initial_sentiment_mean=-0.8)
    keen, _ = make(n=4_000, initial_sentiment_mean=0.8)
    a = gloomy.funding_round(50.0, 500.0, 100.0, np.random.default_rng(5))
    b = keen.funding_round(50.0, 500.0, 100.0, np.random.default_rng(5))
    assert b.demand_at_ask_usd_bn > 2.0 * a.demand_at_ask_usd_bn


# ------------------------------------------------------------------ snapshot
def test_snapshot():
    pop, rng = make(n=300)
    run_quarters(pop, rng, 1)
    df = pop.snapshot()
    assert isinstance(df, pd.DataFrame) and len(df) == 300
    assert {"strategy", "sentiment", "cash_usd_bn", "wealth_usd_bn"} <= set(df.columns)
    assert f"shares_bn_{NAMES[0]}" in df.columns
    total = pop.investor_cash() + float(pop.holdings.sum(axis=0) @ pop.prices)
    assert df["wealth_usd_bn"].sum() == pytest.approx(total, rel=1e-12)


# ----------------------------------------------------------- stylized facts
def _ac(x, lag):
    x = x - x.mean()
    return float((x[lag:] * x[:-lag]).sum() / (x * x).sum())


def _robust_t(x, lag=1):
    """t-statistic of the lag autocovariance, robust to volatility clustering."""
    x = x - x.mean()
    prod = x[lag:] * x[:-lag]
    return float(prod.sum() / np.sqrt((prod * prod).sum()))


def test_stylized_facts_of_subround_returns():
    pop, rng = make(n=20_000, seed=2025)
    returns = np.concatenate([r.subround_returns for r in run_quarters(pop, rng, 40)])
    t_len, n_firms = returns.shape
    bound = 2.0 / np.sqrt(t_len)
    ac1 = np.array([_ac(returns[:, j], 1) for j in range(n_firms)])
    t_stat = np.array([_robust_t(returns[:, j]) for j in range(n_firms)])
    x = returns - returns.mean(axis=0)
    cross = (x[1:] * x[:-1]).sum(axis=1)  # all firms together, robust to their correlation
    pooled_t = float(cross.sum() / np.sqrt((cross * cross).sum()))
    z = (returns - returns.mean(axis=0)) / returns.std(axis=0)
    excess_kurtosis = float(kurtosis(z.ravel()))
    abs_ac = np.array(
        [[_ac(np.abs(returns[:, j]), lag) for lag in range(1, 11)] for j in range(n_firms)]
    )
    print(
        f"\nT={t_len} x {n_firms} firms, weekly sd {returns.std():.4f}; raw ac1 {np.round(ac1, 3)}"
        f" (mean {ac1.mean():.3f}, bound {bound:.3f}), robust |t| max"
        f" {np.abs(t_stat).max():.2f}, pooled {pooled_t:.2f};"
        f" excess kurtosis {excess_kurtosis:.2f}; |r| ac1 mean {abs_ac[:, 0].mean():.3f},"
        f" |r| ac lags 1-10 mean {abs_ac.mean():.3f}"
    )
    # no raw-return autocorrelation: small, and not significant (robust to clustering)
    assert abs(ac1.mean()) < bound
    assert np.all(np.abs(t_stat) < 2.58)
    assert abs(pooled_t) < 2.58
    # fat tails (the standard error of kurtosis here is about 0.1)
    assert excess_kurtosis > 1.0
    # volatility clustering
    assert abs_ac[:, 0].mean() > bound
    assert np.all(abs_ac.mean(axis=1) > 0.0)
