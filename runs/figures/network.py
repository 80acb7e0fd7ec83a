"""The deal network: firms as nodes, deals as arrows (payer → payee)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from runs import style
from runs.figures.base import (
    _check_deals,
    _firm_order,
    _periods,
    _unavailable,
    check_frame,
    new_figure,
)
from runs.style import styled


def _node_positions(firms: pd.DataFrame, with_outside: bool) -> dict[str, tuple[float, float]]:
    """Chips on top, labs lower right, clouds lower left: the circular flow reads clockwise."""
    centres = {"chip": 90.0, "lab": -30.0, "cloud": 210.0}
    roles = firms.drop_duplicates("firm").set_index("firm")["role"].astype(str)
    pos: dict[str, tuple[float, float]] = {}
    for role, centre in centres.items():
        members = [f for f in _firm_order(firms) if roles[f] == role]
        for k, name in enumerate(members):
            angle = np.radians(centre + 28.0 * (k - (len(members) - 1) / 2))
            pos[name] = (float(np.cos(angle)), float(np.sin(angle)))
    for name in _firm_order(firms):  # unknown roles: spread on the rim
        pos.setdefault(name, (0.0, -1.0))
    if with_outside:
        pos["outside"] = (0.0, 0.0)
    return pos


def _panel_network(
    ax: Axes, deals: pd.DataFrame, firms: pd.DataFrame, upto: int, vmax: float, title: str
) -> None:
    signed = deals[deals["quarter"] <= upto]
    flows = signed.groupby(["payer", "payee", "kind"], as_index=False)["value"].sum()
    pos = _node_positions(
        firms, with_outside=bool((flows[["payer", "payee"]] == "outside").any(axis=None))
    )
    roles = firms.drop_duplicates("firm").set_index("firm")["role"].astype(str).to_dict()
    roles["outside"] = "outside"
    pair_count: dict[tuple[str, str], int] = {}
    for row in flows.itertuples(index=False):
        if row.payer not in pos or row.payee not in pos:
            continue
        k = pair_count.get((row.payer, row.payee), 0)
        pair_count[(row.payer, row.payee)] = k + 1
        width = 0.6 + 6.0 * np.sqrt(max(row.value, 0.0) / vmax) if vmax > 0 else 1.0
        ax.add_patch(
            FancyArrowPatch(
                pos[row.payer],
                pos[row.payee],
                connectionstyle=f"arc3,rad={0.12 + 0.14 * k}",
                arrowstyle="-|>",
                mutation_scale=10 + 2 * width,
                lw=width,
                alpha=0.8,
                color=style.DEAL_COLOURS.get(row.kind, style.GREY),
                shrinkA=16,
                shrinkB=16,
                zorder=1,
            )
        )
    for name, (x, y) in pos.items():
        role = roles.get(name, "outside")
        ax.scatter(
            [x],
            [y],
            s=420,
            marker=style.ROLE_MARKERS.get(role, "o"),
            zorder=3,
            color=style.ROLE_COLOURS.get(role, style.GREY),
            edgecolor="white",
            lw=1.5,
        )
        ax.text(
            x,
            y - 0.17 if y < 0.5 else y + 0.15,
            name,
            ha="center",
            va="center",
            fontsize=9,
            zorder=4,
        )
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.35, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    total = signed["value"].sum()
    ax.set_title(f"{title}: {len(signed)} deals, USD {total:,.0f} bn")


def _network_legend(deals: pd.DataFrame, firms: pd.DataFrame) -> list[Line2D]:
    kinds = [k for k in style.DEAL_COLOURS if k in set(deals["kind"])]
    handles = [
        Line2D([], [], color=style.DEAL_COLOURS[k], lw=3, label=k.replace("_", " ")) for k in kinds
    ]
    roles = [r for r in ("chip", "cloud", "lab") if r in set(firms["role"].astype(str))]
    handles += [
        Line2D(
            [],
            [],
            ls="",
            marker=style.ROLE_MARKERS[r],
            ms=10,
            color=style.ROLE_COLOURS[r],
            label=style.ROLE_LABELS[r],
        )
        for r in roles
    ]
    return handles


def network_figure(
    deals: pd.DataFrame, firms: pd.DataFrame, quarters: Sequence[int] | None = None
) -> Figure:
    """The deal network: all deals signed by the end of each of ``quarters``.

    Nodes are firms (shape and colour by role; outside investors and lenders in the
    centre), arrows point the way money flows (payer → payee), their width grows
    with the square root of the summed deal value and their colour gives the kind.
    ``quarters`` defaults to the first and the last quarter of the run (start and
    end); arrow widths share one scale across panels.
    """
    _check_deals(deals, allow_empty=True)
    check_frame(firms, "firms", required=("firm", "role", "period"), numeric=("quarter",))
    if quarters is None:
        quarters = (int(firms["quarter"].min()), int(firms["quarter"].max()))
    if not 1 <= len(quarters) <= 3:
        raise ValueError(f"quarters: give one to three quarters, got {list(quarters)}")
    with styled():
        fig = new_figure((7.5 * len(quarters), 7.5) if len(quarters) > 1 else (9.0, 7.0))
        axes = np.atleast_1d(fig.subplots(1, len(quarters)))
        _draw_networks(axes, deals, firms, quarters)
    return fig


def _draw_networks(
    axes: Sequence[Axes],
    deals: pd.DataFrame,
    firms: pd.DataFrame,
    quarters: Sequence[int] | None = None,
) -> None:
    if quarters is None:
        quarters = (int(firms["quarter"].min()), int(firms["quarter"].max()))
    periods = _periods(firms)
    if deals.empty:
        for ax, q in zip(axes, quarters, strict=True):
            when = periods.get(q, f"quarter {q}")
            _unavailable(ax, f"Deals signed by the end of {when}", "no deals in this run")
        return
    vmax = float(deals.groupby(["payer", "payee", "kind"])["value"].sum().max())
    for ax, q in zip(axes, quarters, strict=True):
        when = periods.get(q, f"quarter {q}")
        _panel_network(ax, deals, firms, q, vmax, f"Deals signed by the end of {when}")
    axes[-1].legend(
        handles=_network_legend(deals, firms),
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        title="arrows: money, payer → payee",
    )
