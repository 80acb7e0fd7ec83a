"""Validated, frozen parameters of one run (loaded from a scenario TOML by ``runs.scenario``).

Every field carries its unit and allowed range; an unknown key, a wrong type or an
out-of-range value is rejected by pydantic. Money is USD bn, compute GW, time
quarters. Firms differ by data (one :class:`FirmSpec` row per firm, the ``role``
selects the behaviour), deals are typed records (:data:`DealSpec`).

The models live in submodules by concept — :mod:`world.params.base` (quarters,
units, roles), :mod:`world.params.firms`, :mod:`world.params.deals`,
:mod:`world.params.mechanisms` (demand, build-out, behaviour, credit, market,
stress) and :mod:`world.params.scenario` — and are all importable from here.
"""

from world.market import InvestorParams
from world.params.base import (
    QuarterLabel,
    Role,
    Share,
    UsdBn,
    quarter_index,
    quarter_label,
    validate_plain,
)
from world.params.deals import (
    BackstopSpec,
    CloudContractSpec,
    DealKind,
    DealSpec,
    DebtSpec,
    EquityInvestmentSpec,
    FundingRoundSpec,
    GpuOrderSpec,
    VendorLoanSpec,
    WarrantSpec,
)
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
from world.params.scenario import (
    Scenario,
    ShockSpec,
    ShockValue,
    check_horizon,
    shock_problem,
    validate_scenario,
    with_overrides,
)

__all__ = [
    "BackstopSpec",
    "BehaviourParams",
    "BuildoutParams",
    "CloudContractSpec",
    "CreditParams",
    "DealKind",
    "DealSpec",
    "DebtSpec",
    "DemandParams",
    "EquityInvestmentSpec",
    "FirmSpec",
    "FundingRoundSpec",
    "GpuOrderSpec",
    "InvestorParams",
    "MacroParams",
    "MarketParams",
    "PricingParams",
    "QuarterLabel",
    "Role",
    "Scenario",
    "Share",
    "ShockSpec",
    "ShockValue",
    "StressParams",
    "UsdBn",
    "VendorLoanSpec",
    "WarrantSpec",
    "check_horizon",
    "quarter_index",
    "quarter_label",
    "shock_problem",
    "validate_plain",
    "validate_scenario",
    "with_overrides",
]
