"""Scenario claims ([expect] tables): schema, one-line errors, never parameters, never inherited."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs.named_outputs import OUTPUTS
from runs.scenario import load_scenario
from runs.validation.claims import ClaimError, Direction, load_expectations, parse_expectations

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_has_valid_claims(path):
    exp = load_expectations(path)
    assert exp.scenario == load_scenario(path).name
    if path.stem != "baseline":  # the reference states no claim against itself
        assert exp.claims, f"{path.name} states no [expect] claim from its story"
        assert all(c.why for c in exp.claims)


def test_engine_stall_claims_its_story():
    exp = {c.output: c for c in load_expectations(ROOT / "scenarios" / "engine_stall.toml").claims}
    assert exp["lab_distress"].share_at_least == 0.5
    assert exp["lab_distress"].direction is Direction.HIGHER
    assert exp["provider_losses"].direction is Direction.HIGHER
    assert exp["provider_contagion"].direction is Direction.HIGHER
    assert exp["supplier_losses"].direction is Direction.HIGHER
    assert exp["lab_revenue"].direction is Direction.LOWER


def test_productive_future_changes_only_usage_and_its_price():
    """The story's three assumptions, on top of ``optimistic``: nothing else differs."""
    future = load_scenario(ROOT / "scenarios" / "productive_future.toml")
    optimistic = load_scenario(ROOT / "scenarios" / "optimistic.toml")
    before = optimistic.demand.model_dump()
    changed = {k: v for k, v in future.demand.model_dump().items() if before[k] != v}
    assert changed == {"usage_growth_decay": 0.99, "usage_monetisation": 0.7, "arpu_max": 150.0}
    assert future.model_dump(exclude={"name", "description", "demand"}) == optimistic.model_dump(
        exclude={"name", "description", "demand"}
    )
    claims = load_expectations(ROOT / "scenarios" / "productive_future.toml").claims
    exp = {c.output: c for c in claims}
    assert exp["bust"].direction is Direction.LOWER
    assert exp["lab_revenue"].direction is Direction.HIGHER


def test_claims_are_not_parameters_and_not_inherited(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(
        (ROOT / "scenarios" / "baseline.toml").read_text() + '\n[expect]\ndefaults = "higher"\n'
    )
    child = tmp_path / "child.toml"
    child.write_text('base = "base.toml"\nname = "child"\n')
    assert load_scenario(base).name == "baseline"  # the table is stripped, not rejected
    assert load_scenario(child).name == "child"
    assert [c.output for c in load_expectations(base).claims] == ["defaults"]
    assert load_expectations(child).claims == ()


def test_both_forms_parse():
    exp = parse_expectations(
        {
            "lab_revenue": "lower",
            "lab_default": {"direction": "higher", "share_at_least": 0.6, "why": "x"},
        },
        "s",
    )
    a, b = exp.claims
    assert (a.output, a.direction, a.share_at_least) == ("lab_revenue", Direction.LOWER, None)
    assert (b.direction, b.share_at_least, b.why) == (Direction.HIGHER, 0.6, "x")
    assert a.text() == "lab_revenue lower than baseline"
    assert "more than 60% of seeds" in b.text()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"lab_revenu": "lower"},
            "expect.lab_revenu: unknown output 'lab_revenu' (allowed: lab_revenue",
        ),
        (
            {"lab_revenue": "down"},
            "expect.lab_revenue.direction: 'down' is not a direction (allowed: higher, lower)",
        ),
        (
            {"lab_revenue": 3},
            'expect.lab_revenue: give a direction ("higher" or "lower") or a table',
        ),
        (
            {"lab_revenue": {"direction": "lower", "sure": True}},
            "expect.lab_revenue.sure: unknown key",
        ),
        (
            {"lab_revenue": {"why": "x"}},
            "expect.lab_revenue: give a direction, share_at_least, or both",
        ),
        ({"lab_revenue": {"share_at_least": 0.5}}, "share_at_least: only for flag outputs"),
        (
            {"lab_default": {"share_at_least": 1.5}},
            "expect.lab_default.share_at_least: Input should be less than 1",
        ),
    ],
)
def test_bad_claims_one_line_naming_the_key(table, message):
    with pytest.raises(ClaimError) as err:
        parse_expectations(table, "s", "f.toml")
    text = str(err.value)
    assert "\n" not in text and text.startswith("f.toml: ") and message in text


def test_not_a_table(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nexpect = "higher"\n')
    with pytest.raises(ClaimError, match="expect: must be a table"):
        load_expectations(bad)


def test_outputs_named_in_claims_exist():
    for path in SCENARIOS:
        assert {c.output for c in load_expectations(path).claims} <= set(OUTPUTS)
