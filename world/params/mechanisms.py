"""Parameters of the mechanisms: demand, build-out, behaviour, credit, market, stress.

Every behavioural number of the model lives here with its unit, allowed range and a
one-line rationale, so that scenarios and sweeps can reach it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from world.params.base import Share, _Frozen

__all__ = [
    "BehaviourParams",
    "BuildoutParams",
    "CreditParams",
    "DemandParams",
    "MarketParams",
    "StressParams",
]


class DemandParams(_Frozen):
    """The engine: Bass diffusion of users, conversion, ARPU, API tokens, compute need."""

    users_0: float = Field(350.0, gt=0.0, le=1e4, description="weekly users at start, millions")
    bass_p: float = Field(0.10, gt=0.0, le=1.0, description="innovation, per quarter")
    bass_q: float = Field(0.07, ge=0.0, le=2.0, description="imitation, per quarter")
    market_size: float = Field(1500.0, gt=0.0, le=1e4, description="potential users, millions")
    market_sentiment: float = Field(
        0.2,
        ge=0.0,
        lt=1.0,
        description="relative change of market size per unit sentiment (< 1: at sentiment -1 "
        "the market keeps a size)",
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
