"""Cancelling commitments on their contract terms: cloud contracts and GPU orders.

A firm that decides to cut a commitment (a lab short of runway, a provider whose need
fell) cancels it here: the contract's own cancellation fee — a share of the value it
gives up — is paid to the counterparty (who books it as revenue; the payer as an
impairment), then the contract stops. What cancellations take from the
counterparty's backlog is what the counterparty loses; the event log records both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from world.contracts import CloudContract, ContractStatus, GpuOrder
from world.events import EventKind
from world.finance import pay
from world.ledger import Account

if TYPE_CHECKING:
    from world.model import AIEconomy

__all__ = ["cancel_cloud", "cut_order"]


def cancel_cloud(model: AIEconomy, contract: CloudContract, cause: str) -> float:
    """The customer cancels a cloud contract from next quarter on; returns the value cut.

    The customer pays ``cancel_fee`` of the remaining value to the provider (what it
    cannot fund is a missed payment).
    """
    q = model.quarter + 1
    cut = contract.remaining_value(q)
    fee = contract.cancellation_fee(q)
    customer, provider = model.firms[contract.customer], model.firms[contract.provider]
    if fee > 1e-9:
        pay(
            model,
            customer,
            provider,
            fee,
            Account.IMPAIRMENT,
            Account.REVENUE_CLOUD,
            "contract_cancellation_fee",
        )
    contract.status = ContractStatus.CANCELLED
    model.deals.touch()
    customer.cancelled_value += cut
    model.log_event(
        customer.index,
        EventKind.COMMITMENT_CUT,
        cut,
        f"{cause}; cancellation fee {fee:.1f}",
        provider.index,
    )
    return cut


def cut_order(model: AIEconomy, order: GpuOrder, gw: float, cause: str) -> float:
    """The buyer cancels up to ``gw`` undelivered GW of an order; returns the value cut."""
    value = min(gw, order.gw - order.delivered_gw) * order.price
    fee = order.cut(gw)
    model.deals.touch()
    buyer, supplier = model.firms[order.buyer], model.firms[order.supplier]
    if fee > 1e-9:
        pay(
            model, buyer, supplier, fee, Account.IMPAIRMENT, Account.REVENUE_GPU, "order_cancel_fee"
        )
    buyer.cancelled_value += value
    model.log_event(
        buyer.index,
        EventKind.COMMITMENT_CUT,
        value,
        f"{cause}; cancellation fee {fee:.1f}",
        supplier.index,
    )
    return value
