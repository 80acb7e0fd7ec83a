"""The article's gauges: engine, gears, fuel; the lab's funding gap; adoption speed.

Definitions of the columns drawn here: :mod:`world.metrics` and
``docs/explanation/gauges.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runs import style
from runs.figures.base import (
    GAUGES,
    _by_firm,
    _firm_order,
    _has_values,
    _note,
    _quarter_axis,
    _unavailable,
    check_frame,
    column_label,
    panel_grid,
)
from runs.style import styled
from world.gauges import ADOPTION_REFERENCES, ADOPTION_THRESHOLD, by_year, years_to_adoption
from world.params.base import quarter_index

#: The clouds whose capex / revenue the article watches (drawn when the run has them).
WATCHED_CLOUDS = ("Oracle", "Microsoft")


def _line(ax: Axes, s: pd.DataFrame, col: str, colour: str, label: str | None = None) -> None:
    _, _, factor = column_label(col)
    ax.plot(
        s["quarter"],
        s[col] * factor,
        color=colour,
        label=label,
        marker="o" if len(s) < 12 else None,
        ms=4,
    )


def _panel_gauge(ax: Axes, system: pd.DataFrame, col: str) -> None:
    """One gauge column as a line (the fuel gauge; the others without their extras)."""
    title, unit, _ = column_label(col)
    s = system.sort_values("quarter")
    _line(ax, s, col, style.OKABE_ITO[GAUGES.index(col)])
    ax.set_title(title)
    ax.set_ylabel(unit)
    if col == "gears_capex_to_revenue":
        _capex_equals_revenue(ax)
        ax.legend(loc="upper right")
    if col == "engine_user_growth" and "users_m" in s.columns:
        _note(ax, f"weekly users at end: {s['users_m'].iloc[-1]:,.0f} M")
    _quarter_axis(ax, s)


def _capex_equals_revenue(ax: Axes) -> None:
    """The break-even mark, named in the legend (a label on the plot meets some run's line)."""
    ax.axhline(1.0, color=style.GREY, lw=1, ls="--", label="capex = revenue")


def _panel_engine(ax: Axes, system: pd.DataFrame, paid_by_year: Mapping[int, float]) -> None:
    """MAU growth and paying-user growth, % per quarter; the yearly paid growth as a note."""
    s = system.sort_values("quarter")
    users = "engine_mau_growth" if "engine_mau_growth" in s.columns else "engine_user_growth"
    _line(ax, s, users, style.OKABE_ITO[0], "monthly active users")
    if _has_values(s, ["engine_paid_growth"]):
        _line(ax, s, "engine_paid_growth", style.OKABE_ITO[3], "paying users")
        first = s.iloc[0]
        ax.annotate(
            f"{first['period']}: +{first['engine_paid_growth']:.0%}",
            (first["quarter"], first["engine_paid_growth"] * 100),
            xytext=(14, -4),  # right of the steep fall, clear of both lines
            textcoords="offset points",
            va="top",
            fontsize=8,
            color=style.OKABE_ITO[3],
        )
    ax.axhline(0.0, color=style.GREY, lw=0.8)
    ax.set_title("Engine: user growth")
    ax.set_ylabel("% per quarter")
    ax.legend(loc="center right")
    if paid_by_year:
        years = sorted(paid_by_year)[:3]
        text = "\n".join(f"{y}: {paid_by_year[y]:+.1%}" for y in years)
        ax.text(
            0.98,
            0.97,
            f"paying users,\nyear on year\n{text}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color=style.GREY,
        )
    _quarter_axis(ax, s)


def _panel_gears(ax: Axes, system: pd.DataFrame, firms: pd.DataFrame | None) -> None:
    """All clouds' AI capex / AI revenue, and the watched clouds' capex / revenue."""
    s = system.sort_values("quarter")
    _line(ax, s, "gears_capex_to_revenue", style.OKABE_ITO[1], "all clouds: AI capex / AI revenue")
    if firms is not None and "capex_to_revenue" in firms.columns:
        colours = style.firm_colours(_firm_order(firms))
        groups = _by_firm(firms)
        for name in WATCHED_CLOUDS:
            rows = groups.get(name)
            if rows is not None:
                ax.plot(
                    rows["quarter"],
                    rows["capex_to_revenue"],
                    color=colours[name],
                    ls="--",
                    label=f"{name}: capex / revenue",
                )
    _capex_equals_revenue(ax)
    ax.set_title("Gears: capex / revenue, last 4 quarters")
    ax.set_ylabel("ratio")
    ax.legend(loc="upper right")
    _quarter_axis(ax, s)


def gauges_figure(
    system: pd.DataFrame,
    gauges: Sequence[str] = GAUGES,
    *,
    firms: pd.DataFrame | None = None,
    paid_by_year: Mapping[int, float] | None = None,
) -> Figure:
    """The article's gauges over time, one panel each (default: engine, gears and fuel).

    ``gauges`` selects some of ``engine_user_growth``, ``gears_capex_to_revenue`` and
    ``fuel_compute_efficiency``. The engine panel draws monthly-active-user growth and,
    when recorded, paying-user growth (``paid_by_year``, year → growth, is noted, e.g.
    from :func:`world.gauges.paid_growth_by_year`); with ``firms`` the gears panel adds
    the capex / revenue of the clouds the article watches (:data:`WATCHED_CLOUDS`).
    """
    unknown = [g for g in gauges if g not in GAUGES]
    if unknown or not gauges:
        raise ValueError(f"gauges: choose from {', '.join(GAUGES)}, got {list(gauges)}")
    check_frame(system, "system", numeric=("quarter", *gauges))
    if firms is not None:
        check_frame(firms, "firms", required=("firm",), numeric=("quarter",))
    n = len(gauges)
    with styled():
        fig, axes = panel_grid((5.0 * n, 4.2) if n > 1 else style.PANEL_SIZE, n, top=0.8)
        for ax, col in zip(axes, gauges, strict=True):
            if col == "engine_user_growth":
                _panel_engine(ax, system, paid_by_year or {})
            elif col == "gears_capex_to_revenue":
                _panel_gears(ax, system, firms)
            else:
                _panel_gauge(ax, system, col)
        if n > 1:
            fig.suptitle("The article's three gauges, per quarter", fontweight="bold")
    return fig


# -- the lab's funding gap and adoption speed ------------------------------------------
def _panel_funding(ax: Axes, system: pd.DataFrame) -> None:
    title = "The labs' free cash flow by year (below 0: the funding gap)"
    if not _has_values(system, ["lab_free_cash_flow"]):
        _unavailable(ax, title, "free cash flow: not available in this run")
        return
    s = system.sort_values("quarter")
    years = by_year(s["period"].astype(str).tolist(), s["lab_free_cash_flow"])
    x = np.array(sorted(years))
    total = np.array([years[y][0] for y in x])
    partial = np.array([years[y][1] < 4 for y in x])
    colours = [style.OKABE_ITO[2] if v >= 0 else style.OKABE_ITO[3] for v in total]
    bars = ax.bar(x, total, color=colours, width=0.7)
    for bar, part in zip(bars, partial, strict=True):
        if part:
            bar.set_alpha(0.45)
    ax.axhline(0.0, color=style.GREY, lw=0.8)
    ax.set_title(title)
    ax.set_ylabel("USD bn per year")
    ax.set_xticks(x[:: max(1, int(np.ceil(len(x) / 10)))])
    positive = x[(total > 0) & ~partial]
    note = (
        f"first positive year: {positive[0]}" if positive.size else "negative every year of the run"
    )
    if partial.any():
        note += " · pale: part of a year"
    _note(ax, note, bottom=True)


def _panel_adoption(ax: Axes, system: pd.DataFrame, launch: str | None) -> None:
    title = "Adoption: years to 10% of the world"
    if launch is None or not _has_values(system, ["adoption_share"]):
        _unavailable(ax, title, "adoption: not available in this run")
        return
    s = system.sort_values("quarter")
    periods = s["period"].astype(str).tolist()
    years = (np.array([quarter_index(p) for p in periods]) - quarter_index(launch)) / 4.0
    ax.plot(years, s["adoption_share"] * 100, color=style.OKABE_ITO[0], label="AI (this run)")
    ax.axhline(ADOPTION_THRESHOLD * 100, color=style.GREY, lw=1, ls="--")
    hit = years_to_adoption(periods, s["adoption_share"], launch=launch)
    marks = {"AI": hit, **ADOPTION_REFERENCES} if hit is not None else dict(ADOPTION_REFERENCES)
    for k, (name, when) in enumerate(marks.items()):
        colour = style.OKABE_ITO[0] if name == "AI" else style.OKABE_ITO[6 - k]
        ax.plot(
            [when],
            [ADOPTION_THRESHOLD * 100],
            marker="D" if name == "AI" else "o",
            ms=8,
            color=colour,
            ls="none",
        )
        ax.annotate(
            f"{name}: {when:g} years",
            (when, ADOPTION_THRESHOLD * 100),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontsize=8.5,
        )
    ax.set_xlim(0, max(max(ADOPTION_REFERENCES.values()), float(years.max())) + 1.5)
    ax.set_ylim(0, max(float(s["adoption_share"].max()) * 100, ADOPTION_THRESHOLD * 100) * 1.3)
    ax.set_title(title)
    ax.set_xlabel(f"years since launch ({launch})")
    ax.set_ylabel("% of the world population")
    ax.legend(loc="lower right")


def funding_adoption_figure(system: pd.DataFrame, *, launch: str | None = None) -> Figure:
    """The labs' free cash flow by year, and adoption against PC and mobile phones.

    ``launch`` is the quarter the product launched (``demand.launch``, e.g. ``"2022Q4"``);
    without it the adoption panel says it is not available.
    """
    check_frame(system, "system", required=("period",), numeric=("quarter",))
    with styled():
        fig, (ax1, ax2) = panel_grid(style.WIDE_SIZE, 2)
        _panel_funding(ax1, system)
        _panel_adoption(ax2, system, launch)
    return fig
