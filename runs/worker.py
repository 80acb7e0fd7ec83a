"""What a worker does: run a chunk of a sweep and return its rows as Parquet bytes.

This module is imported by every executor's worker processes (local pool, Dask
workers), so it stays light: the model is imported on first use. A run that
raises is recorded (``status = "failed"``, ``error = "Type: message"``) and the
chunk goes on: one bad parameter combination never stops a sweep.
"""

from __future__ import annotations

import functools
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from world.params import Scenario

__all__ = [
    "GAUGES",
    "ChunkResult",
    "ChunkTask",
    "RunTask",
    "gauge_metrics",
    "metric_columns",
    "probe_metrics",
    "run_chunk",
    "run_metrics",
    "runs_table",
    "to_parquet_bytes",
    "warm_up",
]

GAUGES = (
    "engine_user_growth",
    "gears_capex_to_revenue",
    "fuel_compute_efficiency",
    "total_deployed_gw",
    "round_trip_revenue",
    "sentiment",
    "lab_valuation",
)
"""System columns summarised per run as ``<gauge>_final`` and ``<gauge>_mean``."""

SMALL_TABLE_ROWS = 64
"""Parquet tables up to this many rows are written with snappy instead of zstd."""

ID_COLUMNS = {"run_id": "int64", "point_id": "int64", "replicate": "int64", "seed": "int64"}
STATUS_COLUMNS = {"status": "string", "error": "string", "duration_s": "float64"}


@dataclass(frozen=True)
class RunTask:
    """One run: its ids, seed and parameter overrides (dotted path → value)."""

    run_id: int
    point_id: int
    replicate: int
    seed: int
    overrides: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class ChunkTask:
    """A chunk of runs on one base scenario, and the runs table's column dtypes."""

    base: Scenario
    runs: tuple[RunTask, ...]
    columns: tuple[tuple[str, str], ...]
    save_paths: bool


@dataclass(frozen=True)
class ChunkResult:
    """Parquet bytes of a finished chunk and the few facts the progress display needs."""

    run_ids: tuple[int, ...]
    statuses: tuple[str, ...]
    regimes: tuple[str | None, ...]
    errors: tuple[str | None, ...]
    runs: bytes
    firms: bytes | None
    system: bytes | None


def warm_up(seconds: float = 0.0) -> int:
    """Import the model (and optionally stay busy a moment); return this process id.

    Executors call it once per worker so that the first chunks do not pay the imports.
    """
    import os
    from importlib import import_module

    for name in ("runs.scenario", "runs.simulate", "world.stress"):
        import_module(name)
    time.sleep(seconds)
    return os.getpid()


def _dtype(value: Any) -> str:
    """Runs-table dtype of a summary value (nullable, so failed runs can be empty)."""
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, (int, np.integer)):
        return "Int64"
    if isinstance(value, (float, np.floating)):
        return "float64"
    return "string"


def metric_columns(metrics: dict[str, Any]) -> dict[str, str]:
    """Column → dtype of the summary metrics, from one run's :func:`run_metrics`."""
    return {k: _dtype(v) for k, v in metrics.items()}


def _finite_mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def gauge_metrics(system: pd.DataFrame | Mapping[str, np.ndarray]) -> dict[str, float]:
    """``<gauge>_final`` and ``<gauge>_mean`` (finite quarters) of each :data:`GAUGES` column.

    ``system`` is the system table, or its columns as arrays (``RunResult.system_columns``).
    """
    out: dict[str, float] = {}
    for g in GAUGES:
        if g in system:
            x = np.asarray(system[g], dtype=np.float64)
            out[f"{g}_final"] = float(x[-1]) if x.size else float("nan")
            out[f"{g}_mean"] = _finite_mean(x)
    return out


def run_metrics(result: Any) -> dict[str, Any]:
    """Summary metrics of one run: the run's summary plus the gauge statistics.

    ``result.summary`` is :func:`runs.summary.summarize_paths` — the same summary as
    ``aipm run`` writes (``regime`` from :func:`world.stress.classify_regime`,
    the stress metrics of :func:`world.stress.run_summary_metrics` with per-firm
    keys suffixed ``_<firm>``, gauge and valuation figures); the keys of
    :func:`gauge_metrics` it does not have are added.
    """
    out = dict(result.summary)
    for key, value in gauge_metrics(result.system_columns).items():
        out.setdefault(key, value)
    return out


def probe_metrics(base: Scenario) -> dict[str, Any]:
    """Metrics of a one-quarter run of ``base`` (seed 0): the keys and types of every run's."""
    from runs.scenario import apply_overrides
    from runs.simulate import simulate

    return run_metrics(simulate(apply_overrides(base, {"quarters": 1}), 0))


def to_parquet_bytes(frame: pd.DataFrame | pa.Table, schema: pa.Schema | None = None) -> bytes:
    """Serialise ``frame`` (no index) as Parquet, optionally with a fixed schema.

    Large tables (the per-quarter paths) are compressed with zstd; a table of at most
    :data:`SMALL_TABLE_ROWS` rows (a chunk's runs table) with snappy, which is four
    times faster there and no larger, since zstd gains nothing on a few values per column.
    """
    if isinstance(frame, pd.DataFrame):
        frame = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    buf = io.BytesIO()
    small = frame.num_rows <= SMALL_TABLE_ROWS
    pq.write_table(frame, buf, compression="snappy" if small else "zstd")
    return buf.getvalue()


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Run every run of ``task``; never raises for a failing run (see the module docstring)."""
    from runs.simulate import simulate

    rows: list[dict[str, Any]] = []
    scenarios: dict[tuple[tuple[str, Any], ...], Scenario] = {}
    firm_parts: list[pd.DataFrame] = []
    system_parts: list[pd.DataFrame] = []
    for run in task.runs:
        row: dict[str, Any] = {
            "run_id": run.run_id,
            "point_id": run.point_id,
            "replicate": run.replicate,
            "seed": run.seed,
            **dict(run.overrides),
        }
        start = time.perf_counter()
        try:
            scenario = _scenario(task.base, run.overrides, scenarios)
            result = simulate(scenario, run.seed, firm_rows=task.save_paths)
            row.update(run_metrics(result))
        # the sweep's fault boundary: any error of one run is recorded, not raised
        except Exception as exc:
            row.update(status="failed", error=_one_line(exc))
        else:
            row.update(status="ok", error=None)
            if task.save_paths:
                firm_parts.append(result.firms.assign(run_id=run.run_id))
                system_parts.append(result.system.assign(run_id=run.run_id))
        row["duration_s"] = time.perf_counter() - start
        rows.append(row)

    table = runs_table(rows, dict(task.columns))
    firms = system = None
    if firm_parts:  # no file at all for a chunk whose runs all failed
        firms = to_parquet_bytes(_paths_frame(firm_parts))
        system = to_parquet_bytes(_paths_frame(system_parts))
    return ChunkResult(
        run_ids=tuple(int(r["run_id"]) for r in rows),
        statuses=tuple(r["status"] for r in rows),
        regimes=tuple(r.get("regime") for r in rows),
        errors=tuple(r.get("error") for r in rows),
        runs=to_parquet_bytes(table),
        firms=firms,
        system=system,
    )


def _scenario(
    base: Scenario, overrides: tuple[tuple[str, Any], ...], cache: dict[Any, Scenario]
) -> Scenario:
    """``base`` with ``overrides``, validated once per point (replicates share it)."""
    from runs.scenario import apply_overrides

    try:
        return cache[overrides]
    except KeyError:
        scenario = cache[overrides] = apply_overrides(base, dict(overrides))
        return scenario
    except TypeError:  # an unhashable override value: validate every time
        return apply_overrides(base, dict(overrides))


def runs_table(rows: list[dict[str, Any]], columns: dict[str, str]) -> pa.Table:
    """The runs table of a chunk: one row per run, exactly ``columns`` (name → dtype).

    Built as an Arrow table column by column (no pandas frame in between): the schema,
    with the pandas metadata that restores the dtypes on reading, is made once per set
    of columns; a missing value is null and NaN becomes null exactly as
    ``Table.from_pandas`` does, so the table equals that of the frame built from
    ``rows`` and cast to ``columns``.
    """
    schema = _runs_schema(tuple(columns.items()))
    arrays = [
        pa.array([r.get(name) for r in rows], type=schema.field(name).type, from_pandas=True)
        for name in columns
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


@functools.lru_cache(maxsize=16)
def _runs_schema(columns: tuple[tuple[str, str], ...]) -> pa.Schema:
    empty = pd.DataFrame({name: pd.array([], dtype=dtype) for name, dtype in columns})
    return pa.Schema.from_pandas(empty, preserve_index=False)


def _paths_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-run paths with ``run_id`` as the first column."""
    frame = pd.concat(parts, ignore_index=True)
    frame["run_id"] = frame["run_id"].astype("int64")
    return frame[["run_id", *[c for c in frame.columns if c != "run_id"]]]
