"""The first simulated year of the baseline reproduces the 2025 anchors within 5 %."""

import math

import pytest

from runs.calibrate import check_anchors, load_anchors

ANCHORS = load_anchors()


@pytest.fixture(scope="module")
def checks(baseline):
    return {c.name: c for c in check_anchors(baseline, ANCHORS)}


def test_every_anchor_is_checked(checks):
    n_firm = sum(
        sum(k in a for k in ("revenue", "capex", "equity_raised", "h1_operating_loss"))
        for a in ANCHORS["firms"]
    )
    assert len(checks) == n_firm + len(ANCHORS["deals"])
    assert {"OpenAI revenue", "OpenAI H1 operating loss", "OpenAI equity_raised"} <= set(checks)


@pytest.mark.parametrize(
    "name",
    [
        *(
            f"{a['firm']} {k}"
            for a in ANCHORS["firms"]
            for k in ("revenue", "capex", "equity_raised")
            if k in a
        ),
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.toml"], "cannot read scenario file (does not exist or is not a file)"),
        (["scenarios/baseline.toml", "extra"], "error: unrecognized arguments: extra"),
    ],
)
def test_the_command_rejects_bad_input_in_one_line(args, message, command_error):
    from runs.calibrate import main

    line = command_error(main, args)  # and no anchor table for a scenario it could not read
    assert line.startswith("error: ") and line.endswith(message)


def test_the_command_names_the_invalid_field(root, tmp_path, command_error):
    from runs.calibrate import main

    bad = tmp_path / "bad.toml"
    base = (root / "scenarios" / "baseline.toml").as_posix()
    bad.write_text(f'base = "{base}"\nname = "bad"\n[behaviour]\noptimism = 9\n', "utf-8")
    line = command_error(main, [str(bad)])
    assert "behaviour.optimism" in line and "allowed" in line, line


def test_value_on_interpolates_between_quarter_ends():
    import datetime as dt

    import pandas as pd

    from runs.calibrate import value_on

    firms = pd.DataFrame(
        {
            "firm": ["A", "A", "A", "B"],
            "period": ["2025Q1", "2025Q2", "2025Q3", "2025Q3"],
            "valuation": [100.0, 200.0, 110.0, 7.0],
        }
    )
    # the ends: 2025-03-31, 2025-06-30 (91 days later), 2025-09-30 (92 days later)
    assert value_on(firms, "A", dt.date(2025, 6, 30)) == 200.0
    assert value_on(firms, "A", dt.date(2025, 5, 1)) == pytest.approx(100 + 100 * 31 / 91)
    assert value_on(firms, "A", dt.date(2025, 8, 15)) == pytest.approx(200 - 90 * 46 / 92)
    assert math.isnan(value_on(firms, "A", dt.date(2025, 3, 1)))  # before the first end
    assert math.isnan(value_on(firms, "A", dt.date(2025, 10, 1)))  # after the last
    assert value_on(firms, "B", dt.date(2025, 9, 30)) == 7.0
    assert math.isnan(value_on(firms, "C", dt.date(2025, 9, 30)))


def test_out_of_sample_values_are_the_octobers_market_values_kept_out_of_calibration(baseline):
    from runs.calibrate import out_of_sample
    from runs.simulate import simulate

    anchors = load_anchors()
    firms = simulate(baseline, 0, quarters=4).firms
    got = {c.name: c for c in out_of_sample(firms, anchors)}
    assert list(got) == [
        "NVIDIA value 2025-10-29",
        "AMD value 2025-10-27",
        "Oracle value 2025-09-30",
        "Microsoft value 2025-10-28",
        "Amazon value 2025-10-31",
        "OpenAI value 2025-10-02",
    ]
    # the calibration opens at end-2024 values, not these (kept out of sample)
    opening = {f.name: f.market_cap for f in baseline.firms}
    for c in got.values():
        firm = c.name.split(" value ")[0]
        assert c.anchor != opening[firm] and c.model > 0 and math.isfinite(c.model)
