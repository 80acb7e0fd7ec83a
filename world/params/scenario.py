"""The scenario: everything one run needs besides the seed; shocks and overrides."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, ValidationError, model_validator

from world.market import InvestorParams
from world.params.base import (
    QuarterLabel,
    Role,
    _Frozen,
    quarter_index,
    quarter_label,
    validate_plain,
)
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

__all__ = [
    "MAX_DEALS",
    "MAX_SHOCKS",
    "Scenario",
    "ShockSpec",
    "ShockValue",
    "check_horizon",
    "shock_problem",
    "validate_scenario",
    "with_overrides",
]


ShockValue = bool | int | Annotated[float, Field(allow_inf_nan=True)] | str
"""A shock's new value; the parameter it sets checks its type and range (finite too)."""

MAX_DEALS = 1000
"""Most deals a scenario may list (the 2025 calibration has about 20)."""
MAX_SHOCKS = 100
"""Most shocks a scenario may list (each is validated against the whole scenario)."""
NOT_PARAMETERS = ("firms", "deals", "shocks", "name", "description", "start", "quarters")
"""Top-level keys a shock may not change (the cast, the history and the run window)."""
READ_AT_START = frozenset(
    {
        "history_until",
        "demand.paid_share_0",
        "demand.arpu_0",
        "demand.paid_users_2023",
        "market.insider_fraction",
        "market.min_dcf_share",
        "market.min_premium",
        "market.max_premium",
    }
)
"""Parameters read once, when a run starts: the history replay's end, the opening demand
(and the paid-user history the report compares it with), the exchange's free float and
the valuation premiums fixed in the first quarter. A shock may not set them."""
INVESTORS_READ_EACH_QUARTER = ("discount_rate_per_q", "terminal_growth_per_q")
"""The ``investors`` fields the model reads from the scenario every quarter (to discount
fundamental values). The investor population keeps the values of the others it was built
with, so a shock may not set them."""


def shock_problem(path: str) -> str | None:
    """Why a shock may not set the parameter at dotted ``path``; None if it may.

    A shock sets parameters from its quarter on (:class:`ShockSpec`); one the model
    reads only when the run starts (:data:`READ_AT_START`, the investor population's
    parameters but :data:`INVESTORS_READ_EACH_QUARTER`) would silently change nothing.
    An unknown path is not this function's to report (None).
    """
    table, _, field = path.partition(".")
    if table in NOT_PARAMETERS:
        return "shocks may change parameters only"
    if path in READ_AT_START:
        return "read once, when the run starts: a shock cannot change it (use --set or [overrides])"
    if (
        table == "investors"
        and field in InvestorParams.model_fields
        and field not in INVESTORS_READ_EACH_QUARTER
    ):
        return (
            "the investor population reads it once, when it is built: a shock cannot change "
            f"it (use --set or [overrides]; a shock may change investors."
            f"{' and investors.'.join(INVESTORS_READ_EACH_QUARTER)})"
        )
    return None


class ShockSpec(_Frozen):
    """An exogenous change at a date: parameter changes and/or a one-off sentiment shock.

    Shocks are inputs (a rate hike, a power constraint); they never set an outcome.
    """

    at: QuarterLabel = Field(description="quarter the shock hits")
    set: dict[str, ShockValue] = Field(
        default_factory=dict,
        max_length=50,
        description="dotted parameter paths and their new values",
    )
    sentiment: float = Field(0.0, ge=-2.0, le=2.0, description="one-off change of sentiment")
    note: str = Field("", max_length=400)


class Scenario(_Frozen):
    """Everything one run needs besides the seed."""

    name: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="a safe file name: letters, digits, '_', '.', '-', first a letter or digit",
    )
    description: str = Field("", max_length=2000)
    start: QuarterLabel = "2025Q4"
    quarters: int = Field(40, ge=1, le=400, description="horizon in quarters")
    history_until: QuarterLabel | None = Field(
        None,
        description="firms originate no deals of their own up to this quarter (history replay)",
    )
    firms: tuple[FirmSpec, ...] = Field(min_length=1, max_length=50)
    deals: tuple[DealSpec, ...] = Field((), max_length=MAX_DEALS)
    demand: DemandParams = DemandParams()
    macro: MacroParams = MacroParams()
    pricing: PricingParams = PricingParams()
    buildout: BuildoutParams = BuildoutParams()
    behaviour: BehaviourParams = BehaviourParams()
    credit: CreditParams = CreditParams()
    stress: StressParams = StressParams()
    investors: InvestorParams = InvestorParams()
    market: MarketParams = MarketParams()
    shocks: tuple[ShockSpec, ...] = Field((), max_length=MAX_SHOCKS)

    @model_validator(mode="after")
    def _check_shocks(self) -> Self:
        for k, shock in enumerate(self.shocks):
            for path in shock.set:
                if (problem := shock_problem(path)) is not None:
                    raise ValueError(f"shocks.{k}.set.{path}: {problem}")
            if shock.set:
                try:
                    with_overrides(self.model_copy(update={"shocks": ()}), dict(shock.set))
                except ValidationError as exc:
                    from world.params.errors import format_validation_error

                    raise ValueError(
                        f"shocks.{k}.set: {format_validation_error(exc, Scenario)}"
                    ) from None
                except ValueError as exc:
                    raise ValueError(f"shocks.{k}.set: {exc}") from None
        return self

    @model_validator(mode="after")
    def _check_rates(self) -> Self:
        """Terminal growth stays below every discount rate it is used with (Gordon)."""
        g = self.investors.terminal_growth_per_q
        if g >= self.market.lab_discount_rate:
            raise ValueError(
                f"investors.terminal_growth_per_q: {g} must be below market.lab_discount_rate "
                f"{self.market.lab_discount_rate} (a lab's terminal value discounts growth)"
            )
        return self

    @model_validator(mode="after")
    def _check_dates(self) -> Self:
        """No shock before the run starts; no contract starts before it is signed.

        Dates after the run ends depend on the horizon, which a caller may shorten
        on purpose: :func:`check_horizon` checks those for input files.
        """
        for k, shock in enumerate(self.shocks):
            if quarter_index(shock.at) < self.start_index:
                raise ValueError(
                    f"shocks.{k}.at: {shock.at} is before the run starts "
                    f"(allowed: {self.start} ≤ at ≤ {quarter_label(self.end_index)})"
                )
        for i, deal in enumerate(self.deals):
            begins = getattr(deal, "start", None)
            if begins is not None and quarter_index(begins) < quarter_index(deal.signed):
                raise ValueError(
                    f"deals.{i}.start: {begins} is before the deal is signed ({deal.signed})"
                )
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
    def end_index(self) -> int:
        """Absolute quarter index of the last simulated quarter."""
        return self.start_index + self.quarters - 1

    @property
    def start_index(self) -> int:
        """Absolute quarter index of the first simulated quarter."""
        return quarter_index(self.start)

    def relative(self, label: str) -> int:
        """Quarter label → model quarter (0 = first simulated quarter; may be negative)."""
        return quarter_index(label) - self.start_index


def check_horizon(scenario: Scenario) -> Scenario:
    """Reject shocks dated after the run ends and deals signed after it (never applied).

    Input files are checked against their own horizon; shortening a valid
    scenario's run afterwards (``--quarters``, a sweep's ``quarters``) is allowed.

    Raises
    ------
    ValueError
        One line naming the shock or deal and the run's window.
    """
    last = quarter_label(scenario.end_index)
    for k, shock in enumerate(scenario.shocks):
        if quarter_index(shock.at) > scenario.end_index:
            raise ValueError(
                f"shocks.{k}.at: {shock.at} is after the run ends "
                f"(allowed: {scenario.start} ≤ at ≤ {last})"
            )
    for i, deal in enumerate(scenario.deals):
        if quarter_index(deal.signed) > scenario.end_index:
            raise ValueError(
                f"deals.{i}.signed: {deal.signed} is after the run ends ({last}); "
                f"deals signed before {scenario.start} are history"
            )
    return scenario


def validate_scenario(data: Any) -> Scenario:
    """Validate a plain mapping (as read from TOML) strictly as a :class:`Scenario`.

    Raises
    ------
    pydantic.ValidationError
        For invalid data (a ``ValueError``).
    """
    return validate_plain(Scenario, data)


def with_overrides(scenario: Scenario, overrides: dict[str, object]) -> Scenario:
    """Return a new validated scenario with dotted-path overrides applied.

    Paths address nested tables (``"demand.bass_q"``), firms by name
    (``"firms.OpenAI.opex"``) and deals by position (``"deals.3.gw"``). Values are
    validated strictly (see :mod:`world.params.base`).

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
    try:
        return validate_scenario(data)
    except TypeError as exc:  # a value that is not plain data
        raise ValueError(f"overrides: {exc}") from None


def _select(items: list, key: str, path: str) -> object:
    if key.isdigit() and int(key) < len(items):
        return items[int(key)]
    for item in items:
        if isinstance(item, dict) and item.get("name") == key:
            return item
    raise ValueError(f"{path}: no entry {key!r}")
