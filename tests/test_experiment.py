"""Sweeps: specs, designs, seeds, executors (serial == pool == Dask), failures, resume."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.designs import Kind, Parameter, run_seeds, run_table
from runs.executors import DaskExecutor, Executor, PoolExecutor, SerialExecutor
from runs.experiment import SpecError, load_spec, parse_spec, plan_sweep
from runs.sweeping import SweepError, sweep
from runs.sweepstore import SweepStore

ROOT = Path(__file__).resolve().parent.parent
BASELINE = str(ROOT / "scenarios" / "baseline.toml")


def spec_dict(**kw):
    base = {
        "name": "t",
        "scenario": BASELINE,
        "design": "lhs",
        "samples": 3,
        "replicates": 2,
        "root_seed": 11,
        "fixed": {"quarters": 4},
        "parameters": {
            "demand.bass_q": {"low": 0.03, "high": 0.15},
            "behaviour.vendor_financing": {"levels": [True, False]},
        },
    }
    base.update(kw)
    return base


def plan(**kw):
    return plan_sweep(parse_spec(spec_dict(**kw)))


def without_timing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="duration_s").sort_values("run_id", ignore_index=True)


# -- specs and designs ------------------------------------------------------------------
def test_example_spec_loads_and_plans():
    spec = load_spec(ROOT / "scenarios" / "sweeps" / "example.toml")
    p = plan_sweep(spec)
    assert spec.scenario.is_absolute() and spec.scenario.name == "optimistic.toml"
    assert p.n_runs == spec.samples * spec.replicates == len(p.runs)
    assert p.base.investors.n_investors == spec.fixed["investors.n_investors"]


@pytest.mark.parametrize(
    ("design", "extra", "points"),
    [
        ("grid", {"samples": None, "levels": 3}, 3 * 2),  # 3 levels x {true, false}
        ("lhs", {"samples": 5}, 5),
        ("sobol", {"samples": 4}, 4 * (2 + 2)),
        ("sobol", {"samples": 4, "second_order": True}, 4 * (2 * 2 + 2)),
        ("morris", {"samples": 3}, 3 * (2 + 1)),
    ],
)
def test_design_sizes(design, extra, points):
    p = plan(design=design, **extra)
    assert len(p.design) == points
    assert p.n_runs == points * 2
    assert p.runs["run_id"].tolist() == list(range(points * 2))
    assert (p.runs["point_id"] == p.runs["run_id"] // 2).all()
    q = p.design["demand.bass_q"]
    assert q.between(0.03, 0.15).all()
    assert set(p.design["behaviour.vendor_financing"]) <= {True, False}


def test_grid_covers_every_combination_and_bounds():
    p = plan(design="grid", samples=None, levels=3)
    d = p.design
    combos = set(zip(d["demand.bass_q"], d["behaviour.vendor_financing"], strict=True))
    assert len(combos) == 6
    assert {round(x, 12) for x, _ in combos} == {0.03, 0.09, 0.15}


def test_integer_and_level_parameters_are_uniform():
    ints = Parameter("behaviour.plan_horizon", Kind.INT, low=4, high=7)
    u = np.linspace(0, 1, 4001)
    values = ints.values(u)
    assert set(values) == {4, 5, 6, 7}
    counts = pd.Series(values).value_counts()
    assert counts.max() - counts.min() <= 2  # equal bins
    assert ints.grid(10).size == 4 and ints.grid(2).size == 2


def test_design_depends_only_on_root_seed():
    a, b, c = plan(root_seed=5), plan(root_seed=5), plan(root_seed=6)
    pd.testing.assert_frame_equal(a.design, b.design)
    assert not a.design["demand.bass_q"].equals(c.design["demand.bass_q"])
    assert a.spec_hash == b.spec_hash != c.spec_hash


def test_seeds_are_spawned_children_of_the_root():
    seeds = run_seeds(6, 42)
    children = np.random.SeedSequence(42).spawn(6)
    expected = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
    assert seeds.tolist() == expected
    assert run_seeds(3, 42).tolist() == expected[:3]  # run k's seed ignores the sweep size
    assert len(set(expected)) == 6 and all(0 <= s < 2**63 for s in expected)


def test_common_random_numbers_share_seeds_across_points():
    t = run_table(3, 2, 9, common=True)
    assert t.groupby("replicate")["seed"].nunique().eq(1).all()
    assert t["seed"].nunique() == 2
    assert run_table(3, 2, 9, common=False)["seed"].nunique() == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"design": "halton"}, "design: Input should be 'grid', 'lhs', 'sobol' or 'morris'"),
        ({"parameters": {"demand.bass_x": {"low": 0.0, "high": 1.0}}}, "unknown parameter"),
        ({"parameters": {"demand.bass_q": {"low": 0.2, "high": 0.1}}}, "empty range"),
        ({"parameters": {"demand.bass_q": {"levels": []}}}, "empty levels"),
        ({"parameters": {}}, "parameters: empty (at least 1 needed)"),
        ({"samples": None}, "samples: required by design 'lhs'"),
        ({"design": "sobol", "samples": 6}, "power of 2"),
        ({"parameters": {"demand.bass_q": {"low": 0.0, "high": 99.0}}}, "is not allowed"),
        ({"fixed": {"quarters": 0}}, "fixed: quarters"),
        ({"fixed": {"demand.bass_q": 0.1}}, "also set in [fixed]"),
        ({"parameters": {"behaviour.plan_horizon": {"low": 2.5, "high": 8}}}, "whole numbers"),
        ({"parameters": {"behaviour.vendor_financing": {"low": 0, "high": 1}}}, "levels"),
        ({"replicates": 0}, "replicates:"),
        ({"colour": "red"}, "colour: unknown key"),
    ],
)
def test_bad_specs_are_one_line_errors(change, message):
    with pytest.raises(SpecError) as info:
        plan(**change)
    text = str(info.value)
    assert message in text and "\n" not in text


# -- executors --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pool():
    with PoolExecutor(2) as executor:
        yield executor


@pytest.fixture(scope="module")
def dask_local():
    """``--dask local``: a real LocalCluster, 2 worker processes on 127.0.0.1, no dashboard."""
    with DaskExecutor("local", workers=2) as executor:
        yield executor


class _Reversed(Executor):
    """Finishes its tasks in the opposite order to the one they came in."""

    def imap_unordered(self, fn, tasks):
        yield from reversed([fn(task) for task in tasks])


def test_map_returns_results_in_the_tasks_order(pool, dask_local):
    """``Executor.map``: computed in any order, returned in the tasks' (also across
    processes, where the task's index travels with it)."""
    tasks = [-5, 3, -1, 4, 0, -2]
    assert list(_Reversed().imap_unordered(abs, tasks)) == [2, 0, 4, 1, 3, 5]
    assert _Reversed().map(abs, tasks) == [5, 3, 1, 4, 0, 2]
    for executor in (SerialExecutor(), pool, dask_local):
        assert executor.map(abs, tasks) == [5, 3, 1, 4, 0, 2]
    assert pool.map(abs, []) == []


SMALL_PARAMS = {
    "demand.bass_q": {"low": 0.03, "high": 0.15},
    "behaviour.optimism": {"low": 0.0, "high": 1.0},
    "behaviour.plan_horizon": {"low": 4, "high": 12},
    "behaviour.vendor_financing": {"levels": [True, False]},
}


@st.composite
def small_specs(draw):
    names = draw(
        st.lists(st.sampled_from(sorted(SMALL_PARAMS)), min_size=1, max_size=2, unique=True)
    )
    design = draw(st.sampled_from(["grid", "lhs", "sobol", "morris"]))
    extra = {
        "grid": {"samples": None, "levels": 2},
        "lhs": {"samples": draw(st.integers(1, 4))},
        "sobol": {"samples": draw(st.sampled_from([1, 2]))},
        "morris": {"samples": draw(st.integers(1, 2))},
    }[design]
    return spec_dict(
        design=design,
        parameters={n: SMALL_PARAMS[n] for n in names},
        replicates=draw(st.integers(1, 2)),
        root_seed=draw(st.integers(0, 2**63 - 1)),
        fixed={"quarters": draw(st.integers(2, 6))},
        save_paths=draw(st.booleans()),
        chunk_size=draw(st.sampled_from([None, 1, 3])),
        **extra,
    )


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=small_specs())
def test_serial_pool_and_dask_give_identical_results(spec, pool, dask_local):
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, executor in [("serial", SerialExecutor()), ("pool", pool), ("dask", dask_local)]:
            out = Path(tmp) / name
            results[name] = (sweep(spec, out, executor=executor, progress=False), out)
        serial, serial_out = results["serial"]
        assert len(serial) == plan_sweep(parse_spec(spec)).n_runs
        assert (serial["status"] == "ok").all(), serial["error"].dropna().tolist()
        for name in ("pool", "dask"):
            frame, out = results[name]
            pd.testing.assert_frame_equal(without_timing(frame), without_timing(serial))
            if spec["save_paths"]:
                for table in ("firms", "system"):
                    a = SweepStore(serial_out).read_paths(table)
                    b = SweepStore(out).read_paths(table)
                    key = ["run_id", "quarter", *(["firm"] if table == "firms" else [])]
                    pd.testing.assert_frame_equal(
                        a.sort_values(key, ignore_index=True), b.sort_values(key, ignore_index=True)
                    )


def test_local_cluster_and_a_given_client(dask_local):
    assert dask_local.workers == 2 and dask_local.address.startswith("tcp://127.0.0.1:")
    info = dask_local.client.scheduler_info()["workers"].values()
    assert [w["nthreads"] for w in info] == [1, 1]
    assert len({w["id"] for w in info}) == 2  # two worker processes
    with DaskExecutor(dask_local.client) as borrowed:  # a Client is used, not closed
        assert borrowed.workers == 2
        assert list(borrowed.imap_unordered(abs, [-1, -2, -3])) != []
    assert dask_local.client.status == "running"


# -- failures, output layout, resume ----------------------------------------------------
def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    import runs.simulate

    real = runs.simulate.simulate
    p = plan()
    bad_seed = int(p.runs["seed"].iloc[3])

    def flaky(scenario, seed, **kw):
        if seed == bad_seed:
            raise ArithmeticError("boom in quarter 2\nsecond line")
        return real(scenario, seed, **kw)

    monkeypatch.setattr(runs.simulate, "simulate", flaky)
    frame = sweep(spec_dict(), tmp_path / "s", executor=SerialExecutor(), progress=False)
    assert len(frame) == p.n_runs
    failed = frame[frame["status"] == "failed"]
    assert failed["run_id"].tolist() == [3]
    assert failed["error"].iloc[0] == "ArithmeticError: boom in quarter 2"
    assert failed["n_defaults"].isna().all() and failed["regime"].isna().all()
    ok = frame[frame["status"] == "ok"]
    assert ok["regime"].isin(["boom", "soft_landing", "crash_recovered", "bust", "cascade"]).all()


def test_output_layout_and_params(tmp_path):
    out = tmp_path / "s"
    frame = sweep(spec_dict(save_paths=True, chunk_size=2), out, workers=1, progress=False)
    store = SweepStore(out)
    meta = store.params()
    assert meta["kind"] == "aipm-sweep" and meta["n_runs"] == len(frame) == 6
    assert meta["scenario"]["quarters"] == 4 and meta["design_seed"] > 0
    assert list(frame.columns) == list(meta["columns"])
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    firms = store.read_paths("firms", run_ids=[1, 4])
    assert sorted(firms["run_id"].unique()) == [1, 4] and len(firms) == 2 * 4 * 7
    assert store.read_paths("system")["run_id"].nunique() == 6
    design = store.design()
    assert {"point_id", "u.demand.bass_q", "demand.bass_q"} <= set(design.columns)
    assert not list(out.rglob(".*.tmp"))


class StopAfter(Executor):
    """Serial executor that dies (like a killed process) after ``n`` chunks."""

    name = "stopper"

    def __init__(self, n):
        self.n = n

    def imap_unordered(self, fn, tasks):
        for k, task in enumerate(tasks):
            if k == self.n:
                raise KeyboardInterrupt
            yield fn(task)


def test_resume_runs_only_what_is_missing(tmp_path):
    spec = spec_dict(chunk_size=2, save_paths=True)
    full = sweep(spec, tmp_path / "full", workers=1, progress=False)
    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        sweep(spec, out, executor=StopAfter(1), progress=False)
    assert len(SweepStore(out).read_runs()) == 2
    # a crash between a chunk's paths and its runs part leaves an orphan and a temp file
    orphan = out / "paths" / "firms" / "part-00007.parquet"
    orphan.write_bytes((out / "paths" / "firms" / "part-00000.parquet").read_bytes())
    (out / "runs" / ".part-00008.parquet.x.tmp").write_bytes(b"partial")
    with pytest.raises(SweepError, match="is not empty"):
        sweep(spec, out, workers=1, progress=False)
    resumed = sweep(spec, out, workers=1, resume=True, progress=False)
    assert not orphan.exists() and not list(out.rglob(".*.tmp"))
    assert resumed["run_id"].is_unique and len(resumed) == len(full)
    pd.testing.assert_frame_equal(without_timing(resumed), without_timing(full))
    assert SweepStore(out).read_paths("firms").groupby("run_id").size().eq(4 * 7).all()
    again = sweep(spec, out, workers=1, resume=True, progress=False)  # nothing left to do
    pd.testing.assert_frame_equal(without_timing(again), without_timing(full))


def test_resume_refuses_another_spec(tmp_path):
    out = tmp_path / "s"
    sweep(spec_dict(), out, workers=1, progress=False)
    with pytest.raises(SweepError, match="holds another sweep"):
        sweep(spec_dict(root_seed=12), out, workers=1, resume=True, progress=False)


def test_import_runs_is_cheap_and_api_is_lazy():
    import subprocess
    import sys

    code = (
        "import runs, sys\n"
        "heavy = {'pandas', 'world.model', 'SALib', 'distributed'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "from runs.sweeping import sweep\n"
        "from runs.analysis import analyze\n"
        "assert runs.sweep is sweep and runs.analyze is analyze\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_runs_table_equals_building_and_casting():
    """The column-wise runs table equals the obvious build-then-cast one (dtypes, nulls)."""
    import io

    import pandas as pd
    import pyarrow as pa

    from runs.worker import runs_table, to_parquet_bytes

    columns = {
        "run_id": "int64",
        "seed": "int64",
        "behaviour.optimism": "float64",
        "regime": "string",
        "n_defaults": "Int64",
        "any_default": "boolean",
        "status": "string",
        "error": "string",
        "duration_s": "float64",
    }
    rows = [
        {"run_id": 0, "seed": 11, "behaviour.optimism": 0.3, "regime": "boom", "n_defaults": 0,
         "any_default": False, "status": "ok", "error": None, "duration_s": 0.05},
        {"run_id": 1, "seed": 12, "behaviour.optimism": 0.7, "status": "failed",
         "error": "ValueError: bad", "duration_s": 0.01},  # a failed run has no metrics
        {"run_id": 2, "seed": 13, "behaviour.optimism": float("nan"), "regime": "bust",
         "n_defaults": 2, "any_default": True, "status": "ok", "error": None, "duration_s": 0.04},
    ]  # fmt: skip
    expected = pd.DataFrame(rows).reindex(columns=list(columns)).astype(columns)
    # the Arrow table a chunk writes reads back as the same frame, NaN included
    table = runs_table(rows, columns)
    back = pd.read_parquet(io.BytesIO(to_parquet_bytes(table)))
    pd.testing.assert_frame_equal(back, expected)
    assert back["n_defaults"].isna().tolist() == [False, True, False]
    # and it is the very table pandas would have made
    assert table.equals(pa.Table.from_pandas(expected, preserve_index=False), check_metadata=True)


def test_local_cluster_serves_no_dashboard_and_no_http_pages(dask_local):
    """Issue 14: the LocalCluster served its dashboard on 127.0.0.1:8787 although
    ``dashboard_address=None``; now no dashboard, and its HTTP server has no route."""
    import urllib.error
    import urllib.request

    sockets = list(dask_local._cluster.scheduler.http_server._sockets.values())
    host, port = sockets[0].getsockname()[:2]
    assert host == "127.0.0.1" and port != 8787
    for page in ("status", "info/main/workers.html", "health", "json/identity.json"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=5)
        assert exc.value.code == 404


def _profile_setting() -> object:
    """This process's Dask setting for the workers' statistical profiler."""
    import dask

    return dask.config.get("distributed.worker.profile.enabled")


def _profiler_callbacks(dask_worker) -> list[str]:
    """The worker's periodic callbacks that sample or cycle its statistical profile."""
    return sorted(name for name in dask_worker.periodic_callbacks if "profile" in name)


def test_local_cluster_workers_run_no_statistical_profiler(dask_local):
    """The workers' profiler sampled the running task's stack every 10 ms (for a
    dashboard the local cluster does not serve), slowing a run in a task by 20-30 %;
    a local cluster's workers start without it."""
    seen = dask_local.client.run(_profiler_callbacks)
    assert len(seen) == 2
    assert all(names == [] for names in seen.values()), seen


def test_local_cluster_keeps_the_callers_profiler_setting(monkeypatch):
    """The profiler is off while the local cluster starts, and the caller's setting
    (whatever it was) is back afterwards; no cluster is started to check it."""
    import distributed

    class Started(Exception):
        pass

    during = []

    def fake_cluster(**kwargs):
        during.append(_profile_setting())
        raise Started

    monkeypatch.setattr(distributed, "LocalCluster", fake_cluster)
    before = _profile_setting()
    with pytest.raises(Started):
        DaskExecutor("local", workers=1)
    assert during == [False]
    assert _profile_setting() == before
