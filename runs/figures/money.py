"""Money and capacity by firm: valuations, cash, leverage, build-out."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from runs import style
from runs.figures.base import (
    _by_firm,
    _check_deals,
    _firm_order,
    _note,
    _per_firm,
    _quarter_axis,
    check_frame,
    panel_grid,
)
from runs.style import styled


def _panel_valuations(ax: Axes, firms: pd.DataFrame) -> None:
    col = "market_cap" if "market_cap" in firms.columns else "valuation"
    colours = style.firm_colours(_firm_order(firms))
    has_fundamental = "fundamental_value" in firms.columns
    ends: list[tuple[float, float, str]] = []
    groups = _by_firm(firms)
    for name, colour in colours.items():
        rows = groups[name]
        gone = rows["defaulted"].astype(bool) if "defaulted" in rows else False
        # log scale: nothing at or below zero; a defaulted firm's line ends with ×
        value = rows[col].where((rows[col] > 0) & ~gone)
        ax.plot(rows["quarter"], value, color=colour, label=name)
        if has_fundamental:
            fundamental = rows["fundamental_value"].where((rows["fundamental_value"] > 0) & ~gone)
            ax.plot(rows["quarter"], fundamental, color=colour, ls="--", lw=1.2)
        if value.notna().any() and value.isna().iloc[-1]:
            last = value.last_valid_index()
            ends.append((rows.loc[last, "quarter"], value[last], colour))
    for k, (x, y, colour) in enumerate(ends):
        label = "default / worth 0" if k == 0 else None
        ax.plot(x, y, marker="X", ms=9, color=colour, ls="none", label=label)
    ax.set_yscale("log")
    # plain numbers (1,000) rather than powers of ten: easier to read, and no mathtext
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("USD bn (log scale)")
    if has_fundamental:
        ax.set_title("Valuations (solid) versus fundamental values (dashed)")
    else:
        ax.set_title("Valuations by firm")
        _note(ax, "fundamental values: not available in this run", bottom=True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _quarter_axis(ax, firms)


def _panel_buildout(ax: Axes, system: pd.DataFrame, deals: pd.DataFrame | None) -> None:
    s = system.sort_values("quarter")
    ax.plot(s["quarter"], s["total_deployed_gw"], color=style.OKABE_ITO[0], label="deployed")
    if deals is not None and {"kind", "gw", "quarter"} <= set(deals.columns):
        orders = deals[deals["kind"] == "gpu_order"].groupby("quarter")["gw"].sum()
        ordered = orders.reindex(s["quarter"], fill_value=0.0).cumsum()
        ax.plot(
            s["quarter"],
            ordered.to_numpy(),
            color=style.OKABE_ITO[1],
            ls="--",
            label="ordered since start (GPU orders, cumulative)",
        )
    if "compute_need_gw" in s.columns:
        ax.plot(
            s["quarter"],
            s["compute_need_gw"],
            color=style.OKABE_ITO[2],
            ls=":",
            label="needed by the lab's users and API (outside buyers not included)",
        )
    ax.set_title("Deployed AI capacity versus plan")
    ax.set_ylabel("GW")
    ax.legend(loc="upper left")
    _quarter_axis(ax, s)


def _panel_cash(ax: Axes, firms: pd.DataFrame) -> None:
    _per_firm(ax, firms, "cash")
    ax.set_title("Cash by firm")
    ax.set_ylabel("USD bn")
    _quarter_axis(ax, firms)


def _panel_leverage(ax: Axes, firms: pd.DataFrame) -> None:
    _per_firm(ax, firms, "leverage", 100.0)
    ax.set_title("Leverage by firm (debt / total assets)")
    ax.set_ylabel("%")
    _quarter_axis(ax, firms)


def valuations_figure(firms: pd.DataFrame) -> Figure:
    """Valuation of each firm (log scale), with fundamental values when recorded."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "valuation"))
    with styled():
        fig, (ax,) = panel_grid(right=1.45)  # the legend sits right of the axes
        _panel_valuations(ax, firms)
    return fig


def buildout_figure(system: pd.DataFrame, deals: pd.DataFrame | None = None) -> Figure:
    """Deployed GW versus GW ordered and GW needed by demand."""
    check_frame(system, "system", numeric=("quarter", "total_deployed_gw"))
    if deals is not None:
        _check_deals(deals, allow_empty=True)
    with styled():
        fig, (ax,) = panel_grid()
        _panel_buildout(ax, system, deals)
    return fig


def balance_figure(firms: pd.DataFrame) -> Figure:
    """Cash (USD bn) and leverage (debt / assets, %) by firm."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "cash", "leverage"))
    with styled():
        # one legend for both panels, right of them: inside, it hid lines of some runs
        fig, (ax1, ax2) = panel_grid(style.WIDE_SIZE, 2, right=1.45)
        _panel_cash(ax1, firms)
        _panel_leverage(ax2, firms)
        ax2.legend(*ax1.get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
