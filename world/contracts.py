"""Typed deals between firms and their schedules of cash flows.

A contract is a small mutable record (its status and progress change as it is
executed); its *terms* never change after signing except through an explicit
cancellation. Each contract can state its scheduled flows for a quarter
(:meth:`schedule`), which the settlement step turns into journal entries, possibly
scaled by delivery shortfalls or cash constraints. Parties are firm indices;
``EXTERNAL`` (−1) stands for the outside credit market.

The methods the quarter asks thousands of times (remaining value, billing, the next
delivery, planned deliveries) test ``status is ACTIVE`` rather than the :attr:`active`
property and bound values with conditional expressions rather than ``max``/``min``:
``0.0 if x < 0.0 else x`` is ``max(x, 0.0)``, NaN and signed zeros included, without a
builtin call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from world.params import DealKind

__all__ = [
    "ACTIVE",
    "EXTERNAL",
    "Backstop",
    "CloudContract",
    "Contract",
    "ContractStatus",
    "DealBook",
    "EquityInvestment",
    "FlowKind",
    "GpuOrder",
    "Loan",
    "ScheduledFlow",
    "SignedDeal",
    "Warrant",
]

#: Party index of the outside credit market.
EXTERNAL = -1
_NEVER = 1 << 62  # a quarter no run reaches (a memo of DealBook.interest that always holds)


class ContractStatus(StrEnum):
    """Life-cycle state of a contract."""

    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DEFAULTED = "defaulted"


_ACTIVE = ACTIVE = ContractStatus.ACTIVE  # for hot loops: ``c.status is ACTIVE`` is ``c.active``


class FlowKind(StrEnum):
    """What a scheduled flow pays for."""

    CLOUD_RENT = "cloud_rent"
    GPU_PREPAYMENT = "gpu_prepayment"
    GPU_DELIVERY = "gpu_delivery"
    EQUITY_TRANCHE = "equity_tranche"
    LOAN_DRAW = "loan_draw"
    INTEREST = "interest"
    PRINCIPAL = "principal"
    BACKSTOP = "backstop"


@dataclass(frozen=True, slots=True)
class ScheduledFlow:
    """A cash flow a contract schedules in one quarter (USD bn, GW where relevant)."""

    quarter: int
    payer: int
    payee: int
    amount: float
    kind: FlowKind
    gw: float = 0.0


@dataclass(slots=True)
class Contract:
    """Common fields of every deal."""

    id: int
    signed: int
    status: ContractStatus = field(default=ContractStatus.ACTIVE, kw_only=True)

    @property
    def active(self) -> bool:
        """True while the contract is being executed."""
        return self.status is _ACTIVE


@dataclass(slots=True)
class CloudContract(Contract):
    """Lab ``customer`` rents ``gw`` from ``provider`` for quarters [start, end).

    Billing per quarter: ``price · max(used, take_or_pay · delivered)`` where
    ``delivered ≤ gw_due(q)`` is what the provider can supply and ``used ≤ delivered``
    what the customer needs; revenue is recognised as capacity is delivered. The
    capacity due ramps up linearly over the first ``ramp`` quarters (``gw · k / ramp``
    in the contract's ``k``-th quarter, then ``gw``), as large real contracts do while
    their data centres are built; ``ramp = 1`` is all of it from the start.
    """

    customer: int
    provider: int
    gw: float
    price: float
    start: int
    end: int
    take_or_pay: float
    cancel_fee: float = 0.0  # share of the remaining value the customer pays to cancel
    ramp: int = 1  # quarters over which the GW due rises linearly to ``gw``

    def in_force(self, q: int) -> bool:
        """True if capacity is due in quarter ``q``."""
        return self.status is _ACTIVE and self.start <= q < self.end

    def gw_due(self, q: int) -> float:
        """Contracted GW in quarter ``q`` (during the ramp, ``gw · k / ramp`` in its k-th)."""
        if self.status is not _ACTIVE or not self.start <= q < self.end:
            return 0.0
        k = q - self.start + 1
        return self.gw if k >= self.ramp else self.gw * k / self.ramp

    def gw_quarters(self, q: int) -> float:
        """GW-quarters due from quarter ``q`` to the end, whatever the status.

        ``end - max(q, start)`` quarters, less what the ramp holds back of those within
        it: the contract's ``k``-th quarter (``k < ramp``) is ``1 - k / ramp`` short.
        """
        first = self.start if self.start > q else q
        quarters = self.end - first
        ramp = self.ramp
        if quarters <= 0 or ramp == 1:
            return float(quarters if quarters > 0 else 0)
        done = first - self.start  # quarters of the contract before ``first``
        last = ramp - 1 if ramp - 1 < self.end - self.start else self.end - self.start
        if done >= last:
            return float(quarters)
        # shortfalls (ramp - k) / ramp for k = done + 1 .. last: an arithmetic series
        hi, lo = ramp - done - 1, ramp - last
        return quarters - (hi + lo) * (hi - lo + 1) / (2 * ramp)

    def billed(self, delivered: float, used: float) -> float:
        """Amount billed for a quarter (USD bn) given delivered and used GW."""
        delivered = 0.0 if delivered < 0.0 else delivered
        delivered = self.gw if self.gw < delivered else delivered
        used = 0.0 if used < 0.0 else used
        used = delivered if delivered < used else used
        minimum = self.take_or_pay * delivered
        return self.price * (minimum if minimum > used else used)

    def schedule(self, q: int) -> list[ScheduledFlow]:
        """Nominal rent for quarter ``q`` (full delivery, full use)."""
        if not self.in_force(q):
            return []
        gw = self.gw_due(q)
        return [
            ScheduledFlow(q, self.customer, self.provider, gw * self.price, FlowKind.CLOUD_RENT, gw)
        ]

    def remaining_value(self, q: int) -> float:
        """Contract value still to be billed from quarter ``q`` on (USD bn)."""
        if self.status is not _ACTIVE:
            return 0.0
        return self.gw * self.price * self.gw_quarters(q)

    @property
    def value(self) -> float:
        """Total contract value (USD bn)."""
        return self.gw * self.price * self.gw_quarters(self.start)

    def cancellation_fee(self, q: int) -> float:
        """What the customer owes to cancel from quarter ``q`` on (USD bn)."""
        return self.cancel_fee * self.remaining_value(q)


@dataclass(slots=True)
class GpuOrder(Contract):
    """``buyer`` orders ``gw`` from ``supplier``; deliveries in equal parts.

    A prepayment (``prepay_share`` of the value) is paid at signing; each delivery
    ``gw / deliveries`` (as ordered) is invoiced at ``price`` per GW, net of the prepaid
    part. The buyer may cancel undelivered GW (:meth:`cut`), paying ``cancel_fee`` of
    their value; the order then completes earlier.
    """

    buyer: int
    supplier: int
    gw: float
    price: float
    first_delivery: int
    deliveries: int
    prepay_share: float
    delivered_gw: float = 0.0
    cancel_fee: float = 0.0  # share of the undelivered value the buyer pays to cancel
    part_gw: float = 0.0  # GW per delivery as ordered (set from gw / deliveries)
    # the remaining parts at full speed and sum(parts), for (gw, delivered_gw): see
    # _remaining_parts
    _parts_for: tuple[float, float] = field(
        default=(-1.0, -1.0), init=False, repr=False, compare=False
    )
    _parts: tuple[float, ...] = field(default=(), init=False, repr=False, compare=False)
    _parts_sum: float = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.part_gw <= 0.0:
            self.part_gw = self.gw / self.deliveries

    @property
    def value(self) -> float:
        """Order value (USD bn)."""
        return self.gw * self.price

    def next_part(self) -> float:
        """GW of the next delivery (the last one may be smaller after a cut)."""
        left = self.gw - self.delivered_gw
        left = 0.0 if left < 0.0 else left
        return left if left < self.part_gw else self.part_gw

    def cut(self, gw: float) -> float:
        """Cancel up to ``gw`` undelivered GW; return the fee owed (USD bn).

        The order is cancelled when nothing is left to deliver (completed if it was
        delivered in part). The prepaid share stays with the supplier.
        """
        cut = min(max(gw, 0.0), max(self.gw - self.delivered_gw, 0.0))
        fee = self.cancel_fee * cut * self.price
        self.gw -= cut
        if self.gw - self.delivered_gw <= 1e-9:
            self.status = (
                ContractStatus.COMPLETED if self.delivered_gw > 1e-9 else ContractStatus.CANCELLED
            )
        return fee

    def delivery_quarters(self) -> range:
        """Quarters in which a part is due as ordered (deliveries may slip later)."""
        return range(self.first_delivery, self.first_delivery + self.deliveries)

    def due(self, q: int) -> bool:
        """True if a part is due in quarter ``q``: from the first delivery until all is in.

        A supplier short of production capacity delivers less than a part; what is
        missing slips to later quarters.
        """
        return (
            self.status is _ACTIVE
            and q >= self.first_delivery
            and self.gw - self.delivered_gw > 1e-12
        )

    def planned(self, q: int, quarters: int) -> list[tuple[int, float]]:
        """(quarter, GW) of the remaining deliveries in ``(q, q + quarters]`` at full speed."""
        first, parts = self._planned_parts(q, quarters)
        return [(first + k, part) for k, part in enumerate(parts)]

    def planned_gw(self, q: int, quarters: int) -> float:
        """Sum of the GW of :meth:`planned` (the same parts, added in the same order).

        :meth:`_planned_parts` written out (asked for every order, many times a quarter).
        Most asks span all the parts left: their sum is kept with them.
        """
        if self.status is not _ACTIVE:
            return 0  # sum(()), as summing no parts gives
        if self._parts_for != (self.gw, self.delivered_gw):  # the cache check, inlined
            self._remaining_parts()
        first = q + 1 if q + 1 > self.first_delivery else self.first_delivery
        n = q + quarters - first + 1
        parts = self._parts
        if n >= len(parts):
            return self._parts_sum  # sum(parts)
        return sum(parts[: n if n > 0 else 0])

    def cash_due(self, q: int, quarters: int, build_per_gw: float) -> float:
        """Cash the buyer pays for the deliveries of :meth:`planned` (USD bn).

        Each GW costs its price net of the prepaid share, plus ``build_per_gw`` to build
        it into a data centre.
        """
        return self.planned_gw(q, quarters) * ((1 - self.prepay_share) * self.price + build_per_gw)

    def _planned_parts(self, q: int, quarters: int) -> tuple[int, tuple[float, ...]]:
        """The first planned quarter and the GW of each delivery from it, at full speed."""
        first = q + 1 if q + 1 > self.first_delivery else self.first_delivery
        if self.status is not _ACTIVE:
            return first, ()
        parts = self._remaining_parts()
        n = q + quarters - first + 1
        return first, parts if n >= len(parts) else parts[: n if n > 0 else 0]

    def _remaining_parts(self) -> tuple[float, ...]:
        """GW of each delivery still to come at full speed (``part_gw``, the last smaller).

        Asked many times a quarter (committed capex, prospects) while the order stays
        the same: cached, with their sum (:meth:`planned_gw`), until ``gw`` or
        ``delivered_gw`` change.
        """
        now = (self.gw, self.delivered_gw)
        if self._parts_for != now:
            left = now[0] - now[1]
            left = 0.0 if left < 0.0 else left
            part_gw = self.part_gw
            parts = []
            while left > 1e-12:
                part = left if left < part_gw else part_gw
                parts.append(part)
                left -= part
            self._parts = tuple(parts)
            self._parts_sum = sum(self._parts)
            self._parts_for = now
        return self._parts

    def schedule(self, q: int) -> list[ScheduledFlow]:
        """Prepayment at signing and cash due per delivery (USD bn)."""
        flows = []
        if q == self.signed and self.prepay_share > 0:
            flows.append(
                ScheduledFlow(
                    q,
                    self.buyer,
                    self.supplier,
                    self.prepay_share * self.value,
                    FlowKind.GPU_PREPAYMENT,
                )
            )
        if self.active and q in self.delivery_quarters():
            part = self.next_part()
            flows.append(
                ScheduledFlow(
                    q,
                    self.buyer,
                    self.supplier,
                    (1 - self.prepay_share) * part * self.price,
                    FlowKind.GPU_DELIVERY,
                    part,
                )
            )
        return flows

    def remaining_value(self) -> float:
        """Value not yet delivered (supplier backlog, USD bn)."""
        if self.status is not _ACTIVE:
            return 0.0
        left = self.gw - self.delivered_gw
        return (0.0 if left < 0.0 else left) * self.price


@dataclass(slots=True)
class EquityInvestment(Contract):
    """``investor`` buys equity of ``investee``: upfront, then ``per_gw`` per GW deployed.

    Tranches unlock as the investee's compute in use exceeds ``base_gw`` by whole
    GW; the total is capped at ``max_amount``.
    """

    investor: int
    investee: int
    upfront: float
    per_gw: float
    max_amount: float
    base_gw: float
    paid: float = 0.0

    def unlocked(self, investee_gw: float) -> float:
        """Cumulative amount unlocked by the milestones reached (USD bn)."""
        milestones = math.floor(max(investee_gw - self.base_gw, 0.0) + 1e-9)
        return min(self.upfront + self.per_gw * milestones, self.max_amount)

    def due(self, investee_gw: float) -> float:
        """Amount unlocked but not yet paid (USD bn)."""
        if self.status is not _ACTIVE:
            return 0.0
        return max(self.unlocked(investee_gw) - self.paid, 0.0)

    def schedule(self, q: int, investee_gw: float = 0.0) -> list[ScheduledFlow]:
        """Tranche due in quarter ``q`` given the investee's GW in use."""
        amount = self.due(investee_gw)
        if amount <= 0:
            return []
        return [ScheduledFlow(q, self.investor, self.investee, amount, FlowKind.EQUITY_TRANCHE)]

    @property
    def value(self) -> float:
        """Maximum amount of the deal (USD bn)."""
        return self.max_amount


@dataclass(slots=True)
class Warrant(Contract):
    """``grantor`` grants ``holder`` up to ``share_fraction`` of its shares, vesting per GW.

    The holder vests ``share_fraction · purchased / vest_gw`` as it buys GW from the
    grantor (strike ≈ 0). Vesting is non-cash: the holder books the fair value as
    an asset and a gain, the grantor as a sales-incentive expense against equity.
    """

    grantor: int
    holder: int
    share_fraction: float
    vest_gw: float
    purchased_gw: float = 0.0
    vested_fraction: float = 0.0

    def vest(self, gw_bought: float) -> float:
        """Record ``gw_bought`` purchased; return the newly vested share fraction."""
        if not self.active or gw_bought <= 0:
            return 0.0
        self.purchased_gw += gw_bought
        target = self.share_fraction * min(self.purchased_gw / self.vest_gw, 1.0)
        new = max(target - self.vested_fraction, 0.0)
        self.vested_fraction = target
        if self.vested_fraction >= self.share_fraction - 1e-12:
            self.status = ContractStatus.COMPLETED
        return new

    @property
    def value(self) -> float:
        """Warrants have no cash value at signing (USD bn)."""
        return 0.0


@dataclass(slots=True)
class Loan(Contract):
    """Debt of ``borrower`` to ``lender`` (a firm, or ``EXTERNAL`` for the credit market).

    Interest ``principal · rate / 4`` each quarter after the draw, principal repaid
    at ``maturity`` (or rolled over by the lender's decision).
    """

    lender: int
    borrower: int
    principal: float
    rate: float
    maturity: int
    vendor: bool = False
    revolver: bool = False

    def schedule(self, q: int) -> list[ScheduledFlow]:
        """Draw at signing, interest each later quarter, principal at maturity."""
        if not self.active:
            return []
        if q == self.signed:
            return [
                ScheduledFlow(q, self.lender, self.borrower, self.principal, FlowKind.LOAN_DRAW)
            ]
        flows = []
        if self.signed < q <= self.maturity:
            flows.append(
                ScheduledFlow(
                    q, self.borrower, self.lender, self.principal * self.rate / 4, FlowKind.INTEREST
                )
            )
        if q == self.maturity:
            flows.append(
                ScheduledFlow(q, self.borrower, self.lender, self.principal, FlowKind.PRINCIPAL)
            )
        return flows

    def interest_due(self, q: int) -> float:
        """Interest payable in quarter ``q`` (USD bn)."""
        return self.principal * self.rate / 4 if self.status is _ACTIVE and self.signed < q else 0.0

    @property
    def value(self) -> float:
        """Principal (USD bn)."""
        return self.principal


@dataclass(slots=True)
class Backstop(Contract):
    """``guarantor`` buys ``provider``'s unused capacity up to ``gw`` at ``price`` per GW-q."""

    guarantor: int
    provider: int
    gw: float
    price: float
    start: int
    end: int

    def in_force(self, q: int) -> bool:
        """True if the guarantee covers quarter ``q``."""
        return self.status is _ACTIVE and self.start <= q < self.end

    def purchase(self, q: int, unused_gw: float) -> float:
        """Amount the guarantor pays for ``unused_gw`` idle GW in quarter ``q`` (USD bn)."""
        if not self.in_force(q):
            return 0.0
        return self.price * min(max(unused_gw, 0.0), self.gw)

    @property
    def value(self) -> float:
        """Maximum value of the guarantee (USD bn)."""
        return self.gw * self.price * (self.end - self.start)


class SignedDeal(NamedTuple):
    """Record of a signing, for the deal network and the calibration test."""

    quarter: int
    contract_id: int
    kind: DealKind
    payer: int
    payee: int
    value: float
    gw: float
    endogenous: bool


def _pruned_indexes(parties: dict, items: list, keep: list, closed: list) -> dict:
    """The indexes of :meth:`DealBook.by` over ``items`` that were current, for ``keep``.

    ``keep`` is ``items``' active contracts in order, ``closed`` the others; each group
    keeps its active contracts (groups left empty go). Only the groups of a party to a
    closed contract are filtered: the others have none to drop and are kept as they
    are. An index not stamped with ``items`` (id and length) is stale and not carried
    over: a later list could reuse the old id() and length, and an index stamped with
    them would then look current.
    """
    list_id, n = id(items), len(items)
    pruned = {}
    for party, entry in parties.items():
        if entry[0] == list_id and entry[1] == n:
            groups = dict(entry[2])  # (a key keeps its place when its group is replaced)
            for key in {getattr(c, party) for c in closed}:
                active = [c for c in groups[key] if c.status is _ACTIVE]
                if active:
                    groups[key] = active
                else:
                    del groups[key]
            pruned[party] = [id(keep), len(keep), groups]
    return pruned


@dataclass
class DealBook:
    """All contracts of one model, with a per-model id counter.

    The contract lists are read by anyone but changed only here (:meth:`add`,
    :meth:`add_opening_loan`, :meth:`prune`), which keeps every index of :meth:`by`
    current: :meth:`of` trusts an index once built.
    """

    cloud: list[CloudContract] = field(default_factory=list)
    gpu: list[GpuOrder] = field(default_factory=list)
    equity: list[EquityInvestment] = field(default_factory=list)
    warrants: list[Warrant] = field(default_factory=list)
    loans: list[Loan] = field(default_factory=list)
    backstops: list[Backstop] = field(default_factory=list)
    signed: list[SignedDeal] = field(default_factory=list)
    closed: list[Contract] = field(default_factory=list)
    _next_id: int = 0
    revision: int = 0  # bumped whenever the book's contracts change (for caches)
    # the indexes of :meth:`by`: kind -> party -> [id of the list, its length, groups]
    # (nested dicts: a lookup builds no key tuple)
    _index: dict = field(default_factory=dict, repr=False, compare=False)
    # the memo of :meth:`interest`: borrower -> (first quarter, last quarter, interest)
    _interest: dict = field(default_factory=dict, repr=False, compare=False)
    # borrower -> the latest signing quarter of the loans added for it (see _loan_added)
    _last_signed: dict = field(default_factory=dict, repr=False, compare=False)

    def by(self, kind: str, party: str) -> dict[int, list]:
        """The contracts of list ``kind`` (e.g. ``"cloud"``) grouped by field ``party``.

        ``book.by("cloud", "provider")[i]`` are provider ``i``'s cloud contracts still in
        the book (active or closed this quarter: callers check ``active``). Kept up to
        date as contracts are added and rebuilt when the list is pruned, so a firm's
        lookups do not scan every contract.
        """
        items = getattr(self, kind)
        parties = self._index.setdefault(kind, {})
        entry = parties.get(party)
        if entry is not None and entry[0] == id(items) and entry[1] == len(items):
            return entry[2]
        groups: dict[int, list] = {}
        for c in items:
            groups.setdefault(getattr(c, party), []).append(c)
        if entry is None:
            entry = parties[party] = [0, 0, groups]
        entry[0], entry[1], entry[2] = id(items), len(items), groups
        return groups

    def _indexed(self, kind: str, contract: Contract) -> None:
        """Append a contract just added to list ``kind`` to the indexes built over it."""
        parties = self._index.get(kind)
        if parties is None:
            return
        items = getattr(self, kind)
        list_id, n = id(items), len(items)
        for party, entry in parties.items():
            if entry[0] == list_id and entry[1] == n - 1:
                entry[2].setdefault(getattr(contract, party), []).append(contract)
                entry[1] = n

    def of(self, kind: str, party: str, firm: int) -> list:
        """Firm ``firm``'s contracts of list ``kind`` as ``party`` (see :meth:`by`)."""
        try:  # an index built is kept current (see the class docstring)
            groups = self._index[kind][party][2]
        except KeyError:  # not built yet
            return self.by(kind, party).get(firm, [])
        found = groups.get(firm)  # (no empty list made for a firm that has some)
        return [] if found is None else found

    def prune(self) -> None:
        """Move contracts that are no longer active to :attr:`closed` (keeps loops short).

        The indexes of a pruned list that were current are pruned with it (each group
        keeps its active contracts, in order: the groups a rebuild would make, with no
        getattr per contract kept and no pass over the groups that lost none); the
        others are dropped.
        """
        for name in ("cloud", "gpu", "equity", "warrants", "loans", "backstops"):
            items = getattr(self, name)
            closed = [c for c in items if c.status is not _ACTIVE]
            if closed:  # (most lists lose none in a quarter: one pass over them)
                keep = [c for c in items if c.status is _ACTIVE]
                self.closed.extend(closed)
                setattr(self, name, keep)
                parties = self._index.pop(name, None)
                if parties:
                    self._index[name] = _pruned_indexes(parties, items, keep, closed)

    def interest(self, borrower: int, q: int) -> float:
        """Interest ``borrower`` owes on its loans in quarter ``q`` (USD bn).

        :meth:`Loan.interest_due` summed over its loans in the book's order, inlined (the
        loans that owe nothing add 0.0 there, which leaves a sum from +0.0 unchanged).
        Asked for every firm several times a quarter while its loans mostly stay the
        same, so it is memoised per borrower: until one of its loans changes
        (:meth:`loan_changed`) or a loan it signed in or after the quarter of the sum
        starts to owe interest (the sum holds up to that loan's signing quarter; a loan
        added later narrows the quarters it holds for: :meth:`_loan_added`).
        """
        memo = self._interest.get(borrower)
        if memo is not None and memo[0] <= q <= memo[1]:
            return memo[2]
        loans = self.of("loans", "borrower", borrower)
        total = sum(
            [ln.principal * ln.rate / 4 for ln in loans if ln.status is _ACTIVE and ln.signed < q],
            0.0,
        )
        # with a loan signed in q or later (which owes interest from the quarter after its
        # signing) the sum holds for q alone; without, until a loan is added
        last = self._last_signed.get(borrower)
        self._interest[borrower] = (q, q if last is not None and last >= q else _NEVER, total)
        return total

    def loan_changed(self, loan: Loan) -> None:
        """Note that ``loan``'s terms or status changed: its borrower's interest is summed anew.

        Every change of a loan in the book (principal, rate, maturity, status) must be
        followed by this call (see :meth:`interest`).
        """
        self._interest.pop(loan.borrower, None)

    def _loan_added(self, loan: Loan) -> None:
        """Keep the borrower's memoised interest valid with ``loan`` just added to the book.

        A loan owes no interest up to its signing quarter: a sum from a quarter no later
        than that still holds until then; an older one is summed anew.
        """
        last = self._last_signed.get(loan.borrower)
        if last is None or last < loan.signed:
            self._last_signed[loan.borrower] = loan.signed
        memo = self._interest.get(loan.borrower)
        if memo is None:
            return
        if memo[0] <= loan.signed:
            until = loan.signed if loan.signed < memo[1] else memo[1]
            self._interest[loan.borrower] = (memo[0], until, memo[2])
        else:
            del self._interest[loan.borrower]

    def add_opening_loan(self, loan: Loan) -> None:
        """Add a loan the borrower had before the run (not a signing: none is recorded)."""
        self.revision += 1
        self._add_loan(loan)

    def _add_loan(self, loan: Loan) -> None:
        """Put ``loan`` in the book: listed, indexed, its borrower's interest memo kept valid."""
        self.loans.append(loan)
        self._indexed("loans", loan)
        self._loan_added(loan)

    def touch(self) -> None:
        """Mark the book as changed (a contract was cancelled, cut or delivered)."""
        self.revision += 1

    def new_id(self) -> int:
        """Next contract id (unique within this model)."""
        self._next_id += 1
        return self._next_id

    def record(
        self,
        contract: Contract,
        kind: DealKind,
        payer: int,
        payee: int,
        gw: float,
        endogenous: bool,
    ) -> None:
        """Log a signing."""
        value = float(getattr(contract, "value", 0.0))
        self.signed.append(
            SignedDeal(contract.signed, contract.id, kind, payer, payee, value, gw, endogenous)
        )

    def add(self, contract: Contract, *, endogenous: bool) -> None:
        """Add a freshly signed contract and record the signing."""
        self.revision += 1
        match contract:
            case CloudContract():
                self.cloud.append(contract)
                self._indexed("cloud", contract)
                self.record(
                    contract,
                    DealKind.CLOUD_CONTRACT,
                    contract.customer,
                    contract.provider,
                    contract.gw,
                    endogenous,
                )
            case GpuOrder():
                self.gpu.append(contract)
                self._indexed("gpu", contract)
                self.record(
                    contract,
                    DealKind.GPU_ORDER,
                    contract.buyer,
                    contract.supplier,
                    contract.gw,
                    endogenous,
                )
            case EquityInvestment():
                self.equity.append(contract)
                self._indexed("equity", contract)
                self.record(
                    contract,
                    DealKind.EQUITY_INVESTMENT,
                    contract.investor,
                    contract.investee,
                    0.0,
                    endogenous,
                )
            case Warrant():
                self.warrants.append(contract)
                self._indexed("warrants", contract)
                self.record(
                    contract,
                    DealKind.WARRANT,
                    contract.grantor,
                    contract.holder,
                    contract.vest_gw,
                    endogenous,
                )
            case Loan():
                self._add_loan(contract)
                kind = DealKind.VENDOR_LOAN if contract.vendor else DealKind.DEBT
                self.record(contract, kind, contract.lender, contract.borrower, 0.0, endogenous)
            case Backstop():
                self.backstops.append(contract)
                self._indexed("backstops", contract)
                self.record(
                    contract,
                    DealKind.BACKSTOP,
                    contract.guarantor,
                    contract.provider,
                    contract.gw,
                    endogenous,
                )
            case _:
                raise TypeError(f"unknown contract type {type(contract).__name__}")
