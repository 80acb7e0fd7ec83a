"""The suite's statistical tests (runs/validation/stats.py) against scipy and hand values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from runs.validation.stats import (
    bootstrap_median_difference,
    fisher_exact_one_sided,
    mann_whitney,
    signed_rank_greater,
    wilson_interval,
)


def test_mann_whitney_directions_and_constant_samples():
    rng = np.random.default_rng(0)
    low, high = rng.normal(0, 1, 20), rng.normal(2, 1, 20)
    u, p = mann_whitney(high, low, "greater")
    assert p < 1e-4 and u == stats.mannwhitneyu(high, low, alternative="greater").statistic
    assert mann_whitney(high, low, "less")[1] > 0.99
    assert mann_whitney([0.0] * 20, [0.0] * 20, "greater") == (200.0, 1.0)
    with pytest.raises(ValueError, match="alternative"):
        mann_whitney(high, low, "two-sided")
    with pytest.raises(ValueError, match="finite"):
        mann_whitney([np.nan], low, "less")


def test_bootstrap_interval_covers_the_difference_and_is_reproducible():
    rng = np.random.default_rng(1)
    x, y = rng.normal(5, 1, 40), rng.normal(3, 1, 40)
    diff, lo, hi = bootstrap_median_difference(x, y)
    assert lo < diff < hi and lo > 0.5 and hi < 3.5
    assert bootstrap_median_difference(x, y) == (diff, lo, hi)
    d0, lo0, hi0 = bootstrap_median_difference(y, y)
    assert d0 == 0.0 and lo0 <= 0.0 <= hi0


def test_wilson_interval_known_values_and_edges():
    lo, hi = wilson_interval(17, 20)
    assert lo == pytest.approx(0.5947, abs=1e-3) and hi == pytest.approx(0.9556, abs=1e-3)
    assert wilson_interval(16, 20)[0] > 0.5  # 16 of 20 is "most" at the one-sided 99 % level
    assert wilson_interval(15, 20)[0] < 0.5
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    # the 95 % interval of 5/10 (a textbook value)
    lo, hi = wilson_interval(5, 10, level=0.95)
    assert (lo, hi) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(21, 20)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 200), st.data())
def test_wilson_interval_contains_the_rate(n, data):
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_fisher_exact_one_sided_matches_scipy():
    _, p = fisher_exact_one_sided(15, 20, 3, 20, "greater")
    assert p == pytest.approx(stats.fisher_exact([[15, 5], [3, 17]], alternative="greater")[1])
    assert fisher_exact_one_sided(3, 20, 15, 20, "less")[1] == pytest.approx(p)
    assert fisher_exact_one_sided(0, 20, 0, 20, "greater")[1] == 1.0
    with pytest.raises(ValueError, match="k1"):
        fisher_exact_one_sided(5, 4, 0, 4, "greater")


def test_signed_rank_greater():
    assert signed_rank_greater(np.linspace(1, 3, 20))[1] < 1e-4
    assert signed_rank_greater(np.linspace(-3, -1, 20))[1] > 0.99
    assert signed_rank_greater(np.zeros(10)) == (0.0, 1.0)
