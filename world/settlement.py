"""Payments between firms and with the outside world, with origin tracing of money.

:class:`PaymentSystem` is the only place where cash moves. A payment between two
firms posts one entry in each firm's ledger (the payer's cash falls, the payee's
rises by the same amount), so every payment is someone's receipt. Money entering
or leaving the modelled economy (consumers, legacy customers, lenders, outside
investors, suppliers of labour and power) is an *external flow* and is recorded in
:attr:`PaymentSystem.external` so that stock-flow consistency can be checked:
``Δ Σ cash = Σ external inflows − Σ external outflows``.

Round-trip revenue (proportional flow tracing, MODEL.md §3)
-----------------------------------------------------------
Each firm's cash carries an *origin mix*, held as amounts in the matrix
``origin[i, k]`` (USD bn of firm *i*'s cash that came from source *k*; ``k < n`` is a
firm, ``k = n`` is outside money); each row sums to the firm's cash.

* A *financing* flow from firm A (equity investment, loan, vendor financing,
  backstop purchase) leaves A carrying A's mix pro rata and enters the receiver
  tagged entirely "A".
* Every other payment carries the payer's current mix pro rata into the payee.
* External inflows are tagged "outside"; external outflows carry the payer's mix.

When firm A books a payment of amount *x* as revenue, its round-trip revenue grows
by ``x · origin[payer, A] / cash[payer]``: the part of the payment that is A's own
money coming home, directly or along any chain of payments. The cost is O(n) per
payment; the matrix is exact for the order in which payments are made.

Loops (which closed chain the money went round)
-------------------------------------------------
To say *which loop* of the deal network a round trip went round, money is traced
by a finer tag than its origin alone: financed money carries the pair (origin firm
A, first receiver B) — the firm A financed and the firm it financed — so a row holds
``n · n + 1`` amounts (tag ``(A, B)`` at column ``A · n + B``, outside money last).
When firm A books revenue from payer P, the part tagged ``(A, B)`` is recorded in
``loop_revenue[A, B, P]``: USD of A's revenue paid by P with money A put into B.
That is the loop **A → B ⇝ P → A**: A finances B, the money travels from B to P
along non-financing payments (rent, GPU purchases; directly when B pays P), and P
pays A. ``B == P`` is the two-firm loop A → B → A. For NVIDIA → OpenAI → Oracle →
NVIDIA it is ``loop_revenue[NVIDIA, OpenAI, Oracle]``. Summed over B and P it is
A's round-trip revenue; a new financing flow re-tags money with its financier, so
each dollar belongs to one loop at a time.

Each row is stored as a scale times a vector (``origin[i] = scale[i] · rows[i]``):
an outflow only multiplies the firm's scale (its mix does not change), so the many
payments to outside parties cost O(1); a deposit adds to the vector, renormalising
it first when the scale has become tiny. A vector holds only its non-zero tags (a
dict from column to amount): a firm's cash carries a handful of the ``n · n + 1``
tags, so a payment between firms touches those few, element by element as a dense
row would (the same operations on the same numbers, in the same order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from world.ledger import REVENUE_ACCOUNTS, Account, CashFlowKind, Ledger

__all__ = ["ExternalFlow", "ExternalParty", "Payment", "PaymentSystem"]


class ExternalParty(StrEnum):
    """Counterparties outside the modelled network."""

    CONSUMERS = "consumers"
    LEGACY_CUSTOMERS = "legacy_customers"
    OUTSIDE_CLOUD_CUSTOMERS = "outside_cloud_customers"
    OUTSIDE_CHIP_CUSTOMERS = "outside_chip_customers"
    LENDERS = "lenders"
    INVESTORS = "investors"
    SUPPLIERS = "suppliers"
    EMPLOYEES = "employees"
    GOVERNMENT = "government"


@dataclass(frozen=True, slots=True)
class Payment:
    """A cash payment between two modelled firms (USD bn)."""

    quarter: int
    payer: int
    payee: int
    amount: float
    memo: str
    financing: bool
    round_trip: float


@dataclass(frozen=True, slots=True)
class ExternalFlow:
    """Cash crossing the boundary of the modelled economy (USD bn, + = inflow)."""

    quarter: int
    firm: int
    party: ExternalParty
    amount: float
    memo: str


_REVENUE = frozenset(REVENUE_ACCOUNTS)
_CASH = Account.CASH
_add_up = np.add.reduce  # what ``ndarray.sum`` calls, without its Python wrapper
#: ``numpy.sum`` adds fewer numbers than this one after the other, more pairwise in blocks.
_SEQUENTIAL_SUM = 8
#: USD bn: traced cash at or below this counts as none (a payment from it is outside money).
_NO_CASH = 1e-15
#: A row whose scale falls below this is renormalised (values multiplied out, scale 1).
_TINY_SCALE = 1e-6


def _positive(amount: float) -> bool:
    """True for a positive amount, False for zero; raise for a negative or non-finite one."""
    if amount < 0.0 or not math.isfinite(amount):
        raise ValueError(f"amount must be a finite non-negative number, got {amount!r}")
    return amount > 0.0


class PaymentSystem:
    """Moves cash between ledgers, records external flows and traces money's origin.

    Parameters
    ----------
    ledgers
        One ledger per firm, indexed like the firms.
    keep_log
        Keep every :class:`Payment` and :class:`ExternalFlow` (for tests, notebooks).
    """

    def __init__(self, ledgers: list[Ledger], *, keep_log: bool = True) -> None:
        self.ledgers = ledgers
        n = len(ledgers)
        self.n = n
        # tagged[i] = _scale[i] * _rows[i]: an outflow rescales one float, not a row;
        # column A·n + B holds money A financed B with, column n·n outside money; a
        # row is a dict of its non-zero columns
        self._outside = n * n
        self._rows: list[dict[int, float]] = [{} for _ in range(n)]
        self._scale = [1.0] * n
        self.keep_log = keep_log
        self.payments: list[Payment] = []
        self.external: list[ExternalFlow] = []
        self.quarter = 0
        self.round_trip_revenue = np.zeros(n)
        self.loop_revenue = np.zeros((n, n, n))
        self._external_net = [0.0] * n

    # -- period ------------------------------------------------------------------
    def open_period(self, quarter: int) -> None:
        """Reset the per-quarter accumulators."""
        self.quarter = quarter
        self.round_trip_revenue = np.zeros(self.n)
        self.loop_revenue = np.zeros((self.n, self.n, self.n))
        self._external_net = [0.0] * self.n

    # -- origin matrix -------------------------------------------------------------
    @property
    def tagged(self) -> np.ndarray:
        """``tagged[i, A·n + B]``: USD bn of firm i's cash that A financed B with (a copy).

        The last column is outside money; rows sum to cash.
        """
        return self._dense(range(self.n)) * np.array(self._scale)[:, None]

    def _dense(self, firms: range) -> np.ndarray:
        """The rows of ``firms`` as a dense (m, n·n + 1) array (unscaled)."""
        dense = np.zeros((len(firms), self._outside + 1))
        for k, i in enumerate(firms):
            for column, amount in self._rows[i].items():
                dense[k, column] = amount
        return dense

    @property
    def origin(self) -> np.ndarray:
        """``origin[i, k]``: USD bn of firm i's cash that came from source k (a copy).

        Columns ``k < n`` are firms, column ``n`` is outside money; rows sum to cash.
        """
        return self._by_origin(self.tagged)

    def _by_origin(self, rows: np.ndarray) -> np.ndarray:
        """Sum tagged rows over the first receiver: (m, n·n + 1) → (m, n + 1)."""
        n = self.n
        firms = rows[:, : n * n].reshape(len(rows), n, n).sum(axis=2)
        return np.hstack([firms, rows[:, n * n :]])

    @property
    def external_net(self) -> np.ndarray:
        """Net external flow per firm this quarter (USD bn, + = inflow)."""
        return np.array(self._external_net)

    def endow(self, firm: int, amount: float) -> None:
        """Set firm ``firm``'s traced cash to ``amount`` of outside money (opening books)."""
        self._rows[firm] = {self._outside: amount}
        self._scale[firm] = 1.0

    # -- helpers -------------------------------------------------------------------
    def _mix(self, i: int) -> np.ndarray:
        row = self._by_origin(self._dense(range(i, i + 1)))[0]
        total = row.sum()
        if total * self._scale[i] <= _NO_CASH:
            mix = np.zeros(self.n + 1)
            mix[self.n] = 1.0
            return mix
        return row / total

    def _row_for_deposit(self, i: int) -> float:
        """Scale of firm i's row before a deposit, renormalised if it became tiny."""
        scale = self._scale[i]
        if scale < _TINY_SCALE:
            self._rows[i] = {column: value * scale for column, value in self._rows[i].items()}
            self._scale[i] = scale = 1.0
        return scale

    def _round_trip(self, payer: int, payee: int, home: list[tuple[int, float]]) -> float:
        """Record the part of a payment that is the payee's own money coming home.

        ``home`` lists the ``(column, amount)`` the payment carries in the payee's own
        columns, in column order: column ``payee · n + B`` is money the payee financed B
        with; their sum is the round trip and each part goes to
        ``loop_revenue[payee, B, payer]``. The parts are added as ``numpy.sum`` adds the
        dense slice of ``n`` tags (the zeros change nothing): one after the other in
        column order for fewer than :data:`_SEQUENTIAL_SUM` firms, by numpy itself
        otherwise.
        """
        n = self.n
        first = payee * n
        if n < _SEQUENTIAL_SUM:
            round_trip = 0.0
            for _, value in home:
                round_trip += value
        else:
            dense = np.zeros(n)
            for column, value in home:
                dense[column - first] = value
            round_trip = float(_add_up(dense))
        if round_trip > 0.0:
            self.round_trip_revenue[payee] += round_trip
            loops = self.loop_revenue
            for column, value in home:
                loops[payee, column - first, payer] += value
        return round_trip

    # -- flows -----------------------------------------------------------------------
    def pay(
        self,
        payer: int,
        payee: int,
        amount: float,
        *,
        payer_debit: Account,
        payee_credit: Account,
        memo: str,
        payer_flow: CashFlowKind,
        payee_flow: CashFlowKind,
        financing: bool = False,
    ) -> float:
        """Pay ``amount`` (USD bn) from one firm to another; return its round-trip part.

        ``payer_debit`` is the account the payer debits (e.g. an expense or an asset
        bought), ``payee_credit`` the account the payee credits (e.g. revenue, paid-in
        capital, debt). The round-trip part is non-zero only when ``payee_credit``
        is a revenue account.
        """
        if not 0.0 < amount < math.inf and not _positive(amount):  # fast path first
            return 0.0
        ledgers = self.ledgers
        payer_ledger = ledgers[payer]
        payer_ledger.post_transfer(memo, payer_debit, _CASH, amount, payer_flow)
        ledgers[payee].post_transfer(memo, _CASH, payee_credit, amount, payee_flow)
        # the payer's row still sums to its cash before the payment (cash + amount): it
        # is scaled pro rata (its mix does not change) and carries that share of each
        # tag to the payee (all outside money if the payer had no cash); the carried
        # amounts (tag value · part) are computed where they are used, not kept
        scales = self._scale
        scale = scales[payer]
        before = payer_ledger.cash + amount
        if before <= _NO_CASH:
            tags = None  # outside money only: never the payee's own, no round trip
            part = 0.0
        else:
            frac = amount / before
            frac = 1.0 if frac > 1.0 else frac  # min(frac, 1.0), NaN included
            scales[payer] = scale * (1.0 - frac)
            part = scale * frac
            tags = self._rows[payer]
            if payer == payee:  # the deposit below must not change the row it reads
                tags = dict(tags)
        round_trip = 0.0
        if tags is not None and payee_credit in _REVENUE:
            first = payee * self.n
            last = first + self.n
            home = [(c, value * part) for c, value in tags.items() if first <= c < last]
            if home:
                if len(home) > 1:
                    home.sort()
                round_trip = self._round_trip(payer, payee, home)
        scale = scales[payee]
        if scale < _TINY_SCALE:  # renormalise a row whose scale became tiny
            scale = self._row_for_deposit(payee)
        row = self._rows[payee]
        if financing:
            column = payer * self.n + payee
            row[column] = row.get(column, 0.0) + amount / scale
        elif tags is None:
            column = self._outside
            row[column] = row.get(column, 0.0) + (amount if scale == 1.0 else amount / scale)
        elif scale == 1.0:
            for column, value in tags.items():
                row[column] = row.get(column, 0.0) + value * part
        else:
            for column, value in tags.items():
                row[column] = row.get(column, 0.0) + value * part / scale
        if self.keep_log:
            self.payments.append(
                Payment(self.quarter, payer, payee, amount, memo, financing, round_trip)
            )
        return round_trip

    def receive_external(
        self,
        firm: int,
        amount: float,
        *,
        credit: Account,
        party: ExternalParty,
        memo: str,
        flow: CashFlowKind,
    ) -> None:
        """Cash enters firm ``firm`` from outside the modelled economy (USD bn ≥ 0)."""
        if not 0.0 < amount < math.inf and not _positive(amount):  # fast path first
            return
        self.ledgers[firm].post_transfer(memo, _CASH, credit, amount, flow)
        scale = self._scale[firm]
        if scale < _TINY_SCALE:  # renormalise before reading the row (:meth:`_row_for_deposit`)
            scale = self._row_for_deposit(firm)
        row, outside = self._rows[firm], self._outside
        row[outside] = row.get(outside, 0.0) + amount / scale
        self._external_net[firm] += amount
        if self.keep_log:
            self.external.append(ExternalFlow(self.quarter, firm, party, amount, memo))

    def pay_external(
        self,
        firm: int,
        amount: float,
        *,
        debit: Account,
        party: ExternalParty,
        memo: str,
        flow: CashFlowKind,
    ) -> None:
        """Cash leaves firm ``firm`` to outside the modelled economy (USD bn ≥ 0)."""
        if not 0.0 < amount < math.inf and not _positive(amount):  # fast path first
            return
        ledger = self.ledgers[firm]
        ledger.post_transfer(memo, debit, _CASH, amount, flow)
        # outflows to outside carry the firm's mix away pro rata: scale its row (as
        # :meth:`pay` scales the payer's)
        before = ledger.cash + amount
        if before > _NO_CASH:
            frac = amount / before
            self._scale[firm] *= 1.0 - (1.0 if frac > 1.0 else frac)
        self._external_net[firm] -= amount
        if self.keep_log:
            self.external.append(ExternalFlow(self.quarter, firm, party, -amount, memo))

    def cash(self) -> np.ndarray:
        """Cash per firm (USD bn)."""
        return np.array([ledger.cash for ledger in self.ledgers])

    def origin_mix(self) -> np.ndarray:
        """Origin shares per firm (rows sum to 1; last column = outside money)."""
        return np.vstack([self._mix(i) for i in range(self.n)])
