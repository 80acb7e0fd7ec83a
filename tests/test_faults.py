"""Fault injection: ``kill -9`` during ``aipm run`` and ``aipm sweep``, then run again.

Kills come at fixed points of a write (``AIPM_FAULT``, see :mod:`runs.faults`:
between the two renames, between the manifest files, between a chunk's parts) and
at random moments. After every kill the folder holds the previous complete run or
the new one, never neither; running again (or ``--resume``) finishes with every
run id exactly once and the same results as an uninterrupted sweep; no worker or
resource-tracker process outlives a killed sweep. Two processes on one sweep
folder: one proceeds, the other exits 2 with one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from runs.cli import app
from runs.faults import ENV
from runs.sweeping import sweep
from runs.sweepstore import SweepStore

ROOT = Path(__file__).resolve().parent.parent
BASELINE = (ROOT / "scenarios" / "baseline.toml").as_posix()
RUN_FILES = ("params.json", "firms.parquet", "system.parquet", "deals.parquet", "events.parquet")
#: every kill of this module draws its moment from here; the seed is in the failure message
SEED = int(os.environ.get("AIPM_FAULT_SEED", random.SystemRandom().randrange(2**32)))
RNG = random.Random(SEED)


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def popen(*args, fault: str | None = None, session: bool = False):
    """``python -m runs ARGS`` (``session``: in a process group of its own, to signal)."""
    env = {**os.environ, ENV: fault} if fault else {k: v for k, v in os.environ.items() if k != ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "runs", *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=session,
    )


def run_seed(folder: Path) -> int | None:
    """Seed of the complete run in ``folder`` (every file readable), else None."""
    try:
        params = json.loads((folder / "params.json").read_text())
        for name in RUN_FILES[1:]:
            pd.read_parquet(folder / name)
    except (OSError, ValueError):
        return None
    return params["seed"]


def visible_run(out: Path) -> int | None:
    """The run a user (or the next ``aipm run``) finds: ``out``, or ``.out.old`` without it."""
    if out.exists():
        return run_seed(out)
    old = out.with_name(f".{out.name}.old")
    return run_seed(old) if old.exists() else None


# -- aipm run --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("earlier") / "run"
    r = invoke("run", BASELINE, "--quarters", 2, "--seed", 1, "--out", out, "--no-report")
    assert r.exit_code == 0, r.stderr
    return out


def _check_kill_then_rerun(tmp_path: Path, out: Path, killed: subprocess.Popen) -> None:
    _, stderr = killed.communicate(timeout=300)
    if killed.returncode == 0:  # the kill came after the command finished
        assert run_seed(out) == 2
    else:
        assert killed.returncode == -signal.SIGKILL, stderr
        assert visible_run(out) in (1, 2), sorted(p.name for p in tmp_path.iterdir())
    r = invoke("run", BASELINE, "--quarters", 2, "--seed", 3, "--out", out, "--no-report")
    assert r.exit_code == 0, r.stderr
    assert run_seed(out) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing left behind


@pytest.mark.parametrize(
    "point",
    ["output.written", "output.before-rename", "output.between-renames", "output.after-renames"],
)
def test_run_killed_at_each_point_of_the_write(tmp_path, earlier_run, point):
    out = tmp_path / "run"
    shutil.copytree(earlier_run, out)
    args = ("run", BASELINE, "--quarters", 2, "--seed", 2, "--out", out, "--no-report")
    killed = popen(*args, fault=point)
    killed.wait(timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.read()
    _check_kill_then_rerun(tmp_path, out, killed)


@pytest.mark.parametrize("attempt", range(3))
def test_run_killed_at_a_random_moment(tmp_path, earlier_run, attempt):
    out = tmp_path / "run"
    shutil.copytree(earlier_run, out)
    delay = RNG.uniform(0.5, 5.0)  # imports, checks, simulation, tables, renames
    killed = popen("run", BASELINE, "--quarters", 2, "--seed", 2, "--out", out, "--no-report")
    try:
        killed.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        killed.send_signal(signal.SIGKILL)
    try:
        _check_kill_then_rerun(tmp_path, out, killed)
    except AssertionError as exc:
        raise AssertionError(f"kill after {delay:.2f} s (AIPM_FAULT_SEED={SEED}): {exc}") from exc


# -- aipm sweep ------------------------------------------------------------------------
def write_spec(folder: Path, samples: int = 6, quarters: int = 4) -> Path:
    spec = folder / "spec.toml"
    spec.write_text(
        f"""
name = "faults"
scenario = "{BASELINE}"
design = "lhs"
samples = {samples}
replicates = 2
root_seed = 11
chunk_size = 1
save_paths = true

[fixed]
quarters = {quarters}

[parameters]
"demand.bass_q" = {{ low = 0.03, high = 0.15 }}
"behaviour.optimism" = {{ low = 0.0, high = 1.0 }}
"""
    )
    return spec


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted sweep (serial, in this process)."""
    folder = tmp_path_factory.mktemp("reference")
    return sweep(write_spec(folder), folder / "out", workers=1, progress=False)


def assert_complete(out: Path, reference: pd.DataFrame) -> None:
    got = SweepStore(out).read_runs()  # raises on a duplicated run id
    assert got["run_id"].tolist() == list(range(len(reference)))
    pd.testing.assert_frame_equal(
        got.drop(columns="duration_s"), reference.drop(columns="duration_s"), check_exact=True
    )
    paths = SweepStore(out).read_paths("system")
    assert sorted(paths["run_id"].unique()) == list(range(len(reference)))
    assert len(paths) == len(reference) * 4  # each run's quarters exactly once
    assert json.loads((out / "summary.json").read_text())["complete"] is True
    assert not list(out.rglob(".*.tmp"))


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _running(p: psutil.Process) -> bool:
    """Whether ``p`` still runs (a zombie has ended: only its parent has not reaped it)."""
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_all_gone(procs: list[psutil.Process], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while (alive := [p for p in procs if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    names = []
    for p in alive:  # do not leave them running for the rest of the suite
        with contextlib.suppress(psutil.NoSuchProcess):
            names.append(" ".join(p.cmdline()[:4]) or p.name())
            p.kill()
    assert not names, f"still running after the command ended: {names}"


def resume(spec: Path, out: Path):
    return invoke("sweep", spec, "--out", out, "--resume", "--workers", 1, "--no-progress")


@pytest.mark.parametrize(
    "point",
    [
        "sweep.after-lock",
        "sweep.after-manifest",
        "sweep.after-design",
        "sweep.after-paths@1",
        "sweep.after-paths@5",
        "sweep.after-chunk@3",
        "output.written",  # not a sweep point: the sweep runs to the end
    ],
)
def test_sweep_killed_at_each_point_then_resumed(tmp_path, reference, point):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    killed = popen("sweep", spec, "--out", out, "--workers", 1, "--no-progress", fault=point)
    _, stderr = killed.communicate(timeout=300)
    if point.startswith("sweep."):
        assert killed.returncode == -signal.SIGKILL, stderr
        if point != "sweep.after-lock":  # before the manifest: a fresh start is fine too
            fresh = invoke("sweep", spec, "--out", out, "--workers", 1, "--no-progress")
            assert fresh.exit_code == 2 and "is not empty (use --resume" in fresh.stderr
    r = resume(spec, out)
    assert r.exit_code == 0, r.stderr
    assert "complete:" in r.stdout
    assert_complete(out, reference)


@pytest.mark.parametrize("attempt", range(2))
def test_pool_sweep_killed_at_a_random_moment_leaves_no_process(tmp_path, reference, attempt):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    killed = popen("sweep", spec, "--out", out, "--workers", 2, "--no-progress")
    delay = RNG.uniform(2.0, 8.0)
    children: list[psutil.Process] = []
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and killed.poll() is None:
        children = descendants(killed.pid) or children  # workers and the resource tracker
        time.sleep(0.1)
    killed.send_signal(signal.SIGKILL)  # the sweep process only, not its process group
    killed.communicate(timeout=60)
    assert_all_gone(children)
    try:
        r = resume(spec, out)
        assert r.exit_code == 0, r.stderr
        assert_complete(out, reference)
    except AssertionError as exc:
        raise AssertionError(f"kill after {delay:.2f} s (AIPM_FAULT_SEED={SEED}): {exc}") from exc


# -- two processes, one folder --------------------------------------------------------
def _race(*procs: subprocess.Popen) -> list[tuple[int, str]]:
    return [(p.wait(timeout=600), p.communicate()[1]) for p in procs]


def _one_wins(results: list[tuple[int, str]], messages: tuple[str, ...]) -> None:
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    lines = [ln for ln in loser.splitlines() if ln.strip()]
    assert len(lines) == 1 and any(m in lines[0] for m in messages), loser


def test_two_fresh_sweeps_on_one_folder(tmp_path):
    spec, out = write_spec(tmp_path, samples=10, quarters=10), tmp_path / "out"
    args = ("sweep", spec, "--out", out, "--workers", 1, "--no-progress")
    _one_wins(_race(popen(*args), popen(*args)), ("in use by another aipm sweep", "is not empty"))
    runs = SweepStore(out).read_runs()
    assert runs["run_id"].tolist() == list(range(20))


def test_two_resumes_on_one_folder(tmp_path):
    spec, out = write_spec(tmp_path, samples=10, quarters=10), tmp_path / "out"
    args = ("sweep", spec, "--out", out, "--workers", 1, "--no-progress")
    assert popen(*args, fault="sweep.after-chunk@2").wait(timeout=300) == -signal.SIGKILL
    _one_wins(
        _race(popen(*args, "--resume"), popen(*args, "--resume")),
        ("in use by another aipm sweep",),
    )
    runs = SweepStore(out).read_runs()
    assert runs["run_id"].tolist() == list(range(20))
    assert json.loads((out / "summary.json").read_text())["complete"] is True


def test_analyze_refuses_a_runs_table_with_duplicated_run_ids(tmp_path, reference):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    assert sweep(spec, out, workers=1, progress=False)["run_id"].is_unique
    parts = sorted((out / "runs").glob("part-*.parquet"))
    shutil.copy(parts[0], out / "runs" / "part-99999.parquet")  # as two writers once did
    r = invoke("analyze", out)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 2 and len(lines) == 1, r.stderr
    assert "run ids appear more than once" in lines[0]
    assert not (out / "analysis").exists()
    r = resume(spec, out)
    assert r.exit_code == 2 and "is already in another part" in r.stderr
