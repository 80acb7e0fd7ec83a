"""One row of summary metrics per run: regime, named outputs, defaults, drawdowns, gauges.

Built from a run's records only (pure: arrays or DataFrames in, dict out), so single
runs, sweeps, reports and the validation suite compute it the same way:

* ``regime`` — the label of :func:`world.regimes.classify_regime`, computed on the AI
  network (AI revenue and AI-exposed value), and the figures it is read from
  (``regime_*`` keys);
* the named outputs of :mod:`runs.named_outputs` (``lab_revenue``, ``defaults``, ...);
* the stress metrics of :func:`world.stress.run_summary_metrics` (per-firm keys
  suffixed ``_<firm>``) and gauge statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from runs.named_outputs import EventArrays, RunPaths, compute_outputs
from world.stress import run_summary_metrics

if TYPE_CHECKING:
    from world.metrics import Recorder

__all__ = [
    "REGIME_FIGURES",
    "paths_of_records",
    "paths_of_tables",
    "summarize",
    "summarize_paths",
]

#: Summary keys of the figures a run's regime label is read from: ``regime_<field>`` for
#: each field of :class:`world.regimes.RegimeStats` but the default quarters.
REGIME_FIGURES = (
    "regime_value_growth",
    "regime_value_drawdown",
    "regime_value_end_to_peak",
    "regime_revenue_growth",
    "regime_revenue_end_to_peak",
)


def _firm_order(order: list[str]):
    rank = {name: k for k, name in enumerate(order)}

    def key(col: pd.Series) -> pd.Series:
        return col.map(rank) if col.name == "firm" else col

    return key


def paths_of_records(records: Recorder, events: Sequence = ()) -> RunPaths:
    """:class:`RunPaths` of a run's :class:`~world.metrics.Recorder` and event list."""
    return RunPaths(
        names=tuple(records.firm_names),
        roles=tuple(records.roles),
        valuation=records.firm_paths("valuation"),
        defaulted=records.firm_paths("defaulted"),
        revenue=records.firm_paths("revenue"),
        ai_revenue=records.firm_paths("ai_revenue"),
        payouts=records.firm_paths("payouts"),
        equity_raised=records.firm_paths("equity_raised"),
        system=records.system_columns(),
        events=EventArrays.from_events(events),
    )


def paths_of_tables(
    firms: pd.DataFrame, system: pd.DataFrame, events: pd.DataFrame | None = None
) -> RunPaths:
    """:class:`RunPaths` of a run's written tables (firms, system, events)."""
    if firms.empty or system.empty:
        raise ValueError("firms and system must not be empty")
    order = list(dict.fromkeys(firms["firm"]))
    n_q, n_f = firms["quarter"].nunique(), len(order)
    if len(firms) != n_q * n_f:
        raise ValueError("firms must have one row per firm per quarter")
    ranked = firms.sort_values(["quarter", "firm"], key=_firm_order(order), kind="stable")

    def grid(column: str, dtype: type) -> np.ndarray:
        return ranked[column].to_numpy(dtype=dtype).reshape(n_q, n_f)

    roles = ranked["role"].to_numpy()[:n_f]
    sys_ = system.sort_values("quarter")
    columns = {
        c: sys_[c].to_numpy(dtype=np.float64)
        for c in sys_.columns
        if c not in ("period", "funding_round_outcome")
    }
    arrays = EventArrays()
    if events is not None and len(events):
        index = {name: k for k, name in enumerate(order)}
        arrays = EventArrays(
            np.array([index.get(f, -1) for f in events["firm"]], dtype=np.int64),
            events["kind"].astype(str).to_numpy(dtype=object),
            events["amount"].to_numpy(dtype=np.float64),
        )
    return RunPaths(
        names=tuple(order),
        roles=tuple(str(r) for r in roles),
        valuation=grid("valuation", float),
        defaulted=grid("defaulted", bool),
        revenue=grid("revenue", float),
        ai_revenue=grid("ai_revenue", float),
        # runs written before payouts were recorded (2026-12-02) paid none out
        payouts=grid("payouts", float) if "payouts" in firms else None,
        # and before the money paid in for new shares was (2026-12-02, stop 35)
        equity_raised=grid("equity_raised", float) if "equity_raised" in firms else None,
        system=columns,
        events=arrays,
    )


def summarize(
    firms: pd.DataFrame, system: pd.DataFrame, events: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Summary metrics of one run from its tables (see :func:`summarize_paths`).

    Parameters
    ----------
    firms, system
        The run's per-firm and system records (see ``world.metrics``).
    events
        The run's event log (``RunResult.events`` / ``events.parquet``); without it
        the event-based outputs (funding failures, losses booked) count nothing.
    """
    return summarize_paths(paths_of_tables(firms, system, events))


def _skipna(x: np.ndarray, stat: Any) -> float:
    """``stat`` of the non-NaN values (NaN if there are none), like pandas' default."""
    x = x[~np.isnan(x)]
    return float(stat(x)) if x.size else float("nan")


def summarize_paths(paths: RunPaths) -> dict[str, Any]:
    """Summary metrics of one run (scalars; per-firm keys suffixed ``_<firm>``).

    Returns
    -------
    dict
        ``regime`` (boom / soft_landing / crash_recovered / bust / cascade) and the
        figures behind it (``regime_value_growth``, ``regime_value_drawdown``,
        ``regime_value_end_to_peak``, ``regime_revenue_growth``,
        ``regime_revenue_end_to_peak``), every named output of
        :data:`runs.named_outputs.OUTPUTS`, the stress metrics (peak and trough
        valuations, max drawdown and losses per firm, number of defaults, cascade
        size, quarter of first default) and gauge statistics.
    """
    v = np.clip(paths.valuation, 0.0, None)
    system: Mapping[str, np.ndarray] = paths.system
    gw = system["total_deployed_gw"]
    stats = paths.regime_stats
    out: dict[str, Any] = {
        "regime": paths.regime.value,
        **{key: getattr(stats, key.removeprefix("regime_")) for key in REGIME_FIGURES},
    }
    out.update(compute_outputs(paths))
    out.update(run_summary_metrics(v, paths.defaulted, list(paths.names)).to_dict())
    out.update(
        {
            "quarters": int(len(gw)),
            "engine_user_growth_mean": _skipna(system["engine_user_growth"], np.mean),
            "gears_capex_to_revenue_mean": _skipna(system["gears_capex_to_revenue"], np.mean),
            "gears_capex_to_revenue_max": _skipna(system["gears_capex_to_revenue"], np.max),
            "fuel_compute_efficiency_end": float(system["fuel_compute_efficiency"][-1]),
            "deployed_gw_end": float(gw[-1]),
            "round_trip_revenue_total": float(np.nansum(system["round_trip_revenue"])),
            "valuation_start": float(v[0].sum()),
            "valuation_end": float(v[-1].sum()),
        }
    )
    return out
