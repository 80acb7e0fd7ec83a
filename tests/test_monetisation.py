"""Revenue that follows usage: subscriptions priced on usage (``usage_monetisation``)
and a lab short of compute rationing usage before it turns users away
(:func:`world.demand.monetised_arpu`, :func:`world.demand.rationed_subscriptions`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate
from world.demand import DemandState, advance_demand, monetised_arpu, rationed_subscriptions
from world.params import DemandParams

share = st.floats(0.0, 1.0)
usage = st.floats(0.0, 1e4)


@given(arpu=st.floats(1.0, 100.0), u=usage, cap=st.floats(1.0, 1000.0))
def test_flat_plans_charge_the_list_price(arpu, u, cap):
    assert monetised_arpu(arpu, u, 0.0, cap) == arpu


@given(arpu=st.floats(1.0, 100.0), u=st.floats(1.0, 1e4), theta=share, cap=st.floats(1.0, 1000.0))
def test_usage_pricing_is_capped_and_grows_with_usage(arpu, u, theta, cap):
    got = monetised_arpu(arpu, u, theta, cap)
    assert got <= max(cap, arpu) * (1 + 1e-12)
    assert got >= min(arpu, max(cap, arpu)) * (1 - 1e-12)  # usage above the start never lowers it
    assert monetised_arpu(arpu, 2 * u, theta, cap) >= got * (1 - 1e-12)


@given(revenue=st.floats(0.0, 1e3), served=share, u=usage, theta=share)
def test_rationing_keeps_revenue_within_its_bounds(revenue, served, u, theta):
    """Between the metered loss (revenue · served) and the whole revenue; flat plans
    lose least; more compute never lowers it."""
    got = rationed_subscriptions(revenue, served, u, theta)
    assert revenue * served * (1 - 1e-9) - 1e-12 <= got <= revenue * (1 + 1e-12)
    assert rationed_subscriptions(revenue, served, u, 1.0) == pytest.approx(revenue * served)
    assert rationed_subscriptions(revenue, served, u, 0.0) >= got * (1 - 1e-12)
    more = min(1.0, served + 0.1)
    assert rationed_subscriptions(revenue, more, u, theta) >= got * (1 - 1e-12)


def test_rationing_at_the_start_is_the_old_rule():
    """With usage per user at its start value the served share of users pays."""
    for theta in (0.0, 0.5, 1.0):
        assert rationed_subscriptions(8.0, 0.25, 1.0, theta) == pytest.approx(2.0)
    assert rationed_subscriptions(8.0, 1.5, 9.0, 0.0) == 8.0  # enough compute


def test_monetisation_raises_subscriptions_as_usage_grows():
    base = DemandParams()
    start = DemandState(350.0, 0.05, 25.0, 1.0, 1.0, 0.0, 0.0, 1.0)
    kw = dict(market_size=1500.0, hardware_index=1.0)

    def revenue(theta: float, quarters: int) -> float:
        p = DemandParams(**(base.model_dump() | {"usage_monetisation": theta}))
        s = start
        for q in range(quarters):
            s = advance_demand(s, p, quarter=q, **kw)
        return s.subscription_revenue

    assert revenue(0.5, 1) == pytest.approx(revenue(0.0, 1))  # usage still at its start
    assert revenue(0.5, 8) > 1.2 * revenue(0.0, 8)
    assert revenue(1.0, 8) >= revenue(0.5, 8)


def _lab_revenue(theta: float, seed: int) -> float:
    sc = apply_overrides(
        load_scenario("scenarios/baseline.toml"),
        {"quarters": 16, "investors.n_investors": 1000, "demand.usage_monetisation": theta},
    )
    f = simulate(sc, seed=seed).firms
    lab = f[(f.firm == "OpenAI") & (f.quarter >= 4)]
    return float(lab.revenue.sum())


def test_monetisation_raises_the_labs_revenue_over_seeds():
    """20 seeds of the baseline (16 quarters): charging for usage (elasticity 0.5)
    raises the lab's revenue of 2026-28 against flat plans; one-sided Mann-Whitney,
    p < 0.01, and by at least a fifth in median."""
    flat = np.array([_lab_revenue(0.0, s) for s in range(20)])
    priced = np.array([_lab_revenue(0.5, s) for s in range(20)])
    assert mannwhitneyu(priced, flat, alternative="greater").pvalue < 0.01
    assert np.median(priced) > 1.2 * np.median(flat)
