"""The report of a sweep: its figures in ``SWEEP_DIR/report/`` and one ``report.html``.

Split from :mod:`runs.report` (the report of one run); ``aipm report`` picks the one
that fits the folder it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from runs.indices import INFLUENCE
from runs.interrupts import no_check
from runs.output import atomic_write_bytes
from runs.readback import UnreadableFile, read_csv, read_parquet
from runs.report import Check, png_bytes
from runs.report_page import Shown, sweep_page
from runs.story import regime_rule
from world.regimes import Regime

__all__ = [
    "DETAILED_METRICS",
    "HEATMAP_METRICS",
    "ID_COLUMNS",
    "build_sweep_report",
    "sweep_title",
]

DETAILED_METRICS = 4
"""Metrics whose Sobol or Morris indices the report draws in full; with more, an overview
of all of them comes first (:func:`runs.sweep_figures.importance_figure`)."""

ID_COLUMNS = {
    "run_id",
    "run",
    "seed",
    "replicate",
    "point",
    "point_id",
    "chunk",
    "status",
    "duration_s",
    "error",
}
#: outcomes preferred for the heatmap, in order (the sweep's runs-table metric names)
HEATMAP_METRICS = (
    "lab_valuation_final",
    "total_deployed_gw_final",
    "round_trip_revenue_total",
    "n_defaults",
)


def _read_tables(paths: list[Path]) -> pd.DataFrame | None:
    """Concatenate Parquet/CSV tables; empty files and tables are skipped (None if all are).

    Raises :class:`runs.readback.UnreadableFile` naming a file that cannot be read.
    """
    frames = []
    for p in sorted(paths):
        # an empty CSV file: an analysis the design did not allow
        frame = read_parquet(p) if p.suffix == ".parquet" else read_csv(p)
        if frame is not None:
            frames.append(frame)
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else None


def _analysis_table(folder: Path, name: str) -> pd.DataFrame | None:
    return _read_tables(
        [p for p in (folder / f"{name}.parquet", folder / f"{name}.csv") if p.is_file()]
    )


def _heatmap_axes(
    analysis: Path, metrics: list[str], numeric: list[str]
) -> tuple[str, tuple[str, str]]:
    """The heat map's outcome and its two axes: what the analysis says matters most.

    The outcome is the first of :data:`HEATMAP_METRICS` (else of the analysed metrics,
    else of the runs table's) that the sweep's Sobol or Morris analysis covers; the axes
    are the two numeric parameters with the largest ST (or μ*) for it. Without an
    analysis: the first of :data:`HEATMAP_METRICS` in the runs table, over the first two
    parameters swept.
    """
    for stem, value in INFLUENCE.items():
        table = _analysis_table(analysis, stem)
        if table is None or not {"metric", "parameter", value} <= set(table.columns):
            continue
        analysed = [m for m in dict.fromkeys(table["metric"]) if m in metrics]
        if not analysed:
            continue
        outcome = next((m for m in HEATMAP_METRICS if m in analysed), analysed[0])
        rows = table[(table["metric"] == outcome) & table["parameter"].isin(numeric)]
        ranked = rows.dropna(subset=[value]).sort_values(value, ascending=False)["parameter"]
        if len(ranked) >= 2:
            return outcome, (str(ranked.iloc[0]), str(ranked.iloc[1]))
    outcome = next((m for m in HEATMAP_METRICS if m in metrics), metrics[0])
    return outcome, (numeric[0], numeric[1])


def _sweep_meta(sweep_dir: Path) -> dict[str, Any]:
    """The sweep's ``params.json`` (empty if missing or unreadable)."""
    try:
        meta = json.loads((sweep_dir / "params.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _sweep_parameters(meta: dict[str, Any], runs: pd.DataFrame) -> list[str]:
    listed = meta.get("parameters")
    if listed:
        names = [p["path"] if isinstance(p, dict) else str(p) for p in listed]
        return [n for n in names if n in runs.columns]
    return [c for c in runs.columns if "." in str(c)]


def sweep_title(meta: dict[str, Any], sweep_dir: Path) -> str:
    """``"aipm sweep — example"``: the spec's name (the folder's name if it has none)."""
    spec = meta.get("spec") if isinstance(meta.get("spec"), dict) else {}
    name = str(meta.get("name") or spec.get("name") or sweep_dir.name)
    design = spec.get("design")
    return f"aipm sweep — {name}" + (f" ({design} design)" if design else "")


def build_sweep_report(sweep_dir: Path, *, check: Check = no_check) -> Path:
    """Write the figures of a sweep into ``SWEEP_DIR/report/`` and ``SWEEP_DIR/report.html``.

    Every figure is drawn before the first file is written; ``check`` is called
    between those steps (after reading, before each figure is drawn and encoded): what
    it raises (an interruption) stops the report with nothing written.

    Layout read (that of :mod:`runs.sweepstore`; absent parts are skipped):

    * ``params.json`` — the sweep's metadata: ``spec`` (its ``name`` titles the
      report) and ``parameters``;
    * ``runs/*.parquet`` — the runs table, one row per run: parameter columns
      (the ``parameters[].path`` of ``params.json``, else every dotted column
      such as ``demand.bass_q``), metric columns, ``regime``, ``status`` (only
      ``ok`` runs are drawn);
    * ``paths/system/*.parquet`` — per-quarter system paths with ``run_id``
      (fan charts);
    * ``analysis/{sobol,morris}.csv`` and ``analysis/prim_<regime>.csv`` (or
      ``.parquet``) — the tables of :mod:`runs.analysis`, one PRIM table per regime
      analysed (each drawn as ``report/prim_<regime>.png``); the ``prim.csv`` of an
      older aipm (whose regime is not recorded) as ``report/prim.png``.

    Raises
    ------
    runs.readback.UnreadableFile
        If there is no runs table, or a table cannot be read (a ``ValueError`` naming it).
    ValueError
        If a table lacks a column its figure needs.
    """
    from runs import sweep_figures  # seaborn: imported only for sweeps

    sweep_dir = Path(sweep_dir)
    runs = _read_tables(sorted((sweep_dir / "runs").glob("*.parquet")))
    check()
    if runs is None:
        raise UnreadableFile(f"{sweep_dir / 'runs'}: no runs table (no *.parquet in it)")
    if "status" in runs.columns:
        runs = runs[runs["status"] == "ok"]
    meta = _sweep_meta(sweep_dir)
    params = _sweep_parameters(meta, runs)
    metrics = [
        c
        for c in runs.columns
        if c not in params and c not in ID_COLUMNS and pd.api.types.is_numeric_dtype(runs[c])
    ]
    made: list[tuple[str, str, Figure]] = []
    system_dir = sweep_dir / "paths" / "system"
    paths = _read_tables(sorted(system_dir.glob("*.parquet"))) if system_dir.is_dir() else None
    if paths is not None:
        fig = sweep_figures.fan_chart_figure(paths, run_col="run_id")
        made.append(("fan_charts", "Median and 5–95 % bands across runs.", fig))
    if "regime" in runs.columns and len(runs):
        made.append(
            ("regimes", "Share of runs per regime.", sweep_figures.regime_shares_figure(runs))
        )
        numeric = [p for p in params if pd.api.types.is_numeric_dtype(runs[p])]
        if numeric:
            fig = sweep_figures.regime_shares_figure(runs, by=numeric[0])
            made.append(("regimes_by_parameter", f"Regimes by {numeric[0]}.", fig))
        if set(sweep_figures.REGIME_MAP_COLUMNS) <= set(runs.columns):
            fig = sweep_figures.regime_map_figure(runs, by=None)
            caption = "Every run against the regime rules on the AI-exposed value."
            made.append(("regime_map", caption, fig))
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(runs[p])]
    analysis = sweep_dir / "analysis"
    if len(numeric) >= 2 and metrics and len(runs):
        outcome, (x, y) = _heatmap_axes(analysis, metrics, numeric)
        fig = sweep_figures.heatmap_figure(runs, x, y, outcome)
        caption = (
            f"{outcome} over {x} and {y} (binned: the median per cell; dots: each design "
            "point's mean over its seeds)."
        )
        made.append(("heatmap", caption, fig))
    ranges = {p: (float(runs[p].min()), float(runs[p].max())) for p in numeric if len(runs)}
    for stem, make, caption in (
        ("sobol", sweep_figures.sobol_figure, "Sobol indices (first order and total)"),
        ("morris", sweep_figures.morris_figure, "Morris screening (μ* and σ)"),
    ):
        table = _analysis_table(analysis, stem)
        if table is None:
            continue
        shown_metrics = list(dict.fromkeys(table["metric"])) if "metric" in table else []
        if len(shown_metrics) > DETAILED_METRICS:  # an overview, then the first few in full
            fig = sweep_figures.importance_figure(table, INFLUENCE[stem])
            made.append((f"{stem}_overview", f"{caption}: every metric at a glance.", fig))
            first = shown_metrics[:DETAILED_METRICS]
            table = table[table["metric"].isin(first)]
            caption += f" of the first {DETAILED_METRICS} metrics (all: analysis/{stem}.csv)"
        made.append((stem, caption + ".", make(table)))
    for regime in Regime:  # one table per regime analysed (aipm analyze --regime)
        prim = _analysis_table(analysis, f"prim_{regime.value}")
        if prim is not None:
            caption = f"PRIM boxes: where runs end in {regime.value}."
            made.append((f"prim_{regime.value}", caption, sweep_figures.prim_figure(prim, ranges)))
    prim = _analysis_table(analysis, "prim")  # written by an older aipm analyze
    if prim is not None:
        caption = "PRIM boxes (analysis/prim.csv, from an older aipm analyze)."
        made.append(("prim", caption, sweep_figures.prim_figure(prim, ranges)))
    shown = []
    for stem, caption, fig in made:
        check()
        shown.append(Shown(stem, "detail", caption, png_bytes(fig)))
    check()
    for figure in shown:
        atomic_write_bytes(sweep_dir / "report" / f"{figure.stem}.png", figure.png)
    numbers = {
        "runs": str(len(runs)),
        "parameters": ", ".join(params) or "none found",
        "metrics": ", ".join(metrics[:12]) or "none found",
    }
    spec = meta.get("spec") if isinstance(meta.get("spec"), dict) else {}
    if spec.get("description"):
        numbers = {"description": str(spec["description"]), **numbers}
    if "regime" in runs.columns:
        labels = runs["regime"].dropna().astype(str)
        shares = labels.value_counts(normalize=True)
        numbers["regimes"] = ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
        for label in shares.index:  # the rule next to the label (VALIDATION.md)
            if rule := regime_rule(label):
                numbers[f"rule: {label}"] = rule
    page = sweep_dir / "report.html"
    atomic_write_bytes(page, sweep_page(sweep_title(meta, sweep_dir), numbers, shown))
    return page
