"""The compiled fundamentals kernels give the floats of the numpy expressions they replace.

The model's hot path values every firm every quarter with :func:`fade_multiple_unchecked`
and a lab with :func:`lab_value_unchecked`, both compiled (numba) with numpy's pairwise
summation written out. The plain numpy definitions are kept here, and the kernels must
equal them bit for bit (a run's outputs would otherwise change with the kernel).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from world.fundamentals import _pairwise_sum, fade_multiple_unchecked, lab_value_unchecked

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)


def _powers(base: float, horizon: int, sign: float = 1.0) -> np.ndarray:
    return base ** (sign * np.arange(1, horizon + 1, dtype=np.float64))


def fade_multiple_numpy(g0: np.ndarray, r: float, g_inf: float, fade: float, horizon: int):
    """The fade multiple as the numpy expression it was."""
    path = (g0[..., None] - g_inf) * _powers(fade, horizon)
    path += g_inf
    path += 1.0
    path /= 1.0 + r
    factors = np.multiply.accumulate(path, axis=-1, out=path)
    return np.add.reduce(factors, axis=-1) + factors[..., -1] * (1.0 + g_inf) / (r - g_inf)


def lab_value_numpy(
    revenue_q, g0, other_now, compute_now, committed, other_lr, compute_lr, cost_fade, r,
    g_inf, fade, tax_rate, cap,
):  # fmt: skip
    """The lab's prospects value as the numpy expression it was."""
    horizon = committed.size
    revenue = revenue_q * (1.0 + g_inf + (g0 - g_inf) * _powers(fade, horizon)).cumprod()
    if cap is not None:
        revenue = np.minimum(revenue, cap)
    decay = _powers(cost_fade, horizon)
    other = other_lr + (other_now - other_lr) * decay
    compute = compute_lr + (compute_now - compute_lr) * decay
    cf = revenue * (1.0 - other) - np.maximum(committed, compute * revenue)
    np.multiply(cf, 1.0 - tax_rate, out=cf, where=cf > 0.0)
    discount = _powers(1.0 + r, horizon, -1.0)
    margin_lr = max(1.0 - other_lr - compute_lr, 0.0) * (1.0 - tax_rate)
    terminal = float(revenue[-1]) * margin_lr * (1.0 + g_inf) / (r - g_inf) * float(discount[-1])
    cf *= discount
    return float(np.add.reduce(cf) + terminal)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(0, 700), elements=FINITE))
def test_pairwise_sum_is_numpys_sum(a):
    # lengths past 128 take the halving path, past 256 more than one level of it
    assert _pairwise_sum(a) == np.add.reduce(a)


def test_pairwise_sum_is_not_a_plain_running_sum():
    # the test above could pass for a sequential sum if numpy summed sequentially too:
    # this array's sums differ between the two orders, and the kernel follows numpy
    a = np.random.default_rng(0).standard_normal(40) * 1e3
    running = 0.0
    for x in a:
        running += x
    assert np.add.reduce(a) != running
    assert _pairwise_sum(a) == np.add.reduce(a)


RATES = st.tuples(st.floats(0.005, 0.08), st.floats(-0.02, 0.004)).filter(lambda t: t[1] < t[0])


@settings(max_examples=200, deadline=None)
@given(
    g0=arrays(np.float64, st.integers(1, 9), elements=st.floats(-0.5, 0.8)),
    rates=RATES,
    fade=st.floats(0.0, 0.99),
    horizon=st.integers(1, 300),
)
def test_fade_multiple_kernel_equals_the_numpy_expression(g0, rates, fade, horizon):
    r, g_inf = rates
    got = fade_multiple_unchecked(g0, r, g_inf, fade, horizon)
    want = fade_multiple_numpy(g0, r, g_inf, fade, horizon)
    np.testing.assert_array_equal(got, want)
    assert got.shape == g0.shape


def test_fade_multiple_keeps_the_shape_of_g0():
    g = np.array([[0.01, 0.05], [0.1, 0.2]])
    got = fade_multiple_unchecked(g, 0.025, 0.005, 0.9, 40)
    np.testing.assert_array_equal(got, fade_multiple_numpy(g, 0.025, 0.005, 0.9, 40))
    scalar = fade_multiple_unchecked(np.float64(0.05), 0.025, 0.005, 0.9, 40)
    assert np.ndim(scalar) == 0
    assert scalar == fade_multiple_numpy(np.float64(0.05), 0.025, 0.005, 0.9, 40)


SHARE = st.floats(0.0, 3.0)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    horizon=st.integers(1, 200),
    revenue=st.floats(0.0, 500.0),
    g0=st.floats(-0.5, 0.8),
    shares=st.tuples(SHARE, SHARE, st.floats(0.0, 0.6), st.floats(0.0, 0.6)),
    cost_fade=st.floats(0.0, 0.99),
    rates=RATES,
    fade=st.floats(0.0, 0.99),
    tax=st.floats(0.0, 0.4),
    capped=st.booleans(),
)
def test_lab_value_kernel_equals_the_numpy_expression(
    data, horizon, revenue, g0, shares, cost_fade, rates, fade, tax, capped
):
    committed = data.draw(arrays(np.float64, horizon, elements=st.floats(0.0, 100.0)))
    cap = data.draw(arrays(np.float64, horizon, elements=st.floats(1e-3, 1e3))) if capped else None
    r, g_inf = rates
    args = (revenue, g0, shares[0], shares[1], committed, shares[2], shares[3], cost_fade, r,
            g_inf, fade, tax, cap)  # fmt: skip
    assert lab_value_unchecked(*args) == lab_value_numpy(*args)
