"""The benchmarks' floor (``benchmarks/floor.py``) streams the arrays of each kind of pass.

Each kind of pass must write exactly the arrays the trading kernel's pass of that kind
writes, and read those it reads: run with a step ``x = 1`` (the benchmark uses 1e-300,
so that the values do not change) and compare every array before and after.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import floor  # noqa: E402

from world.trading import BLOCK, passes_per_quarter  # noqa: E402

NAMES = (
    "types", "capacity", "tilt", "cash", "holdings", "pending", "listed_idx", "sentiment",
    "wealth0", "uniforms", "normals",
)  # fmt: skip
COLS = (0, 1, 2, 3, 4, 5)
"""The listed columns as the floor takes them: a tuple, one vector lane each."""
WRITES = {
    floor.OPEN: {"tilt", "cash", "holdings", "pending", "sentiment", "wealth0"},
    floor.TRADE: {"cash", "holdings", "pending"},
    floor.CLOSE: {"cash", "holdings", "pending", "sentiment"},
}


@pytest.mark.parametrize("kind", [floor.OPEN, floor.TRADE, floor.CLOSE])
def test_each_pass_writes_the_arrays_of_its_kind(kind):
    arrays = floor.make_arrays(100, 7, 6, seed=3)
    before = [a.copy() for a in arrays]
    floor._floor_block(kind, 0, 100, COLS, *arrays, 1.0)
    changed = {
        name for name, a, b in zip(NAMES, arrays, before, strict=True) if not np.array_equal(a, b)
    }
    assert changed == WRITES[kind]
    if kind == floor.TRADE:  # a sub-round writes the listed columns of holdings only
        np.testing.assert_array_equal(arrays[4][:, 6], before[4][:, 6])


def test_a_pass_reads_what_its_kind_reads():
    """The last pass's sums move with the uniforms, normals and wealth, not with capacity."""
    arrays = floor.make_arrays(100, 7, 6, seed=3)
    base = floor._floor_block(floor.CLOSE, 0, 100, COLS, *[a.copy() for a in arrays], 1.0)
    for name, moves in (
        ("uniforms", True),
        ("normals", True),
        ("wealth0", True),
        ("capacity", False),
    ):
        other = [a.copy() for a in arrays]
        other[NAMES.index(name)] += 1.0
        assert (floor._floor_block(floor.CLOSE, 0, 100, COLS, *other, 1.0) != base) is moves, name


def test_bytes_add_up_to_the_quarter():
    one = floor.bytes_per_investor_pass(6)
    assert one == 225
    quarter = floor.bytes_per_investor_quarter(7, 6, 12)
    first = floor.bytes_per_investor_pass(6, 7, floor.OPEN)
    last = floor.bytes_per_investor_pass(6, 7, floor.CLOSE)
    assert quarter == first + (passes_per_quarter(12) - 2) * one + last + 8 == 3013
    with pytest.raises(ValueError, match="n_assets"):
        floor.bytes_per_investor_pass(6, kind=floor.OPEN)


def test_the_floor_runs_on_one_block_and_on_many():
    for n in (200, BLOCK + 1):
        arrays = floor.make_arrays(n, 7, 6)
        assert np.isfinite(floor.floor_quarters(arrays, 1, 12))


def test_working_set_is_every_array_the_floor_touches():
    """169 B an investor for seven assets, six listed: strategy (1), capacity, tilt, cash,
    sentiment, wealth at the open, normal (8 each), holdings (7·8), pending (6·8),
    uniforms (2·8); plus the six listed indices once."""
    for n in (10, 1_000):
        arrays = floor.make_arrays(n, 7, 6)
        assert floor.working_set_bytes(arrays) == 169 * n + 6 * 8


def test_bench_model_rejects_a_bad_size_before_measuring(tmp_path):
    out = tmp_path / "model.json"
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_model.py"
    for bad in ("-1", "999"):
        done = subprocess.run(
            [sys.executable, str(script), "--beyond-cache", bad, "--out", str(out)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2
        assert "--beyond-cache must be 0 or >= 1000" in done.stderr.strip().splitlines()[-1]
    assert not out.exists()
