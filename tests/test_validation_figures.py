"""The validation suite's regime map: each run's label against the rules it was read from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex

from runs import style
from runs.scenario import apply_overrides, load_scenario
from runs.summary import REGIME_FIGURES
from runs.sweep_figures import REGIME_MAP_COLUMNS, REGIME_ORDER, regime_map_figure
from runs.validation.runner import SuiteRun, measure_run
from world.regimes import RegimeRules, RegimeStats, label_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("name", "seed"), [("baseline", 3), ("productive_future", 5)])
def test_a_suite_row_keeps_the_figures_its_label_was_read_from(name, seed):
    """Without defaults, the rules on the row's figures give the row's label."""
    scenario = apply_overrides(
        load_scenario(ROOT / "scenarios" / f"{name}.toml"), {"investors.n_investors": 500}
    )
    row = measure_run(SuiteRun(name, scenario, seed, 0))
    assert row["status"] == "ok", row.get("error")
    assert set(REGIME_FIGURES) <= set(row)
    assert row["regime_value_drawdown"] == pytest.approx(row["ai_value_drawdown"])
    assert row["defaults"] == 0
    stats = RegimeStats(
        value_growth=row["regime_value_growth"],
        value_drawdown=row["regime_value_drawdown"],
        value_end_to_peak=row["regime_value_end_to_peak"],
        revenue_growth=row["regime_revenue_growth"],
        revenue_end_to_peak=row["regime_revenue_end_to_peak"],
        default_quarters=(),
    )
    assert label_of(stats).value == row["regime"]


def _runs() -> pd.DataFrame:
    """Three scenarios: one all boom, one split at the crash line, one bust and cascade."""
    rng = np.random.default_rng(1)
    rows = []
    for scenario, regimes, n in (
        ("calm", ["boom"], 6),
        ("edge", ["boom", "bust"], 8),
        ("deep", ["bust", "cascade"], 5),
    ):
        for k in range(n):
            regime = regimes[k % len(regimes)]
            fall = 0.3 if regime == "boom" else 0.8
            rows.append(
                {
                    "scenario": scenario,
                    "status": "ok",
                    "regime": regime,
                    "regime_value_drawdown": fall + rng.uniform(-0.05, 0.05),
                    "regime_value_end_to_peak": 1.0 - fall,
                }
            )
    rows.append({**rows[0], "status": "failed"})  # not drawn
    return pd.DataFrame(rows)


def _title(ax) -> str:
    """A panel's title, wherever the style puts it."""
    return "".join(ax.get_title(loc) for loc in ("left", "center", "right"))


def _dots(ax) -> dict[str, int]:
    """Colour (hex) → number of dots of a panel."""
    out: dict[str, int] = {}
    for c in ax.collections:
        if isinstance(c, PathCollection):
            colour = to_hex(c.get_facecolor()[0], keep_alpha=False)
            out[colour] = out.get(colour, 0) + len(c.get_offsets())
    return out


def test_the_regime_map_draws_each_run_in_its_labels_colour_against_the_lines():
    runs = _runs()
    fig = regime_map_figure(runs)
    panels = [ax for ax in fig.axes if ax.get_visible() and _title(ax)]
    assert [_title(ax) for ax in panels] == ["calm (6 runs)", "edge (8 runs)", "deep (5 runs)"]
    colour = {r: to_hex(style.REGIME_COLOURS[r]) for r in REGIME_ORDER}
    assert _dots(panels[0]) == {colour["boom"]: 6}
    assert _dots(panels[1]) == {colour["boom"]: 4, colour["bust"]: 4}
    assert _dots(panels[2]) == {colour["bust"]: 3, colour["cascade"]: 2}
    rules = RegimeRules()
    for ax in panels:
        vertical = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        level = [ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert vertical == [rules.crash_drawdown] and level == [rules.recovery_share]
    # one legend (three panels fill their row: in the last) lists the labels in rule order
    assert _legend_texts(fig) == ["boom", "bust", "cascade"]


def test_a_spare_panel_holds_the_legend():
    runs = _runs()
    extra = runs[runs["scenario"] == "calm"].assign(scenario="more")
    fig = regime_map_figure(pd.concat([runs, extra, extra.assign(scenario="most")]))
    assert not fig.legends  # five panels in a row of four: the sixth holds it
    assert _legend_texts(fig) == ["boom", "bust", "cascade"]


def _legend_texts(fig) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + fig.legends
    assert len(legends) == 1
    return [t.get_text() for t in legends[0].get_texts()]


def test_the_regime_map_follows_the_rules_it_is_given():
    rules = RegimeRules(crash_drawdown=0.3, recovery_share=0.6)
    fig = regime_map_figure(_runs(), rules)
    ax = fig.axes[0]
    assert [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"] == [0.3]
    assert [ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == ":"] == [0.6]
    assert "30%" in fig._suptitle.get_text() and "60%" in fig._suptitle.get_text()


@pytest.mark.parametrize("column", REGIME_MAP_COLUMNS)
def test_a_runs_table_without_the_figures_is_refused_by_name(column):
    with pytest.raises(ValueError, match=f"no column '{column}'"):
        regime_map_figure(_runs().drop(columns=column))


def test_panels_by_a_column_the_table_lacks_are_refused_by_name():
    with pytest.raises(ValueError, match="by: runs has no column 'point_id'"):
        regime_map_figure(_runs(), by="point_id")
