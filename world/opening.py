"""Opening books: balance sheets, debt ladders, fleets and pre-start stakes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from world.buildout import Vintage
from world.contracts import EXTERNAL, ContractStatus, EquityInvestment, Loan
from world.ledger import Account, CashFlowKind
from world.params import Role

if TYPE_CHECKING:
    from world.model import AIEconomy

FIN = CashFlowKind.FINANCING
_EPS = 1e-9
_DEBT_TRANCHES = 8  # opening debt: equal tranches maturing evenly (a ladder, not a wall)

__all__ = ["open_books", "opening_stake"]


def open_books(model: AIEconomy) -> None:
    """Post every firm's opening balance sheet and opening debt and fleet."""
    life = model.params.buildout.life_quarters
    for f in model.firms:
        s = f.spec
        ppe = s.deployed_gw * s.ppe_per_gw
        plug = s.book_equity + s.debt - s.cash - ppe
        if plug < -_EPS:
            raise ValueError(
                f"firms.{s.name}.book_equity: {s.book_equity} is below cash + PPE - debt "
                f"({s.cash + ppe - s.debt:.2f} USD bn); raise book_equity"
            )
        f.ledger.post(
            "opening_balance",
            (
                (Account.CASH, s.cash),
                (Account.PPE, ppe),
                (Account.LEGACY_ASSETS, plug),
                (Account.DEBT, -s.debt),
                (Account.PAID_IN_CAPITAL, -s.book_equity),
            ),
            FIN,
        )
        f.ledger.open_period(0)
        model.payments.endow(f.index, s.cash)
        if s.deployed_gw > 0:
            # opening capacity has mixed ages: one equal vintage retiring each quarter of a
            # life (a smooth age profile, no retirement steps), each at its depreciated
            # book value (cost · remaining / life; with the buildings they sum to the
            # opening PP&E)
            chips = ppe * model.params.buildout.chip_share
            f.fleet.buildings = ppe - chips
            cost = 2.0 * chips / (life + 1)
            for k in range(life):
                retire = k + 1
                book = cost * retire / life
                f.fleet.add_vintage(
                    Vintage(s.deployed_gw / life, cost, book, retire - life, retire, 1.0)
                )
        # opening debt is a ladder: equal tranches maturing evenly up to the longest maturity
        for k in range(_DEBT_TRANCHES if s.debt > 0 else 0):
            loan = Loan(
                model.deals.new_id(),
                -1,
                lender=EXTERNAL,
                borrower=f.index,
                principal=s.debt / _DEBT_TRANCHES,
                rate=s.debt_rate,
                maturity=max(round((k + 1) * s.debt_maturity_quarters / _DEBT_TRANCHES), 1),
            )
            model.deals.add_opening_loan(loan)
        if f.role is Role.LAB:
            model.lab_compute_gw[f.index] = f.fleet.deployed_gw


def opening_stake(model: AIEconomy, inv: EquityInvestment) -> None:
    """Book a pre-start equity investment as an opening stake at market (no cash moves).

    The stake's share is ``max_amount / valuation`` (the deal's post-money valuation,
    default the investee's opening valuation); its opening book value is that share of
    the investee's opening valuation, reclassified from the investor's other assets.
    """
    investor, investee = model.firms[inv.investor], model.firms[inv.investee]
    spec = next(
        d
        for d in model.params.deals
        if getattr(d, "investor", None) == investor.name
        and getattr(d, "investee", None) == investee.name
        and model.params.relative(d.signed) < 0
    )
    share = inv.max_amount / (getattr(spec, "valuation", None) or investee.valuation)
    value = share * investee.valuation
    investor.ledger.post(
        "opening_stake", ((Account.STAKES, value), (Account.LEGACY_ASSETS, -value))
    )
    inv.paid = inv.max_amount
    inv.status = ContractStatus.COMPLETED
    model.ownership[inv.investor, inv.investee] += share
    model.stake_cost[inv.investor, inv.investee] += value
