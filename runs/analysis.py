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

Sobol and Morris assume a deterministic function; the model is stochastic. With
replicates (runs of one design point with different seeds), :func:`seed_noise`
measures each output's share of variance due to the seed, and the indices are
computed on the replicate means of each design point, so that they stay in
``[0, 1]`` within their intervals once enough replicates average the seed out
(ten Broeke et al. 2016, *JASSS* 19(1) 5). PRIM works on individual runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from runs.discovery import PRIM_COLUMNS, prim_boxes
from runs.faults import fault_point
from runs.indices import (
    SEED_NOISE_COLUMNS,
    morris_indices,
    point_means,
    seed_noise,
    sobol_indices,
    sobol_second_order,
)
from runs.interrupts import no_check
from world.regimes import Regime

__all__ = [
    "DEFAULT_METRICS",
    "PRIM_COLUMNS",
    "SweepAnalysis",
    "analyze",
    "check_inputs",
    "morris_indices",
    "point_means",
    "prim_boxes",
    "prim_stem",
    "regime_table",
    "seed_noise",
    "seed_share_notes",
    "sobol_indices",
    "sobol_second_order",
]

DEFAULT_METRICS = (
    "lab_revenue",
    "peak_valuation",
    "ai_value_drawdown",
    "supplier_revenue",
    "supplier_revenue_fall",
    "n_defaults",
    "lab_default",
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
"""Metrics analysed when none are named (those the runs table has): the continuous
named outputs first (:mod:`runs.named_outputs`; the suppliers' revenue fall is the
validation table's headline), then counts and flags (``lab_default``: its replicate
mean is the lab's default rate at a point), then gauges."""

#: Regime labels PRIM can target (``world.regimes.Regime``).
REGIMES = tuple(r.value for r in Regime)


def prim_stem(regime: str) -> str:
    """Name of the PRIM table of ``regime`` (``prim_boom``: ``analysis/prim_boom.csv``).

    One table per regime: analysing the sweep for another regime (or with the default,
    ``cascade``) leaves the boxes found for the others in place.
    """
    return f"prim_{regime}"


def regime_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Count and share of runs per regime (failed runs as ``failed``)."""
    label = runs["regime"].astype("string").where(runs["status"] == "ok", "failed")
    counts = label.value_counts().rename_axis("regime").rename("runs").reset_index()
    counts["share"] = counts["runs"] / max(len(runs), 1)
    return counts.sort_values("regime", ignore_index=True)


@dataclass(frozen=True)
class SweepAnalysis:
    """Results of :func:`analyze`.

    ``applicable`` names the tables the sweep's design allows (written as CSV files,
    with their header even when they have no rows); the others are empty. ``prim``
    holds the boxes of runs ending in ``regime``, written as ``prim_<regime>.csv``
    (:func:`prim_stem`).
    """

    regimes: pd.DataFrame
    sobol: pd.DataFrame
    sobol_second_order: pd.DataFrame
    morris: pd.DataFrame
    prim: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    seed_noise: pd.DataFrame = field(default_factory=pd.DataFrame)
    applicable: frozenset[str] = field(default=frozenset())
    regime: str = "cascade"

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name → table, for writing and printing (the name of its file without ``.csv``)."""
        return {
            "regimes": self.regimes,
            "seed_noise": self.seed_noise,
            "sobol": self.sobol,
            "sobol_second_order": self.sobol_second_order,
            "morris": self.morris,
            prim_stem(self.regime): self.prim,
        }


def _prefix_points(y: pd.DataFrame, d: int, second: bool) -> int:
    """Points of the longest prefix of 2^k complete Saltelli blocks (0 if none).

    A Saltelli design is N blocks of ``d + 2`` points (``2d + 2`` with second-order
    columns), one per base sample, and the first 2^k base samples of a Sobol'
    sequence are themselves a balanced design: an interrupted sweep can be analysed
    on its longest complete prefix of 2^k blocks.
    """
    block = 2 * d + 2 if second else d + 2
    done = y.notna().any(axis=1).to_numpy()
    first_gap = int(np.argmin(done)) if not done.all() else len(done)
    n_base = first_gap // block
    return block * (1 << (n_base.bit_length() - 1)) if n_base else 0


def _complete_prefix(
    y: pd.DataFrame, d: int, second: bool, samples: int, notes: list[str]
) -> pd.DataFrame:
    """``y`` (already cut to a prefix) with a note when it is less than the whole design."""
    block = 2 * d + 2 if second else d + 2
    n_base = len(y) // block
    if n_base == 0:
        notes.append("sobol: no complete block of the design yet (no indices)")
    elif n_base < samples:
        notes.append(
            f"sobol: incomplete sweep; indices on the first {n_base} of {samples} base "
            "samples (a complete, balanced prefix of the Sobol' sequence)"
        )
    return y


def _prim_note(runs: pd.DataFrame, regime: str, target: np.ndarray) -> str | None:
    """A note when PRIM has nothing to find, naming the regimes that did occur."""
    if target.any() and not target.all():
        return None
    counts = runs["regime"].astype(str).value_counts()
    seen = ", ".join(f"{k} ({v})" for k, v in counts.items())
    others = [k for k in counts.index if k != regime]
    hint = f"; choose another with --regime {others[0]}" if others else ""
    which = "no run" if not target.any() else "every run"
    return f"PRIM: {which} ended in regime {regime!r} (runs ended in: {seen}){hint}"


def analyze(
    out: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    regime: str = "cascade",
    threshold: float = 0.8,
    write: bool = True,
    check: Callable[[], None] = no_check,
) -> SweepAnalysis:
    """Analyse a sweep directory: regimes, seed noise, Sobol or Morris indices, PRIM boxes.

    Parameters
    ----------
    out : str or Path
        The sweep directory.
    metrics : sequence of str, optional
        Runs-table columns for Sobol/Morris (default: :data:`DEFAULT_METRICS`).
    regime : str
        PRIM's case of interest: runs of this regime (one of :data:`REGIMES`).
    threshold : float
        PRIM's density threshold.
    write : bool
        Also write each table the design allows to ``out/analysis/<name>.csv``
        (and remove stale tables of analyses it does not allow); PRIM's is
        ``prim_<regime>.csv``, so the boxes found for other regimes are kept.
    check : callable, optional
        Called between the steps that write nothing (after reading the runs, after
        each analysis) and before the first table is written: what it raises (an
        interruption, :meth:`runs.interrupts.StopSignals.check`) stops the analysis
        with nothing written; once writing has started, it finishes.

    Raises
    ------
    ValueError
        ``out`` is not a sweep directory, a metric is not a numeric column or ``regime``
        is not a regime (one line; :func:`check_inputs`).
    """
    from runs.sweepstore import SweepStore

    out = Path(out)
    metrics = check_inputs(out, metrics=metrics, regime=regime)
    store = SweepStore(out)
    meta = store.params()
    paths = [p["path"] for p in meta["parameters"]]
    runs = store.read_runs(columns=["run_id", "point_id", "status", "regime", *paths, *metrics])
    check()
    notes: list[str] = []
    n_points, design = meta["n_points"], meta["design"]
    replicates = int(meta["spec"].get("replicates", 1))
    applicable = {"regimes", prim_stem(regime)}
    if len(runs) < meta["n_runs"]:
        notes.append(f"incomplete sweep: {len(runs)} of {meta['n_runs']} runs")
    noise = pd.DataFrame(columns=SEED_NOISE_COLUMNS)
    if replicates > 1:
        applicable.add("seed_noise")
        noise = seed_noise(runs, metrics)
        notes += seed_share_notes(noise, replicates)
        check()
    sobol = sobol2 = morris = pd.DataFrame()
    if design in ("sobol", "morris"):
        y = point_means(runs, metrics, n_points)
        if design == "sobol":  # an incomplete sweep: the complete prefix of base samples
            y = y.loc[: _prefix_points(y, len(paths), bool(meta["spec"]["second_order"])) - 1]
        usable = [m for m in metrics if len(y) and np.isfinite(y[m].to_numpy()).all()]
        skipped = [m for m in metrics if m not in usable]
        notes += [f"{m}: skipped (a point has no successful run)" for m in skipped]
        y = y[usable]
        notes += [f"{m}: constant over the design" for m in usable if np.ptp(y[m]) == 0]
        if design == "sobol":
            second = bool(meta["spec"]["second_order"])
            applicable.update({"sobol", "sobol_second_order"} if second else {"sobol"})
            y = _complete_prefix(y, len(paths), second, int(meta["spec"]["samples"]), notes)
            if len(y):
                sobol = sobol_indices(y, paths, second_order=second)
                if second:
                    sobol2 = sobol_second_order(y, paths)
        else:
            applicable.add("morris")
            unit = store.design().sort_values("point_id")[[f"u.{p}" for p in paths]]
            unit.columns = paths
            levels = meta["spec"]["levels"] or 4
            morris = morris_indices(
                unit.reset_index(drop=True), y.reset_index(drop=True), num_levels=levels
            )
    check()
    ok = runs[runs["status"] == "ok"]
    target = (ok["regime"] == regime).to_numpy(dtype=bool)
    prim = prim_boxes(ok[paths], target, threshold=threshold)
    if not prim.empty:  # the sampled range of each numeric parameter, for plots
        ranges = {p["path"]: (p.get("low"), p.get("high")) for p in meta["parameters"]}
        prim["range_min"] = [ranges[n][0] for n in prim["parameter"]]
        prim["range_max"] = [ranges[n][1] for n in prim["parameter"]]
    note = _prim_note(ok, regime, target) if len(ok) else None
    if note:
        notes.append(note)
    result = SweepAnalysis(
        regime_table(runs),
        sobol,
        sobol2,
        morris,
        prim,
        tuple(notes),
        noise,
        frozenset(applicable),
        regime,
    )
    check()
    if write:
        _write(out / "analysis", result, metrics)
    return result


def check_inputs(
    out: str | Path, *, metrics: Sequence[str] | None = None, regime: str = "cascade"
) -> list[str]:
    """Check the sweep directory, metrics and regime of :func:`analyze`; return the metrics.

    Reads ``out/params.json`` only, in a blink: ``aipm analyze`` reports a misspelt flag
    before it imports PRIM's ema-workbench (seconds). ``metrics`` None: those of
    :data:`DEFAULT_METRICS` the runs table has.

    Raises
    ------
    ValueError
        ``out`` is not a sweep directory, a metric is not a numeric column of its runs
        table, or ``regime`` is not one of :data:`REGIMES` (one line, with the closest name).
    """
    from runs.scenario import did_you_mean
    from runs.sweepstore import SweepStore, is_sweep_dir

    out = Path(out)
    if not is_sweep_dir(out):
        why = "no sweep params.json" if out.is_dir() else "it does not exist"
        why = "it is a file" if out.is_file() else why
        raise ValueError(f"{out}: not a sweep directory ({why})")
    columns = SweepStore(out).params()["columns"]
    numeric = [c for c, kind in columns.items() if kind in ("float64", "Int64", "int64")]
    metrics = [m for m in DEFAULT_METRICS if m in columns] if metrics is None else list(metrics)
    for m in metrics:
        if m not in numeric:
            examples = ", ".join([d for d in DEFAULT_METRICS if d in numeric][:3])
            raise ValueError(
                f"--metric: {m!r} is not a numeric column of the runs table (allowed: one of "
                f"its {len(numeric)} numeric columns, e.g. {examples}){did_you_mean(m, numeric)}"
            )
    if regime not in REGIMES:
        raise ValueError(
            f"--regime: {regime!r} is not a regime (allowed: {', '.join(REGIMES)})"
            f"{did_you_mean(regime, REGIMES)}"
        )
    return metrics


def seed_share_notes(noise: pd.DataFrame, replicates: int) -> list[str]:
    """A note for the metrics whose estimated seed share is above 1 (:func:`seed_noise`).

    The share is a ratio of two estimates; above 1 it says the parameters move the
    metric less than the seed does, too little to measure with these replicates.
    """
    above = noise.loc[noise["seed_share"] > 1.0, "metric"].tolist()
    if not above:
        return []
    return [
        f"seed_share above 1 for {', '.join(above)}: the parameters move "
        f"{'it' if len(above) == 1 else 'them'} less than the seed does, too little to "
        f"measure with {replicates} replicates"
    ]


def _write(folder: Path, result: SweepAnalysis, metrics: list[str]) -> None:
    """Write the applicable tables (header included) and remove stale ones.

    Only the tables of analyses the design does not allow are stale: the PRIM tables of
    other regimes (``prim_<regime>.csv``, and an older aipm's ``prim.csv``) are kept.
    ``notes.json`` holds this call's notes, regime and metrics.
    """
    from runs.output import atomic_write_bytes

    for name, table in result.tables().items():
        target = folder / f"{name}.csv"
        if name in result.applicable:
            atomic_write_bytes(target, table.to_csv(index=False).encode())
            fault_point("analysis.table")
        elif target.exists():
            target.unlink()
    note_text = json.dumps(
        {"notes": list(result.notes), "regime": result.regime, "metrics": metrics}
    )
    atomic_write_bytes(folder / "notes.json", note_text.encode())
