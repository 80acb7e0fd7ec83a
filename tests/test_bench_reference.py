"""The benchmarks' interpreter reference (``benchmarks/reference.py``): a fixed workload."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from common import count_work  # noqa: E402
from reference import interpreter_work, toy_economy  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=60))
def test_toy_economy_books_balance_and_cash_is_conserved(rounds):
    books, checksum = toy_economy(rounds)
    assert len(books) == 7
    for book in books:  # every payment is two postings of one amount
        assert abs(sum(book.accounts.values())) < 1e-9
        assert len(book.history) == min(rounds, 16)
    assert math.isclose(sum(b.cash for b in books), sum(10.0 + i for i in range(7)))
    assert math.isfinite(checksum)
    assert (checksum == 0.0) == (rounds == 0)


def test_reference_is_a_fixed_amount_of_work():
    assert interpreter_work(40) == interpreter_work(40)  # deterministic
    assert interpreter_work(40) != interpreter_work(41)  # every round counts
    assert interpreter_work() == toy_economy()[1]


def _calls(n):
    for _ in range(n):
        _leaf()


def _leaf():
    pass


@pytest.mark.parametrize("n", [0, 1, 10, 25])
def test_work_is_counted_exactly_and_the_monitor_is_released(n):
    work = count_work(lambda: _calls(n))
    assert work["python_calls"] == 2 + n  # the lambda, _calls, n × _leaf
    assert work == count_work(lambda: _calls(n))  # the same on every run
    assert count_work(lambda: _calls(n + 1))["bytecodes"] > work["bytecodes"] > 0
    assert sys.monitoring.get_tool(sys.monitoring.PROFILER_ID) is None


def test_counting_stops_when_the_work_raises():
    def broken():
        _leaf()
        raise ValueError("stop")

    with pytest.raises(ValueError, match="stop"):
        count_work(broken)
    assert sys.monitoring.get_tool(sys.monitoring.PROFILER_ID) is None
    assert count_work(lambda: _calls(3))["python_calls"] == 5


def test_caches_are_read_by_level_in_kib():
    from common import caches, cpu

    found = caches()
    assert set(found) <= {"l1d", "l2", "l3", "l4"}
    assert all(isinstance(v, int) and v > 0 for v in found.values())
    if Path("/sys/devices/system/cpu/cpu0/cache/index0").exists():
        assert "l1d" in found  # every Linux x86 core has an L1 data cache
    assert cpu()["cache_kib"] == found
