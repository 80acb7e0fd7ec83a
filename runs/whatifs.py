"""Does anything avoid the bust? The baseline page's what-ifs on demand and the lab.

Each row of :data:`WHAT_IFS` is a scenario with ``--set`` overrides — a Jevons
response of usage to its falling cost, a prudent lab, faster usage growth, plans that
charge for usage — run for seeds ``0 … seeds − 1``. Per run (:func:`measure`): the
regime, whether the lab defaults, the compute its users want in the last quarter, its
revenue over the last four quarters, the chip suppliers' fall within 8 quarters of
their revenue peak and NVIDIA's largest fall; the table (:func:`table_markdown`) gives
their medians, and the regimes and lab defaults as shares of runs.

Run it with ``python -m runs.whatifs --seeds 20 --out out/whatifs``; with ``--docs``
it also rewrites the tables of ``docs/explanation/baseline.md`` (between its
``<!-- what-if table -->`` markers, and the same measures of the shipped scenarios in
:data:`SCENARIOS` between ``<!-- productive future table -->``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from runs.commands import CommandParser, count_in
from runs.decomposition import supplier_measures, with_table
from runs.executors import make_executor
from runs.scenario import apply_overrides, load_scenario
from runs.simulate import RunResult, simulate
from world.gauges import by_year
from world.params import Scenario
from world.regimes import Regime

__all__ = [
    "MARKERS",
    "SCENARIOS",
    "SCENARIO_MARKERS",
    "WHAT_IFS",
    "WhatIf",
    "main",
    "measure",
    "regime_shares",
    "table_markdown",
    "whatifs",
]

MAX_SEEDS = 1000
"""Most seeds per what-if the command line accepts."""


@dataclass(frozen=True)
class WhatIf:
    """One row of the page's table: its label, scenario file and ``--set`` overrides."""

    name: str  # the row's key in the per-run table
    label: str  # as on the page (Markdown)
    scenario: str  # relative to the repository
    overrides: Mapping[str, float] = field(default_factory=dict)


_JEVONS = {"demand.usage_cost_elasticity": 1.0}
_PRUDENT = {**_JEVONS, "behaviour.lab_commitment_multiple": 1.0}
_USAGE10 = {**_PRUDENT, "demand.usage_growth": 0.1}
_BASELINE = "scenarios/baseline.toml"

WHAT_IFS: tuple[WhatIf, ...] = (
    WhatIf("baseline", "none (the baseline)", _BASELINE),
    WhatIf("jevons", "Jevons: `demand.usage_cost_elasticity=1.0`", _BASELINE, _JEVONS),
    WhatIf(
        "jevons_prudent",
        "Jevons and a prudent lab (`behaviour.lab_commitment_multiple=1.0`)",
        _BASELINE,
        _PRUDENT,
    ),
    WhatIf(
        "usage10",
        "the same with usage growing 10 % a quarter (`demand.usage_growth=0.1`)",
        _BASELINE,
        _USAGE10,
    ),
    WhatIf(
        "usage_priced",
        "… and usage priced (`demand.usage_monetisation=0.5`, `demand.arpu_max=200`)",
        _BASELINE,
        {**_USAGE10, "demand.usage_monetisation": 0.5, "demand.arpu_max": 200},
    ),
    WhatIf(
        "metered",
        "usage priced, metered (`demand.usage_monetisation=1.0`, `demand.arpu_max=200`)",
        _BASELINE,
        {"demand.usage_monetisation": 1.0, "demand.arpu_max": 200},
    ),
)
"""The page's what-ifs, in its table's order (labels name the overrides a row adds)."""

SCENARIOS: tuple[WhatIf, ...] = (
    WhatIf("optimistic", "`scenarios/optimistic.toml`", "scenarios/optimistic.toml"),
    WhatIf(
        "productive_future",
        "`scenarios/productive_future.toml`",
        "scenarios/productive_future.toml",
    ),
)
"""Shipped scenarios measured the same way, in a table of their own (the page's
*productive future* paragraph, and ``optimistic``: the article's optimistic case,
whose funding gap closes around 2028)."""

MARKERS = ("<!-- what-if table -->", "<!-- end of what-if table -->")
"""The markers around the what-if table in ``docs/explanation/baseline.md``."""

SCENARIO_MARKERS = ("<!-- productive future table -->", "<!-- end of productive future table -->")
"""The markers around the table of :data:`SCENARIOS` on the same page."""

GAP_YEAR = 2028
"""The year by which the article's optimistic case has the labs' funding gap close."""

WHAT_IF_COLUMN = "what-if (`--set` on the baseline)"
_COLUMNS = (
    " | regimes | lab defaults | need, GW "
    "| lab revenue 2034 | suppliers' fall in 8 q | NVIDIA drawdown "
    f"| labs' cash flow positive by {GAP_YEAR} / ever |\n"
    "|---|---|---|---|---|---|---|---|"
)


def measure(result: RunResult) -> dict:
    """The measures of one run (a row of :func:`whatifs`, without its name and seed).

    ``regime``; ``lab_default``; ``compute_need_gw``, what the lab's users want in
    the last quarter (GW); ``lab_revenue_last_year``, the lab's revenue over the last
    four quarters (USD bn); ``fall_within_8q`` and ``nvidia_drawdown`` as in
    :func:`runs.decomposition.supplier_measures`; ``cash_flow_positive_year``, the
    first whole calendar year in which the labs still in business have a positive free
    cash flow (``lab_free_cash_flow``: their funding gap closes), NaN if none does.
    """
    firms = result.firms
    lab = firms[firms.role == "lab"].groupby("quarter").revenue.sum().to_numpy()
    suppliers = supplier_measures(result)
    years = by_year(list(result.system["period"]), result.system_columns["lab_free_cash_flow"])
    positive = [y for y, (total, n) in sorted(years.items()) if n == 4 and total > 0]
    return {
        "regime": str(result.summary["regime"]),
        "lab_default": bool(result.summary["lab_default"]),
        "compute_need_gw": float(result.system_columns["compute_need_gw"][-1]),
        "lab_revenue_last_year": float(lab[-4:].sum()),
        "fall_within_8q": suppliers["fall_within_8q"],
        "nvidia_drawdown": suppliers["nvidia_drawdown"],
        "cash_flow_positive_year": float(positive[0]) if positive else float("nan"),
    }


def _one(args: tuple[str, Scenario, int, int | None]) -> dict:
    name, scenario, seed, quarters = args
    result = simulate(scenario, seed, quarters=quarters)
    return {"what_if": name, "seed": seed, **measure(result)}


def whatifs(
    seeds: int = 20,
    *,
    quarters: int | None = None,
    workers: int = 2,
    overrides: dict | None = None,
    what_ifs: Sequence[WhatIf] = WHAT_IFS,
    root: Path | None = None,
) -> pd.DataFrame:
    """Run every what-if for seeds ``0 … seeds − 1``: one row per run, in row then seed order.

    Columns ``what_if`` (its :attr:`WhatIf.name`), ``seed`` and those of :func:`measure`.
    ``overrides`` apply under every what-if's own (e.g. fewer investors, for tests).
    """
    root = Path(__file__).resolve().parent.parent if root is None else root
    jobs = []
    for w in what_ifs:
        scenario, changes = load_scenario(root / w.scenario), {**(overrides or {}), **w.overrides}
        scenario = apply_overrides(scenario, changes) if changes else scenario
        jobs += [(w.name, scenario, s, quarters) for s in range(seeds)]
    with make_executor(workers) as executor:
        return pd.DataFrame(executor.map(_one, jobs))


def regime_shares(regimes: pd.Series) -> str:
    """Shares of runs per regime in :class:`~world.regimes.Regime` order: ``boom .05, bust .95``."""
    shares = regimes.astype(str).value_counts(normalize=True)
    parts = []
    for regime in Regime:
        if regime.value in shares.index:
            parts.append(f"{regime.value.replace('_', ' ')} {_fraction(shares[regime.value])}")
    return ", ".join(parts)


def _fraction(share: float) -> str:
    """A share of runs as on the page: ``.35``, ``0.00``, ``1.00``."""
    text = f"{share:.2f}"
    return text if text in ("0.00", "1.00") else text.removeprefix("0")


def _need(gw: float) -> str:
    return f"{gw:.1f}" if gw < 10 else f"{gw:.0f}"


def table_markdown(
    runs: pd.DataFrame, what_ifs: Sequence[WhatIf] = WHAT_IFS, first: str = WHAT_IF_COLUMN
) -> str:
    """The page's table of :func:`whatifs` runs: medians, and shares of runs.

    One row per what-if with runs, in ``what_ifs`` order: the regimes' and lab
    defaults' shares, the medians of the need (GW), the lab's revenue over the last
    four quarters (USD bn), the suppliers' fall within 8 quarters and NVIDIA's
    largest fall, and the shares of runs whose labs' cash flow turns positive by
    :data:`GAP_YEAR` and at all. ``first`` heads the column of the rows' labels.
    """
    lines = [f"| {first}{_COLUMNS}"]
    for w in what_ifs:
        g = runs[runs.what_if == w.name]
        if g.empty:
            continue
        fall, drawdown = g.fall_within_8q.median(), g.nvidia_drawdown.median()
        year = g.cash_flow_positive_year
        lines.append(
            f"| {w.label} | {regime_shares(g.regime)} | {g.lab_default.mean():.2f} "
            f"| {_need(g.compute_need_gw.median())} | {g.lab_revenue_last_year.median():.0f} "
            f"| {fall * 100:.0f} % | {drawdown * 100:.0f} % "
            f"| {_fraction((year <= GAP_YEAR).mean())} / {_fraction(year.notna().mean())} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: run the what-ifs, save their runs, print (and document) the table."""
    parser = CommandParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=count_in(1, MAX_SEEDS), default=20)
    parser.add_argument("--workers", type=count_in(1, 1024), default=2)
    parser.add_argument("--out", type=Path, default=Path("out/whatifs"))
    parser.add_argument("--docs", action="store_true")
    args = parser.parse_args(argv)
    runs = whatifs(args.seeds, workers=args.workers, what_ifs=WHAT_IFS + SCENARIOS)
    args.out.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(args.out / "runs.parquet", index=False)
    table = table_markdown(runs)
    scenarios = table_markdown(runs, SCENARIOS, first="scenario")
    print(table, scenarios, sep="\n\n")
    if args.docs:
        page = Path(__file__).resolve().parent.parent / "docs" / "explanation" / "baseline.md"
        text = with_table(page.read_text(encoding="utf-8"), table, MARKERS)
        page.write_text(with_table(text, scenarios, SCENARIO_MARKERS), encoding="utf-8")


if __name__ == "__main__":
    main()
