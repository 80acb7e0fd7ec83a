"""The investor population inside the model: calibration, conservation, records.

The stylized facts of the model's weekly returns are a claim about a distribution:
the quick validation suite tests them over 100 baseline seeds (``market/baseline/*``
in ``tests/test_check_model.py``); one run proves nothing.
"""

import numpy as np
import pytest

from runs.scenario import apply_overrides
from runs.simulate import simulate
from world.model import AIEconomy


def test_opening_values_match_calibration(baseline):
    model = AIEconomy(baseline, rng=0)
    caps = dict(zip(model.market.names, model.market.population.market_caps, strict=True))
    for spec in baseline.firms:
        assert caps[spec.name] == pytest.approx(spec.market_cap, rel=0.05)
        assert model.firms[model.firm_index[spec.name]].valuation == pytest.approx(
            spec.market_cap, rel=0.05
        )


@pytest.fixture(scope="module")
def market_run(baseline):
    model = AIEconomy(baseline, rng=2)
    pop = model.market.population
    start = (pop.total_shares().copy(), pop.investor_cash() + pop.market_maker_cash)
    model.run()
    return model, start


def test_shares_and_cash_conserved(market_run):
    model, (shares0, cash0) = market_run
    pop = model.market.population
    # secondary trades move shares between investors and the market maker only; the
    # lab's primary rounds and its pay in stock add exactly the shares they issued
    market = model.market
    assert market.issued[-1] > 0 and market.issued[:-1].sum() == 0
    assert market.staff_shares[-1] > 0 and market.staff_shares[:-1].sum() == 0
    issued = market.issued + market.staff_shares
    assert np.allclose(pop.total_shares(), shares0 + issued, rtol=1e-9)
    # money investors paid in primary rounds reached the issuers' ledgers
    assert model.market.raised > 0
    cash_now = pop.investor_cash() + pop.market_maker_cash
    assert cash_now - cash0 == pytest.approx(-model.market.raised, rel=1e-9)


def test_sentiment_and_strategy_shares_recorded(market_run):
    model, _ = market_run
    system = model.records.system_frame()
    shares = system[["share_fundamentalist", "share_chartist", "share_noise"]].to_numpy()
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert system.mean_sentiment.between(-1, 1).all()
    assert system.mean_sentiment.std() > 0  # sentiment moves with news
    assert set(system.funding_round_outcome) <= {"none", "full", "undersubscribed", "failed"}
    firms = model.records.firms_frame()
    listed = firms[firms.firm != "OpenAI"]
    assert (listed.market_cap >= 0).all() and (listed.fundamental_value > 0).all()


@pytest.mark.parametrize(
    "mix",
    [
        {
            "investors.share_fundamentalist": 1.0,
            "investors.share_chartist": 0.0,
            "investors.share_noise": 0.0,
        },
        {
            "investors.share_fundamentalist": 0.0,
            "investors.share_chartist": 0.0,
            "investors.share_noise": 1.0,
        },
    ],
)
def test_one_investor_type_only(baseline, mix):
    scenario = apply_overrides(baseline, {**mix, "quarters": 8, "investors.n_investors": 500})
    result = simulate(scenario, 1)
    assert np.isfinite(result.firms.select_dtypes("number").to_numpy(dtype=float)).all()
    assert (result.firms.market_cap >= 0).all()


def test_same_seed_same_market(baseline):
    scenario = apply_overrides(baseline, {"quarters": 10, "investors.n_investors": 2000})
    a, b = simulate(scenario, 5), simulate(scenario, 5)
    assert a.firms.equals(b.firms) and a.system.equals(b.system)
    c = simulate(scenario, 6)
    assert not a.firms.market_cap.equals(c.firms.market_cap)


def test_sentiment_lowers_spreads_and_raises_forecasts(baseline_run):
    lenders = baseline_run.lenders
    assert lenders.spread(0.5, 0.5) < lenders.spread(0.5, 0.0) < lenders.spread(0.5, -0.5)
    lab = baseline_run.by_role(baseline_run.firms[-1].role)[0]
    saved = baseline_run.sentiment
    try:
        baseline_run.sentiment = -0.5
        low = lab.forecast_need()
        baseline_run.sentiment = 0.5
        high = lab.forecast_need()
    finally:
        baseline_run.sentiment = saved
    assert high > low
