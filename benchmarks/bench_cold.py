"""A first run on a fresh clone: numba compiles once, later runs load the cache.

Usage::

    python benchmarks/bench_cold.py --out benchmarks/results/cold.json

Times a whole process that imports aipm and simulates the baseline (10,000
investors, 40 quarters; ``runs.simulate.simulate``), from start to exit, twice per
repeat: *cold* with an empty numba cache (``NUMBA_CACHE_DIR`` a new temporary
folder: every kernel is compiled and written there, as on a fresh clone) and then
*warm* with that same folder (every kernel loaded). The difference is the one-off
compile cost. The report of ``aipm run`` is not included (issue 13 item 4 is
measured with the report).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, metadata, write_json  # noqa: E402

RUN = (
    "from runs.scenario import load_scenario; from runs.simulate import simulate; "
    "simulate(load_scenario('scenarios/baseline.toml'), 1)"
)


def _timed(cache: str) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/cold.json")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one repeat")
    args = ap.parse_args()
    meta = metadata()
    cold, warm = [], []
    for _ in range(1 if args.quick else args.repeats):
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
            cold.append(_timed(cache))
            warm.append(_timed(cache))
        print(f"cold {cold[-1]:.2f} s, warm {warm[-1]:.2f} s", flush=True)
    compile_s = [c - w for c, w in zip(cold, warm, strict=True)]
    result = {
        "benchmark": "cold",
        "command": "python benchmarks/bench_cold.py",
        "what": "whole process: import aipm + simulate(baseline, 10,000 investors, 40 q)",
        "machine": meta,
        "cold_s": cold,
        "warm_s": warm,
        "cold_s_median": statistics.median(cold),
        "warm_s_median": statistics.median(warm),
        "compile_s_median": statistics.median(compile_s),
    }
    write_json(args.out, result)
    print(f"median: cold {result['cold_s_median']:.2f} s, warm {result['warm_s_median']:.2f} s")


if __name__ == "__main__":
    main()
