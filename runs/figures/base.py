"""Shared pieces of the run figures: column labels, input validation, axes helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import RcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from runs import style

COLUMN_LABELS: dict[str, tuple[str, str, float]] = {
    "engine_user_growth": ("Engine: weekly-user growth", "% per quarter", 100.0),
    "engine_mau_growth": ("Engine: monthly-active-user growth", "% per quarter", 100.0),
    "engine_paid_growth": ("Engine: paying-user growth", "% per quarter", 100.0),
    "gears_capex_to_revenue": (
        "Gears: clouds' AI capex / AI revenue (last 4 quarters)",
        "ratio",
        1.0,
    ),
    "fuel_compute_efficiency": (
        "Fuel: useful compute per USD bn invested",
        "MW-equivalent per USD bn",
        1000.0,
    ),
    "lab_free_cash_flow": ("Labs' free cash flow", "USD bn per quarter", 1.0),
    "adoption_share": ("Adoption: weekly users / world population", "%", 100.0),
    "mau_m": ("Monthly active users", "millions", 1.0),
    "lab_valuation": ("AI-lab valuation", "USD bn", 1.0),
    "total_deployed_gw": ("Deployed AI capacity", "GW", 1.0),
    "round_trip_revenue": ("Round-trip revenue, all firms", "USD bn per quarter", 1.0),
    "users_m": ("Weekly users", "millions", 1.0),
    "sentiment": ("Investor sentiment", "index, −1…1", 1.0),
    "mean_sentiment": ("Mean investor sentiment", "index, −1…1", 1.0),
    "n_defaults": ("Firms in default", "count", 1.0),
    # run metrics of a sweep's runs table
    "lab_valuation_final": ("AI-lab valuation at the end", "USD bn", 1.0),
    "total_deployed_gw_final": ("Deployed AI capacity at the end", "GW", 1.0),
    "round_trip_revenue_total": ("Round-trip revenue, whole run", "USD bn", 1.0),
    "gears_capex_to_revenue_final": (
        "Gears at the end: clouds' AI capex / AI revenue",
        "ratio",
        1.0,
    ),
    "fuel_compute_efficiency_final": (
        "Fuel at the end: useful compute per USD bn",
        "MW-equivalent per USD bn",
        1000.0,
    ),
    "total_loss": ("Value lost from peaks", "USD bn", 1.0),
    "cascade_size": ("Default cascade size", "firms", 1.0),
}


GAUGES = ("engine_user_growth", "gears_capex_to_revenue", "fuel_compute_efficiency")
MINSKY_NAMES = ("hedge", "speculative", "ponzi")


# -- validation -------------------------------------------------------------------------
def check_frame(
    df: object, name: str, required: Iterable[str] = (), numeric: Iterable[str] = ()
) -> pd.DataFrame:
    """Raise ValueError unless ``df`` is a non-empty DataFrame with usable columns."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    duplicated = sorted(set(df.columns[df.columns.duplicated()].astype(str)))
    if duplicated:
        raise ValueError(f"{name}: duplicate column(s) {', '.join(duplicated)}")
    missing = [c for c in (*required, *numeric) if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:12])) or "none"
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)} (has: {have})")
    if df.empty:
        raise ValueError(f"{name}: the table has no rows")
    for col in numeric:
        values = df[col]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            raise ValueError(f"{name}.{col}: must be numeric, got dtype {values.dtype}")
        arr = values.to_numpy(dtype=float)
        if np.isinf(arr).any():
            raise ValueError(f"{name}.{col}: contains infinite values")
        if np.isnan(arr).all():
            raise ValueError(f"{name}.{col}: all values are missing (NaN)")
    return df


def column_label(col: str) -> tuple[str, str, float]:
    """(what it is, unit, factor) of a column; unknown columns get their own name."""
    return COLUMN_LABELS.get(col, (col.replace("_", " "), "", 1.0))


def new_figure(size: tuple[float, float] = style.PANEL_SIZE) -> Figure:
    """An empty figure of ``size`` inches with constrained layout."""
    return Figure(figsize=size, layout="constrained")


@dataclass(frozen=True)
class Grid:
    """The arguments of one :func:`panel_grid` call (inches; see there), and its defaults."""

    size: tuple[float, float] = style.PANEL_SIZE
    ncols: int = 1
    left: float = 0.85
    right: float = 0.3
    bottom: float = 0.6
    top: float = 0.45
    gap: float = 0.95


#: Grids built ahead by :func:`prepare_grids`: for each, the empty figure, its axes
#: and the matplotlib settings they were built with.
_spare_grids: dict[Grid, list[tuple[Figure, list[Axes], RcParams]]] = {}


def prepare_grids(grids: Iterable[Grid]) -> None:
    """Build the empty figures of ``grids`` now (styled), for :func:`panel_grid` to hand out.

    Building a grid (figure, axes, ticks) is about a tenth of drawing a report's
    figure and needs no data: a process that waits for its data (the drawing process
    of ``aipm run``) builds them meanwhile. A spare grid is handed out only to a call
    with the same arguments under the same matplotlib settings, so a figure is the
    same either way; grids not asked for are kept.
    """
    with style.styled():
        for grid in grids:
            fig, axes = _new_grid(grid)
            _spare_grids.setdefault(grid, []).append((fig, axes, mpl.rcParams.copy()))


def panel_grid(
    size: tuple[float, float] = Grid.size,
    ncols: int = Grid.ncols,
    *,
    left: float = Grid.left,
    right: float = Grid.right,
    bottom: float = Grid.bottom,
    top: float = Grid.top,
    gap: float = Grid.gap,
) -> tuple[Figure, list[Axes]]:
    """A figure of ``ncols`` panels side by side with fixed margins (inches).

    Fixed margins instead of a layout engine: a constrained layout measures every
    text once more before drawing, a third of a report's drawing time. ``left`` and
    ``gap`` leave room for y-axis labels, ``bottom`` for the x-axis, ``top`` for the
    panel titles (and a figure title above them if it is larger), ``right`` for a
    legend placed outside. A grid built ahead (:func:`prepare_grids`) is used if one
    fits.
    """
    grid = Grid(tuple(size), ncols, left, right, bottom, top, gap)  # type: ignore[arg-type]
    spares = _spare_grids.get(grid, [])
    for i, (fig, axes, settings) in enumerate(spares):
        if dict.__eq__(settings, mpl.rcParams):  # as stored (reading may import pyplot)
            del spares[i]
            return fig, axes
    return _new_grid(grid)


def _new_grid(grid: Grid) -> tuple[Figure, list[Axes]]:
    """A new figure and its axes, as :func:`panel_grid` describes."""
    size, ncols, left, right, gap = grid.size, grid.ncols, grid.left, grid.right, grid.gap
    bottom, top = grid.bottom, grid.top
    fig = Figure(figsize=size)
    w, h = size
    fig.subplots_adjust(
        left=left / w,
        right=1.0 - right / w,
        bottom=bottom / h,
        top=1.0 - top / h,
        wspace=gap / ((w - left - right - gap * (ncols - 1)) / ncols),
    )
    return fig, list(np.atleast_1d(fig.subplots(1, ncols)))


def _unavailable(ax: Axes, title: str, message: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", color=style.GREY, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _note(ax: Axes, message: str, *, bottom: bool = False) -> None:
    ax.text(
        0.99,
        0.03 if bottom else 0.97,
        message,
        ha="right",
        va="bottom" if bottom else "top",
        fontsize=8,
        color=style.GREY,
        transform=ax.transAxes,
        zorder=5,  # over bars and lines where a short run's data fills the panel
        bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
    )


#: Room one year label takes on the x-axis (inches): labels never run together, and
#: fewer ticks draw faster.
YEAR_LABEL_WIDTH = 0.8


def _axes_width(ax: Axes) -> float:
    """Width of ``ax`` in inches, from its place in the grid (before any layout)."""
    spec = ax.get_subplotspec()
    if spec is None:
        return float(ax.figure.get_figwidth())
    share = len(spec.colspan) / spec.get_gridspec().ncols
    return float(ax.figure.get_figwidth()) * share - 0.9  # less the y-axis labels


def _quarter_axis(ax: Axes, frame: pd.DataFrame) -> None:
    """Label quarters by year (``2027``) when the table carries calendar periods.

    One label per year at its first quarter, or every second (third, ...) year when
    the axes is too narrow for all of them.
    """
    ax.set_xlabel("quarter")
    if "period" not in frame.columns:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return
    periods = frame[["quarter", "period"]].drop_duplicates("quarter").sort_values("quarter")
    q1 = periods[periods["period"].astype(str).str.endswith("Q1")]
    room = max(2, int(_axes_width(ax) / YEAR_LABEL_WIDTH))
    step = max(1, int(np.ceil(len(q1) / room)))
    labelled = q1.iloc[::step]
    if len(labelled) >= 2:
        ax.set_xticks(labelled["quarter"].to_numpy(), [str(p)[:4] for p in labelled["period"]])
        ax.set_xlabel("year (tick at Q1)")
    else:  # a short run: its quarters by name, as many as fit
        shown = periods.iloc[:: max(1, int(np.ceil(len(periods) / (room / 1.5))))]
        ax.set_xticks(shown["quarter"].to_numpy(), [str(p) for p in shown["period"]])
        ax.set_xlabel("quarter")


def _integer_axis(ax: Axes) -> None:
    """Whole-number ticks on the y-axis (counts of firms)."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _periods(frame: pd.DataFrame) -> dict[int, str]:
    """Quarter → calendar label (empty when the table has no ``period`` column)."""
    if "period" not in frame.columns:
        return {}
    p = frame.drop_duplicates("quarter")
    return dict(zip(p["quarter"].astype(int), p["period"].astype(str), strict=True))


def _firm_order(firms: pd.DataFrame) -> list[str]:
    """Firm names in table order, chips first, then clouds, then labs (others last)."""
    names = list(dict.fromkeys(firms["firm"].astype(str).tolist()))
    if "role" not in firms.columns:
        return names
    firm, role = firms["firm"].astype(str).tolist(), firms["role"].astype(str).tolist()
    roles = dict(zip(firm, role, strict=True))
    rank = {"chip": 0, "cloud": 1, "lab": 2}
    return sorted(names, key=lambda n: rank.get(roles[n], 3))


def _by_firm(firms: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each firm's rows in quarter order (one sort and one grouping for all firms)."""
    ordered = firms.sort_values("quarter", kind="stable")
    return {str(k): rows for k, rows in ordered.groupby("firm", sort=False)}


def _per_firm(ax: Axes, firms: pd.DataFrame, col: str, factor: float = 1.0) -> list[str]:
    colours = style.firm_colours(_firm_order(firms))
    groups = _by_firm(firms)
    drawn = []
    for name, colour in colours.items():
        rows = groups[name]
        if rows[col].abs().sum() == 0:
            continue
        ax.plot(rows["quarter"], rows[col] * factor, color=colour, label=name)
        drawn.append(name)
    return drawn


def _has_values(frame: pd.DataFrame, cols: Sequence[str]) -> bool:
    """True if every column is there and has at least one finite value."""
    return all(
        c in frame.columns and np.isfinite(pd.to_numeric(frame[c], errors="coerce")).any()
        for c in cols
    )


def _check_deals(deals: object, *, allow_empty: bool = False) -> pd.DataFrame:
    """Validate the deals table; with ``allow_empty``, a table of no deals passes."""
    if allow_empty and isinstance(deals, pd.DataFrame) and deals.empty:
        missing = [c for c in ("quarter", "kind", "payer", "payee", "value") if c not in deals]
        if missing:
            raise ValueError(f"deals: missing column(s) {', '.join(missing)}")
        return deals
    df = check_frame(
        deals, "deals", required=("kind", "payer", "payee"), numeric=("quarter", "value")
    )
    if (df["value"] < 0).any():
        raise ValueError("deals.value: deal values must be non-negative (USD bn)")
    return df
