"""Fundamental values: fading growth, bounded expectations, the lab's prospects."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from world.fundamentals import (
    fade_growth_path,
    fade_multiple,
    growth_expectation_unchecked,
    lab_prospects_value,
    update_growth_expectation,
)
from world.valuation import _maximum, _minimum, revenue_trend

R, G_INF = 0.025, 0.005


def test_fade_path_starts_near_g0_and_tends_to_g_inf():
    path = fade_growth_path(0.2, G_INF, 0.9, 80)
    assert path[0] == pytest.approx(G_INF + (0.2 - G_INF) * 0.9)
    assert path[-1] == pytest.approx(G_INF, abs=1e-3)
    assert np.all(np.diff(path) < 0)


def test_fade_multiple_without_excess_growth_is_gordon():
    # g0 = g_inf: the cash flow grows at g_inf for ever: M = (1+g)/(r-g)
    m = float(fade_multiple(G_INF, R, G_INF, 0.9, 40))
    assert m == pytest.approx((1 + G_INF) / (R - G_INF), rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    g1=st.floats(-0.05, 0.3),
    g2=st.floats(-0.05, 0.3),
    fade=st.floats(0.0, 0.98),
    horizon=st.integers(1, 200),
)
@example(g1=-0.03125, g2=-0.03125, fade=0.9375, horizon=1)
def test_fade_multiple_is_increasing_in_growth_and_bounded(g1, g2, fade, horizon):
    lo, hi = sorted((g1, g2))
    m_lo, m_hi = fade_multiple(np.array([lo, hi]), R, G_INF, fade, horizon)
    assert np.isfinite(m_hi) and m_lo <= m_hi + 1e-9
    # cumulative growth is at most exp((g0 - g_inf) / (1 - fade)) times the long-run path;
    # below the long-run rate (g0 < g_inf) a short horizon's terminal value still grows at
    # about g_inf, so the factor is at least 1 (hypothesis found g0 = -0.031, fade 0.94,
    # horizon 1: multiple 48.6 against the tightened 42.8)
    factor = max(1.0, math.exp((hi - G_INF) / (1 - fade)))
    bound = factor * (1 + G_INF) / (R - G_INF) * 1.5
    assert m_hi <= bound + horizon * factor


def test_growth_expectation_adapts_and_stays_in_bounds():
    g = update_growth_expectation(np.array([0.0, 0.0, 0.05]), [1.0, -1.0, np.nan], 0.5, -0.05, 0.1)
    assert g.tolist() == [0.1, -0.05, 0.05]  # clipped both ways; NaN keeps the old value
    g = update_growth_expectation(0.0, 0.04, 0.25, -0.05, 0.1)
    assert float(g) == pytest.approx(0.01)


_edge = st.sampled_from([0.0, -0.0, -0.05, 0.1, math.nan]) | st.floats(-1.0, 1.0)


@settings(max_examples=300, deadline=None)
@given(
    previous=_edge,
    observed=_edge,
    smoothing=st.floats(0.01, 1.0),
    low=st.sampled_from([0.0, -0.0, -0.05]) | st.floats(-0.5, 0.0),
    high=st.sampled_from([0.0, -0.0, 0.1]) | st.floats(0.0, 0.5),
)
def test_one_firms_growth_expectation_is_the_array_kernels_bit_for_bit(
    previous, observed, smoothing, low, high
):
    kernel = update_growth_expectation([previous], [observed], smoothing, low, high)[0]
    one = growth_expectation_unchecked(previous, observed, smoothing, low, high)
    assert np.array([one]).tobytes() == np.array([kernel]).tobytes()


@given(x=_edge, y=_edge)
def test_maximum_and_minimum_of_two_floats_are_numpys(x, y):
    for mine, theirs in ((_maximum, np.maximum), (_minimum, np.minimum)):
        assert np.array([mine(x, y)]).tobytes() == np.array([theirs(x, y)]).tobytes()


@pytest.mark.parametrize(
    "bad",
    [
        {"r": 0.004},  # below g_inf
        {"fade": 1.0},
        {"horizon": 0},
    ],
)
def test_fade_multiple_rejects_bad_arguments(bad):
    args = {"g0": 0.1, "r": R, "g_inf": G_INF, "fade": 0.9, "horizon": 20} | bad
    with pytest.raises(ValueError):
        fade_multiple(**args)


def _lab(**kw):
    args = dict(
        revenue_q=3.0,
        g0=0.2,
        other_share_now=1.5,
        compute_share_now=1.0,
        committed_q=np.zeros(40),
        other_share_lr=0.25,
        compute_share_lr=0.4,
        cost_fade=0.9,
        r=0.03,
        g_inf=G_INF,
        fade=0.95,
    )
    return lab_prospects_value(**(args | kw))


def test_lab_value_rises_with_growth_and_falls_with_commitments():
    assert _lab(g0=0.25) > _lab(g0=0.15) > _lab(g0=0.05)
    committed = np.zeros(40)
    committed[8:28] = 20.0  # 20 USD bn a quarter of take-or-pay from year 3
    assert _lab(committed_q=committed) < _lab() - 50.0  # 400 contracted, part of it needed


def test_a_stalled_lab_with_large_commitments_is_worth_less_than_nothing():
    committed = np.zeros(40)
    committed[4:24] = 15.0
    assert _lab(g0=0.0, committed_q=committed) < 0.0


def test_lab_revenue_never_outgrows_the_cap():
    cap = np.full(40, 5.0)  # revenue at most 5 a quarter
    capped = _lab(g0=0.3, fade=0.98, revenue_cap_q=cap)
    # at the long-run margin and the cap, the value is bounded by a perpetuity of the cap
    margin = 1 - 0.25 - 0.4
    assert capped < 5.0 * margin * (1 + G_INF) / (0.03 - G_INF) + 1.0
    assert capped < _lab(g0=0.3, fade=0.98)
    with pytest.raises(ValueError):
        _lab(revenue_cap_q=np.ones(3))


def test_revenue_trend_is_robust_to_a_one_quarter_lump():
    steady = [10.0 * 1.05**t for t in range(8)]
    assert revenue_trend(steady, 8) == pytest.approx(0.05, rel=1e-9)
    lumpy = list(steady)
    lumpy[5] *= 4.0  # an order wave delivered in one quarter
    assert abs(revenue_trend(lumpy, 8)) < 0.2  # quarter-on-quarter growth would read +300%
    assert math.isnan(revenue_trend([1.0, 2.0], 8))
