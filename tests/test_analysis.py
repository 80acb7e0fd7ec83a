"""Sweep analysis: Sobol (Ishigami), Morris (linear), PRIM (a known box), whole-directory runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runs.analysis import (
    REGIMES,
    analyze,
    morris_indices,
    point_means,
    prim_boxes,
    regime_table,
    seed_noise,
    seed_share_notes,
    sobol_indices,
    sobol_second_order,
)
from runs.designs import Kind, Parameter, design_points
from runs.experiment import parse_spec
from runs.sweeping import sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = str(ROOT / "scenarios" / "baseline.toml")

# Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: analytic indices (Saltelli et al. 2008, SALib docs)
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])
ISHIGAMI_S13 = 0.2437


def unit_spec(design, samples, **kw):
    """A spec object that only drives the samplers (its scenario is never run)."""
    return parse_spec(
        {
            "name": "analytic",
            "scenario": BASELINE,
            "design": design,
            "samples": samples,
            "parameters": {"demand.bass_q": {"low": 0.0, "high": 1.0}},
            **kw,
        }
    )


def ishigami_design(samples, second_order):
    params = tuple(Parameter(f"x{i}", Kind.FLOAT, low=-np.pi, high=np.pi) for i in range(3))
    spec = unit_spec("sobol", samples, second_order=second_order, root_seed=3)
    design = design_points(spec, params, seed=3)
    x = design[["x0", "x1", "x2"]].to_numpy()
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    return pd.DataFrame({"ishigami": y}), ["x0", "x1", "x2"]


def test_sobol_indices_of_ishigami_match_the_analytic_values():
    outputs, names = ishigami_design(4096, second_order=False)
    table = sobol_indices(outputs, names, num_resamples=200)
    assert list(table["parameter"]) == names and (table["metric"] == "ishigami").all()
    np.testing.assert_allclose(table["S1"], ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(table["ST"], ISHIGAMI_ST, atol=0.03)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()
    # the confidence intervals cover the truth (they are ~2 standard errors wide)
    assert (np.abs(table["ST"] - ISHIGAMI_ST) <= 2 * table["ST_conf"] + 0.01).all()


@pytest.mark.parametrize("seed", [0, 7])
def test_sobol_confidence_intervals_repeat_for_a_seed(seed):
    """Same outputs and seed, same bootstrap intervals (SALib ignores a seed of 0 itself:
    the validation page's half-widths changed from one call to the next)."""
    outputs, names = ishigami_design(256, second_order=False)
    a, b = (sobol_indices(outputs, names, num_resamples=50, seed=seed) for _ in range(2))
    pd.testing.assert_frame_equal(a, b)
    other = sobol_indices(outputs, names, num_resamples=50, seed=seed + 1)
    assert not np.array_equal(a["S1_conf"], other["S1_conf"])


def test_second_order_sobol_of_ishigami():
    outputs, names = ishigami_design(2048, second_order=True)
    s2 = sobol_second_order(outputs, names, num_resamples=100).set_index(
        ["parameter_1", "parameter_2"]
    )["S2"]
    assert s2[("x0", "x2")] == pytest.approx(ISHIGAMI_S13, abs=0.06)
    assert abs(s2[("x0", "x1")]) < 0.06 and abs(s2[("x1", "x2")]) < 0.06


def test_sobol_rejects_missing_outputs():
    outputs, names = ishigami_design(8, second_order=False)
    outputs.iloc[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sobol_indices(outputs, names)


def test_morris_of_a_linear_function():
    params = (
        Parameter("a", Kind.FLOAT, low=0.0, high=10.0),
        Parameter("b", Kind.FLOAT, low=-1.0, high=1.0),
        Parameter("c", Kind.FLOAT, low=0.0, high=1.0),
    )
    design = design_points(unit_spec("morris", 20, levels=4), params, seed=5)
    y = 2.0 * design["a"] - 3.0 * design["b"] + 0.0 * design["c"]
    unit = design[["u.a", "u.b", "u.c"]].set_axis(["a", "b", "c"], axis=1)
    table = morris_indices(unit, pd.DataFrame({"y": y}), num_levels=4).set_index("parameter")
    # effects are per unit of the range: 2 * 10 and -3 * 2
    assert table.loc["a", "mu_star"] == pytest.approx(20.0)
    assert table.loc["b", "mu"] == pytest.approx(-6.0)
    assert table.loc["c", "mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["a", "sigma"] == pytest.approx(0.0, abs=1e-9)


def test_prim_finds_a_known_box():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(
        {
            "a": rng.random(1000),
            "b": rng.random(1000),
            "noise": rng.random(1000),
            "flag": rng.choice([True, False], 1000),
        }
    )
    y = (x["a"] > 0.6) & (x["b"] < 0.4)
    boxes = prim_boxes(x, y, threshold=0.95)
    first = boxes[boxes["box"] == 0].set_index("parameter")
    assert set(first.index) == {"a", "b"}
    assert first.loc["a", "low"] == pytest.approx(0.6, abs=0.03)
    assert first.loc["b", "high"] == pytest.approx(0.4, abs=0.03)
    assert first["density"].iloc[0] >= 0.95 and first["coverage"].iloc[0] >= 0.9
    assert first["meets_threshold"].all()
    # the loosest box of density >= 0.8 is larger and still holds every case
    loose = prim_boxes(x, y, threshold=0.8)
    assert loose["mass"].iloc[0] > first["mass"].iloc[0] and loose["coverage"].iloc[0] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_bounds_an_integer_parameter(seed):
    """An integer parameter (quarters, horizons) gets a box: PRIM's bound may fall between
    two of its values (e.g. 10.5), which pandas refused to write into an integer column."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"quarters": rng.integers(2, 17, 600), "b": rng.random(600)})
    y = (x["quarters"] > 10) & (x["b"] < 0.5)
    first = prim_boxes(x, y, threshold=0.8).query("box == 0").set_index("parameter")
    assert 10.0 <= first.loc["quarters", "low"] <= 11.0
    inside = (x["quarters"] >= first.loc["quarters", "low"]) & (x["b"] <= first.loc["b", "high"])
    assert inside[y].all() and first["density"].iloc[0] >= 0.8


def test_prim_handles_categories_and_trivial_targets():
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"a": rng.random(800), "flag": rng.choice([True, False], 800)})
    y = (x["a"] > 0.5) & x["flag"]
    boxes = prim_boxes(x, y).set_index("parameter")
    assert boxes.loc["flag", "low"] == "True"
    assert prim_boxes(x, np.zeros(800, bool)).empty
    assert prim_boxes(x, np.ones(800, bool)).empty
    with pytest.raises(ValueError, match="threshold"):
        prim_boxes(x, y, threshold=0.0)


def test_point_means_and_regime_table():
    runs = pd.DataFrame(
        {
            "point_id": [0, 0, 1, 1, 2],
            "status": ["ok", "ok", "ok", "failed", "failed"],
            "regime": ["boom", "bust", "bust", None, None],
            "m": [1.0, 3.0, 5.0, np.nan, np.nan],
        }
    )
    means = point_means(runs, ["m"], 3)
    assert means["m"].tolist()[:2] == [2.0, 5.0] and np.isnan(means["m"].iloc[2])
    table = regime_table(runs).set_index("regime")
    assert table["runs"].to_dict() == {"boom": 1, "bust": 2, "failed": 2}
    assert table["share"].sum() == pytest.approx(1.0)


def small_sweep(tmp_path, design, samples, **kw):
    spec = {
        "name": f"tiny-{design}",
        "scenario": BASELINE,
        "design": design,
        "samples": samples,
        "replicates": 1,
        "root_seed": 4,
        "fixed": {"quarters": 6},
        "parameters": {
            "demand.bass_q": {"low": 0.03, "high": 0.15},
            "behaviour.optimism": {"low": 0.0, "high": 1.0},
        },
        **kw,
    }
    out = tmp_path / design
    sweep(spec, out, workers=1, progress=False)
    return out


def test_analyze_a_sobol_sweep_directory(tmp_path):
    out = small_sweep(tmp_path, "sobol", 4)
    result = analyze(out, metrics=["lab_valuation_final", "quarters"])
    assert len(result.sobol) == 2 * 2
    sobol = result.sobol.set_index("metric")
    assert sobol.loc["quarters", "S1"].isna().all()  # constant: nothing to decompose
    assert sobol.loc["lab_valuation_final", "ST"].notna().all()
    assert "quarters: constant over the design" in result.notes
    assert set(result.sobol["parameter"]) == {"demand.bass_q", "behaviour.optimism"}
    assert result.morris.empty and result.regimes["runs"].sum() == 16
    # the tables the design allows, each readable by pandas (a header at least); no
    # table for an analysis the design does not allow (was a 1-byte morris.csv)
    for name in ("regimes", "sobol", "prim_cascade"):
        table = pd.read_csv(out / "analysis" / f"{name}.csv")
        assert len(table.columns) >= 2, name
    assert not (out / "analysis" / "morris.csv").exists()
    assert not (out / "analysis" / "seed_noise.csv").exists()  # one replicate per point


def test_analyze_a_morris_sweep_directory(tmp_path):
    out = small_sweep(tmp_path, "morris", 2)
    result = analyze(out, metrics=["total_deployed_gw_final"], write=False)
    assert len(result.morris) == 2 and result.sobol.empty
    assert (result.morris["mu_star"] >= 0).all()
    assert not (out / "analysis").exists()
    with pytest.raises(ValueError, match="not a numeric column"):
        analyze(out, metrics=["regime"], write=False)
    # by default the headline outputs are analysed, the suppliers' fall and lab default too
    default = set(analyze(out, write=False).morris["metric"])
    assert {"lab_revenue", "supplier_revenue_fall", "lab_default"} <= default
    with pytest.raises(ValueError, match="not a sweep directory"):
        analyze(tmp_path, write=False)


def test_seed_noise_shares_of_variance():
    rng = np.random.default_rng(0)
    points = np.repeat(np.arange(50), 4)
    signal = np.repeat(rng.normal(0, 2.0, 50), 4)  # parameter effect, variance 4
    runs = pd.DataFrame(
        {
            "point_id": points,
            "status": "ok",
            "pure_seed": rng.normal(0, 1, 200),
            "no_seed": signal,
            "mixed": signal + rng.normal(0, 2.0, 200),
        }
    )
    t = seed_noise(runs, ["pure_seed", "no_seed", "mixed"]).set_index("metric")
    assert t.loc["pure_seed", "seed_share"] == pytest.approx(1.0, abs=0.15)
    assert t.loc["no_seed", "seed_share"] == 0.0
    assert t.loc["mixed", "seed_share"] == pytest.approx(0.5, abs=0.15)
    # the replicate means keep a quarter of the seed's variance (4 replicates)
    assert t.loc["mixed", "mean_noise_share"] == pytest.approx(1 / 5, abs=0.1)
    assert (t["replicates"] == 4).all() and (t["points"] == 50).all()


def test_a_seed_share_above_one_is_noted():
    """With parameters that do nothing the share estimates scatter around 1; those above
    it get a note (and only those)."""
    rng = np.random.default_rng(3)
    runs = pd.DataFrame(
        {
            "point_id": np.repeat(np.arange(8), 2),
            "status": "ok",
            "signal": np.repeat(np.arange(8.0), 2),
        }
    )
    shares = []
    for k in range(20):
        runs[f"noise{k}"] = rng.normal(0, 1, 16)
        shares.append(f"noise{k}")
    t = seed_noise(runs, [*shares, "signal"])
    above = t.loc[t.seed_share > 1, "metric"].tolist()
    assert 0 < len(above) < 20  # the estimate scatters on both sides of 1
    (note,) = seed_share_notes(t, 2)
    assert all(m in note for m in above) and "signal" not in note and "2 replicates" in note
    assert seed_share_notes(t[t.metric == "signal"], 2) == []


def test_analyze_with_replicates_reports_seed_noise_and_names_the_regimes(tmp_path):
    out = small_sweep(tmp_path, "morris", 2, replicates=2)
    result = analyze(out, metrics=["lab_revenue", "total_deployed_gw_final"], regime="cascade")
    assert set(result.seed_noise["metric"]) == {"lab_revenue", "total_deployed_gw_final"}
    assert (result.seed_noise["replicates"] == 2).all()
    assert pd.read_csv(out / "analysis" / "seed_noise.csv").shape[0] == 2
    assert (out / "analysis" / "morris.csv").exists() and not (
        out / "analysis" / "sobol.csv"
    ).exists()
    seen = set(result.regimes["regime"])
    if "cascade" not in seen:  # PRIM found nothing: the note names what happened instead
        (note,) = [n for n in result.notes if n.startswith("PRIM")]
        assert "no run ended in regime 'cascade'" in note and "--regime" in note
        assert all(r in note for r in seen)
    # a stale table of another analysis is removed when the directory is analysed again
    (out / "analysis" / "sobol.csv").write_text("x\n1\n")
    analyze(out, metrics=["lab_revenue"])
    assert not (out / "analysis" / "sobol.csv").exists()
    assert "crash_recovered" in REGIMES
    with pytest.raises(ValueError, match="crash_recovered"):
        analyze(out, regime="meltdown", write=False)


def test_an_interrupted_sobol_sweep_is_analysed_on_its_complete_prefix(tmp_path):
    out = small_sweep(tmp_path, "sobol", 8, chunk_size=1)  # 8 base samples x 4 points
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) == 32
    for part in parts[22:]:  # runs 22.. missing: base samples 0-4 complete, 5 partly
        part.unlink()
    result = analyze(out, metrics=["lab_revenue"], write=False)
    assert len(result.sobol) == 2 and result.sobol[["S1", "ST"]].notna().all(axis=None)
    assert any("indices on the first 4 of 8 base samples" in n for n in result.notes)
    for part in parts[:4]:  # not even one block of 4 points left
        part.unlink()
    result = analyze(out, metrics=["lab_revenue"], write=False)
    assert result.sobol.empty and any("no complete block" in n for n in result.notes)
