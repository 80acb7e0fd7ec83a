"""Figures of the validation suite: pure functions, tables in, ``Figure`` out.

* :func:`claims_figure` — every direction claim as an effect size with its verdict;
* :func:`sizes_figure` — each run's worst size against its documented bound;
* :func:`regimes_figure` — the share of runs per regime label, per scenario;
* :func:`synthetic_figure` — the labelled synthetic paths the regime rules are tested on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from runs import style
from runs.figures import new_figure
from runs.style import styled
from runs.sweep_figures import REGIME_ORDER
from runs.validation import bounds
from runs.validation.claims import Expectations
from runs.validation.synthetic import SYNTHETIC_PATHS
from world.pathstats import trailing_sum

__all__ = ["claims_figure", "regimes_figure", "sizes_figure", "synthetic_figure"]

PASS, FAIL = style.OKABE_ITO[2], style.OKABE_ITO[3]


def _superiority(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) + P(X = Y)/2: the Mann–Whitney U over n·m (0.5: no difference)."""
    gt = (x[:, None] > y[None, :]).mean()
    eq = (x[:, None] == y[None, :]).mean()
    return float(gt + eq / 2)


def claims_figure(
    runs: pd.DataFrame, expectations: list[Expectations], checks: pd.DataFrame
) -> Figure:
    """Each direction claim: probability that a scenario run beats a baseline run.

    0.5 means no difference; a claim of "higher" is borne out towards 1, "lower"
    towards 0. Markers show the verdict of the claim's test (see the table).
    """
    ok = runs[runs["status"] == "ok"]
    base = ok[ok["scenario"] == "baseline"]
    verdict = checks.set_index("id")["passed"].to_dict()
    rows = []
    for exp in expectations:
        scen = ok[ok["scenario"] == exp.scenario]
        for c in exp.claims:
            if c.direction is None or scen.empty or base.empty:
                continue
            a = _superiority(scen[c.output].to_numpy(float), base[c.output].to_numpy(float))
            passed = verdict.get(f"direction/{exp.scenario}/{c.output}", False)
            rows.append((f"{exp.scenario}: {c.output} {c.direction.value}", a, c.direction, passed))
    with styled():
        fig = new_figure((9.0, max(3.0, 0.3 * len(rows) + 1.4)))
        ax = fig.subplots()
        y = np.arange(len(rows))[::-1]
        for yi, (_label, a, direction, passed) in zip(y, rows, strict=True):
            colour = PASS if passed else FAIL
            ax.plot([0.5, a], [yi, yi], color=colour, lw=1.2, alpha=0.6)
            marker = ">" if direction.value == "higher" else "<"
            ax.plot(a, yi, marker, color=colour, ms=7)
        ax.axvline(0.5, color=style.GREY, lw=1, ls="--")
        ax.set_yticks(y, [r[0] for r in rows])
        ax.set_xlim(0, 1)
        ax.set_xlabel("P(scenario run > baseline run)  (0.5: no difference)")
        ax.set_title(
            "Direction claims: ▶ claimed higher, ◀ claimed lower; green passed, red failed"
        )
    return fig


_SIZE_PANELS = (
    ("size_listed_ps", "listed firms: valuation / sales (×)", bounds.LISTED_PRICE_TO_SALES_MAX),
    ("size_lab_ps", "private lab: valuation / sales (×)", bounds.PRIVATE_LAB_PRICE_TO_SALES_MAX),
    ("size_macro_ratio", "AI revenue / macro limit", 1.0),
    (
        "size_negative_equity_quarters",
        "quarters of unresolved negative equity",
        float(bounds.NEGATIVE_EQUITY_MAX_QUARTERS),
    ),
    ("size_debt_revenue", "debt / sales (×)", bounds.DEBT_TO_REVENUE_MAX),
)


def sizes_figure(runs: pd.DataFrame) -> Figure:
    """Each run's worst size per scenario (dots) against its bound (dashed line)."""
    ok = runs[runs["status"] == "ok"]
    names = list(dict.fromkeys(ok["scenario"]))
    with styled():
        fig = new_figure((12.0, max(5.5, 0.32 * len(names) * 3 + 1.5)))
        axes = fig.subplots(3, 2).ravel()
        for spare in axes[len(_SIZE_PANELS) :]:
            spare.set_visible(False)
        rng = np.random.default_rng(0)
        for ax, (column, title, bound) in zip(axes, _SIZE_PANELS, strict=False):
            for k, name in enumerate(names):
                v = ok.loc[ok["scenario"] == name, column].to_numpy(float)
                v = np.clip(v[np.isfinite(v) | np.isinf(v)], None, 1e4)
                jitter = k + rng.uniform(-0.18, 0.18, v.size)
                colour = np.where(v > bound, FAIL, PASS)
                ax.scatter(v, jitter, s=9, c=colour, alpha=0.7, lw=0)
            ax.axvline(bound, color=style.GREY, ls="--", lw=1.2, label="bound")
            if column.endswith("_ps") and np.nanmax(ok[column].to_numpy(float)) > 3 * bound:
                ax.set_xscale("log")
            ax.set_yticks(range(len(names)), names)
            ax.invert_yaxis()
            ax.set_title(title)
            ax.legend(loc="lower right")
        fig.suptitle("Sane sizes: each dot one run's worst case (red: above the bound)")
    return fig


def regimes_figure(runs: pd.DataFrame) -> Figure:
    """Share of runs per regime label, one bar per scenario."""
    ok = runs[runs["status"] == "ok"]
    table = pd.crosstab(ok["scenario"], ok["regime"], normalize="index") * 100
    order = [r for r in REGIME_ORDER if r in table.columns]
    table = table.reindex(columns=order).reindex(list(dict.fromkeys(ok["scenario"])))
    with styled():
        fig = new_figure((9.0, max(3.0, 0.38 * len(table) + 1.4)))
        ax = fig.subplots()
        left = np.zeros(len(table))
        y = np.arange(len(table))
        for regime in order:
            width = table[regime].fillna(0).to_numpy()
            colour = style.REGIME_COLOURS.get(regime, style.GREY)
            ax.barh(y, width, left=left, color=colour, label=regime.replace("_", " "))
            left += width
        ax.set_yticks(y, table.index.tolist())
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of seeds")
        ax.set_title(f"Regime labels over {ok.groupby('scenario').size().max()} seeds")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="regime")
    return fig


def synthetic_figure() -> Figure:
    """The synthetic AI-network paths and the label each must get."""
    paths = SYNTHETIC_PATHS
    ncols = 4
    nrows = int(np.ceil(len(paths) / ncols))
    with styled():
        fig = new_figure((14.0, 3.2 * nrows))
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for ax, p in zip(axes, paths, strict=False):
            v = p.value.sum(axis=1)
            r = trailing_sum(p.revenue.sum(axis=1))
            ax.plot(v / v[0], color=style.OKABE_ITO[0], label="AI-exposed value")
            ax.plot(r / r[0], color=style.OKABE_ITO[1], ls="--", label="AI revenue (4 q)")
            firsts = np.sort(p.defaulted.argmax(axis=0)[p.defaulted.any(axis=0)])
            for q in firsts:
                ax.axvline(q, color=FAIL, lw=1, ls=":")
            if firsts.size:
                label = f"{firsts.size} default" + ("s" if firsts.size > 1 else "")
                ax.annotate(
                    label, (firsts[-1] + 1, 0.05), fontsize=8, color=FAIL,
                    xycoords=("data", "axes fraction"),
                )  # fmt: skip
            ax.set_title(f"{p.name.replace('_', ' ')} → {p.expected.value}", fontsize=9.5)
            ax.set_xlabel("quarter")
            ax.set_ylim(bottom=0)
        for ax in axes[len(paths) :]:
            ax.set_visible(False)
        axes[0].set_ylabel("relative to quarter 0")
        axes[0].legend(loc="upper left")
        fig.suptitle("Regime rules on synthetic paths (the label each must get)")
    return fig
