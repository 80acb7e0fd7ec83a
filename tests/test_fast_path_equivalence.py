"""Fast paths of the firm side give exactly what the straightforward code gives."""

from __future__ import annotations

from world.demand import DemandState, scaled


def test_scaled_is_replace_of_the_spending_fields() -> None:
    state = DemandState(*[1.0 + 0.1 * k for k in range(len(DemandState._fields))])
    for wallet in (0.0, 0.3, 0.999999, 1.0, 1.5):
        expected = (
            state
            if wallet >= 1.0
            else state._replace(
                subscription_revenue=state.subscription_revenue * wallet,
                api_revenue=state.api_revenue * wallet,
                api_volume=state.api_volume * wallet,
                compute_need_gw=state.compute_need_gw * wallet,
            )
        )
        assert scaled(state, wallet) == expected
