"""The agents' decision rules, tested on their own: prices, credit, covenants, demand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.lenders import CovenantAction, Lenders
from agents.pricing import chip_markup_rule, cloud_price_rule
from world.demand import macro_limit, outside_cloud_gw, wallet_factor
from world.params import CreditParams, MacroParams, PricingParams

P = PricingParams()


# -- prices --------------------------------------------------------------------------
def test_idle_capacity_cuts_the_price_full_capacity_raises_it():
    assert cloud_price_rule(3.0, 0.3, 3.0, 0.6, P) < 3.0
    assert cloud_price_rule(3.0, 1.0, 3.0, 0.6, P) > 3.0
    assert cloud_price_rule(3.0, P.cloud_target_utilisation, 3.0, 0.6, P) == pytest.approx(3.0)


def test_prices_move_toward_competitors():
    assert cloud_price_rule(3.0, P.cloud_target_utilisation, 2.0, 0.6, P) < 3.0
    assert chip_markup_rule(1.0, P.chip_target_cover, 1.5, 0.25, P) > 1.0


@settings(max_examples=300, deadline=None)
@given(
    price=st.floats(0.1, 20.0),
    util=st.floats(0.0, 1.0),
    comp=st.floats(0.1, 20.0),
    cost=st.floats(0.0, 5.0),
    entry=st.floats(0.1, 20.0) | st.just(math.inf),
)
def test_cloud_price_steps_are_bounded_and_never_below_cost(price, util, comp, cost, entry):
    new = cloud_price_rule(price, util, comp, cost, P, entry)
    floor = cost * (1 + P.cloud_min_markup)
    cap = entry * P.cloud_max_entry_ratio
    assert new >= floor - 1e-12
    assert new <= max(cap, floor) + 1e-9  # the floor wins if they cross
    free = cloud_price_rule(price, util, comp, cost, P)  # the same move without a cap
    if floor + 1e-9 < new < cap - 1e-9:  # neither bound binds: at most max_step log points
        assert new == pytest.approx(free)
        assert abs(math.log(new / price)) <= P.max_step + 1e-12


def test_a_full_provider_prices_no_higher_than_the_entry_ratio_allows():
    # full for ever: without a cap the price climbs max_step a quarter without end
    price, capped = 3.0, 3.0
    for _ in range(40):
        price = cloud_price_rule(price, 1.0, price, 0.6, P)
        capped = cloud_price_rule(capped, 1.0, capped, 0.6, P, entry_price=2.5)
    assert price > 20 * 3.0
    assert capped == pytest.approx(2.5 * P.cloud_max_entry_ratio)
    # a falling cost of compute pulls the price down with it
    assert cloud_price_rule(capped, 1.0, capped, 0.6, P, entry_price=1.5) == pytest.approx(
        1.5 * P.cloud_max_entry_ratio
    )


@settings(max_examples=300, deadline=None)
@given(
    markup=st.floats(0.2, 3.0),
    cover=st.floats(0.0, 100.0),
    comp=st.floats(0.2, 3.0),
    cost=st.floats(0.0, 1.0),
)
def test_chip_markup_is_bounded_above_and_below(markup, cover, comp, cost):
    new = chip_markup_rule(markup, cover, comp, cost, P)
    assert cost * (1 + P.chip_min_markup) - 1e-12 <= new
    assert new <= max(P.chip_max_markup, cost * (1 + P.chip_min_markup)) + 1e-12


def test_a_long_backlog_raises_the_chip_price_a_thin_one_cuts_it():
    assert chip_markup_rule(1.0, 4 * P.chip_target_cover, 1.0, 0.25, P) > 1.0
    assert chip_markup_rule(1.0, 0.25 * P.chip_target_cover, 1.0, 0.25, P) < 1.0


# -- credit ----------------------------------------------------------------------------
C = CreditParams()
LENDERS = Lenders(C, 3)


def test_proceeds_are_not_their_own_collateral():
    # a firm with no EBITDA and no assets gets nothing, however much it asks
    assert LENDERS.quote(100.0, 0.0, 0.0, 0.0, 0.0).amount == 0.0
    # capacity comes only from what the firm already has
    q = LENDERS.quote(1000.0, 0.0, 0.0, 100.0, 0.0, 1.0)
    assert q.amount == pytest.approx(min(C.collateral_ltv * 100.0, LENDERS.covenant_room(0.0)))


def test_lenders_do_not_lend_into_a_covenant_breach():
    ebitda = 10.0
    q = LENDERS.quote(1000.0, 0.0, ebitda, 1e6, 0.0, 1.0)
    assert q.amount <= LENDERS.covenant_room(ebitda) + 1e-9
    assert not LENDERS.breached(q.amount, ebitda, q.amount * q.rate, 10.0)


def test_backlog_backs_lending_beyond_the_covenant():
    ebitda, backlog = 10.0, 200.0
    plain = LENDERS.quote(1000.0, 0.0, ebitda, 1e6, 0.0, 1.0).amount
    backed = LENDERS.quote(1000.0, 0.0, ebitda, 1e6, 0.0, 1.0, backlog=backlog).amount
    assert backed == pytest.approx(plain + C.backlog_ltv * backlog)
    assert not LENDERS.breached(backed, ebitda, 0.0, 1.0, backlog)


@pytest.mark.parametrize(
    "debt, ebitda, interest, equity, breached",
    [
        (0.0, -5.0, 0.0, -10.0, False),  # no debt, nothing to breach
        (10.0, 10.0, 0.5, -1.0, True),  # negative equity
        (10.0, -1.0, 0.5, 5.0, True),  # negative EBITDA
        (70.0, 10.0, 1.0, 5.0, True),  # debt / EBITDA 7 > 6
        (50.0, 10.0, 8.0, 5.0, True),  # interest cover 1.25 < 1.5
        (50.0, 10.0, 2.0, 5.0, False),
    ],
)
def test_covenants(debt, ebitda, interest, equity, breached):
    assert LENDERS.breached(debt, ebitda, interest, equity) is breached


def test_a_breach_stops_credit_then_is_accelerated_after_the_grace_period():
    lenders = Lenders(C, 1)
    assert lenders.review(0, False) is CovenantAction.NONE
    assert lenders.review(0, True) is CovenantAction.BREACH
    assert lenders.in_breach(0)
    assert lenders.quote(10.0, 0.0, 100.0, 100.0, 0.0, breached=True).amount == 0.0
    for _ in range(C.covenant_grace - 1):
        assert lenders.review(0, True) is CovenantAction.WAIVER
    assert lenders.review(0, True) is CovenantAction.ACCELERATE
    assert lenders.review(0, False) is CovenantAction.NONE and not lenders.in_breach(0)


# -- demand inside the world -------------------------------------------------------------
M = MacroParams()


def test_the_macro_limit_is_a_share_of_world_it_spending():
    assert macro_limit(0, M) == pytest.approx(M.ai_share_max * M.world_it_spending / 4)
    assert macro_limit(4, M) == pytest.approx(macro_limit(0, M) * (1 + M.it_spending_growth) ** 4)


@settings(max_examples=200, deadline=None)
@given(spending=st.floats(0.0, 1e9), limit=st.floats(1e-3, 1e6))
def test_the_wallet_lets_through_at_most_the_limit(spending, limit):
    w = wallet_factor(spending, limit)
    assert 0.0 < w <= 1.0
    assert spending * w <= limit * (1 + 1e-12) or spending <= limit


def test_outside_demand_follows_adoption_sentiment_and_price():
    base = outside_cloud_gw(2.0, 1.0, 0.0, 1.0, M)
    assert base == pytest.approx(2.0)
    assert outside_cloud_gw(2.0, 4.0, 0.0, 1.0, M) == pytest.approx(
        2.0 * 4**M.outside_compute_elasticity
    )
    assert outside_cloud_gw(2.0, 1.0, -0.5, 1.0, M) < base < outside_cloud_gw(2.0, 1.0, 0.5, 1.0, M)
    assert outside_cloud_gw(2.0, 1.0, 0.0, 2.0, M) < base  # a higher price: less demand
