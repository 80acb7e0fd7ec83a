"""The run report of the baseline: how long it takes, warm and cold, and ``aipm run`` whole.

Run: ``python benchmarks/bench_report.py --out benchmarks/results/report.json``.

What is timed (wall clock, ``time.perf_counter``):

* ``report_warm`` — :func:`runs.report.build_report` on a written 40-quarter baseline
  run directory (random seed 0), in a process that has drawn one report already
  (imports done, font caches filled): everything the report does — read the tables,
  draw the 9 figures (17 panels), encode the PNGs, paste the dashboard, write
  ``report.html``, ``figures/*.png`` and ``dashboard.png``.
* ``report_cold`` — the same in a fresh process, drawn as ``aipm report`` draws it
  (:data:`COMMAND_PROCESSES`): ``import_s`` (importing ``runs.report``) and
  ``first_report_s`` (its first report) separately.
  ``report_cpu`` is the CPU time of the process meanwhile (both threads: the PNG
  encoder runs beside the drawing).
* ``report_two_processes`` — the same report drawn as ``aipm run`` and ``aipm report``
  draw it where forking is safe (``build_report(run_dir, processes=2)``: a forked
  second process draws :data:`runs.report.SECOND_PROCESS_FIGURES`), alternated with
  ``report_warm``.
* ``floor`` — the reference, measured in the same process as ``report_warm``: 17
  figures of one line each (one per panel of the report), drawn and PNG-encoded the
  same way. ``report_warm / floor`` says how far the report is from the least that
  drawing 17 panels with matplotlib costs; the ratio holds better than seconds on a
  loaded machine.
* ``aipm_run`` — the command ``aipm run scenarios/baseline.toml --out DIR`` as a whole
  process, on a warm cache (numba kernels compiled by an earlier run), with the report
  and with ``--no-report``, alternated (A B A B ...); their difference is the report's
  share of the command (its drawing process gets ready while the run simulates, see
  :mod:`runs.report_worker`).

The machine's load average (1, 5, 15 minutes) is recorded at the start and the end
(``machine.load_average_at_start`` / ``_at_end``).
Targets (issue 13): the warm report as the commands draw it ≤ 1.5 s
(``report_two_processes`` where forking is safe, the issue's "in parallel";
``report_warm`` elsewhere), ``aipm_run`` with report ≤ 3 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import metadata, write_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"report_warm_s": 1.5, "aipm_run_warm_s": 3.0}
PANELS = 17


def command_processes() -> int:
    """The processes ``aipm report`` and ``aipm run`` draw a run's report in here."""
    from runs.report_worker import can_fork

    return 2 if can_fork() else 1


COMMAND_PROCESSES = command_processes()


def stats(times: list[float]) -> dict[str, float]:
    """Min, median and max of a list of seconds."""
    return {
        "min_s": min(times),
        "median_s": statistics.median(times),
        "max_s": max(times),
        "n": len(times),
    }


def write_baseline(folder: Path) -> Path:
    """A 40-quarter baseline run directory (random seed 0) without its report."""
    from runs.output import write_run
    from runs.scenario import load_scenario
    from runs.simulate import simulate

    return write_run(simulate(load_scenario(ROOT / "scenarios/baseline.toml"), 0), folder)


def floor_once() -> tuple[float, float]:
    """Wall and CPU seconds to draw and encode :data:`PANELS` one-line figures."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from runs.png import encode_png
    from runs.style import styled

    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(PANELS):
        with styled():
            fig = Figure(figsize=(9.0, 5.0))
            ax = fig.subplots()
            ax.plot(range(40), [float(k + i) for i in range(40)])
            ax.set_title("one line")
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        encode_png(image.convert("RGB"))  # as the report encodes its PNGs
    return time.perf_counter() - t0, time.process_time() - c0


def warm(run_dir: Path, repeats: int) -> dict:
    """``build_report`` (one and two processes) and the floor, alternated, after a warm-up."""
    from runs.report import build_report

    build_report(run_dir)
    build_report(run_dir, processes=2)
    floor_once()
    report, two, floor, report_cpu, floor_cpu = [], [], [], [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        build_report(run_dir)
        report.append(time.perf_counter() - t0)
        report_cpu.append(time.process_time() - c0)
        t0 = time.perf_counter()
        build_report(run_dir, processes=2)
        two.append(time.perf_counter() - t0)
        wall, cpu = floor_once()
        floor.append(wall)
        floor_cpu.append(cpu)
    ratios = [r / f for r, f in zip(report, floor, strict=True)]
    return {
        "report": stats(report),
        "report_two_processes": stats(two),
        "floor": stats(floor),
        "ratio_to_floor": stats(ratios),
        "report_cpu": stats(report_cpu),
        "floor_cpu": stats(floor_cpu),
    }


COLD = """
import sys, time
t0 = time.perf_counter()
from runs.report import build_report
t1 = time.perf_counter()
build_report(sys.argv[1], processes=int(sys.argv[2]))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def cold(run_dir: Path, repeats: int) -> dict:
    """A fresh process per report: import time and first report."""
    imports, firsts = [], []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", COLD, str(run_dir), str(COMMAND_PROCESSES)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        a, b = (float(x) for x in out.stdout.split())
        imports.append(a)
        firsts.append(b)
    return {"import": stats(imports), "first_report": stats(firsts)}


def aipm_run(folder: Path, repeats: int) -> dict:
    """``aipm run`` of the baseline as a whole process, with and without the report."""
    aipm = Path(sys.executable).with_name("aipm")
    command = [str(aipm), "run", "scenarios/baseline.toml", "--out"]
    subprocess.run([*command, str(folder / "warmup")], cwd=ROOT, capture_output=True, check=True)
    with_report, without = [], []
    for k in range(repeats):
        for flags, times in (([], with_report), (["--no-report"], without)):
            out = folder / f"run{k}{len(flags)}"
            t0 = time.perf_counter()
            subprocess.run([*command, str(out), *flags], cwd=ROOT, capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
            shutil.rmtree(out, ignore_errors=True)
    share = [a - b for a, b in zip(with_report, without, strict=True)]
    return {
        "command": "aipm run scenarios/baseline.toml --out DIR",
        "with_report": stats(with_report),
        "no_report": stats(without),
        "report_share": stats(share),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/report.json")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    args = parser.parse_args()
    repeats = 2 if args.quick else args.repeats
    meta = metadata()  # with the load average now; write_json adds it at the end
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = write_baseline(Path(tmp) / "baseline")
        warm_result = warm(run_dir, repeats)
        cold_result = cold(run_dir, max(2, repeats // 2))
        run_result = aipm_run(Path(tmp), max(2, repeats // 2))
    as_drawn = "report_two_processes" if COMMAND_PROCESSES == 2 else "report"
    report_warm = warm_result[as_drawn]["median_s"]
    aipm_warm = run_result["with_report"]["median_s"]
    result = {
        "benchmark": "report",
        "machine": meta,
        "scenario": "baseline, 40 quarters, random seed 0",
        "warm": warm_result,
        "cold": cold_result,
        "aipm_run_warm": run_result,
        "targets": TARGETS,
        "report_warm_target_measures": f"warm.{as_drawn} (processes={COMMAND_PROCESSES})",
        "pass": {
            "report_warm_s": report_warm <= TARGETS["report_warm_s"],
            "aipm_run_warm_s": aipm_warm <= TARGETS["aipm_run_warm_s"],
        },
    }
    write_json(args.out, result)
    load = (meta["load_average_at_start"][0], meta["load_average_at_end"][0])
    print(
        f"report warm {report_warm:.2f} s as the commands draw it (one process "
        f"{warm_result['report']['median_s']:.2f} s; floor "
        f"{warm_result['floor']['median_s']:.2f} s, "
        f"ratio {warm_result['ratio_to_floor']['median_s']:.2f}); cold: import "
        f"{cold_result['import']['median_s']:.2f} s + first report "
        f"{cold_result['first_report']['median_s']:.2f} s; aipm run {aipm_warm:.2f} s "
        f"(no report {run_result['no_report']['median_s']:.2f} s); load "
        f"{load[0]:.1f} → {load[1]:.1f}"
    )


if __name__ == "__main__":
    main()
