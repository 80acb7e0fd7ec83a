"""Markets: investor sentiment with the lab's funding rounds, investors by strategy."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runs import style
from runs.figures.base import _has_values, _quarter_axis, _unavailable, check_frame, panel_grid
from runs.style import styled

_STRATEGIES = ("fundamentalist", "chartist", "noise")


_ROUND_MARKERS = {  # funding-round outcome → (marker, colour)
    "full": ("o", style.OKABE_ITO[2]),
    "undersubscribed": ("v", style.OKABE_ITO[1]),
    "failed": ("X", style.OKABE_ITO[3]),
}


def _panel_sentiment(ax: Axes, system: pd.DataFrame) -> None:
    title = "Investor sentiment and the lab's funding rounds"
    col = "mean_sentiment" if _has_values(system, ["mean_sentiment"]) else "sentiment"
    if not _has_values(system, [col]):
        _unavailable(ax, title, "sentiment: not available in this run")
        return
    s = system.sort_values("quarter")
    ax.plot(s["quarter"], s[col], color=style.OKABE_ITO[0], label="mean sentiment")
    ax.axhline(0.0, color=style.GREY, lw=1, ls="--")
    if "funding_round_outcome" in s.columns:
        for outcome, (marker, colour) in _ROUND_MARKERS.items():
            rows = s[s["funding_round_outcome"] == outcome]
            if len(rows):
                ax.plot(
                    rows["quarter"], rows[col], marker=marker, ls="none", ms=7, color=colour,
                    label=f"round: {outcome}",
                )  # fmt: skip
    ax.set_ylim(-1.05, 1.05)
    ax.set_title(title)
    ax.set_ylabel("index, −1…1")
    ax.legend(loc="lower left", fontsize=8)
    _quarter_axis(ax, s)


def _panel_strategies(ax: Axes, system: pd.DataFrame) -> None:
    title = "Investors by strategy"
    cols = [f"share_{name}" for name in _STRATEGIES]
    if not _has_values(system, cols):
        _unavailable(ax, title, "strategy shares: not available (no investor population)")
        return
    s = system.sort_values("quarter")
    ax.stackplot(
        s["quarter"],
        *(s[c].to_numpy(dtype=float) * 100.0 for c in cols),
        labels=list(_STRATEGIES),
        colors=[style.OKABE_ITO[k] for k in (0, 1, 5)],
        alpha=0.85,
    )
    ax.set_ylim(0.0, 100.0)
    ax.set_title(title)
    ax.set_ylabel("% of investors")
    ax.legend(loc="lower left", ncols=3, fontsize=8)
    _quarter_axis(ax, s)


def markets_figure(system: pd.DataFrame) -> Figure:
    """Investor sentiment with the lab's funding rounds, and investors by strategy.

    Runs without an investor population say so in the panels instead.
    """
    check_frame(system, "system", numeric=("quarter",))
    with styled():
        fig, (ax1, ax2) = panel_grid(style.WIDE_SIZE, 2)
        _panel_sentiment(ax1, system)
        _panel_strategies(ax2, system)
    return fig
