"""Round trips: USD round each loop of the deal network, and round-trip revenue shares.

The share of a firm's revenue is the part that was its own money coming home.

A loop ``(origin, via, payer)`` is the row key of ``loops.parquet`` (see
:mod:`world.settlement`): ``origin`` financed ``via``, the money reached ``payer``,
and ``payer`` paid it back to ``origin`` as revenue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runs import style
from runs.figures.base import (
    _note,
    _per_firm,
    _quarter_axis,
    _unavailable,
    check_frame,
    panel_grid,
)
from runs.style import styled

#: The article's loop: NVIDIA invests in OpenAI, OpenAI rents from Oracle, Oracle buys
#: NVIDIA's GPUs — as (origin, via, payer).
ARTICLE_LOOP = ("NVIDIA", "OpenAI", "Oracle")
#: Loops drawn one by one in the USD panel (the rest are summed as "other loops").
TOP_LOOPS = 4

Loop = tuple[str, str, str]


def loop_name(loop: Loop) -> str:
    """``"NVIDIA → OpenAI → Oracle → NVIDIA"`` (two-firm loops: ``"A → B → A"``)."""
    origin, via, payer = loop
    path = [origin, via] if via == payer else [origin, via, payer]
    return " → ".join([*path, origin])


def check_loops(loops: object) -> pd.DataFrame:
    """Validate a loops table (``world.metrics.LOOP_COLUMNS``; it may have no rows)."""
    if not isinstance(loops, pd.DataFrame):
        raise ValueError(f"loops: expected a pandas DataFrame, got {type(loops).__name__}")
    missing = [c for c in ("quarter", "origin", "via", "payer", "usd") if c not in loops.columns]
    if missing:
        raise ValueError(f"loops: missing column(s) {', '.join(missing)}")
    if len(loops) and not np.isfinite(loops["usd"].to_numpy(dtype=float)).all():
        raise ValueError("loops.usd: must be finite (USD bn)")
    return loops


def loop_totals(loops: pd.DataFrame) -> pd.Series:
    """USD bn per loop over the whole run, largest first (index: origin, via, payer)."""
    check_loops(loops)
    totals = loops.groupby(["origin", "via", "payer"])["usd"].sum()
    return totals.sort_values(ascending=False, kind="stable")


def article_loop(loops: pd.DataFrame, firms: pd.DataFrame) -> Loop | None:
    """The loop to highlight: the article's when its firms are in the run, else the largest."""
    names = set(firms["firm"].astype(str))
    if set(ARTICLE_LOOP) <= names:
        return ARTICLE_LOOP
    totals = loop_totals(loops)
    return tuple(totals.index[0]) if len(totals) else None  # type: ignore[return-value]


def _panel_loops_usd(ax: Axes, loops: pd.DataFrame, firms: pd.DataFrame) -> None:
    title = "USD that went round each loop"
    quarters = np.sort(firms["quarter"].unique())
    totals = loop_totals(loops)
    if not len(totals):
        _unavailable(ax, title, "no money went round a loop in this run")
        return
    shown = list(totals.index[:TOP_LOOPS])
    if ARTICLE_LOOP in totals.index and ARTICLE_LOOP not in shown:
        shown[-1] = ARTICLE_LOOP
    # quarters × loops, the loops not shown summed as "other loops"
    table = loops.pivot_table(
        index="quarter", columns=["origin", "via", "payer"], values="usd", aggfunc="sum"
    ).reindex(quarters, fill_value=0.0)
    table = table.fillna(0.0)
    series = [
        (loop_name(k), table[k].to_numpy(), style.OKABE_ITO[i % 6]) for i, k in enumerate(shown)
    ]
    rest = table.drop(columns=shown).sum(axis=1).to_numpy()
    if rest.any():
        series.append(("other loops", rest, style.GREY))
    edges = np.append(quarters - 0.5, quarters[-1] + 0.5)
    bottom = np.zeros(len(quarters))
    for label, values, colour in series:  # stacked steps: one value per quarter
        ax.stairs(
            bottom + values,
            edges,
            baseline=bottom.copy(),
            fill=True,
            color=colour,
            label=f"{label}: {values.sum():,.1f}",
        )
        bottom = bottom + values
    ax.set_title(title)
    ax.set_ylabel("USD bn per quarter")
    ax.legend(loc="upper left", fontsize=7.5, title="loop: USD bn over the run", title_fontsize=8)
    ax.set_ylim(0, bottom.max() * 1.6 + 1e-9)  # room for the legend
    _quarter_axis(ax, firms)


def _panel_round_trip(ax: Axes, firms: pd.DataFrame) -> None:
    ax.set_title("Round-trip revenue share by firm")
    drawn = _per_firm(ax, firms, "round_trip_share", 100.0)
    ax.set_ylabel("% of the firm's revenue")
    if drawn:
        ax.legend(loc="upper right")
    else:
        _note(ax, "no round-trip revenue in this run")
    _quarter_axis(ax, firms)


def round_trip_figure(firms: pd.DataFrame, loops: pd.DataFrame | None = None) -> Figure:
    """Round trips in USD and as a share of revenue.

    With ``loops`` (the run's ``loops.parquet``): the USD per quarter that went round
    each loop (left) and each firm's round-trip share of revenue (right); without,
    the share alone.
    """
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "round_trip_share"))
    if loops is None:
        with styled():
            fig, (ax,) = panel_grid()
            _panel_round_trip(ax, firms)
        return fig
    check_loops(loops)
    with styled():
        fig, (ax1, ax2) = panel_grid(style.WIDE_SIZE, 2)
        _panel_loops_usd(ax1, loops, firms)
        _panel_round_trip(ax2, firms)
    return fig
