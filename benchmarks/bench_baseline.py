"""Baseline run, firm side: wall time per 40-quarter run and peak RSS.

Run: ``python benchmarks/bench_baseline.py --out benchmarks/results/baseline.json``.
Target (issue #3): ≤ 0.1 s per 40-quarter baseline run on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, peak_rss_mb, write_json  # noqa: E402

from runs.scenario import apply_overrides, load_scenario  # noqa: E402
from runs.simulate import simulate  # noqa: E402
from world.params import Scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.1


def firm_side(scenario: Scenario) -> Scenario:
    """The baseline without investors and stress options, if the scenario has them."""
    overrides = {}
    if "investors" in Scenario.model_fields:
        overrides["investors.enabled"] = False
    return apply_overrides(scenario, overrides) if overrides else scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/baseline.json")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    scenario = firm_side(load_scenario(ROOT / "scenarios/baseline.toml"))
    simulate(scenario, 0)  # warm-up (imports, caches)
    times = []
    for k in range(args.repeats):
        t0 = time.perf_counter()
        simulate(scenario, k)
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    result = {
        "benchmark": "baseline_firm_side",
        "quarters": scenario.quarters,
        "repeats": args.repeats,
        "wall_s_median": median,
        "wall_s_min": min(times),
        "wall_s_max": max(times),
        "peak_rss_mb": peak_rss_mb(),
        "target_wall_s": TARGET_S,
        "pass": median <= TARGET_S,
        "machine": machine(),
    }
    write_json(args.out, result)
    print(
        f"baseline 40 quarters: median {median * 1000:.1f} ms (target ≤ {TARGET_S * 1000:.0f} ms), "
        f"peak RSS {result['peak_rss_mb']:.0f} MB → {args.out}"
    )


if __name__ == "__main__":
    main()
