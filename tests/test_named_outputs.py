"""Named run outputs (runs/named_outputs.py) and the run summary that carries them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runs.named_outputs import OUTPUTS, EventArrays, OutputKind, RunPaths, compute_outputs
from runs.scenario import apply_overrides
from runs.simulate import simulate
from world.events import Event, EventKind

NAMES = ("NVIDIA", "Cloud", "Lab")
ROLES = ("chip", "cloud", "lab")


def hand_paths(events=()) -> RunPaths:
    """Four quarters: the chip supplier's AI revenue peaks and halves, the lab defaults."""
    valuation = np.array(
        [[100.0, 50.0, 40.0], [150.0, 60.0, 60.0], [80.0, 40.0, 20.0], [90.0, 45.0, 0.0]]
    )
    revenue = np.array([[12.0, 20.0, 2.0], [14.0, 21.0, 3.0], [8.0, 20.0, 3.0], [6.0, 20.0, 0.0]])
    ai = np.array([[10.0, 5.0, 2.0], [12.0, 6.0, 3.0], [6.0, 5.0, 3.0], [4.0, 5.0, 0.0]])
    defaulted = np.zeros((4, 3), dtype=bool)
    defaulted[3:, 2] = True
    system = {
        "round_trip_revenue": np.array([1.0, 2.0, 0.0, 1.0]),
        "lender_losses": np.array([0, 0, 0, 7.5]),
    }
    return RunPaths(
        NAMES, ROLES, valuation, defaulted, revenue, ai, system, EventArrays.from_events(events)
    )


def test_outputs_of_hand_made_paths():
    events = [
        Event(1, 2, EventKind.ROUND_UNDERSUBSCRIBED, 5.0, -1, ""),
        Event(2, 2, EventKind.ROUND_FAILED, 9.0, -1, ""),
        Event(2, 2, EventKind.ROUND_FULL, 9.0, -1, ""),
        Event(3, 1, EventKind.WRITE_DOWN, 4.0, 2, ""),
        Event(3, 0, EventKind.WRITE_DOWN, 2.5, 2, ""),
        Event(3, 0, EventKind.WRITE_DOWN, 1.5, 2, ""),
        Event(3, 1, EventKind.STAKE_LOSS, 10.0, 2, ""),
        Event(3, 0, EventKind.CONTAGION_LOSS, 6.0, 2, ""),
        Event(3, 1, EventKind.CONTAGION_LOSS, 0.5, 2, ""),
        Event(3, 2, EventKind.CONTAGION_LOSS, 99.0, 2, ""),  # the lab's own: counted nowhere
    ]
    out = compute_outputs(hand_paths(events))
    assert out["lab_revenue"] == 8.0 and out["provider_revenue"] == 21.0
    assert out["supplier_revenue"] == 32.0 and out["ai_revenue_end"] == 8.0 + 21.0 + 32.0
    assert out["defaults"] == 1 and out["lab_default"] == 1 and out["lab_distress"] == 1
    assert out["lab_funding_failures"] == 2 and out["lab_failed_round_share"] == 2 / 3
    # booked (stakes wiped out, loans written off) and the DebtRank estimate, apart
    assert out["provider_losses"] == 14.0 and out["supplier_losses"] == 4.0
    assert out["provider_contagion"] == 0.5 and out["supplier_contagion"] == 6.0
    assert out["lender_losses"] == 7.5
    assert out["round_trip_share"] == pytest.approx(4.0 / 61.0)
    # AI-exposed value: the lab is all AI, the others by their AI share of revenue
    assert out["lab_peak_valuation"] == 60.0
    assert out["peak_valuation"] == pytest.approx(150 * 22 / 26 + 60 * 11 / 41 + 60.0)
    # chip AI revenue over four quarters, annualised: 40, 44, 37.33, 32 -> fall 32/44
    assert out["supplier_revenue_fall"] == pytest.approx(1 - 32 / 44)
    assert out["bust"] == 1  # a default


def test_outputs_without_events_or_defaults():
    p = hand_paths()
    quiet = RunPaths(
        p.names, p.roles, p.valuation, np.zeros_like(p.defaulted), p.revenue, p.ai_revenue, p.system
    )
    out = compute_outputs(quiet)
    assert out["lab_funding_failures"] == 0 and out["provider_losses"] == 0.0
    assert out["lab_failed_round_share"] == 0.0
    assert out["lab_default"] == 0 and out["lab_distress"] == 0 and out["defaults"] == 0


def test_registry_units_kinds_and_types():
    assert len(OUTPUTS) >= 15 and all(
        o.unit and o.description.endswith(".") for o in OUTPUTS.values()
    )
    out = compute_outputs(hand_paths())
    assert list(out) == list(OUTPUTS)
    for name, value in out.items():
        kind = OUTPUTS[name].kind
        assert isinstance(value, float if kind is OutputKind.AMOUNT else int), name
        if kind is OutputKind.FLAG:
            assert value in (0, 1)
    with pytest.raises(TypeError):
        OUTPUTS["x"] = OUTPUTS["lab_revenue"]  # type: ignore[index]


def test_every_run_summary_carries_the_outputs_lean_or_full(baseline):
    scenario = apply_overrides(baseline, {"quarters": 8})
    full, lean = simulate(scenario, 4), simulate(scenario, 4, firm_rows=False)
    for name in OUTPUTS:
        assert full.summary[name] == lean.summary[name], name
    assert full.summary["regime"] in {"boom", "soft_landing", "crash_recovered", "bust", "cascade"}
    # AI revenue is revenue less the legacy business; the lab has none
    firms = full.firms
    assert (firms["ai_revenue"] <= firms["revenue"] + 1e-9).all()
    lab = firms[firms["role"] == "lab"]
    np.testing.assert_allclose(lab["ai_revenue"], lab["revenue"])
    assert full.summary["lab_revenue"] == pytest.approx(lab["ai_revenue"].sum())


_KINDS = ("default", "write_down", "round_full", "round_failed", "missed_payment")


@given(
    firm=st.lists(st.integers(-1, 6), max_size=40),
    data=st.data(),
    firms=st.lists(st.integers(0, 6), max_size=4),
    kinds=st.frozensets(st.sampled_from(_KINDS)),
)
def test_event_select_is_membership_of_firm_and_kind(firm, data, firms, kinds):
    """``EventArrays.select`` marks exactly the events of one of ``firms`` and ``kinds``."""
    kind = data.draw(st.lists(st.sampled_from(_KINDS), min_size=len(firm), max_size=len(firm)))
    ev = EventArrays(
        np.array(firm, dtype=np.int64), np.array(kind, dtype=object), np.zeros(len(firm))
    )
    got = ev.select(np.array(firms, dtype=np.int64), kinds)
    expected = [f in firms and k in kinds for f, k in zip(firm, kind, strict=True)]
    assert got.dtype == np.bool_ and got.tolist() == expected
