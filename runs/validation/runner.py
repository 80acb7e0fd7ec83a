"""One run of the validation suite: simulate a scenario with a seed and measure it.

:func:`measure_run` is what a worker process does (it is picklable and imports the
model on first use): it simulates, and returns one flat row — the run's named
outputs and regime, its worst sizes (:mod:`runs.validation.bounds`), its books'
largest imbalances, and for the baseline the stylized facts of its weekly returns,
its gaps to the 2025 anchors and its values on the dates of the out-of-sample market
values (October 2025). Everything else works on those rows.

Seeds: scenario ``name`` gets ``SeedSequence([root, crc32(name)]).spawn(n)``, each
child turned into one 63-bit integer (as in sweeps), so seed ``k`` of a scenario is
the same whatever the number of seeds or scenarios, and
``aipm run SCENARIO --seed SEED`` reproduces any run of the suite.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from runs.named_outputs import OUTPUTS
from runs.summary import REGIME_FIGURES
from world.params import Scenario

__all__ = ["SuiteRun", "measure_run", "scenario_seeds"]


def scenario_seeds(name: str, n: int, root_seed: int) -> list[int]:
    """The ``n`` seeds of scenario ``name`` (see the module docstring)."""
    children = np.random.SeedSequence([root_seed, zlib.crc32(name.encode())]).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


@dataclass(frozen=True)
class SuiteRun:
    """One run of the suite: which scenario, which seed, and what else to measure."""

    scenario_name: str
    scenario: Scenario
    seed: int
    replicate: int
    market_facts: bool = False
    anchors: bool = False


def measure_run(task: SuiteRun) -> dict[str, Any]:
    """Simulate ``task`` and return its row (never raises for a failing run).

    A run that raises is recorded with ``status = "failed"`` and the error, so one
    broken scenario shows up in the table instead of stopping the suite.
    """
    from runs.simulate import simulate

    row: dict[str, Any] = {
        "scenario": task.scenario_name,
        "seed": task.seed,
        "replicate": task.replicate,
    }
    start = time.perf_counter()
    try:
        result = simulate(task.scenario, task.seed, keep_model=True)
        row.update(_outputs(result))
        row.update(_sizes(result))
        row.update(_books(result))
        if task.market_facts:
            row.update(return_facts(result.model))
        if task.anchors:
            row.update(_calibration(task, result.firms))
    # the suite's fault boundary: any error of one run is recorded, not raised
    except Exception as exc:
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:300])
    else:
        row.update(status="ok", error="")
    row["duration_s"] = time.perf_counter() - start
    return row


def _outputs(result: Any) -> dict[str, Any]:
    summary = result.summary
    return {
        "regime": summary["regime"],
        **{name: summary[name] for name in REGIME_FIGURES},
        **{name: summary[name] for name in OUTPUTS},
    }


def _sizes(result: Any) -> dict[str, Any]:
    from runs.validation.bounds import size_measures

    scenario = result.scenario
    listed = [f.listed for f in scenario.firms]
    start_year = scenario.start_index / 4.0
    measures = size_measures(result.firms, listed, result.events, start_year)
    return {f"size_{k}": v for k, v in asdict(measures).items()}


def _books(result: Any) -> dict[str, float]:
    """Largest imbalances of the books (USD bn): balance sheets, ledgers, cash flows.

    ``books_cash_flow``: each firm's change of cash from one quarter to the next
    against the sum of its cash-flow statement (operating, investing, financing).
    """
    firms = result.firms
    identity = (firms["total_assets"] - firms["total_liabilities"] - firms["equity"]).abs()
    trial = max(abs(f.ledger.trial_balance()) for f in result.model.firms)
    wide = {
        c: firms.pivot(index="quarter", columns="firm", values=c).to_numpy(dtype=float)
        for c in ("cash", "operating_cash_flow", "investing_cash_flow", "financing_cash_flow")
    }
    flows = wide["operating_cash_flow"] + wide["investing_cash_flow"] + wide["financing_cash_flow"]
    gap = np.abs(np.diff(wide["cash"], axis=0) - flows[1:])
    return {
        "books_balance_sheet": float(identity.max()),
        "books_trial_balance": float(trial),
        "books_cash_flow": float(gap.max()) if gap.size else 0.0,
    }


def return_facts(model: Any) -> dict[str, float]:
    """Stylized facts of weekly (sub-round) returns of the listed firms that never default.

    Returns the median over firms of the lag-1 autocorrelation of returns
    (``facts_ac1``) and of absolute returns (``facts_abs_ac1``), the median excess
    kurtosis (``facts_kurtosis``) and the 95 % band of a white-noise autocorrelation,
    ``2/√T`` (``facts_band``); NaN without a market or listed survivors.
    """
    nan = float("nan")
    out = {"facts_ac1": nan, "facts_abs_ac1": nan, "facts_kurtosis": nan, "facts_band": nan}
    market = getattr(model, "market", None)
    if market is None or not market.subround_returns:
        return out
    returns = np.concatenate(market.subround_returns)
    listed = [f for f in model.firms if f.spec.listed]
    keep = [k for k, f in enumerate(listed) if not f.defaulted]
    if not keep or returns.shape[0] < 10:
        return out
    ac, abs_ac, kurt = [], [], []
    for k in keep:
        x = returns[:, k]
        if np.std(x) == 0:
            continue
        ac.append(np.corrcoef(x[:-1], x[1:])[0, 1])
        abs_ac.append(np.corrcoef(np.abs(x[:-1]), np.abs(x[1:]))[0, 1])
        kurt.append(sps.kurtosis(x))
    if not ac:
        return out
    return {
        "facts_ac1": float(np.median(ac)),
        "facts_abs_ac1": float(np.median(abs_ac)),
        "facts_kurtosis": float(np.median(kurt)),
        "facts_band": float(2 / np.sqrt(returns.shape[0])),
    }


def _calibration(task: SuiteRun, firms: Any) -> dict[str, list[tuple[str, float, float]]]:
    """(name, model, anchor) of the 2025 anchors and the out-of-sample market values.

    The 2025 anchors on the first year only, both from ``runs.calibrate`` with the
    anchors file read once.
    """
    from runs.calibrate import check_anchors, load_anchors, out_of_sample

    anchors = load_anchors()
    checks = check_anchors(task.scenario, anchors, task.seed)
    return {
        "anchors": [(c.name, c.model, c.anchor) for c in checks],
        "out_of_sample": [(c.name, c.model, c.anchor) for c in out_of_sample(firms, anchors)],
    }
