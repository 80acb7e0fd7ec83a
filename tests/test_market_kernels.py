"""Pure market kernels, tested without a model."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pydantic import ValidationError

from world.market import (
    InvestorParams,
    backlog_cash_flow,
    fundamental_value,
    price_impact,
    softmax_fractions,
)

finite = st.floats(-50.0, 50.0, allow_nan=False)


# ----------------------------------------------------------------- softmax
@given(arrays(np.float64, st.integers(1, 6), elements=finite), st.floats(0.0, 100.0))
def test_softmax_fractions_are_a_distribution(fitness, beta):
    f = softmax_fractions(fitness, beta)
    assert f.shape == fitness.shape
    assert np.all(f >= 0.0)
    assert f.sum() == pytest.approx(1.0, abs=1e-12)


@given(arrays(np.float64, (4, 3), elements=finite), st.floats(0.0, 20.0))
def test_softmax_rows_and_monotone_in_fitness(fitness, beta):
    f = softmax_fractions(fitness, beta)
    np.testing.assert_allclose(f.sum(axis=1), 1.0, atol=1e-12)
    for row, frac in zip(fitness, f, strict=True):
        order = np.argsort(row, kind="stable")
        assert np.all(np.diff(frac[order]) >= -1e-15)  # fitter => not less popular


def test_softmax_limits():
    u = np.array([0.3, -1.0, 2.0, 0.5])
    np.testing.assert_allclose(softmax_fractions(u, 0.0), 0.25)
    np.testing.assert_allclose(softmax_fractions(u, 1e6), [0, 0, 1, 0], atol=1e-300)
    np.testing.assert_array_equal(softmax_fractions(u, np.inf), [0, 0, 1, 0])
    np.testing.assert_array_equal(softmax_fractions([1.0, 3.0, 3.0], np.inf), [0, 0.5, 0.5])
    # Brock–Hommes: log-odds are beta times the fitness difference
    f = softmax_fractions([1.0, 0.0], 2.0)
    assert np.log(f[0] / f[1]) == pytest.approx(2.0)


def test_softmax_is_stable_for_huge_fitness():
    f = softmax_fractions([1e300, 1e300 - 1e290, -1e300], 1.0)
    assert np.all(np.isfinite(f))
    np.testing.assert_array_equal(f, [1.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("fitness", "beta", "name"),
    [
        ([1.0, np.nan], 1.0, "fitness"),
        ([], 1.0, "fitness"),
        (np.zeros((2, 2, 2)), 1.0, "fitness"),
        ([1.0, 2.0], -0.1, "beta"),
        ([1.0, 2.0], np.nan, "beta"),
    ],
)
def test_softmax_validation_names_argument(fitness, beta, name):
    with pytest.raises(ValueError, match=name):
        softmax_fractions(fitness, beta)


# ------------------------------------------------------------ price impact
def test_price_impact_zero_demand_and_closed_form():
    lp = np.log([10.0, 200.0])
    np.testing.assert_array_equal(price_impact(lp, [0.0, 0.0], 3.0, [5.0, 7.0]), lp)
    new = price_impact(lp, [0.05, -0.07], 3.0, [5.0, 7.0])
    np.testing.assert_allclose(new - lp, [3.0 * 0.01, -3.0 * 0.01])


@given(
    finite,
    st.floats(-1e3, 1e3),
    st.floats(-1e3, 1e3),
    st.floats(0.0, 10.0),
    st.floats(1e-3, 1e3),
)
def test_price_impact_sign_and_monotone(lp, d1, d2, lam, depth):
    a = float(price_impact(lp, d1, lam, depth))
    b = float(price_impact(lp, d2, lam, depth))
    if d1 <= d2:
        assert a <= b
    assert np.sign(a - lp) == np.sign(d1) or lam == 0.0 or a == lp


def test_price_impact_circuit_breaker():
    assert price_impact(0.0, 1e9, 1.0, max_move=0.25) == pytest.approx(0.25)
    assert price_impact(0.0, -1e9, 1.0, max_move=0.25) == pytest.approx(-0.25)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lam": -1.0}, "lam"),
        ({"depth": 0.0}, "depth"),
        ({"excess_demand": np.inf}, "excess_demand"),
        ({"log_price": np.nan}, "log_price"),
        ({"max_move": 0.0}, "max_move"),
    ],
)
def test_price_impact_validation_names_argument(kwargs, name):
    args = {"log_price": 0.0, "excess_demand": 1.0, "lam": 1.0, "depth": 1.0} | kwargs
    with pytest.raises(ValueError, match=name):
        price_impact(**args)


# ------------------------------------------------------- fundamental value
def _brute_force(cf, g, r, h, gt):
    pv = sum(cf * (1 + g) ** t / (1 + r) ** t for t in range(1, h + 1))
    terminal = cf * (1 + g) ** h * (1 + gt) / (r - gt)
    return pv + terminal / (1 + r) ** h


@given(
    st.floats(-10.0, 10.0),
    st.floats(-0.05, 0.2),
    st.floats(0.01, 0.1),
    st.integers(0, 60),
    st.floats(-0.02, 0.009),
)
def test_fundamental_value_matches_brute_force(cf, g, r, h, gt):
    v = float(fundamental_value(cf, g, r, h, gt))
    assert v == pytest.approx(_brute_force(cf, g, r, h, gt), rel=1e-9, abs=1e-9)


def test_fundamental_value_closed_forms():
    # no explicit horizon: Gordon growth
    assert fundamental_value(2.0, 0.1, 0.03, 0, 0.01) == pytest.approx(2.0 * 1.01 / 0.02)
    # constant growth throughout: the horizon does not matter
    v = fundamental_value(1.0, 0.01, 0.03, np.array([0, 4, 40]), 0.01)
    np.testing.assert_allclose(v, 1.01 / 0.02)
    # growth equal to the discount rate: every explicit quarter is worth CF
    assert fundamental_value(1.0, 0.03, 0.03, 8, 0.0) == pytest.approx(8.0 + 1.0 / 0.03)
    # linear in cash flow, vectorised over firms
    cf = np.array([-1.0, 0.0, 3.0])
    np.testing.assert_allclose(
        fundamental_value(cf, 0.05, 0.025, 12, 0.005),
        cf * fundamental_value(1.0, 0.05, 0.025, 12, 0.005),
    )


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((1.0, 0.0, 0.01, 4, 0.01), "terminal_growth"),
        ((1.0, -1.0, 0.03, 4, 0.0), "growth_per_q"),
        ((1.0, 0.0, 0.03, -1, 0.0), "horizon_q"),
        ((1.0, 0.0, 0.03, 2.5, 0.0), "horizon_q"),
        ((np.nan, 0.0, 0.03, 2, 0.0), "cash_flow_per_q"),
        ((1.0, 0.0, -1.0, 2, -0.5), "discount_rate_per_q"),
    ],
)
def test_fundamental_value_validation_names_argument(args, name):
    with pytest.raises(ValueError, match=name):
        fundamental_value(*args)


def test_backlog_cash_flow():
    np.testing.assert_allclose(backlog_cash_flow([300.0, 0.0], 20, 0.25), [3.75, 0.0])
    with pytest.raises(ValueError, match="recognition_q"):
        backlog_cash_flow(1.0, 0, 0.1)
    with pytest.raises(ValueError, match="backlog_usd_bn"):
        backlog_cash_flow(-1.0, 4, 0.1)
    with pytest.raises(ValueError, match="margin"):
        backlog_cash_flow(1.0, 4, 1.5)


# ---------------------------------------------------------- InvestorParams
def test_investor_params_defaults_and_round_trip():
    p = InvestorParams()
    assert p.n_investors == 10_000 and p.sub_rounds == 12
    np.testing.assert_allclose(p.type_shares.sum(), 1.0)
    assert InvestorParams.model_validate(p.model_dump()) == p
    for name, field in InvestorParams.model_fields.items():
        assert field.description, name


def test_investor_params_frozen_and_strict():
    p = InvestorParams()
    with pytest.raises(ValidationError):
        p.beta = 2.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="not_a_field"):
        InvestorParams(not_a_field=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"share_noise": 0.5}, "must sum to 1"),
        ({"n_investors": 0}, "n_investors"),
        ({"n_investors": 10_000_001}, "n_investors"),
        ({"sub_rounds": 53}, "sub_rounds"),
        ({"beta": -1.0}, "beta"),
        ({"share_chartist": 1.2}, "share_chartist"),
        ({"terminal_growth_per_q": 0.03}, "terminal_growth_per_q"),
    ],
)
def test_investor_params_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InvestorParams(**kwargs)


@settings(max_examples=30)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_investor_params_accepts_any_mix_summing_to_one(a, b):
    b = min(b, 1.0 - a)
    p = InvestorParams(share_fundamentalist=a, share_chartist=b, share_noise=max(0.0, 1.0 - a - b))
    assert p.type_shares.sum() == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(1, 40),
    n_assets=st.integers(1, 9),
    data=st.data(),
    sub_rounds=st.integers(1, 16),
)
def test_record_and_scratch_parts_tile_their_arrays(n, n_assets, data, sub_rounds):
    """The trading kernel's record and scratch are cut into views that cover each array
    exactly, in order, with the shapes the kernel writes (sizes and layout stay one)."""
    from world import trading

    n_listed = data.draw(st.integers(0, n_assets))
    for size, parts in (
        (
            trading.record_size(n_assets, n_listed, sub_rounds),
            lambda a: trading.record_parts(a, n_assets, n_listed, sub_rounds),
        ),
        (
            trading.scratch_size(n, n_listed, sub_rounds),
            lambda a: trading.scratch_parts(a, n, n_listed, sub_rounds),
        ),
    ):
        whole = np.arange(size, dtype=np.float64)
        views = parts(whole)
        flat = np.concatenate([v.ravel() for v in views])
        np.testing.assert_array_equal(flat, whole)  # contiguous, in order, nothing left over
        assert all(np.shares_memory(v, whole) for v in views if v.size)
    close, caps, ptf, returns, volume, inventory, type_shares, fitness, stats = (
        trading.record_parts(
            np.empty(trading.record_size(n_assets, n_listed, sub_rounds)),
            n_assets, n_listed, sub_rounds,
        )
    )  # fmt: skip
    assert close.shape == caps.shape == ptf.shape == (n_assets,)
    assert returns.shape == (sub_rounds, n_listed)
    assert volume.shape == inventory.shape == (n_listed,)
    assert type_shares.shape == fitness.shape == (3,) and stats.shape == (2,)
    normals, uniforms, wealth0, tilt = trading.scratch_parts(
        np.empty(trading.scratch_size(n, n_listed, sub_rounds)), n, n_listed, sub_rounds
    )
    assert normals.shape == (sub_rounds * 3 * (n_listed + 1) + n,)
    assert uniforms.shape == (2 * n,) and wealth0.shape == tilt.shape == (n,)


# -- the fundamentalists' signal (world.trading._signals) -------------------------------
@given(
    x=arrays(np.float64, 6, elements=st.floats(-4.0, 4.0)),
    conviction=st.floats(0.0, 20.0),
    reaction=st.floats(0.0, 1.0),
)
@settings(deadline=None)  # the first call compiles the kernel
def test_fundamentalists_grow_surer_with_the_mispricing(x, conviction, reaction):
    """``D^F = φ · x · (1 + (c · x)²)`` with ``x = log(F / cap)``: odd in ``x``, linear
    for ``c = 0``, and per unit of mispricing never weaker the further the price is."""
    from world import trading

    n_l = x.size
    pars = np.zeros(trading.N_PARAMS)
    pars[trading.P_REACTION] = reaction
    pars[trading.P_CONVICTION] = conviction
    pars[trading.P_MAX_MISPRICING] = 5.0
    path = np.zeros((2, n_l))  # price 1 a share, one share: cap 1, so log(F / cap) = x
    sig = np.zeros((3, n_l))
    trading._signals(
        0, path, np.ones(n_l), np.exp(x), np.zeros(n_l), np.zeros((1, 3, n_l)), pars,
        np.empty(n_l), sig,
    )  # fmt: skip
    x = np.log(np.exp(x))  # the mispricing the kernel sees (log of F / cap)
    expected = reaction * x * (1.0 + (conviction * x) ** 2)
    np.testing.assert_allclose(sig[0], expected, rtol=1e-9, atol=1e-12)
    if conviction == 0.0:
        np.testing.assert_array_equal(sig[0], reaction * x)  # exactly the linear rule
    per_unit = np.divide(sig[0], x, out=np.full(n_l, reaction), where=x != 0.0)
    order = np.argsort(np.abs(x))
    assert np.all(np.diff(per_unit[order]) >= -1e-9 * max(1.0, per_unit.max()))
