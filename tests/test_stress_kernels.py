"""Minsky classes and run summaries (world/stress.py); regimes: tests/test_regimes.py."""

from __future__ import annotations

import dataclasses

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.stress import (
    MinskyClass,
    RunSummary,
    default_quarters,
    max_drawdown,
    minsky_class,
    minsky_of,
    run_summary_metrics,
)

H, S, P = MinskyClass.HEDGE, MinskyClass.SPECULATIVE, MinskyClass.PONZI

# --------------------------------------------------------------------------- Minsky


@pytest.mark.parametrize(
    ("ocf", "interest", "principal", "expected"),
    [
        (10.0, 2.0, 3.0, H),  # covers everything
        (5.0, 2.0, 3.0, H),  # exact cover is cover
        (4.0, 2.0, 3.0, S),  # covers interest, must roll principal
        (2.0, 2.0, 3.0, S),  # exactly covers interest
        (1.9, 2.0, 3.0, P),  # cannot even pay interest
        (-1.0, 2.0, 0.0, P),  # burning cash with interest due
        (0.0, 0.0, 0.0, H),  # no debt, cash flow covers the operating contracts
        (-5.0, 0.0, 0.0, P),  # no debt, burning cash: its contracts need new money
        (0.5, 0.0, 1.0, S),  # principal only, not covered
        (-5.0, 0.0, 1.0, P),  # principal only, burning cash: debt grows
    ],
)
def test_minsky_class_hand_cases(ocf, interest, principal, expected):
    out = minsky_class(ocf, interest, principal)
    assert out.shape == () and out.dtype == np.int64
    assert MinskyClass(int(out)) is expected
    assert minsky_of(ocf, interest, principal) is expected


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-100, 100) | st.sampled_from([0.0, 1.0, 2.0, 3.0]),
    st.floats(0, 100) | st.sampled_from([0.0, 1.0, 2.0]),
    st.floats(0, 100) | st.sampled_from([0.0, 1.0]),
)
def test_scalar_minsky_matches_the_vectorised_kernel(ocf, interest, principal):
    assert minsky_of(ocf, interest, principal) == int(minsky_class(ocf, interest, principal))


def test_minsky_class_is_vectorised_and_broadcasts():
    out = minsky_class([[10.0], [3.0], [0.5]], [1.0, 0.0], [2.0, 5.0])
    np.testing.assert_array_equal(out, [[H, H], [H, S], [P, S]])


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(np.float64, 5, elements=st.floats(-100, 100)),
    hnp.arrays(np.float64, 5, elements=st.floats(0, 100)),
    hnp.arrays(np.float64, 5, elements=st.floats(0, 100)),
    st.floats(0, 50),
)
def test_more_cash_flow_never_worsens_the_class(ocf, interest, principal, extra):
    before = minsky_class(ocf, interest, principal)
    after = minsky_class(ocf + extra, interest, principal)
    assert np.all(after <= before)
    assert set(np.unique(before)) <= {0, 1, 2}


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((np.nan, 1.0, 1.0), "operating_cash_flow"),
        ((1.0, -1.0, 1.0), "interest_due"),
        ((1.0, np.inf, 1.0), "interest_due"),
        ((1.0, 1.0, -1.0), "principal_due"),
        (([1.0, 2.0], [1.0, 2.0, 3.0], 1.0), "broadcast"),
    ],
)
def test_minsky_validation_names_the_argument(args, name):
    with pytest.raises(ValueError, match=name):
        minsky_class(*args)


# --------------------------------------------------------------------------- summaries


def paths(total: list[float], firms: int = 3):
    """Valuation path split evenly over firms, no defaults."""
    v = np.repeat(np.asarray(total, dtype=float)[:, None] / firms, firms, axis=1)
    return v, np.zeros(v.shape, dtype=bool)


def test_run_summary_hand_made_paths():
    names = ["NVIDIA", "OpenAI", "Oracle"]
    v = np.array(
        [
            [100.0, 50.0, 40.0],
            [150.0, 80.0, 30.0],
            [120.0, 20.0, 10.0],
            [90.0, 0.0, 20.0],
        ]
    )
    d = np.zeros_like(v, dtype=bool)
    d[3:, 1] = True  # OpenAI defaults in quarter 3
    d[2:, 2] = True  # Oracle defaults in quarter 2
    s = run_summary_metrics(v, d, names)
    assert s.firm_names == tuple(names)
    assert s.peak_valuation == (150.0, 80.0, 40.0)
    assert s.trough_valuation == (90.0, 0.0, 10.0)
    assert s.max_drawdown == pytest.approx((0.4, 1.0, 0.75))
    assert s.loss == (60.0, 80.0, 20.0)
    assert s.default_quarter == (-1, 3, 2)
    assert s.n_defaults == 2 and s.cascade_size == 1 and s.first_default_quarter == 2
    assert s.total_loss == 160.0
    # aggregate 190, 260, 150, 110 -> largest fall from 260 to 110
    assert s.aggregate_max_drawdown == pytest.approx(150.0 / 260.0)

    flat = s.to_dict()
    assert flat["max_drawdown_NVIDIA"] == pytest.approx(0.4)
    assert flat["default_quarter_OpenAI"] == 3 and flat["loss_Oracle"] == 20.0
    assert flat["n_defaults"] == 2 and flat["first_default_quarter"] == 2
    assert len(flat) == 5 + 5 * len(names)
    assert all(type(x) in (int, float) for x in flat.values())


def test_run_summary_without_defaults():
    v, d = paths([10, 12, 14], firms=2)
    s = run_summary_metrics(v, d, ["A", "B"])
    assert s.n_defaults == 0 and s.cascade_size == 0 and s.first_default_quarter == -1
    assert s.default_quarter == (-1, -1)
    assert s.max_drawdown == (0.0, 0.0) and s.total_loss == 0.0
    assert isinstance(s, RunSummary)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_defaults = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "names", [["A"], ["A", "A"], ["A", ""], ["A", 3]], ids=["count", "dup", "empty", "type"]
)
def test_run_summary_rejects_bad_names(names):
    v, d = paths([10, 12], firms=2)
    with pytest.raises(ValueError, match="firm_names"):
        run_summary_metrics(v, d, names)


@settings(max_examples=75, deadline=None)
@given(hnp.arrays(np.float64, (6, 3), elements=st.floats(0.0, 1e3)))
def test_summary_invariants(v):
    s = run_summary_metrics(v, np.zeros(v.shape, dtype=bool), ["a", "b", "c"])
    assert all(lo <= hi for lo, hi in zip(s.trough_valuation, s.peak_valuation, strict=True))
    assert all(0.0 <= x <= 1.0 for x in s.max_drawdown)
    assert all(x >= 0.0 for x in s.loss)
    assert 0.0 <= s.aggregate_max_drawdown <= 1.0


def test_default_quarters_and_max_drawdown_helpers():
    d = np.array([[False, False, False], [False, True, False], [True, True, False]])
    np.testing.assert_array_equal(default_quarters(d), [2, 1, -1])
    assert float(max_drawdown([0.0, 0.0, 2.0, 1.0])) == 0.5  # zero peak counts as no fall
    np.testing.assert_allclose(max_drawdown([[1.0, 4.0], [0.5, 1.0], [2.0, 3.0]]), [0.5, 0.75])
    with pytest.raises(ValueError, match="path"):
        max_drawdown([])
    with pytest.raises(ValueError, match="defaulted"):
        default_quarters([True, False])
