"""Hypothesis: for random valid parameters the run stays balanced and deterministic."""

import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.scenario import apply_overrides
from runs.simulate import simulate
from runs.summary import summarize

params = st.fixed_dictionaries(
    {
        "quarters": st.integers(4, 16),
        "behaviour.optimism": st.floats(0.0, 1.5),
        "behaviour.lab_commitment_multiple": st.floats(0.5, 8.0),
        "behaviour.credit_use_limit": st.floats(0.2, 1.0),
        "credit.collateral_ltv": st.floats(0.0, 0.9),
        "behaviour.vendor_financing": st.booleans(),
        "demand.bass_q": st.floats(0.0, 0.5),
        "demand.token_price_decline": st.floats(0.0, 0.8),
        "demand.efficiency_gain": st.floats(0.0, 0.4),
        "buildout.power_cap_gw": st.floats(0.2, 10.0),
        "buildout.capex_decline": st.floats(0.0, 0.05),
        "credit.risk_free": st.floats(0.0, 0.15),
        "history_until": st.sampled_from(["2024Q4", "2025Q2", "2025Q4"]),
    }
)


def parquet_bytes(df):
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=params, seed=st.integers(0, 2**32 - 1))
def test_random_parameters_balanced_and_deterministic(baseline, overrides, seed):
    scenario = apply_overrides(baseline, overrides)
    a = simulate(scenario, seed)
    b = simulate(scenario, seed)
    assert parquet_bytes(a.firms) == parquet_bytes(b.firms)
    assert parquet_bytes(a.system) == parquet_bytes(b.system)
    f = a.firms
    gap = (f.total_assets - f.total_liabilities - f.equity).abs()
    assert (gap / f.total_assets.abs().clip(lower=1.0)).max() < 1e-9
    numeric = f.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(numeric).all()
    assert f.cash.min() >= -1e-9
    assert (f.deployed_gw >= 0).all() and (f.backlog >= -1e-9).all()
    # a lean run (what sweeps use) is the same run: same summary, same system table
    lean = simulate(scenario, seed, firm_rows=False)
    assert same_summary(lean.summary, a.summary)
    # ... and the summary of the written tables (runs.summary.summarize) is the same
    assert same_summary(summarize(a.firms, a.system, a.events), a.summary)
    assert parquet_bytes(lean.system) == parquet_bytes(a.system)
    with pytest.raises(ValueError, match="no firm rows"):
        _ = lean.firms
    with pytest.raises(RuntimeError, match="detached"):
        _ = lean.records.model  # the result does not keep the model alive


def same_summary(x: dict, y: dict) -> bool:
    """Equal summaries, NaN equal to NaN."""

    def same(u, v):
        if isinstance(u, float) and isinstance(v, float) and math.isnan(u) and math.isnan(v):
            return True
        return u == v

    return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
