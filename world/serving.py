"""Compute served and sold: cloud rent, the labs' sales, operating flows.

Every cash movement goes through :class:`~world.settlement.PaymentSystem`; money for
payments is found by :func:`world.finance.fund`; what a firm cannot find is recorded
as a missed payment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.cloud import CloudProvider
from world.delivery import sell_outside
from world.demand import rationed_subscriptions
from world.finance import pay, pay_in_stock, pay_out
from world.ledger import Account, CashFlowKind
from world.params import Role
from world.settlement import ExternalParty

if TYPE_CHECKING:
    from world.model import AIEconomy

OP, INV = CashFlowKind.OPERATING, CashFlowKind.INVESTING

__all__ = ["lab_sales", "operating_flows", "serve_compute"]


def serve_compute(model: AIEconomy) -> None:
    """Deliver contracted compute, rent spare capacity to outside customers, bill the labs.

    Each provider delivers its contracts in force pro rata to its deployed capacity,
    rents what is left to outside customers at its list price (up to their demand),
    and bills idle capacity to backstop guarantors; each lab uses its own fleet first,
    then its contracts, and pays each provider once (take-or-pay on what was
    delivered). A provider in default delivers nothing.
    """
    q = model.quarter
    deals = model.deals
    labs = model.by_role(Role.LAB)
    need = {lab.index: model.demand.compute_need_gw * lab.spec.users_share for lab in labs}
    own_used = {i: min(need[i], model.firms[i].fleet.deployed_gw) for i in need}
    delivered: dict[int, float] = {}
    # a firm's contracts in force are listed when it is its turn: a payment before can
    # cancel a distressed firm's contracts
    for cloud in model.by_role(Role.CLOUD):
        capacity = cloud.fleet.deployed_gw
        contracts = [c for c in deals.of("cloud", "provider", cloud.index) if c.in_force(q)]
        gw_due = [c.gw_due(q) for c in contracts]
        due = sum(gw_due)
        ratio = min(1.0, capacity / due) if due > 0 else 0.0
        for c, gw in zip(contracts, gw_due, strict=True):
            delivered[c.id] = gw * ratio
        free = max(capacity - due * ratio, 0.0)
        outside = min(float(model.outside_cloud_gw[cloud.index]), free)
        assert isinstance(cloud, CloudProvider)
        model.payments.receive_external(
            cloud.index,
            outside * cloud.price,
            credit=Account.REVENUE_CLOUD,
            party=ExternalParty.OUTSIDE_CLOUD_CUSTOMERS,
            memo="outside_cloud_rent",
            flow=OP,
        )
        idle = free - outside
        for b in model.deals.backstops:
            if b.provider == cloud.index and idle > 0:
                amount = b.purchase(q, idle)
                guarantor = model.firms[b.guarantor]
                pay(
                    model,
                    guarantor,
                    cloud,
                    amount,
                    Account.COMPUTE_COST,
                    Account.REVENUE_CLOUD,
                    "backstop_purchase",
                    financing=True,
                )
                idle -= min(idle, b.gw)
        cloud.gw_in_use = capacity - max(idle, 0.0)
        cloud.utilisation = cloud.gw_in_use / capacity if capacity > 0 else 0.0
    for lab in labs:
        contracts = [c for c in deals.of("cloud", "customer", lab.index) if c.in_force(q)]
        gots = [delivered.get(c.id, 0.0) for c in contracts]
        total = sum(gots)
        rest = need[lab.index] - own_used[lab.index]
        frac = min(1.0, rest / total) if total > 0 else 0.0
        bills: dict[int, float] = {}  # one rent payment per provider: its contracts' bills
        for c, got in zip(contracts, gots, strict=True):
            bills[c.provider] = bills.get(c.provider, 0.0) + c.billed(got, got * frac)
        for provider, bill in bills.items():
            pay(
                model,
                lab,
                model.firms[provider],
                bill,
                Account.COMPUTE_COST,
                Account.REVENUE_CLOUD,
                "cloud_rent",
            )
        lab.compute_bill = sum(bills.values())
        model.lab_compute_gw[lab.index] = lab.fleet.deployed_gw + total
        lab.compute_used = own_used[lab.index] + total * frac
        lab.gw_in_use = own_used[lab.index]


def lab_sales(model: AIEconomy) -> None:
    """Labs sell subscriptions and API access, as far as their compute serves demand.

    API use is metered: a lab serving a share ``served`` of its compute need sells
    that share of it. Subscribers are rationed usage before they are turned away
    (:func:`~world.demand.rationed_subscriptions`).
    """
    d = model.demand
    ratio = 1.0 + model.params.demand.training_ratio
    for lab in model.by_role(Role.LAB):
        need = d.compute_need_gw * lab.spec.users_share
        served = min(1.0, model.lab_compute_gw[lab.index] * ratio / need) if need > 0 else 1.0
        lab.served = served
        subscriptions = rationed_subscriptions(
            d.subscription_revenue, served, d.usage, model.params.demand.usage_monetisation
        )
        for amount, account in (
            (subscriptions, Account.REVENUE_SUBSCRIPTIONS),
            (d.api_revenue * served, Account.REVENUE_API),
        ):
            model.payments.receive_external(
                lab.index,
                amount * lab.spec.users_share,
                credit=account,
                party=ExternalParty.CONSUMERS,
                memo="ai_sales",
                flow=OP,
            )


def operating_flows(model: AIEconomy) -> None:
    """Legacy business, AI opex and power for every firm not in default.

    The part of its AI opex a firm pays in its own stock (``stock_pay_share``) is an
    expense credited to its paid-in capital, no cash, that dilutes its holders
    (:func:`world.finance.pay_in_stock`); a firm that colocates also pays
    the rent of the shells its fleet is in (``buildout.colocation_rent_per_gw`` per GW
    in service).
    """
    q = model.quarter
    idle_cost_share = model.params.buildout.idle_cost_share
    for f in model.active_firms():
        s = f.spec
        growth = f.legacy_growth_factor(q)
        legacy = s.legacy_revenue * growth
        sell_outside(
            model,
            f,
            legacy,
            Account.REVENUE_LEGACY,
            ExternalParty.LEGACY_CUSTOMERS,
            (1 - s.legacy_margin) * legacy,
            Account.OPEX,
            "legacy_sales",
        )
        capex = s.legacy_capex * growth
        if capex > 0:
            pay_out(
                model, f, capex, Account.LEGACY_ASSETS, ExternalParty.SUPPLIERS, "legacy_capex", INV
            )
            f.ledger.post_transfer(
                "legacy_depreciation", Account.DEPRECIATION, Account.LEGACY_ASSETS, capex
            )
            f.capex += capex
        opex = model.opex_now(f)
        stock = opex * s.stock_pay_share
        pay_out(model, f, opex - stock, Account.OPEX, ExternalParty.EMPLOYEES, "ai_opex")
        if stock > 0.0:
            pay_in_stock(model, f, stock)
        rent = f.shell_rent()
        if rent > 0.0:
            pay_out(
                model, f, rent, Account.COST_OF_REVENUE, ExternalParty.SUPPLIERS, "colocation_rent"
            )
        idle = max(f.fleet.deployed_gw - f.gw_in_use, 0.0)
        power = (f.gw_in_use + idle_cost_share * idle) * s.operating_cost_per_gw
        pay_out(model, f, power, Account.COST_OF_REVENUE, ExternalParty.SUPPLIERS, "power_ops")
