"""The suite's checks on synthetic runs tables (runs/validation/checks.py): verdicts and tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runs.validation import bounds
from runs.validation.checks import (
    CHECK_COLUMNS,
    anchor_checks,
    book_checks,
    checks_frame,
    claim_checks,
    market_checks,
    out_of_sample_checks,
    size_checks,
)
from runs.validation.claims import parse_expectations


def runs_table(n=20, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for scenario, shift, distress in (("baseline", 0.0, 0.1), ("stall", -3.0, 0.95)):
        for r in range(n):
            rows.append(
                {
                    "scenario": scenario, "replicate": r, "status": "ok", "error": "",
                    "lab_revenue": 10 + shift + rng.normal(), "defaults": 0,
                    "lab_distress": int(rng.random() < distress),
                    "size_listed_ps": 20.0 + (40.0 if scenario == "stall" and r == 3 else 0.0),
                    "size_listed_ps_firm": "NVIDIA", "size_listed_ps_period": "2026Q1",
                    "size_lab_ps": 50.0, "size_lab_ps_firm": "OpenAI",
                    "size_lab_ps_period": "2026Q1",
                    "size_macro_ratio": 0.2, "size_macro_period": "2027Q2",
                    "size_negative_equity_quarters": 0, "size_negative_equity_firm": "",
                    "size_debt_revenue": 3.0, "size_debt_revenue_firm": "Oracle",
                    "size_debt_revenue_period": "2027Q1",
                    "books_balance_sheet": 1e-12, "books_trial_balance": 0.0,
                    "books_cash_flow": 0.0,
                    "facts_ac1": rng.normal(0, 0.02), "facts_abs_ac1": 0.25 + rng.normal(0, 0.02),
                    "facts_kurtosis": 4 + rng.normal(), "facts_band": 0.09,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_claims_pass_when_true_and_fail_when_not():
    exp = parse_expectations(
        {
            "lab_revenue": "lower",
            "lab_distress": {"direction": "higher", "share_at_least": 0.5},
            "defaults": "higher",
        },
        "stall",
    )
    checks = {c.id: c for c in claim_checks(runs_table(), [exp])}
    rev = checks["direction/stall/lab_revenue"]
    assert rev.passed and rev.p_value < 1e-6 and rev.high < 0 and "Mann–Whitney" in rev.test
    distress = checks["direction/stall/lab_distress"]
    assert distress.passed and "Fisher" in distress.test and distress.low > 0.5
    assert checks["rate/stall/lab_distress"].passed
    nothing = checks["direction/stall/defaults"]  # 0 vs 0: no evidence
    assert not nothing.passed and nothing.p_value == 1.0
    wrong = parse_expectations({"lab_revenue": "higher"}, "stall")
    assert not claim_checks(runs_table(), [wrong])[0].passed


def test_most_seeds_needs_a_confident_majority():
    table = runs_table()
    stall = table["scenario"] == "stall"
    table.loc[stall, "lab_distress"] = [1] * 12 + [0] * 8  # 60 %: not confidently above half
    exp = parse_expectations({"lab_distress": {"share_at_least": 0.5}}, "stall")
    (check,) = claim_checks(table, [exp])
    assert not check.passed and check.statistic == 0.6 and check.low < 0.5


def test_missing_scenario_fails_the_claim():
    exp = parse_expectations({"lab_revenue": "lower"}, "nowhere")
    (check,) = claim_checks(runs_table(), [exp])
    assert not check.passed and check.test == "no runs"


def test_size_checks_fail_on_a_single_run_above_the_bound():
    checks = {c.id: c for c in size_checks(runs_table(), ["baseline", "stall"])}
    assert checks["size/baseline/listed_price_to_sales"].passed
    above = checks["size/stall/listed_price_to_sales"]
    assert bounds.LISTED_PRICE_TO_SALES_MAX < 60.0  # the fixture's one run sits above the bound
    assert not above.passed and above.statistic == 60.0
    assert "1/20 runs above; worst NVIDIA 2026Q1 at 60×" in above.observed
    assert checks["size/stall/lab_price_to_sales"].passed
    assert checks["size/stall/negative_equity"].passed
    # no firm ever had negative equity: the worst case says so, not ": 0 quarters"
    assert checks["size/stall/negative_equity"].observed.endswith("worst no firm: 0 quarters")


def test_books_market_and_anchor_checks():
    table = runs_table()
    assert all(c.passed for c in book_checks(table))
    table.loc[5, "books_cash_flow"] = 0.1
    table.loc[6, "status"], table.loc[6, "error"] = "failed", "ValueError: boom"
    books = {c.id: c for c in book_checks(table)}
    assert not books["books/all/cash_flow"].passed
    assert (
        not books["books/all/runs_complete"].passed
        and "ValueError: boom" in books["books/all/runs_complete"].observed
    )
    market = {c.id.rsplit("/", 1)[1]: c for c in market_checks(runs_table())}
    assert market["no_autocorrelation"].passed and market["fat_tails"].passed
    assert market["volatility_clustering"].passed
    flat = runs_table().assign(facts_kurtosis=-0.5)
    assert not {c.id: c for c in market_checks(flat)}["market/baseline/fat_tails"].passed
    anchors = pd.DataFrame(
        {
            "seed": [1, 2, 1, 2],
            "name": ["a", "a", "b", "b"],
            "model": [10.2, 9.9, 11.0, 10.0],
            "anchor": [10.0] * 4,
        }
    )
    got = {c.id: c for c in anchor_checks(anchors, 0.05)}
    assert got["anchors/baseline/a"].passed and not got["anchors/baseline/b"].passed
    assert got["anchors/baseline/b"].statistic == pytest.approx(0.1)


def test_out_of_sample_checks_ask_for_the_median_ratio_within_the_factor():
    def values(name, models, market=100.0):
        return pd.DataFrame(
            {"seed": range(len(models)), "name": name, "model": models, "anchor": market}
        )

    table = pd.concat(
        [
            values("near", [55.0, 60.0, 200.0]),  # median ratio 0.6: within a factor of 2
            values("low", [30.0, 45.0, 70.0]),  # median 0.45 < 1/2, though one seed is in
            values("high", [150.0, 250.0, 260.0]),  # median 2.5 > 2
            values("gone", [float("nan")] * 3),  # every run ended before the date
            values("partly", [float("nan"), 90.0, 110.0]),  # one run missing: median of 2
        ]
    )
    got = {c.id.rsplit("/", 1)[1]: c for c in out_of_sample_checks(table, 2.0)}
    assert list(got) == ["near", "low", "high", "gone", "partly"]
    assert got["near"].passed and got["near"].statistic == pytest.approx(0.6)
    assert got["near"].low == pytest.approx(np.percentile([0.55, 0.6, 2.0], 5))
    assert got["near"].high == pytest.approx(np.percentile([0.55, 0.6, 2.0], 95))
    assert not got["low"].passed and got["low"].statistic == pytest.approx(0.45)
    assert not got["high"].passed and not got["gone"].passed
    assert got["partly"].passed and "over 2 seeds" in got["partly"].test
    assert all(c.group == "out_of_sample" and c.scenario == "baseline" for c in got.values())
    assert out_of_sample_checks(table.iloc[:0], 2.0) == []
    # a factor of 3 lets the low one in
    assert {c.id: c for c in out_of_sample_checks(table, 3.0)}["out_of_sample/baseline/low"].passed


def test_checks_frame_has_every_column():
    frame = checks_frame(book_checks(runs_table()))
    assert tuple(frame.columns) == CHECK_COLUMNS and frame["passed"].dtype == bool


def test_sensitivity_checks_ranges_and_half_widths():
    from runs.validation.seednoise import HALF_WIDTH_MAX, MAIN_OUTPUTS, sensitivity_checks

    rows = []
    for k, metric in enumerate(MAIN_OUTPUTS):
        for p in ("a", "b"):
            wide = 0.3 if k == 0 else 0.05  # the first output: too uncertain
            rows.append({"metric": metric, "parameter": p, "S1": 0.4, "S1_conf": wide,
                         "ST": 0.5 if k != 1 else 1.3, "ST_conf": 0.1})  # fmt: skip
    sobol = pd.DataFrame(rows)
    noise = pd.DataFrame({"metric": list(MAIN_OUTPUTS), "seed_share": 0.7})
    checks = {c.id: c for c in sensitivity_checks(sobol, noise, 4)}
    first, second = MAIN_OUTPUTS[0], MAIN_OUTPUTS[1]
    assert not checks[f"sensitivity/sobol/{first}_half_width"].passed
    assert checks[f"sensitivity/sobol/{first}_range"].passed
    assert not checks[f"sensitivity/sobol/{second}_range"].passed  # ST 1.3 ± 0.1 above 1
    assert checks[f"sensitivity/sobol/{second}_half_width"].statistic <= HALF_WIDTH_MAX
    assert "70%" in checks[f"sensitivity/sobol/{first}_range"].observed
    missing = sensitivity_checks(sobol[sobol["metric"] != first], noise, 4)
    assert not {c.id: c for c in missing}[f"sensitivity/sobol/{first}_range"].passed


def test_sobol_range_check_is_family_wise():
    """Ten near-zero indices: 95 % intervals one by one fail the family by chance,
    Bonferroni intervals keep its false alarms under 5 % (Monte Carlo, fixed seed)."""
    from runs.validation.seednoise import family_scale

    rng = np.random.default_rng(11)
    se, n = 0.02, 10
    draws = rng.normal(0.0, se, size=(4000, n))  # true indices all 0
    each = (draws + 1.96 * se < 0).any(axis=1).mean()
    family = (draws + 1.96 * se * family_scale(n) < 0).any(axis=1).mean()
    assert each > 0.15 and family < 0.05
    assert family_scale(1) == pytest.approx(1.0)
    assert family_scale(20) > family_scale(10) > 1.0
    with pytest.raises(ValueError, match="n_intervals"):
        family_scale(0)


def test_sobol_range_check_widens_but_still_fails_clear_misses():
    from runs.validation.seednoise import MAIN_OUTPUTS, sensitivity_checks

    metric = MAIN_OUTPUTS[0]

    def check(s1: float) -> bool:
        rows = [{"metric": metric, "parameter": p, "S1": 0.3, "S1_conf": 0.037, "ST": 0.4,
                 "ST_conf": 0.05} for p in "abcd"]  # fmt: skip
        rows.append({"metric": metric, "parameter": "e", "S1": s1, "S1_conf": 0.037,
                     "ST": 0.01, "ST_conf": 0.01})  # fmt: skip
        noise = pd.DataFrame({"metric": [metric], "seed_share": [0.5]})
        got = {c.id: c for c in sensitivity_checks(pd.DataFrame(rows), noise, 4)}
        return got[f"sensitivity/sobol/{metric}_range"].passed

    assert check(-0.046)  # misses 0 at 95 % alone, not family-wise (10 intervals)
    assert not check(-0.1)


def test_a_significant_test_whose_interval_reaches_zero_does_not_pass():
    """VALIDATION.md: the interval must be narrower than the effect claimed. Losses in
    9 of 20 seeds against none: Mann–Whitney is significant, but the scenario's median
    is 0, so the bootstrap interval of the difference of medians reaches 0."""
    table = runs_table()
    table["supplier_losses"] = 0.0
    stall = (table["scenario"] == "stall").to_numpy()
    table.loc[stall, "supplier_losses"] = [58.0 + k for k in range(9)] + [0.0] * 11
    exp = parse_expectations({"supplier_losses": "higher"}, "stall")
    (check,) = claim_checks(table, [exp])
    assert check.p_value < 0.01 and check.low <= 0.0 < check.high
    assert not check.passed and "above 0" in check.test
    # the same losses in 16 of 20 seeds: the interval leaves 0
    table.loc[stall, "supplier_losses"] = [58.0 + k for k in range(16)] + [0.0] * 4
    (check,) = claim_checks(table, [exp])
    assert check.passed and check.low > 0
