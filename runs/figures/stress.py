"""Financial stress: firms by Minsky class and firms in default."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runs import style
from runs.figures.base import (
    MINSKY_NAMES,
    _integer_axis,
    _note,
    _periods,
    _quarter_axis,
    _unavailable,
    check_frame,
    panel_grid,
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
    counts = (
        labels.groupby(firms["quarter"])
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=list(MINSKY_NAMES), fill_value=0)
        .sort_index()
    )
    quarters = counts.index.to_numpy()
    edges = np.append(quarters - 0.5, quarters[-1] + 0.5)
    bottom = np.zeros(len(counts))
    for name in MINSKY_NAMES:  # whole firms: stacked steps, one level per quarter
        top = bottom + counts[name].to_numpy()
        ax.stairs(
            top,
            edges,
            baseline=bottom,
            fill=True,
            label=name,
            color=style.MINSKY_COLOURS[name],
        )
        bottom = top
    ax.set_ylim(0, max(bottom.max(), 1.0))  # the firms, no more
    ax.set_title(title)
    ax.set_ylabel("firms")
    # on the title's line, at the right: inside the axes it needed an empty band above
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3, borderaxespad=0.2)
    _integer_axis(ax)
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
    _integer_axis(ax)
    _quarter_axis(ax, firms)


def minsky_figure(firms: pd.DataFrame) -> Figure:
    """Number of firms in each Minsky class (hedge / speculative / Ponzi) per quarter."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter",))
    with styled():
        fig, (ax,) = panel_grid()
        _panel_minsky(ax, firms)
    return fig


def stress_figure(firms: pd.DataFrame) -> Figure:
    """Firms by Minsky class (left) and firms in default (right), per quarter."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "defaulted"))
    with styled():
        fig, (ax1, ax2) = panel_grid(style.WIDE_SIZE, 2)
        _panel_minsky(ax1, firms)
        _panel_defaults(ax2, firms)
    return fig


def defaults_figure(firms: pd.DataFrame) -> Figure:
    """Firms in default per quarter, each default labelled with the firm and quarter."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "defaulted"))
    with styled():
        fig, (ax,) = panel_grid()
        _panel_defaults(ax, firms)
    return fig
