"""Run one scenario with one seed and collect its records (the Python API of ``aipm run``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from runs.investor_snapshots import check_investor_snapshots, is_snapshot_quarter
from runs.summary import paths_of_records, summarize_paths
from world.contracts import SignedDeal
from world.events import Event, EventLog
from world.metrics import Recorder
from world.model import AIEconomy
from world.params import Scenario

__all__ = ["RunResult", "deals_frame", "simulate"]


@dataclass(frozen=True)
class RunResult:
    """Records of one run: per-firm and system paths, signed deals, and the inputs.

    ``firms``, ``system`` and ``deals`` are DataFrames built on first access from the
    run's records (a sweep that keeps only the summary never builds them);
    ``system_columns`` gives the numeric system columns as arrays. Unless the run was
    asked to keep its model, the records are detached from it, so a result does not
    keep the whole model alive.
    """

    scenario: Scenario
    seed: int
    records: Recorder = field(repr=False, compare=False)
    signed: list[SignedDeal] = field(repr=False, compare=False)
    event_log: list[Event] = field(default_factory=list, repr=False, compare=False)
    summary: dict = field(default_factory=dict)
    investors: pd.DataFrame | None = None
    model: AIEconomy | None = field(default=None, repr=False, compare=False)

    @cached_property
    def firms(self) -> pd.DataFrame:
        """One row per firm per quarter (columns: ``world.metrics.FIRM_COLUMNS``)."""
        return self.records.firms_frame()

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """The firms' books by account, one row per firm per quarter.

        Columns ``world.metrics.ACCOUNT_COLUMNS``: every account's balance at the
        quarter's end (assets, liabilities, equity) and the quarter's income and
        expenses, USD bn.
        """
        return self.records.accounts_frame()

    @cached_property
    def system(self) -> pd.DataFrame:
        """One row per quarter (columns: ``world.metrics.SYSTEM_COLUMNS``)."""
        return self.records.system_frame()

    @cached_property
    def system_columns(self) -> dict[str, np.ndarray]:
        """The numeric system columns as arrays, one value per quarter."""
        return self.records.system_columns()

    @cached_property
    def events(self) -> pd.DataFrame:
        """What happened and why, one row per event (see :mod:`world.events`)."""
        log = EventLog()
        log.events = self.event_log
        periods = [str(p) for p in self.records.system_frame()["period"]]
        return log.frame(self.records.firm_names, periods)

    @cached_property
    def loops(self) -> pd.DataFrame:
        """USD bn that went round each loop of the deal network, per quarter.

        Columns ``world.metrics.LOOP_COLUMNS``; see :mod:`world.settlement` (Loops).
        """
        return self.records.loops_frame()

    @cached_property
    def deals(self) -> pd.DataFrame:
        """Every signing of the run (see :func:`deals_frame`)."""
        return _deals_frame(self.signed, self.records.firm_names)


def deals_frame(model: AIEconomy) -> pd.DataFrame:
    """Every signing of the run as a table (quarter, kind, payer, payee, value, GW)."""
    return _deals_frame(model.deals.signed, [f.name for f in model.firms])


def _deals_frame(signed: list[SignedDeal], names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quarter": np.array([d.quarter for d in signed], dtype=np.int64),
            "contract_id": np.array([d.contract_id for d in signed], dtype=np.int64),
            "kind": [d.kind.value for d in signed],
            "payer": [names[d.payer] if d.payer >= 0 else "outside" for d in signed],
            "payee": [names[d.payee] if d.payee >= 0 else "outside" for d in signed],
            "value": np.array([d.value for d in signed], dtype=np.float64),
            "gw": np.array([d.gw for d in signed], dtype=np.float64),
            "endogenous": np.array([d.endogenous for d in signed], dtype=bool),
        }
    )


def simulate(
    scenario: Scenario,
    seed: int,
    *,
    quarters: int | None = None,
    on_quarter: Callable[[int], None] | None = None,
    keep_model: bool = False,
    investor_snapshots: int = 0,
    firm_rows: bool = True,
) -> RunResult:
    """Run ``scenario`` with ``seed`` for ``quarters`` (default: the scenario's horizon).

    The result depends only on (scenario, seed). ``on_quarter`` is called after each
    quarter with the number of quarters done (for progress bars).
    ``investor_snapshots=k`` (> 0) keeps an investor-level snapshot every ``k``
    quarters and after the last one (needs the investor population); a run whose
    snapshots would exceed :data:`runs.investor_snapshots.MAX_INVESTOR_SNAPSHOT_BYTES`
    raises ValueError before it starts (see
    :func:`runs.investor_snapshots.check_investor_snapshots`).
    ``firm_rows=False`` keeps only what the summary needs of the firms (faster, for
    sweeps that save no paths); ``result.firms`` then raises.
    """
    check_investor_snapshots(scenario, investor_snapshots, quarters)
    model = AIEconomy(scenario, rng=seed, firm_rows=firm_rows)
    n = scenario.quarters if quarters is None else quarters
    snapshots = []
    for k in range(n):
        model.step()
        if on_quarter is not None:
            on_quarter(k + 1)
        if model.market is not None and is_snapshot_quarter(k + 1, n, investor_snapshots):
            snap = model.market.population.snapshot().reset_index()
            snap.insert(0, "quarter", k)
            snapshots.append(snap)
    records = model.records
    if not records.valuations:
        raise ValueError("a run needs at least one quarter")
    if not keep_model:
        records.detach()  # the result keeps the records, not the whole model
    summary = summarize_paths(paths_of_records(records, model.events.events))
    return RunResult(
        scenario=scenario,
        seed=seed,
        records=records,
        signed=model.deals.signed,
        event_log=model.events.events,
        summary=summary,
        investors=pd.concat(snapshots, ignore_index=True) if snapshots else None,
        model=model if keep_model else None,
    )
