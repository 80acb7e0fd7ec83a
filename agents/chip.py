"""Chip suppliers — the *fuel*: sell accelerators per GW, invest in labs, finance customers."""

from __future__ import annotations

from agents.firm import Firm, InvestmentProposal
from world.params import Role

__all__ = ["ChipSupplier"]


class ChipSupplier(Firm):
    """Fuel: sells accelerators per GW, invests in labs, finances customers."""

    role = Role.CHIP

    def consider_investment(self, lab: Firm, unfunded_gw: float) -> InvestmentProposal | None:
        """Offer a milestone investment to a lab whose compute plan lacks funding.

        The supplier invests when its cash exceeds its buffer and the lab buys its
        chips (directly or through its providers); the tranche per GW is the
        supplier's margin on one GW of its chips, so the deal pays for itself if
        the GW is built with its accelerators.
        """
        b = self.model.params.behaviour
        if not b.strategic_investment or unfunded_gw < b.min_deal_gw:
            return None
        spare = self.cash - b.min_cash_quarters * 4 * self.fixed_costs()
        if spare <= 0:
            return None
        per_gw = self.spec.gpu_price_per_gw * self.spec.gross_margin * self.model.capex_index()
        amount = min(per_gw * unfunded_gw, 0.25 * spare)
        if amount < per_gw:
            return None
        return InvestmentProposal(self.index, lab.index, per_gw, amount)
