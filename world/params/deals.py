"""Typed deal records of a scenario (the announced deals replayed as history)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from world.params.base import QuarterLabel, Share, UsdBn, _Frozen

__all__ = [
    "BackstopSpec",
    "CloudContractSpec",
    "DealKind",
    "DealSpec",
    "DebtSpec",
    "EquityInvestmentSpec",
    "FundingRoundSpec",
    "GpuOrderSpec",
    "VendorLoanSpec",
    "WarrantSpec",
]


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
    cancel_fee: Share = Field(
        0.2, description="share of the remaining value the customer pays to cancel"
    )
    ramp_quarters: int = Field(
        1,
        ge=1,
        le=40,
        description=(
            "quarters over which the GW due rises linearly to gw (k/ramp of it in the "
            "contract's k-th quarter), as capacity is built; 1: all of it from the start"
        ),
    )

    @model_validator(mode="after")
    def _ramp_within_contract(self) -> CloudContractSpec:
        if self.ramp_quarters > self.quarters:
            raise ValueError(
                f"ramp_quarters must be in [1, quarters = {self.quarters}], "
                f"got {self.ramp_quarters}"
            )
        return self


class GpuOrderSpec(_Deal):
    """Cloud or lab buys ``gw`` of accelerators from a chip supplier."""

    kind: Literal["gpu_order"] = "gpu_order"
    buyer: str
    supplier: str
    gw: float = Field(gt=0.0, le=100.0, description="ordered capacity, GW")
    price_per_gw: float = Field(gt=0.0, le=200.0, description="USD bn per GW")
    lag_quarters: int = Field(2, ge=0, le=20, description="quarters until the first delivery")
    delivery_quarters: int = Field(4, ge=1, le=40, description="deliveries spread evenly over")
    ladder: int = Field(
        1,
        ge=1,
        le=8,
        description=(
            "tranches of an order book, delivered from the same quarter at one rate over "
            "delivery_quarters, +1, +2, ... quarters, so the book runs off in steps "
            "(1: one order); gw is their total"
        ),
    )
    prepay_share: Share = Field(0.0, description="share of value paid at signing")
    cancel_fee: Share = Field(
        0.1, description="share of the undelivered value the buyer pays to cancel"
    )

    def tranches(self) -> tuple[tuple[float, int], ...]:
        """(GW, delivery quarters) of each order of the ladder, shortest first.

        Tranche ``k`` (``k = 0 .. ladder - 1``) is delivered over ``delivery_quarters +
        k`` quarters at the common rate ``gw / sum(delivery_quarters + k)`` per quarter.
        So the book delivers ``ladder`` times that rate in each of its first
        ``delivery_quarters`` quarters, then one rate less each quarter: an opening
        order book that runs off like a ladder instead of ending in one quarter.
        """
        if self.ladder == 1:
            return ((self.gw, self.delivery_quarters),)
        lengths = [self.delivery_quarters + k for k in range(self.ladder)]
        rate = self.gw / sum(lengths)
        return tuple((rate * d, d) for d in lengths)


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
