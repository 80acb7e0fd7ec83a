"""What happened and why, in words: the timeline of the event log and the regime's rule."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runs.story import SEVERITY, article_facts, outcome, regime_rule, timeline


def events(*rows):
    """Rows of (quarter, firm, kind, amount[, counterparty, cause])."""
    out = []
    for r in rows:
        q, firm, kind, amount, *rest = r
        other, cause = (rest + ["", ""])[:2]
        out.append(
            {
                "quarter": q,
                "period": f"{2025 + q // 4}Q{q % 4 + 1}",
                "firm": firm,
                "kind": kind,
                "amount": amount,
                "counterparty": other,
                "cause": cause,
            }
        )
    return pd.DataFrame(
        out, columns=["quarter", "period", "firm", "kind", "amount", "counterparty", "cause"]
    )


def test_routine_events_are_grouped_over_the_run_and_news_kept_per_quarter():
    ev = events(
        (1, "Oracle", "loan_rolled", 10.0),
        (3, "Oracle", "loan_rolled", 5.0),
        (6, "Oracle", "loan_rolled", 2.0),
        (4, "CoreWeave", "default", 50.0, "", "missed 1.4"),
        (4, "CoreWeave", "missed_payment", 1.4, "", "could not fund its payments"),
        (4, "NVIDIA", "write_down", 3.0, "CoreWeave", "vendor loan to a defaulter"),
        (4, "NVIDIA", "write_down", 2.0, "CoreWeave", "vendor loan to a defaulter"),
    )
    lines = timeline(ev)
    texts = [i.text for i in lines]
    assert "Oracle rolls over 3 loans (USD 17.0 bn)" in texts
    assert lines[0].when == "2025Q2–2026Q3"  # the group spans its first and last event
    assert "NVIDIA writes down USD 5.0 bn on CoreWeave (vendor loan to a defaulter)" in texts
    assert any(t.startswith("CoreWeave defaults (missed 1.4)") for t in texts)
    # the default already says what was missed: no separate missed-payment line
    assert not any("misses payments" in t for t in texts)
    assert [i.quarter for i in lines] == sorted(i.quarter for i in lines)


def test_the_most_severe_are_kept_and_defaults_always():
    rows = [(q, f"F{q}", "loan_rolled", 1.0) for q in range(20)]
    rows += [(19, "Lab", "default", 9.0), (2, "", "shock", -0.5, "", "rates up")]
    rows += [(5, "Cloud", "commitment_cut", 40.0, "", "cancelled unstarted contracts")]
    lines = timeline(events(*rows), max_items=3)
    assert len(lines) == 3
    assert [i.severity for i in lines] == [SEVERITY["shock"], 60, SEVERITY["default"]]
    assert lines[0].text == "Shock: rates up (sentiment -0.50)"
    # two defaults and a shock beyond max_items: all three are still there
    more = timeline(events(*rows, (3, "A", "default", 1.0), (4, "B", "default", 1.0)), 2)
    assert sum(i.severity == SEVERITY["default"] for i in more) == 3


def test_a_group_keeps_the_cause_its_events_share():
    ev = events(
        (1, "NVIDIA", "price_cut", 30.0, "", "thin order backlog (-14%)"),
        (2, "NVIDIA", "price_cut", 28.0, "", "thin order backlog (-5%)"),
        (3, "Amazon", "commitment_cut", 2.0, "NVIDIA", "no longer needed; fee 0.2"),
        (4, "Amazon", "commitment_cut", 3.0, "NVIDIA", "no longer needed; fee 0.3"),
        (5, "Oracle", "price_cut", 3.1, "", "idle capacity (-8%)"),
    )
    texts = [i.text for i in timeline(ev)]
    assert "NVIDIA cuts its price twice (thin order backlog)" in texts
    assert "Oracle cuts its price to 3.1 (idle capacity (-8%))" in texts
    assert "Amazon cancels USD 5.0 bn of contracts with NVIDIA, twice (no longer needed)" in texts


def test_unknown_kinds_are_phrased_generically():
    ev = events((2, "Oracle", "margin_call", 7.5, "", "collateral fell"), (3, "system", "x", 0.0))
    texts = [i.text for i in timeline(ev)]
    assert "Oracle: margin call (USD 7.5 bn; collateral fell)" in texts
    assert "The system: x" in texts


def test_timeline_of_no_events_and_bad_tables():
    assert timeline(events()) == []
    empty = pd.DataFrame(columns=["quarter", "period", "firm", "kind", "amount"])
    assert timeline(empty) == []  # the optional columns may be missing too
    with pytest.raises(ValueError, match="events: missing column.*kind"):
        timeline(empty.drop(columns="kind"))
    with pytest.raises(ValueError, match="max_items"):
        timeline(empty, max_items=0)


_KINDS = st.sampled_from([*SEVERITY, "brand_new_kind"])
_ROW = st.tuples(st.integers(0, 39), st.sampled_from(["A", "B", "system"]), _KINDS,
                 st.floats(0.0, 1e3))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, max_size=40), n=st.integers(1, 15))
def test_timeline_is_short_ordered_and_says_something(rows, n):
    lines = timeline(events(*rows), max_items=n)
    must = {(r[0], r[1], r[2]) for r in rows if r[2] in ("default", "shock")}
    assert len(lines) <= max(n, len(must))
    assert [i.quarter for i in lines] == sorted(i.quarter for i in lines)
    assert all(i.text and i.first <= i.last for i in lines)
    assert sum(i.severity == SEVERITY["default"] for i in lines) == len(
        {(r[0], r[1]) for r in rows if r[2] == "default"}
    )


def test_regime_rule_comes_from_the_classifier():
    from world import stress

    for regime in stress.Regime:
        rule = regime_rule(regime.value)
        assert rule and "``" not in rule and ":math:" not in rule, (regime, rule)
    assert regime_rule("not_a_regime") == ""
    assert "50%" in regime_rule("bust")  # the default threshold, filled in


def test_run_story_of_the_baseline(baseline, baseline_result):
    r = baseline_result
    facts = article_facts(r.system, r.firms, baseline.demand.model_dump(), r.loops)
    text = " ".join(facts)
    assert "+251.7% in 2024" in text and "2025Q1 (quarter on quarter)" in text
    assert "NVIDIA → OpenAI → Oracle → NVIDIA: USD" in text
    assert "10% of the world in 3 years" in text
    said = outcome(r.firms, r.summary)
    assert said.startswith("Total valuation of the firms: USD")
    assert ("no firm defaulted" in said) == (not r.firms.defaulted.any())


def test_the_story_of_a_failed_lab_says_who_lost_what_they_put_in(root):
    """engine_stall, seed 2: among a dozen lines of cuts, rounds and defaults, the
    chip supplier's loss of the tranches it paid into the lab is told (at cost)."""
    from runs.scenario import apply_overrides, load_scenario
    from runs.simulate import simulate

    stall = apply_overrides(
        load_scenario(root / "scenarios" / "engine_stall.toml"), {"investors.n_investors": 1000}
    )
    events = simulate(stall, 2).events
    lines = [item.text for item in timeline(events, 12)]
    lost = events[
        (events.firm == "NVIDIA")
        & (events.kind == "stake_loss")
        & (events.counterparty == "OpenAI")
    ].amount.sum()
    assert 0.0 < lost <= 100.0  # the tranches it paid (USD 10 bn a GW, at most 100)
    assert f"NVIDIA's stake in OpenAI is wiped out: USD {lost:.1f} bn at cost" in lines, lines
    assert any(t.startswith("OpenAI defaults") for t in lines)
