"""Figures of sweeps and replicates: pure functions, DataFrames in, ``Figure`` out.

Inputs are plain tables, so the figures do not depend on the sweep's file layout:

* a runs table — one row per run, parameter columns and metric columns
  (and a ``regime`` label when the stress module records one);
* paths — one row per run and quarter, with a run id column;
* analysis results — Sobol indices, Morris indices, PRIM boxes (column names in
  each function's docstring).

Like :mod:`runs.figures`, every function raises :class:`ValueError` naming the
argument and the missing column or bad value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from runs import style
from runs.figures import GAUGES, check_frame, column_label, new_figure
from runs.style import styled
from world.regimes import RegimeRules

__all__ = [
    "REGIME_MAP_COLUMNS",
    "fan_chart_figure",
    "heatmap_figure",
    "importance_figure",
    "importance_table",
    "morris_figure",
    "prim_figure",
    "regime_map_figure",
    "regime_shares_figure",
    "sobol_figure",
]

REGIME_ORDER = ("boom", "soft_landing", "crash_recovered", "bust", "cascade")


def fan_chart_figure(
    paths: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    run_col: str = "run_id",
    quarter_col: str = "quarter",
) -> Figure:
    """Median and 5–95 % / 25–75 % bands across runs of per-quarter paths.

    Parameters
    ----------
    paths
        One row per run and quarter: ``run_col``, ``quarter_col`` and the columns.
    columns
        Columns to draw, one panel each (default: the three gauges and the lab
        valuation, those present).
    """
    if columns is None:
        cols = [
            c
            for c in (*GAUGES, "lab_valuation")
            if isinstance(paths, pd.DataFrame) and c in paths.columns
        ]
        if not cols:
            raise ValueError(
                f"paths: none of the default columns {', '.join((*GAUGES, 'lab_valuation'))}"
            )
    else:
        cols = list(columns)
        if not cols:
            raise ValueError("columns: give at least one column to draw")
    check_frame(paths, "paths", required=(run_col,), numeric=(quarter_col, *cols))
    ncols = min(len(cols), 2 if len(cols) == 4 else 3)
    nrows = int(np.ceil(len(cols) / ncols))
    n_runs = paths[run_col].nunique()
    with styled():
        fig = new_figure((5.2 * ncols, 3.9 * nrows))
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for k, (ax, col) in enumerate(zip(axes, cols, strict=False)):
            title, unit, factor = column_label(col)
            q = paths.groupby(quarter_col)[col].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
            q = q * factor
            colour = style.OKABE_ITO[k % len(style.OKABE_ITO)]
            ax.fill_between(
                q.index, q[0.05], q[0.95], color=colour, alpha=0.18, lw=0, label="5–95 %"
            )
            ax.fill_between(
                q.index, q[0.25], q[0.75], color=colour, alpha=0.35, lw=0, label="25–75 %"
            )
            ax.plot(q.index, q[0.5], color=colour, label="median")
            ax.set_title(title)
            ax.set_ylabel(unit)
            ax.set_xlabel(quarter_col)
            ax.legend(loc="best")
        for ax in axes[len(cols) :]:
            ax.set_visible(False)
        fig.suptitle(f"Across {n_runs} runs: median and bands", fontweight="bold")
    return fig


def regime_shares_figure(
    runs: pd.DataFrame, regime_col: str = "regime", by: str | None = None, bins: int = 4
) -> Figure:
    """Share of runs in each regime, overall or per bin of the parameter ``by``.

    A parameter with at most ``bins`` distinct values (a switch, a grid's levels) gets a
    bar per value; a continuous one is cut into ``bins`` equal-width bins.
    """
    check_frame(runs, "runs", required=(regime_col,), numeric=(by,) if by else ())
    if bins < 1:
        raise ValueError(f"bins: must be at least 1, got {bins}")
    labels = runs[regime_col].astype(str)
    order = [r for r in REGIME_ORDER if r in set(labels)] + sorted(set(labels) - set(REGIME_ORDER))
    colours = [style.REGIME_COLOURS.get(r, style.GREY) for r in order]
    with styled():
        fig = new_figure((9.0, 4.5))
        ax = fig.subplots()
        if by is None:
            shares = labels.value_counts(normalize=True).reindex(order, fill_value=0) * 100
            ax.bar([r.replace("_", " ") for r in order], shares.to_numpy(), color=colours)
            for x, v in enumerate(shares):
                ax.text(x, v, f"{v:.0f} %", ha="center", va="bottom", fontsize=9)
            ax.set_title(f"Regimes across {len(runs)} runs")
            ax.set_xlabel("regime")
        else:
            levels = runs[by].nunique() <= bins  # a switch or a grid's levels: a bar each
            groups = runs[by] if levels else pd.cut(runs[by], bins=bins, include_lowest=True)
            table = (
                pd.crosstab(groups, labels, normalize="index").reindex(columns=order, fill_value=0)
                * 100
            )
            bottom = np.zeros(len(table))
            names = [
                _level(v) if levels else f"{_number(v.left)}–{_number(v.right)}"
                for v in table.index
            ]
            for regime, colour in zip(order, colours, strict=True):
                ax.bar(
                    names,
                    table[regime].to_numpy(),
                    bottom=bottom,
                    color=colour,
                    label=regime.replace("_", " "),
                )
                bottom += table[regime].to_numpy()
            ax.set_title(f"Regimes by {by} ({len(runs)} runs)")
            ax.set_xlabel(by)
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="regime")
        ax.set_ylabel("% of runs")
    return fig


#: Runs-table columns :func:`regime_map_figure` reads (the suite's rows have them).
REGIME_MAP_COLUMNS = ("regime", "regime_value_drawdown", "regime_value_end_to_peak")


def regime_map_figure(
    runs: pd.DataFrame, rules: RegimeRules | None = None, by: str | None = "scenario"
) -> Figure:
    """Each run at its AI-exposed value's largest fall and end-to-peak, one panel per ``by``.

    The rules on the AI-exposed value split the square: a fall of at least
    ``crash_drawdown`` is a crash, recovered if the value ends at least
    ``recovery_share`` of its peak (otherwise a bust); runs left of the crash line
    are a boom or a soft landing unless the network's AI revenue collapsed or a firm
    defaulted (a bust or a cascade there). Each dot is one run in its label's colour,
    so a reader sees how far from a line each label was decided.

    ``by`` names the column that splits the runs into panels (a validation suite's
    ``scenario``); ``None`` draws one panel of all runs (a sweep). Rows whose
    ``status`` is not ``ok`` are left out.

    Raises
    ------
    ValueError
        If ``runs`` lacks a column of :data:`REGIME_MAP_COLUMNS` (a runs table written
        before the suite recorded them) or the column ``by``.
    """
    missing = [c for c in REGIME_MAP_COLUMNS if c not in runs.columns]
    if missing:
        raise ValueError(f"runs: no column {missing[0]!r} (a table from before aipm recorded it)")
    if by is not None and by not in runs.columns:
        raise ValueError(f"by: runs has no column {by!r}")
    rules = RegimeRules() if rules is None else rules
    ok = runs[runs["status"] == "ok"] if "status" in runs.columns else runs
    if by is None:
        ok = ok.assign(_panel="all runs")
        by = "_panel"
    names = list(dict.fromkeys(ok[by]))
    ncols = min(4, max(len(names), 1))
    nrows = max(int(np.ceil(len(names) / ncols)), 1)
    present = [r for r in REGIME_ORDER if (ok["regime"] == r).any()]
    with styled():
        fig = new_figure((max(3.2 * ncols + 1.6, 7.0), max(2.9 * nrows + 0.8, 5.0)))
        axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()
        for ax, name in zip(axes, names, strict=False):
            mine = ok[ok[by] == name]
            x = mine["regime_value_drawdown"].to_numpy(float)
            y = mine["regime_value_end_to_peak"].to_numpy(float)
            labels = mine["regime"].to_numpy(str)
            for regime in REGIME_ORDER:
                here = labels == regime
                if here.any():
                    ax.scatter(
                        x[here], y[here], s=14, alpha=0.75, lw=0,
                        color=style.REGIME_COLOURS.get(regime, style.GREY),
                    )  # fmt: skip
            ax.axvline(rules.crash_drawdown, color=style.GREY, ls="--", lw=1)
            # xmin is a fraction of the axis, which spans falls of 0 to 1: the crash line
            ax.axhline(
                rules.recovery_share, xmin=rules.crash_drawdown, color=style.GREY, lw=1, ls=":"
            )
            ax.set_title(f"{name} ({len(mine)} runs)", fontsize=9.5)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
        for ax in axes[len(names) :]:
            ax.set_visible(False)
        for ax in axes[::ncols]:
            ax.set_ylabel("value at the end / peak")
        for ax in axes[max(len(names) - ncols, 0) : len(names)]:
            ax.set_xlabel("largest fall from peak")
        handles = [
            Line2D([], [], ls="", marker="o", color=style.REGIME_COLOURS.get(r, style.GREY))
            for r in present
        ]
        labels = [r.replace("_", " ") for r in present]
        if len(names) < axes.size:  # the first empty panel holds the legend
            spare = axes[len(names)]
            spare.set_visible(True)
            spare.axis("off")
            spare.legend(handles, labels, loc="center", title="regime")
        else:  # above the recovery line right of the crash line: rarely a run there
            axes[len(names) - 1].legend(handles, labels, loc="upper right", title="regime")
        fig.suptitle(
            "Regime map: the AI-exposed value of each run\n"
            f"dashed: a fall of {rules.crash_drawdown:.0%} is a crash; "
            f"dotted: recovered at {rules.recovery_share:.0%} of the peak"
        )
    return fig


def _metric_column(table: pd.DataFrame) -> str | None:
    return next((c for c in ("metric", "output") if c in table.columns), None)


def _metrics(table: pd.DataFrame) -> list[object]:
    col = _metric_column(table)
    return list(dict.fromkeys(table[col])) if col else [None]


def _rows_of(table: pd.DataFrame, metric: object) -> pd.DataFrame:
    col = _metric_column(table)
    return table if col is None or metric is None else table[table[col] == metric]


def sobol_figure(indices: pd.DataFrame) -> Figure:
    """First-order (S1) and total (ST) Sobol indices per parameter, with confidence bars.

    ``indices`` has columns ``parameter``, ``S1``, ``ST`` and optionally ``S1_conf``,
    ``ST_conf`` and ``metric`` (one panel per metric, three per row), as returned by
    :func:`runs.analysis.sobol_indices`.
    """
    check_frame(indices, "indices", required=("parameter",), numeric=("S1", "ST"))
    metrics = _metrics(indices)
    n_par = indices["parameter"].nunique()
    ncols = min(len(metrics), 3)
    nrows = int(np.ceil(len(metrics) / ncols))
    height = max(3.5, 2.0 + 0.5 * n_par)
    with styled():
        fig = new_figure((6.5 * ncols, height * nrows))
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for ax, metric in zip(axes, metrics, strict=False):
            t = _rows_of(indices, metric).sort_values("ST", na_position="first")
            y = np.arange(len(t))
            for k, col in enumerate(("S1", "ST")):
                err = t[f"{col}_conf"].to_numpy() if f"{col}_conf" in t.columns else None
                ax.barh(
                    y + (k - 0.5) * 0.38,
                    t[col].to_numpy(),
                    height=0.38,
                    xerr=err,
                    color=style.OKABE_ITO[k],
                    label={"S1": "first order S1", "ST": "total ST"}[col],
                    error_kw={"lw": 1, "ecolor": "#333333"},
                )
            ax.set_yticks(y, t["parameter"].astype(str).tolist())
            ax.set_xlabel("Sobol index (share of output variance)")
            ax.set_title("Sobol indices" + (f": {metric}" if metric is not None else ""))
            if t[["S1", "ST"]].isna().all(axis=None):
                _note_centre(ax, "constant output: no variance to decompose")
            ax.legend(loc="lower right")
        for ax in axes[len(metrics) :]:
            ax.set_visible(False)
    return fig


def _note_centre(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color=style.GREY, transform=ax.transAxes)


def morris_figure(indices: pd.DataFrame, metric: str | None = None) -> Figure:
    """Morris screening: μ* per parameter (bars) and μ* versus σ (scatter), per metric.

    ``indices`` has columns ``parameter``, ``mu_star``, ``sigma`` and optionally
    ``mu_star_conf`` and ``metric``, as returned by :func:`runs.analysis.morris_indices`;
    one row of two panels per metric, or only ``metric`` when given.
    """
    check_frame(indices, "indices", required=("parameter",), numeric=("mu_star", "sigma"))
    metrics = _metrics(indices)
    if metric is not None and metric not in metrics:
        raise ValueError(f"metric: {metric!r} is not in indices (has: {metrics})")
    chosen = metrics if metric is None else [metric]
    n_par = _rows_of(indices, chosen[0])["parameter"].nunique()
    height = max(4.0, 2.0 + 0.45 * n_par)
    with styled():
        fig = new_figure((12.0, height * len(chosen)))
        rows = np.atleast_2d(fig.subplots(len(chosen), 2))
        for (ax1, ax2), m in zip(rows, chosen, strict=True):
            _morris_panels(ax1, ax2, _rows_of(indices, m).sort_values("mu_star"), m)
    return fig


def _morris_panels(ax1, ax2, t: pd.DataFrame, metric: object) -> None:
    y = np.arange(len(t))
    err = t["mu_star_conf"].to_numpy() if "mu_star_conf" in t.columns else None
    ax1.barh(y, t["mu_star"].to_numpy(), xerr=err, color=style.OKABE_ITO[0], error_kw={"lw": 1})
    ax1.set_yticks(y, t["parameter"].astype(str).tolist())
    ax1.set_xlabel("μ* (mean absolute elementary effect, output units)")
    ax1.set_title("Morris screening" + (f": {metric}" if metric is not None else ""))
    ax2.scatter(t["mu_star"], t["sigma"], color=style.OKABE_ITO[1], s=40, zorder=3)
    for row in t.itertuples(index=False):
        ax2.annotate(
            str(row.parameter),
            (row.mu_star, row.sigma),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=8,
        )
    ax2.set_xlabel("μ* (importance)")
    ax2.set_ylabel("σ (non-linearity / interactions)")
    ax2.set_title("μ* versus σ" + (f": {metric}" if metric is not None else ""))


IMPORTANCE = {
    "mu_star": "Morris μ* of each parameter,\nrelative to the metric's most influential (= 1)",
    "ST": "Sobol total-order index ST of each parameter\n(share of the metric's variance)",
}
"""The index each overview shows, and its title (:func:`importance_figure`)."""


def importance_table(indices: pd.DataFrame, value: str) -> pd.DataFrame:
    """Metrics × parameters table of one index, for an overview of many metrics.

    ``value`` is ``"mu_star"`` (Morris: each metric's row divided by its largest μ*, so
    1 marks the metric's most influential parameter and metrics in different units
    compare) or ``"ST"`` (Sobol: the total-order index as it is, a share of variance).
    Rows keep the metrics' order; columns go from the most to the least important
    parameter on average; a metric whose indices are all missing or zero is left out.
    """
    if value not in IMPORTANCE:
        raise ValueError(f"value: must be one of {', '.join(IMPORTANCE)}, got {value!r}")
    col = _metric_column(indices)
    check_frame(indices, "indices", required=("parameter",), numeric=(value,))
    if col is None:
        indices = indices.assign(metric="output")
        col = "metric"
    table = indices.pivot_table(index=col, columns="parameter", values=value, sort=False)
    table = table.loc[[m for m in _metrics(indices) if m in table.index]]
    if value == "mu_star":
        top = table.abs().max(axis=1)
        table = table.div(top.where(top > 0), axis=0)
    table = table.loc[~(table.fillna(0.0) == 0.0).all(axis=1)]  # all missing or zero
    order = table.mean(axis=0).sort_values(ascending=False).index
    return table[order]


def importance_figure(indices: pd.DataFrame, value: str) -> Figure:
    """Heat map of :func:`importance_table`: which parameters matter for which metric."""
    table = importance_table(indices, value)
    with styled():
        fig = new_figure((max(7.0, 2.2 + 0.75 * table.shape[1]), 2.0 + 0.42 * max(len(table), 1)))
        ax = fig.subplots()
        if table.empty:
            _note_centre(ax, "no metric varies over the design")
            return fig
        sns.heatmap(
            table,
            ax=ax,
            cmap="cividis",
            vmin=0.0,
            vmax=1.0,
            annot=table.map(lambda v: "" if pd.isna(v) else f"{v:.2f}").to_numpy(),
            fmt="",
            cbar=False,
        )
        ax.grid(False)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticklabels(ax.get_xticklabels(), rotation=35, ha="right")
        ax.set_title(IMPORTANCE[value])
    return fig


def prim_figure(
    boxes: pd.DataFrame, ranges: dict[str, tuple[float, float]] | None = None
) -> Figure:
    """PRIM boxes: the restricted range of each parameter within its sampled range.

    Parameters
    ----------
    boxes
        One row per box and restricted parameter, as returned by
        :func:`runs.analysis.prim_boxes`: ``parameter``, ``low``, ``high`` and
        optionally ``box``, ``coverage``, ``density`` (fractions, shown in the
        title). A categorical parameter has the kept values in ``low`` and an empty
        ``high``. Columns ``range_min``, ``range_max`` may give the sampled ranges.
    ranges
        Parameter → (min, max) sampled; needed for numeric parameters unless
        ``boxes`` has ``range_min``/``range_max``. At most four boxes are drawn.
    """
    check_frame(boxes, "boxes", required=("parameter", "low", "high"))
    numeric = (
        pd.to_numeric(boxes["low"], errors="coerce").notna()
        & pd.to_numeric(boxes["high"], errors="coerce").notna()
    )
    lims: dict[str, tuple[float, float]] = dict(ranges or {})
    if {"range_min", "range_max"} <= set(boxes.columns):
        for row in boxes.itertuples(index=False):
            lims.setdefault(str(row.parameter), (float(row.range_min), float(row.range_max)))
    for name in boxes.loc[numeric, "parameter"].astype(str).unique():
        if name not in lims:
            raise ValueError(f"ranges: no sampled range for parameter {name!r}")
        lo, hi = lims[name]
        if not hi > lo:
            raise ValueError(f"ranges: {name}: max must be greater than min, got ({lo}, {hi})")
    ids = (list(dict.fromkeys(boxes["box"])) if "box" in boxes.columns else [None])[:4]
    n_par = boxes["parameter"].nunique()
    with styled():
        fig = new_figure((6.5 * len(ids), max(3.5, 1.8 + 0.55 * n_par)))
        axes = np.atleast_1d(fig.subplots(1, len(ids))).ravel()
        for ax, box in zip(axes, ids, strict=True):
            t = boxes if box is None else boxes[boxes["box"] == box]
            _draw_box(ax, t, numeric[t.index], lims)
            stats = [f"{k} {t[k].iloc[0]:.0%}" for k in ("coverage", "density") if k in t.columns]
            name = "PRIM box" + (f" {box}" if box is not None else "")
            ax.set_title(name + (f" ({', '.join(stats)})" if stats else ""))
    return fig


def _draw_box(ax, t: pd.DataFrame, numeric: pd.Series, lims: dict) -> None:
    y = np.arange(len(t))
    ax.barh(y, np.ones(len(t)), color="#EEEEEE", height=0.6, label="sampled range")
    for k, (row, is_num) in enumerate(zip(t.itertuples(index=False), numeric, strict=True)):
        if not is_num:
            ax.text(0.02, k, f"kept: {row.low}", va="center", fontsize=8)
            continue
        rmin, rmax = lims[str(row.parameter)]
        lo = float(np.clip((float(row.low) - rmin) / (rmax - rmin), 0, 1))
        hi = float(np.clip((float(row.high) - rmin) / (rmax - rmin), 0, 1))
        ax.barh(
            k,
            hi - lo,
            left=lo,
            color=style.OKABE_ITO[0],
            height=0.6,
            label="box" if k == int(np.argmax(numeric.to_numpy())) else None,
        )
        ax.text(lo, k + 0.42, _number(float(row.low)), ha="left", fontsize=8)
        ax.text(hi, k + 0.42, _number(float(row.high)), ha="right", fontsize=8)
    ax.set_yticks(y, t["parameter"].astype(str).tolist())
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(t) - 0.1)
    ax.set_xlabel("position within the sampled range (0 = min, 1 = max)")
    ax.legend(loc="lower right", fontsize=7.5)


#: Fewest runs a heatmap cell should hold on average (else the axis gets fewer bins).
MIN_RUNS_PER_CELL = 4


def heatmap_figure(
    runs: pd.DataFrame, x: str, y: str, outcome: str, *, agg: str = "median", bins: int = 6
) -> Figure:
    """Outcome (aggregated over runs) on a grid of two swept parameters.

    A parameter with at most ``bins`` distinct values (a grid or levels) keeps
    them; a continuous one (a Latin hypercube, Sobol or Morris design) is cut into
    equal-count bins, as many as keep about :data:`MIN_RUNS_PER_CELL` runs per cell
    (2 to ``bins``), so no row or column is empty. When both parameters are
    continuous, each design point is drawn as a dot coloured by the outcome instead
    (a binned grid of a space-filling design is mostly empty cells); with
    replicates, by the mean over its seeds, sized by their spread
    (:func:`_scatter_map`).
    """
    check_frame(runs, "runs", numeric=(x, y, outcome))
    if x == y:
        raise ValueError(f"x and y: must be two different parameters, got {x!r} twice")
    if agg not in {"mean", "median", "min", "max"}:
        raise ValueError(f"agg: must be one of mean, median, min, max, got {agg!r}")
    if bins < 2:
        raise ValueError(f"bins: must be at least 2, got {bins}")
    discrete = {c: runs[c].nunique() <= bins for c in (x, y)}
    if not discrete[x] and not discrete[y]:
        return _scatter_map(runs, x, y, outcome)

    def axis(col: str, other: str) -> pd.Series:
        values = runs[col]
        if discrete[col]:
            return values.round(6)
        k = int(np.clip(len(runs) // (MIN_RUNS_PER_CELL * runs[other].nunique()), 2, bins))
        cut = pd.qcut(values, q=k, duplicates="drop")
        return cut.map(lambda iv: round(float(iv.mid), 6)).astype(float)

    table = runs.assign(_x=axis(x, y), _y=axis(y, x)).pivot_table(
        index="_y", columns="_x", values=outcome, aggfunc=agg, observed=True
    )
    title, unit, factor = column_label(outcome)
    with styled():
        fig = new_figure((9.0, 6.5))
        ax = fig.subplots()
        shown = table.sort_index(ascending=False) * factor
        labels = shown.map(
            lambda v: "" if pd.isna(v) else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
        )
        sns.heatmap(
            shown,
            ax=ax,
            cmap="cividis",
            annot=labels.to_numpy() if table.size <= 64 else False,
            fmt="",
            cbar_kws={"label": f"{agg} {title}" + (f" ({unit})" if unit else "")},
        )
        ax.grid(False)
        ax.set_xlabel(x + ("" if discrete[x] else " (bin centre)"))
        ax.set_ylabel(y + ("" if discrete[y] else " (bin centre)"))
        ax.set_xticklabels([_tick(t.get_text()) for t in ax.get_xticklabels()])
        ax.set_yticklabels([_tick(t.get_text()) for t in ax.get_yticklabels()])
        ax.set_title(f"{title}: {agg} over runs,\nby {x} and {y}")
    return fig


def _tick(text: str) -> str:
    """A tick label of a swept value: a number to three significant digits, else as it is.

    A switch's levels (``True``/``False``) are not numbers.
    """
    try:
        return _number(float(text))
    except ValueError:
        return text


def _level(v: object) -> str:
    """A level of a swept parameter as a label: True/False, or a number (:func:`_number`)."""
    return str(v) if isinstance(v, (bool, np.bool_)) else _number(float(v))  # type: ignore[arg-type]


def _number(v: float) -> str:
    """A swept value as a label: whole numbers from 1,000 up (not 1.7e+03), else 3 digits."""
    return f"{v:,.0f}" if 1000 <= abs(v) < 1e15 else f"{v:.3g}"


#: Marker area (points²) of a dot: the smallest, and the extra one for the largest seed spread.
DOT_AREA, SPREAD_AREA = 36.0, 300.0


def _scatter_map(runs: pd.DataFrame, x: str, y: str, outcome: str) -> Figure:
    """Each design point a dot at its two parameter values, coloured by the outcome.

    A point is a ``point_id`` (the sweep's runs table has one), else a pair of ``x``
    and ``y`` values. With one run per point each run is a dot, as its outcome. With
    replicates (seeds) the dot is coloured by the mean over the point's seeds and its
    area grows with their spread (standard deviation): replicates share ``x`` and
    ``y``, so drawn one by one they would hide each other and show the last seed only.
    """
    title, unit, factor = column_label(outcome)
    unit_label = f" ({unit})" if unit else ""
    key: str | list[str] = "point_id" if "point_id" in runs.columns else [x, y]
    points = runs.groupby(key, sort=False, dropna=False).agg(
        _x=(x, "first"),
        _y=(y, "first"),
        mean=(outcome, "mean"),
        sd=(outcome, "std"),
        n=(outcome, "size"),
    )
    with styled():
        fig = new_figure((9.0, 6.5))
        ax = fig.subplots()
        if points["n"].max() <= 1:  # no replicates: every run is a point
            dots = ax.scatter(
                runs[x],
                runs[y],
                c=runs[outcome] * factor,
                cmap="cividis",
                s=DOT_AREA,
                edgecolors="none",
            )
            fig.colorbar(dots, ax=ax, label=title + unit_label)
            ax.set_title(f"{title} of each run ({len(runs)} runs),\nby {x} and {y}")
        else:
            sd = points["sd"].fillna(0.0) * abs(factor)  # one run left at a point: no spread
            top = float(sd.max())
            area = DOT_AREA + (SPREAD_AREA * sd / top if top > 0 else 0.0)
            dots = ax.scatter(
                points["_x"],
                points["_y"],
                c=points["mean"] * factor,
                cmap="cividis",
                s=area,
                edgecolors="0.25",
                linewidths=0.6,
            )
            fig.colorbar(dots, ax=ax, label=f"mean {title}{unit_label}")
            if top > 0:
                handles = [
                    Line2D(
                        [],
                        [],
                        ls="none",
                        marker="o",
                        color="0.6",
                        markeredgecolor="0.25",
                        markersize=float(np.sqrt(DOT_AREA + SPREAD_AREA * v / top)),
                    )
                    for v in (top / 3, 2 * top / 3, top)
                ]
                labels = [_number(v) for v in (top / 3, 2 * top / 3, top)]
                ax.legend(
                    handles,
                    labels,
                    title=f"sd over seeds{unit_label}",
                    loc="best",
                    fontsize="small",
                    title_fontsize="small",
                    labelspacing=1.2,
                )
            low, high = int(points["n"].min()), int(points["n"].max())
            seeds = f"{high} seeds" if low == high else f"{low}–{high} seeds"
            ax.set_title(
                f"{title}: mean over seeds ({len(points)} points × {seeds}),\nby {x} and {y}"
            )
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    return fig
