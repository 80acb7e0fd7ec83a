"""Firm agents: one base class holding the books, three roles that differ by behaviour.

The base (:mod:`agents.firm`) holds the ledger and reads the statements; each role
lives in its own module — :mod:`agents.chip` (fuel), :mod:`agents.cloud` (gears),
:mod:`agents.lab` (engine) — and :func:`make_firm` picks the class for a scenario row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.chip import ChipSupplier
from agents.cloud import CloudProvider
from agents.firm import CloudProposal, Firm, GpuProposal, InvestmentProposal
from agents.lab import AILab
from world.params import FirmSpec, Role

if TYPE_CHECKING:
    from world.model import AIEconomy

__all__ = [
    "AILab",
    "ChipSupplier",
    "CloudProposal",
    "CloudProvider",
    "Firm",
    "GpuProposal",
    "InvestmentProposal",
    "make_firm",
]


_ROLES: dict[Role, type[Firm]] = {
    Role.CHIP: ChipSupplier,
    Role.CLOUD: CloudProvider,
    Role.LAB: AILab,
}


def make_firm(model: AIEconomy, spec: FirmSpec, index: int) -> Firm:
    """Create the firm agent for ``spec``'s role."""
    return _ROLES[spec.role](model, spec, index)
