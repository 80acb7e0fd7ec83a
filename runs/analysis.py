"""Analysis of a sweep: Sobol indices, Morris screening, PRIM scenario discovery.

The kernels take DataFrames and return DataFrames, and know nothing about sweep
directories, so they can be checked on analytic functions (Ishigami) and reused
on any table; :func:`analyze` applies them to a sweep directory.

* :func:`sobol_indices` — first- and total-order indices with bootstrap
  confidence intervals (:func:`SALib.analyze.sobol.analyze`), on a Sobol design;
* :func:`morris_indices` — μ, μ*, σ of the elementary effects
  (:func:`SALib.analyze.morris.analyze`), on a Morris design;
* :func:`runs.discovery.prim_boxes` — PRIM boxes (Friedman & Fisher 1999) with the EMA
  Workbench's implementation (``ema_workbench.analysis.prim``): which region of
  parameter space leads to a regime (e.g. ``cascade``).

Replicates of a design point are averaged (mean of the successful runs) before
Sobol and Morris; PRIM works on individual runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from runs.discovery import PRIM_COLUMNS, prim_boxes

__all__ = [
    "DEFAULT_METRICS",
    "PRIM_COLUMNS",
    "SweepAnalysis",
    "analyze",
    "morris_indices",
    "point_means",
    "prim_boxes",
    "regime_table",
    "sobol_indices",
    "sobol_second_order",
]

DEFAULT_METRICS = (
    "n_defaults",
    "cascade_size",
    "total_loss",
    "aggregate_max_drawdown",
    "total_deployed_gw_final",
    "gears_capex_to_revenue_final",
    "fuel_compute_efficiency_final",
    "round_trip_revenue_total",
    "lab_valuation_final",
    "lender_losses",
    "valuation_end",
)
"""Metrics analysed when none are named (those the runs table has)."""


def _problem(parameters: Sequence[str]) -> dict:
    d = len(parameters)
    return {"num_vars": d, "names": list(parameters), "bounds": [[0.0, 1.0]] * d}


def _check_outputs(outputs: pd.DataFrame) -> None:
    bad = [c for c in outputs.columns if not np.all(np.isfinite(outputs[c].to_numpy(float)))]
    if bad:
        raise ValueError(f"outputs: column {bad[0]!r} has NaN or inf values (failed runs?)")


def _sobol_raw(
    y: np.ndarray, parameters: Sequence[str], second_order: bool, **kw: float
) -> dict[str, np.ndarray]:
    """SALib's Sobol analysis of one output; all-NaN indices for a constant output."""
    from SALib.analyze import sobol

    if np.ptp(y) == 0:  # no variance to decompose
        d = len(parameters)
        nan1, nan2 = np.full(d, np.nan), np.full((d, d), np.nan)
        keys1, keys2 = ("S1", "S1_conf", "ST", "ST_conf"), ("S2", "S2_conf")
        return {**{k: nan1 for k in keys1}, **{k: nan2 for k in keys2}}
    return sobol.analyze(_problem(parameters), y, calc_second_order=second_order, **kw)


def sobol_indices(
    outputs: pd.DataFrame,
    parameters: Sequence[str],
    *,
    second_order: bool = False,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """First- and total-order Sobol indices of each output column.

    Parameters
    ----------
    outputs : pandas.DataFrame
        One row per point of a Saltelli design (SALib's order, as produced by a
        ``sobol`` sweep), one numeric column per metric; finite values.
    parameters : sequence of str
        The design's parameters, in design order.
    second_order : bool
        Whether the design was sampled with second-order columns.
    num_resamples, conf_level, seed
        Bootstrap of the confidence intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, parameter, S1, S1_conf, ST, ST_conf``; ``*_conf`` is
        the half-width of the ``conf_level`` confidence interval. All NaN for
        a constant output (no variance to decompose).
    """
    _check_outputs(outputs)
    rows = []
    for metric in outputs.columns:
        res = _sobol_raw(
            outputs[metric].to_numpy(np.float64),
            parameters,
            second_order,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
        rows.extend(_per_parameter(metric, parameters, res, ("S1", "S1_conf", "ST", "ST_conf")))
    return pd.DataFrame(rows, columns=["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"])


def sobol_second_order(
    outputs: pd.DataFrame,
    parameters: Sequence[str],
    *,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Second-order Sobol indices (design sampled with ``second_order = true``).

    Returns columns ``metric, parameter_1, parameter_2, S2, S2_conf``.
    """
    _check_outputs(outputs)
    rows = []
    for metric in outputs.columns:
        res = _sobol_raw(
            outputs[metric].to_numpy(np.float64),
            parameters,
            True,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
        for i, a in enumerate(parameters):
            for j in range(i + 1, len(parameters)):
                rows.append(
                    {
                        "metric": metric,
                        "parameter_1": a,
                        "parameter_2": parameters[j],
                        "S2": res["S2"][i, j],
                        "S2_conf": res["S2_conf"][i, j],
                    }
                )
    return pd.DataFrame(rows, columns=["metric", "parameter_1", "parameter_2", "S2", "S2_conf"])


def morris_indices(
    design: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    num_levels: int = 4,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris elementary-effect statistics of each output column.

    Parameters
    ----------
    design : pandas.DataFrame
        Unit-cube coordinates of the Morris trajectories (one column per
        parameter, rows in sampling order).
    outputs : pandas.DataFrame
        Same rows, one numeric column per metric; finite values.
    num_levels : int
        The design's number of grid levels.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, parameter, mu, mu_star, mu_star_conf, sigma``. Effects
        are per unit of the parameter's range (``Δmetric / Δu``), so μ* ranks
        parameters whatever their units.
    """
    from SALib.analyze import morris

    _check_outputs(outputs)
    if len(design) != len(outputs):
        raise ValueError(f"design has {len(design)} rows, outputs {len(outputs)}")
    parameters = list(design.columns)
    x = design.to_numpy(np.float64)
    rows = []
    for metric in outputs.columns:
        res = morris.analyze(
            _problem(parameters),
            x,
            outputs[metric].to_numpy(np.float64),
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=num_levels,
            seed=seed,
        )
        keys = ("mu", "mu_star", "mu_star_conf", "sigma")
        rows.extend(_per_parameter(metric, parameters, res, keys))
    return pd.DataFrame(
        rows, columns=["metric", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    )


def point_means(runs: pd.DataFrame, metrics: Sequence[str], n_points: int) -> pd.DataFrame:
    """Mean of each metric over a point's successful replicates, indexed by ``point_id``.

    Points without a successful run get NaN (all ``n_points`` points are listed).
    """
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point_id")[list(metrics)].mean()
    return means.reindex(pd.RangeIndex(n_points, name="point_id")).astype(np.float64)


def regime_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Count and share of runs per regime (failed runs as ``failed``)."""
    label = runs["regime"].astype("string").where(runs["status"] == "ok", "failed")
    counts = label.value_counts().rename_axis("regime").rename("runs").reset_index()
    counts["share"] = counts["runs"] / max(len(runs), 1)
    return counts.sort_values("regime", ignore_index=True)


@dataclass(frozen=True)
class SweepAnalysis:
    """Results of :func:`analyze`; empty DataFrames for analyses the design does not allow."""

    regimes: pd.DataFrame
    sobol: pd.DataFrame
    sobol_second_order: pd.DataFrame
    morris: pd.DataFrame
    prim: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name → table, for writing and printing."""
        return {
            "regimes": self.regimes,
            "sobol": self.sobol,
            "sobol_second_order": self.sobol_second_order,
            "morris": self.morris,
            "prim": self.prim,
        }


def analyze(
    out: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    regime: str = "cascade",
    threshold: float = 0.8,
    write: bool = True,
) -> SweepAnalysis:
    """Analyse a sweep directory: regimes, Sobol or Morris indices, PRIM boxes.

    Parameters
    ----------
    out : str or Path
        The sweep directory.
    metrics : sequence of str, optional
        Runs-table columns for Sobol/Morris (default: :data:`DEFAULT_METRICS`).
    regime : str
        PRIM's case of interest: runs of this regime.
    threshold : float
        PRIM's density threshold.
    write : bool
        Also write each table to ``out/analysis/<name>.csv``.

    Raises
    ------
    ValueError
        ``out`` is not a sweep directory or a metric is not a numeric column (one line).
    """
    from runs.sweepstore import SweepStore, is_sweep_dir

    out = Path(out)
    if not is_sweep_dir(out):
        raise ValueError(f"{out}: not a sweep directory (no sweep params.json)")
    store = SweepStore(out)
    meta = store.params()
    paths = [p["path"] for p in meta["parameters"]]
    columns = meta["columns"]
    metrics = [m for m in DEFAULT_METRICS if m in columns] if metrics is None else list(metrics)
    for m in metrics:
        if columns.get(m) not in ("float64", "Int64", "int64"):
            raise ValueError(f"--metric: {m!r} is not a numeric column of the runs table")
    if regime not in {"boom", "soft_landing", "bust", "cascade"}:
        raise ValueError(f"--regime: {regime!r} (allowed: boom, soft_landing, bust, cascade)")
    runs = store.read_runs(columns=["run_id", "point_id", "status", "regime", *paths, *metrics])
    notes: list[str] = []
    n_points, design = meta["n_points"], meta["design"]
    if len(runs) < meta["n_runs"]:
        notes.append(f"incomplete sweep: {len(runs)} of {meta['n_runs']} runs")
    sobol = sobol2 = morris = pd.DataFrame()
    if design in ("sobol", "morris"):
        y = point_means(runs, metrics, n_points)
        usable = [m for m in metrics if np.isfinite(y[m].to_numpy()).all()]
        skipped = [m for m in metrics if m not in usable]
        notes += [f"{m}: skipped (a point has no successful run)" for m in skipped]
        y = y[usable]
        notes += [f"{m}: constant over the design" for m in usable if np.ptp(y[m]) == 0]
        if design == "sobol" and usable:
            second = bool(meta["spec"]["second_order"])
            sobol = sobol_indices(y, paths, second_order=second)
            if second:
                sobol2 = sobol_second_order(y, paths)
        elif usable:
            unit = store.design().sort_values("point_id")[[f"u.{p}" for p in paths]]
            unit.columns = paths
            levels = meta["spec"]["levels"] or 4
            morris = morris_indices(
                unit.reset_index(drop=True), y.reset_index(drop=True), num_levels=levels
            )
    ok = runs[runs["status"] == "ok"]
    target = (ok["regime"] == regime).to_numpy(dtype=bool)
    prim = prim_boxes(ok[paths], target, threshold=threshold) if len(ok) else pd.DataFrame()
    if not prim.empty:  # the sampled range of each numeric parameter, for plots
        ranges = {p["path"]: (p.get("low"), p.get("high")) for p in meta["parameters"]}
        prim["range_min"] = [ranges[n][0] for n in prim["parameter"]]
        prim["range_max"] = [ranges[n][1] for n in prim["parameter"]]
    if not target.any():
        notes.append(f"PRIM: no run ended in regime {regime!r}")
    elif target.all():
        notes.append(f"PRIM: every run ended in regime {regime!r}")
    result = SweepAnalysis(regime_table(runs), sobol, sobol2, morris, prim, tuple(notes))
    if write:
        from runs.output import atomic_write_bytes

        for name, table in result.tables().items():
            atomic_write_bytes(out / "analysis" / f"{name}.csv", table.to_csv(index=False).encode())
        note_text = json.dumps({"notes": list(notes), "regime": regime, "metrics": metrics})
        atomic_write_bytes(out / "analysis" / "notes.json", note_text.encode())
    return result


def _per_parameter(metric: str, parameters, res, keys: tuple[str, ...]) -> list[dict]:
    """One tidy row per parameter from a SALib result: metric, parameter and ``keys``."""
    return [
        {"metric": metric, "parameter": name, **{k: res[k][j] for k in keys}}
        for j, name in enumerate(parameters)
    ]
