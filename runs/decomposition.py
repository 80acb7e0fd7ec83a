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

A second table (:data:`ACCELERATOR`) changes instead the accelerator's own parameters —
how fast usage keeps growing, how fast suppliers add capacity, how much of its gap a
provider orders each quarter, how long an accelerator lasts — to show what sets the
depth of the fall, and whether the bust is avoided near the baseline.

Run it with ``python -m runs.decomposition --seeds 20 --out out/decomposition``; with
``--docs`` it also rewrites ``docs/explanation/baseline.md`` (both tables) and its
figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runs.commands import CommandParser, count_in
from runs.executors import make_executor
from runs.scenario import apply_overrides, load_scenario
from runs.simulate import RunResult, simulate
from world.params import Scenario, quarter_index

__all__ = [
    "ACCELERATOR",
    "VARIANTS",
    "Decomposition",
    "accelerator",
    "accelerator_figure",
    "accelerator_markdown",
    "accelerator_table",
    "decompose",
    "supplier_measures",
    "variant",
]

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


ACCELERATOR: dict[str, tuple[str, dict]] = {
    "baseline": ("baseline", {}),
    "usage_persists": ("usage keeps growing", {"demand.usage_growth_decay": 0.995}),
    "slow_supply": ("suppliers add capacity slowly", {"buildout.supply_growth": 0.02}),
    "slow_ordering": (
        "providers order a tenth of their gap",
        {"behaviour.order_adjustment": 0.1},
    ),
    "short_life": ("accelerators last 3 years", {"buildout.life_quarters": 12}),
    "all_gentle": (
        "all three gentle ones and a prudent lab",
        {
            "demand.usage_growth_decay": 0.995,
            "buildout.supply_growth": 0.02,
            "behaviour.order_adjustment": 0.1,
            "behaviour.lab_commitment_multiple": 1.0,
        },
    ),
}
"""What-ifs on the accelerator's own parameters: name -> (label, overrides of the baseline).

The table's rows name their overrides (:func:`accelerator_markdown`); the figure's
legend, the label alone."""


def _one(args: tuple[str, Scenario, int, int]) -> dict:
    name, scenario, seed, quarters = args
    result = simulate(scenario, seed, quarters=quarters)
    return {"variant": name, "seed": seed, **supplier_measures(result)}


def supplier_measures(result: RunResult) -> dict:
    """The chip suppliers' and NVIDIA's measures of one run (a row of :func:`decompose`).

    ``supplier_revenue_peak`` (USD bn a quarter) and its ``peak_quarter``;
    ``fall_within_8q``, the fall of the suppliers' revenue from its peak to its lowest
    within the 8 quarters after it; ``nvidia_peak`` and ``nvidia_drawdown``, NVIDIA's
    highest value and the largest fall of its value from its running peak;
    ``largest_fall`` (the named output ``supplier_revenue_fall``), ``bust`` (regime
    bust or cascade), ``lab_default`` and ``path`` (the suppliers' revenue per quarter).
    """
    firms = result.firms
    chips = firms[firms.role == "chip"].groupby("quarter").revenue.sum().to_numpy()
    nvidia = firms[firms.firm == "NVIDIA"].valuation.to_numpy()
    k = int(np.argmax(chips))
    window = chips[k : k + 9]
    return {
        "supplier_revenue_peak": float(chips[k]),
        "peak_quarter": k,
        "fall_within_8q": float(1.0 - window.min() / chips[k]) if chips[k] > 0 else 0.0,
        "nvidia_peak": float(nvidia.max()),
        "nvidia_drawdown": float(np.max(1.0 - nvidia / np.maximum.accumulate(nvidia))),
        "largest_fall": float(result.summary["supplier_revenue_fall"]),
        "bust": result.summary["regime"] in ("bust", "cascade"),
        "lab_default": bool(result.summary["lab_default"]),
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


def _run(jobs: list, workers: int) -> pd.DataFrame:
    """One row per job, in the jobs' order, on the CLI's executors (``runs.executors``)."""
    with make_executor(workers) as executor:
        return pd.DataFrame(executor.map(_one, jobs))


def _baseline(root: Path | None, overrides: dict | None) -> Scenario:
    root = Path(__file__).resolve().parent.parent if root is None else root
    base = load_scenario(root / "scenarios" / "baseline.toml")
    return apply_overrides(base, overrides) if overrides else base


def accelerator(
    seeds: int = 20,
    *,
    quarters: int | None = None,
    workers: int = 2,
    overrides: dict | None = None,
    variants: Sequence[str] = tuple(ACCELERATOR),
    root: Path | None = None,
) -> pd.DataFrame:
    """Runs of the :data:`ACCELERATOR` what-ifs for seeds ``0 … seeds − 1`` (one row each).

    Columns as :func:`decompose`'s runs, plus ``largest_fall`` (the named output
    ``supplier_revenue_fall``: the largest fall of the suppliers' four-quarter revenue,
    over the whole run), ``bust`` (regime bust or cascade), ``lab_default`` and
    ``path`` (the suppliers' revenue per quarter, USD bn: :func:`accelerator_figure`).
    """
    base = _baseline(root, overrides)
    for name in variants:
        if name not in ACCELERATOR:
            raise ValueError(f"variant: {name!r} is not one of {', '.join(ACCELERATOR)}")
    jobs = [
        (
            v,
            apply_overrides(base, ACCELERATOR[v][1]),
            s,
            base.quarters if quarters is None else quarters,
        )
        for v in variants
        for s in range(seeds)
    ]
    return _run(jobs, workers)


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
    base = _baseline(root, overrides)
    n = base.quarters if quarters is None else quarters
    jobs = [(v, variant(v, base), s, n) for v in variants for s in range(seeds)]
    runs = _run(jobs, workers)
    paths = pd.DataFrame(_median_paths(runs, variants))
    from world.params import quarter_label

    periods = [quarter_label(base.start_index + q) for q in range(n)]
    return Decomposition(
        runs.drop(columns=["path", "largest_fall", "bust", "lab_default"]), paths, periods
    )


_LABELS = {
    "baseline": "baseline",
    "no_2025_deals": "without the 2025 deals",
    "sentiment_off": "without sentiment",
    "fixed_markup": "suppliers keep their markup",
    "neither": "without the 2025 deals and sentiment",
}


def figure(result: Decomposition, path: Path) -> None:
    """Median chip-supplier revenue per quarter of each variant (PNG)."""
    _paths_figure(
        {_LABELS[v]: result.paths[v].to_numpy() for v in result.paths}, result.periods, path
    )


def accelerator_figure(runs: pd.DataFrame, periods: Sequence[str], path: Path) -> None:
    """Median chip-supplier revenue per quarter of each :data:`ACCELERATOR` what-if (PNG)."""
    medians = _median_paths(runs, [v for v in ACCELERATOR if v in set(runs.variant)])
    _paths_figure({ACCELERATOR[v][0]: p for v, p in medians.items()}, periods, path)


def _median_paths(runs: pd.DataFrame, variants: Sequence[str]) -> dict[str, np.ndarray]:
    """Per variant, the median over its runs of the suppliers' revenue path."""
    return {
        v: np.median(np.stack(runs.loc[runs.variant == v, "path"].to_list()), axis=0)
        for v in variants
    }


def _paths_figure(lines: dict[str, np.ndarray], periods: Sequence[str], path: Path) -> None:
    """One line per label (the first drawn thicker: the baseline), years on the axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    for k, (label, values) in enumerate(lines.items()):
        ax.plot(values, label=label, lw=2.2 if k == 0 else 1.4)
    ticks = list(range(0, len(periods), 4))
    ax.set_xticks(ticks, [periods[t][:4] for t in ticks])
    ax.set_ylabel("chip suppliers' revenue, USD bn a quarter (median)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: run the decomposition and print (and optionally document) it."""
    parser = CommandParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=count_in(1, 1000), default=20)
    parser.add_argument("--workers", type=count_in(1, 1024), default=2)
    parser.add_argument("--out", type=Path, default=Path("out/decomposition"))
    parser.add_argument("--docs", action="store_true")
    args = parser.parse_args(argv)
    result = decompose(args.seeds, workers=args.workers)
    args.out.mkdir(parents=True, exist_ok=True)
    result.runs.to_parquet(args.out / "runs.parquet", index=False)
    table = result.table()
    print(table.round(3).to_string())
    figure(result, args.out / "supplier_revenue.png")
    docs = Path(__file__).resolve().parent.parent / "docs" / "explanation"
    if args.docs:
        (docs / "baseline").mkdir(parents=True, exist_ok=True)
        figure(result, docs / "baseline" / "supplier_revenue.png")
    runs = accelerator(args.seeds, workers=args.workers)
    runs.drop(columns="path").to_parquet(args.out / "accelerator.parquet", index=False)
    what_ifs = accelerator_table(runs)
    print(what_ifs.round(3).to_string())
    accelerator_figure(runs, result.periods, args.out / "accelerator.png")
    if args.docs:
        accelerator_figure(runs, result.periods, docs / "baseline" / "accelerator.png")
        page = (docs / "baseline.md").read_text(encoding="utf-8")
        page = with_table(page, table_markdown(table, args.seeds))
        page = with_table(page, accelerator_markdown(what_ifs, args.seeds), _ACC)
        (docs / "baseline.md").write_text(page, encoding="utf-8")


_BEGIN, _END = "<!-- decomposition table -->", "<!-- end of decomposition table -->"
_ACC = ("<!-- accelerator table -->", "<!-- end of accelerator table -->")


def accelerator_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per :data:`ACCELERATOR` what-if: the medians and shares of :func:`accelerator_markdown`.

    Median fall within 8 quarters (and its 10-90 % range over seeds), median largest
    fall, median NVIDIA drawdown, shares of busts and of lab defaults.
    """
    g = runs.groupby("variant")
    table = pd.DataFrame(
        {
            "fall_within_8q": g.fall_within_8q.median(),
            "fall_p10": g.fall_within_8q.quantile(0.1),
            "fall_p90": g.fall_within_8q.quantile(0.9),
            "largest_fall": g.largest_fall.median(),
            "nvidia_drawdown": g.nvidia_drawdown.median(),
            "bust_share": g.bust.mean(),
            "lab_default_rate": g.lab_default.mean(),
        }
    )
    return table.loc[[v for v in ACCELERATOR if v in table.index]]


def accelerator_markdown(table: pd.DataFrame, seeds: int) -> str:
    """The :func:`accelerator_table` as Markdown."""
    lines = [
        f"| what-if ({seeds} seeds) | fall within 8 quarters, median (10-90 %) "
        "| largest fall of the four-quarter revenue, median | NVIDIA largest fall, median "
        "| bust or cascade | lab defaults |",
        "|---|---|---|---|---|---|",
    ]
    for v, row in table.iterrows():
        label, overrides = ACCELERATOR[str(v)]
        if overrides:
            label += " (" + ", ".join(f"`{k}={x}`" for k, x in overrides.items()) + ")"
        lines.append(
            f"| {label} | {row.fall_within_8q:.0%} "
            f"({row.fall_p10:.0%}-{row.fall_p90:.0%}) | {row.largest_fall:.0%} "
            f"| {row.nvidia_drawdown:.0%} "
            f"| {row.bust_share:.2f} | {row.lab_default_rate:.2f} |"
        )
    return "\n".join(lines)


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


def with_table(page: str, table: str, markers: tuple[str, str] = (_BEGIN, _END)) -> str:
    """``page`` with the text between the table ``markers`` replaced by ``table``."""
    begin, end = markers
    head, found, rest = page.partition(begin)
    if not found or end not in rest:
        raise ValueError(f"the page has no {begin} … {end} markers (in this order)")
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}\n{end}{tail}"


if __name__ == "__main__":
    main()
