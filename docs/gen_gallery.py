"""Regenerate the figures of the documentation's gallery into ``docs/gallery/``.

Run from the repository root::

    .venv/bin/python docs/gen_gallery.py

One baseline run (random seed 0), written and reported as ``aipm run`` does, gives the
run figures (the report's own images); a small hand-made sweep (a grid, a Morris and a
Sobol design on the baseline, 20 quarters) gives the sweep figures.
PNGs are written at a reduced resolution and with a 256-colour palette so that the
gallery stays small in the repository (a few hundred kB in all).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from runs import sweep_figures
from runs.analysis import prim_boxes
from runs.output import write_run
from runs.report import RUN_FIGURES, build_report
from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "gallery"
PARAMETERS = {
    "demand.bass_q": (0.02, 0.12),
    "demand.token_price_decline": (0.25, 0.6),
    "buildout.power_cap_gw": (1.0, 5.0),
}


def save_image(image: Image.Image, name: str, scale: float = 0.6) -> None:
    """Write ``image`` reduced by ``scale`` as a palette PNG (small file, same look)."""
    small = image.convert("RGB").resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )
    small = small.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(OUT / f"{name}.png", optimize=True)
    print(f"docs/gallery/{name}.png  {(OUT / f'{name}.png').stat().st_size / 1e3:.0f} kB")


def save(fig: Figure, name: str, dpi: int = 60) -> None:
    """Write ``fig`` as a palette PNG (small file, same look)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    save_image(Image.open(buf), name, scale=1.0)


def run_point(base, point: dict[str, float], run_id: int) -> tuple[dict, pd.DataFrame]:
    """Simulate one design point; return its runs-table row and its system path."""
    result = simulate(apply_overrides(base, {k: float(v) for k, v in point.items()}), run_id)
    s = result.system
    row = {
        "run_id": run_id,
        **point,
        "lab_valuation_final": s["lab_valuation"].iloc[-1],
        "total_deployed_gw_final": s["total_deployed_gw"].iloc[-1],
        "round_trip_revenue_total": s["round_trip_revenue"].sum(),
        "regime": result.summary["regime"],
        "regime_value_drawdown": result.summary["regime_value_drawdown"],
        "regime_value_end_to_peak": result.summary["regime_value_end_to_peak"],
    }
    return row, s.assign(run_id=run_id)


def main() -> None:
    """Draw every gallery figure."""
    OUT.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = write_run(simulate(scenario, 0), Path(tmp) / "baseline")
        build_report(run_dir)
        save_image(Image.open(run_dir / "dashboard.png"), "dashboard", scale=0.5)
        for stem in RUN_FIGURES:
            save_image(Image.open(run_dir / "figures" / f"{stem}.png"), stem)

    base = apply_overrides(scenario, {"quarters": 20})
    names = list(PARAMETERS)
    # a 5 × 5 grid over two parameters, two seeds each
    rows, paths = [], []
    grid = [
        {"demand.bass_q": q, "buildout.power_cap_gw": cap}
        for q in np.linspace(*PARAMETERS["demand.bass_q"], 5)
        for cap in np.linspace(*PARAMETERS["buildout.power_cap_gw"], 5)
    ]
    for k, point in enumerate([p for p in grid for _ in range(2)]):
        row, path = run_point(base, point, k)
        rows.append(row)
        paths.append(path)
    runs, paths = pd.DataFrame(rows), pd.concat(paths, ignore_index=True)
    save(sweep_figures.fan_chart_figure(paths), "fan_charts")
    save(sweep_figures.regime_shares_figure(runs), "regimes")
    save(sweep_figures.regime_shares_figure(runs, by="demand.bass_q"), "regimes_by_parameter")
    save(sweep_figures.regime_map_figure(runs, by=None), "regime_map")
    save(
        sweep_figures.heatmap_figure(
            runs, "demand.bass_q", "buildout.power_cap_gw", "total_deployed_gw_final"
        ),
        "heatmap",
    )
    # PRIM: where do runs end with the highest lab valuations?
    target = runs["lab_valuation_final"] >= runs["lab_valuation_final"].quantile(0.75)
    boxes = prim_boxes(runs[["demand.bass_q", "buildout.power_cap_gw"]], target, max_boxes=1)
    ranges = {p: PARAMETERS[p] for p in ("demand.bass_q", "buildout.power_cap_gw")}
    save(sweep_figures.prim_figure(boxes, ranges), "prim")

    problem = {"num_vars": len(names), "names": names, "bounds": list(PARAMETERS.values())}
    x = morris_sample.sample(problem, N=8, num_levels=4, seed=1)
    y = pd.DataFrame([run_point(base, dict(zip(names, p, strict=True)), 0)[0] for p in x])
    si = morris_analyze.analyze(problem, x, y["lab_valuation_final"].to_numpy(), seed=1)
    morris = pd.DataFrame(
        {
            "metric": "lab_valuation_final",
            "parameter": names,
            "mu_star": si["mu_star"],
            "mu_star_conf": si["mu_star_conf"],
            "sigma": si["sigma"],
        }
    )
    save(sweep_figures.morris_figure(morris), "morris")
    x = sobol_sample.sample(problem, 32, calc_second_order=False, seed=1)
    y = pd.DataFrame([run_point(base, dict(zip(names, p, strict=True)), 0)[0] for p in x])
    tables = []
    for metric in ("lab_valuation_final", "total_deployed_gw_final"):
        si = sobol_analyze.analyze(problem, y[metric].to_numpy(), calc_second_order=False, seed=1)
        tables.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "parameter": names,
                    "S1": si["S1"],
                    "S1_conf": si["S1_conf"],
                    "ST": si["ST"],
                    "ST_conf": si["ST_conf"],
                }
            )
        )
    save(sweep_figures.sobol_figure(pd.concat(tables, ignore_index=True)), "sobol")


if __name__ == "__main__":
    main()
