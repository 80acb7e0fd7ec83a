"""One row of summary metrics per run: regime, defaults, drawdowns, gauges.

Built from a run's records only (pure: DataFrames in, dict out), so sweeps, reports
and tests compute it the same way. Regime rules and stress metrics come from
:mod:`world.stress`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from world.stress import classify_regime, run_summary_metrics

__all__ = ["summarize", "summarize_paths"]


def _firm_order(order: list[str]):
    rank = {name: k for k, name in enumerate(order)}

    def key(col: pd.Series) -> pd.Series:
        return col.map(rank) if col.name == "firm" else col

    return key


def summarize(firms: pd.DataFrame, system: pd.DataFrame) -> dict[str, Any]:
    """Summary metrics of one run (scalars; per-firm keys suffixed ``_<firm>``).

    Parameters
    ----------
    firms, system
        The run's per-firm and system records (see ``world.metrics``).

    Returns
    -------
    dict
        ``regime`` (boom / soft_landing / bust / cascade), stress metrics (peak and
        trough valuations, max drawdown and losses per firm, number of defaults,
        cascade size, quarter of first default) and gauge statistics.
    """
    if firms.empty or system.empty:
        raise ValueError("firms and system must not be empty")
    order = list(dict.fromkeys(firms["firm"]))
    n_q, n_f = firms["quarter"].nunique(), len(order)
    if len(firms) != n_q * n_f:
        raise ValueError("firms must have one row per firm per quarter")
    ranked = firms.sort_values(["quarter", "firm"], key=_firm_order(order), kind="stable")
    v = ranked["valuation"].to_numpy(dtype=float).reshape(n_q, n_f)
    d = ranked["defaulted"].to_numpy(dtype=bool).reshape(n_q, n_f)
    sys_ = system.sort_values("quarter")
    columns = {name: sys_[name].to_numpy(dtype=np.float64) for name in _SYSTEM_INPUTS}
    return summarize_paths(order, v, d, columns)


def _skipna(x: np.ndarray, stat: Any) -> float:
    """``stat`` of the non-NaN values (NaN if there are none), like pandas' default."""
    x = x[~np.isnan(x)]
    return float(stat(x)) if x.size else float("nan")


_SYSTEM_INPUTS = (
    "total_deployed_gw",
    "engine_user_growth",
    "gears_capex_to_revenue",
    "fuel_compute_efficiency",
    "round_trip_revenue",
    "lender_losses",
)
"""The system columns the summary reads."""


def summarize_paths(
    firm_names: list[str],
    valuations: np.ndarray,
    defaulted: np.ndarray,
    system: Mapping[str, np.ndarray],
) -> dict[str, Any]:
    """:func:`summarize` from arrays: the core, without DataFrames.

    Parameters
    ----------
    firm_names
        One name per firm (column of the paths).
    valuations, defaulted
        Shape ``(quarters, firms)``: valuation (USD bn; negative values count as 0)
        and default flag of each firm, quarter by quarter.
    system
        The system columns of :data:`_SYSTEM_INPUTS`, one value per quarter, in
        quarter order (extra columns are ignored).
    """
    v = np.clip(valuations, 0.0, None)
    d = np.asarray(defaulted, dtype=bool)
    gw = system["total_deployed_gw"]
    out: dict[str, Any] = {"regime": classify_regime(v, d, gw).value}
    out.update(run_summary_metrics(v, d, firm_names).to_dict())
    out.update(
        {
            "quarters": int(len(gw)),
            "engine_user_growth_mean": _skipna(system["engine_user_growth"], np.mean),
            "gears_capex_to_revenue_mean": _skipna(system["gears_capex_to_revenue"], np.mean),
            "gears_capex_to_revenue_max": _skipna(system["gears_capex_to_revenue"], np.max),
            "fuel_compute_efficiency_end": float(system["fuel_compute_efficiency"][-1]),
            "deployed_gw_end": float(gw[-1]),
            "round_trip_revenue_total": float(np.nansum(system["round_trip_revenue"])),
            "lender_losses": float(system["lender_losses"][-1]),
            "valuation_start": float(v[0].sum()),
            "valuation_end": float(v[-1].sum()),
        }
    )
    return out
