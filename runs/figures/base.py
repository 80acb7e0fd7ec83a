"""Shared pieces of the run figures: column labels, input validation, axes helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from runs import style

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
    """(what it is, unit, factor) of a column; unknown columns get their own name."""
    return COLUMN_LABELS.get(col, (col.replace("_", " "), "", 1.0))


def new_figure(size: tuple[float, float] = style.PANEL_SIZE) -> Figure:
    """An empty figure of ``size`` inches with constrained layout."""
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
