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
    panel_grid,
)
from runs.style import styled

#: Colour of the highlighted loop's halo.
LOOP_COLOUR = style.OKABE_ITO[3]


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


def _width(value: float, vmax: float) -> float:
    """Arrow width (points) of a summed deal value (USD bn): grows with its square root."""
    return 0.6 + 6.0 * float(np.sqrt(max(value, 0.0) / vmax)) if vmax > 0 else 1.0


def _scale_values(vmax: float) -> list[float]:
    """Two or three round deal values (USD bn) for the width scale, the largest ≤ vmax."""
    if vmax <= 0:
        return []
    top = 10.0 ** np.floor(np.log10(vmax))
    top = max(m * top for m in (1.0, 2.0, 5.0) if m * top <= vmax)
    return [v for v in (top / 100.0, top / 10.0, top) if v >= 0.1]


def _loop_edges(loop: Sequence[str] | None) -> list[tuple[str, str]]:
    """The payer → payee pairs of a loop (origin, via, payer) as drawn on the network."""
    if loop is None:
        return []
    origin, via, payer = loop
    path = [origin, via] if via == payer else [origin, via, payer]
    return list(zip(path, [*path[1:], origin], strict=True))


def _panel_network(
    ax: Axes,
    deals: pd.DataFrame,
    firms: pd.DataFrame,
    upto: int,
    vmax: float,
    title: str,
    loop: Sequence[str] | None = None,
) -> None:
    signed = deals[deals["quarter"] <= upto]
    flows = signed.groupby(["payer", "payee", "kind"], as_index=False)["value"].sum()
    pos = _node_positions(
        firms, with_outside=bool((flows[["payer", "payee"]] == "outside").any(axis=None))
    )
    roles = firms.drop_duplicates("firm").set_index("firm")["role"].astype(str).to_dict()
    roles["outside"] = "outside"
    for a, b in _loop_edges(loop):  # the loop: a broad halo under the deal arrows
        if a in pos and b in pos:
            ax.add_artist(
                FancyArrowPatch(
                    pos[a],
                    pos[b],
                    connectionstyle="arc3,rad=0.12",
                    arrowstyle="-",
                    lw=16,
                    alpha=0.22,
                    color=LOOP_COLOUR,
                    shrinkA=10,
                    shrinkB=10,
                    zorder=0,
                )
            )
    pair_count: dict[tuple[str, str], int] = {}
    for row in flows.itertuples(index=False):
        if row.payer not in pos or row.payee not in pos:
            continue
        k = pair_count.get((row.payer, row.payee), 0)
        pair_count[(row.payer, row.payee)] = k + 1
        width = _width(row.value, vmax)
        ax.add_artist(
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
            # arrows pass under the names (the outside world sits in the middle)
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.35, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    total = signed["value"].sum()
    ax.set_title(f"{title}: {len(signed)} deals, USD {total:,.0f} bn")


def _network_legend(
    deals: pd.DataFrame, firms: pd.DataFrame, vmax: float, loop_label: str | None
) -> list[Line2D]:
    kinds = [k for k in style.DEAL_COLOURS if k in set(deals["kind"])]
    handles = [
        Line2D([], [], color=style.DEAL_COLOURS[k], lw=3, label=k.replace("_", " ")) for k in kinds
    ]
    handles += [  # the width scale
        Line2D([], [], color="#555555", lw=_width(v, vmax), label=f"USD {v:,.4g} bn")
        for v in _scale_values(vmax)
    ]
    if loop_label:
        handles.append(Line2D([], [], color=LOOP_COLOUR, lw=12, alpha=0.3, label=loop_label))
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
    deals: pd.DataFrame,
    firms: pd.DataFrame,
    quarters: Sequence[int] | None = None,
    *,
    loop: Sequence[str] | None = None,
    loop_usd: float | None = None,
) -> Figure:
    """The deal network: all deals signed by the end of each of ``quarters``.

    Nodes are firms (shape and colour by role; outside investors and lenders in the
    centre), arrows point the way money flows (payer → payee), their width grows
    with the square root of the summed deal value (the legend gives the scale) and
    their colour gives the kind. ``quarters`` defaults to the first and the last
    quarter of the run (start and end); arrow widths share one scale across panels.
    ``loop`` (origin, via, payer), e.g. ``("NVIDIA", "OpenAI", "Oracle")``, is
    highlighted, with ``loop_usd`` (USD bn that went round it) in the legend.
    """
    _check_deals(deals, allow_empty=True)
    check_frame(firms, "firms", required=("firm", "role", "period"), numeric=("quarter",))
    if quarters is None:
        quarters = (int(firms["quarter"].min()), int(firms["quarter"].max()))
    if not 1 <= len(quarters) <= 3:
        raise ValueError(f"quarters: give one to three quarters, got {list(quarters)}")
    with styled():
        n = len(quarters)
        size = (6.0 * n + 3.0, 6.4)  # 3 inches for the legend on the right
        fig, axes = panel_grid(size, n, left=0.1, right=3.0, bottom=0.1, top=0.5, gap=0.2)
        _draw_networks(axes, deals, firms, quarters, loop=loop, loop_usd=loop_usd)
    return fig


def _draw_networks(
    axes: Sequence[Axes],
    deals: pd.DataFrame,
    firms: pd.DataFrame,
    quarters: Sequence[int] | None = None,
    *,
    loop: Sequence[str] | None = None,
    loop_usd: float | None = None,
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
        _panel_network(ax, deals, firms, q, vmax, f"Deals signed by the end of {when}", loop)
    label = None
    if loop is not None:
        path = [loop[0], loop[1]] if loop[1] == loop[2] else list(loop)
        label = "loop " + " → ".join([*path, loop[0]])
        if loop_usd is not None:
            label += f":\nUSD {loop_usd:,.1f} bn went round"
    axes[-1].legend(
        handles=_network_legend(deals, firms, vmax, label),
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        title="arrows: money, payer → payee",
    )
