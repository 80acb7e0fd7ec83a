"""What happened and why: a typed log of the run's notable events.

Every mechanism that changes the course of a run — a funding round that fills or
fails, a price cut, a covenant breach, a commitment cut, a loan called or rolled, a
default, a write-down, a shock — records one :class:`Event` in the model's
:class:`EventLog` at the place where it happens (``world/`` executes, so ``world/``
records). Reports turn the log into a timeline in words; the app shows it live.

Events are records of what the agents did, never inputs: nothing reads the log to
decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["EVENT_COLUMNS", "Event", "EventKind", "EventLog"]

#: Firm index of an event that concerns the whole system (a shock, the credit market).
SYSTEM = -1


class EventKind(StrEnum):
    """Kind of an event (the ``kind`` column of ``events.parquet``)."""

    SHOCK = "shock"  # an exogenous scenario shock hit (amount: sentiment change)
    ROUND_FULL = "round_full"  # a lab's funding round raised what it sought (amount: raised)
    ROUND_UNDERSUBSCRIBED = "round_undersubscribed"  # raised less than sought (amount: raised)
    ROUND_FAILED = "round_failed"  # a round raised nothing (amount: sought)
    RESCUE_ROUND = "rescue_round"  # equity raised at a discount in distress (amount: raised)
    STRATEGIC_INVESTMENT = "strategic_investment"  # a supplier commits to invest (amount: cap)
    PRICE_CUT = "price_cut"  # a firm lowered its price (amount: new price)
    PRICE_RISE = "price_rise"  # a firm raised its price (amount: new price)
    COVENANT_BREACH = "covenant_breach"  # a borrower breached a covenant (amount: debt)
    CREDIT_REFUSED = "credit_refused"  # lenders refused new credit or a rollover (amount)
    LOAN_ROLLED = "loan_rolled"  # a matured loan was rolled over (amount: principal)
    LOAN_RESTRUCTURED = "loan_restructured"  # a vendor loan was extended (amount: principal)
    LOAN_CALLED = "loan_called"  # a lender demanded repayment (amount: principal)
    COMMITMENT_CUT = "commitment_cut"  # contracts cancelled or cut (amount: value cut)
    STAKE_SALE = "stake_sale"  # stakes sold at fire-sale prices (amount: cash raised)
    MISSED_PAYMENT = "missed_payment"  # a payment could not be made (amount: missed)
    DEFAULT = "default"  # a firm defaulted (amount: its liabilities)
    # a vendor loan written off at its borrower's default or restructured at a loss
    # (booked; amount: the loss)
    WRITE_DOWN = "write_down"
    # a stake in a firm that defaulted is wiped out (booked through the stake's marks;
    # amount: what the holder paid for the part it still held)
    STAKE_LOSS = "stake_loss"
    # the equity value a counterparty's default costs a firm by DebtRank: stakes, vendor
    # loans and lost backlog margin at market values (an estimate, not booked; amount)
    CONTAGION_LOSS = "contagion_loss"


class Event(NamedTuple):
    """One event: when, who, what, how much and why.

    Attributes
    ----------
    quarter
        Model quarter (0 = first simulated quarter).
    firm
        Index of the firm the event happened to (``-1``: the whole system).
    kind
        What happened.
    amount
        Size of the event in its kind's unit (USD bn unless the kind says otherwise).
    counterparty
        Index of the other firm involved (``-1``: none, or outside the network).
    cause
        Why, in a few words (shown in timelines).
    """

    quarter: int
    firm: int
    kind: EventKind
    amount: float
    counterparty: int
    cause: str


EVENT_COLUMNS = ("quarter", "period", "firm", "kind", "amount", "counterparty", "cause")


class EventLog:
    """An append-only list of :class:`Event` records (cheap: one tuple per event)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __len__(self) -> int:
        return len(self.events)

    def record(
        self,
        quarter: int,
        firm: int,
        kind: EventKind,
        amount: float,
        cause: str,
        counterparty: int = SYSTEM,
    ) -> None:
        """Append one event (``amount`` must be finite)."""
        if not np.isfinite(amount):
            raise ValueError(f"amount must be finite, got {amount!r} for a {kind} event")
        self.events.append(Event(quarter, firm, kind, float(amount), counterparty, cause))

    def of_kind(self, *kinds: EventKind) -> list[Event]:
        """The events of the given kinds, in the order they happened."""
        wanted = set(kinds)
        return [e for e in self.events if e.kind in wanted]

    def frame(self, firm_names: Sequence[str], periods: Sequence[str]) -> pd.DataFrame:
        """The log as a table (columns :data:`EVENT_COLUMNS`).

        ``periods[q]`` labels model quarter ``q``; firm indices become names (the
        system and outside parties are ``"system"`` / ``""``).
        """
        ev = self.events

        def name(i: int, outside: str) -> str:
            return firm_names[i] if i >= 0 else outside

        return pd.DataFrame(
            {
                "quarter": np.array([e.quarter for e in ev], dtype=np.int32),
                "period": np.array(
                    [periods[e.quarter] if 0 <= e.quarter < len(periods) else "" for e in ev],
                    dtype=object,
                ),
                "firm": np.array([name(e.firm, "system") for e in ev], dtype=object),
                "kind": np.array([e.kind.value for e in ev], dtype=object),
                "amount": np.array([e.amount for e in ev], dtype=np.float64),
                "counterparty": np.array([name(e.counterparty, "") for e in ev], dtype=object),
                "cause": np.array([e.cause for e in ev], dtype=object),
            },
            columns=list(EVENT_COLUMNS),
        )
