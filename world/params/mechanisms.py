"""Parameters of the mechanisms: demand, build-out, behaviour, credit, market, stress.

Every behavioural number of the model lives here with its unit, allowed range and a
one-line rationale, so that scenarios and sweeps can reach it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from world.params.base import QuarterLabel, Share, _Frozen

__all__ = [
    "BehaviourParams",
    "BuildoutParams",
    "CreditParams",
    "DemandParams",
    "MacroParams",
    "MarketParams",
    "PricingParams",
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
    arpu_max: float = Field(
        60.0,
        gt=0.0,
        le=1000.0,
        description="highest ARPU, USD per paying user-month (premium tiers cap what a "
        "mass-market subscription can charge)",
    )
    api_revenue_0: float = Field(0.6, ge=0.0, le=1000.0, description="API revenue Q0, USD bn")
    token_price_decline: float = Field(
        0.4377, ge=0.0, le=0.95, description="fall of price per capability unit per quarter"
    )
    token_elasticity: float = Field(1.12, ge=0.0, le=3.0, description="price elasticity")
    api_spend_saturation: float = Field(
        10.0,
        ge=1.0,
        le=1000.0,
        description="most API spend per adopter can grow over the start when prices fall "
        "with elasticity > 1 (token budgets fill up: no compounding without end)",
    )
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
    usage_cost_elasticity: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="Jevons: elasticity of usage per user to the cost of a unit of usage "
        "(algorithmic efficiency × compute price / hardware); 1: efficiency gains all go "
        "into more usage, 0: none do",
    )
    usage_monetisation: Share = Field(
        0.0,
        description="elasticity of revenue per paying user to usage per user (usage tiers, "
        "agents billed per task); 0: flat-rate subscriptions, 1: metered; the ARPU so "
        "reached stays below arpu_max",
    )
    token_cost_pass_through: Share = Field(
        0.5,
        description="elasticity of token prices to the price of cloud compute (token prices "
        "follow the cost of compute: inference is the labs' main variable cost)",
    )

    # -- the article's engine gauges (world.metrics, world.gauges): paying-user lag,
    # -- history before the start, and what turns weekly users into MAU and adoption
    paid_lag: Share = Field(
        0.0,
        description="share of a quarter's new users who start paying only the next quarter "
        "(0: new users pay like the others at once)",
    )
    paid_users_2023: float = Field(
        4.478,
        gt=0.0,
        le=1e4,
        description="paying users at the end of 2023, millions (history: paid-user growth "
        "in 2024 = opening paying users / this − 1)",
    )
    mau_per_wau: float = Field(
        1.3,
        ge=1.0,
        le=4.0,
        description="monthly per weekly active user (scales the MAU level, not its growth)",
    )
    population_m: float = Field(
        8100.0,
        gt=0.0,
        le=2e4,
        description="world population, millions (adoption share = weekly users / population)",
    )
    launch: QuarterLabel = Field(
        "2022Q4", description="quarter the product launched (the adoption clock starts)"
    )


class MacroParams(_Frozen):
    """The world outside the network: its demand for AI compute and the macro limit.

    Outside customers (other labs, enterprises, sovereigns) rent AI cloud capacity and
    buy accelerators in proportion to the same adoption and usage state as the lab's
    users (the AI compute index of ``world.demand``), react to sentiment and prices,
    and all final AI spending is bounded by a share of world IT spending.
    """

    world_it_spending: float = Field(
        5435.0,
        gt=0.0,
        le=1e6,
        description="world IT spending in the first simulated year, USD bn per year "
        "(Gartner, July 2025: 5.43 trillion for 2025)",
    )
    it_spending_growth: float = Field(
        0.015,
        ge=0.0,
        le=0.05,
        description="growth of world IT spending per quarter (6%/yr; Gartner 2024-2028 "
        "~7%/yr nominal, long-run nominal GDP ~4-5%)",
    )
    ai_share_max: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="macro limit: final AI spending (labs' sales, outside AI cloud rent "
        "and accelerator purchases) as a share of world IT spending (ASSUMPTION; "
        "~2% in 2025)",
    )
    outside_compute_elasticity: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        description="elasticity of outside compute demand to the AI compute index (outside "
        "buyers follow adoption more slowly than the leading lab's users)",
    )
    outside_cloud_sentiment: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        description="relative change of outside cloud demand per unit sentiment",
    )
    outside_gpu_sentiment: float = Field(
        0.3, ge=0.0, le=2.0, description="relative change of outside GPU demand per unit sentiment"
    )
    cloud_price_elasticity: float = Field(
        1.0, ge=0.0, le=5.0, description="price elasticity of outside AI cloud demand"
    )
    gpu_price_elasticity: float = Field(
        1.0, ge=0.0, le=5.0, description="price elasticity of outside accelerator demand"
    )


class PricingParams(_Frozen):
    """How cloud providers and chip suppliers set their list prices each quarter."""

    max_step: float = Field(
        0.15, gt=0.0, le=1.0, description="largest price change per quarter (log points)"
    )
    competitor_weight: float = Field(
        0.25, ge=0.0, le=1.0, description="pull toward competitors' price per quarter (log share)"
    )
    cloud_target_utilisation: Share = Field(
        0.85, description="utilisation at which a provider keeps its rental price"
    )
    cloud_utilisation_response: float = Field(
        0.5, ge=0.0, le=5.0, description="log price change per unit utilisation gap"
    )
    cloud_min_markup: float = Field(
        0.1, ge=0.0, le=2.0, description="lowest price over operating cost per GW-quarter"
    )
    cloud_max_entry_ratio: float = Field(
        1.7,
        ge=1.0,
        le=10.0,
        description="highest list price over the entry price, the rent at which a new GW "
        "earns its cost of capital over an accelerator's life (contestable capacity: above "
        "it outside clouds build and undercut; in the 2023-24 shortage one-year H100 "
        "contracts held above ~USD 4.7 an hour against ~2.85 at which a new one earns an "
        "equity return, Latent Space 'The $2 H100', 2024: ~1.7x; spot peaks ~2.8x)",
    )
    chip_target_cover: float = Field(
        4.0, gt=0.0, le=40.0, description="quarters of sales in backlog a supplier aims for"
    )
    chip_cover_response: float = Field(
        0.1, ge=0.0, le=5.0, description="log price change per unit log(cover / target)"
    )
    chip_max_markup: float = Field(
        1.5,
        ge=1.0,
        le=10.0,
        description="highest price over the reference price of a GW of accelerators "
        "(scarcity pricing: NVIDIA's gross margin rose from ~65% to ~78% in the 2023-24 "
        "shortage, i.e. prices ~1.4-1.6x a normal markup over cost)",
    )
    chip_min_markup: float = Field(
        0.2, ge=0.0, le=5.0, description="lowest price over the unit cost of a GW of chips"
    )


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
    building_life_quarters: int = Field(
        80,
        ge=4,
        le=200,
        description="depreciation life of data-centre buildings and power, quarters "
        "(20 years; they outlive several generations of accelerators)",
    )
    colocation_rent_per_gw: float = Field(
        0.55,
        ge=0.0,
        le=5.0,
        description="rent of a leased data-centre shell (building, power and cooling "
        "plant, without the power itself), USD bn per GW-quarter, paid by a firm that "
        "colocates (FirmSpec.colocation): CBRE's North America H2 2024 asking rate of "
        "USD 184 per kW a month for 250-500 kW, 0.55 a GW-quarter",
    )
    idle_cost_share: Share = Field(
        0.3,
        description="share of the operating cost per GW-quarter an idle GW still costs "
        "(facility, staff, standby power)",
    )
    supply_growth: float = Field(
        0.12,
        ge=0.0,
        le=1.0,
        description="growth per quarter of a sold-out supplier's production capacity "
        "(advanced packaging capacity roughly doubled a year in 2023-2025)",
    )
    supply_decline: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="fall per quarter of a supplier's production capacity per unit of idle share",
    )
    residual_value_share: Share = Field(
        0.75,
        description="share of the non-chip build cost (buildings, power) still worth its cost "
        "when a contract ends (they outlive the accelerators)",
    )


class BehaviourParams(_Frozen):
    """Decision rules of the firms (planning horizons, hurdles, limits, distress)."""

    # -- planning ----------------------------------------------------------------
    plan_horizon: int = Field(8, ge=1, le=40, description="quarters ahead firms plan capacity")
    forecast_smoothing: float = Field(
        0.5, gt=0.0, le=1.0, description="weight of the latest growth in adaptive forecasts"
    )
    optimism: float = Field(
        0.3, ge=0.0, le=2.0, description="forecast uplift per unit of sentiment"
    )
    growth_cap: float = Field(
        0.2, ge=0.0, le=2.0, description="max forecast growth per quarter (planning)"
    )
    forecast_damping: float = Field(
        0.85,
        ge=0.0,
        le=1.0,
        description="damped-trend forecasts: share of the growth rate kept each quarter "
        "ahead (Gardner & McKenzie 1985; 1 = straight extrapolation)",
    )
    growth_floor: float = Field(
        -0.2, ge=-0.9, le=0.0, description="min forecast growth per quarter"
    )
    order_adjustment: float = Field(
        0.35,
        gt=0.0,
        le=1.0,
        description="share of its capacity gap a provider orders per quarter (partial "
        "adjustment: orders follow demand without waves)",
    )
    # -- contracts -----------------------------------------------------------------
    contract_quarters: int = Field(20, ge=4, le=80, description="length of new cloud contracts")
    contract_lead: int = Field(4, ge=0, le=20, description="quarters from signing to start")
    take_or_pay: Share = Field(
        0.8, description="share of contracted GW a lab pays for even when unused (new contracts)"
    )
    cancel_fee: Share = Field(
        0.2,
        description="share of a cloud contract's remaining value a lab pays to cancel it "
        "(new contracts)",
    )
    order_lag: int = Field(2, ge=0, le=20, description="quarters from a GPU order to delivery")
    order_deliveries: int = Field(
        4, ge=1, le=40, description="quarters over which a GPU order is delivered"
    )
    order_cancel_fee: Share = Field(
        0.1, description="share of an undelivered GPU order's value paid to cancel it"
    )
    min_deal_gw: float = Field(0.1, ge=0.0, le=10.0, description="smallest deal signed, GW")
    hurdle_spread: float = Field(
        0.0, ge=-0.5, le=0.5, description="min contract return above cost of capital, per year"
    )
    build_financing_cover: Share = Field(
        0.5,
        description="share of a new build a provider must see financed (cash, credit, vendor) "
        "before it signs",
    )
    # -- labs ------------------------------------------------------------------------
    lab_commitment_multiple: float = Field(
        3.0, ge=0.0, le=50.0, description="max annual compute bill per unit of funding capacity"
    )
    lab_rounds_per_year: float = Field(
        2.0, ge=0.0, le=4.0, description="funding rounds a lab counts on per year when planning"
    )
    lab_runway_quarters: int = Field(
        3,
        ge=1,
        le=40,
        description="lab raises when cash covers fewer quarters of expected burn (3: the "
        "baseline's lab then raises in 2025 only its two announced rounds, USD 40 bn, as "
        "OpenAI did; at 6, with a target of 8, it raised about 120 bn)",
    )
    lab_runway_target: int = Field(
        6,
        ge=1,
        le=40,
        description="quarters of expected burn a lab's round aims to cover (a year and a "
        "half: OpenAI raised in 2024-10 and 2025-03, a round about every year)",
    )
    lab_min_runway: float = Field(
        2.0,
        ge=0.0,
        le=20.0,
        description="below this many quarters of burn after trying to raise, a lab cuts "
        "opex and cancels commitments",
    )
    lab_opex_cut: Share = Field(
        0.15, description="share of its opex a distressed lab cuts per quarter"
    )
    round_retry_share: Share = Field(
        0.5,
        description="after a failed round a lab seeks this share of the amount next time "
        "(and the inverse multiple back toward its need after a success)",
    )
    min_round_scale: Share = Field(
        0.125,
        description="smallest round a lab seeks, as a share of its need: after failed "
        "rounds its ask shrinks no further, and a round its valuation caps below this is "
        "not sought (it buys no runway; 0.125: three halvings; 0: no floor)",
    )
    lab_stress_share: Share = Field(
        0.5,
        description="a round that raises less than this share of what the lab sought puts "
        "it in funding stress (it stops counting on rounds and accepts down rounds)",
    )
    max_round_step_up: float = Field(
        1.5,
        ge=1.0,
        le=10.0,
        description="highest pre-money a lab asks over its last valuation in one round "
        "(OpenAI's 2024-25 rounds stepped up 1.7-1.9x in about half a year)",
    )
    lab_dilution_per_round: Share = Field(
        0.08, description="share of valuation a lab expects to sell per round when planning"
    )
    max_round_share: Share = Field(
        0.25, description="largest round as a share of the lab's valuation"
    )
    lab_max_provider_share: float = Field(
        0.6,
        gt=0.0,
        le=1.0,
        description="largest share of one compute request a lab places with a single provider "
        "(labs multi-source compute to avoid lock-in)",
    )
    provider_max_backlog_years: float = Field(
        20.0,
        ge=1.0,
        le=200.0,
        description="a cloud provider takes on new contracts only while its backlog stays "
        "within this many years of its trailing revenue (2025: CoreWeave 55.6 bn on about "
        "5.1 bn, 11x; Oracle 455 bn on 57 bn, 8x; calibration/firms_2025.csv)",
    )
    opex_cut_max: Share = Field(
        0.1, description="fastest cut of a firm's opex per quarter when its revenue falls"
    )
    # -- credit use ----------------------------------------------------------------
    credit_use_limit: float = Field(
        0.9, gt=0.0, le=1.0, description="max share of its borrowing capacity a firm uses"
    )
    credit_line_buffer: float = Field(
        0.05, ge=0.0, le=1.0, description="extra borrowed over a payment shortfall"
    )
    min_cash_quarters: float = Field(
        1.0, ge=0.0, le=20.0, description="cash buffer in quarters of fixed costs"
    )
    cash_reserve_quarters: float = Field(
        4.0,
        ge=0.0,
        le=40.0,
        description="cash a firm keeps before repaying debt or paying out: quarters of fixed "
        "costs and committed capex",
    )
    deleverage_share: Share = Field(
        0.5, description="share of its cash above the reserve a firm uses to repay debt per quarter"
    )
    payout_share: Share = Field(
        0.25,
        description="share of the cash left above the reserve a listed firm, or a lab "
        "whose revenue covers its costs, returns to shareholders per quarter (dividends, "
        "buybacks, tender offers)",
    )
    # -- suppliers -----------------------------------------------------------------
    vendor_financing: bool = Field(True, description="suppliers lend to customers lenders refuse")
    vendor_financing_share: Share = Field(
        0.5, description="max share of an order a supplier finances"
    )
    vendor_rate: float = Field(0.08, ge=0.0, le=0.5, description="vendor loan rate per year")
    vendor_book_limit: float = Field(
        0.5, ge=0.0, le=10.0, description="max vendor loans outstanding per unit of annual EBITDA"
    )
    vendor_restructure_haircut: Share = Field(
        0.3,
        description="principal a supplier forgives when it restructures a vendor loan it "
        "cannot roll (instead of calling it into a default)",
    )
    strategic_investment: bool = Field(
        True, description="suppliers invest in labs that buy their chips"
    )
    invest_cash_share: Share = Field(
        0.25, description="largest share of its spare cash a supplier commits to one lab deal"
    )
    invest_margin_cover: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="a supplier invests up to this multiple of the margin it would lose on "
        "the backlog at risk plus the lab's unfunded GW",
    )
    outside_equity_appetite: Share = Field(
        1.0,
        description="share of an equity issue outside investors take at neutral sentiment; "
        "with an investor population it scales what every investor commits to a round",
    )


class CreditParams(_Frozen):
    """The aggregate credit market (lenders): pricing, limits, covenants, tenors."""

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
    backlog_ltv: float = Field(
        0.2,
        ge=0.0,
        le=0.9,
        description="lending per USD of contracted take-or-pay backlog from customers not in "
        "default (contract-backed project finance)",
    )
    covenant_debt_to_ebitda: float = Field(
        6.0, gt=0.0, le=50.0, description="covenant: max debt / annual EBITDA"
    )
    covenant_interest_cover: float = Field(
        1.5, ge=0.0, le=20.0, description="covenant: min annual EBITDA / annual interest"
    )
    covenant_grace: int = Field(
        2,
        ge=0,
        le=20,
        description="quarters lenders waive a breach (no new credit) before they accelerate",
    )
    debt_tenors: tuple[int, ...] = Field(
        (8, 16, 28, 40),
        min_length=1,
        max_length=8,
        description="maturities on offer for new debt, quarters (borrowers ladder them)",
    )

    @field_validator("debt_tenors")
    @classmethod
    def _tenors(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(t < 1 or t > 160 for t in v):
            raise ValueError("each tenor must lie in [1, 160] quarters")
        return tuple(sorted(set(v)))


class MarketParams(_Frozen):
    """How results become fundamental values (world.valuation) and news (world.exchange)."""

    insider_fraction: Share = Field(0.1, description="shares held by insiders, never traded")
    horizon_quarters: int = Field(
        20, ge=1, le=200, description="explicit DCF horizon of listed firms, quarters"
    )
    earnings_window: int = Field(
        8,
        ge=1,
        le=40,
        description="quarters of EBITDA averaged into the cash flow investors capitalise "
        "(normalised earnings: a spike in one year is not extrapolated)",
    )
    growth_window: int = Field(
        8, ge=3, le=40, description="quarters of revenue whose log-trend is the observed growth"
    )
    growth_smoothing: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="weight of the observed revenue trend in the growth expectation per quarter",
    )
    min_expected_growth: float = Field(
        -0.05, ge=-0.5, le=0.0, description="floor of any growth expectation, per quarter"
    )
    max_expected_growth: float = Field(
        0.10,
        ge=0.0,
        le=0.5,
        description="cap of a listed firm's growth expectation, per quarter "
        "(46%/yr: above the 5-year growth any large listed firm sustained)",
    )
    growth_fade: float = Field(
        0.9,
        ge=0.0,
        le=0.98,
        description="share of a listed firm's excess expected growth that survives each "
        "quarter ahead (high growth fades within 2-3 years; Chan, Karceski & "
        "Lakonishok 2003)",
    )
    backlog_quarters: float = Field(
        16.0,
        ge=4.0,
        le=200.0,
        description="quarters over which backlog turns into cash; at least a year: the "
        "calibration's backlogs are years of revenue (Oracle's USD 455 bn RPO, August "
        "2025, about 8 years of its FY2025 revenue; CoreWeave's USD 55.6 bn, about 11), "
        "and the value of a backlog turned into cash in weeks has no bound (listed "
        "price/sales 110 at 1 quarter)",
    )
    backlog_margin: float = Field(0.2, ge=-1.0, le=1.0, description="cash margin on backlog")
    min_dcf_share: Share = Field(
        0.05, description="firms valued on cash flows need DCF ≥ this share of opening value"
    )
    min_premium: float = Field(
        0.2, gt=0.0, le=1.0, description="lowest opening premium (market cap / model value)"
    )
    premium_persistence: float = Field(
        0.95,
        ge=0.0,
        le=1.0,
        description="share of the opening premium's excess over 1 kept each quarter (the "
        "2025 market's extra expectations are either realised in cash flows or fade; "
        "half-life ~13 quarters)",
    )
    max_premium: float = Field(
        5.0, ge=1.0, le=100.0, description="highest opening premium (market cap / model value)"
    )
    lab_horizon_quarters: int = Field(
        40, ge=4, le=200, description="explicit horizon of a lab's prospects value, quarters"
    )
    lab_discount_rate: float = Field(
        0.03,
        gt=0.0,
        le=0.2,
        description="discount rate of a private lab's cash flows per quarter (12.6%/yr: "
        "late-stage growth equity)",
    )
    lab_max_expected_growth: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="cap of a lab's revenue growth expectation per quarter (2.4x a year: "
        "OpenAI's 2024-25 growth was 2.5-3.5x)",
    )
    lab_growth_fade: float = Field(
        0.95,
        ge=0.0,
        le=0.98,
        description="share of a lab's excess expected growth that survives each quarter "
        "(at most 0.98: a half-life of 34 quarters; excess growth that never fades is not "
        "an expectation that mean-reverts)",
    )
    lab_other_cost_share: Share = Field(
        0.25, description="long-run non-compute costs of a lab, share of revenue"
    )
    lab_compute_cost_share: Share = Field(
        0.40, description="long-run compute costs of a lab, share of revenue"
    )
    lab_cost_fade: float = Field(
        0.9,
        ge=0.0,
        lt=1.0,
        description="persistence per quarter of a lab's cost shares above their long-run level",
    )
    news_scale: float = Field(3.0, ge=0.0, le=50.0, description="news per unit of surprise")
    contagion_news: float = Field(
        3.0, ge=0.0, le=50.0, description="bad news per unit of DebtRank equity loss"
    )
    announcement_gap: Share = Field(
        0.8, description="share of a change in fundamentals priced at the open (results are public)"
    )
    loss_news: float = Field(1.0, ge=0.0, le=20.0, description="news per unit of loss/equity")
    sentiment_persistence: Share = Field(
        0.8,
        description="without an investor population: share of last quarter's sentiment kept "
        "(sentiment is decaying accumulated news)",
    )


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
