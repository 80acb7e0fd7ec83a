"""DebtRank and fire-sale kernels (world/contagion.py)."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.contagion import debtrank, fire_sale_price, fire_sale_proceeds

# --------------------------------------------------------------------------- DebtRank

CHAIN = np.array([[0.0, 5.0, 0.0], [0.0, 0.0, 4.0], [0.0, 0.0, 0.0]])  # 0 -> 1 -> 2


def leverage(exposures: np.ndarray, equity: np.ndarray) -> np.ndarray:
    lam = np.zeros_like(exposures)
    np.divide(exposures, equity[:, None], out=lam, where=equity[:, None] > 0)
    return lam


@st.composite
def stable_networks(draw, max_n: int = 8):
    """Exposure networks whose leverage rows sum to at most 0.9 (a stable system)."""
    n = draw(st.integers(1, max_n))
    exposures = draw(hnp.arrays(np.float64, (n, n), elements=st.floats(0.0, 10.0)))
    mask = draw(hnp.arrays(np.bool_, (n, n)))
    exposures = np.where(mask, exposures, 0.0)
    np.fill_diagonal(exposures, 0.0)
    cushion = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.1, 50.0)))
    equity = exposures.sum(axis=1) / 0.9 + cushion
    shock = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.0, 1.0)))
    return exposures, equity, shock


@st.composite
def any_networks(draw, max_n: int = 8):
    """Exposure networks of any leverage, including highly unstable ones."""
    n = draw(st.integers(1, max_n))
    exposures = draw(hnp.arrays(np.float64, (n, n), elements=st.floats(0.0, 100.0)))
    mask = draw(hnp.arrays(np.bool_, (n, n)))
    exposures = np.where(mask, exposures, 0.0)
    np.fill_diagonal(exposures, 0.0)
    equity = draw(hnp.arrays(np.float64, (n,), elements=st.floats(1.0, 100.0)))
    shock = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.0, 1.0)))
    return exposures, equity, shock


def test_chain_hand_computed():
    # 2 loses half its equity; 1 holds 4 of exposure on 8 of equity, so loses 0.5 * 0.5;
    # 0 holds 5 of exposure to 1 on 10 of equity, so loses 0.5 * 0.25.
    h = debtrank(CHAIN, np.array([10.0, 8.0, 6.0]), np.array([0.0, 0.0, 0.5]))
    np.testing.assert_allclose(h, [0.125, 0.25, 0.5])


def test_chain_saturates_at_default():
    # 1's exposure to 2 is twice its equity: a 50% loss at 2 wipes 1 out (h = 1),
    # and 0 loses half its equity; no loss can exceed 1.
    exposures = np.array([[0.0, 5.0, 0.0], [0.0, 0.0, 16.0], [0.0, 0.0, 0.0]])
    h = debtrank(exposures, np.array([10.0, 8.0, 6.0]), np.array([0.0, 0.0, 0.5]))
    np.testing.assert_allclose(h, [0.5, 1.0, 0.5])


def test_cycle_transmits_repeatedly():
    # Two firms each exposed to half of the other's equity: 0.2 at node 0 comes back
    # amplified, h0 = 0.2 / (1 - 0.25) and h1 = h0 / 2 (the original DebtRank,
    # where each node transmits once, would stop at h0 = 0.2).
    exposures = np.array([[0.0, 5.0], [5.0, 0.0]])
    h = debtrank(exposures, np.array([10.0, 10.0]), np.array([0.2, 0.0]))
    np.testing.assert_allclose(h, [0.2 / 0.75, 0.1 / 0.75], rtol=1e-10)


def test_stable_regime_matches_the_linear_solution():
    # Without saturation the dynamics converge to (I - Lambda)^-1 h(1).
    rng = np.random.default_rng(3)
    n = 50
    exposures = np.where(rng.random((n, n)) < 0.2, rng.random((n, n)), 0.0)
    np.fill_diagonal(exposures, 0.0)
    equity = exposures.sum(axis=1) / 0.8 + 1.0
    shock = rng.uniform(0.0, 0.01, n)
    h = debtrank(exposures, equity, shock)
    expected = np.linalg.solve(np.eye(n) - leverage(exposures, equity), shock)
    assert expected.max() < 1.0
    np.testing.assert_allclose(h, expected, rtol=1e-9)


@settings(max_examples=100, deadline=None)
@given(stable_networks())
def test_debtrank_is_the_capped_fixed_point(net):
    # The differential dynamics telescope into h = min(1, h(1) + Lambda h).
    exposures, equity, shock = net
    h = debtrank(exposures, equity, shock)
    lam = leverage(exposures, equity)
    np.testing.assert_allclose(h, np.minimum(1.0, shock + lam @ h), atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(any_networks())
def test_losses_are_fractions_and_never_below_the_shock(net):
    exposures, equity, shock = net
    h = debtrank(exposures, equity, shock)
    assert h.shape == shock.shape and h.dtype == np.float64
    assert np.all((h >= 0.0) & (h <= 1.0))
    assert np.all(h >= shock)


@settings(max_examples=100, deadline=None)
@given(any_networks(), hnp.arrays(np.float64, 8, elements=st.floats(0.0, 1.0)))
def test_losses_monotone_in_the_initial_shock(net, extra):
    exposures, equity, shock = net
    bigger = np.minimum(1.0, shock + extra[: shock.size])
    assert np.all(debtrank(exposures, equity, bigger) >= debtrank(exposures, equity, shock) - 1e-9)


@settings(max_examples=50, deadline=None)
@given(any_networks())
def test_zero_shock_means_zero_loss(net):
    exposures, equity, shock = net
    np.testing.assert_array_equal(debtrank(exposures, equity, np.zeros_like(shock)), 0.0)


def test_insolvent_node_transmits_only_its_own_shock():
    # Node 1 has no equity: its row is ignored (it cannot lose more), its h stays at
    # the shock; with shock 1 its creditor 0 loses its whole exposure.
    exposures = np.array([[0.0, 5.0], [100.0, 0.0]])
    equity = np.array([10.0, 0.0])
    np.testing.assert_allclose(debtrank(exposures, equity, [0.0, 1.0]), [0.5, 1.0])
    np.testing.assert_allclose(debtrank(exposures, equity, [0.3, 0.0]), [0.3, 0.0])


def test_tiny_equity_saturates_without_overflow():
    # Leverage of 1e310 overflows float64; the firm is simply wiped out.
    exposures = np.array([[0.0, 1e10], [0.0, 0.0]])
    h = debtrank(exposures, np.array([1e-300, 1.0]), np.array([0.0, 1e-3]))
    np.testing.assert_array_equal(h, [1.0, 1e-3])
    h = debtrank(exposures, np.array([1e-300, 1.0]), np.array([0.0, 0.0]))
    np.testing.assert_array_equal(h, [0.0, 0.0])


def test_result_is_a_new_array():
    shock = np.array([0.0, 0.0, 0.0])
    h = debtrank(CHAIN, np.ones(3), shock)
    h[0] = 0.7
    assert shock[0] == 0.0


def test_non_convergence_is_reported():
    exposures = np.array([[0.0, 5.0], [5.0, 0.0]])
    with pytest.raises(RuntimeError, match="max_iter"):
        debtrank(exposures, np.array([10.0, 10.0]), np.array([0.2, 0.0]), max_iter=3)


@pytest.mark.parametrize(
    ("exposures", "equity", "shock", "name"),
    [
        ([[0.0, -1.0], [0.0, 0.0]], [1.0, 1.0], [0.0, 0.0], "exposures"),
        ([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [1.0, 1.0], [0.0, 0.0], "exposures"),
        ([[0.0, np.nan], [0.0, 0.0]], [1.0, 1.0], [0.0, 0.0], "exposures"),
        ([[1.0, 0.0], [0.0, 0.0]], [1.0, 1.0], [0.0, 0.0], "exposures"),
        ([0.0, 1.0], [1.0, 1.0], [0.0, 0.0], "exposures"),
        ([[0.0, 1.0], [0.0, 0.0]], [1.0], [0.0, 0.0], "equity"),
        ([[0.0, 1.0], [0.0, 0.0]], [1.0, np.inf], [0.0, 0.0], "equity"),
        ([[0.0, 1.0], [0.0, 0.0]], [1.0, 1.0], [0.0, 1.5], "initial_shock"),
        ([[0.0, 1.0], [0.0, 0.0]], [1.0, 1.0], [-0.1, 0.0], "initial_shock"),
        ([[0.0, 1.0], [0.0, 0.0]], [1.0, 1.0], [np.nan, 0.0], "initial_shock"),
        ([[0.0, 1.0], [0.0, 0.0]], [1.0, 1.0], [0.0], "initial_shock"),
    ],
)
def test_debtrank_validation_names_the_argument(exposures, equity, shock, name):
    with pytest.raises(ValueError, match=name):
        debtrank(exposures, equity, shock)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.0}, "max_iter"),
        ({"tol": 0.0}, "tol"),
        ({"tol": "small"}, "tol"),
    ],
)
def test_debtrank_options_are_validated(kwargs, name):
    with pytest.raises(ValueError, match=name):
        debtrank(CHAIN, np.ones(3), np.zeros(3), **kwargs)


# --------------------------------------------------------------------------- fire sales


def test_fire_sale_price_known_values():
    assert float(fire_sale_price(100.0, 10.0, 10.0)) == pytest.approx(100.0 * np.exp(-1.0))
    assert float(fire_sale_price(100.0, 0.0, 10.0)) == 100.0
    assert float(fire_sale_price(100.0, 50.0, np.inf)) == 100.0
    np.testing.assert_allclose(
        fire_sale_price([100.0, 50.0], [[0.0], [10.0]], 20.0),
        [[100.0, 50.0], [100.0 * np.exp(-0.5), 50.0 * np.exp(-0.5)]],
    )


def test_fire_sale_proceeds_known_values():
    # selling one depth raises p d (1 - 1/e); with no impact it is p q
    assert float(fire_sale_proceeds(2.0, 10.0, 10.0)) == pytest.approx(20.0 * (1 - np.exp(-1)))
    assert float(fire_sale_proceeds(2.0, 10.0, np.inf)) == 20.0
    assert float(fire_sale_proceeds(2.0, 1e-9, 10.0)) == pytest.approx(2e-9, rel=1e-9)
    assert float(fire_sale_proceeds(2.0, 1e6, 10.0)) == pytest.approx(20.0)


positive = st.floats(1e-3, 1e3)
quantities = st.floats(0.0, 1e3, allow_subnormal=False)


@settings(max_examples=100, deadline=None)
@given(positive, quantities, quantities, positive)
def test_fire_sale_price_falls_with_size_and_proceeds_are_bracketed(price, q1, q2, depth):
    small, large = sorted((q1, q2))
    p_small = float(fire_sale_price(price, small, depth))
    p_large = float(fire_sale_price(price, large, depth))
    assert 0.0 <= p_large <= p_small <= price
    proceeds = float(fire_sale_proceeds(price, large, depth))
    assert large * p_large * (1 - 1e-12) <= proceeds <= large * price * (1 + 1e-12)
    assert proceeds <= price * depth * (1 + 1e-12)
    assert float(fire_sale_proceeds(price, small, depth)) <= proceeds * (1 + 1e-12)


@settings(max_examples=50, deadline=None)
@given(positive, quantities, positive, positive)
def test_deeper_markets_mean_smaller_discounts(price, quantity, d1, d2):
    shallow, deep = sorted((d1, d2))
    assert fire_sale_price(price, quantity, deep) >= fire_sale_price(price, quantity, shallow)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((-1.0, 1.0, 1.0), "price"),
        ((np.nan, 1.0, 1.0), "price"),
        ((1.0, -1.0, 1.0), "quantity_sold"),
        ((1.0, np.inf, 1.0), "quantity_sold"),
        ((1.0, 1.0, 0.0), "market_depth"),
        ((1.0, 1.0, -np.inf), "market_depth"),
        ((1.0, 1.0, np.nan), "market_depth"),
        (([1.0, 2.0], [1.0, 2.0, 3.0], 1.0), "broadcast"),
    ],
)
def test_fire_sale_validation_names_the_argument(args, name):
    with pytest.raises(ValueError, match=name):
        fire_sale_price(*args)
    with pytest.raises(ValueError, match=name):
        fire_sale_proceeds(*args)
