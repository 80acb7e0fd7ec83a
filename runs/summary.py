"""One row of summary metrics per run: regime, defaults, drawdowns, gauges.

Built from a run's records only (pure: DataFrames in, dict out), so sweeps, reports
and tests compute it the same way. Regime rules and stress metrics come from
:mod:`world.stress`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from world.stress import classify_regime, run_summary_metrics

__all__ = ["summarize"]


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
    names = firms["firm"].to_numpy(dtype=object)
    order = list(dict.fromkeys(names))
    quarters = firms["quarter"].to_numpy()
    n_q, n_f = len(np.unique(quarters)), len(order)
    if len(firms) != n_q * n_f:
        raise ValueError("firms must have one row per firm per quarter")
    # the recorder writes quarter by quarter in firm order: sort only if needed
    in_order = bool(np.all(quarters[:-1] <= quarters[1:])) and all(
        names[k * n_f : (k + 1) * n_f].tolist() == order for k in range(n_q)
    )
    ranked = (
        firms
        if in_order
        else firms.sort_values(["quarter", "firm"], key=_firm_order(order), kind="stable")
    )
    v = np.clip(ranked["valuation"].to_numpy(dtype=float).reshape(n_q, n_f), 0.0, None)
    d = ranked["defaulted"].to_numpy(dtype=bool).reshape(n_q, n_f)
    sys_q = system["quarter"].to_numpy()
    sys_ = system if bool(np.all(sys_q[:-1] <= sys_q[1:])) else system.sort_values("quarter")
    gw = sys_["total_deployed_gw"].to_numpy()
    out: dict[str, Any] = {"regime": classify_regime(v, d, gw).value}
    out.update(run_summary_metrics(v, d, order).to_dict())
    out.update(
        {
            "quarters": int(len(sys_)),
            "engine_user_growth_mean": float(sys_.engine_user_growth.mean()),
            "gears_capex_to_revenue_mean": float(sys_.gears_capex_to_revenue.mean()),
            "gears_capex_to_revenue_max": float(sys_.gears_capex_to_revenue.max()),
            "fuel_compute_efficiency_end": float(sys_.fuel_compute_efficiency.iloc[-1]),
            "deployed_gw_end": float(gw[-1]),
            "round_trip_revenue_total": float(sys_.round_trip_revenue.sum()),
            "lender_losses": float(sys_.lender_losses.iloc[-1]),
            "valuation_start": float(v[0].sum()),
            "valuation_end": float(v[-1].sum()),
        }
    )
    return out
