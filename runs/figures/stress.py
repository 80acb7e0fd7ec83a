"""Financial stress: firms by Minsky class and firms in default."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runs import style
from runs.figures.base import (
    MINSKY_NAMES,
    _note,
    _periods,
    _quarter_axis,
    _unavailable,
    check_frame,
    new_figure,
)
from runs.style import styled


def _minsky_labels(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.map(dict(enumerate(MINSKY_NAMES)))
    return values.astype(str).str.lower()


def _panel_minsky(ax: Axes, firms: pd.DataFrame) -> None:
    title = "Minsky classes: number of firms"
    if "minsky" not in firms.columns:
        _unavailable(ax, title, "Minsky classes: not available in this run")
        return
    labels = _minsky_labels(firms["minsky"])
    counts = pd.crosstab(firms["quarter"], labels).reindex(columns=list(MINSKY_NAMES), fill_value=0)
    ax.stackplot(
        counts.index,
        *(counts[c] for c in MINSKY_NAMES),
        labels=list(MINSKY_NAMES),
        colors=[style.MINSKY_COLOURS[c] for c in MINSKY_NAMES],
        alpha=0.85,
    )
    ax.set_title(title)
    ax.set_ylabel("firms")
    ax.legend(loc="lower left", ncols=3)
    _quarter_axis(ax, firms)


def _panel_defaults(ax: Axes, firms: pd.DataFrame) -> None:
    per_q = firms.groupby("quarter")["defaulted"].sum().sort_index()
    ax.step(per_q.index, per_q.to_numpy(), where="post", color=style.OKABE_ITO[3])
    ax.set_title("Defaults: firms in default")
    ax.set_ylabel("firms")
    first = firms[firms["defaulted"].astype(bool)].groupby("firm")["quarter"].min().sort_values()
    periods = _periods(firms)
    for i, (name, q) in enumerate(first.items()):
        ax.annotate(
            f"{name}, {periods.get(q, f'quarter {q}')}",
            (q, per_q.loc[q]),
            xytext=(4, -12 - 11 * i),
            textcoords="offset points",
            fontsize=8,
        )
    if first.empty:
        _note(ax, "no defaults in this run")
    ax.set_ylim(bottom=0, top=max(1.0, float(per_q.max())) + 0.8)
    _quarter_axis(ax, firms)


def minsky_figure(firms: pd.DataFrame) -> Figure:
    """Number of firms in each Minsky class (hedge / speculative / Ponzi) per quarter."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter",))
    with styled():
        fig = new_figure()
        _panel_minsky(fig.subplots(), firms)
    return fig


def defaults_figure(firms: pd.DataFrame) -> Figure:
    """Firms in default per quarter, each default labelled with the firm and quarter."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "defaulted"))
    with styled():
        fig = new_figure()
        _panel_defaults(fig.subplots(), firms)
    return fig
