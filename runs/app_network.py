"""The deal network panel: who signed deals with whom, with the circular loop highlighted.

Nodes are the firms, placed by role (chip suppliers — fuel — on top, cloud providers —
gears — in the middle, AI labs — the engine — below, outside investors and lenders
on the left). An arrow goes from payer to payee; its width grows with the square
root of the USD signed so far (the legend gives the scale). The loop the article is
about — NVIDIA invests in OpenAI, OpenAI rents Oracle's cloud, Oracle buys NVIDIA's
chips — is drawn in vermillion with its USD on each arrow; every other deal is grey
(hovering an arrow gives its kinds and USD).
"""

from __future__ import annotations

import math

from runs.app_data import LiveData
from runs.style import GREY, OKABE_ITO, ROLE_COLOURS

__all__ = ["LOOP", "loop_edges", "network_option", "network_series"]

#: The circular-financing loop of the article, in the direction money flows.
LOOP: tuple[str, ...] = ("NVIDIA", "OpenAI", "Oracle")
LOOP_COLOUR = OKABE_ITO[3]
#: Every other deal: grey, so that the loop is the only coloured path (hover tells the kind).
OTHER_COLOUR = "#8C8C8C"
_MAX_WIDTH = 14.0
_ROW = {"chip": 0.0, "cloud": 1.0, "lab": 2.0}
_SYMBOL = {"chip": "rect", "cloud": "circle", "lab": "diamond", "outside": "roundRect"}


def loop_edges(names: list[str]) -> list[tuple[str, str]]:
    """The (payer, payee) pairs of :data:`LOOP` (empty if a loop firm is missing)."""
    if not all(n in names for n in LOOP):
        return []
    return [(LOOP[k], LOOP[(k + 1) % len(LOOP)]) for k in range(len(LOOP))]


def _positions(data: LiveData) -> dict[str, tuple[float, float]]:
    by_row: dict[float, list[str]] = {}
    for name in data.names:
        by_row.setdefault(_ROW.get(data.roles[name], 2.0), []).append(name)
    pos = {}
    for row, names in by_row.items():
        for k, name in enumerate(names):
            pos[name] = (100.0 * (k + 1) / (len(names) + 1) + 10.0, 40.0 * row)
    pos["outside"] = (0.0, 40.0)
    return pos


def network_option(data: LiveData) -> dict:
    """The network chart's fixed part: title, node look, legend text."""
    loop = " → ".join([*LOOP, LOOP[0]]) if loop_edges(data.names) else ""
    return {
        "animation": False,
        "title": {
            "text": "The deal network (USD signed so far)",
            "subtext": (f"vermillion: the loop {loop}; " if loop else "")
            + "grey: other deals (hover for kind and USD); arrow payer → payee, width ∝ √USD",
            "left": 4,
            "top": 0,
            "textStyle": {"fontSize": 14},
            "subtextStyle": {"fontSize": 11},
            "itemGap": 6,
        },
        "tooltip": {"confine": True},
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "top": 70,
                "bottom": 30,
                "left": 50,
                "right": 50,
                "roam": True,
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": [0, 9],
                "label": {"show": True, "position": "bottom", "fontSize": 12},
                "edgeLabel": {"fontSize": 13},
                "emphasis": {"focus": "adjacency"},
                "lineStyle": {"curveness": 0.18, "opacity": 0.75},
            }
        ],
    }


def _width(value: float, largest: float) -> float:
    return round(1.0 + (_MAX_WIDTH - 1.0) * math.sqrt(value / largest), 2) if largest > 0 else 1.0


def network_series(data: LiveData) -> list[dict]:
    """Nodes and arrows of the deals signed so far (merged into the chart)."""
    pos = _positions(data)
    edges = data.network()
    loop = set(loop_edges(data.names))
    largest = max((e.value for e in edges), default=0.0)
    nodes = [
        {
            "name": name,
            "x": x,
            "y": y,
            "symbol": _SYMBOL.get(data.roles.get(name, "outside"), "circle"),
            "symbolSize": 26 if name != "outside" else 18,
            "itemStyle": {
                "color": ROLE_COLOURS.get(data.roles.get(name, "outside"), GREY),
                "borderColor": LOOP_COLOUR if name in LOOP and loop else "#FFFFFF",
                "borderWidth": 3 if name in LOOP and loop else 1,
            },
        }
        for name, (x, y) in pos.items()
        if name != "outside" or any("outside" in (e.payer, e.payee) for e in edges)
    ]
    links = []
    for e in edges:
        on_loop = (e.payer, e.payee) in loop
        links.append(
            {
                "source": e.payer,
                "target": e.payee,
                "value": round(e.value, 1),
                "tooltip": {
                    "formatter": f"{e.payer} → {e.payee}: ${e.value:,.1f} bn ({', '.join(e.kinds)})"
                },
                "lineStyle": {
                    "width": _width(e.value, largest),
                    "color": LOOP_COLOUR if on_loop else OTHER_COLOUR,
                    "opacity": 0.95 if on_loop else 0.45,
                },
                "label": {
                    "show": on_loop,
                    "formatter": f"${e.value:,.0f} bn",
                    "color": "#000000",
                    "fontWeight": "bold",
                    "textBorderColor": "#FFFFFF",
                    "textBorderWidth": 3,
                },
            }
        )
    return [{"data": nodes, "links": links}]
