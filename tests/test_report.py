"""Reports: built from a small run and from a small sweep; files, sizes and links check out."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from runs.cli import app
from runs.report import RUN_FIGURES, build_report
from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate
from runs.story import regime_rule
from runs.sweep_report import DETAILED_METRICS, build_sweep_report

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

#: expected pixel size of each PNG of a run report (figure inches × 100 dpi)
RUN_PNGS = {
    "figures/gauges.png": (1500, 420),
    "figures/funding.png": (1500, 450),
    "figures/round_trip.png": (1500, 450),
    "figures/network.png": (1500, 640),
    "figures/valuations.png": (900, 500),
    "figures/buildout.png": (900, 500),
    "figures/balance.png": (1500, 450),
    "figures/stress.png": (1500, 450),
    "figures/markets.png": (1500, 450),
}


class Page(HTMLParser):
    """Every src/href of a page, and the text in the order it appears."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in {"src", "href"} and v]

    def handle_data(self, data):
        self.text.append(data)


def parse(page: Path) -> Page:
    parser = Page()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def links(page: Path) -> list[str]:
    return parse(page).links


def embedded(src: str) -> bytes:
    head, data = src.split(",", 1)
    assert head == "data:image/png;base64", head
    return base64.b64decode(data)


def aipm(*args):
    """Run the CLI in-process (cheaper than a subprocess per call)."""
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small run written by ``aipm run`` (which builds the report)."""
    out = tmp_path_factory.mktemp("runs") / "small"
    r = aipm("run", BASELINE, "--quarters", 8, "--out", out)
    assert r.exit_code == 0, r.output
    return out


def test_aipm_run_report_files_and_sizes(run_dir):
    for name, size in RUN_PNGS.items():
        path = run_dir / name
        assert path.stat().st_size > 5_000, name
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == size, name
    with Image.open(run_dir / "dashboard.png") as img:  # the figures pasted, two narrow abreast
        assert img.width == 2 * 900 + 3 * 12
        assert img.height > sum(h for w, h in RUN_PNGS.values() if w > 900)
    assert not list(run_dir.glob("**/.*.tmp"))  # atomic writes left no temporaries


def test_report_is_one_self_contained_file_with_every_figure_once(run_dir):
    page = run_dir / "report.html"
    parsed = parse(page)
    assert parsed.links, "no images"
    assert all(src.startswith("data:image/png;base64,") for src in parsed.links)  # no fetches
    assert not {"script", "link", "iframe"} & set(parsed.tags)
    images = [embedded(src) for src in parsed.links]
    assert len(images) == len(set(images)) == len(RUN_PNGS)  # no figure twice
    assert sorted(images) == sorted((run_dir / n).read_bytes() for n in RUN_PNGS)
    # one figure under another: well under the 7,725 px of the old page
    assert sum(Image.open(io.BytesIO(b)).height for b in images) < 5_000


def test_report_tells_the_story_first(run_dir):
    text = " ".join(parse(run_dir / "report.html").text)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    label = summary["regime"].replace("_", " ")
    rule = regime_rule(summary["regime"])
    assert rule and f"Regime: {label} — the rule: {rule}" in " ".join(text.split())
    order = [
        text.index("What happened"),
        text.index("Timeline"),
        text.index("The article's gauges"),
        text.index("The detail"),
    ]
    assert order == sorted(order)
    assert "+251.7% in 2024" in text and "in 2025Q1 (quarter on quarter)" in text
    assert "OpenAI raises USD" in text  # the 2025 funding rounds, from events.parquet
    assert "baseline" in text and "random seed" in text and "2025Q1" in text
    figure_ids = re.findall(r'<figure id="fig-(\w+)"', (run_dir / "report.html").read_text())
    assert figure_ids == list(RUN_FIGURES)  # the story's figures, then the detail


def test_report_rebuilds_a_run_directory(run_dir):
    for name in RUN_PNGS:
        (run_dir / name).unlink()
    (run_dir / "report.html").unlink()
    r = aipm("report", run_dir)
    assert r.exit_code == 0, r.output
    assert "report.html" in r.stdout
    assert all((run_dir / name).stat().st_size > 5_000 for name in RUN_PNGS)
    assert (run_dir / "report.html").is_file()


def test_report_of_a_run_without_events_loops_or_summary(run_dir, tmp_path):
    """A run directory of an earlier version: the story says what it lacks."""
    old = tmp_path / "old"
    old.mkdir()
    for name in ("params.json", "firms.parquet", "system.parquet", "deals.parquet"):
        (old / name).write_bytes((run_dir / name).read_bytes())
    page = build_report(old)
    text = " ".join(parse(page).text)
    assert "No event log in this run directory" in text
    assert "no summary.json" in text
    assert len(links(page)) == len(RUN_PNGS)


def test_report_rejects_other_directories(tmp_path):
    r = aipm("report", tmp_path)
    assert r.exit_code == 2
    assert "neither a run directory" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = aipm("report", tmp_path / "missing")
    assert r.exit_code == 2 and "is not a directory" in r.stderr


def test_report_of_a_run_missing_a_column_names_it(run_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("params.json", "firms.parquet", "deals.parquet"):
        (broken / name).write_bytes((run_dir / name).read_bytes())
    system = pd.read_parquet(run_dir / "system.parquet").drop(columns="fuel_compute_efficiency")
    system.to_parquet(broken / "system.parquet")
    with pytest.raises(ValueError, match="system: missing column.*fuel_compute_efficiency"):
        build_report(broken)
    r = aipm("report", broken)
    assert r.exit_code == 2 and "fuel_compute_efficiency" in r.stderr
    assert not (broken / "report.html").exists()  # nothing half-written


@pytest.fixture
def sweep_dir(tmp_path):
    """A small sweep in the layout of runs.sweepstore, from real runs of a 2 × 2 grid."""
    base = load_scenario(BASELINE)
    rows, paths = [], []
    grid = [(q, cap) for q in (0.04, 0.12) for cap in (1.0, 4.0)]
    for run_id, (q, cap) in enumerate(grid):
        s = apply_overrides(base, {"quarters": 6, "demand.bass_q": q, "buildout.power_cap_gw": cap})
        res = simulate(s, run_id)
        rows.append(
            {
                "run_id": run_id,
                "status": "ok",
                "seed": run_id,
                "demand.bass_q": q,
                "buildout.power_cap_gw": cap,
                "final_lab_valuation": res.system.lab_valuation.iloc[-1],
                "regime": "boom" if run_id % 2 else "bust",
                "duration_s": 0.5,
            }
        )
        paths.append(res.system.assign(run_id=run_id))
    rows.append({**rows[-1], "run_id": 99, "status": "failed", "regime": None})
    d = tmp_path / "sweep"
    (d / "runs").mkdir(parents=True)
    (d / "paths" / "system").mkdir(parents=True)
    (d / "analysis").mkdir()
    pd.DataFrame(rows).to_parquet(d / "runs" / "part-0000.parquet")
    pd.concat(paths).to_parquet(d / "paths" / "system" / "part-0000.parquet")
    params = ["demand.bass_q", "buildout.power_cap_gw"]
    meta = {
        "kind": "aipm-sweep",
        "name": "caps",
        "parameters": [{"path": p} for p in params],
        "spec": {"name": "caps", "design": "grid", "description": "a 2 × 2 grid"},
    }
    (d / "params.json").write_text(json.dumps(meta), encoding="utf-8")
    # analysis tables in the formats of runs.analysis (CSV, as `aipm analyze` writes them)
    metric = {"metric": "final_lab_valuation", "parameter": params}
    pd.DataFrame(
        {
            **metric,
            "mu": [2.0, -1.0],
            "mu_star": [2.0, 1.0],
            "mu_star_conf": [0.3, 0.2],
            "sigma": [0.5, 0.2],
        }
    ).to_csv(d / "analysis" / "morris.csv", index=False)
    pd.DataFrame(
        {**metric, "S1": [0.6, 0.2], "S1_conf": [0.1, 0.1], "ST": [0.7, 0.3], "ST_conf": [0.1, 0.1]}
    ).to_csv(d / "analysis" / "sobol.csv", index=False)
    pd.DataFrame(
        {
            "box": 0,
            "parameter": params,
            "low": [0.08, 1.0],
            "high": [0.12, 2.0],
            "coverage": 0.9,
            "density": 0.85,
        }
    ).to_csv(d / "analysis" / "prim_boom.csv", index=False)
    # an analysis the design did not allow is an empty file (as `aipm analyze` writes it)
    (d / "analysis" / "sobol_second_order.csv").write_text("\n", encoding="utf-8")
    return d


def test_the_sweep_report_prints_each_regimes_rule_next_to_its_share(sweep_dir):
    import html

    from world.regimes import regime_rule

    page = build_sweep_report(sweep_dir).read_text(encoding="utf-8")
    # runs 0-3 completed (boom for odd ids, bust for even), run 99 failed: no label
    assert "boom 50%, bust 50%" in page or "bust 50%, boom 50%" in page
    for label in ("boom", "bust"):
        assert f"rule: {label}" in page and html.escape(regime_rule(label)) in page
    text = re.sub(r"data:[^\"')\s]+", "", page)  # the embedded images' base64 may spell it
    assert "rule: soft_landing" not in text and "None" not in text


def test_sweep_report_files_and_links(sweep_dir):
    page = build_sweep_report(sweep_dir)
    expected = {
        "fan_charts",
        "regimes",
        "regimes_by_parameter",
        "heatmap",
        "sobol",
        "morris",
        "prim_boom",
    }
    assert {p.stem for p in (sweep_dir / "report").glob("*.png")} == expected
    targets = links(page)
    assert len(targets) == len(expected)
    for target in targets:
        with Image.open(io.BytesIO(embedded(target))) as img:
            assert img.width >= 500 and img.height >= 300
    for path in (sweep_dir / "report").glob("*.png"):
        assert path.stat().st_size > 5_000, path
    with Image.open(sweep_dir / "report" / "fan_charts.png") as img:
        assert img.size == (1040, 780)  # 4 panels in 2 × 2, 5.2 × 3.9 in each
    text = page.read_text(encoding="utf-8")
    assert "demand.bass_q, buildout.power_cap_gw" in text and "final_lab_valuation" in text
    assert "<td>4</td>" in text  # the failed run is left out
    assert "<title>aipm sweep — caps (grid design)</title>" in text  # named after its spec
    assert "duration_s" not in text  # run time is not an outcome
    assert "a 2 × 2 grid" in text  # the spec's description


def test_the_sweep_report_draws_the_prim_boxes_of_each_regime_and_an_older_prim_csv(sweep_dir):
    """aipm analyze writes one PRIM table per regime (prim_<regime>.csv); an older aipm
    wrote prim.csv, whose regime it did not record: each gets its figure, named so."""
    analysis = sweep_dir / "analysis"
    boxes = pd.read_csv(analysis / "prim_boom.csv")
    boxes.to_csv(analysis / "prim_bust.csv", index=False)
    boxes.to_csv(analysis / "prim.csv", index=False)
    page = build_sweep_report(sweep_dir).read_text(encoding="utf-8")
    stems = {p.stem for p in (sweep_dir / "report").glob("*.png")}
    assert {"prim_boom", "prim_bust", "prim"} <= stems
    assert "PRIM boxes: where runs end in boom." in page
    assert "PRIM boxes: where runs end in bust." in page
    assert "PRIM boxes (analysis/prim.csv, from an older aipm analyze)." in page


def test_a_sweep_of_many_metrics_gets_an_overview_and_the_first_few_in_full(sweep_dir):
    """Six metrics in the Morris table: an overview heat map of all six, then the
    detailed panels of the first DETAILED_METRICS only (one figure, not six stacked)."""
    morris = pd.read_csv(sweep_dir / "analysis" / "morris.csv")
    names = [f"metric_{k}" for k in range(6)]
    many = pd.concat([morris.assign(metric=m) for m in names])
    many.to_csv(sweep_dir / "analysis" / "morris.csv", index=False)
    page = build_sweep_report(sweep_dir)
    stems = {p.stem for p in (sweep_dir / "report").glob("*.png")}
    assert {"morris_overview", "morris", "sobol"} <= stems and "sobol_overview" not in stems
    with Image.open(sweep_dir / "report" / "morris.png") as img:
        assert img.height < 500 * (DETAILED_METRICS + 1)  # only the first few, in full
    text = page.read_text(encoding="utf-8")
    assert f"of the first {DETAILED_METRICS} metrics (all: analysis/morris.csv)" in text


def test_the_sweep_heat_map_shows_the_parameters_that_matter_most(sweep_dir):
    """Its axes are the two parameters of largest Morris mu* (or Sobol ST) for its outcome,
    most influential first; without an analysis, the first two swept."""
    page = build_sweep_report(sweep_dir).read_text(encoding="utf-8")
    assert "final_lab_valuation over demand.bass_q and buildout.power_cap_gw" in page
    morris = pd.read_csv(sweep_dir / "analysis" / "morris.csv")
    morris.assign(mu_star=[1.0, 2.0]).to_csv(sweep_dir / "analysis" / "morris.csv", index=False)
    (sweep_dir / "analysis" / "sobol.csv").unlink()
    page = build_sweep_report(sweep_dir).read_text(encoding="utf-8")
    assert "final_lab_valuation over buildout.power_cap_gw and demand.bass_q" in page


def test_sweep_directory_without_runs_table(tmp_path):
    from runs.readback import UnreadableFile

    (tmp_path / "empty" / "runs").mkdir(parents=True)
    with pytest.raises(UnreadableFile, match="no runs table"):
        build_sweep_report(tmp_path / "empty")
    r = aipm("report", tmp_path / "empty")  # dispatched to the sweep report
    runs = tmp_path / "empty" / "runs"
    assert r.exit_code == 2  # the folder named once (was "DIR: DIR: no runs table")
    assert r.stderr == f"error: {runs}: no runs table (no *.parquet in it)\n"


def test_minimal_sweep_without_paths_or_analysis(tmp_path):
    d = tmp_path / "sweep"
    (d / "runs").mkdir(parents=True)
    rng = np.random.default_rng(0)
    pd.DataFrame({"run_id": range(6), "x.a": rng.random(6), "metric": rng.random(6)}).to_parquet(
        d / "runs" / "part-0.parquet"
    )
    page = build_sweep_report(d)
    assert links(page) == []  # nothing to draw with one parameter and no regimes
    assert "x.a" in page.read_text(encoding="utf-8")


def test_app_rejects_a_bad_port():
    r = aipm("app", "--port", 70000)  # validated before the server starts
    assert r.exit_code == 2 and "--port" in r.stderr


def test_a_sweep_whose_runs_keep_the_regime_figures_gets_a_regime_map(sweep_dir):
    """Runs tables of aipm sweep carry the figures each label was read from: the report
    draws every completed run against the rules (one panel); older tables get no map."""
    part = sweep_dir / "runs" / "part-0000.parquet"
    runs = pd.read_parquet(part)
    runs["regime_value_drawdown"] = [0.3, 0.8, 0.35, 0.9, 0.9]
    runs["regime_value_end_to_peak"] = [0.9, 0.2, 0.8, 0.1, 0.1]
    runs.to_parquet(part)
    build_sweep_report(sweep_dir)
    with Image.open(sweep_dir / "report" / "regime_map.png") as img:
        assert img.width >= 500 and img.height >= 300
    from runs.sweep_figures import regime_map_figure

    fig = regime_map_figure(runs, by=None)
    (panel,) = [ax for ax in fig.axes if ax.collections]
    assert "all runs (4 runs)" in panel.get_title(loc="left") + panel.get_title()
    assert sum(len(c.get_offsets()) for c in panel.collections) == 4  # the failed run is not
