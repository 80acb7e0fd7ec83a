"""A seed's results do not depend on the number of threads of the trading kernel."""

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from test_investors import make, run_quarters

from world.trading import BLOCK, block_bounds

# more than one block of investors, so the kernel's passes really run in parallel
N_MANY = 2 * BLOCK + 1_234

RUN = """
import sys
from pathlib import Path
from runs.output import write_run
from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate
scenario = apply_overrides(
    load_scenario("scenarios/baseline.toml"),
    {"quarters": 6, "investors.n_investors": int(sys.argv[2])},
)
result = simulate(scenario, 7, investor_snapshots=3)
write_run(result, Path(sys.argv[1]))
"""


def _run_with_threads(threads: int, out: Path) -> dict[str, bytes]:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-c", RUN, str(out), str(N_MANY)], env=env, cwd=root, check=True
    )
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.parquet"))}


def test_block_bounds_depend_on_n_only():
    assert list(block_bounds(10)) == [0, 10]
    assert list(block_bounds(BLOCK)) == [0, BLOCK]
    b = block_bounds(N_MANY)
    assert b[0] == 0 and b[-1] == N_MANY
    assert (b.size - 1) % 2 == 0  # an even number of blocks when there are several
    sizes = np.diff(b)
    assert sizes.max() - sizes.min() <= 1 and sizes.max() <= BLOCK


def test_one_thread_and_two_threads_give_the_same_population():
    def run(threads):
        numba.set_num_threads(threads)
        try:
            pop, rng = make(n=N_MANY, seed=3)
            res = run_quarters(pop, rng, 3)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        return np.concatenate([r.subround_returns.ravel() for r in res]), pop

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba was started with one thread")
    r1, p1 = run(1)
    r2, p2 = run(2)
    np.testing.assert_array_equal(r1, r2)
    for name in ("holdings", "cash", "sentiment", "types"):
        np.testing.assert_array_equal(getattr(p1, name), getattr(p2, name))
    assert p1.market_maker_cash == p2.market_maker_cash


def test_whole_run_parquet_bytes_equal_for_one_and_two_threads(tmp_path):
    one = _run_with_threads(1, tmp_path / "one")
    two = _run_with_threads(2, tmp_path / "two")
    assert set(one) >= {"firms.parquet", "system.parquet", "investors.parquet"}
    assert one.keys() == two.keys()
    for name in one:
        assert one[name] == two[name], name
