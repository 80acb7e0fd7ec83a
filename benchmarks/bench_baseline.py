"""Baseline run: wall time per 40-quarter run and peak RSS.

Run: ``python benchmarks/bench_baseline.py --out benchmarks/results/baseline.json``.
Targets: firm side (no investor population) ≤ 0.1 s per run without stress (issue
#3) and ≤ 0.2 s with stress enabled (issue #5); the baseline with 1,000 investors
(one run of the sweep benchmark) and in full, with its 10,000 investors, are reported
for information. Each run is paired with one call of the interpreter reference
(:mod:`reference`) just before it; ``over_reference`` is the runs each divided by
their reference (median, min, max), which moves less with the shared machine's load
than the times do. ``work`` counts the Python bytecodes and calls of one run (seed 1;
:func:`common.count_work`): the same on every machine and under any load, so a change of
a few per cent to the firm side shows there first (of the pure-Python sources: compiled
code runs few bytecodes). When the firm side runs compiled (``make compile``), the counted
variants are measured again on the pure sources in a subprocess (``pure_python``) and
``compiled_over_pure`` gives the ratio of the two builds, each over its own reference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import count_work, metadata, peak_rss_mb, spread, write_json  # noqa: E402
from reference import interpreter_work  # noqa: E402

from runs.scenario import apply_overrides, load_scenario  # noqa: E402
from runs.simulate import simulate  # noqa: E402
from world.params import Scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COUNTED = ("firm_side_no_stress", "firm_side_stress", "sweep_unit_1k_investors")
"""Variants whose work is counted (the full run's is mostly compiled code, and slow to count)."""
TARGETS = {
    "firm_side_no_stress": 0.1,
    "firm_side_stress": 0.2,
    "sweep_unit_1k_investors": None,
    "full_10k_investors": None,
}


def variants(scenario: Scenario) -> dict[str, Scenario]:
    """The baseline without investors (with and without stress), with 1,000, and in full.

    1,000 investors is the run that ``bench_sweep.py`` repeats (its sweeps' unit).
    """
    return {
        "firm_side_no_stress": apply_overrides(
            scenario, {"investors.enabled": False, "stress.enabled": False}
        ),
        "firm_side_stress": apply_overrides(scenario, {"investors.enabled": False}),
        "sweep_unit_1k_investors": apply_overrides(scenario, {"investors.n_investors": 1000}),
        "full_10k_investors": scenario,
    }


def time_runs(scenario: Scenario, repeats: int) -> tuple[list[float], list[float]]:
    """Wall time of ``repeats`` runs (seeds 0..repeats-1) after one warm-up run.

    Each run is preceded by one call of the interpreter reference
    (:func:`reference.interpreter_work`); returns the runs' times and the reference's,
    pair by pair, so each run can be divided by the reference of the same moment.
    """
    simulate(scenario, 0)
    times, references = [], []
    for k in range(repeats):
        t0 = time.perf_counter()
        interpreter_work()
        t1 = time.perf_counter()
        simulate(scenario, k)
        times.append(time.perf_counter() - t1)
        references.append(t1 - t0)
    return times, references


def horizon_cost(scenario: Scenario, repeats: int) -> dict:
    """Firm side (no investors, no stress) per quarter near quarter 10 and near 150.

    Each quarter of a 160-quarter run is timed; the medians over quarters 8–12 and
    148–152 of ``repeats`` runs (seeds 0..) are compared (measurement only: the issue's
    target is quarter 150 within 10 % of quarter 10).
    """
    from world.model import AIEconomy

    firm_side = apply_overrides(
        scenario, {"investors.enabled": False, "stress.enabled": False, "quarters": 160}
    )
    early: list[float] = []
    late: list[float] = []
    for seed in range(repeats):
        model = AIEconomy(firm_side, rng=seed)
        for q in range(160):
            t0 = time.perf_counter()
            model.step()
            dt = time.perf_counter() - t0
            if 8 <= q <= 12:
                early.append(dt)
            elif 148 <= q <= 152:
                late.append(dt)
    q10, q150 = statistics.median(early), statistics.median(late)
    return {
        "quarter_10_ms": q10 * 1e3,
        "quarter_150_ms": q150 * 1e3,
        "ratio_150_over_10": q150 / q10,
        "target_ratio": 1.1,
        "pass": q150 / q10 <= 1.1,
        "runs": repeats,
    }


def measure(name: str, scenario: Scenario, repeats: int) -> dict:
    """Time ``repeats`` runs of one variant against the reference; count its work."""
    times, references = time_runs(scenario, repeats)
    median = statistics.median(times)
    target = TARGETS[name]
    out = {
        "wall_s_median": median,
        "wall_s_min": min(times),
        "wall_s_max": max(times),
        "reference_s_median": statistics.median(references),
        "over_reference": spread([t / r for t, r in zip(times, references, strict=True)], 3),
        "target_wall_s": target,
        "pass": None if target is None else median <= target,
    }
    if name in COUNTED:
        out["work"] = count_work(lambda s=scenario: simulate(s, 1))
    return out


def pure_python(repeats: int) -> dict[str, dict]:
    """The counted variants measured again on the pure-Python sources, in a subprocess.

    Run when this process runs the compiled firm side, so that the JSON compares the
    two builds measured in the same benchmark (each against its own reference calls).
    """
    cmd = [sys.executable, __file__, "--pure-worker", "--repeats", str(repeats)]
    env = os.environ | {"AIPM_PURE": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/baseline.json")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    parser.add_argument("--pure-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.repeats = 3
    base = load_scenario(ROOT / "scenarios/baseline.toml")
    runs = variants(base)
    if args.pure_worker:
        print(json.dumps({name: measure(name, runs[name], args.repeats) for name in COUNTED}))
        return
    result = {
        "benchmark": "baseline",
        "quarters": base.quarters,
        "repeats": args.repeats,
        "machine": metadata(),
        "variants": {},
    }
    for name, scenario in runs.items():
        result["variants"][name] = row = measure(name, scenario, args.repeats)
        target, median = row["target_wall_s"], row["wall_s_median"]
        goal = f" (target ≤ {target * 1000:.0f} ms)" if target else ""
        print(
            f"{name}: median {median * 1000:.1f} ms per 40-quarter run{goal}, "
            f"{row['over_reference']['median']:.2f}× the interpreter reference"
        )
        if "work" in row:
            work = row["work"]
            print(f"{name}: {work['bytecodes']:,} bytecodes, {work['python_calls']:,} calls a run")
    if result["machine"]["firm_side_compiled"]:
        for name, pure in pure_python(args.repeats).items():
            row = result["variants"][name]
            row["pure_python"] = pure
            ratio = row["over_reference"]["median"] / pure["over_reference"]["median"]
            row["compiled_over_pure"] = round(ratio, 3)
            print(
                f"{name}: compiled {row['wall_s_median'] * 1000:.1f} ms, pure Python "
                f"{pure['wall_s_median'] * 1000:.1f} ms; compiled / pure {ratio:.2f} "
                "(each over its own reference calls)"
            )
    result["firm_side_per_quarter"] = horizon = horizon_cost(base, 3)
    print(
        f"firm side per quarter: {horizon['quarter_10_ms']:.2f} ms at quarter 10, "
        f"{horizon['quarter_150_ms']:.2f} ms at quarter 150 ({horizon['ratio_150_over_10']:.2f}×)"
    )
    result["peak_rss_mb"] = peak_rss_mb()
    result["pass"] = all(v["pass"] is not False for v in result["variants"].values())
    result["note"] = "pass covers the variants; firm_side_per_quarter has its own pass"
    write_json(args.out, result)
    print(f"peak RSS {result['peak_rss_mb']:.0f} MB → {args.out}")


if __name__ == "__main__":
    main()
