"""The trading kernel's vectorisable ``tanh`` (:func:`world.trading.tanh`) against libm's."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from world.trading import tanh

MAX_ULP = 4


@njit  # not cached: numba would not see a change to the inlined tanh
def _tanh_all(x, out):
    for i in range(x.shape[0]):
        out[i] = tanh(x[i])


def _tanh(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _tanh_all(x, out)
    return out


def _ulp(ours: np.ndarray, libm: np.ndarray) -> np.ndarray:
    return np.abs(ours - libm) / np.spacing(np.abs(libm))


def _arguments() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2025)
    sign = np.where(rng.random(400_000) < 0.5, -1.0, 1.0)
    return {
        "sentiment-like N(0, 3)": rng.normal(0.0, 3.0, 400_000),
        "uniform on ±25": rng.uniform(-25.0, 25.0, 400_000),
        "log-uniform 1e-320..30": sign * 10.0 ** rng.uniform(-320.0, math.log10(30.0), 400_000),
        # the points where k = round(2|x| / ln 2) steps, and their neighbours
        "k boundaries": np.array(
            [
                np.nextafter(b, b + d)
                for b in (np.arange(0.5, 60.0) * math.log(2.0) / 2.0)
                for d in (-1.0, 0.0, 1.0)
            ]
        ),
        "near saturation": np.linspace(18.0, 22.0, 100_001),
    }


@pytest.mark.parametrize("name", list(_arguments()))
def test_tanh_is_within_four_ulp_of_the_c_librarys(name):
    x = _arguments()[name]
    ours, libm = _tanh(x), np.tanh(x)
    assert _ulp(ours, libm).max() <= MAX_ULP
    assert np.all(np.abs(ours) <= 1.0)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_tanh_is_within_four_ulp_for_any_float(x):
    ours = _tanh(np.array([x, -x]))
    libm = np.tanh(np.array([x, -x]))
    assert _ulp(ours, libm).max() <= MAX_ULP
    assert ours[0] == -ours[1]  # odd, exactly


def test_tanh_of_the_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 20.0, 1e308])
    ours = _tanh(x)
    np.testing.assert_array_equal(ours, np.tanh(x))
    assert not np.signbit(ours[0]) and np.signbit(ours[1])
    assert np.isnan(_tanh(np.array([np.nan]))[0])


def test_tanh_never_decreases():
    x = np.sort(np.random.default_rng(7).normal(0.0, 4.0, 200_000))
    assert np.all(np.diff(_tanh(x)) >= 0.0)
