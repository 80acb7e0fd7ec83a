"""What the lab pays in cash: stock-based pay and colocated accelerators.

A firm pays ``stock_pay_share`` of its AI opex in its own stock: the whole opex is an
expense, only the rest leaves as cash, and the new shares dilute every holder of the
firm (the firms' stakes and warrants, the investor population) at an unchanged value.
A firm that colocates (``colocation``) houses its own accelerators in leased shells: a
delivery costs it the chips, no construction, and it pays
``buildout.colocation_rent_per_gw`` a quarter for each GW in service. Its cash costs,
runway and contracted compute count the same.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runs.scenario import apply_overrides
from world.finance import pay_in_stock
from world.ledger import Account
from world.model import AIEconomy

LAB = "OpenAI"


def _model(baseline, overrides, seed=3):
    sc = apply_overrides(baseline, {"investors.n_investors": 300, **overrides})
    return AIEconomy(sc, rng=seed, keep_journal=True)


def _outflows(model, firm, memo):
    """Cash that left ``firm`` with ``memo`` this far, per quarter (USD bn, > 0)."""
    out: dict[int, float] = {}
    for e in model.payments.external:
        if e.firm == firm and e.memo == memo:
            out[e.quarter] = out.get(e.quarter, 0.0) - e.amount
    return out


@settings(max_examples=6, deadline=None)
@given(share=st.floats(0.0, 0.9))
def test_stock_pay_is_an_expense_that_costs_no_cash(baseline, share):
    m = _model(baseline, {f"firms.{LAB}.stock_pay_share": share})
    lab = m.firms[m.firm_index[LAB]]
    opex = m.opex_now(lab)
    paid_in = lab.ledger.balance(Account.PAID_IN_CAPITAL)
    m.step()
    cash_opex = _outflows(m, lab.index, "ai_opex").get(0, 0.0)
    assert cash_opex == pytest.approx((1.0 - share) * opex, rel=1e-12)
    assert lab.statement.expenses[Account.OPEX] == pytest.approx(opex, rel=1e-12)
    # paid-in capital grew by the stock paid and by the equity rounds sold for cash
    rounds = sum(
        e.amount for e in m.payments.external if e.firm == lab.index and e.memo.startswith("equity")
    )
    stock = lab.ledger.balance(Account.PAID_IN_CAPITAL) - paid_in - rounds
    assert stock == pytest.approx(share * opex, abs=1e-9)


@settings(max_examples=8, deadline=None)
@given(amount=st.floats(0.01, 500.0), seed=st.integers(0, 3))
def test_stock_pay_dilutes_every_holder_at_an_unchanged_value(baseline, amount, seed):
    """Holders keep ``V / (V + X)`` of their part; the value, cash and rounds stay."""
    m = _model(baseline, {}, seed=seed)
    lab = m.firms[m.firm_index[LAB]]
    pop, a = m.market.population, lab.index
    value, cash, raised = lab.valuation, lab.ledger.cash, lab.equity_raised
    own, war = m.ownership[:, a].copy(), m.warrant_fraction[:, a].copy()
    assert own.sum() > 0.0  # the lab's opening holders (e.g. Microsoft) are diluted
    mark, held = float(pop.market_caps[a]), pop.holdings[:, a] * pop.prices[a]
    paid_in = lab.ledger.balance(Account.PAID_IN_CAPITAL)
    pay_in_stock(m, lab, amount)
    keep = value / (value + amount)
    assert m.ownership[:, a] == pytest.approx(own * keep, rel=1e-12)
    assert m.warrant_fraction[:, a] == pytest.approx(war * keep, rel=1e-12)
    assert pop.holdings[:, a] * pop.prices[a] == pytest.approx(held * keep, rel=1e-12)
    assert float(pop.market_caps[a]) == pytest.approx(mark, rel=1e-12)
    assert pop.total_shares()[a] == pytest.approx(pop.shares_outstanding[a], rel=1e-12)
    assert (lab.valuation, lab.ledger.cash, lab.equity_raised) == (value, cash, raised)
    assert lab.ledger.balance(Account.PAID_IN_CAPITAL) - paid_in == pytest.approx(amount)


def test_stock_pay_of_a_listed_firm_keeps_its_market_value(baseline):
    """A listed firm's staff shares: its price falls, its exchange shares grow, by ``keep``."""
    m = _model(baseline, {})
    nvda = m.firms[m.firm_index["NVIDIA"]]
    pop, market, a = m.market.population, m.market, nvda.index
    value, price, shares = nvda.valuation, float(pop.prices[a]), float(market.shares[a])
    cap, own = float(pop.market_caps[a]), m.ownership[:, a].copy()
    pay_in_stock(m, nvda, 50.0)
    keep = value / (value + 50.0)
    assert float(pop.prices[a]) == pytest.approx(price * keep, rel=1e-12)
    assert float(market.shares[a]) == pytest.approx(shares / keep, rel=1e-12)
    assert float(pop.prices[a] * market.shares[a]) == pytest.approx(price * shares, rel=1e-12)
    assert float(pop.market_caps[a]) == pytest.approx(cap, rel=1e-12)
    assert m.ownership[:, a] == pytest.approx(own * keep, rel=1e-12)
    assert market.staff_shares[a] > 0.0 and nvda.valuation == value


def test_stock_pay_of_a_firm_with_no_value_dilutes_nobody(baseline):
    m = _model(baseline, {})
    lab = m.firms[m.firm_index[LAB]]
    own, shares = m.ownership.copy(), m.market.population.shares_outstanding.copy()
    opex = lab.ledger.balance(Account.OPEX)
    lab.valuation = 0.0
    pay_in_stock(m, lab, 5.0)
    assert (m.ownership == own).all()
    assert (m.market.population.shares_outstanding == shares).all()
    assert lab.ledger.balance(Account.OPEX) - opex == pytest.approx(5.0)


def test_the_lab_counts_only_the_cash_part_of_its_opex(baseline):
    """Same state, same opex: its cash costs differ by exactly the stock it pays."""
    cash = _model(baseline, {f"firms.{LAB}.stock_pay_share": 0.0})
    stock = _model(baseline, {f"firms.{LAB}.stock_pay_share": 0.3})
    a, b = (m.firms[m.firm_index[LAB]] for m in (cash, stock))
    assert a.opex_level == b.opex_level > 0.0
    assert a.cash_costs() - b.cash_costs() == pytest.approx(0.3 * a.opex_level, rel=1e-12)
    assert a.fixed_costs() - b.fixed_costs() == pytest.approx(0.3 * a.opex_level, rel=1e-12)


@pytest.fixture(scope="module")
def colocating(baseline):
    """Ten quarters of the baseline, whose lab colocates; deployed GW after each."""
    m = _model(baseline, {f"firms.{LAB}.colocation": True})
    lab = m.firms[m.firm_index[LAB]]
    deployed = []
    for _ in range(10):
        m.step()
        deployed.append(lab.fleet.deployed_gw)
    return m, lab, deployed


def test_a_colocating_lab_pays_its_chips_and_rent_not_construction(colocating):
    m, lab, deployed = colocating
    assert not lab.defaulted
    assert deployed[-1] > 0.1  # the AMD order delivers from 2026Q3 (as the sold-out supplier can)
    assert _outflows(m, lab.index, "construction") == {}
    assert lab.fleet.buildings == 0.0
    rent = _outflows(m, lab.index, "colocation_rent")
    per_gw = m.params.buildout.colocation_rent_per_gw
    expected = {q: gw * per_gw for q, gw in enumerate(deployed) if gw > 0.0}
    assert rent.keys() == expected.keys()
    for q, amount in rent.items():
        assert amount == pytest.approx(expected[q], rel=1e-12)


def test_a_lab_that_builds_pays_the_construction(baseline):
    m = _model(baseline, {f"firms.{LAB}.colocation": False})
    lab = m.firms[m.firm_index[LAB]]
    for _ in range(10):
        m.step()
    assert sum(_outflows(m, lab.index, "construction").values()) > 1.0
    assert _outflows(m, lab.index, "colocation_rent") == {}
    assert lab.fleet.buildings > 0.0


def test_construction_per_gw_is_zero_for_a_firm_that_colocates(colocating):
    m, lab, _ = colocating
    assert m.construction_per_gw(lab) == 0.0
    cloud = m.firms[m.firm_index["Oracle"]]
    bo = m.params.buildout
    assert m.construction_per_gw(cloud) == m.capex_per_gw_now() * (1 - bo.chip_share) > 0.0
    # what it still owes on its orders is the chips alone
    q = m.quarter
    orders = [o for o in m.deals.of("gpu", "buyer", lab.index) if o.active]
    assert orders  # the AMD order still delivers
    chips = sum(o.cash_due(q, 12, 0.0) for o in orders)
    assert lab.committed_capex(12) == pytest.approx(chips, rel=1e-12)
    assert chips < sum(o.cash_due(q, 12, m.capex_per_gw_now()) for o in orders)
