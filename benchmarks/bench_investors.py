"""Benchmark the vectorised investor population against a naive Mesa reference.

Usage::

    python benchmarks/bench_investors.py --out benchmarks/results/investors.json [--quick]

Each (implementation, size) runs in a fresh subprocess so that peak RSS
(``ru_maxrss``) belongs to that size alone. Timings exclude interpreter start-up,
imports and numba compilation (a warm-up on a tiny population and on one of two
blocks loads the kernels, the block-parallel ones too);
they include building the population and trading every quarter. The JSON is
written atomically (``common.write_json``: temporary file + ``os.replace``) with
machine information.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
from common import metadata, peak_rss_mb, run_worker, write_json  # noqa: E402

# 2025 calibration: six listed firms (bn shares, USD/share) and one private lab
NAMES = ["NVDA", "MSFT", "AMZN", "ORCL", "AMD", "CRWV", "OpenAI"]
SHARES = np.array([24.4, 7.43, 10.7, 2.8, 1.62, 0.49, 1.0])
PRICES = np.array([180.0, 510.0, 225.0, 280.0, 230.0, 120.0, 500.0])
FLOAT = np.array([0.95, 0.98, 0.9, 0.6, 0.98, 0.5, 0.3])
TARGETS = {"wall_s_1e6_40q": 15.0, "peak_rss_mb_1e6": 2048.0, "speedup_1e4": 30.0}


def _inputs(rng: np.random.Generator, quarters: int):
    caps = SHARES * PRICES
    out = []
    for _ in range(quarters):
        caps = caps * np.exp(rng.normal(0.01, 0.05, len(NAMES)))
        out.append((caps, np.clip(rng.normal(0.0, 0.3, len(NAMES)), -1.0, 1.0)))
    return out


def worker(kind: str, n: int, quarters: int, seed: int) -> dict:
    """Run one size in this process and return its measurements."""
    from world.market import InvestorParams

    inputs = _inputs(np.random.default_rng(seed + 1), quarters)
    warm = time.perf_counter()
    if kind == "vectorised":
        from agents.investors import InvestorPopulation

        def build(size, rng):
            p = InvestorParams(n_investors=size)
            return InvestorPopulation(
                p, NAMES, SHARES, PRICES, FLOAT, rng, private_assets=["OpenAI"]
            )

        from world.trading import BLOCK

        rng = np.random.default_rng(seed)
        for size in (10, BLOCK + 1):  # one block, and two: the block-parallel kernels
            build(size, rng).trade_quarter(*inputs[0], rng)
        warm = time.perf_counter() - warm
        t0 = time.perf_counter()
        pop = build(n, rng)
        t1 = time.perf_counter()
        for fundamentals, news in inputs:
            pop.trade_quarter(fundamentals, news, rng)
    else:
        from naive_investors import NaiveMarket

        warm = 0.0
        t0 = time.perf_counter()
        pop = NaiveMarket(
            InvestorParams(n_investors=n), NAMES, SHARES, PRICES, FLOAT, ["OpenAI"], rng=seed
        )
        t1 = time.perf_counter()
        for fundamentals, news in inputs:
            pop.trade_quarter(fundamentals, news)
    t2 = time.perf_counter()
    return {
        "implementation": kind,
        "n_investors": n,
        "quarters": quarters,
        "warmup_s": warm,
        "init_s": t1 - t0,
        "trade_s": t2 - t1,
        "wall_s": t2 - t0,
        "per_quarter_s": (t2 - t1) / quarters,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(kind: str, n: int, quarters: int, seed: int) -> dict:
    """Run :func:`worker` in a fresh subprocess."""
    row = run_worker(__file__, kind, n, quarters, seed)
    print(
        f"{kind:>10} n={n:>9,} q={quarters:>2}: wall {row['wall_s']:7.2f} s "
        f"({row['per_quarter_s'] * 1e3:9.1f} ms/quarter), peak RSS {row['peak_rss_mb']:7.0f} MB",
        flush=True,
    )
    return row


def machine_info() -> dict:
    """The shared benchmark metadata plus the Mesa version."""
    import mesa

    return metadata() | {"mesa": mesa.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/investors.json")
    ap.add_argument("--quick", action="store_true", help="small sizes, few quarters")
    ap.add_argument("--seed", type=int, default=20251001)
    ap.add_argument("--worker", choices=["vectorised", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--quarters", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.quarters, args.seed)))
        return

    if args.quick:
        sizes, quarters, naive_n, naive_q = [1_000, 10_000], 4, 1_000, 1
    else:
        sizes, quarters, naive_n, naive_q = [1_000, 10_000, 100_000, 1_000_000], 40, 10_000, 4
    from world.market import InvestorParams
    from world.trading import passes_per_quarter

    info = machine_info()
    vec = [measure("vectorised", n, quarters, args.seed) for n in sizes]
    naive = measure("naive", naive_n, naive_q, args.seed)
    ref = next(r for r in vec if r["n_investors"] == naive_n)
    speedup = naive["per_quarter_s"] / ref["per_quarter_s"]
    per_iq = [r["trade_s"] / (r["n_investors"] * r["quarters"]) for r in vec]
    big = [r for r in vec if r["n_investors"] >= 10_000]
    slope = (
        float(
            np.polyfit(
                np.log([r["n_investors"] for r in big]), np.log([r["trade_s"] for r in big]), 1
            )[0]
        )
        if len(big) >= 2
        else None
    )
    summary = {
        "speedup_vs_naive": speedup,
        "speedup_at_n": naive_n,
        "trade_s_per_investor_quarter": dict(
            zip([str(r["n_investors"]) for r in vec], per_iq, strict=True)
        ),
        "loglog_slope_trade_time_vs_n": slope,
        "linear_scaling": None if slope is None else 0.8 <= slope <= 1.2,
    }
    top = vec[-1]
    if top["n_investors"] == 1_000_000 and quarters == 40:
        summary["target_wall_met"] = top["wall_s"] <= TARGETS["wall_s_1e6_40q"]
        summary["target_rss_met"] = top["peak_rss_mb"] <= TARGETS["peak_rss_mb_1e6"]
    if naive_n == 10_000:
        summary["target_speedup_met"] = speedup >= TARGETS["speedup_1e4"]
    result = {
        "benchmark": "investors",
        "mode": "quick" if args.quick else "full",
        "seed": args.seed,
        "quarters": quarters,
        "sub_rounds_per_quarter": InvestorParams().sub_rounds,
        "passes_per_quarter": passes_per_quarter(InvestorParams().sub_rounds),
        "n_listed_assets": 6,
        "machine": info,
        "targets": TARGETS,
        "vectorised": vec,
        "naive_mesa": naive,
        "summary": summary,
    }
    write_json(args.out, result)
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
