"""Sane sizes (runs/validation/bounds.py): the measures of a run against documented bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runs.validation import bounds
from runs.validation.bounds import macro_limit, negative_equity_spells, size_measures


def test_macro_limit_grows_with_world_it_spending():
    assert macro_limit(2025.0) == pytest.approx(0.5 * 5617.8)
    assert macro_limit(2026.0) / macro_limit(2025.0) == pytest.approx(1.098)
    # the listed bound sits above the documented highs: NVIDIA (June 2024), Cisco (March 2000)
    highs = {"NVIDIA 2024": 3335.0 / (13.51 + 18.12 + 22.10 + 26.04), "Cisco 2000": 555.0 / 16.0}
    assert max(highs.values()) < bounds.LISTED_PRICE_TO_SALES_MAX <= 1.25 * max(highs.values())
    assert bounds.PRIVATE_LAB_PRICE_TO_SALES_MAX == 116.0  # the article's high-water mark


def test_negative_equity_spells_restart_after_a_resolving_event():
    equity = np.array([[-1.0], [-1.0], [-1.0], [-1.0], [-1.0], [-1.0], [1.0], [-1.0]])
    none = np.zeros((8, 1), dtype=bool)
    assert negative_equity_spells(equity, none, none).tolist() == [6]
    rescued = none.copy()
    rescued[3, 0] = True  # a rescue round in quarter 3
    assert negative_equity_spells(equity, none, rescued).tolist() == [3]
    defaulted = none.copy()
    defaulted[2:, 0] = True  # quarters in default do not count
    assert negative_equity_spells(equity, defaulted, none).tolist() == [2]


def frame(valuation, revenue, equity, listed_roles=("chip", "lab"), debt=None):
    """A firm table of two firms (a listed chip supplier, a private lab), one row per quarter."""
    rows = []
    debt = [(0.0, 0.0)] * len(valuation) if debt is None else debt
    for q, (v, r, e, d) in enumerate(zip(valuation, revenue, equity, debt, strict=True)):
        for k, (name, role) in enumerate(zip(("Chip", "Lab"), listed_roles, strict=True)):
            rows.append(
                {
                    "quarter": q, "period": f"2025Q{q % 4 + 1}" if q < 4 else f"2026Q{q % 4 + 1}",
                    "firm": name, "role": role, "valuation": v[k], "revenue": r[k],
                    "ai_revenue": r[k], "equity": e[k], "debt": d[k], "defaulted": False,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_size_measures_find_the_worst_case():
    # chip: 1000 on 10 a quarter = 25x; then 2000 on 10 = 50x in quarter 2; lab: 100x revenue
    f = frame(
        valuation=[(1000, 400), (1000, 400), (2000, 400), (1000, 400)],
        revenue=[(10, 1), (10, 1), (10, 1), (10, 1)],
        equity=[(5, -1), (5, -1), (5, -1), (5, -1)],
    )
    events = pd.DataFrame(columns=["quarter", "firm", "kind", "counterparty"])
    m = size_measures(f, [True, False], events, 2025.0)
    assert m.listed_ps == pytest.approx(50.0) and m.listed_ps_firm == "Chip"
    assert m.listed_ps_period == "2025Q3"
    assert m.lab_ps == pytest.approx(100.0) and m.lab_ps_firm == "Lab"
    assert m.macro_ratio == pytest.approx(44.0 / macro_limit(2025.0))
    assert m.negative_equity_quarters == 4 and m.negative_equity_firm == "Lab"
    # a rescue round of the lab in quarter 2 resolves its spell
    events = pd.DataFrame(
        {"quarter": [2], "firm": ["Lab"], "kind": ["rescue_round"], "counterparty": [""]}
    )
    assert size_measures(f, [True, False], events, 2025.0).negative_equity_quarters == 2


def test_positive_value_on_no_revenue_is_unbounded():
    f = frame(
        valuation=[(1000, 400), (1000, 400)], revenue=[(0, 1), (0, 1)], equity=[(5, 1), (5, 1)]
    )
    events = pd.DataFrame(columns=["quarter", "firm", "kind", "counterparty"])
    assert np.isinf(size_measures(f, [True, False], events, 2025.0).listed_ps)


def test_debt_to_revenue_is_measured_on_live_firms():
    """Debt over trailing four-quarter sales (annualised in the first quarters): the
    chip's 300 on 10 a quarter is 7.5×; the lab's 500 on 1 a quarter would be 125×, but
    the lab is in default from quarter 1 and holds only 20 before (5×)."""
    f = frame(
        valuation=[(1000, 400)] * 4,
        revenue=[(10, 1)] * 4,
        equity=[(5, 1)] * 4,
        debt=[(100, 20), (300, 500), (200, 500), (100, 500)],
    )
    f.loc[(f.firm == "Lab") & (f.quarter >= 1), "defaulted"] = True
    events = pd.DataFrame(columns=["quarter", "firm", "kind", "counterparty"])
    m = size_measures(f, [True, False], events, 2025.0)
    assert m.debt_revenue == pytest.approx(7.5) and m.debt_revenue_firm == "Chip"
    assert m.debt_revenue_period == "2025Q2"
    # the documented highs sit below the bound: CoreWeave 2025 (debt and leases), Oracle
    highs = {"CoreWeave": (14.2 + 15.0) / 5.1, "Oracle": 95.0 / 57.4}
    assert max(highs.values()) < bounds.DEBT_TO_REVENUE_MAX <= 2 * max(highs.values())
