"""Reports: the figures of a run (or a sweep) as PNG files and one HTML page.

``aipm run`` calls :func:`build_report` on the run directory before it is moved
into place; ``aipm report DIR`` rebuilds it. A run report is::

    RUN_DIR/dashboard.png        the one-page dashboard (1600 × 2500 px)
    RUN_DIR/figures/*.png        each panel as its own figure (900 px wide or more)
    RUN_DIR/report.html          key numbers + every PNG (relative links)

:func:`build_sweep_report` does the same for a sweep directory (layout assumed in
its docstring). Every file is written atomically.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from runs import figures, style, sweep_figures
from runs.output import atomic_write_bytes, read_run

__all__ = ["build_report", "build_sweep_report", "key_numbers", "png_bytes"]

#: file stem → caption of each stand-alone figure of a run report.
RUN_FIGURES: dict[str, str] = {
    "gauges": "The seed's three gauges: engine (user growth), gears (cloud capex / revenue), "
    "fuel (useful compute per dollar invested).",
    "valuations": "Valuation of each firm, log scale; dashed: fundamental value when recorded.",
    "round_trip": "Share of each firm's revenue paid with its own money coming home.",
    "buildout": "Deployed AI capacity versus GPU orders and the capacity demand needs.",
    "balance": "Cash and leverage (debt / total assets) by firm.",
    "minsky": "Firms by Minsky class: hedge, speculative, Ponzi.",
    "defaults": "Firms in default per quarter.",
    "markets": "Investor sentiment with the lab's funding rounds, and investors by strategy.",
    "network": "The deal network at the start and at the end of the run.",
}


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes at the report's resolution (exact size, white background)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=style.DPI, facecolor="white")
    return buf.getvalue()


def _fmt(x: float, unit: str = "") -> str:
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"
    return f"{text} {unit}".strip()


def key_numbers(
    params: dict[str, Any],
    firms: pd.DataFrame,
    system: pd.DataFrame,
    deals: pd.DataFrame,
    summary: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The headline numbers of a run, as label → formatted value.

    ``summary`` is the run's ``summary.json`` (regime, drawdown, cascade) when present.
    """
    figures.check_frame(
        system,
        "system",
        required=("period",),
        numeric=("quarter", "users_m", "total_deployed_gw", "lab_valuation", "round_trip_revenue"),
    )
    figures.check_frame(firms, "firms", required=("firm",), numeric=("quarter", "defaulted"))
    s = system.sort_values("quarter")
    last, first = s.iloc[-1], s.iloc[0]
    scenario = params.get("scenario", {})
    defaulted = firms[firms["defaulted"].astype(bool)].groupby("firm")["quarter"].min()
    periods = dict(zip(s["quarter"], s["period"], strict=True))
    rt_by_firm = firms.groupby("firm")["round_trip_revenue"].sum()
    numbers = {
        "scenario": str(scenario.get("name", "?")),
        "seed": str(params.get("seed", "?")),
        "quarters": f"{len(s)} ({first['period']} – {last['period']})",
        "weekly users at end": _fmt(last["users_m"], "M"),
        "deployed AI capacity": f"{_fmt(first['total_deployed_gw'], 'GW')} → "
        f"{_fmt(last['total_deployed_gw'], 'GW')}",
        "AI-lab valuation": f"USD {_fmt(first['lab_valuation'])} bn → "
        f"USD {_fmt(last['lab_valuation'])} bn (peak {_fmt(s['lab_valuation'].max())})",
        "round-trip revenue, whole run": f"USD {_fmt(s['round_trip_revenue'].sum())} bn"
        + (
            f" (largest: {rt_by_firm.idxmax()}, USD {_fmt(rt_by_firm.max())} bn)"
            if len(rt_by_firm) and rt_by_firm.max() > 0
            else ""
        ),
        "gears at end (cloud capex / revenue)": _fmt(last["gears_capex_to_revenue"]),
        "deals signed": f"{len(deals)}, USD {_fmt(deals['value'].sum())} bn",
        "defaults": ", ".join(f"{f} ({periods.get(q, q)})" for f, q in defaulted.items()) or "none",
    }
    summary = summary or {}
    if "regime" in summary:
        numbers["regime"] = str(summary["regime"]).replace("_", " ")
    elif "regime" in s.columns:
        numbers["regime"] = str(last["regime"]).replace("_", " ")
    if "aggregate_max_drawdown" in summary:
        numbers["largest fall of total valuation"] = f"{summary['aggregate_max_drawdown']:.0%}"
    if summary.get("cascade_size"):
        numbers["default cascade"] = f"{summary['cascade_size']} firms"
    if "lender_losses" in summary:
        numbers["lenders' losses"] = f"USD {_fmt(summary['lender_losses'])} bn"
    numbers["aipm version / commit"] = (
        f"{params.get('aipm_version', '?')} / {str(params.get('git_commit', '?'))[:10]}"
    )
    return numbers


def _html_page(title: str, numbers: dict[str, str], images: list[tuple[str, str]]) -> bytes:
    rows = "\n".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in numbers.items()
    )
    figs = "\n".join(
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(cap)}">'
        f"<figcaption>{html.escape(cap)}</figcaption></figure>"
        for src, cap in images
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1650px;
       color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ text-align: left; padding: 0.3em 1em; border-bottom: 1px solid #ddd; }}
th {{ color: #555; font-weight: normal; }}
figure {{ margin: 0 0 2.5em 0; }} img {{ max-width: 100%; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 0.95em; }}
</style></head>
<body>
<h1>{html.escape(title)}</h1>
<table>
{rows}
</table>
{figs}
</body></html>
"""
    return page.encode("utf-8")


def build_report(run_dir: Path) -> Path:
    """Write ``dashboard.png``, ``figures/*.png`` and ``report.html`` into a run directory.

    Parameters
    ----------
    run_dir
        Directory with ``params.json``, ``firms.parquet``, ``system.parquet`` and
        ``deals.parquet`` (as written by :func:`runs.output.write_run`).

    Returns
    -------
    Path
        The HTML page.

    Raises
    ------
    FileNotFoundError
        If a file of the run is missing.
    ValueError
        If a table lacks a column the figures need, or has no rows.
    """
    run_dir = Path(run_dir)
    params, firms, system, deals = read_run(run_dir)
    scenario = params.get("scenario", {}).get("name", run_dir.name)
    s = system.sort_values("quarter")
    title = (
        f"aipm run — {scenario}, seed {params.get('seed', '?')}, "
        f"{s['period'].iloc[0]} to {s['period'].iloc[-1]}"
    )
    makers: dict[str, Callable[[], Figure]] = {
        "gauges": lambda: figures.gauges_figure(system),
        "valuations": lambda: figures.valuations_figure(firms),
        "round_trip": lambda: figures.round_trip_figure(firms),
        "buildout": lambda: figures.buildout_figure(system, deals),
        "balance": lambda: figures.balance_figure(firms),
        "minsky": lambda: figures.minsky_figure(firms),
        "defaults": lambda: figures.defaults_figure(firms),
        "markets": lambda: figures.markets_figure(system),
        "network": lambda: figures.network_figure(deals, firms),
    }
    atomic_write_bytes(
        run_dir / "dashboard.png",
        png_bytes(figures.dashboard_figure(firms, system, deals, title=title)),
    )
    images = [("dashboard.png", "The dashboard: every panel on one page.")]
    for stem, make in makers.items():
        atomic_write_bytes(run_dir / "figures" / f"{stem}.png", png_bytes(make()))
        images.append((f"figures/{stem}.png", RUN_FIGURES[stem]))
    page = run_dir / "report.html"
    summary_file = run_dir / "summary.json"
    summary = (
        json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else None
    )
    numbers = key_numbers(params, firms, system, deals, summary)
    atomic_write_bytes(page, _html_page(title, numbers, images))
    return page


# -- sweeps -----------------------------------------------------------------------------
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
}
#: outcomes preferred for the heatmap, in order (the sweep's runs-table metric names)
HEATMAP_METRICS = (
    "lab_valuation_final",
    "total_deployed_gw_final",
    "round_trip_revenue_total",
    "n_defaults",
)


def _read_tables(paths: list[Path]) -> pd.DataFrame | None:
    """Concatenate Parquet/CSV tables; empty files and tables are skipped (None if all are)."""
    frames = []
    for p in sorted(paths):
        if p.suffix == ".parquet":
            frames.append(pd.read_parquet(p))
            continue
        try:
            frames.append(pd.read_csv(p))
        except pd.errors.EmptyDataError:  # an analysis the design did not allow
            continue
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else None


def _analysis_table(folder: Path, name: str) -> pd.DataFrame | None:
    return _read_tables(
        [p for p in (folder / f"{name}.parquet", folder / f"{name}.csv") if p.is_file()]
    )


def sweep_name(sweep_dir: Path) -> str:
    """The sweep's spec name (``params.json``), else the directory's name."""
    try:
        meta = json.loads((sweep_dir / "params.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    name = meta.get("name") if isinstance(meta, dict) else None
    return str(name) if name else sweep_dir.name


def _sweep_parameters(sweep_dir: Path, runs: pd.DataFrame) -> list[str]:
    meta_file = sweep_dir / "params.json"
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        listed = meta.get("parameters") if isinstance(meta, dict) else None
        if listed:
            names = [p["path"] if isinstance(p, dict) else str(p) for p in listed]
            return [n for n in names if n in runs.columns]
    return [c for c in runs.columns if "." in str(c)]


def build_sweep_report(sweep_dir: Path) -> Path:
    """Write the figures of a sweep into ``SWEEP_DIR/report/`` and ``SWEEP_DIR/report.html``.

    Layout read (that of :mod:`runs.sweepstore`; absent parts are skipped):

    * ``runs/*.parquet`` — the runs table, one row per run: parameter columns
      (the ``parameters[].path`` of ``params.json``, else every dotted column
      such as ``demand.bass_q``), metric columns, ``regime``, ``status`` (only
      ``ok`` runs are drawn);
    * ``paths/system/*.parquet`` — per-quarter system paths with ``run_id``
      (fan charts);
    * ``analysis/{sobol,morris,prim}.csv`` (or ``.parquet``) — the tables of
      :mod:`runs.analysis`.

    Raises
    ------
    FileNotFoundError
        If there is no runs table.
    ValueError
        If a table lacks a column its figure needs.
    """
    sweep_dir = Path(sweep_dir)
    runs = _read_tables(sorted((sweep_dir / "runs").glob("*.parquet")))
    if runs is None:
        raise FileNotFoundError(f"{sweep_dir}: no runs table (runs/*.parquet)")
    if "status" in runs.columns:
        runs = runs[runs["status"] == "ok"]
    params = _sweep_parameters(sweep_dir, runs)
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
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(runs[p])]
    if len(numeric) >= 2 and metrics and len(runs):
        outcome = next((m for m in HEATMAP_METRICS if m in metrics), metrics[0])
        x, y = numeric[0], numeric[1]
        fig = sweep_figures.heatmap_figure(runs, x, y, outcome)
        made.append(("heatmap", f"{outcome} over {x} and {y} (median over runs).", fig))
    analysis = sweep_dir / "analysis"
    ranges = {p: (float(runs[p].min()), float(runs[p].max())) for p in numeric if len(runs)}
    for stem, make, caption in (
        ("sobol", sweep_figures.sobol_figure, "Sobol indices (first order and total)."),
        ("morris", sweep_figures.morris_figure, "Morris screening (μ* and σ)."),
        ("prim", lambda t: sweep_figures.prim_figure(t, ranges), "PRIM boxes."),
    ):
        table = _analysis_table(analysis, stem)
        if table is not None:
            made.append((stem, caption, make(table)))
    images = []
    for stem, caption, fig in made:
        atomic_write_bytes(sweep_dir / "report" / f"{stem}.png", png_bytes(fig))
        images.append((f"report/{stem}.png", caption))
    numbers = {
        "runs": str(len(runs)),
        "parameters": ", ".join(params) or "none found",
        "metrics": ", ".join(metrics[:12]) or "none found",
    }
    if "regime" in runs.columns:
        shares = runs["regime"].astype(str).value_counts(normalize=True)
        numbers["regimes"] = ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
    page = sweep_dir / "report.html"
    name = sweep_name(sweep_dir)
    atomic_write_bytes(page, _html_page(f"aipm sweep — {name}", numbers, images))
    return page
