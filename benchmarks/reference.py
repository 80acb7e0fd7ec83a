"""A fixed pure-Python workload: how fast this machine runs interpreted code right now.

The firm side of the model is interpreted Python (small objects, attribute and dict
look-ups, float arithmetic, short method calls, list appends), and on a shared
machine its wall time moves by up to half between two runs of the same code an hour
apart. An absolute figure (ms per run, runs per second) then says as much about the
host as about the code. :func:`interpreter_work` does a fixed amount of work of the
same kinds and nothing else — no numpy, no I/O, no allocation that grows — so timing
it right before each run of a measurement (:mod:`bench_baseline` does) gives a
reference from the same moments. The median of the runs each divided by its own
reference moves less with the machine's load than the times do (measured: about 1.5×
at worst where the times moved 2×; the performance page gives the figures), so it is
the figure to compare between two benchmark runs. Taken only before and after a long
measurement (a sweep of several seconds) it was no steadier than the measurement
itself: the machine's load changes faster than that.

It is a yardstick for the host, not a model of the model: a change that makes the
firm side faster lowers the ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ROUNDS", "interpreter_work", "toy_economy"]

ROUNDS = 400
"""Quarters of the toy economy per call (about 24 ms at a quiet moment on the notes' machine)."""


@dataclass(slots=True)
class _Book:
    """A toy firm: a cash balance, accounts by name, and a revenue history."""

    index: int
    cash: float
    accounts: dict[str, float]
    history: list[float]

    def post(self, debit: str, credit: str, amount: float) -> None:
        if not math.isfinite(amount):
            raise ValueError(amount)
        acc = self.accounts
        acc[debit] = acc.get(debit, 0.0) + amount
        acc[credit] = acc.get(credit, 0.0) - amount

    def trend(self, window: int) -> float:
        tail = self.history[-window:]
        n = len(tail)
        if n < 2:
            return 0.0
        mean_t = (n - 1) / 2
        mean_y = sum(tail) / n
        num = sum((t - mean_t) * (y - mean_y) for t, y in enumerate(tail))
        den = sum((t - mean_t) ** 2 for t in range(n))
        return num / den


def toy_economy(rounds: int = ROUNDS) -> tuple[list[_Book], float]:
    """Run ``rounds`` quarters of a toy economy of seven books; the books and a checksum.

    Each quarter every book pays every other one (two postings each), reads its
    balances, keeps its revenue history and fits a trend over the last eight
    quarters: the kinds of operation the model's firm side spends its time on. The
    result is deterministic; every payment is double-entry, so each book's accounts
    sum to zero and the books' cash together stays what it was.
    """
    books = [_Book(i, 10.0 + i, {}, []) for i in range(7)]
    checksum = 0.0
    for q in range(rounds):
        for payer in books:
            for payee in books:
                if payee is payer:
                    continue
                amount = 0.01 * (1 + (payer.index * 7 + payee.index + q) % 5)
                payer.post("purchases", "cash", amount)
                payee.post("cash", "revenue", amount)
                payer.cash -= amount
                payee.cash += amount
        for book in books:
            revenue = -book.accounts.get("revenue", 0.0)
            book.history.append(revenue)
            if len(book.history) > 16:
                del book.history[0]
            checksum += book.trend(8) + max(book.cash, 0.0)
    return books, checksum


def interpreter_work(rounds: int = ROUNDS) -> float:
    """The reference workload: :func:`toy_economy`'s checksum (the same on every call)."""
    return toy_economy(rounds)[1]
