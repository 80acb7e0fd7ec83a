"""Benchmark: the app in a headless browser — Step, Play, page load, the two teaching stories.

What is timed (inside the page, ``performance.now()``, see :mod:`runs.app_probe`):

* **step** — from the click on *Step* to the moment the header shows the next quarter
  and every chart has drawn it (server + websocket + drawing), ``--steps`` times from
  quarter 0 of the baseline (seed 0). Target: median ≤ 0.3 s.
* **play** — quarters drawn per second from the click on *Play* (``--play`` quarters,
  twice). Target: ≥ 4 quarters per second.
* **load** — from opening the page to every chart drawn at quarter 0.
* **stories** — the two flows of ``docs/howto/teach-with-the-app.md`` driven end to
  end (machine time only; a person adds the time to click). Target: < 120 s each.

References measured in the same run, in this process: the model's own quarter
(``Session.step``: ``model.step()`` plus the panels' data, no browser), and what the
previous app redrew per quarter (five matplotlib PNGs of :mod:`runs.figures`). The
machine's load average is recorded at the start and the end: this machine is shared,
so the ratios are the figures that hold. Writes ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import machine, peak_rss_mb, write_json  # noqa: E402

from runs.app_probe import CHROMIUM, LAUNCH_ARGS, AppPage, serve  # noqa: E402
from runs.app_session import Session, Settings, warm_up  # noqa: E402

STEP_TARGET_S = 0.3
PLAY_TARGET_QPS = 4.0
STORY_TARGET_S = 120.0


def _summary(xs: list[float]) -> dict[str, float]:
    ordered = sorted(xs)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def model_reference(quarters: int) -> dict[str, float]:
    """The model's own quarter plus the panels' data (no browser), seconds per quarter."""
    warm_up()
    session = Session(Settings())
    times = []
    for _ in range(quarters):
        t0 = time.perf_counter()
        session.step()
        times.append(time.perf_counter() - t0)
    return _summary(times)


def matplotlib_reference(quarters: int) -> dict[str, float]:
    """What the previous app redrew per quarter: five matplotlib PNGs (gauges, values, network)."""
    from runs import figures
    from runs.simulate import deals_frame

    session = Session(Settings())
    for _ in range(8):
        session.step()
    times = []
    for _ in range(quarters):
        session.step()
        t0 = time.perf_counter()
        model = session.model
        system, firms = model.records.system_frame(), model.records.firms_frame()
        deals = deals_frame(model)
        figs = [figures.gauges_figure(system, gauges=[g]) for g in figures.GAUGES]
        figs.append(figures.valuations_figure(firms))
        figs.append(figures.network_figure(deals, firms, quarters=[int(deals["quarter"].max())]))
        for fig in figs:
            fig.savefig(io.BytesIO(), format="png")
        times.append(time.perf_counter() - t0)
    return _summary(times)


def browser_figures(steps: int, play: int) -> dict[str, object]:
    """Step, Play, load and the two stories, timed in a headless Chromium."""
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "server.log") as url:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            viewport = {"width": 1280, "height": 720}
            page = AppPage(browser.new_context(viewport=viewport).new_page(), url)
            t0 = time.perf_counter()
            page.open()
            out["load_s"] = time.perf_counter() - t0
            out["step_s"] = _summary([page.step() for _ in range(steps)])
            page.reset()
            rates = [page.play(play), page.play(play)]
            out["play_quarters_per_s"] = {"runs": rates, "min": min(rates)}
            out["stories_s"] = {
                "paid_growth_stalls": _story(browser, url, viewport, paid=True),
                "nvidia_stops_financing": _story(browser, url, viewport, paid=False),
            }
            out["external_requests"] = page.external_requests()
            browser.close()
    return out


def _story(browser, url: str, viewport: dict, *, paid: bool) -> float:
    """One teaching story from a fresh page: open, play, apply the shock, play on."""
    context = browser.new_context(viewport=viewport)
    t0 = time.perf_counter()
    page = AppPage(context.new_page(), url).open()
    if paid:
        page.play(8)
        page.apply_parameter_shock("demand", "conversion_speed", 0.0)
        page.play(12)
    else:
        page.play(4)
        page.apply_shipped_shock("Supplier stops financing")
        page.play(16)
    seconds = time.perf_counter() - t0
    context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/app.json"))
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--play", type=int, default=12)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        write_json(args.out, {"benchmark": "app", "skipped": f"needs {CHROMIUM}", "pass": None})
        print(f"app: skipped (needs {CHROMIUM}: apt-get install chromium)")
        return
    steps = 8 if args.quick else args.steps
    load_start = os.getloadavg()
    t0 = time.perf_counter()
    model = model_reference(steps)
    old = matplotlib_reference(2 if args.quick else 4)
    browser = browser_figures(steps, args.play)
    load_end = os.getloadavg()
    step, play = browser["step_s"], browser["play_quarters_per_s"]
    stories = browser["stories_s"]
    result = {
        "benchmark": "app",
        "machine": machine(),
        "load_avg_1_5_15_start": load_start,
        "load_avg_1_5_15_end": load_end,
        "wall_s": time.perf_counter() - t0,
        "peak_rss_mb_bench_process": peak_rss_mb(),
        "browser": browser,
        "reference": {
            "model_quarter_s": model,
            "matplotlib_five_pngs_per_quarter_s": old,
        },
        "ratios": {
            "step_over_model_quarter": step["median"] / model["median"],
            "old_redraw_over_step": old["median"] / step["median"],
        },
        "targets": {
            "step_median_s": STEP_TARGET_S,
            "play_quarters_per_s": PLAY_TARGET_QPS,
            "story_s": STORY_TARGET_S,
        },
        "pass": step["median"] <= STEP_TARGET_S
        and play["min"] >= PLAY_TARGET_QPS
        and max(stories.values()) < STORY_TARGET_S
        and not browser["external_requests"],
    }
    write_json(args.out, result)
    print(
        f"app: step median {step['median']:.3f} s (p90 {step['p90']:.3f}, max {step['max']:.3f}),"
        f" play {play['min']:.1f} quarters/s (min of {len(play['runs'])}),"
        f" load {browser['load_s']:.1f} s; model quarter {model['median'] * 1e3:.1f} ms,"
        f" old matplotlib redraw {old['median']:.2f} s; load avg {load_start[0]:.1f}"
        f" → {load_end[0]:.1f}; pass={result['pass']}"
    )


if __name__ == "__main__":
    main()
