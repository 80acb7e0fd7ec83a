"""`aipm run` and `aipm validate`, including bad scenario files (exit 2, nothing written)."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from world.metrics import FIRM_COLUMNS, SYSTEM_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


def aipm(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "runs", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
    )


def test_validate_ok():
    r = aipm("validate", BASELINE)
    assert r.returncode == 0, r.stderr
    assert "baseline" in r.stdout and "7 firms" in r.stdout


def test_run_writes_outputs(tmp_path):
    out = tmp_path / "run"
    r = aipm("run", BASELINE, "--seed", 3, "--quarters", 6, "--out", out, "--no-report")
    assert r.returncode == 0, r.stderr
    params = json.loads((out / "params.json").read_text())
    assert params["seed"] == 3 and params["scenario"]["quarters"] == 6
    assert params["aipm_version"] and params["git_commit"]
    firms = pd.read_parquet(out / "firms.parquet")
    system = pd.read_parquet(out / "system.parquet")
    assert set(FIRM_COLUMNS) <= set(firms.columns)
    assert set(SYSTEM_COLUMNS) <= set(system.columns)
    assert len(system) == 6 and len(firms) == 6 * 7
    assert not list(tmp_path.glob(".*tmp"))  # no temporary leftovers


BAD = [
    (
        "quarters = 40",
        "quarters = 4000",
        "quarters: Input should be less than or equal to 400 (allowed: 1 ≤ quarters ≤ 400)",
    ),
    ("bass_q = 0.07", "bass_qq = 0.07", "demand.bass_qq: unknown key"),
    ("token_elasticity = 1.12", 'token_elasticity = "fast"', "demand.token_elasticity:"),
    ("market_cap = 202.8", "market_cap = -1.0", "firms.1.market_cap: Input should be greater"),
    ('customer = "OpenAI"', 'customer = "OpenAl"', "unknown firm 'OpenAl'"),
    ('name = "baseline"', 'name = "baseline', "invalid TOML"),
    (
        "ramp_quarters = 8",
        "ramp_quarters = 30",
        "deals.12.cloud_contract: ramp_quarters must be in [1, quarters = 24], got 30",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_scenarios_exit_2_one_line_nothing_written(tmp_path, old, new, message, command):
    text = BASELINE.read_text()
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1))
    out = tmp_path / "out"
    args = ("run", bad, "--out", out) if command == "run" else ("validate", bad)
    r = aipm(*args)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert message in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--quarters", "0", "--quarters: 0 is out of range (allowed: 1 ≤ quarters ≤ 400)"),
        ("--seed", "-1", "--seed: -1 is out of range"),
    ],
)
def test_bad_flags_exit_2(tmp_path, flag, value, message):
    out = tmp_path / "out"
    r = aipm("run", BASELINE, flag, value, "--out", out)
    assert r.returncode == 2 and message in r.stderr and not out.exists()


def test_missing_file_exit_2(tmp_path):
    r = aipm("validate", tmp_path / "nope.toml")
    assert r.returncode == 2 and "cannot read scenario file" in r.stderr


def test_console_script_and_module_agree(tmp_path):
    exe = Path(sys.executable).with_name("aipm")
    r = subprocess.run([exe, "validate", BASELINE], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == aipm("validate", BASELINE).stdout


# -- in-process helpers -----------------------------------------------------------------
def invoke(*args, **env):
    from typer.testing import CliRunner

    from runs.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], env=env or None)


def one_error_line(r) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail if a command starts simulating: errors must come before the simulation."""
    import runs.simulate

    def boom(*a, **k):
        raise AssertionError("the simulation started")

    monkeypatch.setattr(runs.simulate, "simulate", boom)


# -- output folders -------------------------------------------------------------------
def test_out_never_deletes_a_folder_that_is_not_a_run(tmp_path, no_simulation):
    """Issue 14, case 1: `--out d` used to delete d/sub/thesis.txt."""
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "thesis.txt").write_text("years of work")
    line = one_error_line(invoke("run", BASELINE, "--out", tmp_path / "d", "--no-report"))
    assert "is not empty and is not an aipm run folder (it holds sub)" in line
    assert "--force" not in line  # --force would not replace it either
    assert (tmp_path / "d" / "sub" / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    line = one_error_line(invoke("run", BASELINE, "--out", tmp_path / "d", "--force"))
    assert "is not an aipm output folder (it holds sub)" in line
    assert (tmp_path / "d" / "sub" / "thesis.txt").read_text() == "years of work"


def test_out_force_replaces_an_earlier_output_and_a_run_replaces_a_run(tmp_path):
    d = tmp_path / "d"
    d.mkdir()  # a sweep folder, with the files of a sweep
    (d / "params.json").write_text('{"kind": "aipm-sweep", "scenario": {}}')
    (d / "runs").mkdir()
    (d / "runs" / "part-00000.parquet").write_bytes(b"PAR1")
    r = invoke("run", BASELINE, "--quarters", 2, "--out", d, "--no-report", "--force")
    assert r.exit_code == 0, r.stderr
    assert not (d / "runs").exists() and json.loads((d / "params.json").read_text())["kind"]
    r = invoke("run", BASELINE, "--quarters", 3, "--seed", 5, "--out", d, "--no-report")
    assert r.exit_code == 0, r.stderr
    params = json.loads((d / "params.json").read_text())
    assert params["seed"] == 5 and params["kind"] == "aipm-run" and params["quarters_run"] == 3
    r = invoke("run", BASELINE, "--quarters", 2, "--seed", 6, "--out", d, "--no-report", "--force")
    assert r.exit_code == 0, r.stderr  # --force into an earlier run: replaced as without it
    assert json.loads((d / "params.json").read_text())["seed"] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no .d.old, no .d.*.tmp


def test_a_run_folder_with_files_the_user_added_is_not_replaced_unseen(tmp_path, no_simulation):
    """Re-running into an earlier run replaces it whole: files added to it would go too."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "params.json").write_text(json.dumps({"kind": "aipm-run"}))
    (run / "firms.parquet").write_bytes(b"PAR1")
    (run / "notes.txt").write_text("mine")
    line = one_error_line(invoke("run", BASELINE, "--out", run, "--no-report"))
    assert line == (
        f"error: --out: {run} is an earlier run that also holds notes.txt, which replacing "
        "it would delete; move them, or --force to replace them too"
    )
    assert (run / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing written beside


def test_force_replaces_a_run_folder_with_added_files(tmp_path):
    run = tmp_path / "run"
    r = invoke("run", BASELINE, "--quarters", 1, "--out", run, "--no-report")
    assert r.exit_code == 0, r.stderr
    (run / "notes.txt").write_text("mine")
    r = invoke("run", BASELINE, "--quarters", 1, "--out", run, "--no-report", "--force")
    assert r.exit_code == 0, r.stderr
    assert not (run / "notes.txt").exists() and (run / "firms.parquet").exists()


def test_a_sweep_folder_is_not_a_run_folder(tmp_path, no_simulation):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "params.json").write_text('{"kind": "aipm-sweep", "scenario": {}}')
    line = one_error_line(invoke("run", BASELINE, "--out", tmp_path / "s"))
    assert "not an aipm run folder" in line and "--force to replace it" in line


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*") if p.is_file()}


def test_force_never_deletes_the_folder_of_the_scenario_file(tmp_path, monkeypatch, no_simulation):
    """The audit's case: `cd /tmp && aipm run /tmp/x/my.toml --out /tmp/x --force`."""
    x = tmp_path / "x"
    x.mkdir()
    (x / "my.toml").write_text(BASELINE.read_text())
    (x / "notes.txt").write_text("mine")
    (x / "sub").mkdir()
    (x / "sub" / "deep.toml").write_text(BASELINE.read_text())
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    # the scenario's folder, given as is or relative, and a folder containing the scenario
    for scenario, out in ((x / "my.toml", x), (x / "my.toml", "../x"), ("../x/sub/deep.toml", x)):
        line = one_error_line(invoke("run", scenario, "--out", out, "--force"))
        assert line == f"error: --out: {out} holds the input file {scenario}; give another folder"
    line = one_error_line(invoke("run", x / "my.toml", "--out", x))  # without --force too
    assert "holds the input file" in line
    text = BASELINE.read_text()
    assert _files(x) == {"my.toml": text, "notes.txt": "mine", "sub/deep.toml": text}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "x"]


def test_a_run_folder_holding_the_scenario_file_is_not_replaced(tmp_path, no_simulation):
    run = tmp_path / "run"
    run.mkdir()
    (run / "params.json").write_text(json.dumps({"kind": "aipm-run"}))
    (run / "mine.toml").write_text(BASELINE.read_text())
    for force in ((), ("--force",)):
        line = one_error_line(invoke("run", run / "mine.toml", "--out", run, *force))
        assert f"--out: {run} holds the input file {run / 'mine.toml'}" in line
    link = tmp_path / "link.toml"  # given through a link: the file it names counts
    link.symlink_to(run / "mine.toml")
    line = one_error_line(invoke("run", link, "--out", run, "--force"))
    assert "holds the input file" in line
    assert sorted(p.name for p in run.iterdir()) == ["mine.toml", "params.json"]


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_a_folder_with_a_git_entry_is_never_replaced(tmp_path, no_simulation, force):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / "params.json").write_text(json.dumps({"kind": "aipm-run"}))  # even if a run's
    (repo / "system.parquet").write_bytes(b"PAR1")
    for out in (repo, repo / ".git", repo / ".git" / "objects"):
        line = one_error_line(invoke("run", BASELINE, "--out", out, *force))
        assert line.startswith("error: --out: ") and "a .git entry" in line
    assert _files(repo) == {
        ".git/HEAD": "ref: refs/heads/main\n",
        "params.json": '{"kind": "aipm-run"}',
        "system.parquet": "PAR1",
    }


def test_force_refuses_an_unrelated_folder_and_lists_what_it_holds(tmp_path, no_simulation):
    d = tmp_path / "d"
    d.mkdir()
    for name in ("b.txt", "a.txt", "summary.json", "c.csv", "d.md"):
        (d / name).write_text(name)
    line = one_error_line(invoke("run", BASELINE, "--out", d, "--force"))
    assert line == (
        f"error: --out: {d} is not an aipm output folder (it holds a.txt, b.txt, c.csv and "
        "1 more); --force only replaces an earlier aipm run or sweep folder"
    )
    assert len(_files(d)) == 5
    (d / "params.json").write_text('{"learning_rate": 0.1}')  # somebody else's params.json
    line = one_error_line(invoke("run", BASELINE, "--out", d, "--force"))
    assert "is not an aipm output folder" in line and len(_files(d)) == 6


def test_force_refuses_the_home_and_current_folders(tmp_path, monkeypatch, no_simulation):
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    (home / "params.json").write_text(json.dumps({"kind": "aipm-run"}))
    monkeypatch.setenv("HOME", str(home))
    for out in (home, tmp_path):
        line = one_error_line(invoke("run", BASELINE, "--out", out, "--force"))
        assert f"--out: {out} is your home folder or contains it" in line
    monkeypatch.chdir(home / "work")
    line = one_error_line(invoke("run", BASELINE, "--out", home / "work", "--force"))
    assert f"--out: {home / 'work'} is the current folder or contains it" in line
    assert sorted(p.name for p in home.iterdir()) == ["params.json", "work"]


def test_the_guard_refuses_the_root_and_is_checked_again_before_replacing(tmp_path):
    from runs.output import OutputError, check_replaceable, open_output

    with pytest.raises(OutputError, match="--out: / is the filesystem root"):
        check_replaceable(Path("/"), force=True)
    run = tmp_path / "run"
    run.mkdir()
    (run / "params.json").write_text(json.dumps({"kind": "aipm-run"}))
    slot = open_output(run)
    with slot:
        (run / ".git").mkdir()  # made a repository while the run was simulating
        with pytest.raises(OutputError, match="a .git entry"):
            slot.commit()
    assert sorted(p.name for p in run.iterdir()) == [".git", "params.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (".", "does not name a folder"),
        ("", "--out: the path is empty (allowed: a folder, e.g. out/baseline)"),
        ("..", "does not name a folder"),
        ("file", "exists and is not a folder"),
        ("file/sub", "file is a file, not a folder"),
        ("file/sub/deeper", "file is a file, not a folder"),
        ("/proc/aipm-test/x", "cannot create /proc/aipm-test"),
        ("link", "is a symbolic link"),
    ],
)
def test_bad_out_paths_fail_before_simulating(tmp_path, monkeypatch, no_simulation, out, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("mine")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert message in one_error_line(invoke("run", BASELINE, "--out", out))
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "file").read_text() == "mine"


SPEC = "SPEC.toml"  # stands for a small sweep spec written by the test
EMPTY_PATHS = [
    (
        ("run", BASELINE, "--out", ""),
        "--out: the path is empty (allowed: a folder, e.g. out/baseline)",
    ),
    (
        ("sweep", SPEC, "--out", ""),
        "--out: the path is empty (allowed: a folder, e.g. out/sweeps/example)",
    ),
    (
        ("check-model", "--out", ""),
        "--out: the path is empty (allowed: a folder, e.g. out/check-model)",
    ),
    (
        ("run", ""),
        "SCENARIO: the path is empty (allowed: a scenario TOML file, e.g. scenarios/baseline.toml)",
    ),
    (
        ("validate", ""),
        "SCENARIO: the path is empty (allowed: a scenario TOML file, e.g. scenarios/baseline.toml)",
    ),
    (
        ("sweep", "", "--out", "x"),
        "SPEC: the path is empty (allowed: a sweep spec TOML file, "
        "e.g. scenarios/sweeps/example.toml)",
    ),
    (("analyze", ""), "DIR: the path is empty (allowed: a sweep folder, e.g. out/sweeps/example)"),
    (("report", ""), "DIR: the path is empty (allowed: a run or sweep folder, e.g. out/baseline)"),
]


@pytest.mark.parametrize(("args", "message"), EMPTY_PATHS)
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    tmp_path, monkeypatch, no_simulation, args, message
):
    """The audit's case: `--out ''` was the current folder, named '.' in the error, and
    `aipm sweep SPEC --out ''` wrote the sweep into it. An empty path (an unset shell
    variable) is refused, naming the flag or argument; nothing is written anywhere."""
    spec = tmp_path / "in" / "spec.toml"
    spec.parent.mkdir()
    spec.write_text(
        f'name = "tiny"\nscenario = "{BASELINE.as_posix()}"\ndesign = "lhs"\nsamples = 1\n'
        '[fixed]\nquarters = 2\n[parameters]\n"demand.bass_q" = { low = 0.03, high = 0.15 }\n'
    )
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    args = [spec if a == SPEC else a for a in args]
    extra = ("--workers", 1) if args[0] == "sweep" else ()  # old aipm ran it in this process
    assert one_error_line(invoke(*args, *extra)) == f"error: {message}"
    assert list(cwd.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "in"]


def test_out_in_a_folder_that_cannot_be_written(tmp_path, monkeypatch, no_simulation):
    """A read-only folder (root ignores permission bits, so the refusal is simulated)."""
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    line = one_error_line(invoke("run", BASELINE, "--out", tmp_path / "new" / "run"))
    assert f"cannot write in {tmp_path / 'new'} (Permission denied)" in line
    assert not (tmp_path / "new").exists()  # the parent it made is removed again


def test_scenario_names_are_safe_file_names(tmp_path, no_simulation):
    for name in (".", "..", ".hidden", "a/b", "-x"):
        bad = tmp_path / "bad.toml"
        bad.write_text(BASELINE.read_text().replace('name = "baseline"', f'name = "{name}"', 1))
        line = one_error_line(invoke("validate", bad))
        assert line == (
            f"error: name: {name!r} is not a safe name "
            "(allowed: letters, digits, _ . -, starting with a letter or digit)"
        )


def test_leftovers_of_a_killed_write_are_recovered_with_one_line_each(tmp_path):
    out = tmp_path / "run"
    assert invoke("run", BASELINE, "--quarters", 2, "--out", out, "--no-report").exit_code == 0
    # a kill between the two renames: only .run.old; and a dead writer's temporary folder
    out.rename(tmp_path / ".run.old")
    (tmp_path / ".run.999999999-abcdefgh.tmp").mkdir()
    (tmp_path / ".run.abcdefgh.tmp").mkdir()  # written before process ids were recorded
    r = invoke("run", BASELINE, "--quarters", 3, "--out", out, "--no-report")
    assert r.exit_code == 0, r.stderr
    notes = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(notes) == 4, r.stderr  # restored, two removed, and the horizon note
    assert sum("recovered" in n for n in notes) == 1 and sum("removed" in n for n in notes) == 2
    assert json.loads((out / "params.json").read_text())["quarters_run"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# -- what-ifs from the command line ------------------------------------------------------
def test_set_and_shock_change_the_run(tmp_path):
    out = tmp_path / "whatif"
    r = invoke(
        "run",
        BASELINE,
        "--quarters",
        8,
        "--out",
        out,
        "--no-report",
        "--set",
        "demand.bass_q=0.03",
        "--set",
        "stress.clearing=rogers_veraart",
        "--shock",
        "2026Q3:behaviour.vendor_financing=false",
        "--shock",
        "2025Q2:sentiment=-0.5",
    )
    assert r.exit_code == 0, r.stderr
    scenario = json.loads((out / "params.json").read_text())["scenario"]
    assert scenario["demand"]["bass_q"] == 0.03
    assert scenario["stress"]["clearing"] == "rogers_veraart"
    assert scenario["shocks"][0]["at"] == "2026Q3"
    assert scenario["shocks"][0]["set"] == {"behaviour.vendor_financing": False}
    assert scenario["shocks"][1]["sentiment"] == -0.5
    events = pd.read_parquet(out / "events.parquet")
    shocks = events[events["kind"] == "shock"]
    assert sorted(shocks["quarter"].tolist()) == [1, 6]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "demand.bass_q=abc"), "--set demand.bass_q: Input should be a valid number"),
        (("--set", "demand.bass_q=5"), "(allowed: 0.0 ≤ bass_q ≤ 2.0)"),
        (("--set", "demand.bass_q=nan"), "finite number"),
        (("--set", "demand.bass_q=true"), "got True"),
        (("--set", "behaviour.vendor_financing=1"), "valid boolean, got 1"),
        (("--set", 'behaviour.vendor_financing="yes"'), "valid boolean, got 'yes'"),
        (("--set", "quarters=2.0"), "valid integer, got 2.0"),
        (("--set", "demand.nope=1"), "--set demand.nope: unknown parameter"),
        (("--set", "demand.bass_q"), "is not PATH=VALUE"),
        (("--set", "x y=1"), "is not a parameter path"),
        (("--set", "demand.bass_q=[1, 2]"), "give a number, true/false or a string"),
        (("--set", "demand.bass_q=2025-01-01"), "give a number"),
        (("--shock", "2099Q1:demand.bass_q=0.1"), "at: 2099Q1 is after the run ends"),
        (("--shock", "2000Q1:demand.bass_q=0.1"), "at: 2000Q1 is before the run starts"),
        (("--shock", "2026Q1:demand.bass_q=9"), "less than or equal to 2"),
        (("--shock", "2026Q1:demand.bass_q=nan"), "finite number"),
        (("--shock", "2026Q1:sentiment=9"), "sentiment: Input should be less than"),
        (("--shock", "2026Q1:firms.OpenAI.cash=1"), "shocks may change parameters only"),
        (("--shock", "2026:demand.bass_q=0.1"), "is not QUARTER:PATH=VALUE"),
        (
            ("--shock", "2026Q1:demand.bassq=0.1"),
            "2026Q1:demand.bassq=0.1: set: demand.bassq: unknown parameter; did you mean 'bass_q'?",
        ),
        (("--quarters", "4", "--shock", "2026Q3:demand.bass_q=0.1"), "after the run ends"),
        (
            ("--shock", "2026Q1:investors.n_investors=5"),
            "--shock 2026Q1:investors.n_investors=5: set.investors.n_investors: the investor "
            "population reads it once, when it is built: a shock cannot change it",
        ),
        (
            ("--shock", "2026Q1:investors.herding_strength=1.5"),
            "set.investors.herding_strength: the investor population reads it once",
        ),
        (
            ("--shock", "2026Q1:history_until=2026Q2"),
            "set.history_until: read once, when the run starts: a shock cannot change it",
        ),
    ],
)
def test_bad_what_ifs_exit_2_one_line(tmp_path, no_simulation, args, message):
    out = tmp_path / "out"
    assert message in one_error_line(invoke("run", BASELINE, "--out", out, *args))
    assert not out.exists()


def test_sets_apply_together_so_shares_can_move_at_once():
    mix = ("investors.share_fundamentalist=1", "investors.share_chartist=0",
           "investors.share_noise=0")  # fmt: skip
    r = invoke("validate", BASELINE, *(a for m in mix for a in ("--set", m)))
    assert r.exit_code == 0, r.stderr
    r = invoke("validate", BASELINE, "--set", mix[0], "--set", mix[1])
    assert r.exit_code == 2 and "must sum to 1" in one_error_line(r)


def test_validate_takes_what_ifs_too():
    r = invoke("validate", BASELINE, "--shock", "2026Q3:behaviour.vendor_financing=false")
    assert r.exit_code == 0 and ", 1 shock, 40 quarters from " in r.stdout


# -- Click's own errors are one line too --------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", BASELINE, "--foo"), "No such option: --foo"),
        (("run",), "Missing argument"),
        (("frobnicate",), "No such command 'frobnicate'"),
        (("run", BASELINE, "--quarters"), "requires an argument"),
    ],
)
def test_usage_errors_are_one_line(tmp_path, args, message):
    line = one_error_line(invoke(*args))
    assert message in line and "--help" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", BASELINE, "--seed", "abc"), "--seed: 'abc' is not a whole number"),
        (("run", BASELINE, "--seed", "1.5"), "--seed: '1.5' is not a whole number"),
        (("run", BASELINE, "--quarters", "x"), "--quarters: 'x' is not a whole number"),
        (
            ("run", BASELINE, "--investor-snapshots", "1e3"),
            "--investor-snapshots: '1e3' is not a whole number",
        ),
        (("check-model", "--workers", "two"), "--workers: 'two' is not a whole number"),
        (("app", "--port", "http"), "--port: 'http' is not a whole number"),
    ],
)
def test_integer_flags_that_are_not_numbers_name_their_range(
    tmp_path, monkeypatch, no_simulation, args, message
):
    from runs.cli import INT_RANGES

    monkeypatch.chdir(tmp_path)  # (an accepted run would write out/NAME here)
    line = one_error_line(invoke(*args))
    flag = message.split(":")[0]
    lo, hi = INT_RANGES[args[0]][flag]
    assert line == f"error: {message} (allowed: {lo} ≤ {flag[2:]} ≤ {hi})"


def test_integer_flags_out_of_range_name_the_same_range(no_simulation):
    line = one_error_line(invoke("run", BASELINE, "--seed", -1))
    assert line == "error: --seed: -1 is out of range (allowed: 0 ≤ seed ≤ 9223372036854775807)"
    line = one_error_line(invoke("check-model", "--workers", 0))
    assert line == "error: --workers: 0 is out of range (allowed: 1 ≤ workers ≤ 256)"


def test_usage_error_one_line_in_a_real_process():
    r = aipm("run", BASELINE, "--seed", "abc")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    r = aipm()  # no command: the help
    assert r.returncode == 0 and "Commands" in r.stdout


def test_error_text_is_printed_literally(tmp_path):
    """Rich markup in user input is shown as written (it used to hide or crash)."""
    for key in ("[red]secret", "x[/]", "[bold]"):
        bad = tmp_path / "bad.toml"
        bad.write_text(BASELINE.read_text().replace("bass_q = 0.07", f'"{key}" = 1', 1))
        line = one_error_line(invoke("validate", bad))
        assert line == f"error: demand.{key}: unknown key"


# -- investor snapshots: bounded before the run starts ---------------------------------
SMALL_POPULATION = ("--quarters", 3, "--set", "investors.n_investors=100", "--no-report")
SMALL_ROWS = 100 * 3  # --investor-snapshots 1: every quarter
ROW_BYTES = 105  # the baseline's 7 firms


def test_snapshot_quarters_follow_the_rule_of_the_run():
    from runs.investor_snapshots import is_snapshot_quarter, snapshot_quarter_count

    assert [d for d in range(1, 11) if is_snapshot_quarter(d, 10, 4)] == [4, 8, 10]
    assert not any(is_snapshot_quarter(d, 10, 0) for d in range(1, 11))
    for n in range(1, 30):
        assert snapshot_quarter_count(n, 0) == 0
        for every in range(1, 35):
            assert snapshot_quarter_count(n, every) == -(-n // every)  # ceil(n / every)


def test_snapshot_rows_and_bytes_estimate_the_real_table():
    from runs.investor_snapshots import snapshot_bytes_per_row, snapshot_rows
    from runs.scenario import load_scenario
    from runs.simulate import simulate

    s = load_scenario(BASELINE, sets=["investors.n_investors=100"], quarters=5)
    assert snapshot_rows(s, 2) == 100 * 3  # quarters 2, 4 and the last
    assert snapshot_rows(s, 2, quarters=4) == 100 * 2
    off = load_scenario(BASELINE, sets=["investors.n_investors=100", "investors.enabled=false"])
    assert snapshot_rows(off, 1) == 0  # no population, no snapshots
    table = simulate(s, 1, investor_snapshots=2).investors
    assert len(table) == snapshot_rows(s, 2)
    assert sorted(table.quarter.unique()) == [1, 3, 4]
    per_row = table.memory_usage(deep=True, index=False).sum() / len(table)
    assert snapshot_bytes_per_row(len(s.firms)) == ROW_BYTES
    assert abs(per_row - ROW_BYTES) < 1  # (the categories' labels are shared)


def test_too_many_investor_snapshots_exit_2_before_anything_is_written(
    tmp_path, monkeypatch, no_simulation
):
    import runs.investor_snapshots

    monkeypatch.setattr(
        runs.investor_snapshots, "MAX_INVESTOR_SNAPSHOT_BYTES", SMALL_ROWS * ROW_BYTES - 1
    )
    out = tmp_path / "out"
    line = one_error_line(
        invoke("run", BASELINE, *SMALL_POPULATION, "--investor-snapshots", 1, "--out", out)
    )
    assert line == (
        "error: --investor-snapshots: 1 with investors.n_investors=100 over 3 quarters keeps "
        "300 investor rows (3 snapshots, about 3.15e-05 GB in memory); allowed: at most 299 "
        "rows (3.15e-05 GB); use a larger snapshot interval (--investor-snapshots 2 or more)"
    )
    assert not out.exists() and sorted(tmp_path.iterdir()) == []  # no temporary folder either


def test_investor_snapshots_at_the_limit_run(tmp_path, monkeypatch):
    import runs.investor_snapshots

    monkeypatch.setattr(
        runs.investor_snapshots, "MAX_INVESTOR_SNAPSHOT_BYTES", SMALL_ROWS * ROW_BYTES
    )
    out = tmp_path / "out"
    r = invoke("run", BASELINE, *SMALL_POPULATION, "--investor-snapshots", 1, "--out", out)
    assert r.exit_code == 0, r.stderr
    investors = pd.read_parquet(out / "investors.parquet")
    assert len(investors) == SMALL_ROWS and sorted(investors.quarter.unique()) == [0, 1, 2]


def test_the_python_api_refuses_too_many_snapshots_with_the_same_message(monkeypatch):
    import runs.investor_snapshots
    from runs.investor_snapshots import investor_snapshot_error
    from runs.scenario import load_scenario
    from runs.simulate import simulate

    s = load_scenario(BASELINE, sets=["investors.n_investors=100"])  # 40 quarters
    monkeypatch.setattr(runs.investor_snapshots, "MAX_INVESTOR_SNAPSHOT_BYTES", 100 * 105 * 10)
    message = investor_snapshot_error(s, 1)
    assert message is not None and "keeps 4,000 investor rows" in message
    assert "at most 1,000 rows" in message and "(--investor-snapshots 4 or more)" in message
    assert investor_snapshot_error(s, 4) is None  # quarters 4, 8, ..., 40: 10 snapshots
    with pytest.raises(ValueError) as caught:
        simulate(s, 1, investor_snapshots=1)
    assert str(caught.value) == message


def test_the_real_limit_refuses_the_largest_population_at_every_quarter():
    from runs.investor_snapshots import investor_snapshot_error
    from runs.scenario import load_scenario

    s = load_scenario(BASELINE, sets=["investors.n_investors=10000000"])
    message = investor_snapshot_error(s, 1)
    assert message is not None
    assert "keeps 400,000,000 investor rows" in message and "about 42 GB" in message
    assert "at most 47,619,047 rows (5 GB)" in message
    assert "(--investor-snapshots 10 or more)" in message
    assert investor_snapshot_error(s, 9) is not None  # 5 snapshots: 50 million rows, 5.25 GB
    assert investor_snapshot_error(s, 10) is None  # 4 snapshots: 40 million rows, 4.2 GB
    assert investor_snapshot_error(s, 0) is None


# -- errors that say what was meant -----------------------------------------------------
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("quaters = 3", "quaters: unknown key; did you mean 'quarters'?"),
        ("overides = {}", "overides: unknown key; did you mean 'overrides'?"),
        ("[demand]\nbassq = 1", "demand.bassq: unknown key; did you mean 'bass_q'?"),
        (
            '[[shocks]]\nat = "2026Q1"\nsentimnt = 1',
            "shocks.0.sentimnt: unknown key; did you mean 'sentiment'?",
        ),
        ("[demand]\nzzz = 1", "demand.zzz: unknown key"),  # nothing close: no guess
        ('start = "2025Q5"', "start: '2025Q5' is not a quarter (allowed: YYYYQn, e.g. 2025Q4)"),
        (
            '[overrides]\n"firms.NVIDIA.cash" = true',
            "firms.NVIDIA.cash: Input should be a valid number, got True "
            "(allowed: 0.0 ≤ cash ≤ 1000000.0)",
        ),
    ],
)
def test_scenario_file_errors_suggest_and_name(tmp_path, no_simulation, body, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'base = "{BASELINE.as_posix()}"\n{body}\n')
    assert one_error_line(invoke("validate", bad)) == f"error: {message}"


def test_unknown_keys_of_firms_and_deals_are_matched_in_their_own_table():
    from runs.scenario import ScenarioError, parse_scenario, resolve_file

    data, _ = resolve_file(BASELINE)
    data["firms"][1]["cashh"] = 1.0
    with pytest.raises(
        ScenarioError, match=r"^firms\.1\.cashh: unknown key; did you mean 'cash'\?$"
    ):
        parse_scenario(data)
    data, _ = resolve_file(BASELINE)
    i = next(i for i, d in enumerate(data["deals"]) if d["kind"] == "cloud_contract")
    data["deals"][i]["price_per_gww"] = 1.0
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert str(caught.value) == (
        f"deals.{i}.cloud_contract.price_per_gww: unknown key; did you mean 'price_per_gw'?"
    )


FIRMS = "NVIDIA, AMD, Oracle, Microsoft, Amazon, CoreWeave, OpenAI"


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("demnd.bass_q=1", "--set demnd.bass_q: unknown parameter (demnd); did you mean 'demand'?"),
        ("demand.bassq=1", "--set demand.bassq: unknown parameter; did you mean 'bass_q'?"),
        ("demand.nope=1", "--set demand.nope: unknown parameter"),
        (
            "firms.OpenAl.opex=1",
            f"--set firms.OpenAl.opex: no entry 'OpenAl' (allowed: {FIRMS}); "
            "did you mean 'OpenAI'?",
        ),
        ("firms.9.opex=1", f"--set firms.9.opex: no entry '9' (allowed: 0..6 or a name: {FIRMS})"),
        (
            "firms.-1.opex=1",
            f"--set firms.-1.opex: no entry '-1' (allowed: 0..6 or a name: {FIRMS})",
        ),
        ("deals.99.gw=1", "--set deals.99.gw: no entry '99' (allowed: 0..21)"),
        (
            "firms.NVIDIA.cash=true",
            "--set firms.NVIDIA.cash: Input should be a valid number, got True "
            "(allowed: 0.0 ≤ cash ≤ 1000000.0)",
        ),
        (
            "firms.0.cash=true",
            "--set firms.0.cash: Input should be a valid number, got True "
            "(allowed: 0.0 ≤ cash ≤ 1000000.0)",
        ),
        (
            "name=.x",
            "--set name: '.x' is not a safe name "
            "(allowed: letters, digits, _ . -, starting with a letter or digit)",
        ),
    ],
)
def test_set_errors_suggest_and_name_what_the_user_wrote(no_simulation, assignment, message):
    line = one_error_line(invoke("validate", BASELINE, "--set", assignment))
    assert line == f"error: {message}"


def test_report_of_a_missing_folder_says_it_does_not_exist(tmp_path):
    line = one_error_line(invoke("report", tmp_path / "missing"))
    assert line == f"error: DIR: {tmp_path / 'missing'} is not a directory (it does not exist)"
    (tmp_path / "file").write_text("x")
    line = one_error_line(invoke("report", tmp_path / "file"))
    assert line == f"error: DIR: {tmp_path / 'file'} is not a directory (it is a file)"


# -- aipm validate on a sweep spec ------------------------------------------------------
SWEEPS = ROOT / "scenarios" / "sweeps"


def test_validate_checks_a_sweep_spec_as_a_sweep_spec():
    r = invoke("validate", SWEEPS / "example.toml")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == (
        "ok: sweep spec example — design lhs, 3 parameters, 16 design points × 2 replicates "
        "= 32 runs of optimistic (40 quarters)"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('design = "lhs"', 'design = "latin"', "design: Input should be 'grid', 'lhs'"),
        ("replicates = 2", "replicate = 2", "replicate: unknown key; did you mean 'replicates'?"),
        ('"demand.arpu_max"', '"demand.arpu_mx"', "parameters.demand.arpu_mx: unknown parameter"),
    ],
)
def test_validate_reports_a_bad_sweep_spec_as_a_sweep_spec(tmp_path, old, new, message):
    base = (ROOT / "scenarios" / "optimistic.toml").as_posix()
    text = (SWEEPS / "example.toml").read_text().replace('"../optimistic.toml"', f'"{base}"')
    assert old in text and base in text
    spec = tmp_path / "spec.toml"
    spec.write_text(text.replace(old, new))
    line = one_error_line(invoke("validate", spec))
    assert line.startswith(f"error: {message}") and line.endswith("(checked as a sweep spec)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]


def test_validate_refuses_what_ifs_for_a_sweep_spec():
    line = one_error_line(invoke("validate", SWEEPS / "example.toml", "--set", "quarters=4"))
    assert line.startswith("error: --set: not for a sweep spec")


# -- printed counts, interruptions --------------------------------------------------------
def test_plural_helper_and_a_one_quarter_run_says_one_quarter(tmp_path):
    from runs.commands import plural

    assert [plural(n, "quarter") for n in (0, 1, 2)] == ["0 quarters", "1 quarter", "2 quarters"]
    r = invoke("run", BASELINE, "--quarters", 1, "--out", tmp_path / "r", "--no-report")
    assert r.exit_code == 0, r.stderr
    assert f"wrote {tmp_path / 'r'}/ — 1 quarter, seed 0, regime " in r.stdout
    assert r.stdout.rstrip().endswith(" defaulted firms")  # 0 defaulted firms
    assert "(too short a run to tell)" in r.stdout  # a regime needs a year of revenue
    assert "last 13 deals" in r.stderr  # the note, in the plural


def _tree(folder: Path) -> list[tuple[str, int, int]]:
    """Every entry below ``folder``: path, size, modification time."""
    return sorted(
        (str(p.relative_to(folder)), p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
    )


@pytest.mark.parametrize("earlier", [False, True])
def test_an_interrupted_run_says_nothing_was_written(tmp_path, monkeypatch, earlier):
    out = tmp_path / "run"
    if earlier:
        assert invoke("run", BASELINE, "--quarters", 1, "--out", out, "--no-report").exit_code == 0
    before = _tree(tmp_path)
    import runs.simulate

    def interrupted(*a, **k):
        raise KeyboardInterrupt  # what SIGTERM becomes while a run simulates

    monkeypatch.setattr(runs.simulate, "simulate", interrupted)
    r = invoke("run", BASELINE, "--quarters", 1, "--out", out, "--no-report")
    assert r.exit_code == 130
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("interrupted")]
    kept = f" (the earlier {out}/ is kept)" if earlier else ""
    assert lines == [f"interrupted: nothing written{kept}"], r.stderr
    assert _tree(tmp_path) == before  # the earlier run untouched, no temporary folder
    assert sorted(p.name for p in tmp_path.iterdir()) == (["run"] if earlier else [])


# -- shocks on what is read only at the start; claims; sweep specs given to run ----------
def _overlay(folder: Path, body: str) -> Path:
    path = folder / "bad.toml"
    path.write_text(f'base = "{BASELINE.as_posix()}"\nname = "bad"\n{body}\n')
    return path


READ_ONCE_SHOCK = '[[shocks]]\nat = "2026Q1"\nset = { "investors.switch_rate" = 0.9 }'


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_files_shock_on_a_parameter_read_at_the_start_is_refused(
    tmp_path, no_simulation, command
):
    out = tmp_path / "out"
    bad = _overlay(tmp_path, READ_ONCE_SHOCK)
    args = ("run", bad, "--out", out) if command == "run" else ("validate", bad)
    line = one_error_line(invoke(*args))
    assert line.startswith(
        "error: shocks.0.set.investors.switch_rate: the investor population reads it once"
    )
    assert "a shock may change investors.discount_rate_per_q" in line
    assert not out.exists()


def test_a_shock_the_model_reads_each_quarter_is_still_accepted(tmp_path):
    r = invoke("validate", BASELINE, "--shock", "2026Q1:investors.discount_rate_per_q=0.04")
    assert r.exit_code == 0, r.stderr
    body = '[[shocks]]\nat = "2026Q1"\nset = { "investors.terminal_growth_per_q" = 0.0 }'
    r = invoke("validate", _overlay(tmp_path, body))
    assert r.exit_code == 0 and "1 shock" in r.stdout, r.stderr


def test_a_sweep_on_a_scenario_with_such_a_shock_is_refused(tmp_path):
    bad = _overlay(tmp_path, READ_ONCE_SHOCK)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'name = "s"\nscenario = "{bad.as_posix()}"\ndesign = "grid"\n'
        '[parameters]\n"demand.bass_q" = { levels = [0.05, 0.1] }\n'
    )
    line = one_error_line(invoke("validate", spec))
    assert line.startswith("error: scenario: shocks.0.set.investors.switch_rate: the investor")
    out = tmp_path / "out"
    line = one_error_line(invoke("sweep", spec, "--out", out))
    assert "shocks.0.set.investors.switch_rate: the investor population" in line
    assert not out.exists()


BAD_EXPECT = [
    ("expect = 3", "expect: must be a table of output = direction"),
    (
        '[expect]\nlab_revenue = "sideways"',
        "expect.lab_revenue.direction: 'sideways' is not a direction (allowed: higher, lower)",
    ),
    ('[expect]\nlab_revenu = "higher"', "expect.lab_revenu: unknown output 'lab_revenu'"),
    ('[expect]\nlab_revenue = { direction = "lower", how = 1 }', "expect.lab_revenue.how:"),
]


@pytest.mark.parametrize(("body", "message"), BAD_EXPECT)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_validate_and_run_check_the_expect_table_as_check_model_does(
    tmp_path, no_simulation, command, body, message
):
    from runs.validation.claims import ClaimError, load_expectations

    bad = _overlay(tmp_path, body)
    with pytest.raises(ClaimError) as claim:  # check-model's own message
        load_expectations(bad)
    out = tmp_path / "out"
    args = ("run", bad, "--out", out) if command == "run" else ("validate", bad)
    line = one_error_line(invoke(*args))
    assert line == f"error: {claim.value}"
    assert line.startswith(f"error: {bad}: {message}")
    assert not out.exists()


def test_shipped_scenarios_and_their_claims_validate():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        r = invoke("validate", path)
        assert r.exit_code == 0, (path.name, r.stderr)


def test_run_of_a_sweep_spec_says_to_use_aipm_sweep(tmp_path, no_simulation):
    spec = SWEEPS / "example.toml"
    line = one_error_line(invoke("run", spec, "--out", tmp_path / "out"))
    assert line == (
        f"error: {spec}: is a sweep spec, not a scenario "
        f"(run it with `aipm sweep {spec} --out DIR`)"
    )
    assert not (tmp_path / "out").exists()


# -- aipm report: a run folder's JSON files ------------------------------------------------
@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    r = invoke("run", BASELINE, "--quarters", 2, "--out", out, "--no-report")
    assert r.exit_code == 0, r.stderr
    return out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("summary.json", b"{bad", "cannot read it as JSON (Expecting property name enclosed"),
        ("summary.json", b"[1, 2]", "not a JSON object"),
        ("summary.json", b"\xff\xfe{}", "cannot read it as JSON ('utf-8' codec can't decode"),
        ("params.json", b"", "cannot read it as JSON (Expecting value: line 1 column 1"),
    ],
)
def test_report_names_the_json_file_it_cannot_read(tmp_path, run_folder, name, content, message):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    (folder / name).write_bytes(content)
    before = _tree(folder)
    line = one_error_line(invoke("report", folder))
    assert line.startswith(f"error: {folder / name}: {message}"), line
    assert _tree(folder) == before  # nothing written


MAGIC = (
    "cannot read it as Parquet (Parquet magic bytes not found in footer. Either the file "
    "is corrupted or this is not a parquet file.)"
)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("deals.parquet", b"not parquet, but long enough", MAGIC),
        ("deals.parquet", b"", "cannot read it as Parquet (Parquet file size is 0 bytes)"),
        ("deals.parquet", None, "cannot read it (it does not exist)"),
        ("firms.parquet", b"not parquet, but long enough", MAGIC),
        ("events.parquet", b"not parquet, but long enough", MAGIC),
        ("params.json", None, "cannot read it (it does not exist)"),
    ],
)
def test_report_names_a_table_it_cannot_read_once(tmp_path, run_folder, name, content, problem):
    """The audit's case: a bad deals.parquet gave `DIR: Could not open Parquet input source
    'DIR/deals.parquet': ...` (the path twice); now `DIR/deals.parquet: cannot read it ...`."""
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    if content is None:
        (folder / name).unlink()
    else:
        (folder / name).write_bytes(content)
    before = _tree(folder)
    line = one_error_line(invoke("report", folder))
    assert line == f"error: {folder / name}: {problem}"
    assert line.count(str(folder)) == 1
    assert _tree(folder) == before  # nothing written


# -- aipm app: --host and --port are checked before the server starts -----------------------
@pytest.fixture
def no_server(monkeypatch):
    """Record the server command instead of becoming the server."""
    import os

    started = []
    monkeypatch.setattr(os, "execv", lambda exe, argv: started.append(argv))
    return started


@pytest.fixture
def busy_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("bad host!", "--host: 'bad host!' is not an IP address or a host name"),
        ("256.1.1.1", "--host: '256.1.1.1' is not a valid IP address"),
        ("::1::2", "--host: '::1::2' is not a valid IP address"),
        ("192.0.2.1", "--host: 192.0.2.1 is not an address of this machine"),
    ],
)
def test_app_refuses_a_host_it_cannot_listen_on(no_server, host, message):
    line = one_error_line(invoke("app", "--host", host, "--port", 18999))
    assert line.startswith(f"error: {message}"), line
    assert no_server == []


def test_app_refuses_a_port_in_use(no_server, busy_port):
    line = one_error_line(invoke("app", "--port", busy_port))
    assert line == f"error: --port: {busy_port} is already in use on 127.0.0.1 (pick another port)"
    assert no_server == []


def test_app_starts_the_server_on_a_free_port(no_server):
    import socket

    with socket.socket() as sock:  # a port free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    r = invoke("app", "--host", "localhost", "--port", port)
    assert r.exit_code == 0, r.stderr
    [argv] = no_server
    assert argv[argv.index("--host") + 1] == "localhost"
    assert argv[argv.index("--port") + 1] == str(port)
