"""How many investor snapshots a run may keep (``aipm run --investor-snapshots N``).

``simulate(..., investor_snapshots=N)`` keeps one row per investor at every N-th
quarter and at the last one (:func:`is_snapshot_quarter`). The rows stay in memory
until the run ends, so their number is checked before the run starts
(:func:`check_investor_snapshots`): a run that would need more than
:data:`MAX_INVESTOR_SNAPSHOT_BYTES` is refused with a one-line error instead of being
killed for lack of memory after hours of simulation.

This module imports no model code: ``aipm run`` checks the limit before it creates
its output folder, without importing the simulation.

>>> snapshot_quarter_count(quarters=40, every=3)  # quarters 3, 6, ..., 39 and 40
14
>>> snapshot_bytes_per_row(n_firms=7)  # quarter, investor, 5 columns, 7 holdings
105
"""

from __future__ import annotations

from world.params import Scenario

__all__ = [
    "MAX_INVESTOR_SNAPSHOT_BYTES",
    "check_investor_snapshots",
    "investor_snapshot_error",
    "is_snapshot_quarter",
    "snapshot_bytes_per_row",
    "snapshot_quarter_count",
    "snapshot_rows",
]

MAX_INVESTOR_SNAPSHOT_BYTES = 5_000_000_000
"""Most bytes of investor snapshots one run may keep in memory (5 GB).

About 48 million rows for the baseline's 7 firms (105 bytes a row), e.g. 1,000,000
investors at every quarter of a 40-quarter run (4.2 GB). The rows are held until the
run ends, then joined into one table (a second copy for a moment) and converted for
``investors.parquet`` (another), so the process needs about twice this on top of the
model itself: 5 GB of snapshots is about what a 16 GB machine can hold, while the
largest allowed population at every quarter (10,000,000 investors × 40 quarters =
400 million rows, 42 GB) would be killed by the out-of-memory killer long after the
run began. A larger snapshot interval keeps proportionally fewer rows.
"""

_FIXED_BYTES = 8 + 8 + 1 + 4 * 8
"""Bytes of a snapshot row besides the holdings: quarter and investor (int64), the
strategy (a one-byte category code), sentiment, capacity, cash and wealth (float64)."""

_BYTES_PER_HOLDING = 8
"""One float64 column per firm (``shares_bn_<firm>``)."""


def is_snapshot_quarter(done: int, quarters: int, every: int) -> bool:
    """Whether the run keeps a snapshot after ``done`` of its ``quarters`` quarters.

    Every ``every``-th quarter and the last one; never when ``every`` is 0.
    """
    return bool(every) and (done % every == 0 or done == quarters)


def snapshot_quarter_count(quarters: int, every: int) -> int:
    """Number of quarters of a ``quarters``-quarter run that keep a snapshot."""
    return sum(is_snapshot_quarter(done, quarters, every) for done in range(1, quarters + 1))


def snapshot_bytes_per_row(n_firms: int) -> int:
    """Bytes in memory of one snapshot row (one investor at one quarter)."""
    return _FIXED_BYTES + _BYTES_PER_HOLDING * n_firms


def snapshot_rows(scenario: Scenario, every: int, quarters: int | None = None) -> int:
    """Rows of investor snapshots a run of ``scenario`` keeps (0 without the population).

    ``quarters`` overrides the scenario's horizon, as in :func:`runs.simulate.simulate`.
    """
    if not every or not scenario.investors.enabled:
        return 0
    n = scenario.quarters if quarters is None else quarters
    return scenario.investors.n_investors * snapshot_quarter_count(n, every)


def investor_snapshot_error(
    scenario: Scenario, every: int, quarters: int | None = None
) -> str | None:
    """Why the run's snapshots would not fit under the limit (one line), or None."""
    rows = snapshot_rows(scenario, every, quarters)
    per_row = snapshot_bytes_per_row(len(scenario.firms))
    if rows * per_row <= MAX_INVESTOR_SNAPSHOT_BYTES:
        return None
    n = scenario.quarters if quarters is None else quarters
    n_investors = scenario.investors.n_investors
    max_rows = MAX_INVESTOR_SNAPSHOT_BYTES // per_row
    fits = max_rows // n_investors  # snapshot quarters that fit
    if fits >= 1:
        # a positive interval k keeps ceil(n / k) snapshots
        hint = f"use a larger snapshot interval (--investor-snapshots {-(-n // fits)} or more)"
    else:
        hint = "even one snapshot is too large: use fewer investors"
    return (
        f"--investor-snapshots: {every} with investors.n_investors={n_investors} over "
        f"{n} quarters keeps {rows:,} investor rows ({snapshot_quarter_count(n, every)} "
        f"snapshots, about {_gigabytes(rows * per_row)} in memory); allowed: at most "
        f"{max_rows:,} rows ({_gigabytes(MAX_INVESTOR_SNAPSHOT_BYTES)}); {hint}"
    )


def check_investor_snapshots(scenario: Scenario, every: int, quarters: int | None = None) -> None:
    """Raise ValueError (one line) if the run's snapshots would exceed the limit."""
    if (message := investor_snapshot_error(scenario, every, quarters)) is not None:
        raise ValueError(message)


def _gigabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:.3g} GB"
