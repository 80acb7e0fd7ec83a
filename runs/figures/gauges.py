"""The article's gauges over time: engine, gears, fuel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runs import style
from runs.figures.base import GAUGES, _note, _quarter_axis, check_frame, column_label, new_figure
from runs.style import styled


def _panel_gauge(ax: Axes, system: pd.DataFrame, col: str) -> None:
    title, unit, factor = column_label(col)
    s = system.sort_values("quarter")
    ax.plot(
        s["quarter"],
        s[col] * factor,
        color=style.OKABE_ITO[GAUGES.index(col)],
        marker="o" if len(s) < 12 else None,
        ms=4,
    )
    ax.set_title(title)
    ax.set_ylabel(unit)
    if col == "gears_capex_to_revenue":
        ax.axhline(1.0, color=style.GREY, lw=1, ls="--")
        ax.text(
            s["quarter"].iloc[0], 1.0, " capex = revenue", va="bottom", fontsize=8, color=style.GREY
        )
    if col == "engine_user_growth" and "users_m" in s.columns:
        _note(ax, f"users at end: {s['users_m'].iloc[-1]:,.0f} M")
    _quarter_axis(ax, s)


def gauges_figure(system: pd.DataFrame, gauges: Sequence[str] = GAUGES) -> Figure:
    """The seed's gauges over time, one panel each (default: engine, gears and fuel).

    ``gauges`` selects some of ``engine_user_growth``, ``gears_capex_to_revenue`` and
    ``fuel_compute_efficiency``.
    """
    unknown = [g for g in gauges if g not in GAUGES]
    if unknown or not gauges:
        raise ValueError(f"gauges: choose from {', '.join(GAUGES)}, got {list(gauges)}")
    check_frame(system, "system", numeric=("quarter", *gauges))
    n = len(gauges)
    with styled():
        fig = new_figure((5.0 * n, 4.2) if n > 1 else style.PANEL_SIZE)
        for ax, col in zip(np.atleast_1d(fig.subplots(1, n)), gauges, strict=True):
            _panel_gauge(ax, system, col)
        if n > 1:
            fig.suptitle("The three gauges, per quarter", fontweight="bold")
    return fig
