"""Validated, frozen parameters of one run (loaded from a scenario TOML by ``runs.scenario``).

Every field carries its unit and allowed range; an unknown key, a wrong type or an
out-of-range value is rejected by pydantic. Money is USD bn, compute GW, time
quarters. Firms differ by data (one :class:`FirmSpec` row per firm, the ``role``
selects the behaviour), deals are typed records (:data:`DealSpec`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from world.market import InvestorParams

__all__ = [
    "BuildoutParams",
    "BehaviourParams",
    "CloudContractSpec",
    "CreditParams",
    "DealSpec",
    "DebtSpec",
    "DemandParams",
    "EquityInvestmentSpec",
    "FundingRoundSpec",
    "FirmSpec",
    "GpuOrderSpec",
    "Role",
    "Scenario",
    "VendorLoanSpec",
    "BackstopSpec",
    "WarrantSpec",
    "quarter_index",
    "MarketParams",
    "with_overrides",
    "ShockSpec",
    "StressParams",
    "quarter_label",
]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_index(label: str) -> int:
    """Absolute index of a quarter label ``"YYYYQn"`` (year·4 + n − 1)."""
    m = _QUARTER.match(label)
    if m is None:
        raise ValueError(f"quarter must look like 2025Q4, got {label!r}")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def quarter_label(index: int) -> str:
    """Inverse of :func:`quarter_index`."""
    return f"{index // 4}Q{index % 4 + 1}"


QuarterLabel = Annotated[str, Field(pattern=r"^\d{4}Q[1-4]$", description="quarter, YYYYQn")]
UsdBn = Annotated[float, Field(ge=0.0, le=1e6, description="USD bn")]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class Role(StrEnum):
    """Role of a firm in the circular flow."""

    CHIP = "chip"  # fuel
    CLOUD = "cloud"  # gears
    LAB = "lab"  # engine


class FirmSpec(_Frozen):
    """Opening balance sheet and behavioural constants of one firm (USD bn, per quarter)."""

    name: str = Field(min_length=1, max_length=40)
    role: Role
    cash: UsdBn = Field(description="opening cash and short-term investments, USD bn")
    debt: UsdBn = Field(0.0, description="opening interest-bearing debt, USD bn")
    debt_rate: float = Field(0.05, ge=0.0, le=0.5, description="coupon on opening debt, per year")
    debt_maturity_quarters: int = Field(
        24, ge=1, le=160, description="longest maturity of the opening debt ladder, quarters"
    )
    book_equity: float = Field(ge=-1e5, le=1e6, description="opening book equity, USD bn")
    market_cap: UsdBn = Field(description="opening market cap or private valuation, USD bn")
    listed: bool = Field(True, description="listed on a stock market (else private)")
    deployed_gw: float = Field(0.0, ge=0.0, le=1000.0, description="opening AI capacity, GW")
    ppe_per_gw: float = Field(40.0, ge=0.0, le=200.0, description="book value per GW, USD bn")
    legacy_revenue: UsdBn = Field(0.0, description="non-network revenue per quarter, USD bn")
    legacy_growth: float = Field(0.0, ge=-0.2, le=0.2, description="legacy growth per quarter")
    legacy_margin: float = Field(0.3, ge=-1.0, le=1.0, description="legacy operating margin")
    legacy_capex: UsdBn = Field(0.0, description="non-AI capex per quarter, USD bn")
    opex: UsdBn = Field(0.0, description="AI operating expenses per quarter (staff, R&D), USD bn")
    opex_growth: float = Field(0.0, ge=-0.2, le=0.5, description="opex growth per quarter")
    tax_rate: float = Field(0.15, ge=0.0, le=0.5, description="tax rate on positive profit")
    # chip suppliers
    gpu_price_per_gw: float = Field(35.0, ge=0.0, le=200.0, description="USD bn per GW sold")
    gross_margin: float = Field(0.7, ge=0.0, le=1.0, description="gross margin on GPU sales")
    outside_gpu_demand_gw: float = Field(
        0.0, ge=0.0, le=100.0, description="GW per quarter bought by customers outside the model"
    )
    outside_gpu_growth: float = Field(0.0, ge=-0.3, le=0.3, description="growth per quarter")
    # cloud providers
    cloud_price_per_gw: float = Field(
        3.33, ge=0.0, le=50.0, description="rental price, USD bn per GW-quarter"
    )
    outside_cloud_demand_gw: float = Field(
        0.0, ge=0.0, le=1000.0, description="AI capacity rented by outside customers, GW"
    )
    outside_cloud_growth: float = Field(0.0, ge=-0.3, le=0.3, description="growth per quarter")
    operating_cost_per_gw: float = Field(
        0.6, ge=0.0, le=20.0, description="power and operations, USD bn per GW-quarter"
    )
    supplier_shares: dict[str, Share] = Field(
        default_factory=dict, description="share of GPU orders per chip supplier"
    )
    # labs
    users_share: Share = Field(1.0, description="share of the demand module's users served")


class DealKind(StrEnum):
    """Type of a deal (contract) between firms."""

    CLOUD_CONTRACT = "cloud_contract"
    GPU_ORDER = "gpu_order"
    EQUITY_INVESTMENT = "equity_investment"
    WARRANT = "warrant"
    VENDOR_LOAN = "vendor_loan"
    BACKSTOP = "backstop"
    FUNDING_ROUND = "funding_round"
    DEBT = "debt"


class _Deal(_Frozen):
    signed: QuarterLabel = Field(description="quarter the deal is signed")
    note: str = Field("", max_length=400, description="source or assumption")


class CloudContractSpec(_Deal):
    """Lab rents ``gw`` from a cloud provider at a price per GW-quarter."""

    kind: Literal["cloud_contract"] = "cloud_contract"
    customer: str
    provider: str
    gw: float = Field(gt=0.0, le=100.0, description="contracted capacity, GW")
    price_per_gw: float = Field(gt=0.0, le=50.0, description="USD bn per GW-quarter")
    start: QuarterLabel
    quarters: int = Field(ge=1, le=80, description="contract length, quarters")
    take_or_pay: Share = Field(0.8, description="minimum share of contracted GW billed")


class GpuOrderSpec(_Deal):
    """Cloud or lab buys ``gw`` of accelerators from a chip supplier."""

    kind: Literal["gpu_order"] = "gpu_order"
    buyer: str
    supplier: str
    gw: float = Field(gt=0.0, le=100.0, description="ordered capacity, GW")
    price_per_gw: float = Field(gt=0.0, le=200.0, description="USD bn per GW")
    lag_quarters: int = Field(2, ge=0, le=20, description="quarters until the first delivery")
    delivery_quarters: int = Field(4, ge=1, le=40, description="deliveries spread evenly over")
    prepay_share: Share = Field(0.0, description="share of value paid at signing")


class EquityInvestmentSpec(_Deal):
    """Investor firm buys equity of a lab: an upfront part and tranches per GW deployed."""

    kind: Literal["equity_investment"] = "equity_investment"
    investor: str
    investee: str
    upfront: UsdBn = Field(0.0, description="paid at signing, USD bn")
    per_gw: UsdBn = Field(0.0, description="tranche per GW the investee deploys, USD bn")
    max_amount: UsdBn = Field(description="cap on the total invested, USD bn")
    valuation: float | None = Field(
        None,
        gt=0.0,
        le=1e6,
        description="post-money valuation of a pre-start stake, USD bn (default: investee's)",
    )


class WarrantSpec(_Deal):
    """Supplier grants the lab shares vesting per GW the lab buys from the supplier."""

    kind: Literal["warrant"] = "warrant"
    grantor: str
    holder: str
    share_fraction: Share = Field(description="fraction of grantor's shares at full vesting")
    vest_gw: float = Field(gt=0.0, le=100.0, description="GW purchased for full vesting")


class VendorLoanSpec(_Deal):
    """Supplier lends to a customer (vendor financing)."""

    kind: Literal["vendor_loan"] = "vendor_loan"
    lender: str
    borrower: str
    amount: UsdBn
    rate: float = Field(ge=0.0, le=0.5, description="interest per year")
    quarters: int = Field(ge=1, le=160)


class BackstopSpec(_Deal):
    """Supplier buys a provider's unused capacity up to ``gw`` at a price."""

    kind: Literal["backstop"] = "backstop"
    guarantor: str
    provider: str
    gw: float = Field(gt=0.0, le=100.0)
    price_per_gw: float = Field(gt=0.0, le=50.0, description="USD bn per GW-quarter")
    start: QuarterLabel
    quarters: int = Field(ge=1, le=80)


class FundingRoundSpec(_Deal):
    """Outside investors buy new shares of a lab at its current valuation."""

    kind: Literal["funding_round"] = "funding_round"
    investee: str
    amount: UsdBn


class DebtSpec(_Deal):
    """A bond or loan from the outside credit market."""

    kind: Literal["debt"] = "debt"
    borrower: str
    amount: UsdBn
    rate: float = Field(ge=0.0, le=0.5, description="interest per year")
    quarters: int = Field(ge=1, le=160)


DealSpec = Annotated[
    CloudContractSpec
    | GpuOrderSpec
    | EquityInvestmentSpec
    | WarrantSpec
    | VendorLoanSpec
    | BackstopSpec
    | FundingRoundSpec
    | DebtSpec,
    Field(discriminator="kind"),
]


class DemandParams(_Frozen):
    """The engine: Bass diffusion of users, conversion, ARPU, API tokens, compute need."""

    users_0: float = Field(350.0, gt=0.0, le=1e4, description="weekly users at start, millions")
    bass_p: float = Field(0.10, gt=0.0, le=1.0, description="innovation, per quarter")
    bass_q: float = Field(0.07, ge=0.0, le=2.0, description="imitation, per quarter")
    market_size: float = Field(1500.0, gt=0.0, le=1e4, description="potential users, millions")
    market_sentiment: float = Field(
        0.2, ge=0.0, le=1.0, description="relative change of market size per unit sentiment"
    )
    paid_share_0: Share = Field(0.045, description="paying share of users at start")
    paid_share_max: Share = Field(0.08, description="long-run paying share")
    conversion_speed: Share = Field(0.08, description="convergence to max share per quarter")
    arpu_0: float = Field(30.0, gt=0.0, le=1000.0, description="USD per paying user-month")
    arpu_growth: float = Field(0.01, ge=-0.2, le=0.2, description="ARPU growth per quarter")
    api_revenue_0: float = Field(0.6, ge=0.0, le=1000.0, description="API revenue Q0, USD bn")
    token_price_decline: float = Field(
        0.4377, ge=0.0, le=0.95, description="fall of price per capability unit per quarter"
    )
    token_elasticity: float = Field(1.12, ge=0.0, le=3.0, description="price elasticity")
    compute_per_user_gw: float = Field(
        0.0024, ge=0.0, le=1.0, description="inference GW per million weekly users at start"
    )
    compute_per_api_gw: float = Field(
        0.25, ge=0.0, le=100.0, description="inference GW per unit of API revenue index"
    )
    efficiency_gain: float = Field(
        0.10, ge=0.0, le=0.9, description="algorithmic fall in compute per user, per quarter"
    )
    usage_growth: float = Field(
        0.25, ge=-0.5, le=1.0, description="growth of compute per user at start, per quarter"
    )
    usage_growth_decay: float = Field(
        0.98, ge=0.0, le=1.0, description="factor by which usage growth shrinks each quarter"
    )
    training_ratio: float = Field(1.0, ge=0.0, le=10.0, description="training GW per GW served")


class BuildoutParams(_Frozen):
    """Compute build-out: capex per GW, lead times, power cap, depreciation."""

    capex_per_gw: float = Field(50.0, gt=0.0, le=500.0, description="all-in USD bn per GW")
    chip_share: Share = Field(0.7, description="share of capex per GW that is accelerators")
    capex_decline: float = Field(
        0.01, ge=-0.1, le=0.2, description="fall of capex per GW per quarter"
    )
    flop_doubling_years: float = Field(
        2.5, gt=0.1, le=50.0, description="years for FLOP per USD to double (Epoch)"
    )
    construction_quarters: int = Field(2, ge=0, le=20, description="CIP to deployed")
    power_cap_gw: float = Field(
        4.0, gt=0.0, le=1000.0, description="max new GW energised per quarter, all firms"
    )
    life_quarters: int = Field(22, ge=4, le=120, description="accelerator life, quarters")


class BehaviourParams(_Frozen):
    """Decision rules of the firms (planning horizons, hurdles, limits)."""

    plan_horizon: int = Field(8, ge=1, le=40, description="quarters ahead firms plan capacity")
    forecast_smoothing: float = Field(
        0.5, gt=0.0, le=1.0, description="weight of the latest growth in adaptive forecasts"
    )
    optimism: float = Field(
        0.3, ge=0.0, le=2.0, description="forecast uplift per unit of sentiment"
    )
    growth_cap: float = Field(0.3, ge=0.0, le=2.0, description="max forecast growth per quarter")
    contract_quarters: int = Field(20, ge=4, le=80, description="length of new cloud contracts")
    contract_lead: int = Field(4, ge=0, le=20, description="quarters from signing to start")
    min_deal_gw: float = Field(0.1, ge=0.0, le=10.0, description="smallest deal signed, GW")
    lab_commitment_multiple: float = Field(
        3.0, ge=0.0, le=50.0, description="max annual compute bill per unit of funding capacity"
    )
    lab_runway_quarters: int = Field(
        6, ge=1, le=40, description="lab raises when cash covers fewer quarters of burn"
    )
    lab_dilution_per_round: Share = Field(0.08, description="share of valuation sold per round")
    credit_use_limit: float = Field(
        0.9, gt=0.0, le=1.0, description="max share of its borrowing capacity a firm uses"
    )
    hurdle_spread: float = Field(
        0.0, ge=-0.5, le=0.5, description="min contract return above cost of capital, per year"
    )
    min_cash_quarters: float = Field(
        1.0, ge=0.0, le=20.0, description="cash buffer in quarters of fixed costs"
    )
    vendor_financing: bool = Field(True, description="suppliers lend to customers lenders refuse")
    vendor_financing_share: Share = Field(
        0.5, description="max share of an order a supplier finances"
    )
    vendor_rate: float = Field(0.08, ge=0.0, le=0.5, description="vendor loan rate per year")
    vendor_book_limit: float = Field(
        0.5, ge=0.0, le=10.0, description="max vendor loans outstanding per unit of annual EBITDA"
    )
    strategic_investment: bool = Field(
        True, description="suppliers invest in labs that buy their chips"
    )
    outside_equity_appetite: Share = Field(
        1.0,
        description="share of an equity issue outside investors take at neutral sentiment "
        "(without an investor population)",
    )


class CreditParams(_Frozen):
    """The aggregate credit market (lenders)."""

    risk_free: float = Field(0.042, ge=0.0, le=0.3, description="risk-free rate per year")
    base_spread: float = Field(0.01, ge=0.0, le=0.3, description="spread at zero credit use")
    leverage_spread: float = Field(
        0.06, ge=0.0, le=2.0, description="spread at full credit use (quadratic in use)"
    )
    sentiment_spread: float = Field(
        0.02, ge=0.0, le=0.5, description="spread fall per unit of sentiment"
    )
    max_spread: float = Field(0.25, ge=0.0, le=1.0, description="no lending above this spread")
    max_debt_to_ebitda: float = Field(
        4.0, ge=0.0, le=20.0, description="cash-flow lending limit, debt / annual EBITDA"
    )
    collateral_ltv: float = Field(
        0.7, ge=0.0, le=0.95, description="asset-backed lending per USD of PP&E and CIP"
    )
    new_debt_quarters: int = Field(28, ge=1, le=160, description="maturity of new bonds")


class MarketParams(_Frozen):
    """How the exchange turns firms' results into fundamentals and news."""

    insider_fraction: Share = Field(0.1, description="shares held by insiders, never traded")
    horizon_quarters: int = Field(20, ge=0, le=200, description="explicit DCF horizon")
    max_growth_per_q: float = Field(
        0.015, ge=0.0, le=1.0, description="cap on expected cash-flow growth per quarter"
    )
    backlog_quarters: float = Field(
        16.0, gt=0.0, le=200.0, description="quarters over which backlog turns into cash"
    )
    backlog_margin: float = Field(0.2, ge=-1.0, le=1.0, description="cash margin on backlog")
    min_dcf_share: Share = Field(
        0.05, description="firms valued on cash flows need DCF ≥ this share of opening value"
    )
    news_scale: float = Field(3.0, ge=0.0, le=50.0, description="news per unit of surprise")
    announcement_gap: Share = Field(
        0.8, description="share of a change in fundamentals priced at the open (results are public)"
    )
    loss_news: float = Field(1.0, ge=0.0, le=20.0, description="news per unit of loss/equity")


class StressParams(_Frozen):
    """Distress, default and contagion (MODEL.md §7)."""

    enabled: bool = Field(True, description="liquidity waterfall, defaults and contagion on")
    recovery_rate: Share = Field(
        0.4, description="share of a defaulted firm's non-cash assets creditors recover"
    )
    clearing: Literal["eisenberg_noe", "rogers_veraart"] = Field(
        "rogers_veraart", description="clearing of simultaneous obligations"
    )
    rv_alpha: Share = Field(0.5, description="Rogers-Veraart: share of external assets kept")
    rv_beta: Share = Field(0.9, description="Rogers-Veraart: share of interbank claims kept")
    fire_sale_depth: float = Field(
        50.0, gt=0.0, le=1e5, description="stake sale (USD bn) that cuts the price by 1/e"
    )
    rescue_discount: Share = Field(0.4, description="discount of a rescue round to valuation")
    rescue_max_share: Share = Field(
        0.3, description="max share of a firm's value a rescue round can raise"
    )
    sentiment_contagion: float = Field(
        1.0, ge=0.0, le=5.0, description="sentiment fall per unit of value-weighted DebtRank loss"
    )
    backlog_margin: Share = Field(
        0.3, description="share of contracted backlog counted as exposure (lost margin)"
    )


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
