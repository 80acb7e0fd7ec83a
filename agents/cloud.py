"""Cloud providers — the *gears*: buy accelerators, build data centres, rent compute."""

from __future__ import annotations

from agents.firm import CloudProposal, Firm, GpuProposal
from world.params import Role

__all__ = ["CloudProvider"]


class CloudProvider(Firm):
    """Gears: buys accelerators, builds and powers data centres, rents compute."""

    role = Role.CLOUD

    def build_pays(self, quarters: int) -> bool:
        """True if renting a new GW for ``quarters`` at list price covers its cost.

        Rent minus operating cost over the term, discounted at the provider's cost of
        capital, plus the discounted residual value of the non-chip share, must
        exceed ``capex · (1 + hurdle)``.
        """
        m = self.model
        bo = m.params.buildout
        rate = self.borrowing_rate() / 4
        annuity = (1 - (1 + rate) ** -quarters) / rate if rate > 0 else float(quarters)
        margin = self.spec.cloud_price_per_gw - self.spec.operating_cost_per_gw
        capex = m.capex_per_gw_now()
        residual = capex * (1 - bo.chip_share) * 0.75 * (1 + rate) ** -quarters
        return margin * annuity + residual >= capex * (1 + m.params.behaviour.hurdle_spread)

    def accepts(self, proposal: CloudProposal) -> bool:
        """Accept a contract if the build pays (:meth:`build_pays`) and can be financed.

        Financing: cash, the credit market and (if on) vendor financing must cover at
        least half of the build.
        """
        m = self.model
        b = m.params.behaviour
        if not self.build_pays(proposal.quarters):
            return False
        need = proposal.gw * m.capex_per_gw_now()
        room = self.credit_quote(need).amount
        vendor = need * b.vendor_financing_share if b.vendor_financing else 0.0
        return self.cash + room + vendor >= 0.5 * need

    def plan_capacity(self) -> list[GpuProposal]:
        """Order accelerators for contracted demand, and for outside demand if it pays.

        Outside (spot) demand at the horizon is built for only when a new GW rented at
        list price for an accelerator life covers its cost of capital; otherwise the
        provider keeps its outside capacity at today's level.
        """
        m = self.model
        h = m.params.behaviour.plan_horizon
        q = m.quarter
        if self.build_pays(m.params.buildout.life_quarters):
            outside = m.outside_cloud_demand(self, q + h)
        else:
            outside = min(m.outside_cloud_demand(self, q), m.outside_cloud_demand(self, q + h))
        target = m.contracted_gw(self.index, q + h) + outside
        gap = target - self.secured_gw(q + h)
        if gap < m.params.behaviour.min_deal_gw:
            return []
        shares = self.spec.supplier_shares or {f.name: 1.0 for f in m.firms if f.role is Role.CHIP}
        total = sum(shares.values()) or 1.0
        return [
            GpuProposal(self.index, m.firm_index[name], gap * share / total)
            for name, share in sorted(shares.items())
            if share > 0
        ]
