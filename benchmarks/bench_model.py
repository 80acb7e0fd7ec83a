"""The whole model as a user runs it, the population alone, and the floor, side by side.

Usage::

    python benchmarks/bench_model.py --out benchmarks/results/model.json [--quick]

For each size (1e4, 1e5, 1e6 investors × 40 quarters of the baseline) three things
are timed, each in a fresh subprocess, in turn (floor, model, population; repeated
``--repeats`` times, so that a drift of the shared machine's speed hits all three;
repeat ``r`` runs seed ``--seed + r``, since a run's cost depends on its path — at
1e6 investors the trading kernel's time varied by 15 % between seeds):

* ``model``: ``runs.simulate.simulate`` on ``scenarios/baseline.toml`` with
  ``investors.n_investors = n`` (firm side, market, funding rounds, records);
* ``population``: the investor population alone (``InvestorPopulation`` with the
  baseline's parameters and synthetic fundamentals and news), then five funding
  rounds, each timed;
* ``floor``: :mod:`floor` — the trading kernel's bytes streamed with no work, each
  kind of pass its own arrays (the first and the last pass stream more than a
  sub-round), the same passes per quarter on the same blocks and cores.

Each subprocess first imports and warms up (kernels loaded from numba's cache: a tiny
run, then a population of one block and one of two, so that the block-parallel kernels
are loaded too; until stop 49 they were loaded inside the timed part at 1e5 and 1e6);
wall and CPU seconds (all threads) cover the timed part only, peak RSS is reported in
full and above that import floor. Ratios are taken pair by pair
(model / floor and population / floor of the same repeat) and summarised by their
median, min and max (wall, and CPU seconds as a check when the machine is busy).
The model trades the scenario's burn-in quarters (8) before its 40, so it is also
divided by the floor of the 48 quarters it trades (``model_over_floor_of_its_quarters``,
for information: the target is on the plain ratio). Targets (issue 13): model ≤ 1.5 ×
floor and ≤ 1 GB above the import floor at 1e6; population ≤ 1.2 × floor.

Beyond the cache: the floor's arrays take 169 B an investor (169 MB at 1e6), so on a
machine whose last-level cache holds them the floor streams at the cache's speed, not
the memory's (the JSON records the caches, the floor's working set and the rate at
which it streamed its bytes). The three kinds are therefore also run once at
``--beyond-cache`` investors (4e6 unless told, 676 MB of floor arrays: past the
reference machine's 480 MiB L3; 0 skips it, as ``--quick`` does), for information.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
from common import cpu_seconds, metadata, peak_rss_mb, run_worker, spread, write_json  # noqa: E402

QUARTERS = 40
TARGETS = {
    "model_over_floor_1e6": 1.5,
    "population_over_floor_1e6": 1.2,
    "rss_above_floor_mb": 1024,
}
KINDS = ("floor", "model", "population")
BEYOND_CACHE = 4_000_000
"""Investors whose floor arrays (676 MB) exceed the reference machine's 480 MiB L3."""


def _scenario(n: int, quarters: int):
    from runs.scenario import apply_overrides, load_scenario

    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    return apply_overrides(base, {"investors.n_investors": n, "quarters": quarters})


def _population(n: int, seed: int):
    from agents.investors import InvestorPopulation

    base = _scenario(n, QUARTERS)
    rng = np.random.default_rng(seed)
    names = [f.name for f in base.firms]
    caps = np.array([f.market_cap for f in base.firms])
    private = [f.name for f in base.firms if not f.listed]
    pop = InvestorPopulation(base.investors, names, np.ones(len(names)), caps, 0.7, rng,
                             private_assets=private)  # fmt: skip
    return pop, rng, caps


def worker(kind: str, n: int, quarters: int, seed: int) -> dict:
    """Time one kind at one size in this process (after imports and a warm-up)."""
    import floor

    from runs.simulate import simulate
    from world.trading import BLOCK

    simulate(_scenario(200, 2), 0)  # load every kernel: the firm side's, and the market's
    for warm in (200, BLOCK + 1):  # for one block, and the block-parallel ones for many
        pop, rng, caps = _population(warm, seed)
        pop.trade_quarter(caps, np.zeros(caps.size), rng)
        pop.funding_round(1.0, float(caps[-1]), float(caps[-1]), rng)
        pop.secondary_quote(0.01, float(caps[-1]), rng, max_step=2.0)
        arrays = floor.make_arrays(warm, caps.size, int(pop.listed.sum()))
        floor.floor_quarters(arrays, 1, pop.params.sub_rounds)
    extra: dict = {}
    if kind == "model":
        scenario = _scenario(n, quarters)
        rss0 = peak_rss_mb()
        t0, c0 = time.perf_counter(), cpu_seconds()
        simulate(scenario, seed)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    elif kind == "population":
        rss0 = peak_rss_mb()
        t0, c0 = time.perf_counter(), cpu_seconds()
        pop, rng, caps = _population(n, seed)
        for _ in range(quarters):
            caps = caps * np.exp(rng.normal(0.01, 0.05, caps.size))
            pop.trade_quarter(caps, np.clip(rng.normal(0.0, 0.3, caps.size), -1, 1), rng)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        rounds = []
        for _ in range(5):
            ask = float(pop.market_caps[-1])
            t = time.perf_counter()
            pop.funding_round(0.02 * ask, ask, 0.8 * ask, rng)
            rounds.append(time.perf_counter() - t)
        extra = {"funding_round_s": rounds, "funding_round_s_median": statistics.median(rounds)}
    else:
        arrays = floor.make_arrays(n, caps.size, int(pop.listed.sum()))
        rss0 = peak_rss_mb()
        t0, c0 = time.perf_counter(), cpu_seconds()
        floor.floor_quarters(arrays, quarters, pop.params.sub_rounds)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        n_l, k = int(pop.listed.sum()), caps.size
        per_quarter = floor.bytes_per_investor_quarter(k, n_l, pop.params.sub_rounds)
        extra = {
            "bytes_per_investor_pass": floor.bytes_per_investor_pass(n_l),
            "bytes_per_investor_quarter": per_quarter,
            "working_set_mb": floor.working_set_bytes(arrays) / 1e6,
            "streamed_gb_per_s": per_quarter * n * quarters / wall / 1e9,
        }
    peak = peak_rss_mb()
    return {
        "kind": kind,
        "n_investors": n,
        "quarters": quarters,
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_over_wall": cpu / wall,
        "peak_rss_mb": peak,
        "import_floor_rss_mb": rss0,
        "rss_above_import_floor_mb": peak - rss0,
        **extra,
    }


def measure(kind: str, n: int, quarters: int, seed: int) -> dict:
    """:func:`worker` in a fresh subprocess."""
    row = run_worker(__file__, kind, n, quarters, seed)
    print(
        f"{kind:>10} n={n:>9,}: wall {row['wall_s']:7.2f} s, cpu {row['cpu_s']:7.2f} s, "
        f"RSS +{row['rss_above_import_floor_mb']:6.0f} MB",
        flush=True,
    )
    return row


def _over_floor(rows: dict[str, list[dict]], kind: str, key: str, scale: float) -> dict:
    """``kind``'s ``key`` over the floor's of the same repeat (times ``scale``), pair by pair."""
    pairs = zip(rows[kind], rows["floor"], strict=True)
    return spread([a[key] / (scale * f[key]) for a, f in pairs])


def run(sizes: list[int], repeats: int, quarters: int, seed: int) -> dict:
    """All sizes, the kinds in turn, ``repeats`` times; ratios pair by pair."""
    from world.market import InvestorParams
    from world.trading import passes_per_quarter

    sub_rounds = InvestorParams().sub_rounds
    burn_in = _scenario(1_000, quarters).investors.burn_in_quarters
    out: dict = {"sizes": {}, "burn_in_quarters": burn_in}
    for n in sizes:
        rows: dict[str, list[dict]] = {k: [] for k in KINDS}
        for r in range(repeats):  # a seed per repeat: a run's cost depends on its path
            for kind in KINDS:
                rows[kind].append(measure(kind, n, quarters, seed + r))
        # the model also trades the scenario's burn-in quarters before its first one
        traded = (quarters + burn_in) / quarters
        ratio = {
            f"{k}_over_floor{suffix}": _over_floor(rows, k, key, scale)
            for k, suffix, key, scale in (
                ("model", "", "wall_s", 1.0),
                ("population", "", "wall_s", 1.0),
                ("model", "_cpu", "cpu_s", 1.0),
                ("population", "_cpu", "cpu_s", 1.0),
                ("model", "_of_its_quarters", "wall_s", traded),
            )
        }
        out["sizes"][str(n)] = {
            "runs": rows,
            "wall_s": {k: spread([r["wall_s"] for r in rows[k]]) for k in KINDS},
            "rss_above_import_floor_mb": {
                k: max(r["rss_above_import_floor_mb"] for r in rows[k]) for k in KINDS
            },
            **ratio,
        }
    out["sub_rounds_per_quarter"] = sub_rounds
    out["passes_per_quarter"] = passes_per_quarter(sub_rounds)
    out["pass_note"] = (
        "full passes over the investor rows per quarter: one per sub-round plus the "
        "last fills (news and close ride on the first and last); one more pass reads "
        "only the sentiment column. The floor streams each kind of pass's own arrays "
        "(benchmarks/floor.py). model_over_floor_of_its_quarters divides the model by "
        "the floor of the quarters it trades: the burn-in's and the run's"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/model.json")
    ap.add_argument("--quick", action="store_true", help="1e4 and 1e5 only, 8 quarters")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--beyond-cache",
        type=int,
        default=BEYOND_CACHE,
        help="investors of the run past the last-level cache (one repeat; 0: none)",
    )
    ap.add_argument("--worker", choices=KINDS, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--quarters", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.quarters, args.seed)))
        return
    if args.beyond_cache < 0 or 0 < args.beyond_cache < 1_000:
        ap.error(f"--beyond-cache must be 0 or >= 1000 investors, got {args.beyond_cache}")
    meta = metadata()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    quarters = 8 if args.quick else QUARTERS
    result = {
        "benchmark": "model",
        "command": "python benchmarks/bench_model.py" + (" --quick" if args.quick else ""),
        "machine": meta,
        "quarters": quarters,
        "repeats": args.repeats,
        "seed": args.seed,
        "targets": TARGETS,
        **run(sizes, args.repeats, quarters, args.seed),
    }
    if args.beyond_cache and not args.quick:
        n = args.beyond_cache
        result["beyond_cache"] = {"n_investors": n} | run([n], 1, quarters, args.seed)["sizes"][
            str(n)
        ]
    top = result["sizes"].get("1000000")
    if top is not None:
        result["summary_1e6"] = {
            "model_over_floor": top["model_over_floor"]["median"],
            "model_over_floor_of_its_quarters": top["model_over_floor_of_its_quarters"]["median"],
            "population_over_floor": top["population_over_floor"]["median"],
            "model_rss_above_import_floor_mb": top["rss_above_import_floor_mb"]["model"],
            "funding_round_s_median": statistics.median(
                r["funding_round_s_median"] for r in top["runs"]["population"]
            ),
            "model_target_met": top["model_over_floor"]["median"]
            <= TARGETS["model_over_floor_1e6"],
            "population_target_met": top["population_over_floor"]["median"]
            <= TARGETS["population_over_floor_1e6"],
            "rss_target_met": top["rss_above_import_floor_mb"]["model"]
            <= TARGETS["rss_above_floor_mb"],
            "floor_working_set_mb": top["runs"]["floor"][0]["working_set_mb"],
            "floor_streamed_gb_per_s": statistics.median(
                r["streamed_gb_per_s"] for r in top["runs"]["floor"]
            ),
        }
        beyond = result.get("beyond_cache")
        if beyond is not None:
            result["summary_1e6"]["beyond_cache"] = {
                "n_investors": beyond["n_investors"],
                "floor_working_set_mb": beyond["runs"]["floor"][0]["working_set_mb"],
                "floor_streamed_gb_per_s": beyond["runs"]["floor"][0]["streamed_gb_per_s"],
                **{
                    key: beyond[key]["median"]
                    for key in (
                        "model_over_floor",
                        "model_over_floor_of_its_quarters",
                        "population_over_floor",
                    )
                },
            }
    write_json(args.out, result)
    print(json.dumps(result.get("summary_1e6", {}), indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
