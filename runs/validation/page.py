"""What the suite writes: tables (Parquet), figures (PNG), the check table and the docs page.

``OUT/`` gets ``params.json`` (``"kind": "aipm-check-model"``, the suite's settings,
version and git commit), ``runs.parquet`` (one row per run: named outputs, regime,
worst sizes, books, facts), ``checks.parquet`` (one row per check), ``anchors.parquet``
and ``out_of_sample.parquet`` (the baseline's values against the 2025 anchors and the
October-2025 market values, one row per seed and value), with the Sobol sweep
``sobol.parquet`` and ``seed_noise.parquet``, ``figures/*.png`` and ``checks.md``
(``aipm check-model`` writes them into a temporary folder moved into place at the
end: :func:`runs.output.open_output`); with ``docs``, the page
``docs/explanation/validation.md`` and its figures are regenerated from the same
result (:func:`docs_page`), so the page always shows the table of the code that
produced it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from runs import style
from runs.named_outputs import OUTPUTS, OutputKind
from runs.output import CHECK_MODEL_KIND, atomic_write_bytes, git_commit, package_version
from runs.sweep_figures import regime_map_figure
from runs.validation import figures
from runs.validation.page_text import method_text, out_of_sample_factor
from runs.validation.seednoise import SensitivityResult
from runs.validation.suite import SuiteResult

__all__ = [
    "check_table_markdown",
    "docs_page",
    "render",
    "suite_params",
    "write_docs",
    "write_outputs",
]

DOCS_PAGE = Path("docs") / "explanation" / "validation.md"
DOCS_FIGURES = Path("docs") / "explanation" / "validation"


def _png(fig: Figure) -> bytes:
    """The figure as a palette PNG (256 colours: a small file for the repository's docs)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=style.DPI, facecolor="white")
    image = Image.open(buf).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def render(result: SuiteResult) -> dict[str, tuple[str, bytes]]:
    """Every figure of the suite: name → (caption, PNG bytes)."""
    return {name: (caption, _png(fig)) for name, (caption, fig) in _figures(result).items()}


def _figures(result: SuiteResult) -> dict[str, tuple[str, Figure]]:
    """Name → (caption, figure)."""
    out = {
        "claims": (
            "Direction claims of the scenarios against the baseline.",
            figures.claims_figure(result.runs, result.expectations, result.checks),
        ),
        "sizes": (
            "Worst sizes of every run against the bounds.",
            figures.sizes_figure(result.runs),
        ),
        "regimes": ("Regime labels per scenario.", figures.regimes_figure(result.runs)),
        "regime_map": (
            "Where each run sits against the regime rules on the AI-exposed value.",
            regime_map_figure(result.runs),
        ),
        "regime_paths": ("The regime rules on synthetic paths.", figures.synthetic_figure()),
    }
    sens = result.sensitivity
    if sens is not None and len(sens.sobol):
        from runs.sweep_figures import sobol_figure

        out["sobol"] = (
            "Sobol indices on replicate means (scenarios/sweeps/sobol.toml).",
            sobol_figure(sens.sobol),
        )
    return out


def suite_params(result: SuiteResult) -> dict[str, object]:
    """Contents of ``params.json``: what the suite ran, with which code (marks the folder)."""
    config = result.config
    return {
        "kind": CHECK_MODEL_KIND,
        "full": config.sensitivity,
        "seeds": config.seeds,
        "baseline_seeds": config.seeds_of("baseline"),
        "root_seed": config.root_seed,
        "scenarios": list(result.scenarios),
        "sobol_budget_s": config.sobol_budget_s,
        "aipm_version": package_version(),
        "git_commit": git_commit(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def write_outputs(
    result: SuiteResult, out: Path, rendered: dict[str, tuple[str, bytes]]
) -> list[Path]:
    """Write ``params.json``, tables, figures and ``checks.md`` into ``out``; return the figures.

    ``out`` is the temporary folder of the output (:func:`runs.output.open_output`):
    what an earlier suite wrote is not there, so nothing stale is kept.
    """
    out = Path(out)
    text = json.dumps(suite_params(result), indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(out / "params.json", text.encode())
    for name, table in (
        ("runs", result.runs),
        ("checks", result.checks),
        ("anchors", result.anchors),
        ("out_of_sample", result.out_of_sample),
    ):
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        atomic_write_bytes(out / f"{name}.parquet", buf.getvalue())
    sens = result.sensitivity
    if sens is not None:
        for name in ("sobol", "seed_noise"):
            buf = io.BytesIO()
            getattr(sens, name).to_parquet(buf, index=False)
            atomic_write_bytes(out / f"{name}.parquet", buf.getvalue())
    written = []
    for name, (_caption, png) in rendered.items():
        path = out / "figures" / f"{name}.png"
        atomic_write_bytes(path, png)
        written.append(path)
    atomic_write_bytes(out / "checks.md", check_table_markdown(result.checks).encode())
    return written


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
        return f"{x:.2e}"
    return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"


def check_table_markdown(checks: pd.DataFrame) -> str:
    """The check table as Markdown (one row per check, verdict first)."""
    lines = [
        "| | check | claim | test | statistic | p-value | interval | observed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in checks.itertuples(index=False):
        interval = f"[{_num(c.low)}, {_num(c.high)}]" if _num(c.low) or _num(c.high) else ""
        cells = [
            "✅" if c.passed else "❌",
            f"`{c.id}`",
            c.claim,
            c.test,
            _num(c.statistic),
            _num(c.p_value),
            interval,
            c.observed,
        ]
        lines.append("| " + " | ".join(str(x).replace("|", "/") for x in cells) + " |")
    return "\n".join(lines) + "\n"


def _summary(result: SuiteResult) -> str:
    checks = result.checks
    by_group = checks.groupby("group", sort=False)["passed"].agg(["sum", "count"])
    rows = ["| group | passed | of |", "|---|---|---|"]
    rows += [f"| {g} | {int(r['sum'])} | {int(r['count'])} |" for g, r in by_group.iterrows()]
    return "\n".join(rows)


#: Named outputs whose medians and 5–95 % bands the page tabulates per scenario.
BAND_OUTPUTS = (
    "lab_revenue",
    "supplier_revenue",
    "peak_valuation",
    "lab_peak_valuation",
    "ai_value_drawdown",
    "supplier_revenue_fall",
    "defaults",
)


def _band(x: pd.Series, count: bool = False) -> str:
    """``median (5th–95th percentile)`` of one output over seeds (counts: observed values)."""
    x = x.dropna()
    if x.empty:
        return ""
    method = "inverted_cdf" if count else "linear"
    lo, mid, hi = np.percentile(x, [5, 50, 95], method=method)
    fmt = "{:,.0f}" if count or max(abs(lo), abs(mid), abs(hi)) >= 10 else "{:.2f}"
    return f"{fmt.format(mid)} ({fmt.format(lo)}–{fmt.format(hi)})"


def bands_table(result: SuiteResult) -> str:
    """Medians and 5–95 % bands over seeds of :data:`BAND_OUTPUTS`, one row per scenario."""
    ok = result.runs[result.runs["status"] == "ok"]
    names = [n for n in BAND_OUTPUTS if n in ok.columns]
    lines = [
        "| scenario | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for scenario in result.scenarios:
        runs = ok[ok["scenario"] == scenario]
        if runs.empty:
            continue
        cells = [_band(runs[n], OUTPUTS[n].kind is OutputKind.COUNT) for n in names]
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _regime_table(result: SuiteResult) -> str:
    ok = result.runs[result.runs["status"] == "ok"]
    table = pd.crosstab(ok["scenario"], ok["regime"]).reindex(result.scenarios)
    cols = list(table.columns)
    lines = ["| scenario | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, row in table.iterrows():
        lines.append(f"| {name} | " + " | ".join(str(int(v)) for v in row.fillna(0)) + " |")
    return "\n".join(lines)


def _out_of_sample_section(result: SuiteResult) -> str:
    """The baseline's values on the out-of-sample dates against the market's (Markdown)."""
    values = result.out_of_sample
    if values.empty:
        return "The baseline was not run, so there is no out-of-sample comparison.\n"
    rows = [
        "| market value (date) | market, USD bn | model, median (5–95 % of seeds) "
        "| model / market, median |",
        "|---|---|---|---|",
    ]
    ratios = {}
    for name, g in values.groupby("name", sort=False):
        market = float(g["anchor"].iloc[0])
        ratios[str(name).split(" value ")[0]] = ratio = g["model"].median() / market
        rows.append(f"| {name} | {market:,.0f} | {_band(g['model'])} | {ratio:.2f} |")
    below = sum(r < 1 for r in ratios.values())
    furthest = sorted(ratios.items(), key=lambda kv: abs(np.log(kv[1])), reverse=True)[:2]
    return (
        "\n".join(rows)
        + f"\n\nThe model's median lies below the market's for {below} of {len(ratios)} "
        + "firms; furthest from it: "
        + ", ".join(f"{firm} ({r:.2f})" for firm, r in furthest)
        + ".\n"
    )


def _sensitivity_section(result: SuiteResult) -> str:
    sens = result.sensitivity
    if sens is None:
        return (
            "The seed-noise and Sobol part ran only in the full suite "
            "(`aipm check-model --full`); this page was generated without it.\n"
        )
    noise = sens.seed_noise.set_index("metric")
    rows = [
        "| output | seed's share of variance | seed's share left in the replicate means "
        "| largest S1 half-width |",
        "|---|---|---|---|",
    ]
    for metric, t in sens.sobol.groupby("metric", sort=False):
        share = noise.loc[metric, "seed_share"] if metric in noise.index else float("nan")
        left = noise.loc[metric, "mean_noise_share"] if metric in noise.index else float("nan")
        rows.append(f"| `{metric}` | {share:.0%} | {left:.0%} | {t['S1_conf'].max():.3f} |")
    return (
        f"`scenarios/sweeps/sobol.toml`: {sens.n_points} design points × {sens.replicates} "
        f"replicates = {sens.n_runs} runs; {_sweep_cost(sens)}."
        + "".join(f" Note: {n}." for n in sens.notes)
        + "\n\n"
        + "\n".join(rows)
        + "\n"
    )


def _sweep_cost(sens: SensitivityResult) -> str:
    """What this call ran of the Sobol sweep (a resumed sweep runs only what it lacks)."""
    if sens.resumed >= sens.n_runs:
        return (
            f"this call resumed a complete sweep: all {sens.n_runs} runs were made by an "
            "earlier call on the same folder, and this call computed the indices only (a "
            "folder is reused only for the same sweep file; its runs are valid while the "
            "model's outputs are unchanged)"
        )
    ran = sens.n_runs - sens.resumed
    earlier = f", {sens.resumed} more by an earlier call" if sens.resumed else ""
    return f"this call ran {ran} runs in {sens.seconds / 60:.0f} min on 2 worker processes{earlier}"


def docs_page(result: SuiteResult, captions: dict[str, str], figure_dir: str = "validation") -> str:
    """The Markdown of ``docs/explanation/validation.md`` for this result."""
    c = result.config
    checks = result.checks
    n_pass = int(checks["passed"].sum())
    secs = result.seconds
    sens = result.sensitivity
    timing = f"{secs.get('runs', 0):.0f} s for {len(result.runs)} runs"
    if sens is not None:
        timing += (
            f", {secs.get('sensitivity', 0):.0f} s for the Sobol sweep ({sens.n_runs} runs"
            + (", resumed complete: indices only)" if sens.resumed >= sens.n_runs else ")")
        )
    figs = "\n\n".join(
        f"![{caption}]({figure_dir}/{name}.png)" for name, caption in captions.items()
    )
    today = dt.date.today().isoformat()
    return f"""# Model validation

`aipm check-model` runs every shipped scenario (`scenarios/*.toml`) over many seeds
and checks patterns of the model at several levels — the 2025 anchors, market
values of October 2025 kept out of the calibration, stylized facts of returns, books
that balance, each scenario's stated direction against the baseline, sane sizes,
regime labels a reader agrees with, and (full suite) the seed noise of the
sensitivity indices — each with a stated statistical test. It exits non-zero when a
check fails. It is the yardstick the model's mechanisms are tuned
against: a failing check is the suite doing its job.

```bash
aipm check-model                 # quick: 30 seeds of every scenario, 100 of the baseline (CI)
aipm check-model --full --docs   # 50 seeds + the Sobol sweep, regenerates this page
make check-model                 # the same as the line above
```

## Result on the current model

Generated by `aipm check-model {"--full" if c.sensitivity else ""}` on {today}
(git commit `{git_commit() or "unknown"}`): {c.seeds} seeds per scenario
({c.seeds_of("baseline")} of the baseline), root seed
{c.root_seed}; {timing} on 2 worker processes. **{n_pass} of {len(checks)} checks
pass.**

{_summary(result)}

Regime labels (runs per label):

{_regime_table(result)}

Medians and 5–95 % bands over seeds of some named outputs (units in the table of
named outputs below):

{bands_table(result)}

{figs}

### Out of sample

Market values of October 2025 that the model is not calibrated to (it opens at the
values of the end of 2024; `scenarios/calibration/anchors.toml`, `[[out_of_sample]]`),
against the baseline's value on the same date, interpolated between the ends of the
quarters around it. The check asks for the median within a factor of
{out_of_sample_factor()} (the order of magnitude: these values rose by 13–92 % in the ten months);
the ratios say how far the model is from the market.

{_out_of_sample_section(result)}
### Seed noise and Sobol indices

{_sensitivity_section(result)}
### Every check

{check_table_markdown(checks)}
{method_text()}
"""


def write_docs(result: SuiteResult, root: Path, rendered: dict[str, tuple[str, bytes]]) -> Path:
    """Regenerate the docs page and its figures under the repository ``root``."""
    root = Path(root)
    for name, (_caption, png) in rendered.items():
        atomic_write_bytes(root / DOCS_FIGURES / f"{name}.png", png)
    page = root / DOCS_PAGE
    captions = {name: caption for name, (caption, _png) in rendered.items()}
    atomic_write_bytes(page, docs_page(result, captions, DOCS_FIGURES.name).encode())
    return page
