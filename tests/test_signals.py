"""Ctrl-C and SIGTERM stop ``aipm run`` cleanly, whenever they come.

A real ``aipm run`` (a subprocess with its drawing processes) gets SIGINT or SIGTERM
between two quarters, while it moves the run into place, as soon as its temporary
folder appears (imports, model set-up) and while its report is drawn in two processes;
sent to the process alone (``kill PID``) or to its process group (Ctrl-C in a
terminal, ``timeout``, a job scheduler). Every time it says in one line on stderr what
is on disk, then dies of the signal (a shell shows 130 or 143, and a shell loop stops),
leaves no temporary folder, leaves the earlier run as it was, and leaves no process
behind — not even after ``kill -9``. ``aipm sweep`` stops on SIGTERM between chunks with
its line; ``aipm report``, ``aipm analyze`` and ``aipm check-model`` stop with theirs and
nothing half-written. The moments are reached by waiting for what the run does
(``AIPM_FAULT=NAME:TERM`` signals it from inside), not for a time, so that a busy machine
changes nothing but the duration.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest
from test_faults import (
    BASELINE,
    ROOT,
    assert_all_gone,
    assert_complete,
    descendants,
    invoke,
    popen,
    reference,  # noqa: F401 - a fixture
    resume,
    run_seed,
    write_spec,
)

from runs.interrupts import Interrupted, StopSignals, exit_code
from runs.sweeping import sweep
from runs.sweepstore import SweepStore
from runs.worker import ChunkResult, ChunkTask, run_chunk

NOTHING = "interrupted: nothing written"
WAIT = 300.0
"""Seconds to wait for a moment of the run (a busy CI machine is slow, never this slow)."""


@pytest.fixture(autouse=True)
def ctrl_c_not_ignored():
    """A test run started in the background (``make test &``) ignores Ctrl-C, and so would
    the runs it starts: not here."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


# -- the handler, in this process ----------------------------------------------------------
def test_a_signal_is_raised_at_the_next_check_only():
    previous = signal.getsignal(signal.SIGTERM)
    with StopSignals() as signals:
        signals.check()  # nothing came: nothing raised
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # or this ends pytest
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 10
        while signals.received is None and time.monotonic() < deadline:
            time.sleep(0.001)  # the handler runs in the main thread, between two bytecodes
        os.kill(os.getpid(), signal.SIGINT)  # a second signal is ignored, not raised
        time.sleep(0.05)
        for _ in range(2):  # raised at every check from then on
            with pytest.raises(Interrupted) as info:
                signals.check()
            assert info.value.signum == signal.SIGTERM and exit_code(info.value) == 143
    assert signal.getsignal(signal.SIGTERM) is previous
    assert exit_code(KeyboardInterrupt()) == 130  # Python's own Ctrl-C


def test_a_signal_ignored_from_the_start_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a background job
    try:
        with StopSignals() as signals:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == signals._record
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_fault_hook_names_its_signals(monkeypatch):
    from runs.faults import ENV, fault_point

    monkeypatch.setenv(ENV, "run.quarter:HUP")
    with pytest.raises(ValueError, match="unknown signal 'HUP'"):
        fault_point("run.quarter")
    fault_point("output.written")  # another point: nothing happens


# -- a real aipm run -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> Path:
    """A finished run (seed 1, two quarters), copied where a test's run writes."""
    out = tmp_path_factory.mktemp("earlier") / "run"
    p = popen("run", BASELINE, "--quarters", 2, "--seed", 1, "--out", out, "--no-report")
    assert p.wait(timeout=WAIT) == 0, p.communicate()[1]
    return out


def tree(folder: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(folder)), p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
    )


class Watched:
    """A running ``aipm run`` and every process it has started so far."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.children: dict[int, psutil.Process] = {}

    def look(self) -> list[psutil.Process]:
        now = descendants(self.proc.pid)
        self.children.update((p.pid, p) for p in now)
        return now

    def wait_for(self, moment, what: str) -> None:
        """Poll (every 10 ms) until ``moment()`` is true; fail if the run ends first."""
        deadline = time.monotonic() + WAIT
        while not moment():
            self.look()
            if self.proc.poll() is not None:
                raise AssertionError(f"the run ended before {what}: {self.proc.communicate()}")
            assert time.monotonic() < deadline, f"no {what} after {WAIT} s"
            time.sleep(0.01)
        self.look()

    def finish(self, seconds: float = 5.0) -> tuple[int, str]:
        """Wait for the run to exit, then ``seconds`` at most for every process it started
        to be gone: exit code, stderr.

        Its processes are waited for before its output is read: one left running would
        hold the output open.
        """
        deadline = time.monotonic() + WAIT
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.look()
            time.sleep(0.01)
        assert self.proc.poll() is not None, f"still running {WAIT} s after the signal"
        assert_all_gone(list(self.children.values()), seconds=seconds)
        _, stderr = self.proc.communicate(timeout=WAIT)
        return self.proc.returncode, stderr


def temp_folders(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(".")]


def assert_stopped(
    watched: Watched, parent: Path, signum: int, line: str, before: list | None
) -> None:
    """Died of the signal, ``line`` alone on stderr, no temporary folder, no process left."""
    code, stderr = watched.finish()
    assert code == -signum, stderr
    assert stderr.splitlines() == [line], stderr
    assert temp_folders(parent) == []
    out = parent / "run"
    if before is None:
        assert not out.exists()
    else:
        assert tree(out) == before  # the earlier run untouched


def start(tmp_path: Path, earlier: Path, *, with_earlier: bool, report: bool, fault=None):
    out = tmp_path / "run"
    before = None
    if with_earlier:
        shutil.copytree(earlier, out)
        before = tree(out)
    flags = () if report else ("--no-report",)
    proc = popen("run", BASELINE, "--seed", 2, "--out", out, *flags, fault=fault, session=True)
    return Watched(proc), out, before


def kept(out: Path, before: list | None) -> str:
    return NOTHING if before is None else f"{NOTHING} (the earlier {out}/ is kept)"


@pytest.mark.parametrize(
    ("signum", "report", "with_earlier"),
    [(signal.SIGTERM, True, True), (signal.SIGINT, False, False)],
    ids=["TERM-report", "INT-no-report"],
)
def test_a_signal_between_two_quarters_stops_the_run(
    tmp_path, earlier, signum, report, with_earlier
):
    name = signal.Signals(signum).name.removeprefix("SIG")
    watched, out, before = start(
        tmp_path, earlier, with_earlier=with_earlier, report=report, fault=f"run.quarter@3:{name}"
    )
    assert_stopped(watched, tmp_path, signum, kept(out, before), before)


def test_a_signal_while_the_run_is_moved_into_place_says_it_is_written(tmp_path, earlier):
    watched, out, _ = start(
        tmp_path, earlier, with_earlier=True, report=False, fault="output.between-renames:INT"
    )
    code, stderr = watched.finish()
    assert code == -signal.SIGINT, stderr
    assert stderr.splitlines() == [f"interrupted: the run was already written to {out}/"]
    assert run_seed(out) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def _temp_folder_made(parent: Path):
    return lambda: bool(temp_folders(parent))


def _drawing_in_two_processes(watched: Watched):
    # the drawing process and its second drawing process, forked once the tables are written
    return lambda: len(watched.look()) >= 2


@pytest.mark.parametrize(
    ("signum", "group", "moment"),
    [
        (signal.SIGINT, True, "start"),
        (signal.SIGTERM, True, "start"),
        (signal.SIGINT, True, "drawing"),
        (signal.SIGTERM, True, "drawing"),
        (signal.SIGTERM, False, "drawing"),
    ],
    ids=[
        "INT-group-start",
        "TERM-group-start",
        "INT-group-drawing",
        "TERM-group-drawing",
        "TERM-pid-drawing",
    ],
)
def test_a_signal_at_a_moment_of_the_run(tmp_path, earlier, signum, group, moment):
    """``kill -INT -PGID`` is Ctrl-C (and ``timeout``, a scheduler): every process gets it."""
    watched, out, before = start(tmp_path, earlier, with_earlier=moment == "drawing", report=True)
    if moment == "start":
        watched.wait_for(_temp_folder_made(tmp_path), "temporary folder")
    else:
        watched.wait_for(_drawing_in_two_processes(watched), "second drawing process")
    if group:
        os.killpg(watched.proc.pid, signum)
    else:
        os.kill(watched.proc.pid, signum)
    assert_stopped(watched, tmp_path, signum, kept(out, before), before)


def test_kill_9_while_the_report_is_drawn_leaves_no_process(tmp_path, earlier):
    """No clean-up code sees ``kill -9``: the drawing processes die with the run anyway."""
    watched, out, before = start(tmp_path, earlier, with_earlier=True, report=True)
    watched.wait_for(_drawing_in_two_processes(watched), "second drawing process")
    os.kill(watched.proc.pid, signal.SIGKILL)
    # killed at once by Linux (left alone they would finish the report, a second or more)
    code, _ = watched.finish(seconds=1.0)
    assert code == -signal.SIGKILL
    assert tree(out) == before  # the temporary folder is the next run's to remove


def test_sigterm_stops_a_sweep_between_chunks(tmp_path, reference):  # noqa: F811
    spec, out = write_spec(tmp_path), tmp_path / "out"
    watched = Watched(popen("sweep", spec, "--out", out, "--workers", 1, "--no-progress"))
    watched.wait_for(lambda: any((out / "runs").glob("part-*.parquet")), "first chunk")
    os.kill(watched.proc.pid, signal.SIGTERM)
    code, stderr = watched.finish()
    assert code == -signal.SIGTERM, stderr
    assert stderr.splitlines() == [
        f"interrupted: finished runs are kept in {out}; add --resume to go on"
    ]
    assert resume(spec, out).exit_code == 0
    assert_complete(out, reference)


TRACE = "AIPM_TEST_STARTED"
"""File where :func:`_noted_chunk` notes, in the pool's workers, which runs start."""


def _noted_chunk(task: ChunkTask) -> ChunkResult:
    """``run_chunk``, noting first in the file ``$AIPM_TEST_STARTED`` the runs it starts."""
    with open(os.environ[TRACE], "a") as started:
        started.write(" ".join(str(run.run_id) for run in task.runs) + "\n")
    return run_chunk(task)


def test_sigterm_stops_a_pool_sweep_once_the_chunks_under_way_are_written(
    tmp_path,
    reference,  # noqa: F811
    capsys,
):
    """With ``--workers 2`` no chunk starts after SIGTERM (the pool's queue hands none to a
    worker that comes free), and every chunk that started is written before it stops."""
    import runs.faults
    import runs.sweeping
    from runs.cli import app
    from runs.faults import ENV

    spec, out, trace = write_spec(tmp_path), tmp_path / "out", tmp_path / "started"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runs.faults, "_passed", Counter())  # this process's count of fault points
        mp.setenv(ENV, "sweep.after-chunk@1:TERM")  # as the first chunk (one run) is written
        mp.setenv(TRACE, str(trace))  # before the pool starts: its workers inherit it
        mp.setattr(runs.sweeping, "run_chunk", _noted_chunk)
        flags = ["--out", str(out), "--workers", "2", "--no-progress"]
        code = app(["sweep", str(spec), *flags], standalone_mode=False)
    assert code == 128 + signal.SIGTERM
    assert capsys.readouterr().err.splitlines() == [
        f"interrupted: finished runs are kept in {out}; add --resume to go on"
    ]
    started = sorted(int(run_id) for run_id in trace.read_text().split())
    assert SweepStore(out).read_runs()["run_id"].tolist() == started  # each one kept
    # the chunks handed to the pool before the signal (two per worker), not one more
    assert len(started) <= 2 * 2 < len(reference)
    assert resume(spec, out).exit_code == 0
    assert_complete(out, reference)


# -- the program's end: by the signal, so that the shell stops too ---------------------------
def shell(script: str, *args, fault: str | None = None) -> subprocess.Popen:
    """``bash -c script PYTHON ARGS`` in a process group of its own (``$0`` runs aipm's Python)."""
    env = {k: v for k, v in os.environ.items() if k != "AIPM_FAULT"}
    return subprocess.Popen(
        ["bash", "-c", script, sys.executable, *map(str, args)],
        cwd=ROOT,
        env=env if fault is None else {**env, "AIPM_FAULT": fault},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_ctrl_c_stops_a_shell_loop_of_runs(tmp_path):
    """Ctrl-C reaches the shell and the run: the run dies of it, so the loop stops there
    (a command that exits with 130 has handled Ctrl-C itself: the shell would go on)."""
    loop = (
        'for s in 1 2; do "$0" -m runs run "$1" --seed $s --out "$2/run$s" --no-report; done; '
        "echo after >&2"
    )
    watched = Watched(shell(loop, BASELINE, tmp_path))
    watched.wait_for(_temp_folder_made(tmp_path), "the first run's temporary folder")
    os.killpg(watched.proc.pid, signal.SIGINT)
    code, stderr = watched.finish()
    assert stderr.splitlines() == [NOTHING]  # no second run, no "after"
    assert code == -signal.SIGINT  # the shell died of it too
    assert list(tmp_path.iterdir()) == []


def test_the_shell_shows_128_plus_the_signal(tmp_path):
    script = '"$0" -m runs run "$1" --out "$2/run" --no-report; echo "status $?"'
    proc = shell(script, BASELINE, tmp_path, fault="run.quarter@2:TERM")  # to aipm only
    stdout, stderr = proc.communicate(timeout=WAIT)
    assert (proc.returncode, stdout) == (0, "status 143\n"), stderr
    # and bash says what it says of any command that SIGTERM ends
    assert stderr.splitlines()[0] == NOTHING and stderr.splitlines()[1:] == ["Terminated"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_called_from_python_the_command_returns_128_plus_the_signal(tmp_path, signum):
    """Only the program dies of the signal: a test or a notebook gets the code and goes on."""
    import runs.faults
    from runs.cli import app
    from runs.faults import ENV

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runs.faults, "_passed", Counter())  # this process's count of fault points
        mp.setenv(ENV, f"run.quarter@1:{signal.Signals(signum).name.removeprefix('SIG')}")
        code = app(
            ["run", BASELINE, "--quarters", "2", "--out", str(tmp_path / "run"), "--no-report"],
            standalone_mode=False,
        )
    assert code == 128 + signum  # returned: this process goes on
    assert list(tmp_path.iterdir()) == []


# -- the other commands that write: report, analyze, check-model ----------------------------
def test_a_signal_while_a_report_is_drawn_stops_it_with_nothing_written(tmp_path, earlier):
    """``aipm report`` draws in two processes; Ctrl-C reaches both: nothing half-written."""
    out = tmp_path / "run"
    shutil.copytree(earlier, out)
    before = tree(out)
    watched = Watched(popen("report", out, session=True))
    watched.wait_for(lambda: len(watched.look()) >= 1, "second drawing process")
    os.killpg(watched.proc.pid, signal.SIGINT)
    code, stderr = watched.finish()
    assert code == -signal.SIGINT, stderr
    assert stderr.splitlines() == [f"interrupted: nothing written ({out}/ is as it was)"]
    assert tree(out) == before  # no figure, no page, no temporary file


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """A finished small sweep (twelve runs)."""
    folder = tmp_path_factory.mktemp("swept")
    sweep(write_spec(folder), folder / "out", workers=1, progress=False)
    return folder / "out"


def test_a_signal_while_the_analysis_is_written_lets_it_finish_and_says_so(tmp_path, swept):
    """SIGTERM after the first table: every table is written whole, then it stops."""
    out = tmp_path / "sweep"
    shutil.copytree(swept, out)
    watched = Watched(popen("analyze", out, fault="analysis.table@1:TERM"))
    code, stderr = watched.finish()
    assert code == -signal.SIGTERM, stderr
    assert stderr.splitlines() == [
        f"interrupted: the analysis was already written to {out}/analysis/"
    ]
    done = tmp_path / "again"
    shutil.copytree(swept, done)
    assert invoke("analyze", done).exit_code == 0
    written = {p.name: p.read_bytes() for p in (out / "analysis").iterdir()}
    assert written == {p.name: p.read_bytes() for p in (done / "analysis").iterdir()}


def test_sigterm_stops_check_model_with_nothing_written_and_no_worker_left(tmp_path):
    out = tmp_path / "check"
    flags = ("--seeds", 20, "--scenario", "optimistic", "--workers", 2, "--no-progress")
    watched = Watched(popen("check-model", "--out", out, *flags, session=True))
    # its temporary folder, and its two workers at work (and multiprocessing's tracker)
    watched.wait_for(lambda: temp_folders(tmp_path) and len(watched.look()) >= 3, "workers")
    os.killpg(watched.proc.pid, signal.SIGTERM)
    code, stderr = watched.finish()
    assert code == -signal.SIGTERM, stderr
    assert stderr.splitlines() == [NOTHING]
    assert list(tmp_path.iterdir()) == []


def test_a_signal_stops_check_models_pool_at_once(tmp_path, monkeypatch, capsys):
    """The pool gets no new run from the moment of the signal (the handler stops it), not
    only at the suite's next check, and it is closed on the way out. (The suite is a
    stand-in that gets SIGINT, then looks at its executor.)"""
    import runs.validation.suite
    from runs.cli import app
    from runs.executors import PoolExecutor

    seen = []

    def suite_interrupted(config, *, executor, check, **_):
        os.kill(os.getpid(), signal.SIGINT)
        seen.append((type(executor), executor.stopping))
        check()

    monkeypatch.setattr(runs.validation.suite, "run_suite", suite_interrupted)
    closed = []
    monkeypatch.setattr(PoolExecutor, "close", lambda self: closed.append(self.stopping))
    out = tmp_path / "check"
    args = ["check-model", "--out", str(out), "--workers", "2", "--no-progress"]
    assert app(args, standalone_mode=False) == 128 + signal.SIGINT
    assert seen == [(PoolExecutor, True)]
    assert closed == [True]
    assert capsys.readouterr().err.splitlines() == [NOTHING]
    assert list(tmp_path.iterdir()) == []


def test_interrupted_during_the_sobol_sweep_check_model_says_its_runs_are_kept(
    tmp_path, monkeypatch, capsys
):
    """``--full``: the suite's Sobol sweep is written in place, in OUT/sobol_sweep; a signal
    during it keeps its finished runs for the next call, and the line says so. (The suite
    itself is a stand-in that starts the sweep's folder, then gets SIGTERM.)"""
    import runs.validation.suite
    from runs.cli import app

    def suite_stopped_in_its_sweep(config, *, out, check, **_):
        (out / "sobol_sweep").mkdir(parents=True)
        os.kill(os.getpid(), signal.SIGTERM)
        check()

    monkeypatch.setattr(runs.validation.suite, "run_suite", suite_stopped_in_its_sweep)
    out = tmp_path / "check"
    code = app(["check-model", "--full", "--out", str(out), "--no-progress"], standalone_mode=False)
    assert code == 128 + signal.SIGTERM
    kept = f"the Sobol sweep's finished runs are kept in {out}/sobol_sweep for the next call"
    assert capsys.readouterr().err.splitlines() == [f"{NOTHING}; {kept}"]
    assert [p.name for p in tmp_path.iterdir()] == ["check"]  # no temporary folder
    assert [p.name for p in out.iterdir()] == ["sobol_sweep"]
