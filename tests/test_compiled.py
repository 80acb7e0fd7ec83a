"""The mypyc build of the firm side gives the pure sources' numbers, bit for bit.

The rest of the suite runs the pure-Python sources (``conftest.py`` sets
``AIPM_PURE=1``); here a subprocess runs the compiled build — the repository's
``build/mypyc`` if it matches the sources, else one made for the test — and every
output table of every shipped scenario, and a sweep's tables, must match the pure run's.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from runs.compile import PURE, compiled_sources
from world.compiled import (
    MANIFEST,
    build_dir,
    platform_tag,
    source_digests,
    source_paths,
    why_not_current,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1)
COMPILED = sorted(p.removesuffix(".py").replace("/", ".") for p in compiled_sources())
"""The modules the build compiles, by import name."""


def output_digests(seeds: tuple[int, ...] = SEEDS) -> dict[str, str]:
    """Digest of every output of each shipped scenario × seed (1,000 investors).

    Firm, system and deal tables (values and dtypes), the event log and the summary
    with each value's type; plus whether this process runs the compiled build and the
    modules it loaded from it.
    """
    from runs.scenario import apply_overrides, load_scenario
    from runs.simulate import simulate

    out: dict[str, str] = {}
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        scenario = apply_overrides(load_scenario(path), {"investors.n_investors": 1_000})
        for seed in seeds:
            result = simulate(scenario, seed)
            h = hashlib.sha256()
            for table in (result.firms, result.system, result.deals):
                h.update(repr(table.dtypes.to_dict()).encode())
                h.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
            h.update(
                repr([(e.quarter, e.firm, e.kind, e.amount) for e in result.event_log]).encode()
            )
            h.update(
                repr(sorted((k, type(v).__name__, v) for k, v in result.summary.items())).encode()
            )
            out[f"{path.stem}/{seed}"] = h.hexdigest()
    return out


def leak_check(runs: int = 3) -> dict[str, object]:
    """What a finished run leaves behind: is its model freed, do objects pile up?

    Runs the baseline (1,000 investors) ``runs`` times after a warm-up and counts the
    objects the garbage collector tracks after a full collection each time; keeps a
    weak reference to one run's model, whose result is then dropped.
    """
    import gc
    import weakref

    from runs.scenario import apply_overrides, load_scenario
    from runs.simulate import simulate

    scenario = apply_overrides(
        load_scenario(ROOT / "scenarios" / "baseline.toml"),
        {"investors.n_investors": 1_000, "quarters": 12},
    )
    simulate(scenario, 0)
    counts = []
    for seed in range(runs):
        simulate(scenario, seed)
        gc.collect()
        counts.append(len(gc.get_objects()))
    result = simulate(scenario, 0, keep_model=True)
    model = weakref.ref(result.model)
    del result
    gc.collect()
    return {"model_freed": model() is None, "growth": counts[-1] - counts[0]}


def extension_modules() -> list[str]:
    """Modules of world and agents this process loaded from compiled extensions."""
    return sorted(
        name
        for name, module in sys.modules.items()
        if name.split(".")[0] in ("world", "agents")
        and (getattr(module, "__file__", None) or "").endswith(".so")
    )


def _env(where: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AIPM_PURE", "AIPM_COMPILED_DIR")}
    if where is None:
        env["AIPM_PURE"] = "1"
    else:
        env["AIPM_COMPILED_DIR"] = str(where)
    return env


def _python(code: str, where: Path | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(where),
        timeout=900,
    )


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the current sources: the repository's if current, else a new one."""
    where = build_dir()
    if why_not_current(where) is None:
        return where
    where = tmp_path_factory.mktemp("mypyc") / "build"
    done = subprocess.run(
        [sys.executable, "-m", "runs.compile", "--strict", "--out", str(where)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "AIPM_PURE"},
        timeout=1_800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return where


def test_every_scenario_gives_the_same_outputs_compiled(compiled: Path) -> None:
    code = (
        "import importlib, json, sys; sys.path.insert(0, 'tests'); import test_compiled as t; "
        "digests = t.output_digests(); [importlib.import_module(m) for m in t.COMPILED]; "
        "print(json.dumps([digests, t.extension_modules()]))"
    )
    done = _python(code, compiled)
    assert done.returncode == 0, done.stderr[-3000:]
    digests, loaded = json.loads(done.stdout.splitlines()[-1])
    # the subprocess really ran the build: every compiled module came from it
    assert loaded == COMPILED
    assert extension_modules() == []  # and this process the pure sources
    assert digests == output_digests()


def test_a_sweep_on_worker_processes_gives_the_same_tables_compiled(
    compiled: Path, tmp_path: Path
) -> None:
    tables = {}
    for label, where in (("pure", None), ("compiled", compiled)):
        out = tmp_path / label
        cmd = [sys.executable, "-m", "runs", "sweep", "scenarios/sweeps/example.toml"]
        cmd += ["--out", str(out), "--workers", "2", "--paths", "--no-progress"]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=_env(where))
        assert done.returncode == 0, done.stderr[-3000:]
        tables[label] = {
            part: _table(out / part) for part in ("runs", "paths/firms", "paths/system")
        }
    for part, pure in tables["pure"].items():
        pd.testing.assert_frame_equal(tables["compiled"][part], pure, check_exact=True)


def test_aipm_run_writes_the_same_files_compiled(compiled: Path, tmp_path: Path) -> None:
    # the command a user runs: every table it writes, and its summary
    for label, where in (("pure", None), ("compiled", compiled)):
        cmd = [sys.executable, "-m", "runs", "run", "scenarios/baseline.toml"]
        cmd += ["--out", str(tmp_path / label), "--no-report", "--seed", "3"]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=_env(where))
        assert done.returncode == 0, done.stderr[-3000:]
    tables = sorted(p.name for p in (tmp_path / "pure").glob("*.parquet"))
    assert {"firms.parquet", "accounts.parquet", "loops.parquet"} <= set(tables)
    for name in tables:
        pure = pd.read_parquet(tmp_path / "pure" / name)
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "compiled" / name), pure, check_exact=True
        )
    summaries = [
        json.loads((tmp_path / k / "summary.json").read_text()) for k in ("pure", "compiled")
    ]
    assert summaries[0] == summaries[1]


def _table(path: Path) -> pd.DataFrame:
    """A sweep table in run order (workers write parts in the order they finish)."""
    table = pd.read_parquet(path).drop(columns="duration_s", errors="ignore")
    keys = [c for c in ("run_id", "quarter", "firm") if c in table.columns]
    return table.sort_values(keys).reset_index(drop=True)


def _fake_build(where: Path, **changes: object) -> Path:
    manifest = {"platform": platform_tag(), "compiled": [], "sources": source_digests()}
    manifest.update(changes)
    where.mkdir(parents=True, exist_ok=True)
    (where / MANIFEST).write_text(json.dumps(manifest))
    return where


def test_a_build_of_other_sources_or_another_python_is_not_used(tmp_path: Path) -> None:
    assert why_not_current(tmp_path / "none") == ""  # no build: pure, silently
    assert why_not_current(_fake_build(tmp_path / "same")) is None
    sources = source_digests() | {"world/ledger.py": "0" * 64}
    assert why_not_current(_fake_build(tmp_path / "edited", sources=sources)) == (
        "world/ledger.py changed since it was built"
    )
    other = why_not_current(_fake_build(tmp_path / "other", platform="cpython-311 .so"))
    assert other is not None and "cpython-311" in other
    # a process finds the edited build, says why on one line, and runs the pure sources
    done = _python(
        "import sys; sys.path.insert(0, 'tests'); import test_compiled as t, world.ledger; "
        "print(t.extension_modules())",
        tmp_path / "edited",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert done.stderr.count("\n") == 1
    assert "world/ledger.py changed since it was built" in done.stderr
    assert "make compile" in done.stderr


def test_numba_modules_stay_pure() -> None:
    for path in source_paths():
        if path.count("/") == 1 and "numba" in (ROOT / path).read_text():
            assert path in PURE
    assert not set(compiled_sources()) & set(PURE)
    assert "world/ledger.py" in compiled_sources() and "world/model.py" in compiled_sources()


def _compiled_nodes() -> Iterator[tuple[str, ast.AST]]:
    """Every syntax node of every module the build compiles, with the module's path."""
    for path in compiled_sources():
        for node in ast.walk(ast.parse((ROOT / path).read_text())):
            yield path, node


def test_no_compiled_module_sums_a_generator() -> None:
    # mypyc adds up sum(<generator>) in a plain loop, the built-in sum of a list with
    # compensation: a generator would make the compiled numbers differ from the pure ones
    for path, node in _compiled_nodes():
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "sum":
            assert not isinstance(node.args[0], ast.GeneratorExp), f"{path}:{node.lineno}"


def test_no_compiled_module_caches_a_property() -> None:
    # mypyc compiles functools.cached_property to a plain getter: the model's firms by
    # role were rebuilt on each of about 700 calls a run (6 % of the firm side)
    for path, node in _compiled_nodes():
        if isinstance(node, ast.Attribute | ast.Name):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            assert name != "cached_property", f"{path}:{node.lineno}"


def test_the_model_keeps_its_firms_by_role(compiled: Path) -> None:
    code = (
        "from runs.scenario import apply_overrides, load_scenario; "
        "from world.model import AIEconomy; "
        "s = apply_overrides(load_scenario('scenarios/baseline.toml'), "
        "{'investors.enabled': False}); m = AIEconomy(s, rng=1); "
        "print(m._firms_of_role is m._firms_of_role, "
        "[len(m.by_role(r)) for r in sorted(m._firms_of_role, key=str)])"
    )
    compiled_out = _python(code, compiled)
    pure_out = _python(code, None)
    assert compiled_out.returncode == 0, compiled_out.stderr[-2000:]
    assert compiled_out.stdout.split()[0] == "True"
    assert compiled_out.stdout == pure_out.stdout


def test_nothing_is_built_where_the_pure_sources_are_asked_for(tmp_path: Path) -> None:
    where = tmp_path / "build"
    done = subprocess.run(
        [sys.executable, "-m", "runs.compile", "--out", str(where)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(None),
    )
    assert done.returncode == 0, done.stderr
    assert "AIPM_PURE=1" in done.stdout and "not compiling" in done.stdout
    assert not where.exists()


def test_a_finished_run_is_freed_compiled(compiled: Path) -> None:
    # mypyc once compiled the subclasses of mesa.Model and mesa.Agent (untyped, so Any
    # to mypy) as native classes whose __dict__ the collector never saw: every model of
    # a sweep stayed in memory, about 1 MB a run
    code = (
        "import json, sys; sys.path.insert(0, 'tests'); import test_compiled as t; "
        "print(json.dumps(t.leak_check()))"
    )
    # a leak makes the count grow; it may shrink by an object or two when a library's
    # own bounded cache is trimmed during the runs (hypothesis's, after its tests)
    done = _python(code, compiled)
    assert done.returncode == 0, done.stderr[-3000:]
    freed = json.loads(done.stdout.splitlines()[-1])
    assert freed["model_freed"] and freed["growth"] <= 0, freed
    freed = leak_check()  # and the pure sources
    assert freed["model_freed"] and freed["growth"] <= 0, freed
