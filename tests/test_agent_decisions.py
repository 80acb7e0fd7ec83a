"""Decisions of the firm agents from their own state, in a model (baseline, a few quarters in)."""

from __future__ import annotations

import pytest

from agents.chip import ChipSupplier, VendorAction
from agents.cloud import CloudProvider
from agents.lab import AILab
from runs.scenario import apply_overrides, load_scenario
from world.contracts import EXTERNAL, Loan
from world.ledger import Account, CashFlowKind
from world.model import AIEconomy


@pytest.fixture
def model(root):
    scenario = apply_overrides(
        load_scenario(root / "scenarios" / "baseline.toml"), {"investors.n_investors": 300}
    )
    m = AIEconomy(scenario, rng=3)
    for _ in range(6):
        m.step()
    return m


def _firm(model, name):
    return model.firms[model.firm_index[name]]


def _set_cash(firm, cash):
    """Move cash to or from the firm's other assets (a balanced entry, for tests)."""
    delta = cash - firm.cash
    firm.ledger.post(
        "test_cash",
        ((Account.CASH, delta), (Account.LEGACY_ASSETS, -delta)),
        CashFlowKind.INVESTING,
    )


# -- the lab -------------------------------------------------------------------------
def test_a_lab_with_runway_does_not_raise(model):
    lab = _firm(model, "OpenAI")
    assert isinstance(lab, AILab)
    _set_cash(lab, 1e4)
    assert lab.round_request() is None


def test_a_lab_short_of_runway_asks_within_its_limits(model):
    lab = _firm(model, "OpenAI")
    b = model.params.behaviour
    _set_cash(lab, 0.0)
    request = lab.round_request()
    assert request is not None and request.amount > 0
    assert request.amount <= b.max_round_share * lab.valuation + 1e-9
    assert request.ask <= b.max_round_step_up * lab.valuation + 1e-9


def test_in_its_first_quarter_the_lab_counts_the_sales_it_has_booked(root, monkeypatch):
    """No quarter has closed yet: its burn is its costs less this quarter's sales, not 0."""
    scenario = apply_overrides(
        load_scenario(root / "scenarios" / "baseline.toml"), {"investors.n_investors": 300}
    )
    m = AIEconomy(scenario, rng=3)
    seen = []
    ask = AILab.round_request

    def spy(self, *, force=False):
        revenue = self.ledger.income_statement().revenue
        seen.append((self.model.quarter, self.expected_burn(), self.cash_costs(), revenue))
        return ask(self, force=force)

    monkeypatch.setattr(AILab, "round_request", spy)
    m.step()
    ((quarter, burn, costs, revenue),) = seen
    assert quarter == 0 and revenue > 1.0  # about USD 2 bn of sales in 2025Q1
    assert burn == pytest.approx(costs - revenue)


def test_failed_rounds_shrink_the_next_request_and_set_stress(model):
    lab = _firm(model, "OpenAI")
    b = model.params.behaviour
    _set_cash(lab, 0.0)
    first = lab.round_request(force=True)
    lab.record_round(first.amount, 0.0)
    assert lab.funding_stress and lab.failed_rounds == 1
    assert lab.round_scale == pytest.approx(b.round_retry_share)
    second = lab.round_request(force=True)
    assert second.amount <= first.amount + 1e-9
    if first.amount < b.max_round_share * lab.valuation - 1e-9:  # the cap did not bind
        assert second.amount == pytest.approx(b.round_retry_share * first.amount, rel=1e-9)
    lab.record_round(second.amount, second.amount)
    assert not lab.funding_stress and lab.failed_rounds == 0


def test_a_run_of_failed_rounds_never_shrinks_the_ask_below_the_floor(model):
    """Halving after every failure stops at ``min_round_scale``: no USD 0.3 m rounds."""
    lab = _firm(model, "OpenAI")
    b = model.params.behaviour
    assert 0.0 < b.min_round_scale < b.round_retry_share  # the floor binds after failures
    _set_cash(lab, 0.0)
    first = lab.round_request(force=True)
    scales = []
    for _ in range(20):
        lab.record_round(first.amount, 0.0)
        scales.append(lab.round_scale)
    assert lab.failed_rounds == 20
    assert min(scales) == pytest.approx(b.min_round_scale)
    assert scales[0] == pytest.approx(b.round_retry_share)  # above the floor: halved
    last = lab.round_request(force=True)
    # the first ask may be capped at max_round_share of the valuation; the last is not
    assert b.min_round_scale * first.amount - 1e-9 <= last.amount <= first.amount + 1e-9
    lab.record_round(last.amount, last.amount)  # a success: back up by 1 / retry share
    assert lab.round_scale == pytest.approx(b.min_round_scale / b.round_retry_share)


def test_distress_cuts_only_what_the_lab_can_pay_the_fees_for(model):
    lab = _firm(model, "OpenAI")
    _set_cash(lab, 0.0)
    _, orders, contracts = lab.distress_cuts()
    assert orders == [] and contracts == []  # no cash: it cannot walk away from anything
    burn = max(lab.expected_burn(), 0.0)
    _set_cash(lab, burn + 30.0)  # a little above a quarter of burn: runway still short
    if lab.runway() < model.params.behaviour.lab_min_runway:
        _, orders, contracts = lab.distress_cuts()
        q = model.quarter + 1
        fees = sum(c.cancellation_fee(q) for c in contracts)
        fees += sum(o.cancel_fee * (o.gw - o.delivered_gw) * o.price for o in orders)
        assert fees <= 30.0 + 1e-9


# -- the chip supplier ---------------------------------------------------------------
def _vendor_loan(model, borrower, lender, principal):
    loan = Loan(
        model.deals.new_id(),
        model.quarter,
        lender=lender.index,
        borrower=borrower.index,
        principal=principal,
        rate=0.08,
        maturity=model.quarter,
        vendor=True,
    )
    return loan


def test_vendor_loan_decisions(model):
    nvidia, cw = _firm(model, "NVIDIA"), _firm(model, "CoreWeave")
    assert isinstance(nvidia, ChipSupplier)
    loan = _vendor_loan(model, cw, nvidia, 5.0)
    _set_cash(cw, 100.0)
    assert nvidia.vendor_loan_action(loan) is VendorAction.REPAY
    _set_cash(cw, 0.0)
    big = _vendor_loan(model, cw, nvidia, 1e4)  # more than any credit it could get
    _set_cash(nvidia, 2e4)
    if cw.balance.total_equity > 0 and not model.lenders.in_breach(cw.index):
        assert nvidia.vendor_loan_action(big) is VendorAction.ROLL
    cw.balance = cw.balance._replace(total_equity=-1.0)  # insolvent
    assert nvidia.vendor_loan_action(big) is VendorAction.RESTRUCTURE  # recovery 40% < 70%


def test_strategic_investment_needs_the_flag_cash_and_a_lab_worth_something(model):
    # AMD has no earlier deal with the lab (NVIDIA's letter of intent is still undrawn,
    # so NVIDIA makes no new one: see the last assertion)
    amd, nvidia, lab = _firm(model, "AMD"), _firm(model, "NVIDIA"), _firm(model, "OpenAI")
    _set_cash(amd, 1e3)
    lab.unfunded_gw = 5.0
    model.fundamentals.values[lab.index] = 100.0
    offer = amd.consider_investment(lab)
    assert offer is not None
    assert offer.max_amount <= model.params.behaviour.invest_cash_share * amd.spare_cash() + 1e-9
    assert offer.per_gw == pytest.approx(amd.price * amd.spec.gross_margin)
    model.fundamentals.values[lab.index] = -1.0
    assert amd.consider_investment(lab) is None
    model.fundamentals.values[lab.index] = 100.0
    _set_cash(nvidia, 1e3)
    assert nvidia.consider_investment(lab) is None
    behaviour = model.params.behaviour.model_copy(update={"strategic_investment": False})
    model.params = model.params.model_copy(update={"behaviour": behaviour})
    assert amd.consider_investment(lab) is None


def test_a_sold_out_supplier_rations_and_expands(model):
    nvidia = _firm(model, "NVIDIA")
    cap = nvidia.supply_gw
    assert nvidia.allocate_supply(2 * cap) == pytest.approx(0.5)
    assert nvidia.supply_gw == pytest.approx(cap * (1 + model.params.buildout.supply_growth))
    cap = nvidia.supply_gw
    assert nvidia.allocate_supply(0.5 * cap) == 1.0
    assert nvidia.supply_gw < cap


# -- the cloud provider -------------------------------------------------------------
def test_a_provider_offers_spare_capacity_first_and_never_more_than_asked(model):
    oracle = _firm(model, "Oracle")
    assert isinstance(oracle, CloudProvider)
    start = model.quarter + model.params.behaviour.contract_lead
    spare = oracle.spare_gw(start)
    offered = oracle.offer(0.5 * spare + 1e-6, start, 20) if spare > 0 else 0.0
    assert offered <= 0.5 * spare + 1e-6 + 1e-9
    assert oracle.offer(1e4, start, 20) <= 1e4
    for loan in [ln for ln in model.deals.loans if ln.borrower == oracle.index]:
        assert loan.lender == EXTERNAL or loan.vendor


def test_load_prices_in_contracts_that_run_out(model):
    oracle = _firm(model, "Oracle")
    assert 0.0 <= oracle.load() <= 1.0
