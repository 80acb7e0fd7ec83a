"""The article's gauges: definitions, the baseline's 2024 and 2025Q1 paid-user growth,
and the new record columns (finite, and consistent with each other)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.gauges import (
    ADOPTION_REFERENCES,
    by_year,
    paid_growth_by_year,
    years_to_adoption,
)
from world.metrics import FIRM_COLUMNS, SYSTEM_COLUMNS, TRAILING_QUARTERS

NEW_SYSTEM = (
    "mau_m",
    "engine_mau_growth",
    "engine_paid_growth",
    "cloud_ai_capex",
    "cloud_ai_revenue",
    "lab_free_cash_flow",
    "adoption_share",
    "gears_capex_to_revenue",
)
NEW_FIRM = ("capex_to_revenue", "free_cash_flow")


@pytest.fixture(scope="module")
def run(baseline_result):
    return baseline_result


# -- the article's figures, reproduced by the baseline ------------------------------------
def test_baseline_reproduces_the_articles_paid_growth(baseline, run):
    """2024: end-2024 over end-2023 paying users (251.7%); 2025Q1: end of 2025Q1 over
    end of 2024, quarter on quarter (≈35%)."""
    d = baseline.demand
    s = run.system
    opening = d.users_0 * d.paid_share_0
    years = paid_growth_by_year(
        s.period, s.paid_users_m, opening=opening, history={"2023Q4": d.paid_users_2023}
    )
    assert years[2024] == pytest.approx(2.517, abs=0.0005)
    q1 = s.set_index("period").loc["2025Q1"]
    assert q1.engine_paid_growth == pytest.approx(q1.paid_users_m / opening - 1)
    assert q1.engine_paid_growth == pytest.approx(0.35, abs=0.01)
    # the stall: growth keeps slowing after the first quarters, year on year too
    assert years[2025] < years[2024] and years[2026] < years[2025]
    # weekly users reach 10% of the world in about 3 years from ChatGPT's launch
    assert years_to_adoption(s.period, s.adoption_share, launch=d.launch) == pytest.approx(
        3.0, abs=0.5
    )
    assert max(ADOPTION_REFERENCES.values()) == 21.0


def test_paid_growth_is_the_same_for_every_seed(baseline):
    """The first quarter's growth comes from demand, not from chance."""
    from runs.simulate import simulate

    growth = [simulate(baseline, s, quarters=1).system.engine_paid_growth[0] for s in (1, 2)]
    assert growth[0] == pytest.approx(growth[1], rel=1e-12)


# -- the columns ---------------------------------------------------------------------------
def test_new_columns_are_recorded_and_finite(run):
    assert set(NEW_SYSTEM) <= set(SYSTEM_COLUMNS) and set(NEW_FIRM) <= set(FIRM_COLUMNS)
    assert len(set(SYSTEM_COLUMNS)) == len(SYSTEM_COLUMNS)
    for col in NEW_SYSTEM:
        assert np.isfinite(run.system[col]).all(), col
    for col in NEW_FIRM:
        assert np.isfinite(run.firms[col]).all(), col
    assert (run.system.cloud_ai_capex >= 0).all() and (run.system.cloud_ai_revenue >= 0).all()
    assert (run.system.adoption_share > 0).all() and (run.system.adoption_share < 1).all()


def _trailing_ratio(num: pd.Series, den: pd.Series) -> np.ndarray:
    n = num.rolling(TRAILING_QUARTERS, min_periods=1).sum()
    d = den.rolling(TRAILING_QUARTERS, min_periods=1).sum()
    return np.where(d > 0, n / d.where(d > 0, 1.0), 0.0)


def test_new_columns_are_consistent(baseline, run):
    d = baseline.demand
    s = run.system.sort_values("quarter")
    np.testing.assert_allclose(s.mau_m, s.users_m * d.mau_per_wau)
    np.testing.assert_allclose(s.engine_mau_growth, s.engine_user_growth)
    np.testing.assert_allclose(s.adoption_share, s.users_m / d.population_m)
    paid = np.concatenate([[d.users_0 * d.paid_share_0], s.paid_users_m])
    np.testing.assert_allclose(s.engine_paid_growth, paid[1:] / paid[:-1] - 1)
    np.testing.assert_allclose(
        s.gears_capex_to_revenue, _trailing_ratio(s.cloud_ai_capex, s.cloud_ai_revenue)
    )
    f = run.firms.sort_values(["firm", "quarter"])
    np.testing.assert_allclose(f.free_cash_flow, f.operating_cash_flow - f.capex)
    for _, rows in f.groupby("firm"):
        expected = _trailing_ratio(
            rows.capex.reset_index(drop=True), rows.revenue.reset_index(drop=True)
        )
        np.testing.assert_allclose(rows.capex_to_revenue, expected)
    labs = f[(f.role == "lab") & ~f.defaulted].groupby("quarter").free_cash_flow.sum()
    np.testing.assert_allclose(s.set_index("quarter").lab_free_cash_flow.loc[labs.index], labs)
    # AI revenue of the clouds leaves out legacy revenue: less than the clouds' revenue
    assert (s.cloud_ai_revenue < s.cloud_revenue).all()


def test_opening_quarter_calibration_of_gears(run):
    """Company capex / revenue of the first year matches the reported fiscal years
    (Oracle FY25 21.2 / 57.4 = 0.37, Microsoft FY25 88.2 / 281.7 = 0.31)."""
    f = run.firms.set_index(["period", "firm"]).capex_to_revenue
    assert f.loc[("2025Q4", "Oracle")] == pytest.approx(0.37, abs=0.03)
    assert f.loc[("2025Q4", "Microsoft")] == pytest.approx(0.31, abs=0.03)


# -- the pure functions ---------------------------------------------------------------------
def test_paid_growth_by_year_on_a_hand_example():
    periods = ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    paid = [12.0, 14.0, 16.0, 20.0, 21.0]
    out = paid_growth_by_year(periods, paid, opening=10.0, history={"2023Q4": 4.0})
    assert out == {2024: pytest.approx(1.5), 2025: pytest.approx(1.0)}
    assert paid_growth_by_year(periods, paid, opening=10.0) == {2025: pytest.approx(1.0)}


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(2020 * 4, 2030 * 4),
    paid=st.lists(st.floats(0.1, 1e3), min_size=1, max_size=24),
    opening=st.floats(0.1, 1e3),
)
def test_yearly_growth_chains_to_the_ratio_of_year_ends(start, paid, opening):
    periods = [f"{(start + k) // 4}Q{(start + k) % 4 + 1}" for k in range(len(paid))]
    out = paid_growth_by_year(periods, paid, opening=opening)
    ends = {(start - 1) // 4: opening} if (start - 1) % 4 == 3 else {}
    for k, value in enumerate(paid):
        if (start + k) % 4 == 3:
            ends[(start + k) // 4] = value
    assert set(out) == {y for y in ends if y - 1 in ends}
    if out:
        first, last = min(out) - 1, max(out)
        assert np.prod([1 + g for g in out.values()]) == pytest.approx(ends[last] / ends[first])


def test_years_to_adoption_and_by_year():
    periods = ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]
    assert years_to_adoption(periods, [0.05, 0.08, 0.11, 0.2], launch="2022Q4") == 2.5
    assert years_to_adoption(periods, [0.05, 0.08, 0.09, 0.095], launch="2022Q4") is None
    assert by_year(periods, [1.0, 2.0, 3.0, -1.0]) == {2024: (1.0, 1), 2025: (4.0, 3)}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paid_growth_by_year(["2025Q1"], [1.0, 2.0], opening=1.0), "one value per period"),
        (lambda: paid_growth_by_year(["2025Q1"], [np.nan], opening=1.0), "must be finite"),
        (lambda: paid_growth_by_year(["2025Q1"], [1.0], opening=0.0), "opening must be"),
        (lambda: paid_growth_by_year(["2025-1"], [1.0], opening=1.0), "quarter must look like"),
        (lambda: years_to_adoption(["2025Q1"], [0.1], launch="2022Q4", threshold=2), "threshold"),
    ],
)
def test_gauge_functions_validate_their_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _aggregate_p_to_fundamental(firms: pd.DataFrame) -> np.ndarray:
    alive = firms[~firms.defaulted & (firms.fundamental_value > 0)].groupby("quarter")
    return (alive.valuation.sum() / alive.fundamental_value.sum()).to_numpy()


def test_aggregate_price_to_fundamental(run, root):
    """System ``p_to_fundamental``: the firms' values over their fundamental values,
    summed over the firms not in default with a positive fundamental (MODEL.md §8);
    the same without firm rows."""
    from runs.scenario import apply_overrides, load_scenario
    from runs.simulate import simulate

    s = run.system.sort_values("quarter")
    np.testing.assert_allclose(s.p_to_fundamental, _aggregate_p_to_fundamental(run.firms))
    assert s.p_to_fundamental.between(0.2, 5).all()
    # a run in which the lab defaults: its value and fundamental leave the sums
    failing = apply_overrides(
        load_scenario(root / "scenarios" / "shock_failed_round.toml"),
        {"firms.OpenAI.opex": 12.0, "shocks.0.at": "2026Q1", "investors.n_investors": 300},
    )
    full = simulate(failing, 0, quarters=16)
    assert full.firms.defaulted.any()
    np.testing.assert_allclose(
        full.system.p_to_fundamental, _aggregate_p_to_fundamental(full.firms)
    )
    lean = simulate(failing, 0, quarters=16, firm_rows=False)
    np.testing.assert_array_equal(lean.system.p_to_fundamental, full.system.p_to_fundamental)


def test_accounts_table_is_the_books_behind_the_firm_table(run):
    """``accounts``: every account, rows balance, and the firm table's totals add up."""
    from world.ledger import Account, AccountType
    from world.metrics import ACCOUNT_COLUMNS

    books, firms = run.accounts, run.firms
    assert list(books.columns) == list(ACCOUNT_COLUMNS)
    assert len(books) == len(firms)
    assert (books[["quarter", "firm"]].to_numpy() == firms[["quarter", "firm"]].to_numpy()).all()

    def total(kind: AccountType) -> np.ndarray:
        return books[[a.name.lower() for a in Account if a.type is kind]].sum(axis=1).to_numpy()

    assets, liabilities = total(AccountType.ASSET), total(AccountType.LIABILITY)
    equity = total(AccountType.EQUITY)
    np.testing.assert_allclose(assets, liabilities + equity, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(assets, firms.total_assets, rtol=1e-12)
    np.testing.assert_allclose(liabilities, firms.total_liabilities, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(equity, firms.equity, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(books.cash, firms.cash)
    np.testing.assert_allclose(books.debt + books.vendor_debt, firms.debt)
    revenue = books[[a.name.lower() for a in Account if a.name.startswith("REVENUE")]]
    np.testing.assert_allclose(revenue.sum(axis=1), firms.revenue, rtol=1e-12, atol=1e-12)
    net = total(AccountType.INCOME) - total(AccountType.EXPENSE)
    np.testing.assert_allclose(net, firms.net_income, rtol=1e-9, atol=1e-9)


def test_ai_capital_starts_from_the_opening_ppe(baseline):
    """The fuel gauge's denominator is the opening PP&E plus cumulative AI capex
    (docs/explanation/gauges.md): the first quarter adds its AI capex to the books'
    opening PP&E, not to zero (a recorder built before the books opened read 0)."""
    from runs.scenario import apply_overrides
    from world.ledger import Account
    from world.metrics import _legacy_capex
    from world.model import AIEconomy

    model = AIEconomy(apply_overrides(baseline, {"investors.enabled": False}), rng=1)
    opening = sum(f.ledger.balance(Account.PPE) for f in model.firms)
    assert opening > 100.0  # USD bn: the calibrated firms own data centres and fabs' kit
    model.step()
    ai_capex = sum(f.capex - _legacy_capex(f, 0) for f in model.firms)
    assert model.records.ai_capital == pytest.approx(opening + max(ai_capex, 0.0))
    assert len(model.records.system_rows) == 1
