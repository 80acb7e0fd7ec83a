"""Run every benchmark script (``make bench``); each writes its JSON into ``--out``.

Scripts are run one after another in fresh processes so their RSS figures do not mix.
A summary of all results is written to ``summary.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import metadata, write_json  # noqa: E402

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "model": "bench_model.py",
    "cold": "bench_cold.py",
    "baseline": "bench_baseline.py",
    "investors": "bench_investors.py",
    "stress": "bench_stress.py",
    "sweep": "bench_sweep.py",
    "report": "bench_report.py",
    "app": "bench_app.py",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--quick", action="store_true", help="smaller sizes where supported")
    parser.add_argument("--only", nargs="*", choices=sorted(SCRIPTS), help="subset to run")
    args = parser.parse_args()
    summary = {"machine": metadata(), "results": {}}
    failed = []
    for name in args.only or SCRIPTS:
        script = HERE / SCRIPTS[name]
        if not script.exists():
            print(f"skip {name}: {script.name} not present")
            continue
        out = args.out / f"{name}.json"
        cmd = [sys.executable, str(script), "--out", str(out)]
        if args.quick:
            cmd.append("--quick")
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=HERE.parent)
        if proc.returncode != 0:
            failed.append(name)
            continue
        summary["results"][name] = json.loads(out.read_text())
        summary["results"][name]["script_wall_s"] = time.perf_counter() - t0
    write_json(args.out / "summary.json", summary)
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
