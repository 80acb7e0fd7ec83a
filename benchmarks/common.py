"""Helpers shared by the benchmark scripts: metadata (machine, load, commit), peak RSS, JSON.

Every benchmark JSON carries :func:`metadata` under ``"machine"``, taken when the
benchmark starts; :func:`write_json` adds the load average at the end, so each file
says how busy the (shared) machine was while it was measured.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    """What the figures were measured on (no load: see :func:`metadata`)."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    } | cpu()


def cpu() -> dict[str, Any]:
    """The processor's model, the CPU LLVM compiles the kernels for, and its widest vectors.

    The trading kernel holds an investor's listed assets as one vector; how many
    registers that vector takes (one 512-bit register with AVX-512, two 256-bit ones
    with AVX2) changes its speed several-fold, so each JSON says which it had.
    """
    from llvmlite import binding

    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:  # pragma: no cover - not Linux
        pass
    features = binding.get_host_cpu_features()
    widest = next((isa for isa in ("avx512f", "avx2", "avx", "sse2") if features.get(isa)), None)
    return {
        "cpu_model": model,
        "llvm_cpu": binding.get_host_cpu_name(),
        "vector_isa": widest,
        "cache_kib": caches(),
    }


def caches() -> dict[str, int]:
    """The first core's data and unified caches, KiB by level (``l1d``, ``l2``, ``l3``).

    A population whose arrays fit in the last-level cache streams them at the cache's
    speed, not the memory's: at 1e6 investors the floor's arrays (169 MB) fit in a
    480 MiB L3, so its "memory floor" is a cache floor there. Empty where Linux's sysfs
    does not say.
    """
    out: dict[str, int] = {}
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:  # pragma: no cover - unreadable entry
            continue
        if kind == "Instruction" or not size.endswith("K"):
            continue
        out[f"l{level}d" if kind == "Data" else f"l{level}"] = int(size[:-1])
    return out


def git_commit() -> str | None:
    """The commit of the working tree measured (``None`` outside git)."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def metadata() -> dict[str, Any]:
    """Machine, cores, numba threads, versions, git commit and the load average now."""
    import numba
    import numpy as np

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count()
    return machine() | {
        "available_cores": cores,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "numba": numba.__version__,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "numpy": np.__version__,
        "git_commit": git_commit(),
        "firm_side_compiled": firm_side_compiled(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def firm_side_compiled() -> bool:
    """Whether this process runs the firm side's mypyc build (``make compile``)."""
    from world.compiled import is_active

    return is_active()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads (s)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def count_work(fn: Callable[[], object]) -> dict[str, int]:
    """Python bytecodes executed and Python functions entered while ``fn()`` runs.

    Counted with :mod:`sys.monitoring` (``INSTRUCTION`` and ``PY_START`` events), so
    the figures do not depend on the machine or its load: for the same code and seed
    they are the same on every run, which makes a change of a few per cent visible
    where timings on a shared machine move by more than that. Compiled code (numba
    kernels, numpy, C builtins) counts as the one call that enters it. ``fn`` runs
    about 20× slower while it is counted.
    """
    mon = sys.monitoring
    tool = mon.PROFILER_ID
    counts = [0, 0]

    def instruction(code: object, offset: int) -> None:
        counts[0] += 1

    def start(code: object, offset: int) -> None:
        counts[1] += 1

    mon.use_tool_id(tool, "aipm-bench")
    try:
        mon.register_callback(tool, mon.events.INSTRUCTION, instruction)
        mon.register_callback(tool, mon.events.PY_START, start)
        mon.set_events(tool, mon.events.INSTRUCTION | mon.events.PY_START)
        try:
            fn()
        finally:
            mon.set_events(tool, 0)
    finally:
        mon.register_callback(tool, mon.events.INSTRUCTION, None)
        mon.register_callback(tool, mon.events.PY_START, None)
        mon.free_tool_id(tool)
    return {"bytecodes": counts[0], "python_calls": counts[1]}


def spread(values: list[float], digits: int | None = None) -> dict[str, float]:
    """Median, min and max of repeated measurements (rounded to ``digits`` if given)."""
    out = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return out if digits is None else {k: round(v, digits) for k, v in out.items()}


def run_worker(script: str, kind: str, n: int, quarters: int, seed: int) -> dict[str, Any]:
    """Run ``script --worker kind`` in a fresh subprocess; the JSON row it prints last."""
    cmd = [sys.executable, script, "--worker", kind, "--n", str(n)]
    cmd += ["--quarters", str(quarters), "--seed", str(seed)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON atomically (temp file in the same folder, then rename).

    ``data["machine"]`` should come from :func:`metadata` (taken at the start); what
    it lacks of it (git commit, cores, versions) is filled in here, and the load
    average at the end is added.
    """
    meta = data.setdefault("machine", {})
    for key, value in metadata().items():
        if key not in ("load_average_at_start", "started"):
            meta.setdefault(key, value)
    meta["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)
