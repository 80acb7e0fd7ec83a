"""Figures of one run: pure functions, DataFrames in, ``Figure`` out.

Every public function validates its input and raises :class:`ValueError` naming the
argument and the missing column or bad value; it never touches pyplot's global
state (figures are :class:`matplotlib.figure.Figure` objects, saved by the caller).
Columns that later model modules add (``fundamental_value``, ``minsky``, ...) are
drawn when present; otherwise the panel says "not available in this run".

Run figures take the tables of a run directory (``firms``, ``system``, ``deals``,
see :mod:`world.metrics` and :func:`runs.simulate.deals_frame`); the figures of
sweeps are in :mod:`runs.sweep_figures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from runs import style
from runs.style import styled

__all__ = [
    "COLUMN_LABELS",
    "balance_figure",
    "buildout_figure",
    "dashboard_figure",
    "defaults_figure",
    "gauges_figure",
    "markets_figure",
    "minsky_figure",
    "network_figure",
    "round_trip_figure",
    "valuations_figure",
]

#: column → (what it is, unit, factor applied before plotting).
COLUMN_LABELS: dict[str, tuple[str, str, float]] = {
    "engine_user_growth": ("Engine: lab users growth", "% per quarter", 100.0),
    "gears_capex_to_revenue": ("Gears: cloud capex / cloud revenue", "ratio", 1.0),
    "fuel_compute_efficiency": (
        "Fuel: useful compute per USD bn invested",
        "MW-equivalent per USD bn",
        1000.0,
    ),
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
    "gears_capex_to_revenue_final": ("Gears at the end: cloud capex / revenue", "ratio", 1.0),
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
    return COLUMN_LABELS.get(col, (col.replace("_", " "), "", 1.0))


def new_figure(size: tuple[float, float] = style.PANEL_SIZE) -> Figure:
    return Figure(figsize=size, layout="constrained")


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
    )


def _quarter_axis(ax: Axes, frame: pd.DataFrame) -> None:
    """Label quarters by year (``2027``) when the table carries calendar periods."""
    ax.set_xlabel("quarter")
    if "period" not in frame.columns:
        return
    periods = frame[["quarter", "period"]].drop_duplicates("quarter").sort_values("quarter")
    q1 = periods[periods["period"].astype(str).str.endswith("Q1")]
    step = max(1, int(np.ceil(len(q1) / 10)))
    q1 = q1.iloc[::step]
    if len(q1) >= 2:
        ax.set_xticks(q1["quarter"].to_numpy(), [str(p)[:4] for p in q1["period"]])
        ax.set_xlabel("year (tick at Q1)")


def _periods(frame: pd.DataFrame) -> dict[int, str]:
    """Quarter → calendar label (empty when the table has no ``period`` column)."""
    if "period" not in frame.columns:
        return {}
    p = frame.drop_duplicates("quarter")
    return dict(zip(p["quarter"].astype(int), p["period"].astype(str), strict=True))


def _firm_order(firms: pd.DataFrame) -> list[str]:
    order = {"chip": 0, "cloud": 1, "lab": 2}
    first = firms.drop_duplicates("firm")
    if "role" in first.columns:
        first = first.assign(_r=first["role"].map(order).fillna(3)).sort_values("_r", kind="stable")
    return [str(f) for f in first["firm"]]


def _per_firm(ax: Axes, firms: pd.DataFrame, col: str, factor: float = 1.0) -> list[str]:
    colours = style.firm_colours(_firm_order(firms))
    drawn = []
    for name, colour in colours.items():
        rows = firms[firms["firm"] == name].sort_values("quarter")
        if rows[col].abs().sum() == 0:
            continue
        ax.plot(rows["quarter"], rows[col] * factor, color=colour, label=name)
        drawn.append(name)
    return drawn


# -- panels of one run ------------------------------------------------------------------
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


def _panel_valuations(ax: Axes, firms: pd.DataFrame) -> None:
    col = "market_cap" if "market_cap" in firms.columns else "valuation"
    colours = style.firm_colours(_firm_order(firms))
    has_fundamental = "fundamental_value" in firms.columns
    ends: list[tuple[float, float, str]] = []
    for name, colour in colours.items():
        rows = firms[firms["firm"] == name].sort_values("quarter")
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
    ax.set_ylabel("USD bn (log scale)")
    if has_fundamental:
        ax.set_title("Valuations (solid) versus fundamental values (dashed)")
    else:
        ax.set_title("Valuations by firm")
        _note(ax, "fundamental values: not available in this run", bottom=True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
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
            label="needed by demand",
        )
    ax.set_title("Deployed AI capacity versus plan")
    ax.set_ylabel("GW")
    ax.legend(loc="upper left")
    _quarter_axis(ax, s)


def _panel_cash(ax: Axes, firms: pd.DataFrame) -> None:
    _per_firm(ax, firms, "cash")
    ax.set_title("Cash by firm")
    ax.set_ylabel("USD bn")
    ax.legend(loc="upper left", ncols=2)
    _quarter_axis(ax, firms)


def _panel_leverage(ax: Axes, firms: pd.DataFrame) -> None:
    drawn = _per_firm(ax, firms, "leverage", 100.0)
    ax.set_title("Leverage by firm (debt / total assets)")
    ax.set_ylabel("%")
    if drawn:
        ax.legend(loc="upper left", ncols=2)
    _quarter_axis(ax, firms)


def _minsky_labels(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.map(dict(enumerate(MINSKY_NAMES)))
    return values.astype(str).str.lower()


def _panel_minsky(ax: Axes, firms: pd.DataFrame) -> None:
    title = "Minsky classes: number of firms"
    if "minsky" not in firms.columns:
        _unavailable(ax, title, "Minsky classes: not available in this run")
        return
    labels = _minsky_labels(firms["minsky"])
    counts = pd.crosstab(firms["quarter"], labels).reindex(columns=list(MINSKY_NAMES), fill_value=0)
    ax.stackplot(
        counts.index,
        *(counts[c] for c in MINSKY_NAMES),
        labels=list(MINSKY_NAMES),
        colors=[style.MINSKY_COLOURS[c] for c in MINSKY_NAMES],
        alpha=0.85,
    )
    ax.set_title(title)
    ax.set_ylabel("firms")
    ax.legend(loc="lower left", ncols=3)
    _quarter_axis(ax, firms)


def _panel_defaults(ax: Axes, firms: pd.DataFrame) -> None:
    per_q = firms.groupby("quarter")["defaulted"].sum().sort_index()
    ax.step(per_q.index, per_q.to_numpy(), where="post", color=style.OKABE_ITO[3])
    ax.set_title("Defaults: firms in default")
    ax.set_ylabel("firms")
    first = firms[firms["defaulted"].astype(bool)].groupby("firm")["quarter"].min().sort_values()
    periods = _periods(firms)
    for i, (name, q) in enumerate(first.items()):
        ax.annotate(
            f"{name}, {periods.get(q, f'quarter {q}')}",
            (q, per_q.loc[q]),
            xytext=(4, -12 - 11 * i),
            textcoords="offset points",
            fontsize=8,
        )
    if first.empty:
        _note(ax, "no defaults in this run")
    ax.set_ylim(bottom=0, top=max(1.0, float(per_q.max())) + 0.8)
    _quarter_axis(ax, firms)


_STRATEGIES = ("fundamentalist", "chartist", "noise")
_ROUND_MARKERS = {  # funding-round outcome → (marker, colour)
    "full": ("o", style.OKABE_ITO[2]),
    "undersubscribed": ("v", style.OKABE_ITO[1]),
    "failed": ("X", style.OKABE_ITO[3]),
}


def _has_values(frame: pd.DataFrame, cols: Sequence[str]) -> bool:
    """True if every column is there and has at least one finite value."""
    return all(
        c in frame.columns and np.isfinite(pd.to_numeric(frame[c], errors="coerce")).any()
        for c in cols
    )


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


# -- run figures ------------------------------------------------------------------------
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


def valuations_figure(firms: pd.DataFrame) -> Figure:
    """Valuation of each firm (log scale), with fundamental values when recorded."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "valuation"))
    with styled():
        fig = new_figure()
        _panel_valuations(fig.subplots(), firms)
    return fig


def round_trip_figure(firms: pd.DataFrame) -> Figure:
    """Share of each firm's revenue paid with its own money coming home (%)."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "round_trip_share"))
    with styled():
        fig = new_figure()
        _panel_round_trip(fig.subplots(), firms)
    return fig


def buildout_figure(system: pd.DataFrame, deals: pd.DataFrame | None = None) -> Figure:
    """Deployed GW versus GW ordered and GW needed by demand."""
    check_frame(system, "system", numeric=("quarter", "total_deployed_gw"))
    if deals is not None:
        _check_deals(deals, allow_empty=True)
    with styled():
        fig = new_figure()
        _panel_buildout(fig.subplots(), system, deals)
    return fig


def balance_figure(firms: pd.DataFrame) -> Figure:
    """Cash (USD bn) and leverage (debt / assets, %) by firm."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "cash", "leverage"))
    with styled():
        fig = new_figure((15.0, 4.5))
        ax1, ax2 = fig.subplots(1, 2)
        _panel_cash(ax1, firms)
        _panel_leverage(ax2, firms)
    return fig


def minsky_figure(firms: pd.DataFrame) -> Figure:
    """Number of firms in each Minsky class (hedge / speculative / Ponzi) per quarter."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter",))
    with styled():
        fig = new_figure()
        _panel_minsky(fig.subplots(), firms)
    return fig


def defaults_figure(firms: pd.DataFrame) -> Figure:
    """Firms in default per quarter, each default labelled with the firm and quarter."""
    check_frame(firms, "firms", required=("firm",), numeric=("quarter", "defaulted"))
    with styled():
        fig = new_figure()
        _panel_defaults(fig.subplots(), firms)
    return fig


def markets_figure(system: pd.DataFrame) -> Figure:
    """Investor sentiment with the lab's funding rounds, and investors by strategy.

    Runs without an investor population say so in the panels instead.
    """
    check_frame(system, "system", numeric=("quarter",))
    with styled():
        fig = new_figure((15.0, 4.5))
        ax1, ax2 = fig.subplots(1, 2)
        _panel_sentiment(ax1, system)
        _panel_strategies(ax2, system)
    return fig


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


def dashboard_figure(
    firms: pd.DataFrame, system: pd.DataFrame, deals: pd.DataFrame, title: str = "aipm run"
) -> Figure:
    """The one-page dashboard of a run: gauges, valuations, flows, stress, markets, network.

    Parameters
    ----------
    firms, system, deals
        The tables of a run directory (``firms.parquet``, ``system.parquet``,
        ``deals.parquet``).
    title
        Headline of the page (e.g. scenario, seed and period).
    """
    check_frame(
        firms,
        "firms",
        required=("firm", "role", "period"),
        numeric=("quarter", "valuation", "round_trip_share", "cash", "leverage", "defaulted"),
    )
    check_frame(
        system, "system", required=("period",), numeric=("quarter", *GAUGES, "total_deployed_gw")
    )
    _check_deals(deals, allow_empty=True)
    with styled():
        fig = new_figure(style.DASHBOARD_SIZE)
        grid = fig.add_gridspec(6, 6, height_ratios=[1, 1.15, 1, 1, 1, 2.1])
        for k, col in enumerate(GAUGES):
            _panel_gauge(fig.add_subplot(grid[0, 2 * k : 2 * k + 2]), system, col)
        _panel_valuations(fig.add_subplot(grid[1, :3]), firms)
        _panel_round_trip(fig.add_subplot(grid[1, 3:]), firms)
        _panel_buildout(fig.add_subplot(grid[2, :2]), system, deals)
        _panel_cash(fig.add_subplot(grid[2, 2:4]), firms)
        _panel_leverage(fig.add_subplot(grid[2, 4:]), firms)
        _panel_minsky(fig.add_subplot(grid[3, :3]), firms)
        _panel_defaults(fig.add_subplot(grid[3, 3:]), firms)
        _panel_sentiment(fig.add_subplot(grid[4, :3]), system)
        _panel_strategies(fig.add_subplot(grid[4, 3:]), system)
        _draw_networks([fig.add_subplot(grid[5, :3]), fig.add_subplot(grid[5, 3:])], deals, firms)
        fig.suptitle(title, fontsize=15, fontweight="bold")
    return fig
