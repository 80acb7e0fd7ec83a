"""The scenario: everything one run needs besides the seed; shocks and overrides."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from world.market import InvestorParams
from world.params.base import QuarterLabel, Role, _Frozen, quarter_index
from world.params.deals import DealSpec
from world.params.firms import FirmSpec
from world.params.mechanisms import (
    BehaviourParams,
    BuildoutParams,
    CreditParams,
    DemandParams,
    MacroParams,
    MarketParams,
    PricingParams,
    StressParams,
)

__all__ = ["Scenario", "ShockSpec", "ShockValue", "with_overrides"]


ShockValue = float | int | bool


class ShockSpec(_Frozen):
    """An exogenous change at a date: parameter changes and/or a one-off sentiment shock.

    Shocks are inputs (a rate hike, a power constraint); they never set an outcome.
    """

    at: QuarterLabel = Field(description="quarter the shock hits")
    set: dict[str, ShockValue] = Field(
        default_factory=dict, description="dotted parameter paths and their new values"
    )
    sentiment: float = Field(0.0, ge=-2.0, le=2.0, description="one-off change of sentiment")
    note: str = Field("", max_length=400)


class Scenario(_Frozen):
    """Everything one run needs besides the seed."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = Field("", max_length=2000)
    start: QuarterLabel = "2025Q4"
    quarters: int = Field(40, ge=1, le=400, description="horizon in quarters")
    history_until: QuarterLabel | None = Field(
        None,
        description="firms originate no deals of their own up to this quarter (history replay)",
    )
    firms: tuple[FirmSpec, ...] = Field(min_length=1, max_length=50)
    deals: tuple[DealSpec, ...] = ()
    demand: DemandParams = DemandParams()
    macro: MacroParams = MacroParams()
    pricing: PricingParams = PricingParams()
    buildout: BuildoutParams = BuildoutParams()
    behaviour: BehaviourParams = BehaviourParams()
    credit: CreditParams = CreditParams()
    stress: StressParams = StressParams()
    investors: InvestorParams = InvestorParams()
    market: MarketParams = MarketParams()
    shocks: tuple[ShockSpec, ...] = ()

    @model_validator(mode="after")
    def _check_shocks(self) -> Self:
        for k, shock in enumerate(self.shocks):
            for path in shock.set:
                if path.split(".")[0] in ("firms", "deals", "shocks", "name", "start"):
                    raise ValueError(f"shocks.{k}.set.{path}: shocks may change parameters only")
            if shock.set:
                try:
                    with_overrides(self.model_copy(update={"shocks": ()}), dict(shock.set))
                except ValueError as exc:
                    raise ValueError(f"shocks.{k}.set: {exc}") from None
        return self

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        names = [f.name for f in self.firms]
        if len(set(names)) != len(names):
            raise ValueError("firms: names must be unique")
        roles = {f.name: f.role for f in self.firms}
        if Role.LAB not in roles.values():
            raise ValueError("firms: at least one firm with role 'lab' is required")
        for i, deal in enumerate(self.deals):
            for field in (
                "customer",
                "provider",
                "buyer",
                "supplier",
                "investor",
                "investee",
                "grantor",
                "holder",
                "lender",
                "borrower",
                "guarantor",
            ):
                value = getattr(deal, field, None)
                if value is not None and value not in roles:
                    raise ValueError(
                        f"deals.{i}.{field}: unknown firm {value!r}; allowed: {', '.join(names)}"
                    )
        for firm in self.firms:
            for supplier in firm.supplier_shares:
                if roles.get(supplier) is not Role.CHIP:
                    raise ValueError(
                        f"firms.{firm.name}.supplier_shares: {supplier!r} is not a chip supplier"
                    )
        return self

    @property
    def start_index(self) -> int:
        """Absolute quarter index of the first simulated quarter."""
        return quarter_index(self.start)

    def relative(self, label: str) -> int:
        """Quarter label → model quarter (0 = first simulated quarter; may be negative)."""
        return quarter_index(label) - self.start_index


def with_overrides(scenario: Scenario, overrides: dict[str, object]) -> Scenario:
    """Return a new validated scenario with dotted-path overrides applied.

    Paths address nested tables (``"demand.bass_q"``), firms by name
    (``"firms.OpenAI.opex"``) and deals by position (``"deals.3.gw"``).

    Raises
    ------
    ValueError
        For an unknown path (naming it) or an invalid value
        (a ``pydantic.ValidationError``, which is a ``ValueError``).
    """
    data = scenario.model_dump(mode="json")
    for path, value in overrides.items():
        parts = path.split(".")
        node: object = data
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                node = _select(node, part, path)
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise ValueError(f"{path}: unknown parameter ({'.'.join(parts[: i + 1])})")
        last = parts[-1]
        if isinstance(node, dict) and last in node:
            node[last] = value
        else:
            raise ValueError(f"{path}: unknown parameter")
    return Scenario.model_validate(data)


def _select(items: list, key: str, path: str) -> object:
    if key.isdigit() and int(key) < len(items):
        return items[int(key)]
    for item in items:
        if isinstance(item, dict) and item.get("name") == key:
            return item
    raise ValueError(f"{path}: no entry {key!r}")
