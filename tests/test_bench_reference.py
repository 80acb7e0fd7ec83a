"""The benchmarks' interpreter reference (``benchmarks/reference.py``): a fixed workload."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
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
