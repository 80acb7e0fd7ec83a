"""Figure functions: right panels and sizes on good data, a clear ValueError on bad data."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, StepPatch
from PIL import Image

from runs import figures as F
from runs import sweep_figures as S
from runs.scenario import load_scenario
from runs.simulate import simulate
from runs.style import OKABE_ITO, styled

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run():
    return simulate(load_scenario(ROOT / "scenarios" / "baseline.toml"), 0, quarters=10)


@pytest.fixture(scope="module")
def long_run(baseline_result):
    """A whole baseline run (40 quarters)."""
    return baseline_result


def title(ax) -> str:
    return ax.get_title(loc="left") or ax.get_title()


def texts(fig: Figure) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


RUN_FIGURES = {
    "gauges": (lambda r: F.gauges_figure(r.system, firms=r.firms), (15.0, 4.2), 3),
    "funding": (lambda r: F.funding_adoption_figure(r.system, launch="2022Q4"), (15.0, 4.5), 2),
    "valuations": (lambda r: F.valuations_figure(r.firms), (9.0, 5.0), 1),
    "round_trip": (lambda r: F.round_trip_figure(r.firms), (9.0, 5.0), 1),
    "round_trip_usd": (lambda r: F.round_trip_figure(r.firms, r.loops), (15.0, 4.5), 2),
    "buildout": (lambda r: F.buildout_figure(r.system, r.deals), (9.0, 5.0), 1),
    "balance": (lambda r: F.balance_figure(r.firms), (15.0, 4.5), 2),
    "minsky": (lambda r: F.minsky_figure(r.firms), (9.0, 5.0), 1),
    "defaults": (lambda r: F.defaults_figure(r.firms), (9.0, 5.0), 1),
    "stress": (lambda r: F.stress_figure(r.firms), (15.0, 4.5), 2),
    "network": (lambda r: F.network_figure(r.deals, r.firms), (15.0, 6.4), 2),
    "markets": (lambda r: F.markets_figure(r.system), (15.0, 4.5), 2),
}


@pytest.mark.parametrize("name", RUN_FIGURES)
def test_run_figure_size_and_panels(run, name):
    make, size, n_axes = RUN_FIGURES[name]
    fig = make(run)
    assert isinstance(fig, Figure)
    assert tuple(fig.get_size_inches()) == pytest.approx(size)
    assert len(fig.axes) == n_axes
    assert all(title(ax) for ax in fig.axes)  # every panel says what it shows


def test_gauges_plot_the_recorded_values_in_display_units(run):
    s = run.system
    fig = F.gauges_figure(s, firms=run.firms, paid_by_year={2024: 2.517, 2025: 1.5})
    engine, gears, fuel = fig.axes
    assert engine.get_ylabel() == "% per quarter"
    mau, paid = engine.lines[:2]
    np.testing.assert_allclose(mau.get_ydata(), s.engine_mau_growth * 100)
    np.testing.assert_allclose(paid.get_ydata(), s.engine_paid_growth * 100)
    assert "2024: +251.7%" in texts(fig)
    np.testing.assert_allclose(fuel.lines[0].get_ydata(), s.fuel_compute_efficiency * 1e3)
    # gears: all clouds' AI ratio, then the watched clouds' company ratios
    lines = {ln.get_label(): ln for ln in gears.lines}
    np.testing.assert_allclose(
        lines["all clouds: AI capex / AI revenue"].get_ydata(), s.gears_capex_to_revenue
    )
    oracle = run.firms[run.firms.firm == "Oracle"].sort_values("quarter")
    np.testing.assert_allclose(
        lines["Oracle: capex / revenue"].get_ydata(), oracle.capex_to_revenue
    )
    assert "Microsoft: capex / revenue" in lines
    single = F.gauges_figure(s, gauges=["gears_capex_to_revenue"])
    assert len(single.axes) == 1 and "Gears" in title(single.axes[0])
    assert len(single.axes[0].lines) == 2  # without firms: all clouds and the 1.0 line


def test_funding_bars_are_yearly_sums_and_adoption_marks_the_references(long_run):
    s = long_run.system
    funding, adoption = F.funding_adoption_figure(s, launch="2022Q4").axes
    years = s.assign(year=s.period.str[:4].astype(int)).groupby("year").lab_free_cash_flow.sum()
    np.testing.assert_allclose([p.get_height() for p in funding.patches], years.to_numpy())
    assert [p.get_x() + p.get_width() / 2 for p in funding.patches] == list(years.index)
    marks = " ".join(t.get_text() for t in adoption.texts)
    assert "PC: 12 years" in marks and "mobile: 21 years" in marks and "AI: 3 years" in marks
    without = F.funding_adoption_figure(s)  # no launch quarter: the panel says so
    assert "adoption: not available in this run" in texts(without)


def test_round_trip_usd_stacks_to_the_loops_total(long_run):
    loops = long_run.loops
    usd, share = F.round_trip_figure(long_run.firms, loops).axes
    steps = [p for p in usd.patches if isinstance(p, StepPatch)]
    top = steps[-1].get_data()
    per_q = loops.groupby("quarter").usd.sum().reindex(range(len(top.values)), fill_value=0.0)
    np.testing.assert_allclose(top.values, per_q.to_numpy(), atol=1e-9)
    labels = [t.get_text() for t in usd.get_legend().get_texts()]
    assert any(label.startswith("NVIDIA → OpenAI → Oracle → NVIDIA: ") for label in labels)
    assert "share" in title(share)
    empty = F.round_trip_figure(long_run.firms, loops.head(0))
    assert "no money went round a loop" in texts(empty)


def test_optional_columns_say_not_available(run):
    firms = run.firms.drop(columns=["minsky", "fundamental_value"], errors="ignore")
    assert "Minsky classes: not available in this run" in texts(F.minsky_figure(firms))
    assert "fundamental values: not available" in texts(F.valuations_figure(firms))
    assert "Minsky classes: not available in this run" in texts(F.stress_figure(firms))


def test_markets_panels_plot_sentiment_rounds_and_strategy_shares(run):
    fig = F.markets_figure(run.system)
    sentiment, strategies = fig.axes
    s = run.system.sort_values("quarter")
    np.testing.assert_allclose(sentiment.lines[0].get_ydata(), s["mean_sentiment"])
    rounds = {
        line.get_label(): len(line.get_xdata())
        for line in sentiment.lines
        if line.get_label().startswith("round:")
    }
    outcomes = s["funding_round_outcome"].value_counts()
    assert rounds == {f"round: {k}": int(v) for k, v in outcomes.items() if k != "none"}
    # the stacked strategy shares fill 100 % of investors every quarter
    top = strategies.collections[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(100.0)
    assert [t.get_text() for t in strategies.get_legend().get_texts()] == [
        "fundamentalist",
        "chartist",
        "noise",
    ]


def test_markets_panels_without_investors_say_so(run):
    system = run.system.assign(
        mean_sentiment=np.nan, share_fundamentalist=np.nan, share_chartist=np.nan,
        share_noise=np.nan, sentiment=np.nan,
    )  # fmt: skip
    text = texts(F.markets_figure(system))
    assert "sentiment: not available in this run" in text
    assert "strategy shares: not available" in text


@pytest.mark.parametrize("codes", [[0, 1, 2], ["hedge", "speculative", "ponzi"]])
def test_minsky_panel_counts_whole_firms_per_class_as_steps(run, codes):
    firms = run.firms.copy()
    firms["minsky"] = [codes[i % 3] for i in range(len(firms))]
    fig = F.minsky_figure(firms)
    ax = fig.axes[0]
    assert "not available" not in texts(fig)
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == 3 and not ax.collections  # one step band per class, no area
    top = steps[-1].get_data().values
    assert np.all(top == firms.firm.nunique())  # bands stack to every firm, every quarter
    counts = firms.groupby("quarter").minsky.apply(lambda m: (m == codes[0]).sum())
    np.testing.assert_array_equal(steps[0].get_data().values, counts.to_numpy())
    assert all(float(t).is_integer() for t in ax.get_yticks())


def test_defaults_panel_has_whole_firm_ticks(run):
    firms = run.firms.copy()
    firms.loc[(firms.firm == "CoreWeave") & (firms.quarter >= 5), "defaulted"] = True
    ax = F.defaults_figure(firms).axes[0]
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert "CoreWeave" in texts(ax.figure)


def test_year_ticks_leave_room_for_their_labels(long_run):
    """Forty quarters on a 5-inch panel: every second year labelled, at its first quarter."""
    fig = F.gauges_figure(long_run.system, firms=long_run.firms)
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        width = ax.get_position().width * fig.get_figwidth()
        assert 2 <= len(labels) <= width / 0.75, labels
        assert labels == [str(2025 + 2 * k) for k in range(len(labels))]
        assert set(ax.get_xticks()) <= set(range(0, 40, 4))  # ticks at Q1 only
    wide = F.valuations_figure(long_run.firms).axes[0]  # 9 inches: every year fits
    assert [t.get_text() for t in wide.get_xticklabels()][:2] == ["2025", "2026"]


def test_a_short_run_names_its_quarters(run):
    ax = F.gauges_figure(run.system.head(3), gauges=["fuel_compute_efficiency"]).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025Q1", "2025Q2", "2025Q3"]


def test_fundamental_values_are_drawn_dashed(run):
    firms = run.firms.assign(fundamental_value=run.firms.valuation * 0.5)
    ax = F.valuations_figure(firms).axes[0]
    dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(dashed) == firms.firm.nunique()
    assert "fundamental" in title(ax)


def _arrows(ax):
    return [a for a in ax.get_children() if isinstance(a, FancyArrowPatch)]


def test_network_arrows_follow_money_with_a_width_scale(run):
    fig = F.network_figure(run.deals, run.firms, quarters=[int(run.deals.quarter.max())])
    ax = fig.axes[0]
    end = run.deals.groupby(["payer", "payee", "kind"]).size()
    assert len(_arrows(ax)) == len(end)  # one arrow per (payer, payee, kind)
    assert f"{len(run.deals)} deals" in title(ax)
    scale = [h for h in ax.get_legend().legend_handles if h.get_label().startswith("USD ")]
    widths = [h.get_linewidth() for h in scale]
    assert len(scale) >= 2 and widths == sorted(widths)  # larger deals, wider arrows
    biggest = max(_arrows(ax), key=lambda a: a.get_linewidth())
    assert biggest.get_linewidth() == pytest.approx(6.6)  # the largest flow: 0.6 + 6


def test_network_highlights_the_loop(run):
    loop = ("NVIDIA", "OpenAI", "Oracle")
    fig = F.network_figure(run.deals, run.firms, loop=loop, loop_usd=2.5)
    for ax in fig.axes:
        halos = [a for a in _arrows(ax) if a.get_zorder() == 0]
        assert len(halos) == 3  # NVIDIA → OpenAI, OpenAI → Oracle, Oracle → NVIDIA
    labels = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert "loop NVIDIA → OpenAI → Oracle → NVIDIA:\nUSD 2.5 bn went round" in labels


def test_a_run_without_deals_says_so(run):
    no_deals = run.deals.head(0)
    assert "no deals in this run" in texts(F.network_figure(no_deals, run.firms))


def test_dashboard_pastes_the_figures_it_is_given():
    a = Image.new("RGB", (900, 500), (255, 0, 0))
    b = Image.new("RGB", (900, 500), (0, 0, 255))
    wide = Image.new("RGB", (1500, 450), (0, 255, 0))
    page = F.compose_dashboard([wide, a, b], "title")
    assert page.width == 2 * 900 + 3 * 12  # two narrow figures side by side
    pixels = np.asarray(page)
    assert (pixels == (0, 255, 0)).all(axis=2).sum() == 1500 * 450
    assert (pixels == (255, 0, 0)).all(axis=2).sum() == 900 * 500
    with pytest.raises(ValueError, match="at least one figure"):
        F.compose_dashboard([], "title")


BAD_RUN_INPUTS = [
    (
        lambda r: F.gauges_figure(pd.concat([r.system, r.system[["users_m"]]], axis=1)),
        "system: duplicate column.*users_m",
    ),
    (
        lambda r: F.gauges_figure(r.system.drop(columns="gears_capex_to_revenue")),
        "system: missing column.*gears_capex_to_revenue",
    ),
    (
        lambda r: F.valuations_figure(r.firms.drop(columns="valuation")),
        "firms: missing column.*valuation",
    ),
    (lambda r: F.round_trip_figure(r.firms.head(0)), "firms: the table has no rows"),
    (
        lambda r: F.round_trip_figure(r.firms, r.loops.drop(columns="usd")),
        "loops: missing column.*usd",
    ),
    (
        lambda r: F.gauges_figure(r.system.assign(engine_user_growth=np.inf)),
        "system.engine_user_growth: contains infinite values",
    ),
    (lambda r: F.balance_figure(r.firms.assign(cash="a lot")), "firms.cash: must be numeric"),
    (lambda r: F.defaults_figure(r.firms.to_dict()), "firms: expected a pandas DataFrame"),
    (
        lambda r: F.network_figure(r.deals.assign(value=-1.0), r.firms),
        "deals.value: deal values must be non-negative",
    ),
    (
        lambda r: F.network_figure(r.deals.drop(columns="payer"), r.firms),
        "deals: missing column.*payer",
    ),
    (lambda r: F.gauges_figure(r.system, gauges=["sentiment"]), "gauges: choose from"),
    (
        lambda r: F.buildout_figure(r.system.assign(total_deployed_gw=np.nan)),
        "system.total_deployed_gw: all values are missing",
    ),
    (
        lambda r: F.network_figure(r.deals, r.firms.drop(columns="role")),
        "firms: missing column.*role",
    ),
    (
        lambda r: F.funding_adoption_figure(r.system.drop(columns="period")),
        "system: missing column.*period",
    ),
]


@pytest.mark.parametrize(("make", "message"), BAD_RUN_INPUTS)
def test_bad_run_data_raises_clear_error(run, make, message):
    with pytest.raises(ValueError, match=message):
        make(run)


def test_style_does_not_leak_into_callers_settings(run):
    before = dict(mpl.rcParams)
    with styled():
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == OKABE_ITO[0]
    F.gauges_figure(run.system, firms=run.firms)
    F.network_figure(run.deals, run.firms)
    assert dict(mpl.rcParams) == before


# -- sweep figures ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def sweep():
    rng = np.random.default_rng(1)
    n = 40
    runs = pd.DataFrame(
        {
            "run_id": range(n),
            "demand.bass_q": rng.uniform(0.03, 0.15, n),
            "buildout.power_cap_gw": np.tile([1.0, 2.0, 3.0, 4.0], n // 4),
        }
    )
    runs["lab_valuation"] = 1e3 + 4e4 * runs["demand.bass_q"] + rng.normal(0, 50, n)
    runs["regime"] = np.where(runs["lab_valuation"] > 4e3, "boom", "bust")
    quarters = np.arange(8)
    paths = pd.DataFrame(
        {
            "run_id": np.repeat(runs.run_id, len(quarters)),
            "quarter": np.tile(quarters, n),
            "lab_valuation": np.repeat(runs.lab_valuation, len(quarters)).to_numpy()
            * np.tile(1 + 0.1 * quarters, n),
        }
    )
    return runs, paths


def test_fan_chart_median_and_bands(sweep):
    _, paths = sweep
    fig = S.fan_chart_figure(paths, ["lab_valuation"])
    ax = fig.axes[0]
    median = paths.groupby("quarter").lab_valuation.median()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), median)
    assert len(ax.collections) == 2  # 5–95 % and 25–75 % bands
    assert "40 runs" in fig.get_suptitle()
    default = S.fan_chart_figure(paths)  # only lab_valuation of the defaults is present
    assert len([a for a in default.axes if a.get_visible()]) == 1


def test_regime_shares_sum_to_100(sweep):
    runs, _ = sweep
    ax = S.regime_shares_figure(runs).axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == pytest.approx(100)
    assert heights[0] == pytest.approx((runs.regime == "boom").mean() * 100)
    ax = S.regime_shares_figure(runs, by="demand.bass_q", bins=3).axes[0]
    stacked = pd.Series({(p.get_x(), p.get_y()): p.get_height() for p in ax.patches})
    per_bin = stacked.groupby(level=0).sum()
    np.testing.assert_allclose(per_bin, 100)


@given(
    st.lists(
        st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=3, max_size=3),
        min_size=1,
        max_size=6,
    )
)
def test_morris_importance_is_relative_to_each_metric(rows):
    """Each metric's row of μ* is divided by its largest: values in [0, 1], a 1 in every
    row that varies; rows all zero are left out; columns go by mean importance."""
    indices = pd.concat(
        [
            pd.DataFrame({"metric": f"m{i}", "parameter": list("abc"), "mu_star": r, "sigma": 0.0})
            for i, r in enumerate(rows)
        ]
    )
    t = S.importance_table(indices, "mu_star")
    kept = [f"m{i}" for i, r in enumerate(rows) if max(r) > 0]
    assert list(t.index) == kept
    if kept:
        assert ((t >= 0) & (t <= 1)).all(axis=None)
        np.testing.assert_allclose(t.max(axis=1), 1.0)
        assert list(t.mean().sort_values(ascending=False).index) == list(t.columns)


def test_sobol_importance_keeps_the_total_order_index_and_draws_a_heat_map():
    indices = pd.DataFrame(
        {
            "metric": ["m", "m", "n", "n"],
            "parameter": list("abab"),
            "S1": 0.1,
            "ST": [0.2, 0.7, 0.5, 0.1],
        }
    )
    t = S.importance_table(indices, "ST")
    assert t.loc["m", "b"] == 0.7 and t.loc["n", "a"] == 0.5 and list(t.columns) == ["b", "a"]
    fig = S.importance_figure(indices, "ST")
    assert title(fig.axes[0]).startswith("Sobol total-order index ST")
    with pytest.raises(ValueError, match="value: must be one of"):
        S.importance_table(indices, "S2")


def test_sobol_morris_prim_heatmap(sweep):
    runs, _ = sweep
    sobol = pd.DataFrame(
        {
            "metric": "m",
            "parameter": ["a", "b", "c"],
            "S1": [0.5, 0.2, 0.0],
            "ST": [0.6, 0.3, 0.1],
            "ST_conf": [0.05, 0.05, 0.02],
        }
    )
    two = pd.concat([sobol, sobol.assign(metric="n")])
    assert [len(ax.patches) for ax in S.sobol_figure(two).axes] == [6, 6]
    assert title(S.sobol_figure(two).axes[1]) == "Sobol indices: n"
    morris = pd.DataFrame({"parameter": ["a", "b"], "mu_star": [2.0, 1.0], "sigma": [1.0, 0.5]})
    assert len(S.morris_figure(morris).axes) == 2
    # every metric gets its chart (not only the first); sobol panels wrap three a row
    three = pd.concat([morris.assign(metric=m) for m in ("m", "n", "o")])
    axes = S.morris_figure(three).axes
    assert len(axes) == 6 and title(axes[4]) == "Morris screening: o"
    assert len(S.morris_figure(three, metric="n").axes) == 2
    four = pd.concat([sobol.assign(metric=m) for m in "wxyz"])
    shown = [ax for ax in S.sobol_figure(four).axes if ax.get_visible()]
    assert [title(ax) for ax in shown] == [f"Sobol indices: {m}" for m in "wxyz"]
    # the format of runs.analysis.prim_boxes: low/high, a categorical row, ranges apart
    boxes = pd.DataFrame(
        {
            "box": 0,
            "parameter": ["demand.bass_q", "behaviour.vendor_financing"],
            "low": [0.09, "False"],
            "high": [0.15, ""],
            "coverage": 0.8,
            "density": 0.9,
        }
    )
    ax = S.prim_figure(boxes, ranges={"demand.bass_q": (0.03, 0.15)}).axes[0]
    box = ax.patches[2]  # two grey full ranges, then the box
    assert box.get_x() == pytest.approx(0.5) and box.get_width() == pytest.approx(0.5)
    assert "coverage 80%" in title(ax) and "kept: False" in texts(ax.figure)
    # a continuous parameter against 4 levels: equal-count bins, ~4 runs a cell, none empty
    fig = S.heatmap_figure(runs, "demand.bass_q", "buildout.power_cap_gw", "lab_valuation", bins=4)
    mesh = fig.axes[0].collections[0].get_array()
    assert mesh.size == 2 * 4 and not np.isnan(np.asarray(mesh, dtype=float)).any()
    assert np.nanmax(mesh) <= runs.lab_valuation.max()
    # two continuous parameters (an LHS): one dot per run, no mostly empty grid
    lhs = runs.assign(**{"behaviour.optimism": np.linspace(0, 1, len(runs))})
    fig = S.heatmap_figure(lhs, "demand.bass_q", "behaviour.optimism", "lab_valuation")
    dots = fig.axes[0].collections[0]
    assert len(dots.get_offsets()) == len(runs) and "40 runs" in title(fig.axes[0])


BAD_SWEEP_INPUTS = [
    (lambda r, p: S.fan_chart_figure(p, ["users_m"]), "paths: missing column.*users_m"),
    (lambda r, p: S.fan_chart_figure(p.drop(columns="lab_valuation")), "paths: none of the"),
    (lambda r, p: S.regime_shares_figure(r.drop(columns="regime")), "runs: missing.*regime"),
    (
        lambda r, p: S.heatmap_figure(r, "demand.bass_q", "demand.bass_q", "lab_valuation"),
        "x and y: must be two different",
    ),
    (
        lambda r, p: S.heatmap_figure(r, "demand.bass_q", "buildout.power_cap_gw", "regime"),
        "runs.regime: must be numeric",
    ),
    (
        lambda r, p: S.sobol_figure(pd.DataFrame({"parameter": ["a"], "S1": [0.1]})),
        "indices: missing column.*ST",
    ),
    (
        lambda r, p: S.prim_figure(pd.DataFrame({"parameter": ["a"], "low": [0.0], "high": [1.0]})),
        "ranges: no sampled range for parameter 'a'",
    ),
    (
        lambda r, p: S.prim_figure(
            pd.DataFrame({"parameter": ["a"], "low": [0.0], "high": [1.0]}), {"a": (1.0, 1.0)}
        ),
        "max must be greater than min",
    ),
    (
        lambda r, p: S.morris_figure(
            pd.DataFrame({"metric": "m", "parameter": ["a"], "mu_star": [1.0], "sigma": [0.1]}),
            metric="x",
        ),
        "metric: 'x' is not in indices",
    ),
]


@pytest.mark.parametrize(("make", "message"), BAD_SWEEP_INPUTS)
def test_bad_sweep_data_raises_clear_error(sweep, make, message):
    with pytest.raises(ValueError, match=message):
        make(*sweep)


def test_heatmap_over_a_switch_and_a_number():
    """A boolean parameter (vendor financing on/off) is an axis of two levels, labelled
    True/False (its tick labels are not numbers); a number keeps plain notation."""
    rng = np.random.default_rng(2)
    runs = pd.DataFrame(
        {
            "behaviour.vendor_financing": rng.choice([True, False], 40),
            "demand.market_size": rng.choice([900.0, 2500.0], 40),
            "lab_revenue": rng.random(40),
        }
    )
    x, y = "behaviour.vendor_financing", "demand.market_size"
    ax = S.heatmap_figure(runs, x, y, "lab_revenue").axes[0]
    assert sorted(t.get_text() for t in ax.get_xticklabels()) == ["False", "True"]
    # numbers in plain notation (2,500, not 2.5e+03)
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["2,500", "900"]


def test_heatmap_of_replicates_draws_each_point_once_at_its_seed_mean():
    """Replicates of a design point share its parameter values: one dot per point,
    coloured by the mean over its seeds (not whichever seed was drawn last), its area
    growing with their spread, and a title that counts points and seeds."""
    runs = pd.DataFrame(
        {
            "point_id": [0, 1, 0, 1, 0, 1],
            "replicate": [0, 0, 1, 1, 2, 2],
            "a": [0.1, 0.7, 0.1, 0.7, 0.1, 0.7],
            "b": [5.0, 2.0, 5.0, 2.0, 5.0, 2.0],
            "score": [1.0, 10.0, 2.0, 20.0, 6.0, 90.0],  # means 3 and 40, sd 2.6 and 43.6
        }
    ).sample(frac=1.0, random_state=3)  # rows in any order
    by_pair = runs.drop(columns="point_id")  # no point id: a point is its (a, b) pair
    for table in (runs, by_pair):
        ax = S._scatter_map(table, "a", "b", "score").axes[0]
        dots = ax.collections[0]
        offsets = np.asarray(dots.get_offsets())
        order = np.argsort(offsets[:, 0])
        assert offsets[order].tolist() == [[0.1, 5.0], [0.7, 2.0]]
        assert np.asarray(dots.get_array())[order] == pytest.approx([3.0, 40.0])
        assert dots.get_sizes()[order][0] < dots.get_sizes()[order][1]  # larger seed spread
        assert "2 points × 3 seeds" in title(ax) and "mean" in title(ax)
        assert "runs)" not in title(ax)
    # through the public function (both parameters continuous: the dot map), and a point
    # that lost a run (a failed seed) still drawn once
    rng = np.random.default_rng(4)
    design = pd.DataFrame({"point_id": range(8), "a": rng.random(8), "b": rng.random(8)})
    reps = design.loc[design.index.repeat(2)].assign(score=rng.normal(size=16))
    ax = S.heatmap_figure(reps.iloc[1:], "a", "b", "score").axes[0]
    dots = ax.collections[0]
    assert len(dots.get_offsets()) == 8 and "8 points × 1–2 seeds" in title(ax)
    means = reps.iloc[1:].groupby("point_id")["score"].mean()
    assert sorted(np.asarray(dots.get_array())) == pytest.approx(sorted(means))
    # one seed per point: every run a dot, as before
    one = reps.drop_duplicates("point_id")
    ax = S.heatmap_figure(one, "a", "b", "score").axes[0]
    assert np.asarray(ax.collections[0].get_array()) == pytest.approx(one["score"].to_numpy())
    assert "(8 runs)" in title(ax) and "seeds" not in title(ax)


def test_regimes_by_a_switch_or_a_grid_level_get_a_bar_each():
    rng = np.random.default_rng(5)
    runs = pd.DataFrame(
        {
            "regime": rng.choice(["boom", "bust"], 30),
            "behaviour.vendor_financing": rng.choice([True, False], 30),
            "buildout.life_quarters": rng.choice([12, 22, 30], 30),
        }
    )
    for by, names in (
        ("behaviour.vendor_financing", ["False", "True"]),
        ("buildout.life_quarters", ["12", "22", "30"]),
    ):
        ax = S.regime_shares_figure(runs, by=by).axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == names
        stacked = pd.Series({(p.get_x(), p.get_y()): p.get_height() for p in ax.patches})
        np.testing.assert_allclose(stacked.groupby(level=0).sum(), 100)
