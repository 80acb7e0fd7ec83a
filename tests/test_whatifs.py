"""The baseline page's what-if table (runs/whatifs.py): its formatting, its place on the
page between markers, its command line, and one small run of the measurements."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from runs.whatifs import (
    MARKERS,
    SCENARIO_MARKERS,
    SCENARIOS,
    WHAT_IFS,
    main,
    regime_shares,
    table_markdown,
    whatifs,
)

PAGE = "docs/explanation/baseline.md"


def _runs(name: str, regimes: list[str], **columns: list[float]) -> pd.DataFrame:
    n = len(regimes)
    return pd.DataFrame(
        {
            "what_if": name,
            "seed": range(n),
            "regime": regimes,
            "lab_default": columns.get("lab_default", [False] * n),
            "compute_need_gw": columns["need"],
            "lab_revenue_last_year": columns["revenue"],
            "fall_within_8q": columns["fall"],
            "nvidia_drawdown": columns["drawdown"],
            "cash_flow_positive_year": columns.get("positive", [float("nan")] * n),
        }
    )


def test_the_table_gives_medians_and_shares_in_the_pages_format():
    runs = pd.concat(
        [
            # given out of order: the table follows WHAT_IFS
            _runs(
                "jevons_prudent",
                ["bust", "crash_recovered", "boom", "crash_recovered"],
                lab_default=[True, False, False, False],
                need=[400.0, 480.0, 500.0, 900.0],  # median 490
                revenue=[0.0, 40.0, 60.0, 100.0],  # median 50
                fall=[0.70, 0.74, 0.76, 0.90],  # median 75 %
                drawdown=[0.80, 0.89, 0.91, 0.99],  # median 90 %
                positive=[2027.0, 2028.0, 2031.0, float("nan")],  # by 2028: .50, ever: .75
            ),
            _runs(
                "baseline",
                ["bust"] * 3,
                need=[6.0, 6.84, 7.5],
                revenue=[80.0, 89.4, 95.0],
                fall=[0.755, 0.7613, 0.80],
                drawdown=[0.96, 0.9666, 0.99],
            ),
        ]
    )
    lines = table_markdown(runs).splitlines()
    assert lines[0].startswith("| what-if (`--set` on the baseline) | regimes | lab defaults |")
    assert lines[0].endswith("| labs' cash flow positive by 2028 / ever |")
    assert lines[1] == "|---|---|---|---|---|---|---|---|"
    assert lines[2:] == [
        "| none (the baseline) | bust 1.00 | 0.00 | 6.8 | 89 | 76 % | 97 % | 0.00 / 0.00 |",
        "| Jevons and a prudent lab (`behaviour.lab_commitment_multiple=1.0`) "
        "| boom .25, crash recovered .50, bust .25 | 0.25 | 490 | 50 | 75 % | 90 % "
        "| .50 / .75 |",
    ]


def test_regime_shares_follow_the_regime_order_and_drop_absent_ones():
    regimes = pd.Series(["bust"] * 6 + ["cascade"] * 3 + ["soft_landing"])
    assert regime_shares(regimes) == "soft landing .10, bust .60, cascade .30"
    assert regime_shares(pd.Series(["boom"] * 20)) == "boom 1.00"


def test_the_docs_table_is_replaced_between_its_markers_only():
    from runs.decomposition import with_table

    begin, end = MARKERS
    page = f"intro\n{begin}\n| old |\n{end}\nafter\n{begin.replace('what-if', 'other')}\n"
    new = with_table(page, "| new |", MARKERS)
    assert new == f"intro\n{begin}\n| new |\n{end}\nafter\n{begin.replace('what-if', 'other')}\n"
    with pytest.raises(ValueError, match="no <!-- what-if table -->"):
        with_table("intro\n| old |\n", "| new |", MARKERS)
    with pytest.raises(ValueError, match="markers"):
        with_table(f"{end}\n| old |\n{begin}\n", "| new |", MARKERS)  # wrong order


@pytest.mark.parametrize(
    ("markers", "rows", "first"),
    [
        (MARKERS, WHAT_IFS, "what-if (`--set` on the baseline)"),
        (SCENARIO_MARKERS, SCENARIOS, "scenario"),
    ],
)
def test_the_page_has_one_row_per_what_if_with_its_label(root, markers, rows, first):
    page = (root / PAGE).read_text(encoding="utf-8")
    begin, end = markers
    assert page.count(begin) == 1 and page.count(end) == 1
    table = page.split(begin, 1)[1].split(end, 1)[0].strip().splitlines()
    assert table[0].startswith(f"| {first} | regimes |")
    labels = [line.split(" | ", 1)[0].removeprefix("| ") for line in table[2:]]
    assert labels == [w.label for w in rows]
    names = [w.name for w in WHAT_IFS + SCENARIOS]
    assert len(set(names)) == len(names)
    assert "python -m runs.whatifs --seeds 20 --docs" in page


@pytest.mark.parametrize("flag", [["--seeds", "0"], ["--seeds", "1001"], ["--workers", "0"]])
def test_the_command_line_rejects_out_of_range_counts_in_one_line(flag, command_error):
    line = command_error(main, flag)
    assert line.startswith("error: argument ") and "out of range" in line


def test_the_module_command_exits_2_on_zero_seeds(root):
    done = subprocess.run(
        [sys.executable, "-m", "runs.whatifs", "--seeds", "0"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: argument --seeds: 0 is out of range (allowed: 1..1000)"
    ]


def test_a_small_run_measures_every_what_if_over_the_same_seeds(root):
    small = {"investors.n_investors": 200}
    runs = whatifs(2, quarters=12, workers=1, overrides=small, what_ifs=WHAT_IFS[:2], root=root)
    assert list(zip(runs.what_if, runs.seed, strict=True)) == [
        ("baseline", 0),
        ("baseline", 1),
        ("jevons", 0),
        ("jevons", 1),
    ]
    numbers = runs[["compute_need_gw", "lab_revenue_last_year", "fall_within_8q"]]
    assert np.isfinite(numbers.to_numpy()).all() and (numbers.to_numpy() >= 0).all()
    assert ((runs.nvidia_drawdown >= 0) & (runs.nvidia_drawdown <= 1)).all()
    assert (runs.lab_revenue_last_year > 0).all()  # three years in, the lab sells
    # Jevons: usage per user follows its falling cost, so users want more compute
    need = runs.groupby("what_if").compute_need_gw.median()
    assert need["jevons"] > need["baseline"]
    assert set(runs.regime) <= {"boom", "soft_landing", "crash_recovered", "bust", "cascade"}
    assert "| Jevons: `demand.usage_cost_elasticity=1.0` |" in table_markdown(runs)
    # the first whole year of positive cash flow lies in the run (2025-2027) or is missing
    years = runs.cash_flow_positive_year.dropna()
    assert years.isin([2025.0, 2026.0, 2027.0]).all()
