"""Throughput of sweeps of baseline runs: serial, local process pool, Dask 1 vs 2 workers.

Usage::

    python benchmarks/bench_sweep.py --out benchmarks/results/sweep.json [--quick]

Every figure goes through the real sweep path (``runs.sweeping.run_plan``: design,
chunks, executor, Parquet parts written atomically): a grid of one point on the
baseline scenario (full horizon) with R replicates, i.e. R baseline runs with
their own seeds. Executors are warmed up first (worker processes started and
the model imported), so the timings are steady-state throughput; the pool's and
clusters' start-up times are reported separately. The two Dask clusters (1 and 2
workers) are up together and take turns, repeat by repeat, so each pair of repeats
behind the speed-up ran under the same machine load.

Targets: ≥ 20 baseline runs/s per core (serial and pool) with 1,000 investors,
and a Dask LocalCluster speed-up of 2 workers over 1 worker ≥ 1.7× on 200 runs.
1,000 investors are set through ``investors.n_investors`` if the scenario has an
``[investors]`` table; if not, the runs have none and the JSON says so.
Exit status 0 once the JSON is written (``--strict``: 1 if a target is missed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import metadata, spread, write_json  # noqa: E402

from runs.executors import (  # noqa: E402
    DaskExecutor,
    Executor,
    PoolExecutor,
    SerialExecutor,
    available_cores,
)
from runs.experiment import parse_spec, plan_sweep  # noqa: E402
from runs.sweeping import run_plan  # noqa: E402
from world.params import Scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_RUNS_PER_S_PER_CORE = 20.0
TARGET_DASK_SPEEDUP = 1.7
N_INVESTORS = 1000


def investors_setting() -> tuple[dict[str, Any], dict[str, Any]]:
    """Fixed overrides for 1,000 investors, and what the JSON reports about them."""
    if "investors" in Scenario.model_fields:
        return {"investors.n_investors": N_INVESTORS}, {
            "n_investors": N_INVESTORS,
            "note": "set through investors.n_investors",
        }
    return {}, {
        "n_investors": None,
        "note": "Scenario has no [investors] table yet: runs without an investor population",
    }


def baseline_spec(replicates: int, root_seed: int, fixed: dict[str, Any]):
    """``replicates`` baseline runs: a one-point grid (the baseline's own optimism)."""
    return parse_spec(
        {
            "name": "bench",
            "scenario": str(ROOT / "scenarios" / "baseline.toml"),
            "design": "grid",
            "replicates": replicates,
            "root_seed": root_seed,
            "fixed": fixed,
            "parameters": {"behaviour.optimism": {"levels": [0.3]}},
        }
    )


def timed_sweep(executor: Executor, replicates: int, fixed: dict[str, Any], seed: int) -> dict:
    """Run ``replicates`` baseline runs on ``executor``; seconds and throughput."""
    plan = plan_sweep(baseline_spec(replicates, seed, fixed))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = run_plan(plan, Path(tmp) / "sweep", executor, progress=False)
        seconds = time.perf_counter() - start
    if report.n_failed:
        raise RuntimeError(f"{report.n_failed} benchmark runs failed: {report.failures[:1]}")
    return {
        "runs": plan.n_runs,
        "seconds": round(seconds, 3),
        "runs_per_s": round(plan.n_runs / seconds, 3),
    }


def warm(executor: Executor, fixed: dict[str, Any]) -> float:
    """Start every worker and import the model there; return the seconds it took."""
    start = time.perf_counter()
    executor.warm_up()
    timed_sweep(executor, 2 * executor.workers, fixed, seed=1)
    return round(time.perf_counter() - start, 3)


def per_core(result: dict, cores: int) -> dict:
    """Add runs/s per core and the verdict."""
    rate = result["runs_per_s"] / cores
    result.update(
        cores=cores, runs_per_s_per_core=round(rate, 3), target=TARGET_RUNS_PER_S_PER_CORE
    )
    result["pass"] = rate >= TARGET_RUNS_PER_S_PER_CORE
    return result


def run(quick: bool, repeats: int) -> dict[str, Any]:
    """All measurements, each repeated ``repeats`` times (medians decide the verdicts)."""
    meta = metadata()
    fixed, investors = investors_setting()
    n_serial, n_pool, n_dask = (10, 20, 40) if quick else (40, 120, 200)
    cores = available_cores()

    serial = SerialExecutor()
    warm(serial, fixed)
    serial_rows = [
        per_core(timed_sweep(serial, n_serial, fixed, seed=2 + k), 1) for k in range(repeats)
    ]
    serial_rate = spread([r["runs_per_s_per_core"] for r in serial_rows], 3)
    print(f"serial: {serial_rate} runs/s/core", flush=True)

    start = time.perf_counter()
    with PoolExecutor(cores) as pool:
        startup = warm(pool, fixed)
        pool_rows = [
            per_core(timed_sweep(pool, n_pool, fixed, seed=3 + k), cores) for k in range(repeats)
        ]
    pool_rate = spread([r["runs_per_s_per_core"] for r in pool_rows], 3)
    pool_res = {
        "workers": cores,
        "runs": n_pool,
        "repeats": pool_rows,
        "runs_per_s_per_core": pool_rate,
        "startup_and_warmup_s": startup,
        "total_with_startup_s": round(time.perf_counter() - start, 3),
        "target": TARGET_RUNS_PER_S_PER_CORE,
        "pass": pool_rate["median"] >= TARGET_RUNS_PER_S_PER_CORE,
    }
    print(f"pool×{cores}: {pool_rate} runs/s/core", flush=True)

    dask: dict[str, Any] = {"runs": n_dask}
    rows: dict[int, list[dict]] = {1: [], 2: []}
    startup: dict[int, float] = {}
    # Both clusters stay up and take turns (1 worker, 2 workers, 1, 2, ...): on a
    # shared machine whose load drifts, repeat k of each runs under the same load.
    with (
        DaskExecutor("local", workers=1) as one,
        DaskExecutor("local", workers=2) as two,
    ):
        clusters = {1: one, 2: two}
        for workers, cluster in clusters.items():
            startup[workers] = warm(cluster, fixed)
        for k in range(repeats):
            for workers, cluster in clusters.items():
                rows[workers].append(timed_sweep(cluster, n_dask, fixed, seed=4 + k))
    seconds = {workers: [r["seconds"] for r in rows[workers]] for workers in rows}
    for workers in (1, 2):
        dask[f"workers_{workers}"] = {
            "repeats": rows[workers],
            "seconds": spread(seconds[workers], 3),
            "cluster_start_and_warmup_s": startup[workers],
        }
        print(f"dask×{workers}: {dask[f'workers_{workers}']['seconds']} s for {n_dask} runs")
    speedup = spread(
        [a / b for a, b in zip(seconds[1], seconds[2], strict=True)], 3
    )  # repeat k of one worker against repeat k of two
    dask.update(
        speedup_2_over_1=speedup,
        target=TARGET_DASK_SPEEDUP,
        note="" if cores >= 3 else f"{cores} cores: the client process shares them with 2 workers",
    )
    dask["pass"] = speedup["median"] >= TARGET_DASK_SPEEDUP
    serial_res = {
        "runs": n_serial,
        "repeats": serial_rows,
        "runs_per_s_per_core": serial_rate,
        "target": TARGET_RUNS_PER_S_PER_CORE,
        "pass": serial_rate["median"] >= TARGET_RUNS_PER_S_PER_CORE,
    }
    all_pass = serial_res["pass"] and pool_res["pass"] and dask["pass"]
    return {
        "benchmark": "sweep",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_sweep.py" + (" --quick" if quick else ""),
        "quick": quick,
        "machine": meta,
        "model": {"scenario": "scenarios/baseline.toml", "investors": investors},
        "serial": serial_res,
        "pool": pool_res,
        "dask": dask,
        "all_pass": all_pass,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sweep.json")
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measurement")
    args = parser.parse_args(argv)
    payload = run(args.quick, args.repeats)
    write_json(args.out, payload)
    print(
        f"serial {payload['serial']['runs_per_s_per_core']['median']:.2f} and pool "
        f"{payload['pool']['runs_per_s_per_core']['median']:.2f} runs/s/core (median; "
        f"target {TARGET_RUNS_PER_S_PER_CORE:.0f}); dask 2 vs 1 workers "
        f"{payload['dask']['speedup_2_over_1']['median']:.2f}× (target {TARGET_DASK_SPEEDUP}); "
        f"{'all targets met' if payload['all_pass'] else 'TARGETS MISSED'}"
    )
    print(f"wrote {args.out}")
    return 1 if args.strict and not payload["all_pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
