"""The report's fixed look: colour-blind-safe palette (Okabe–Ito), sizes, fonts.

Every figure of :mod:`runs.figures` is drawn inside :func:`styled`, so the look
does not depend on (and does not change) the caller's matplotlib settings.
Colours never carry meaning alone: roles also differ by marker shape, deal kinds
by line style in legends, bands by transparency.

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl

__all__ = [
    "DASHBOARD_WIDTH",
    "DEAL_COLOURS",
    "DPI",
    "MINSKY_COLOURS",
    "OKABE_ITO",
    "PANEL_SIZE",
    "REGIME_COLOURS",
    "ROLE_COLOURS",
    "ROLE_MARKERS",
    "WIDE_SIZE",
    "firm_colours",
    "styled",
]

#: Okabe–Ito palette, ordered for lines on white (yellow last: weak contrast).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
GREY = "#7F7F7F"

#: Resolution of every PNG (dots per inch); sizes below are in inches.
DPI = 100
#: Size of one stand-alone figure (inches): 900 × 500 px at :data:`DPI`.
PANEL_SIZE = (9.0, 5.0)
#: Size of a figure of two panels side by side (inches): 1500 × 450 px at :data:`DPI`.
WIDE_SIZE = (15.0, 4.5)
#: Width of the one-page dashboard (px): two wide figures side by side, or one.
DASHBOARD_WIDTH = 1600

#: Role → colour and marker (the article's words: chips are fuel, clouds gears, labs engine).
ROLE_COLOURS = {"chip": OKABE_ITO[1], "cloud": OKABE_ITO[0], "lab": OKABE_ITO[2], "outside": GREY}
ROLE_MARKERS = {"chip": "s", "cloud": "o", "lab": "D", "outside": "h"}
ROLE_LABELS = {
    "chip": "chip supplier (fuel)",
    "cloud": "cloud provider (gears)",
    "lab": "AI lab (engine)",
    "outside": "outside investors / lenders",
}

#: Deal kind → colour (the eight kinds of :class:`world.params.DealKind`).
DEAL_COLOURS = {
    "gpu_order": OKABE_ITO[1],
    "cloud_contract": OKABE_ITO[0],
    "equity_investment": OKABE_ITO[2],
    "funding_round": OKABE_ITO[5],
    "vendor_loan": OKABE_ITO[3],
    "backstop": OKABE_ITO[4],
    "debt": OKABE_ITO[6],
    "warrant": "#B8A100",  # darker yellow: readable on white
}

#: Minsky posture → colour (hedge calm, Ponzi alarming).
MINSKY_COLOURS = {"hedge": OKABE_ITO[2], "speculative": OKABE_ITO[1], "ponzi": OKABE_ITO[3]}

#: Regime label → colour.
REGIME_COLOURS = {
    "boom": OKABE_ITO[2],
    "soft_landing": OKABE_ITO[5],
    "crash_recovered": OKABE_ITO[4],
    "bust": OKABE_ITO[1],
    "cascade": OKABE_ITO[3],
}


def firm_colours(names: list[str]) -> dict[str, str]:
    """A stable colour per firm name, in the order given (cycles after eight firms)."""
    return {name: OKABE_ITO[i % len(OKABE_ITO)] for i, name in enumerate(names)}


#: seaborn's ``axes_style("whitegrid")`` and ``plotting_context("notebook", 0.9)``,
#: written out: importing seaborn (and scipy with it) costs most of a second.
_SEABORN_WHITEGRID: dict[str, object] = {
    "figure.facecolor": "white",
    "axes.labelcolor": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "axes.axisbelow": True,
    "grid.linestyle": "-",
    "text.color": ".15",
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "xtick.top": False,
    "ytick.right": False,
    "axes.grid": True,
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "grid.color": ".8",
    "axes.spines.left": True,
    "axes.spines.bottom": True,
    "xtick.bottom": False,
    "ytick.left": False,
    "axes.linewidth": 1.25,
    "grid.linewidth": 1,
    "lines.markersize": 6,
    "patch.linewidth": 1,
    "xtick.major.width": 1.25,
    "ytick.major.width": 1.25,
    "xtick.minor.width": 1,
    "ytick.minor.width": 1,
    "xtick.major.size": 6,
    "ytick.major.size": 6,
    "xtick.minor.size": 4,
    "ytick.minor.size": 4,
    "font.size": 10.8,
    "legend.title_fontsize": 10.8,
}


def _rc() -> dict[str, object]:
    rc: dict[str, object] = dict(_SEABORN_WHITEGRID)
    rc.update(
        {
            "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 9.5,
            "axes.edgecolor": "#444444",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "grid.color": "#E5E5E5",
            "legend.fontsize": 8,
            "legend.frameon": False,
            "xtick.labelsize": 8.5,
            "ytick.labelsize": 8.5,
            "lines.linewidth": 1.8,
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "figure.facecolor": "white",
            "font.family": "DejaVu Sans",
        }
    )
    return rc


@contextmanager
def styled() -> Iterator[None]:
    """Apply the report style for the duration of the ``with`` block only."""
    with mpl.rc_context(_rc()):
        yield
