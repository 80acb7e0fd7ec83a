"""AI labs — the *engine*: sell subscriptions and API tokens, rent compute, raise equity."""

from __future__ import annotations

from agents.firm import CloudProposal, Firm
from world.params import Role

__all__ = ["AILab"]


class AILab(Firm):
    """Engine: sells subscriptions and API tokens, rents compute, raises equity."""

    role = Role.LAB

    def forecast_need(self) -> float:
        """Compute need (GW) at the planning horizon: adaptive and optimism-biased."""
        m = self.model
        b = m.params.behaviour
        g = min(max(self.need_growth, -0.2), b.growth_cap)
        uplift = 1.0 + b.optimism * m.sentiment
        return m.demand.compute_need_gw * self.spec.users_share * (1 + g) ** b.plan_horizon * uplift

    def funding_capacity(self) -> float:
        """Money the lab can expect over the next year (USD bn)."""
        m = self.model
        b = m.params.behaviour
        revenue = 4 * m.lab_revenue_now(self)
        return max(revenue + 2 * b.lab_dilution_per_round * self.valuation + self.cash, 0.0)

    def plan_compute(self) -> list[CloudProposal]:
        """Rent the gap between forecast need and secured capacity, if affordable."""
        m = self.model
        b = m.params.behaviour
        q = m.quarter
        at = q + b.plan_horizon
        secured = m.lab_contracted_gw(self.index, at) + self.secured_gw(at)
        gap = self.forecast_need() - secured
        self.unfunded_gw = 0.0
        if gap < b.min_deal_gw:
            return []
        price = min(f.spec.cloud_price_per_gw for f in m.firms if f.role is Role.CLOUD)
        bill_now = 4 * price * secured
        affordable = b.lab_commitment_multiple * self.funding_capacity() - bill_now
        affordable_gw = max(affordable / (4 * price), 0.0)
        if affordable_gw < gap:
            self.unfunded_gw = gap - affordable_gw
            gap = affordable_gw
        if gap < b.min_deal_gw:
            return []
        providers = [f for f in m.firms if f.role is Role.CLOUD and not f.defaulted]
        order = m.rng.permutation(len(providers))
        ranked = sorted((providers[i] for i in order), key=lambda f: f.spec.cloud_price_per_gw)
        start = q + b.contract_lead
        return [CloudProposal(self.index, f.index, gap, start, b.contract_quarters) for f in ranked]
