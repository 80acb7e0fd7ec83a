"""The app's data, gathered incrementally: each Step adds one quarter, nothing is rebuilt.

:class:`LiveData` reads only what the model recorded since the last call — the new
rows of ``model.records`` (system, firm and loop rows), the new signings of
``model.deals.signed`` and the new events of ``model.events`` — and keeps them as
short Python lists (one value per quarter), the USD round the article's loop per
quarter, the deal network as totals per (payer, payee), and the timeline as formatted
rows. Plots read these lists; the
work per Step is proportional to one quarter, not to the run so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from world.events import EventKind
from world.metrics import FIRM_COLUMNS, SYSTEM_COLUMNS
from world.model import AIEconomy
from world.params import quarter_label

__all__ = ["LOOP", "Edge", "LiveData", "TimelineRow", "quarter_labels"]

#: The circular-financing loop of the article, in the direction money flows: NVIDIA
#: invests in OpenAI, OpenAI pays Oracle for compute, Oracle pays NVIDIA for chips.
LOOP: tuple[str, ...] = ("NVIDIA", "OpenAI", "Oracle")

#: System and firm columns that are text, not numbers (kept apart).
_TEXT_COLUMNS = {"period", "firm", "role", "minsky", "funding_round_outcome"}

#: Words for the timeline, one per kind of event.
EVENT_WORDS = {
    EventKind.SHOCK: "shock",
    EventKind.ROUND_FULL: "funding round filled",
    EventKind.ROUND_UNDERSUBSCRIBED: "funding round undersubscribed",
    EventKind.ROUND_FAILED: "funding round failed",
    EventKind.RESCUE_ROUND: "rescue round",
    EventKind.STRATEGIC_INVESTMENT: "strategic investment",
    EventKind.PRICE_CUT: "price cut",
    EventKind.PRICE_RISE: "price rise",
    EventKind.COVENANT_BREACH: "covenant breach",
    EventKind.CREDIT_REFUSED: "credit refused",
    EventKind.LOAN_ROLLED: "loan rolled over",
    EventKind.LOAN_RESTRUCTURED: "loan restructured",
    EventKind.LOAN_CALLED: "loan called",
    EventKind.COMMITMENT_CUT: "commitments cut",
    EventKind.STAKE_SALE: "stakes sold",
    EventKind.MISSED_PAYMENT: "missed payment",
    EventKind.DEFAULT: "DEFAULT",
    EventKind.WRITE_DOWN: "write-down",
    EventKind.STAKE_LOSS: "stake lost",
    EventKind.CONTAGION_LOSS: "contagion loss",
}
#: How alarming each kind is (0 good news … 3 default), for the timeline's colours.
EVENT_SEVERITY = {
    EventKind.ROUND_FULL: 0,
    EventKind.LOAN_ROLLED: 0,
    EventKind.STRATEGIC_INVESTMENT: 0,
    EventKind.PRICE_RISE: 0,
    EventKind.SHOCK: 1,
    EventKind.PRICE_CUT: 1,
    EventKind.LOAN_RESTRUCTURED: 1,
    EventKind.ROUND_UNDERSUBSCRIBED: 2,
    EventKind.RESCUE_ROUND: 2,
    EventKind.COVENANT_BREACH: 2,
    EventKind.CREDIT_REFUSED: 2,
    EventKind.LOAN_CALLED: 2,
    EventKind.COMMITMENT_CUT: 2,
    EventKind.STAKE_SALE: 2,
    EventKind.WRITE_DOWN: 2,
    EventKind.STAKE_LOSS: 2,
    EventKind.CONTAGION_LOSS: 2,
    EventKind.ROUND_FAILED: 3,
    EventKind.MISSED_PAYMENT: 3,
    EventKind.DEFAULT: 3,
}


def quarter_labels(model: AIEconomy) -> list[str]:
    """Calendar label of every quarter of the run (the fixed x-axis), e.g. ``"2026Q1"``."""
    p = model.params
    return [quarter_label(p.start_index + q) for q in range(p.quarters)]


def _number(x: object) -> float | None:
    """A JSON-safe number (``None`` for NaN, ±inf or a missing value)."""
    if x is None:
        return None
    v = float(x)  # type: ignore[arg-type]
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class Edge:
    """Deals signed from one firm to another, summed over the run so far.

    ``payer`` pays ``payee`` (``"outside"``: investors, lenders, consumers).
    """

    payer: str
    payee: str
    value: float  # USD bn signed (contract values)
    kinds: tuple[str, ...]  # deal kinds, in order of first signing


@dataclass(frozen=True)
class TimelineRow:
    """One event of the live timeline, in words."""

    period: str
    firm: str
    what: str
    amount: str
    cause: str
    severity: int


@dataclass
class LiveData:
    """What the panels plot, collected quarter by quarter from one model.

    Call :meth:`update` after each Step (or several); it reads only the rows, deals
    and events added since the previous call.
    """

    model: AIEconomy
    system: dict[str, list[float | None]] = field(default_factory=dict)
    firms: dict[str, dict[str, list[float | None]]] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)
    edges: dict[tuple[str, str], tuple[float, list[str]]] = field(default_factory=dict)
    timeline: list[TimelineRow] = field(default_factory=list)
    shocks: list[str] = field(default_factory=list)  # quarters a shock hit (labels, in order)
    loop_usd: list[float] = field(default_factory=list)  # USD bn round LOOP, per quarter
    quarters_done: int = 0
    deals_seen: int = 0
    events_seen: int = 0
    loops_seen: int = 0

    def __post_init__(self) -> None:
        self.names = [f.name for f in self.model.firms]
        self.roles = {f.name: f.role.value for f in self.model.firms}
        self.labels = quarter_labels(self.model)
        self._sys_idx = [
            (k, c) for k, c in enumerate(SYSTEM_COLUMNS) if c not in _TEXT_COLUMNS and k > 0
        ]
        self._firm_idx = [
            (k, c) for k, c in enumerate(FIRM_COLUMNS) if c not in _TEXT_COLUMNS and k > 0
        ]
        self._outcome_idx = (
            SYSTEM_COLUMNS.index("funding_round_outcome")
            if "funding_round_outcome" in SYSTEM_COLUMNS
            else None
        )
        for _, col in self._sys_idx:
            self.system[col] = []
        for _, col in self._firm_idx:
            self.firms[col] = {name: [] for name in self.names}
        self.update()

    # -- reading the model ----------------------------------------------------------
    def update(self) -> bool:
        """Read the quarters, deals and events added since the last call (True if any)."""
        records = self.model.records
        rows = records.system_rows
        n = len(self.names)
        new = len(rows) > self.quarters_done
        for q in range(self.quarters_done, len(rows)):
            row = rows[q]
            for k, col in self._sys_idx:
                self.system[col].append(_number(row[k]))
            if self._outcome_idx is not None:
                self.outcomes.append(str(row[self._outcome_idx]))
            if records.keep_firm_rows:
                for frow in records.firm_rows[q * n : (q + 1) * n]:
                    name = frow[2]
                    for k, col in self._firm_idx:
                        self.firms[col][name].append(_number(frow[k]))
        self.quarters_done = len(rows)
        self._read_loops()
        self._read_deals()
        self._read_events()
        return new

    def _read_loops(self) -> None:
        """USD round :data:`LOOP` per quarter (origin → via ⇝ payer → origin, see world.metrics)."""
        loop = tuple(self.names.index(n) if n in self.names else -1 for n in LOOP)
        self.loop_usd += [0.0] * (self.quarters_done - len(self.loop_usd))
        rows = self.model.records.loop_rows
        for q, _, origin, via, payer, usd in rows[self.loops_seen :]:
            if (origin, via, payer) == loop:
                self.loop_usd[q] += usd
        self.loops_seen = len(rows)

    def _read_deals(self) -> None:
        signed = self.model.deals.signed
        for d in signed[self.deals_seen :]:
            payer = self.names[d.payer] if d.payer >= 0 else "outside"
            payee = self.names[d.payee] if d.payee >= 0 else "outside"
            value, kinds = self.edges.get((payer, payee), (0.0, []))
            kind = d.kind.value
            self.edges[(payer, payee)] = (
                value + float(d.value),
                kinds if kind in kinds else [*kinds, kind],
            )
        self.deals_seen = len(signed)

    def _read_events(self) -> None:
        events = self.model.events.events
        start = self.model.params.start_index
        for e in events[self.events_seen :]:
            if e.kind is EventKind.SHOCK and quarter_label(start + e.quarter) not in self.shocks:
                self.shocks.append(quarter_label(start + e.quarter))
            self.timeline.append(
                TimelineRow(
                    period=quarter_label(start + e.quarter),
                    firm=self.names[e.firm] if e.firm >= 0 else "system",
                    what=EVENT_WORDS.get(e.kind, str(e.kind)),
                    amount=_amount(e.kind, e.amount),
                    cause=e.cause
                    + (f" (with {self.names[e.counterparty]})" if e.counterparty >= 0 else ""),
                    severity=EVENT_SEVERITY.get(e.kind, 1),
                )
            )
        self.events_seen = len(events)

    # -- shaped for the panels --------------------------------------------------------
    def column(self, name: str) -> list[float | None]:
        """A numeric system column, one value per quarter done (empty if not recorded)."""
        return self.system.get(name, [])

    def firm_column(self, name: str, firm: str) -> list[float | None]:
        """A numeric firm column of one firm, one value per quarter done."""
        return self.firms.get(name, {}).get(firm, [])

    def network(self) -> list[Edge]:
        """The deal network so far: one edge per (payer, payee), largest first."""
        return sorted(
            (Edge(p, q, v, tuple(k)) for (p, q), (v, k) in self.edges.items()),
            key=lambda e: -e.value,
        )


def _amount(kind: EventKind, amount: float) -> str:
    if kind is EventKind.SHOCK:
        return f"sentiment {amount:+.2f}" if amount else ""
    if kind in (EventKind.PRICE_CUT, EventKind.PRICE_RISE):
        return f"price {amount:.3g}"
    return f"${amount:,.1f} bn"
