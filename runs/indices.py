"""Sensitivity indices of a table of outputs: Sobol, Morris, and the seed's share of variance.

Kernels: DataFrames in, DataFrames out; they know nothing about sweep directories
(:func:`runs.analysis.analyze` applies them to one), so they can be checked on
analytic functions (Ishigami, linear).

* :func:`sobol_indices`, :func:`sobol_second_order` — first-, total- and
  second-order indices with bootstrap confidence intervals
  (:func:`SALib.analyze.sobol.analyze`), on a Sobol (Saltelli) design;
* :func:`morris_indices` — μ, μ*, σ of the elementary effects
  (:func:`SALib.analyze.morris.analyze`), on a Morris design;
* :func:`point_means` — replicate means per design point (what the indices are
  computed on for a stochastic model);
* :func:`seed_noise` — each output's share of variance due to the seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "INFLUENCE",
    "SEED_NOISE_COLUMNS",
    "morris_indices",
    "point_means",
    "seed_noise",
    "sobol_indices",
    "sobol_second_order",
]


INFLUENCE = {"sobol": "ST", "morris": "mu_star"}
"""The index that ranks a design's parameters by influence: Sobol's total order, Morris μ*."""


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

    # SALib seeds its bootstrap only for a truthy seed (``if seed:``), so seed 0 gave
    # different confidence intervals on every call; it gets ours plus one (never 0)
    kw = {**kw, "seed": int(kw["seed"]) + 1} if "seed" in kw else kw
    if np.ptp(y) == 0:  # no variance to decompose
        d = len(parameters)
        nan1, nan2 = np.full(d, np.nan), np.full((d, d), np.nan)
        keys1, keys2 = ("S1", "S1_conf", "ST", "ST_conf"), ("S2", "S2_conf")
        return {**{k: nan1 for k in keys1}, **{k: nan2 for k in keys2}}
    return sobol.analyze(_problem(parameters), y, calc_second_order=second_order, **kw)


def _sobol_per_metric(
    outputs: pd.DataFrame, parameters: Sequence[str], second_order: bool, **kw: float
):
    """``(metric, SALib result)`` for each output column, after checking the outputs."""
    _check_outputs(outputs)
    for metric in outputs.columns:
        yield (
            metric,
            _sobol_raw(outputs[metric].to_numpy(np.float64), parameters, second_order, **kw),
        )


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
    rows = []
    kw = {"num_resamples": num_resamples, "conf_level": conf_level, "seed": seed}
    for metric, res in _sobol_per_metric(outputs, parameters, second_order, **kw):
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
    rows = []
    kw = {"num_resamples": num_resamples, "conf_level": conf_level, "seed": seed}
    for metric, res in _sobol_per_metric(outputs, parameters, True, **kw):
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


SEED_NOISE_COLUMNS = [
    "metric",
    "seed_share",
    "total_variance",
    "seed_variance",
    "replicates",
    "points",
    "mean_noise_share",
]


def seed_noise(runs: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    r"""Share of each metric's variance due to the seed, from replicates of design points.

    With :math:`y_{ir}` replicate :math:`r` of point :math:`i`, the seed's share is
    :math:`E_i[\mathrm{Var}_r(y_{ir})] / \mathrm{Var}(y)` (pooled within-point
    variance over total variance; 1 when every point is one set of parameters). Both
    are unbiased estimates, and their ratio can exceed 1 when the parameters move the
    metric less than the seed does (few points or replicates); :func:`runs.analysis.analyze`
    then adds a note.
    ``mean_noise_share`` is what the seed leaves in the replicate means that Sobol
    and Morris see: :math:`(\sigma^2_{seed}/R) / \mathrm{Var}(\bar y_i)`.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``point_id``, ``status`` and the metric columns, one row per run.
    metrics : sequence of str
        Numeric columns.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SEED_NOISE_COLUMNS`, one row per metric (NaN where a metric
        is constant or no point has two successful replicates).
    """
    ok = runs[runs["status"] == "ok"]
    rows = []
    for m in metrics:
        y = ok[["point_id", m]].dropna()
        groups = y.groupby("point_id")[m]
        sizes = groups.size()
        multi = sizes[sizes >= 2].index
        within = y[y["point_id"].isin(multi)].groupby("point_id")[m].var(ddof=1)
        total = float(y[m].var(ddof=1)) if len(y) > 1 else float("nan")
        seed_var = float(within.mean()) if len(within) else float("nan")
        means = groups.mean()
        reps = float(sizes.mean()) if len(sizes) else float("nan")
        var_means = float(means.var(ddof=1)) if len(means) > 1 else float("nan")
        rows.append(
            {
                "metric": m,
                "seed_share": seed_var / total if total > 0 else float("nan"),
                "total_variance": total,
                "seed_variance": seed_var,
                "replicates": reps,
                "points": int(len(sizes)),
                "mean_noise_share": seed_var / reps / var_means if var_means > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=SEED_NOISE_COLUMNS)


def _per_parameter(metric: str, parameters, res, keys: tuple[str, ...]) -> list[dict]:
    """One tidy row per parameter from a SALib result: metric, parameter and ``keys``."""
    return [
        {"metric": metric, "parameter": name, **{k: res[k][j] for k in keys}}
        for j, name in enumerate(parameters)
    ]
