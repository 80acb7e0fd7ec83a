import math

import numpy as np
import pandas as pd
import pytest

from runs.output import write_run
from runs.scenario import load_scenario
from runs.simulate import simulate
from world.events import EVENT_COLUMNS, EventKind, EventLog


def test_log_records_and_frames():
    log = EventLog()
    log.record(0, 2, EventKind.ROUND_FULL, 10.0, "sought 10", counterparty=-1)
    log.record(1, -1, EventKind.SHOCK, -0.5, "rates up")
    log.record(1, 0, EventKind.WRITE_DOWN, 3.0, "vendor loan", counterparty=2)
    df = log.frame(["A", "B", "C"], ["2025Q1", "2025Q2"])
    assert list(df.columns) == list(EVENT_COLUMNS)
    assert df.firm.tolist() == ["C", "system", "A"]
    assert df.counterparty.tolist() == ["", "", "C"]
    assert df.period.tolist() == ["2025Q1", "2025Q2", "2025Q2"]
    assert [e.kind for e in log.of_kind(EventKind.SHOCK)] == [EventKind.SHOCK]


def test_log_rejects_non_finite_amounts():
    with pytest.raises(ValueError, match="amount must be finite"):
        EventLog().record(0, 0, EventKind.DEFAULT, math.nan, "x")


def test_run_logs_shocks_rounds_and_writes_events(tmp_path):
    sc = load_scenario("scenarios/shock_failed_round.toml")
    r = simulate(sc, seed=3, quarters=12)
    ev = r.events
    assert set(ev.kind) <= {k.value for k in EventKind}
    shocks = ev[ev.kind == "shock"]
    assert shocks.period.tolist() == [s.at for s in sc.shocks]
    # the calibration's funding rounds of 2025 are logged with the money raised
    rounds = ev[(ev.kind == "round_full") & (ev.firm == "OpenAI") & (ev.quarter == 0)]
    assert rounds.amount.sum() >= 10.0
    assert np.isfinite(ev.amount).all()
    write_run(r, tmp_path / "run")
    back = pd.read_parquet(tmp_path / "run" / "events.parquet")
    pd.testing.assert_frame_equal(back, ev)
