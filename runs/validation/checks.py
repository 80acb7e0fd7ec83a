"""The checks of the validation suite: runs table in, one :class:`Check` per pattern out.

Every check states its test, its statistic, its p-value or interval, and whether
it passed (see ``docs/explanation/validation.md`` for the method):

* ``direction`` — a scenario's ``[expect]`` claim against the baseline
  (:mod:`runs.validation.claims`; Mann–Whitney U or Fisher's exact test);
* ``rate`` — a flag in more than a share of seeds (Wilson interval);
* ``size`` — no run above a documented bound (:mod:`runs.validation.bounds`);
* ``anchors``, ``market``, ``books`` — the model's existing checks (2025 anchors
  within 5 %, stylized facts of returns, books that balance);
* ``out_of_sample`` — market values of October 2025 kept out of the calibration,
  within a stated factor (median over the baseline's seeds);
* ``regime`` — the regime rules on labelled synthetic paths.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from runs.named_outputs import OUTPUTS, OutputKind
from runs.validation import bounds
from runs.validation.claims import Claim, Direction, Expectations
from runs.validation.stats import (
    ALPHA,
    bootstrap_median_difference,
    fisher_exact_one_sided,
    mann_whitney,
    signed_rank_greater,
    wilson_interval,
)

__all__ = [
    "BOOKS_TOLERANCE",
    "CHECK_COLUMNS",
    "Check",
    "anchor_checks",
    "book_checks",
    "checks_frame",
    "claim_checks",
    "market_checks",
    "out_of_sample_checks",
    "size_checks",
]

#: Largest imbalance of the books tolerated (USD bn): rounding, not accounting.
BOOKS_TOLERANCE = 1e-6
NAN = float("nan")


@dataclass(frozen=True)
class Check:
    """One row of the suite's table.

    Attributes
    ----------
    id
        Stable identifier, ``group/scenario/what`` (tests name the checks that must pass).
    group, scenario, claim
        What is checked, in words.
    test
        The statistical test or rule.
    statistic, p_value, low, high
        The test's statistic, p-value (NaN if none) and interval (NaN if none).
    observed
        What was seen, in words (medians, counts, the worst case).
    passed
        Whether the pattern holds.
    """

    id: str
    group: str
    scenario: str
    claim: str
    test: str
    statistic: float
    p_value: float
    low: float
    high: float
    observed: str
    passed: bool


CHECK_COLUMNS = tuple(Check.__dataclass_fields__)


def checks_frame(checks: list[Check]) -> pd.DataFrame:
    """The checks as a table (columns :data:`CHECK_COLUMNS`)."""
    return pd.DataFrame([asdict(c) for c in checks], columns=list(CHECK_COLUMNS))


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _ok(runs: pd.DataFrame, scenario: str | None = None) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"]
    return ok if scenario is None else ok[ok["scenario"] == scenario]


# -- claims -----------------------------------------------------------------------------
def claim_checks(
    runs: pd.DataFrame, expectations: list[Expectations], baseline: str = "baseline"
) -> list[Check]:
    """One check per claim (two for a claim with a direction and a share)."""
    base = _ok(runs, baseline)
    out: list[Check] = []
    for exp in expectations:
        scen = _ok(runs, exp.scenario)
        for claim in exp.claims:
            if claim.direction is not None:
                out.append(_direction_check(exp.scenario, claim, scen, base, baseline))
            if claim.share_at_least is not None:
                out.append(_share_check(exp.scenario, claim, scen))
    return out


def _direction_check(
    scenario: str, claim: Claim, scen: pd.DataFrame, base: pd.DataFrame, baseline: str
) -> Check:
    assert claim.direction is not None
    name = claim.output
    cid = f"direction/{scenario}/{name}"
    text = f"{name} {claim.direction.value} than {baseline}"
    if scen.empty or base.empty:
        return Check(cid, "direction", scenario, text, "no runs", NAN, NAN, NAN, NAN, "", False)
    x, y = scen[name].to_numpy(float), base[name].to_numpy(float)
    alt = claim.direction.alternative
    if OUTPUTS[name].kind is OutputKind.FLAG:
        k1, k2 = int(x.sum()), int(y.sum())
        odds, p = fisher_exact_one_sided(k1, len(x), k2, len(y), alt)
        lo, hi = wilson_interval(k1, len(x))
        beside = _beside(lo, hi, k2 / len(y), claim.direction)
        return Check(
            cid, "direction", scenario, text,
            f"Fisher's exact test, one-sided, p < {ALPHA}; the scenario's Wilson 98 % "
            f"interval of the rate {claim.direction.side} the baseline's rate",
            odds, p, lo, hi, f"{k1}/{len(x)} vs {k2}/{len(y)} in {baseline}",
            p < ALPHA and beside,
        )  # fmt: skip
    u, p = mann_whitney(x, y, alt)
    diff, lo, hi = bootstrap_median_difference(x, y)
    return Check(
        cid, "direction", scenario, text,
        f"Mann–Whitney U, one-sided, p < {ALPHA}; bootstrap 98 % interval of the "
        f"difference of medians {claim.direction.side} 0",
        u, p, lo, hi,
        f"median {_fmt(float(np.median(x)))} vs {_fmt(float(np.median(y)))} in {baseline} "
        f"({OUTPUTS[name].unit})",
        p < ALPHA and _beside(lo, hi, 0.0, claim.direction),
    )  # fmt: skip


def _beside(lo: float, hi: float, reference: float, direction: Direction) -> bool:
    """Whether the interval ``[lo, hi]`` lies wholly on the claimed side of ``reference``.

    VALIDATION.md: enough seeds that the interval is narrower than the effect claimed;
    a significant test whose interval still reaches the reference does not pass.
    """
    return lo > reference if direction is Direction.HIGHER else hi < reference


def _share_check(scenario: str, claim: Claim, scen: pd.DataFrame) -> Check:
    assert claim.share_at_least is not None
    name, share = claim.output, claim.share_at_least
    cid = f"rate/{scenario}/{name}"
    text = f"{name} = 1 in more than {share:.0%} of seeds"
    if scen.empty:
        return Check(cid, "rate", scenario, text, "no runs", NAN, NAN, NAN, NAN, "", False)
    x = scen[name].to_numpy(float)
    k, n = int(x.sum()), len(x)
    lo, hi = wilson_interval(k, n)
    p = float(sps.binomtest(k, n, share, alternative="greater").pvalue)
    return Check(
        cid, "rate", scenario, text,
        f"Wilson 98 % interval: lower end above {share:.0%} (binomial test p shown)",
        k / n, p, lo, hi, f"{k}/{n} seeds", lo > share,
    )  # fmt: skip


# -- sizes ------------------------------------------------------------------------------
_SIZES = (
    # key, value column, firm column, period column, bound, claim, worst case
    (
        "listed_price_to_sales", "size_listed_ps", "size_listed_ps_firm",
        "size_listed_ps_period", bounds.LISTED_PRICE_TO_SALES_MAX,
        "no listed firm above {b:g}× trailing sales", "{firm} {period} at {v:.0f}×",
    ),
    (
        "lab_price_to_sales", "size_lab_ps", "size_lab_ps_firm", "size_lab_ps_period",
        bounds.PRIVATE_LAB_PRICE_TO_SALES_MAX,
        "no private lab above {b:g}× trailing sales", "{firm} {period} at {v:.0f}×",
    ),
    (
        "macro_limit", "size_macro_ratio", None, "size_macro_period", 1.0,
        f"the network's AI revenue below {bounds.MACRO_AI_SHARE:.0%} of world IT spending",
        "{period} at {v:.2f}× the limit",
    ),
    (
        "negative_equity", "size_negative_equity_quarters", "size_negative_equity_firm", None,
        float(bounds.NEGATIVE_EQUITY_MAX_QUARTERS),
        "no firm with negative equity more than {b:g} quarters without default, "
        "restructuring or rescue",
        "{firm}: {v:.0f} quarters",
    ),
    (
        "debt_to_revenue", "size_debt_revenue", "size_debt_revenue_firm",
        "size_debt_revenue_period", bounds.DEBT_TO_REVENUE_MAX,
        "no firm's debt above {b:g}× trailing sales", "{firm} {period} at {v:.1f}×",
    ),
)  # fmt: skip


def size_checks(runs: pd.DataFrame, scenarios: list[str]) -> list[Check]:
    """One check per bound and scenario: no run above the bound."""
    out = []
    for key, column, firm_col, period_col, bound, claim, worst in _SIZES:
        for scenario in scenarios:
            ok = _ok(runs, scenario)
            values = ok[column].to_numpy(float)
            cid, text = f"size/{scenario}/{key}", claim.format(b=bound)
            finite = values[~np.isnan(values)]
            if finite.size == 0:
                out.append(
                    Check(cid, "size", scenario, text, "no value", NAN, NAN, NAN, NAN, "", True)
                )
                continue
            above = int((finite > bound).sum())
            lo, hi = wilson_interval(above, finite.size)
            i = int(np.nanargmax(values))
            firm = str(ok[firm_col].iloc[i]) if firm_col else ""
            firm = firm or "no firm"  # the measure found no case (e.g. 0 quarters)
            period = str(ok[period_col].iloc[i]) if period_col else ""
            seen = worst.format(firm=firm, period=period, v=float(values[i]))
            out.append(
                Check(
                    cid,
                    "size",
                    scenario,
                    text,
                    "every run within the bound (Wilson 98 % interval of the share above)",
                    float(np.max(finite)),
                    NAN,
                    lo,
                    hi,
                    f"{above}/{finite.size} runs above; worst {seen.strip()}",
                    above == 0,
                )  # fmt: skip
            )
    return out


# -- the model's existing checks --------------------------------------------------------
def anchor_checks(anchors: pd.DataFrame, tolerance: float) -> list[Check]:
    """One check per 2025 anchor: the largest gap over the baseline's seeds within tolerance.

    ``anchors`` has columns ``name``, ``model``, ``anchor`` (one row per seed and anchor).
    """
    out = []
    if anchors.empty:
        return out
    gaps = anchors.assign(gap=(anchors["model"] - anchors["anchor"]) / anchors["anchor"])
    for name, g in gaps.groupby("name", sort=False):
        worst = g.loc[g["gap"].abs().idxmax()]
        out.append(
            Check(
                f"anchors/baseline/{name}",
                "anchors",
                "baseline",
                f"{name} within {tolerance:.0%} of its 2025 anchor",
                f"largest absolute gap over {len(g)} seeds ≤ {tolerance:.0%}",
                float(worst["gap"]),
                NAN,
                float(g["gap"].min()),
                float(g["gap"].max()),
                f"model {worst['model']:.1f} vs anchor {worst['anchor']:.1f}",
                bool(g["gap"].abs().max() <= tolerance),
            )  # fmt: skip
        )
    return out


def out_of_sample_checks(values: pd.DataFrame, factor: float) -> list[Check]:
    """One check per out-of-sample market value: the median ratio within ``factor``.

    ``values`` has columns ``name``, ``model``, ``anchor`` (the market's value; one row
    per seed and value). Passes when the median over seeds of model / market lies in
    ``[1 / factor, factor]``; the interval is the ratio's 5–95 % band over seeds. A run
    that ends before the date (NaN) counts as missing; none at all fails.
    """
    out = []
    if values.empty:
        return out
    ratios = values.assign(ratio=values["model"] / values["anchor"])
    for name, g in ratios.groupby("name", sort=False):
        r = g["ratio"].dropna()
        median = float(r.median()) if len(r) else NAN
        low, high = (float(x) for x in np.percentile(r, [5, 95])) if len(r) else (NAN, NAN)
        market = float(g["anchor"].iloc[0])
        out.append(
            Check(
                f"out_of_sample/baseline/{name}",
                "out_of_sample",
                "baseline",
                f"{name}: the model within a factor of {factor:g} of the market "
                "(not calibrated to it)",
                f"median over {len(r)} seeds of model / market in [1/{factor:g}, {factor:g}]; "
                "interval: 5–95 % of seeds",
                median,
                NAN,
                low,
                high,
                f"model {float(g['model'].median()):,.0f} (median) vs market {market:,.0f}",
                bool(len(r)) and 1.0 / factor <= median <= factor,
            )  # fmt: skip
        )
    return out


def market_checks(runs: pd.DataFrame, scenario: str = "baseline") -> list[Check]:
    """Stylized facts of weekly returns over the seeds of ``scenario`` (Cont 2001)."""
    ok = _ok(runs, scenario).dropna(subset=["facts_ac1"])
    if ok.empty:
        return []
    band = float(ok["facts_band"].median())
    ac1, abs_ac1, kurt = (
        ok[c].to_numpy(float) for c in ("facts_ac1", "facts_abs_ac1", "facts_kurtosis")
    )
    n = len(ok)
    p_tail = signed_rank_greater(kurt, 0.0)[1]
    p_cluster = signed_rank_greater(abs_ac1 - ok["facts_band"].to_numpy(float), 0.0)[1]
    med = float(np.median(ac1))
    return [
        Check(
            f"market/{scenario}/no_autocorrelation", "market", scenario,
            "no raw autocorrelation of weekly returns",
            f"median over {n} seeds of the firms' median lag-1 autocorrelation within ±2/√T",
            med, NAN, -band, band, f"median ac1 {med:+.3f}, band ±{band:.3f}", abs(med) < band,
        ),
        Check(
            f"market/{scenario}/fat_tails", "market", scenario,
            "fat tails: excess kurtosis of weekly returns above 0",
            f"Wilcoxon signed-rank, one-sided, p < {ALPHA}",
            float(np.median(kurt)), p_tail, float(kurt.min()), float(kurt.max()),
            f"median excess kurtosis {np.median(kurt):.2f}", p_tail < ALPHA,
        ),
        Check(
            f"market/{scenario}/volatility_clustering", "market", scenario,
            "volatility clustering: lag-1 autocorrelation of |returns| above the 2/√T band",
            f"Wilcoxon signed-rank, one-sided, p < {ALPHA}",
            float(np.median(abs_ac1)), p_cluster, float(abs_ac1.min()), float(abs_ac1.max()),
            f"median ac1 of |r| {np.median(abs_ac1):.3f}, band {band:.3f}", p_cluster < ALPHA,
        ),
    ]  # fmt: skip


def book_checks(runs: pd.DataFrame) -> list[Check]:
    """Books balance in every run: balance sheets, ledgers, cash against external flows."""
    ok = _ok(runs)
    out = []
    for column, text in (
        ("books_balance_sheet", "assets = liabilities + equity for every firm and quarter"),
        ("books_trial_balance", "every ledger's trial balance is zero"),
        ("books_cash_flow", "each firm's cash changes by the sum of its cash-flow statement"),
    ):
        worst = float(ok[column].max()) if len(ok) else NAN
        out.append(
            Check(
                f"books/all/{column.removeprefix('books_')}",
                "books",
                "all",
                text,
                f"largest imbalance over {len(ok)} runs ≤ {BOOKS_TOLERANCE:g} USD bn",
                worst,
                NAN,
                NAN,
                NAN,
                f"largest {worst:.2g} USD bn",
                bool(worst <= BOOKS_TOLERANCE),
            )  # fmt: skip
        )
    failed = runs[runs["status"] != "ok"]
    first = failed["error"].iloc[0] if len(failed) else ""
    out.append(
        Check(
            "books/all/runs_complete",
            "books",
            "all",
            "every run completes without an error",
            "count of failed runs = 0",
            float(len(failed)),
            NAN,
            NAN,
            NAN,
            f"{len(failed)}/{len(runs)} failed" + (f": {first}" if first else ""),
            len(failed) == 0,
        )  # fmt: skip
    )
    return out
