"""Regime labels on the AI network (world/regimes.py) and path statistics (world/pathstats.py)."""

from __future__ import annotations

import dataclasses

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runs.validation.synthetic import SYNTHETIC_PATHS, regime_checks
from world.pathstats import trailing_sum
from world.regimes import (
    REGIME_RULES,
    Regime,
    RegimeRules,
    ai_exposed_value,
    classify_regime,
    regime_rule,
    regime_rules_text,
    regime_stats,
)
from world.stress import classify_regime as reexported

NO_DEFAULT = np.zeros((8, 2), dtype=bool)
GROWING_REVENUE = np.linspace(1.0, 3.0, 8)


def network(value, revenue=GROWING_REVENUE, defaulted=NO_DEFAULT, rules=None):
    return classify_regime(np.asarray(value, float), np.asarray(revenue, float), defaulted, rules)


# ------------------------------------------------------------------- labelled synthetic paths
@pytest.mark.parametrize("path", SYNTHETIC_PATHS, ids=lambda p: p.name)
def test_synthetic_paths_get_their_obvious_label(path):
    assert classify_regime(path.value, path.revenue, path.defaulted) is path.expected


def test_every_label_has_a_synthetic_path_and_the_suite_checks_them():
    assert {p.expected for p in SYNTHETIC_PATHS} == set(Regime)
    checks = regime_checks()
    assert len(checks) == len(SYNTHETIC_PATHS) and all(c.passed for c in checks)
    assert all(
        REGIME_RULES[p.expected] in c.test for p, c in zip(SYNTHETIC_PATHS, checks, strict=True)
    )


# ------------------------------------------------------------------- rules, edge by edge
def test_boom_needs_value_and_revenue_growth():
    assert network([10, 11, 13, 14, 16, 17, 18, 20]) is Regime.BOOM
    flat_revenue = np.full(8, 1.0)
    assert network([10, 11, 13, 14, 16, 17, 18, 20], flat_revenue) is Regime.SOFT_LANDING
    rules = RegimeRules(boom_revenue_growth=0.5)
    assert network([10, 11, 13, 14, 16, 17, 18, 20], flat_revenue, rules=rules) is Regime.BOOM


def test_crash_threshold_and_recovery_threshold():
    # a 60% crash that ends at 90% of the peak: recovered; at 60%: a bust
    assert network([10, 20, 8, 12, 15, 17, 18, 18]) is Regime.CRASH_RECOVERED
    assert network([10, 20, 8, 9, 10, 11, 12, 12]) is Regime.BUST
    # a 40% fall is no crash by default, but is with a 40% threshold
    assert network([10, 10, 6, 6, 6, 6, 6, 6], np.full(8, 1.0)) is Regime.SOFT_LANDING
    rules = RegimeRules(crash_drawdown=0.4)
    assert network([10, 10, 6, 6, 6, 6, 6, 6], np.full(8, 1.0), rules=rules) is Regime.BUST
    # exactly at the threshold counts (a 50% fall is a crash)
    assert network([10, 20, 10, 20, 20, 20, 20, 20]) is Regime.CRASH_RECOVERED


def test_revenue_collapse_is_a_bust_even_when_value_holds():
    revenue = np.array([1.0, 2.0, 3.0, 4.0, 2.0, 1.0, 0.5, 0.5])
    assert network([10, 11, 12, 13, 14, 15, 16, 17], revenue) is Regime.BUST
    assert (
        network([10, 11, 12, 13, 14, 15, 16, 17], revenue, rules=RegimeRules(revenue_collapse=0.9))
        is not Regime.BUST
    )


def test_defaults_one_is_a_bust_close_or_many_a_cascade():
    d = NO_DEFAULT.copy()
    d[4:, 1] = True
    assert network([10, 11, 13, 14, 16, 17, 18, 20], defaulted=d) is Regime.BUST
    d3 = np.zeros((8, 3), dtype=bool)
    d3[2:, 0], d3[4:, 1] = True, True  # two quarters apart
    assert network([10] * 8, defaulted=d3) is Regime.CASCADE
    d3[4:, 1], d3[5:, 1] = False, True  # three quarters apart
    assert network([10] * 8, defaulted=d3) is Regime.BUST
    assert network([10] * 8, defaulted=d3, rules=RegimeRules(cascade_window=3)) is Regime.CASCADE
    d4 = np.zeros((12, 4), dtype=bool)
    d4[0:, 0], d4[5:, 1], d4[10:, 2] = True, True, True
    assert classify_regime(np.full(12, 10.0), np.ones(12), d4) is Regime.CASCADE
    assert (
        classify_regime(np.full(12, 10.0), np.ones(12), d4, RegimeRules(cascade_min=4))
        is Regime.BUST
    )


def test_per_firm_inputs_are_summed_over_the_network():
    v = np.array([[5.0, 5.0], [10.0, 10.0], [4.0, 4.0], [10.0, 9.0]])
    r = np.ones((4, 2))
    no = np.zeros((4, 2), dtype=bool)
    assert classify_regime(v, r, no) is classify_regime(v.sum(axis=1), r.sum(axis=1), no)
    stats = regime_stats(v, r, no)
    assert stats.value_drawdown == pytest.approx(0.6) and stats.value_end_to_peak == 0.95


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, 12, elements=st.floats(0.1, 1e4)),
    hnp.arrays(np.float64, 12, elements=st.floats(0.0, 1e3)),
    st.floats(0.01, 100.0),
)
def test_labels_do_not_depend_on_units(value, revenue, scale):
    no = np.zeros((12, 3), dtype=bool)
    assert classify_regime(value, revenue, no) is classify_regime(
        value * scale, revenue * scale, no
    )


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, 10, elements=st.floats(0.1, 1e4)),
    st.integers(0, 9),
)
def test_a_default_is_never_milder_than_none(value, quarter):
    order = list(Regime)  # boom < soft landing < crash recovered < bust < cascade
    no = np.zeros((10, 2), dtype=bool)
    d = no.copy()
    d[quarter:, 0] = True
    calm, hit = classify_regime(value, np.ones(10), no), classify_regime(value, np.ones(10), d)
    assert order.index(hit) >= order.index(Regime.BUST) and order.index(hit) >= order.index(calm)


# ------------------------------------------------------------------- rule text
def test_one_sentence_per_label_with_the_thresholds():
    text = regime_rules_text()
    assert list(text) == [
        Regime.CASCADE,
        Regime.BUST,
        Regime.CRASH_RECOVERED,
        Regime.BOOM,
        Regime.SOFT_LANDING,
    ]
    assert all(t.endswith(".") and t.count(". ") == 0 for t in text.values())
    assert "50%" in text[Regime.BUST] and "80%" in text[Regime.BUST]
    custom = regime_rules_text(RegimeRules(crash_drawdown=0.3, cascade_min=4))
    assert "30%" in custom[Regime.CRASH_RECOVERED] and "At least 4 firms" in custom[Regime.CASCADE]
    assert regime_rule("boom") == REGIME_RULES[Regime.BOOM]
    with pytest.raises(ValueError, match="not a regime"):
        regime_rule("meltdown")
    with pytest.raises(TypeError):
        REGIME_RULES[Regime.BOOM] = "anything"  # type: ignore[index]


def test_stress_module_reexports_the_classifier():
    assert reexported is classify_regime


# ------------------------------------------------------------------- AI-exposed value
def test_ai_exposed_value_scales_by_the_ai_share_of_revenue():
    valuation = np.array([[2600.0, 500.0], [2600.0, 500.0]])
    revenue = np.array([[165.0, 3.0], [175.0, 4.0]])
    ai = np.array([[13.5, 3.0], [20.0, 4.0]])
    e = ai_exposed_value(valuation, revenue, ai)
    assert e[0, 0] == pytest.approx(2600 * 13.5 / 165) and e[:, 1].tolist() == [500.0, 500.0]
    assert e[1, 0] == pytest.approx(2600 * 33.5 / 340)  # shares over the last quarters
    # no revenue: all prospects; negative valuations count as zero
    assert ai_exposed_value([[10.0]], [[0.0]], [[0.0]]).item() == 10.0
    assert ai_exposed_value([[-5.0]], [[1.0]], [[1.0]]).item() == 0.0
    with pytest.raises(ValueError, match="ai_revenue"):
        ai_exposed_value(valuation, revenue, ai[:1])


def test_cash_paid_out_is_not_a_crash():
    # a lab whose AI revenue grows and which pays out 60 % of its value over six quarters:
    # its valuation falls by what its shareholders receive, which is not a loss to them
    valuation = np.array([[100.0], [110.0], [90.0], [70.0], [55.0], [45.0], [44.0], [60.0]])
    paid = np.array([[0.0], [0.0], [30.0], [25.0], [20.0], [15.0], [5.0], [0.0]])
    revenue = GROWING_REVENUE[:, None]
    bare = ai_exposed_value(valuation, revenue, revenue).sum(axis=1)
    counted = ai_exposed_value(valuation, revenue, revenue, payouts=paid).sum(axis=1)
    assert network(bare) is Regime.BUST  # the paid-out cash read as a crash
    np.testing.assert_allclose(counted, valuation[:, 0] + np.cumsum(paid[:, 0]))
    assert network(counted) is Regime.BOOM
    # without payouts the value is the valuation's
    np.testing.assert_array_equal(
        ai_exposed_value(valuation, revenue, revenue, payouts=np.zeros_like(paid)), bare[:, None]
    )


def test_money_paid_in_for_new_shares_is_not_value_created():
    # a lab worth 100 raises 60, 60 and 80 at its own value and spends some of it on
    # compute that earns little: its valuation ends 2.7x its start only because of the
    # money paid in; its shareholders put in 200 and end with 270 for their 300
    valuation = np.array([[100.0], [160.0], [220.0], [300.0], [290.0], [280.0], [275.0], [270.0]])
    raised = np.array([[0.0], [60.0], [60.0], [80.0], [0.0], [0.0], [0.0], [0.0]])
    revenue = GROWING_REVENUE[:, None]
    bare = ai_exposed_value(valuation, revenue, revenue).sum(axis=1)
    counted = ai_exposed_value(valuation, revenue, revenue, equity_raised=raised).sum(axis=1)
    np.testing.assert_allclose(counted, valuation[:, 0] - np.cumsum(raised[:, 0]))
    assert network(bare) is Regime.BOOM  # the money paid in read as value created
    assert network(counted) is Regime.SOFT_LANDING  # 100 became 70: no boom, no crash
    # more spent than was paid in: never below zero
    burnt = ai_exposed_value(valuation * 0.5, revenue, revenue, equity_raised=raised)
    assert burnt.min() == 0.0 and network(burnt.sum(axis=1)) is Regime.BUST


@pytest.mark.parametrize("flow", ["payouts", "equity_raised"])
def test_a_negative_or_misshapen_shareholder_flow_is_refused_by_name(flow):
    valuation = np.full((8, 1), 100.0)
    revenue = GROWING_REVENUE[:, None]
    amounts = np.full((8, 1), 5.0)
    with pytest.raises(ValueError, match=f"{flow} must be >= 0"):
        ai_exposed_value(valuation, revenue, revenue, **{flow: -amounts})
    with pytest.raises(ValueError, match=f"{flow} must have the shape of valuations"):
        ai_exposed_value(valuation, revenue, revenue, **{flow: amounts[:4]})


@settings(max_examples=100, deadline=None)
@given(
    value=hnp.arrays(np.float64, (8, 3), elements=st.floats(1.0, 1e4)),
    raised=hnp.arrays(np.float64, (8, 3), elements=st.sampled_from([0.0]) | st.floats(0.0, 500.0)),
    paid=hnp.arrays(np.float64, (8, 3), elements=st.sampled_from([0.0]) | st.floats(0.0, 50.0)),
)
def test_a_round_at_the_firms_own_value_leaves_its_ai_value_unchanged(value, raised, paid):
    """Shares sold at the firm's value add the money to it (post-money): no AI value moves."""
    revenue = np.full((8, 3), 5.0)
    ai = np.full((8, 3), 2.0)
    post = value + np.cumsum(raised, axis=0)
    np.testing.assert_allclose(
        ai_exposed_value(post, revenue, ai, payouts=paid, equity_raised=raised),
        ai_exposed_value(value, revenue, ai, payouts=paid),
        rtol=1e-12,
        atol=1e-9,
    )


def test_trailing_sum_annualises_the_first_quarters():
    np.testing.assert_allclose(trailing_sum([1.0, 1.0, 1.0, 1.0, 1.0]), [4.0] * 5)
    x = np.arange(10.0).reshape(5, 2)
    np.testing.assert_allclose(trailing_sum(x, 2)[:, 0], [0.0, 2.0, 6.0, 10.0, 14.0])
    with pytest.raises(ValueError, match="window"):
        trailing_sum([1.0], 0)


# ------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"ai_value": np.zeros(8)}, "ai_value"),
        ({"ai_value": np.full(8, np.nan)}, "ai_value"),
        ({"ai_value": -np.ones(8)}, "ai_value"),
        ({"ai_revenue": np.ones(7)}, "quarters"),
        ({"ai_revenue": -np.ones(8)}, "ai_revenue"),
        ({"defaulted": np.zeros((8, 2))}, "defaulted"),
        ({"defaulted": np.zeros(8, dtype=bool)}, "defaulted"),
    ],
)
def test_classify_regime_validation(change, name):
    args = {"ai_value": np.ones(8), "ai_revenue": np.ones(8), "defaulted": NO_DEFAULT} | change
    with pytest.raises(ValueError, match=name):
        classify_regime(**args)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"cascade_window": -1}, "cascade_window"),
        ({"cascade_min": 1}, "cascade_min"),
        ({"crash_drawdown": 0.0}, "crash_drawdown"),
        ({"recovery_share": 1.5}, "recovery_share"),
        ({"revenue_collapse": 0.0}, "revenue_collapse"),
        ({"boom_growth": 0.0}, "boom_growth"),
        ({"boom_revenue_growth": -1.0}, "boom_revenue_growth"),
    ],
)
def test_regime_rules_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        RegimeRules(**kwargs)


def test_regime_rules_are_frozen_and_labels_are_strings():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RegimeRules().cascade_min = 5  # type: ignore[misc]
    assert Regime.CRASH_RECOVERED == "crash_recovered"
