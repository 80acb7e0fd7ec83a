"""Fuzzing the command line with bad input: scenario files, sweep specs and flags.

Every case is invalid by construction (a wrong type under strict validation, a value
outside its range, an unknown key, a date outside the run, broken bytes, a flag
Click cannot parse, an output folder that must not be touched...). The property:
exit code 2, exactly one line on stderr (``error: ...``), and nothing created or
changed in the working folder (which holds the ``--out`` target). The cases of
issue 14 are fixed ``@example``s; the CLI runs in-process (a few cases at the end
run in a real process).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_origin

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from runs.cli import app
from world.params import Scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = (ROOT / "scenarios" / "baseline.toml").as_posix()
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Case:
    """One command line: ``aipm COMMAND [FILE] ARGS`` run in a fresh working folder.

    ``file`` is the scenario (or sweep spec) written as ``input.toml`` (None: the
    baseline itself, for flag cases). ``{d}`` in ``args`` is the working folder.
    """

    command: str
    file: bytes | None
    args: tuple[str, ...] = ()
    kind: str = "example"
    no_file_argument: bool = False


def _tree(folder: Path) -> list[tuple[str, bool, int, int]]:
    """Every entry below ``folder`` (hidden ones too): path, is-dir, size, mtime."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st_ = p.lstat()
            out.append((str(p.relative_to(folder)), p.is_dir(), st_.st_size, st_.st_mtime_ns))
    return sorted(out)


def _workdir(d: Path) -> None:
    """What a user's folder holds: a file, a non-run folder with work in it, an empty folder."""
    (d / "file").write_text("mine")
    (d / "notes" / "sub").mkdir(parents=True)
    (d / "notes" / "sub" / "thesis.txt").write_text("years of work")
    (d / "empty").mkdir()


def check(case: Case) -> str:
    """Run ``case``; assert exit 2, one stderr line and an unchanged folder; return the line."""
    if currently_in_test_context():
        event(f"{case.command}: {case.kind}")  # counted by --hypothesis-show-statistics
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        _workdir(d)
        args = [a.replace("{d}", str(d)) for a in case.args]
        if case.file is not None:
            (d / "input.toml").write_bytes(case.file)
            args.insert(0, str(d / "input.toml"))
        elif not case.no_file_argument:
            args.insert(0, BASELINE)
        before = _tree(d)
        with contextlib.chdir(d):  # relative --out paths land in the working folder
            r = CliRunner().invoke(app, [case.command, *args])
        after = _tree(d)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 2, (case, r.exit_code, r.stdout[-500:], r.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: "), (case, r.stderr[-2000:])
    assert before == after, (case, sorted(set(after) ^ set(before)))
    assert (
        "Traceback" not in r.stderr and r.exception is None or isinstance(r.exception, SystemExit)
    )
    return lines[0]


# -- scenario files: an overlay on the baseline (tables merge key by key) -----------------
def overlay(body: str) -> bytes:
    return f'base = "{BASELINE}"\n{body}\n'.encode()


def _bounds(field: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for meta in field.metadata:
        for attr in ("ge", "gt"):
            if getattr(meta, attr, None) is not None:
                lo = getattr(meta, attr)
        for attr in ("le", "lt"):
            if getattr(meta, attr, None) is not None:
                hi = getattr(meta, attr)
    return lo, hi


def _fields() -> list[tuple[str, str, Any, float | None, float | None]]:
    """(table, name, annotation, low, high) of every parameter of every mechanism table."""
    from model_space import TABLES

    out = []
    for table in TABLES:
        model = Scenario.model_fields[table].annotation
        for name, field in model.model_fields.items():
            ann = field.annotation
            if ann in (int, float, bool) or get_origin(ann) is Literal:
                out.append((table, name, ann, *_bounds(field)))
    return out


FIELDS = _fields()
NOT_A_NUMBER = ["true", "false", '"1"', '"fast"', "[1.0]", "{ a = 1 }", "1979-05-27", "nan", "inf"]
NOT_AN_INT = [*NOT_A_NUMBER, "1.5", "2.0", "-0.5"]
NOT_A_BOOL = ["1", "0", "1.0", '"yes"', '"true"', "[true]", "nan"]
NOT_A_CHOICE = ["1", "true", '"nope"', '"EISENBERG_NOE"', "[]"]


def _fmt(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() or abs(x) >= 1e15 else f"{x:.1f}"


@st.composite
def bad_parameter(draw: st.DrawFn) -> bytes:
    table, name, ann, lo, hi = draw(st.sampled_from(FIELDS))
    if ann is bool:
        value = draw(st.sampled_from(NOT_A_BOOL))
    elif get_origin(ann) is Literal:
        value = draw(st.sampled_from(NOT_A_CHOICE))
    else:
        choices = list(NOT_AN_INT if ann is int else NOT_A_NUMBER)
        if lo is not None:
            below = lo - max(1.0, abs(lo)) * draw(st.floats(0.01, 100))
            choices.append(str(int(below) - 1) if ann is int else _fmt(below))
        if hi is not None:
            above = hi + max(1.0, abs(hi)) * draw(st.floats(0.01, 100))
            choices.append(str(int(above) + 1) if ann is int else _fmt(above))
        value = draw(st.sampled_from(choices))
    if draw(st.booleans()):
        return overlay(f"[{table}]\n{name} = {value}")
    return overlay(f'[overrides]\n"{table}.{name}" = {value}')


FIRM_FIELDS = {"cash": NOT_A_NUMBER + ["-1.0", "1e7"], "listed": NOT_A_BOOL, "role": NOT_A_CHOICE}


@st.composite
def bad_firm(draw: st.DrawFn) -> bytes:
    firm = draw(st.sampled_from(["OpenAI", "NVIDIA", "Oracle"]))
    key = draw(st.sampled_from(sorted(FIRM_FIELDS)))
    value = draw(st.sampled_from(FIRM_FIELDS[key]))
    return overlay(f'[overrides]\n"firms.{firm}.{key}" = {value}')


def _identifier() -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=30).filter(lambda k: "\x00" not in k)


@st.composite
def unknown_key(draw: st.DrawFn) -> bytes:
    table = draw(st.sampled_from(["demand", "credit", "investors", "market", None]))
    known = set(Scenario.model_fields) | {"base", "overrides"}
    if table is not None:
        known = set(Scenario.model_fields[table].annotation.model_fields)
    key = draw(_identifier().filter(lambda k: k not in known))
    line = f"{json.dumps(key)} = 1"
    return overlay(f"[{table}]\n{line}" if table else line) if table else overlay(line)


@st.composite
def bad_shock(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["early", "late", "value", "sentiment", "not-a-parameter"]))
    at = "2026Q3"
    body = 'set = { "demand.bass_q" = 0.1 }'
    if kind == "early":
        at = f"{draw(st.integers(1000, 2024))}Q{draw(st.integers(1, 4))}"
    elif kind == "late":
        at = f"{draw(st.integers(2035, 9999))}Q{draw(st.integers(1, 4))}"
    elif kind == "value":
        bad = {
            "demand.bass_q": ["nan", "inf", "-1.0", "99.0", '"yes"', "true"],
            "behaviour.vendor_financing": ["1", "0", "1.0", '"yes"', '"true"'],
            "investors.price_impact": ["nan", "-inf", "101.0", "false"],
            "quarters": ["5", "1.5"],  # not a parameter a shock may change
            "investors.beta": ["3.0"],  # read once, when the population is built
            "history_until": ['"2026Q2"'],  # read once, when the run starts
        }
        path = draw(st.sampled_from(sorted(bad)))
        body = f'set = {{ "{path}" = {draw(st.sampled_from(bad[path]))} }}'
    elif kind == "sentiment":
        body = f"sentiment = {draw(st.sampled_from(['nan', 'inf', '2.5', '-9.0', 'true']))}"
    else:
        body = 'set = { "firms.OpenAI.cash" = 1.0 }'
    return overlay(f'[[shocks]]\nat = "{at}"\n{body}')


CLOUD = (
    'kind = "cloud_contract"\ncustomer = "OpenAI"\nprovider = "Oracle"\ngw = 1.0\n'
    "price_per_gw = 3.0\nquarters = 8\n"
)


@st.composite
def bad_deal(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):  # signed after the run ends (2034Q4)
        year = draw(st.integers(2035, 2999))
        return overlay(f'[[deals]]\nsigned = "{year}Q1"\nstart = "{year}Q2"\n{CLOUD}')
    year = draw(st.integers(2025, 2034))  # starts before it is signed
    return overlay(f'[[deals]]\nsigned = "{year}Q3"\nstart = "{year - 1}Q3"\n{CLOUD}')


@st.composite
def bad_bytes(draw: st.DrawFn) -> bytes:
    text = Path(BASELINE).read_bytes()
    kind = draw(st.sampled_from(["utf8", "syntax", "nesting", "top"]))
    if kind == "utf8":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from([b"\xff", b"\xfe\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]))
        return text[:at] + junk + text[at:]
    if kind == "syntax":
        lines = text.split(b"\n")
        at = draw(st.integers(0, len(lines)))
        junk = draw(st.sampled_from([b"= = =", b"[demand", b'x = "unterminated', b"[[", b"a.=1"]))
        return b"\n".join([*lines[:at], junk, *lines[at:]])
    if kind == "nesting":
        depth = draw(st.integers(17, 6000))
        return overlay(f"[demand]\nbass_q = {'[' * depth}{']' * depth}")
    key = draw(st.sampled_from(["name", "start", "quarters", "history_until", "description"]))
    value = {
        "name": ['"."', '".."', '"a/b"', '""', '".hidden"', "1", '"x y"'],
        "start": ['"2025"', '"2025Q5"', '"25Q1"', "2025", "2025-01-01"],
        "quarters": ["0", "401", "-1", "4.0", "true", '"40"'],
        "history_until": ['"2025Q0"', "1", "true"],
        "description": [json.dumps("x" * 2001), "1", "[]"],
    }[key]
    return overlay(f"{key} = {draw(st.sampled_from(value))}")


SCENARIO_FILES = st.one_of(
    bad_parameter(), bad_firm(), unknown_key(), bad_shock(), bad_deal(), bad_bytes()
)


def scenario_kind(file: bytes) -> str:
    """The category of a bad scenario file (for the statistics)."""
    if len(file) > 1 << 20:
        return "file size"
    try:
        text = file.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if "[[[[[[[[[[[[[[[[" in text:
        return "nesting"
    if not text.startswith("base = "):
        return "TOML syntax"
    for marker, kind in (
        ("[[shocks]]", "shock"),
        ("[[deals]]", "deal dates"),
        ('"firms.', "firm field"),
        ("[overrides]", "parameter type/range"),
    ):
        if marker in text:
            return kind
    body = text.split("\n", 1)[1]
    if body.startswith("["):
        table, line = body.split("\n", 1) if "\n" in body else (body, "")
        name = line.split(" = ")[0]
        known = Scenario.model_fields[table.strip("[]")].annotation.model_fields
        return "parameter type/range" if name in known else "unknown key"
    return "top-level field" if body.split(" = ")[0] in Scenario.model_fields else "unknown key"


def _run(file: bytes) -> Case:
    args = ("--quarters", "1", "--no-report", "--out", "{d}/out")
    return Case("run", file, args, scenario_kind(file))


def _validate(file: bytes) -> Case:
    return Case("validate", file, (), scenario_kind(file))


@SETTINGS
@given(file=SCENARIO_FILES, command=st.sampled_from([_run, _validate]))
@example(file=Path(BASELINE).read_bytes().replace(b"bass_q", b"bass_q\xff", 1), command=_run)
@example(file=overlay(f"[demand]\nbass_q = {'[' * 5000}{']' * 5000}"), command=_run)
@example(file=overlay('"x[/]" = 1'), command=_run)
@example(file=overlay('[demand]\n"[red]secret" = 1'), command=_validate)
@example(file=overlay('[[shocks]]\nat = "2099Q1"\nsentiment = -0.5'), command=_run)
@example(file=overlay('[[shocks]]\nat = "2000Q1"\nsentiment = -0.5'), command=_run)
@example(file=overlay('[[shocks]]\nat = "2026Q1"\nsentiment = nan'), command=_run)
@example(file=overlay('[[shocks]]\nat = "2026Q1"\nset = { "demand.bass_q" = 7.0 }'), command=_run)
@example(file=overlay('[[shocks]]\nat = "2026Q1"\nset = { "demand.bass_q" = nan }'), command=_run)
@example(file=overlay(f'[[deals]]\nsigned = "2040Q1"\nstart = "2040Q2"\n{CLOUD}'), command=_run)
@example(file=overlay(f'[[deals]]\nsigned = "2026Q1"\nstart = "2025Q1"\n{CLOUD}'), command=_run)
@example(file=overlay('[overrides]\n"firms.OpenAI.cash" = true'), command=_run)
@example(file=overlay('[behaviour]\nvendor_financing = "yes"'), command=_run)
@example(file=overlay("[behaviour]\nvendor_financing = 1"), command=_validate)
@example(file=overlay('name = "."'), command=_run)
@example(file=overlay('name = ".."'), command=_run)
def test_bad_scenario_files(file, command):
    check(command(file))


def test_oversized_scenario_files():
    """A 50 MB file of deals took 155 s to validate; now its size is refused unread."""
    deal = f'[[deals]]\nsigned = "2025Q1"\nstart = "2025Q2"\n{CLOUD}\n'
    big = overlay(deal * 11_000)  # ~1.3 MB
    assert "larger than 1024 kB" in check(_run(big))
    many = overlay(deal * 1001)  # under the size limit, over the deal limit
    assert "deals: Tuple should have at most 1000 items" in check(_run(many))


# -- flags of aipm run ------------------------------------------------------------------
def _not_an_int() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["abc", "1.5", "1e3", "", "0x10", "one", "--", "1_0_", "∞"]),
        st.text(min_size=1, max_size=8).filter(
            lambda s: not s.strip().lstrip("+-").isdigit() and not s.startswith("-")
        ),
    )


BAD_WHAT_IFS = {  # kind: (known bad values, a character whose absence makes any text bad)
    "set": (
        [
            "demand.bass_q=abc",
            "demand.bass_q=true",
            "demand.bass_q=nan",
            "demand.bass_q=-1",
            "behaviour.vendor_financing=1",
            'behaviour.vendor_financing="yes"',
            "quarters=0",
            "quarters=1.0",
            "demand=1",
            "nope.x=1",
            "demand.bass_q",
            "=1",
            "demand..bass_q=1",
            "start=2000Q1",
            'start="2025Q0"',
            "quarters=2",
        ],
        "=",
    ),
    "shock": (
        [
            "2099Q1:demand.bass_q=0.1",
            "2000Q1:demand.bass_q=0.1",
            "2025Q1:demand.bass_q=9",
            "2025Q1:demand.bass_q=nan",
            "2025Q1:sentiment=5",
            "2025Q1:behaviour.vendor_financing=1",
            "2025Q1:firms.OpenAI.cash=1",
            "2025Q1:quarters=5",
            "2026Q1:investors.n_investors=5",
            "2025Q5:demand.bass_q=0.1",
            "2025Q1 demand.bass_q=0.1",
            "2025Q1:",
        ],
        ":",
    ),
}


@st.composite
def bad_run_flags(draw: st.DrawFn) -> Case:
    base = ("--no-report", "--out", "{d}/out")
    kind = draw(
        st.sampled_from(
            ["seed", "quarters", "snapshots", "unknown", "set", "shock", "out", "missing"]
        )
    )
    if kind == "seed":
        value = draw(st.one_of(_not_an_int(), st.sampled_from(["-1", str(2**63), str(2**70)])))
        return Case("run", None, (f"--seed={value}", "--quarters", "1", *base), "flag value")
    if kind == "quarters":
        value = draw(st.one_of(_not_an_int(), st.sampled_from(["0", "401", "-3", "100000"])))
        return Case("run", None, (f"--quarters={value}", *base), "flag value")
    if kind == "snapshots":
        value = draw(st.one_of(_not_an_int(), st.sampled_from(["-1", "401"])))
        args = ("--quarters", "1", f"--investor-snapshots={value}", *base)
        return Case("run", None, args, "flag value")
    if kind == "unknown":
        known = {"seed", "quarters", "out", "report", "no-report", "investor-snapshots", "help"}
        name = draw(
            st.from_regex(r"[a-z][a-z-]{0,12}", fullmatch=True).filter(
                lambda n: n not in known and n not in {"set", "shock", "force"}
            )
        )
        return Case("run", None, (f"--{name}", "--quarters", "1", *base), "unknown option")
    if kind in ("set", "shock"):
        known, separator = BAD_WHAT_IFS[kind]
        text = draw(
            st.one_of(
                st.sampled_from(known), st.text(max_size=20).filter(lambda s: separator not in s)
            )
        )
        return Case("run", None, ("--quarters", "1", f"--{kind}", text, *base), kind)
    if kind == "out":
        out = draw(
            st.sampled_from(
                [".", "", "..", "file", "file/sub", "/proc/aipm/x", "notes", "{d}/notes", "{d}"]
            )
        )
        return Case("run", None, ("--quarters", "1", "--no-report", "--out", out), "--out path")
    return Case("run", None, ("--quarters", "1"), "missing argument", no_file_argument=True)


@settings(SETTINGS, max_examples=100)
@given(case=bad_run_flags())
@example(case=Case("run", None, ("--seed", "abc", "--out", "{d}/out")))
@example(case=Case("run", None, ("--seed", "1.5", "--out", "{d}/out")))
@example(case=Case("run", None, ("--foo", "--out", "{d}/out")))
@example(case=Case("run", None, ("--out", "{d}/out"), no_file_argument=True))
@example(case=Case("run", None, ("--out", ".")))
@example(case=Case("run", None, ("--out", "")))
@example(case=Case("run", None, ("--out", "/proc/x")))
@example(case=Case("run", None, ("--out", "file/sub")))
@example(case=Case("run", None, ("--quarters", "1", "--out", "notes")))
def test_bad_run_flags(case):
    check(case)


# -- sweep specs and flags --------------------------------------------------------------
SPEC = f"""
name = "fuzz"
scenario = "{BASELINE}"
design = "lhs"
samples = 4
replicates = 1
root_seed = 7

[fixed]
quarters = 1

[parameters]
"demand.bass_q" = {{ low = 0.03, high = 0.15 }}
"""

EIGHT = [
    "demand.bass_q",
    "demand.bass_p",
    "behaviour.optimism",
    "credit.risk_free",
    "credit.base_spread",
    "demand.arpu_growth",
    "demand.efficiency_gain",
    "demand.usage_growth",
]


def spec_with(**replace: str) -> bytes:
    text = SPEC
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


@st.composite
def bad_spec(draw: st.DrawFn) -> Case:
    edits = {
        "samples = 4": ["samples = 0", "samples = true", "samples = 4.0", 'samples = "4"'],
        "replicates = 1": ["replicates = 0", "replicates = 1.5", "replicates = false"],
        'design = "lhs"': ['design = "latin"', "design = 1", 'design = "grid"'],
        'name = "fuzz"': ['name = "."', 'name = ".."', 'name = "a/b"', "name = 1"],
        "root_seed = 7": ["root_seed = -1", "root_seed = 7.0", "root_seed = true"],
        "quarters = 1": ["quarters = 0", "quarters = 1.0", "quarters = true"],
        "low = 0.03, high = 0.15": [
            "low = 0.15, high = 0.03",
            "low = nan, high = 0.15",
            "low = 0.03, high = 5.0",
            "low = true, high = 0.15",
            "low = 0.03",
            "levels = []",
            "levels = [1, 1]",
        ],
        '"demand.bass_q"': ['"demand.bass_z"', '"demand"', '"firms.Nobody.cash"'],
    }
    old = draw(st.sampled_from(sorted(edits)))
    return Case("sweep", spec_with(**{old: draw(st.sampled_from(edits[old]))}), _SWEEP_ARGS, "spec")


_SWEEP_ARGS = ("--out", "{d}/sw", "--workers", "1", "--no-progress")
HUGE_GRID = spec_with(
    **{
        'design = "lhs"': 'design = "grid"\nlevels = 1000',
        "samples = 4\n": "",
        '"demand.bass_q" = { low = 0.03, high = 0.15 }': "\n".join(
            f'"{p}" = {{ low = 0.01, high = 0.02 }}' for p in EIGHT
        ),
    }
)


@st.composite
def bad_sweep_flags(draw: st.DrawFn) -> Case:
    flag = draw(
        st.sampled_from(
            [
                ("--workers", "0"),
                ("--workers", "abc"),
                ("--workers", "5000"),
                ("--timeout", "0"),
                ("--timeout", "nan"),
                ("--timeout", "-1"),
                ("--dask", "http://x:1"),
                ("--dask", "tcp://"),
                ("--out", "{d}/file"),
                ("--out", "{d}/notes"),
                ("--out", "{d}/file/sub"),
                ("--resume", "--out", "{d}/notes"),
                ("--bogus",),
            ]
        )
    )
    return Case("sweep", SPEC.encode(), ("--out", "{d}/sw", "--workers", "1", *flag), "flag")


@settings(SETTINGS, max_examples=60)
@given(case=st.one_of(bad_spec(), bad_sweep_flags()))
@example(case=Case("sweep", HUGE_GRID, _SWEEP_ARGS))
@example(case=Case("sweep", spec_with(**{"samples = 4": "samples = 4\nlevels = 1000"}), ()))
@example(case=Case("analyze", None, ("{d}/notes",), no_file_argument=True))
@example(case=Case("validate", spec_with(**{"samples = 4": "samples = 0"})))
@example(case=Case("validate", spec_with(**{'"demand.bass_q"': '"firms.Nobody.cash"'})))
@example(case=Case("analyze", None, ("{d}/empty", "--threshold", "2"), no_file_argument=True))
def test_bad_sweeps(case):
    check(case)


def test_huge_design_is_refused_before_sampling():
    line = check(Case("sweep", HUGE_GRID, _SWEEP_ARGS))
    assert "1,000,000,000,000,000,000,000,000 runs; at most 1,000,000 runs per sweep" in line


# -- a few cases in a real process ----------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (("validate", "{f}"), b'name = "x"\xff\n', "is not UTF-8 text (byte 0xff at offset 10)"),
        (("run", "{f}"), b"x = " + b"[" * 5000 + b"]" * 5000, "nested too deep"),
        (("run", BASELINE, "--seed", "abc"), b"", "--seed: 'abc' is not a whole number (allowed"),
        (("run", BASELINE, "--out", "/proc/x"), b"", "--out: cannot write in /proc"),
        (("run", "{f}"), overlay('"[red]secret" = 1'), "error: [red]secret: unknown key"),
    ],
)
def test_real_process_bad_input(tmp_path, args, content, message):
    f = tmp_path / "input.toml"
    f.write_bytes(content)
    r = subprocess.run(
        [sys.executable, "-m", "runs", *(a.replace("{f}", str(f)) for a in args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
    assert message in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.toml"]
