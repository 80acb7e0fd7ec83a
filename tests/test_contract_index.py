"""The deal book's shortcuts agree, bit for bit, with the straightforward computation.

:meth:`GpuOrder.planned_gw` keeps the remaining parts of an order and their sum until
the order's GW or delivered GW change; whatever deliveries and cuts came before, it
must give the sum of the parts :meth:`GpuOrder.planned` lists, added in the same order.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from world.contracts import ContractStatus, GpuOrder

_gw = st.floats(min_value=1e-6, max_value=50.0, allow_nan=False)
# a step of an order's life: deliver a share of the next part, or cut a share of what is left
_steps = st.lists(
    st.tuples(st.sampled_from(["deliver", "cut"]), st.floats(min_value=0.0, max_value=1.0)),
    max_size=12,
)


def _plain_parts(order: GpuOrder) -> list[float]:
    """The parts still to come at full speed, from the order's definition."""
    left, parts = max(order.gw - order.delivered_gw, 0.0), []
    while left > 1e-12:
        part = min(left, order.part_gw)
        parts.append(part)
        left -= part
    return parts


@given(
    gw=_gw,
    deliveries=st.integers(min_value=1, max_value=8),
    first=st.integers(min_value=0, max_value=6),
    steps=_steps,
    ahead=st.integers(min_value=0, max_value=14),
)
def test_planned_gw_is_the_sum_of_the_planned_parts(gw, deliveries, first, steps, ahead):
    o = GpuOrder(
        1,
        0,
        buyer=0,
        supplier=1,
        gw=gw,
        price=30.0,
        first_delivery=first,
        deliveries=deliveries,
        prepay_share=0.1,
    )
    for q, (step, share) in enumerate(steps):
        o.planned_gw(q, ahead)  # asked before the change: the cache must not go stale
        if step == "deliver":
            o.delivered_gw += share * o.next_part()
        else:
            o.cut(share * (o.gw - o.delivered_gw))
        q_first = max(q + 1, first)
        parts = _plain_parts(o)[: max(q + ahead - q_first + 1, 0)]
        expected = sum(parts) if o.status is ContractStatus.ACTIVE else 0
        assert [gw for _, gw in o.planned(q, ahead)] == (
            parts if o.status is ContractStatus.ACTIVE else []
        )
        for quarters in (ahead, ahead + 1, 0):  # asked again: from the cache
            plain = sum(
                _plain_parts(o)[: max(q + quarters - q_first + 1, 0)]
                if o.status is ContractStatus.ACTIVE
                else []
            )
            assert o.planned_gw(q, quarters) == plain
        assert o.planned_gw(q, ahead) == expected
        assert o.cash_due(q, ahead, 2.0) == expected * ((1 - o.prepay_share) * o.price + 2.0)
