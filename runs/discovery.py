"""Scenario discovery with PRIM: which region of parameter space leads to an outcome.

PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999) peels a box off
the parameter space, a few percent at a time, keeping the cases of interest
(e.g. runs that end in a ``cascade``) inside; the trajectory of boxes trades
coverage (share of all cases of interest inside the box) against density (share
of the box's cases that are of interest). We use the EMA Workbench's maintained
implementation (``ema_workbench.analysis.prim``, ema-workbench 3.0; Kwakkel 2017)
and pick one box per trajectory by a documented rule (see :func:`prim_boxes`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["PRIM_COLUMNS", "prim_boxes"]

PRIM_COLUMNS = [
    "box",
    "parameter",
    "low",
    "high",
    "qp_low",
    "qp_high",
    "coverage",
    "density",
    "mass",
    "res_dim",
    "n_cases",
    "meets_threshold",
]


def import_prim():
    """``ema_workbench.analysis.prim``, without its import-time notices.

    ema-workbench 3.0 warns at import that the optional ``ipyparallel`` is absent
    (a feature we do not use); that one warning is silenced here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
        from ema_workbench.analysis import prim
    return prim


def prim_boxes(
    x: pd.DataFrame,
    y: np.ndarray | pd.Series,
    *,
    threshold: float = 0.8,
    mass_min: float = 0.05,
    peel_alpha: float = 0.05,
    max_boxes: int = 3,
) -> pd.DataFrame:
    """PRIM scenario discovery: boxes of parameter space where ``y`` is mostly true.

    Each box is chosen on its peeling trajectory as the one of largest coverage
    among those with density ≥ ``threshold`` (if none reaches it: the densest,
    flagged ``meets_threshold = False``, and the search stops). Up to
    ``max_boxes`` boxes are found, each on the cases the previous ones left.

    Parameters
    ----------
    x : pandas.DataFrame
        One row per case (run), one column per parameter (numeric, bool or string).
    y : array_like of bool
        Case of interest (e.g. ``regime == "cascade"``).
    threshold : float
        Minimum density (share of cases of interest inside the box), in ``(0, 1]``.
    mass_min, peel_alpha : float
        PRIM's minimum box mass and peeling fraction.
    max_boxes : int
        Most boxes to return.

    Returns
    -------
    pandas.DataFrame
        One row per restricted parameter of each box (columns :data:`PRIM_COLUMNS`):
        ``low``/``high`` bounds (for a categorical parameter ``low`` lists the
        kept values and ``high`` is empty), quasi-p-values of each bound, and the
        box's coverage, density, mass, number of restricted dimensions and cases
        of interest. Empty if ``y`` is all false or all true. (:func:`analyze`
        adds ``range_min``/``range_max``: the sampled range, NaN for levels.)
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    y = np.asarray(y, dtype=bool)
    if len(y) != len(x):
        raise ValueError(f"y has {len(y)} values, x {len(x)} rows")
    if not y.any() or y.all():
        return pd.DataFrame(columns=PRIM_COLUMNS)
    xx = x.reset_index(drop=True).copy()
    for col in xx.columns:
        if xx[col].dtype == bool or str(xx[col].dtype) in ("boolean", "string", "object", "str"):
            xx[col] = xx[col].astype(str).astype("category")
        elif pd.api.types.is_integer_dtype(xx[col]):
            # PRIM pastes a box's bound half-way between two values (e.g. 10.5), which
            # pandas refuses to write into an integer column of the box limits
            xx[col] = xx[col].astype(float)
    prim = import_prim()
    rows: list[dict] = []
    with warnings.catch_warnings():
        # ema-workbench 3.0 calls DataFrame.drop(inplace=True), deprecated by pandas 3.1
        warnings.filterwarnings(
            "ignore", message="The inplace keyword", module=r"ema_workbench\..*"
        )
        finder = prim.Prim(xx, y.astype(int), mass_min=mass_min, peel_alpha=peel_alpha)
        for k in range(max_boxes):
            box = finder.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory
            ok = traj.index[traj["density"] >= threshold]
            meets = len(ok) > 0
            i = int(traj.loc[ok, "coverage"].idxmax()) if meets else int(traj["density"].idxmax())
            box.select(i)
            stats = traj.loc[i]
            base = {
                "box": k,
                "coverage": float(stats["coverage"]),
                "density": float(stats["density"]),
                "mass": float(stats["mass"]),
                "res_dim": int(stats["res_dim"]),
                "n_cases": int(stats["k"]),
                "meets_threshold": meets,
            }
            # box_lims[i]: rows min/max, a column per parameter (a set for categories);
            # p_values[i]: quasi-p-values of the lower/upper bound of each restricted one
            lims, qps = box.box_lims[i], box.p_values[i]
            for name, (qp_low, qp_high) in qps.items():
                low, high = lims[name].iloc[0], lims[name].iloc[1]
                if isinstance(low, (set, frozenset)):
                    low, high = ", ".join(sorted(map(str, low))), ""
                rows.append(
                    {
                        **base,
                        "parameter": name,
                        "low": low,
                        "high": high,
                        "qp_low": qp_low if qp_low >= 0 else np.nan,
                        "qp_high": qp_high if qp_high >= 0 else np.nan,
                    }
                )
            if not meets:
                break
    return pd.DataFrame(rows, columns=PRIM_COLUMNS)
