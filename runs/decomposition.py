"""The baseline explained: what drives the chip suppliers' revenue path and drawdowns.

Counterfactual runs of the baseline, each switching off one channel, over many seeds
(the same seeds for every variant):

* ``no_2025_deals`` — the announced 2025 compute deals are not signed (cloud contracts,
  GPU orders, the NVIDIA letter of intent, the backstop, AMD's warrant); the 2025
  funding rounds and bonds stay: what part is the 2025 order wave;
* ``sentiment_off`` — investors' and firms' sentiment switched off (no news, no
  herding, no optimism in forecasts, no sentiment in spreads, demand or rounds): what
  part is sentiment;
* ``fixed_markup`` — suppliers keep their markup (no scarcity pricing, no price cuts):
  what part is price rather than volume;
* ``neither`` — no 2025 deals and no sentiment.

Run it with ``python -m runs.decomposition --seeds 20 --out out/decomposition``; with
``--docs`` it also rewrites ``docs/explanation/baseline.md`` and its figure.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate
from world.params import Scenario, quarter_index

__all__ = ["VARIANTS", "Decomposition", "decompose", "variant"]

SENTIMENT_OFF = {
    "investors.initial_sentiment_mean": 0.0,
    "investors.initial_sentiment_sd": 0.0,
    "investors.news_sensitivity": 0.0,
    "investors.return_sensitivity": 0.0,
    "investors.herding_strength": 0.0,
    "investors.sentiment_noise": 0.0,
    "investors.sentiment_tilt": 0.0,
    "investors.round_sentiment_weight": 0.0,
    "behaviour.optimism": 0.0,
    "credit.sentiment_spread": 0.0,
    "demand.market_sentiment": 0.0,
    "macro.outside_cloud_sentiment": 0.0,
    "macro.outside_gpu_sentiment": 0.0,
    "stress.sentiment_contagion": 0.0,
}
"""Overrides that switch sentiment off everywhere it acts."""

FIXED_MARKUP = {"pricing.chip_cover_response": 0.0, "pricing.competitor_weight": 0.0}
"""Overrides under which suppliers keep their opening markup."""

VARIANTS = ("baseline", "no_2025_deals", "sentiment_off", "fixed_markup", "neither")
_KEPT = ("funding_round", "debt")  # 2025 deals that are financing, not the order wave


def variant(name: str, base: Scenario) -> Scenario:
    """The baseline with one channel switched off (see the module docstring)."""
    if name not in VARIANTS:
        raise ValueError(f"variant: {name!r} is not one of {', '.join(VARIANTS)}")
    sc = base
    if name in ("no_2025_deals", "neither"):
        start = quarter_index(sc.start)
        keep = [d for d in sc.deals if quarter_index(d.signed) < start or d.kind in _KEPT]
        sc = sc.model_copy(update={"deals": tuple(keep)})
    if name in ("sentiment_off", "neither"):
        sc = apply_overrides(sc, SENTIMENT_OFF)
    if name == "fixed_markup":
        sc = apply_overrides(sc, FIXED_MARKUP)
    return sc


def _one(args: tuple[str, Scenario, int, int]) -> dict:
    name, scenario, seed, quarters = args
    firms = simulate(scenario, seed, quarters=quarters).firms
    chips = firms[firms.role == "chip"].groupby("quarter").revenue.sum().to_numpy()
    nvidia = firms[firms.firm == "NVIDIA"].valuation.to_numpy()
    k = int(np.argmax(chips))
    window = chips[k : k + 9]
    return {
        "variant": name,
        "seed": seed,
        "supplier_revenue_peak": float(chips[k]),
        "peak_quarter": k,
        "fall_within_8q": float(1.0 - window.min() / chips[k]) if chips[k] > 0 else 0.0,
        "nvidia_peak": float(nvidia.max()),
        "nvidia_drawdown": float(np.max(1.0 - nvidia / np.maximum.accumulate(nvidia))),
        "path": chips,
    }


@dataclass(frozen=True)
class Decomposition:
    """Per-run results (``runs``) and the median supplier revenue path per variant."""

    runs: pd.DataFrame
    paths: pd.DataFrame  # quarters × variants, median over seeds (USD bn per quarter)
    periods: list[str]

    def table(self) -> pd.DataFrame:
        """Medians per variant (rows in :data:`VARIANTS` order)."""
        cols = [
            "supplier_revenue_peak",
            "fall_within_8q",
            "nvidia_peak",
            "nvidia_drawdown",
        ]
        med = self.runs.groupby("variant")[cols].median()
        return med.loc[[v for v in VARIANTS if v in med.index]]


def decompose(
    seeds: int = 20,
    *,
    quarters: int | None = None,
    workers: int = 2,
    overrides: dict | None = None,
    variants: Sequence[str] = VARIANTS,
    root: Path | None = None,
) -> Decomposition:
    """Run every variant for seeds ``0 … seeds − 1`` and collect the decomposition."""
    root = Path(__file__).resolve().parent.parent if root is None else root
    base = load_scenario(root / "scenarios" / "baseline.toml")
    if overrides:
        base = apply_overrides(base, overrides)
    n = base.quarters if quarters is None else quarters
    jobs = [(v, variant(v, base), s, n) for v in variants for s in range(seeds)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:  # noqa: SIM117
            rows = list(pool.map(_one, jobs))
    else:
        rows = [_one(j) for j in jobs]
    runs = pd.DataFrame(rows)
    paths = pd.DataFrame(
        {
            v: np.median(np.stack(runs.loc[runs.variant == v, "path"].to_list()), axis=0)
            for v in variants
        }
    )
    from world.params import quarter_label

    periods = [quarter_label(base.start_index + q) for q in range(n)]
    return Decomposition(runs.drop(columns="path"), paths, periods)


_LABELS = {
    "baseline": "baseline",
    "no_2025_deals": "without the 2025 deals",
    "sentiment_off": "without sentiment",
    "fixed_markup": "suppliers keep their markup",
    "neither": "without the 2025 deals and sentiment",
}


def figure(result: Decomposition, path: Path) -> None:
    """Median chip-supplier revenue per quarter of each variant (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    for v in result.paths.columns:
        ax.plot(result.paths[v].to_numpy(), label=_LABELS[v], lw=2.2 if v == "baseline" else 1.4)
    ticks = list(range(0, len(result.periods), 4))
    ax.set_xticks(ticks, [result.periods[t][:4] for t in ticks])
    ax.set_ylabel("chip suppliers' revenue, USD bn a quarter (median)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: run the decomposition and print (and optionally document) it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out/decomposition"))
    parser.add_argument("--docs", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.seeds <= 1000:
        parser.error("--seeds must lie in 1..1000")
    result = decompose(args.seeds, workers=args.workers)
    args.out.mkdir(parents=True, exist_ok=True)
    result.runs.to_parquet(args.out / "runs.parquet", index=False)
    table = result.table()
    print(table.round(3).to_string())
    figure(result, args.out / "supplier_revenue.png")
    if args.docs:
        docs = Path(__file__).resolve().parent.parent / "docs" / "explanation"
        (docs / "baseline").mkdir(parents=True, exist_ok=True)
        figure(result, docs / "baseline" / "supplier_revenue.png")
        page = (docs / "baseline.md").read_text(encoding="utf-8")
        (docs / "baseline.md").write_text(
            with_table(page, table_markdown(table, args.seeds)), encoding="utf-8"
        )


_BEGIN, _END = "<!-- decomposition table -->", "<!-- end of decomposition table -->"


def table_markdown(table: pd.DataFrame, seeds: int) -> str:
    """The decomposition table as Markdown (medians over ``seeds`` seeds)."""
    lines = [
        f"| variant ({seeds} seeds, medians) | supplier revenue peak, USD bn a quarter "
        "| fall within 8 quarters | NVIDIA peak value, USD bn | NVIDIA largest fall |",
        "|---|---|---|---|---|",
    ]
    for v, row in table.iterrows():
        lines.append(
            f"| {_LABELS[str(v)]} | {row.supplier_revenue_peak:.0f} | {row.fall_within_8q:.0%} "
            f"| {row.nvidia_peak:,.0f} | {row.nvidia_drawdown:.0%} |"
        )
    return "\n".join(lines)


def with_table(page: str, table: str) -> str:
    """``page`` with the text between the table markers replaced by ``table``."""
    head, rest = page.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    return f"{head}{_BEGIN}\n{table}\n{_END}{tail}"


if __name__ == "__main__":
    main()
