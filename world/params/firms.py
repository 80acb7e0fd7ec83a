"""One firm's data row: opening balance sheet, prices, margins and outside demand."""

from __future__ import annotations

from pydantic import Field

from world.params.base import Role, Share, UsdBn, _Frozen

__all__ = ["FirmSpec"]


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
    legacy_growth: float = Field(
        0.0,
        ge=-0.2,
        le=0.2,
        description="growth of the non-network revenue and capex per quarter, from the "
        "firm's recent filings (Microsoft outside Azure ~+9 %/yr: 0.022)",
    )
    legacy_margin: float = Field(0.3, ge=-1.0, le=1.0, description="legacy operating margin")
    legacy_capex: UsdBn = Field(0.0, description="non-AI capex per quarter, USD bn")
    opex: UsdBn = Field(0.0, description="AI operating expenses per quarter (staff, R&D), USD bn")
    opex_growth: float = Field(0.0, ge=-0.2, le=0.5, description="opex growth per quarter")
    tax_rate: float = Field(0.15, ge=0.0, le=0.5, description="tax rate on positive profit")
    expected_growth: float = Field(
        0.0,
        ge=-0.05,
        le=0.3,
        description="revenue growth per quarter the market expects at the start "
        "(bounded by market.max_expected_growth / lab_max_expected_growth)",
    )
    # chip suppliers
    gpu_price_per_gw: float = Field(35.0, ge=0.0, le=200.0, description="USD bn per GW sold")
    gross_margin: float = Field(0.7, ge=0.0, le=1.0, description="gross margin on GPU sales")
    supply_gw: float = Field(
        0.0,
        ge=0.0,
        le=100.0,
        description="GW of accelerators the supplier can deliver per quarter at the start "
        "(production capacity; 0: unlimited)",
    )
    outside_gpu_demand_gw: float = Field(
        0.0,
        ge=0.0,
        le=100.0,
        description="GW per quarter bought by customers outside the model at the start "
        "(then follows the AI compute index, sentiment and price: MacroParams)",
    )
    # cloud providers
    cloud_price_per_gw: float = Field(
        3.33, ge=0.0, le=50.0, description="rental price, USD bn per GW-quarter"
    )
    outside_cloud_demand_gw: float = Field(
        0.0,
        ge=0.0,
        le=1000.0,
        description="AI capacity rented by outside customers at the start, GW (then follows "
        "the AI compute index, sentiment and price: MacroParams)",
    )
    operating_cost_per_gw: float = Field(
        0.6, ge=0.0, le=20.0, description="power and operations, USD bn per GW-quarter"
    )
    supplier_shares: dict[str, Share] = Field(
        default_factory=dict, description="share of GPU orders per chip supplier"
    )
    # labs
    users_share: Share = Field(1.0, description="share of the demand module's users served")
    stock_pay_share: Share = Field(
        0.0,
        description="share of its AI opex a firm pays in its own stock (stock-based pay: an "
        "expense that costs no cash); OpenAI H1-2025: USD 2.5 bn of about 8.2 bn, 0.3",
    )
    colocation: bool = Field(
        False,
        description="deploys its own accelerators in leased data-centre shells: it pays "
        "buildout.colocation_rent_per_gw for each GW in service instead of building them "
        "(the construction share of capex)",
    )
