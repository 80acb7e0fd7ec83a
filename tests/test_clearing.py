"""Eisenberg–Noe and Rogers–Veraart clearing kernels (world/clearing.py)."""

from __future__ import annotations

import dataclasses

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.clearing import ClearingResult, eisenberg_noe, rogers_veraart

ATOL = 1e-9


# --------------------------------------------------------------------------- helpers


def relative_liabilities(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pbar = L.sum(axis=1)
    pi = np.zeros_like(L)
    np.divide(L, pbar[:, None], out=pi, where=pbar[:, None] > 0)
    return pbar, pi


def rv_map(p: np.ndarray, L: np.ndarray, e: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """One application of the Rogers–Veraart map (EN when alpha = beta = 1).

    Exact ties (a node receiving exactly what it owes) are decided with a small
    tolerance, as in the kernel, so that round-off cannot flip them.
    """
    pbar, pi = relative_liabilities(L)
    inflow = pi.T @ p
    solvent = e + inflow >= pbar - 1e-10 * np.maximum(1.0, pbar)
    return np.where(solvent, pbar, np.minimum(pbar, alpha * e + beta * inflow))


def scale(L: np.ndarray, e: np.ndarray) -> float:
    return 1.0 + float(L.sum()) + float(e.sum())


@st.composite
def networks(draw, max_n: int = 8):
    """Random liability networks: sparse, with zero rows, a single node allowed."""
    n = draw(st.integers(1, max_n))
    amounts = draw(
        hnp.arrays(np.float64, (n, n), elements=st.floats(0.0, 100.0, allow_subnormal=False))
    )
    mask = draw(hnp.arrays(np.bool_, (n, n)))
    L = np.where(mask, amounts, 0.0)
    np.fill_diagonal(L, 0.0)
    e = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.0, 100.0, allow_subnormal=False)))
    return L, e


unit = st.floats(0.0, 1.0)


# --------------------------------------------------------------------------- properties


@settings(max_examples=100, deadline=None)
@given(networks())
def test_en_is_a_fixed_point_within_bounds_and_conserves_cash(net):
    L, e = net
    r = eisenberg_noe(L, e)
    pbar, pi = relative_liabilities(L)
    tol = ATOL * scale(L, e)
    # p = min(pbar, e + Pi^T p)
    np.testing.assert_allclose(r.payments, np.minimum(pbar, e + pi.T @ r.payments), atol=tol)
    assert np.all(r.payments >= 0)
    assert np.all(r.payments <= pbar)
    # everything paid out is received by someone in the network
    assert (pi.T @ r.payments).sum() == pytest.approx(r.payments.sum(), abs=tol)
    np.testing.assert_allclose(r.shortfall, pbar - r.payments, atol=0)
    # defaulters pay less than owed; solvent nodes pay in full
    np.testing.assert_allclose(r.payments[~r.defaulted], pbar[~r.defaulted], atol=0)
    assert np.all(r.payments[r.defaulted] < pbar[r.defaulted])
    assert 0 <= r.iterations <= L.shape[0]


@settings(max_examples=100, deadline=None)
@given(networks())
def test_en_is_the_greatest_clearing_vector(net):
    """Picard iterates from pbar decrease to the greatest fixed point: p stays below them."""
    L, e = net
    p = eisenberg_noe(L, e).payments
    q = L.sum(axis=1)
    for _ in range(200):
        q = rv_map(q, L, e, 1.0, 1.0)
        assert np.all(p <= q + ATOL * scale(L, e))


@settings(max_examples=75, deadline=None)
@given(networks(), hnp.arrays(np.float64, 8, elements=st.floats(0.0, 50.0)))
def test_en_payments_monotone_in_external_assets(net, extra):
    L, e = net
    more = e + extra[: e.size]
    low, high = eisenberg_noe(L, e), eisenberg_noe(L, more)
    assert np.all(high.payments >= low.payments - ATOL * scale(L, more))
    assert not np.any(high.defaulted & ~low.defaulted)


@settings(max_examples=75, deadline=None)
@given(networks())
def test_no_default_when_every_node_can_pay_from_external_assets(net):
    L, _ = net
    pbar = L.sum(axis=1)
    r = eisenberg_noe(L, pbar)
    assert not r.defaulted.any()
    np.testing.assert_array_equal(r.payments, pbar)
    assert r.iterations == 0


@settings(max_examples=75, deadline=None)
@given(networks(max_n=6))
def test_all_debtors_default_without_external_assets_when_a_sink_absorbs_cash(net):
    L, _ = net
    n = L.shape[0]
    big = np.zeros((n + 1, n + 1))
    big[:n, :n] = L
    big[:n, n] = 1.0  # every node also owes an outside creditor that owes nothing
    r = eisenberg_noe(big, np.zeros(n + 1))
    np.testing.assert_allclose(r.payments, 0.0, atol=ATOL)
    np.testing.assert_array_equal(r.defaulted, np.arange(n + 1) < n)


@settings(max_examples=100, deadline=None)
@given(networks(), unit, unit)
def test_rv_fixed_point_and_ordering_against_en(net, alpha, beta):
    L, e = net
    rv = rogers_veraart(L, e, alpha, beta)
    en = eisenberg_noe(L, e)
    pbar, pi = relative_liabilities(L)
    tol = ATOL * scale(L, e)
    inflow = pi.T @ rv.payments
    # solvent nodes pay in full; defaulters pay alpha e + beta Pi^T p
    np.testing.assert_allclose(rv.payments[~rv.defaulted], pbar[~rv.defaulted], atol=0)
    d = rv.defaulted
    np.testing.assert_allclose(rv.payments[d], alpha * e[d] + beta * inflow[d], atol=tol)
    assert np.all(e[d] + inflow[d] < pbar[d] + tol)
    assert np.all(e[~d] + inflow[~d] >= pbar[~d] - tol)
    # default costs only destroy value: lower payments, more defaults
    assert np.all(rv.payments <= en.payments + tol)
    assert not np.any(en.defaulted & ~rv.defaulted)


@settings(max_examples=75, deadline=None)
@given(networks(), unit, unit)
def test_rv_is_the_greatest_clearing_vector(net, alpha, beta):
    L, e = net
    p = rogers_veraart(L, e, alpha, beta).payments
    q = L.sum(axis=1)
    for _ in range(100):
        q = rv_map(q, L, e, alpha, beta)
        assert np.all(p <= q + ATOL * scale(L, e))


@settings(max_examples=75, deadline=None)
@given(networks())
def test_rv_without_default_costs_equals_en(net):
    L, e = net
    rv = rogers_veraart(L, e, 1.0, 1.0)
    en = eisenberg_noe(L, e)
    np.testing.assert_array_equal(rv.payments, en.payments)
    np.testing.assert_array_equal(rv.defaulted, en.defaulted)


# --------------------------------------------------------------------------- known examples


def test_two_node_example():
    # 0 owes 1 two, 1 owes 0 one; 0 has 0.5 outside: it pays 0.5 + 1 received.
    r = eisenberg_noe([[0.0, 2.0], [1.0, 0.0]], [0.5, 0.0])
    np.testing.assert_allclose(r.payments, [1.5, 1.0])
    np.testing.assert_array_equal(r.defaulted, [True, False])
    np.testing.assert_allclose(r.shortfall, [0.5, 0.0])


def test_hand_computed_chain():
    # 0 -> 1 -> 2, 10 each; 0 has 4, 1 has 3: 0 pays 4, 1 pays 3 + 4 = 7.
    L = np.array([[0.0, 10.0, 0.0], [0.0, 0.0, 10.0], [0.0, 0.0, 0.0]])
    r = eisenberg_noe(L, [4.0, 3.0, 0.0])
    np.testing.assert_allclose(r.payments, [4.0, 7.0, 0.0])
    np.testing.assert_array_equal(r.defaulted, [True, True, False])


def test_mutual_defaulters_need_the_linear_solve():
    # A and B owe each other 10 and an outside creditor S 10; each has 5 outside.
    # p_A = 5 + p_B / 2 and p_B = 5 + p_A / 2, so p_A = p_B = 10 and S receives 10.
    L = np.array([[0.0, 10.0, 10.0], [10.0, 0.0, 10.0], [0.0, 0.0, 0.0]])
    r = eisenberg_noe(L, [5.0, 5.0, 0.0])
    np.testing.assert_allclose(r.payments, [10.0, 10.0, 0.0], atol=1e-12)
    np.testing.assert_array_equal(r.defaulted, [True, True, False])
    assert r.iterations == 1


def test_circular_debts_without_cash_clear_in_full():
    # A cycle nets out: everyone receives exactly what it owes.
    L = np.array([[0.0, 10.0, 0.0], [0.0, 0.0, 10.0], [10.0, 0.0, 0.0]])
    r = eisenberg_noe(L, np.zeros(3))
    np.testing.assert_allclose(r.payments, 10.0)
    assert not r.defaulted.any()


def test_long_chain_needs_several_rounds_and_max_iter_is_enforced():
    # A chain of 120 nodes, each owing the next 10, each holding 0.05 outside:
    # node k pays 0.05 (k + 1) < 10; defaults travel one link per fixed-point step.
    n = 120
    L = np.diag(np.full(n - 1, 10.0), k=1)
    e = np.full(n, 0.05)
    r = eisenberg_noe(L, e)
    expected = np.append(0.05 * np.arange(1, n), 0.0)
    np.testing.assert_allclose(r.payments, expected, rtol=1e-12)
    assert r.defaulted[:-1].all() and not r.defaulted[-1]
    assert r.iterations >= 2
    with pytest.raises(ValueError, match="max_iter"):
        eisenberg_noe(L, e, max_iter=1)


def test_rogers_veraart_default_costs_create_an_extra_default():
    # A owes B 10, B owes C 5; A holds 9, B nothing.
    # EN: A pays 9 and B, receiving 9 >= 5, survives.
    # RV (alpha = 0.5): A realises only 4.5 of its cash, so B gets 4.5 < 5 and fails too.
    L = np.array([[0.0, 10.0, 0.0], [0.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    e = np.array([9.0, 0.0, 0.0])
    en = eisenberg_noe(L, e)
    np.testing.assert_allclose(en.payments, [9.0, 5.0, 0.0])
    np.testing.assert_array_equal(en.defaulted, [True, False, False])
    rv = rogers_veraart(L, e, alpha=0.5, beta=1.0)
    np.testing.assert_allclose(rv.payments, [4.5, 4.5, 0.0])
    np.testing.assert_array_equal(rv.defaulted, [True, True, False])
    rv_beta = rogers_veraart(L, e, alpha=0.5, beta=0.5)
    np.testing.assert_allclose(rv_beta.payments, [4.5, 2.25, 0.0])


def test_rogers_veraart_zero_recovery_pays_nothing():
    L = np.array([[0.0, 10.0, 0.0], [0.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    r = rogers_veraart(L, [9.0, 0.0, 0.0], alpha=0.0, beta=0.0)
    np.testing.assert_allclose(r.payments, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(r.defaulted, [True, True, False])


def test_single_node_and_empty_network():
    r = eisenberg_noe([[0.0]], [3.0])
    np.testing.assert_array_equal(r.payments, [0.0])
    np.testing.assert_array_equal(r.defaulted, [False])
    empty = eisenberg_noe(np.zeros((0, 0)), np.zeros(0))
    assert empty.payments.shape == (0,) and empty.iterations == 0


def test_result_is_frozen_and_typed():
    r = eisenberg_noe([[0.0, 1.0], [0.0, 0.0]], [0.0, 0.0])
    assert isinstance(r, ClearingResult)
    assert r.payments.dtype == np.float64 and r.defaulted.dtype == np.bool_
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.iterations = 3  # type: ignore[misc]


def test_inputs_are_not_modified():
    L = np.array([[0.0, 2.0], [1.0, 0.0]])
    e = np.array([0.5, 0.0])
    eisenberg_noe(L, e)
    rogers_veraart(L, e, 0.5, 0.5)
    np.testing.assert_array_equal(L, [[0.0, 2.0], [1.0, 0.0]])
    np.testing.assert_array_equal(e, [0.5, 0.0])


def test_large_random_network_clears():
    rng = np.random.default_rng(7)
    n = 300
    L = np.where(rng.random((n, n)) < 0.03, rng.lognormal(0.0, 1.0, (n, n)), 0.0)
    np.fill_diagonal(L, 0.0)
    e = L.sum(axis=1) * rng.uniform(0.0, 1.2, n)
    r = eisenberg_noe(L, e)
    pbar, pi = relative_liabilities(L)
    np.testing.assert_allclose(r.payments, np.minimum(pbar, e + pi.T @ r.payments), atol=1e-9)
    assert 0 < r.defaulted.sum() < n


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "L",
    [
        [[0.0, -1.0], [0.0, 0.0]],
        [[0.0, 1.0, 2.0], [0.0, 0.0, 1.0]],
        [0.0, 1.0],
        [[0.0, np.nan], [0.0, 0.0]],
        [[0.0, np.inf], [0.0, 0.0]],
        [[1.0, 1.0], [0.0, 0.0]],
        [["a", "b"], ["c", "d"]],
    ],
    ids=["negative", "non-square", "1-d", "nan", "inf", "diagonal", "non-numeric"],
)
def test_bad_liabilities_are_rejected(L):
    with pytest.raises(ValueError, match="liabilities"):
        eisenberg_noe(L, [1.0, 1.0])
    with pytest.raises(ValueError, match="liabilities"):
        rogers_veraart(L, [1.0, 1.0], 0.5, 0.5)


@pytest.mark.parametrize(
    "e",
    [[1.0], [1.0, 2.0, 3.0], [1.0, -0.1], [1.0, np.nan], [np.inf, 0.0], [[1.0, 1.0]]],
    ids=["short", "long", "negative", "nan", "inf", "2-d"],
)
def test_bad_external_assets_are_rejected(e):
    with pytest.raises(ValueError, match="external_assets"):
        eisenberg_noe([[0.0, 1.0], [1.0, 0.0]], e)


@pytest.mark.parametrize("bad", [-0.1, 1.1, np.nan, "x"])
def test_alpha_and_beta_must_be_fractions(bad):
    L = [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(ValueError, match="alpha"):
        rogers_veraart(L, [0.0, 0.0], bad, 0.5)
    with pytest.raises(ValueError, match="beta"):
        rogers_veraart(L, [0.0, 0.0], 0.5, bad)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"tol": -1.0}, "tol"), ({"tol": np.nan}, "tol"), ({"tol": "0"}, "tol")]
    + [({"max_iter": 0}, "max_iter")]
    + [({"max_iter": 1.5}, "max_iter"), ({"max_iter": True}, "max_iter")],
)
def test_bad_options_are_rejected(kwargs, name):
    with pytest.raises(ValueError, match=name):
        eisenberg_noe([[0.0, 1.0], [1.0, 0.0]], [0.0, 0.0], **kwargs)
