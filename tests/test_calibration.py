"""The first simulated year of the baseline reproduces the 2025 anchors within 5 %."""

import pytest

from runs.calibrate import check_anchors, load_anchors

ANCHORS = load_anchors()


@pytest.fixture(scope="module")
def checks(baseline):
    return {c.name: c for c in check_anchors(baseline, ANCHORS)}


def test_every_anchor_is_checked(checks):
    n_firm = sum(
        sum(k in a for k in ("revenue", "capex", "h1_operating_loss")) for a in ANCHORS["firms"]
    )
    assert len(checks) == n_firm + len(ANCHORS["deals"])
    assert {"OpenAI revenue", "OpenAI H1 operating loss", "NVIDIA revenue"} <= set(checks)


@pytest.mark.parametrize(
    "name",
    [
        *(f"{a['firm']} {k}" for a in ANCHORS["firms"] for k in ("revenue", "capex") if k in a),
        "OpenAI H1 operating loss",
    ],
)
def test_firm_anchor_within_tolerance(checks, name):
    c = checks[name]
    assert abs(c.gap) <= ANCHORS["tolerance"], f"{name}: model {c.model:.2f} vs {c.anchor:.2f}"


def test_signed_deal_values_within_tolerance(checks):
    deal_checks = [c for n, c in checks.items() if "→" in n]
    assert len(deal_checks) == len(ANCHORS["deals"])
    for c in deal_checks:
        assert abs(c.gap) <= ANCHORS["tolerance"], f"{c.name}: {c.model:.2f} vs {c.anchor:.2f}"


def test_opening_valuations_match_calibration(baseline):
    """Opening values are the market's at the start (end of 2024 / the 2025Q1 round)."""
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scenarios/calibration/market_caps_start.csv"
    caps = {r["firm"]: r["market_cap_or_valuation_usd_bn"] for r in csv.DictReader(path.open())}
    assert {f.name for f in baseline.firms} <= set(caps)
    for firm in baseline.firms:
        assert firm.market_cap == pytest.approx(float(caps[firm.name]), rel=0.05)
