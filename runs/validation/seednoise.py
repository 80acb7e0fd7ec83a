"""Seed noise, measured: the Sobol sweep with replicates, and its checks (full suite only).

Sobol indices assume a deterministic function; the model is stochastic. The sweep
of ``scenarios/sweeps/sobol.toml`` repeats every design point with several seeds,
:func:`runs.indices.seed_noise` measures each output's share of variance due to the
seed, and the indices are computed on the replicate means (:func:`runs.analysis.analyze`).
The checks ask what ten Broeke et al. (2016, *JASSS* 19(1) 5) ask of an ABM's
sensitivity analysis: indices in ``[0, 1]`` within their confidence intervals, and
first-order half-widths of the main outputs at most :data:`HALF_WIDTH_MAX`.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from runs.validation.checks import NAN, Check

__all__ = [
    "FAMILY_LEVEL",
    "HALF_WIDTH_MAX",
    "MAIN_OUTPUTS",
    "SensitivityResult",
    "family_scale",
    "run_sensitivity",
]

#: Continuous main outputs whose indices are checked (named outputs, runs.named_outputs).
MAIN_OUTPUTS = ("lab_revenue", "peak_valuation", "ai_value_drawdown", "supplier_revenue")

#: Largest first-order confidence half-width accepted (ten Broeke et al. 2016).
HALF_WIDTH_MAX = 0.1

#: Family-wise level of the range check: all of an output's intervals together.
FAMILY_LEVEL = 0.95


def family_scale(n_intervals: int, level: float = FAMILY_LEVEL, each: float = 0.95) -> float:
    """Factor turning ``each``-level half-widths into Bonferroni family-wise ones.

    SALib's half-widths are normal bootstrap intervals, ``z · se`` with
    ``z = Φ⁻¹((1 + each) / 2)``; for ``n_intervals`` intervals to hold together with
    probability at least ``level``, each needs ``z' = Φ⁻¹(1 − (1 − level) / (2 n))``.
    Returns ``z' / z`` (1 for one interval at the same level).

    Examples
    --------
    >>> round(family_scale(10), 3)
    1.432
    >>> family_scale(1)
    1.0
    """
    from scipy.stats import norm

    if n_intervals < 1:
        raise ValueError(f"n_intervals must be >= 1, got {n_intervals}")
    z_each = norm.ppf(0.5 + each / 2.0)
    z_family = norm.ppf(1.0 - (1.0 - level) / (2.0 * n_intervals))
    return float(z_family / z_each)


@dataclass(frozen=True)
class SensitivityResult:
    """The Sobol sweep's indices, seed noise, cost and checks."""

    sobol: pd.DataFrame
    seed_noise: pd.DataFrame
    n_runs: int
    n_points: int
    replicates: int
    seconds: float
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()
    resumed: int = 0
    """Runs already in the folder from an earlier call (a resumed sweep)."""


def run_sensitivity(
    spec_path: Path,
    out: Path,
    executor,
    *,
    progress: bool,
    budget_s: float | None = None,
    check: Callable[[], None] | None = None,
) -> SensitivityResult:
    """Run (or resume) the Sobol sweep of ``spec_path`` into ``out`` and check its indices.

    The sweep runs in stages of 64, 128, 256, ... base samples (each a complete,
    balanced prefix of the Saltelli design); with ``budget_s`` it stops after the
    stage that passes the budget, and the indices are computed on the longest
    complete prefix (the checks then say so). A folder holding another sweep (the
    spec changed) is replaced, if it holds only what a sweep writes and no sweep is
    running there (:func:`runs.output.check_replaceable`). ``check`` is called after
    each chunk of runs (:func:`runs.sweeping.run_plan`).
    """
    from runs.analysis import analyze
    from runs.experiment import load_spec, plan_sweep
    from runs.output import OutputError, OutputKind, check_replaceable
    from runs.sweeping import SweepError, columns_of, prepare, run_plan, sweep_params
    from runs.sweepstore import SweepStore
    from runs.validation.suite import SuiteError

    spec = load_spec(spec_path)
    plan = plan_sweep(spec)
    try:
        started = prepare(plan, out, resume=True)
    except SweepError:
        try:  # our own sweep of an older spec, holding nothing else
            check_replaceable(out, flag="--out", kind=OutputKind.SWEEP)
        except OutputError as exc:
            raise SuiteError(f"{exc} (the suite's Sobol sweep folder)") from None
        shutil.rmtree(out)
        started = False
    if not started:
        SweepStore(out).create(sweep_params(plan, columns_of(plan)), plan.design)
    resumed = len(SweepStore(out).read_runs(columns=["run_id"])) if started else 0
    block = (2 if spec.second_order else 1) * len(plan.parameters) + 2
    start = time.perf_counter()
    n = min(64, spec.samples or 64)
    while True:
        stage = dataclasses.replace(plan, runs=plan.runs[plan.runs["point_id"] < n * block])
        run_plan(stage, out, executor, resume=True, progress=progress, check=check)
        over = budget_s is not None and time.perf_counter() - start > budget_s
        if n >= (spec.samples or n) or over:
            break
        n *= 2
    seconds = time.perf_counter() - start
    result = analyze(out, metrics=list(MAIN_OUTPUTS))
    runs = SweepStore(out).read_runs(columns=["run_id", "point_id"])
    checks = sensitivity_checks(result.sobol, result.seed_noise, spec.replicates)
    return SensitivityResult(
        result.sobol,
        result.seed_noise,
        len(runs),
        int(runs["point_id"].nunique()),
        spec.replicates,
        seconds,
        tuple(checks),
        tuple(n for n in result.notes if n.startswith(("sobol", "incomplete"))),
        resumed,
    )


def sensitivity_checks(sobol: pd.DataFrame, noise: pd.DataFrame, replicates: int) -> list[Check]:
    """Per main output: indices within [0, 1] up to their intervals, half-widths ≤ 0.1.

    An output's range check asks all its S1 and ST intervals (two per parameter)
    to reach into ``[0, 1]``; tested one by one at 95 %, ten intervals of indices
    near zero would fail it by chance about a quarter of the time, so the intervals
    are widened to a family-wise :data:`FAMILY_LEVEL` (Bonferroni,
    :func:`family_scale`). The half-width check keeps the 95 % intervals.
    """
    out = []
    shares = noise.set_index("metric") if len(noise) else pd.DataFrame()
    for metric in MAIN_OUTPUTS:
        t = sobol[sobol["metric"] == metric] if len(sobol) else sobol
        share = float(shares.loc[metric, "seed_share"]) if metric in shares.index else NAN
        seen = f"seed's share of variance {share:.0%}, {replicates} replicates per point"
        if t.empty or t[["S1", "ST"]].isna().any(axis=None):
            out.append(
                Check(
                    f"sensitivity/sobol/{metric}_range",
                    "sensitivity",
                    "sobol",
                    metric,
                    "no indices",
                    NAN,
                    NAN,
                    NAN,
                    NAN,
                    seen,
                    False,
                )  # fmt: skip
            )
            continue
        k = family_scale(2 * len(t))  # the output's S1 and ST intervals hold together
        s1, st = t["S1_conf"] * k, t["ST_conf"] * k
        lo = float(min((t["S1"] + s1).min(), (t["ST"] + st).min()))
        hi = float(max((t["S1"] - s1).max(), (t["ST"] - st).max()))
        width = float(t["S1_conf"].max())
        out.append(
            Check(
                f"sensitivity/sobol/{metric}_range",
                "sensitivity",
                "sobol",
                f"{metric}: Sobol indices in [0, 1] within their family-wise "
                f"{FAMILY_LEVEL:.0%} intervals",
                f"every S1, ST: lower end ≤ 1 and upper end ≥ 0 (Bonferroni over the "
                f"output's {2 * len(t)} intervals: each 95 % half-width × {k:.3f})",
                NAN,
                NAN,
                lo,
                hi,
                f"lowest upper end {lo:.3f}, highest lower end {hi:.3f}; {seen}",
                lo >= 0.0 and hi <= 1.0,
            )  # fmt: skip
        )
        out.append(
            Check(
                f"sensitivity/sobol/{metric}_half_width",
                "sensitivity",
                "sobol",
                f"{metric}: first-order half-widths ≤ {HALF_WIDTH_MAX}",
                "largest S1 95 % confidence half-width (bootstrap)",
                width,
                NAN,
                NAN,
                NAN,
                f"largest S1 half-width {width:.3f}; {seen}",
                width <= HALF_WIDTH_MAX,
            )  # fmt: skip
        )
    return out
