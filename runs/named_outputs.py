"""Named run outputs: the figures scenario claims, sweeps and the validation suite talk about.

Every output is one number per run, computed from the run's records only — the
per-firm valuation, default, revenue, AI-revenue and payout paths (kept even by lean
sweep runs), the system columns and the event log — so a single run, a sweep's runs
table and ``aipm check-model`` compute it the same way. :data:`OUTPUTS` lists them
with their unit, kind and definition; :func:`compute_outputs` computes them all.

Terms (see :mod:`world.regimes`): *AI revenue* is a firm's revenue from cloud
compute, GPUs, subscriptions and API (all but its legacy business); the *AI-exposed
value* of a firm is its valuation, plus the cash it has returned to its shareholders
since the start, times the AI share of its last four quarters' revenue, and the
network's is the sum over firms. Sums "over the run" add every
simulated quarter. (Not to be confused with :mod:`runs.output`, which writes files.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

import numpy as np

from world.pathstats import max_drawdown, trailing_sum
from world.regimes import Regime, RegimeStats, ai_exposed_value, label_of, regime_stats

__all__ = [
    "OUTPUTS",
    "EventArrays",
    "NamedOutput",
    "OutputKind",
    "RunPaths",
    "compute_outputs",
    "output_names",
]

#: Event kinds (``world.events.EventKind`` values) that show a lab ran out of funding.
LAB_DISTRESS_EVENTS = frozenset({"missed_payment", "default", "rescue_round", "commitment_cut"})
#: Event kinds of a lab funding round that did not raise what it sought.
FUNDING_FAILURE_EVENTS = frozenset({"round_failed", "round_undersubscribed"})
#: Event kinds of every lab funding round, whatever it raised.
ROUND_EVENTS = FUNDING_FAILURE_EVENTS | {"round_full"}


class OutputKind(StrEnum):
    """What kind of number an output is (it decides the statistical test of a claim)."""

    AMOUNT = "amount"
    """A continuous quantity (USD bn, a fraction): compared by Mann–Whitney U."""
    COUNT = "count"
    """A count of firms or events per run: compared by Mann–Whitney U."""
    FLAG = "flag"
    """0 or 1 per run: a rate over seeds, compared by Fisher's exact test."""


@dataclass(frozen=True)
class EventArrays:
    """A run's event log as arrays: firm index (``-1``: system), kind and amount."""

    firm: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    amount: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))

    @classmethod
    def from_events(cls, events: Sequence) -> EventArrays:
        """From ``world.events.Event`` records (``firm``, ``kind``, ``amount`` fields)."""
        return cls(
            np.array([e.firm for e in events], dtype=np.int64),
            np.array([str(e.kind) for e in events], dtype=object),
            np.array([e.amount for e in events], dtype=np.float64),
        )

    def select(self, firms: np.ndarray, kinds: frozenset[str]) -> np.ndarray:
        """Mask of the events of the given kinds that happened to one of ``firms``."""
        n = len(self.kind)
        if not n:
            return np.zeros(0, dtype=bool)
        # membership tests on a hundred-odd events: set lookups beat np.isin's sorting
        chosen = set(np.asarray(firms).tolist())
        return np.fromiter(
            (
                f in chosen and k in kinds
                for f, k in zip(self.firm.tolist(), self.kind, strict=True)
            ),
            dtype=bool,
            count=n,
        )


@dataclass(frozen=True)
class RunPaths:
    """What the named outputs are computed from: one run's paths and events.

    Attributes
    ----------
    names, roles
        Firm names and roles (``chip``, ``cloud``, ``lab``), in column order.
    valuation, revenue, ai_revenue
        Shape ``(quarters, firms)``: valuation (USD bn; negative counts as 0),
        revenue and AI revenue (USD bn per quarter).
    defaulted
        Shape ``(quarters, firms)``, bool.
    system
        System columns (``world.metrics.SYSTEM_COLUMNS``), one value per quarter.
    events
        The event log.
    payouts
        Shape ``(quarters, firms)``: cash returned to shareholders each quarter (USD
        bn); none: nothing was paid out.
    equity_raised
        Shape ``(quarters, firms)``: cash paid in for new shares each quarter (USD
        bn); none: no shares were sold.
    """

    names: tuple[str, ...]
    roles: tuple[str, ...]
    valuation: np.ndarray
    defaulted: np.ndarray
    revenue: np.ndarray
    ai_revenue: np.ndarray
    system: Mapping[str, np.ndarray]
    events: EventArrays = field(default_factory=EventArrays)
    payouts: np.ndarray | None = None
    equity_raised: np.ndarray | None = None

    def of(self, role: str) -> np.ndarray:
        """Column indices of the firms of ``role``."""
        return np.flatnonzero(self._role_array == role)

    @cached_property
    def _role_array(self) -> np.ndarray:
        """:attr:`roles` as an array (the outputs ask for the firms of a role a dozen times)."""
        return np.asarray(self.roles)

    @cached_property
    def ai_value(self) -> np.ndarray:
        """AI-exposed value per firm, ``(quarters, firms)``, USD bn (payouts and rounds counted)."""
        return ai_exposed_value(
            self.valuation,
            self.revenue,
            self.ai_revenue,
            payouts=self.payouts,
            equity_raised=self.equity_raised,
        )

    @cached_property
    def network_ai_value(self) -> np.ndarray:
        """The network's AI-exposed value per quarter, USD bn."""
        return self.ai_value.sum(axis=1)

    @cached_property
    def regime_stats(self) -> RegimeStats:
        """The figures the regime label is read from (:func:`world.regimes.regime_stats`)."""
        ai_revenue = np.clip(self.ai_revenue, 0.0, None).sum(axis=1)
        return regime_stats(self.network_ai_value, ai_revenue, self.defaulted)

    @cached_property
    def regime(self) -> Regime:
        """The run's regime label (:func:`world.regimes.classify_regime`)."""
        return label_of(self.regime_stats)


@dataclass(frozen=True)
class NamedOutput:
    """One named output: its unit, kind, definition and how to compute it."""

    name: str
    unit: str
    kind: OutputKind
    description: str
    compute: Callable[[RunPaths], float] = field(repr=False, compare=False)


def _ai_sum(role: str) -> Callable[[RunPaths], float]:
    return lambda p: float(p.ai_revenue[:, p.of(role)].sum())


#: Booked losses on exposures to counterparties: vendor loans written off or
#: restructured, stakes in defaulters wiped out (world.events).
BOOKED_LOSS_EVENTS = frozenset({"write_down", "stake_loss"})
#: The DebtRank estimate of what each default cost the other firms.
CONTAGION_EVENTS = frozenset({"contagion_loss"})


def _losses(role: str, kinds: frozenset[str]) -> Callable[[RunPaths], float]:
    def compute(p: RunPaths) -> float:
        mask = p.events.select(p.of(role), kinds)
        return float(p.events.amount[mask].sum()) if mask.size else 0.0

    return compute


def _count(kinds: frozenset[str]) -> Callable[[RunPaths], float]:
    return lambda p: int(p.events.select(p.of("lab"), kinds).sum())


def _failed_round_share(p: RunPaths) -> float:
    rounds = int(p.events.select(p.of("lab"), ROUND_EVENTS).sum())
    return _count(FUNDING_FAILURE_EVENTS)(p) / rounds if rounds else 0.0


def _lab_default(p: RunPaths) -> int:
    return int(p.defaulted[:, p.of("lab")].any())


def _lab_distress(p: RunPaths) -> int:
    return int(_lab_default(p) or p.events.select(p.of("lab"), LAB_DISTRESS_EVENTS).any())


def _round_trip_share(p: RunPaths) -> float:
    ai = float(p.ai_revenue.sum())
    return float(np.nansum(p.system["round_trip_revenue"])) / ai if ai > 1e-12 else 0.0


def _supplier_revenue_fall(p: RunPaths) -> float:
    annual = trailing_sum(p.ai_revenue[:, p.of("chip")].sum(axis=1))
    return float(max_drawdown(np.clip(annual, 0.0, None)))


def _defaults(p: RunPaths) -> int:
    return int(p.defaulted.any(axis=0).sum())


_LIST = (
    NamedOutput(
        "lab_revenue", "USD bn", OutputKind.AMOUNT,
        "AI labs' revenue (subscriptions and API), summed over the run.",
        _ai_sum("lab"),
    ),
    NamedOutput(
        "provider_revenue", "USD bn", OutputKind.AMOUNT,
        "Cloud providers' AI revenue (compute rented to labs and outside customers), "
        "summed over the run.",
        _ai_sum("cloud"),
    ),
    NamedOutput(
        "supplier_revenue", "USD bn", OutputKind.AMOUNT,
        "Chip suppliers' AI revenue (GPUs), summed over the run.",
        _ai_sum("chip"),
    ),
    NamedOutput(
        "ai_revenue_end", "USD bn per year", OutputKind.AMOUNT,
        "The network's AI revenue (all firms) over the last four quarters of the run.",
        lambda p: float(p.ai_revenue[-4:].sum()),
    ),
    NamedOutput(
        "supplier_revenue_fall", "fraction", OutputKind.AMOUNT,
        "Largest fall of the chip suppliers' AI revenue (four-quarter sum) from its "
        "running peak.",
        _supplier_revenue_fall,
    ),
    NamedOutput(
        "peak_valuation", "USD bn", OutputKind.AMOUNT,
        "Highest AI-exposed value of the network (sum over firms) during the run.",
        lambda p: float(p.network_ai_value.max()),
    ),
    NamedOutput(
        "ai_value_end", "USD bn", OutputKind.AMOUNT,
        "AI-exposed value of the network at the end of the run.",
        lambda p: float(p.network_ai_value[-1]),
    ),
    NamedOutput(
        "ai_value_drawdown", "fraction", OutputKind.AMOUNT,
        "Largest fall of the network's AI-exposed value from its running peak.",
        lambda p: float(max_drawdown(p.network_ai_value)),
    ),
    NamedOutput(
        "lab_peak_valuation", "USD bn", OutputKind.AMOUNT,
        "Highest valuation of the AI labs (sum over labs) during the run.",
        lambda p: float(np.clip(p.valuation[:, p.of("lab")], 0, None).sum(axis=1).max()),
    ),
    NamedOutput(
        "round_trip_share", "fraction", OutputKind.AMOUNT,
        "Round-trip revenue (revenue paid with the seller's own money, traced by the "
        "payment system) over AI revenue, both summed over firms and the run.",
        _round_trip_share,
    ),
    NamedOutput(
        "defaults", "firms", OutputKind.COUNT,
        "Number of firms that default during the run.",
        _defaults,
    ),
    NamedOutput(
        "lab_funding_failures", "rounds", OutputKind.COUNT,
        "Funding rounds of the labs that failed or were undersubscribed.",
        _count(FUNDING_FAILURE_EVENTS),
    ),
    NamedOutput(
        "lab_failed_round_share", "fraction", OutputKind.AMOUNT,
        "Share of the labs' funding rounds that failed or were undersubscribed (0 "
        "without rounds): unlike the count, it does not fall when a lab fails early.",
        _failed_round_share,
    ),
    NamedOutput(
        "provider_losses", "USD bn", OutputKind.AMOUNT,
        "Booked losses of cloud providers on counterparties that fail, summed over the "
        "run: what they paid for stakes in firms that default (book value at the "
        "opening for stakes held before the run; wiped out at the default) plus vendor "
        "loans written off at a default or restructured at a loss.",
        _losses("cloud", BOOKED_LOSS_EVENTS),
    ),
    NamedOutput(
        "supplier_losses", "USD bn", OutputKind.AMOUNT,
        "Booked losses of chip suppliers on counterparties that fail, summed over the "
        "run: what they paid for stakes in firms that default (book value at the "
        "opening for stakes held before the run; wiped out at the default) plus vendor "
        "loans written off at a default or restructured at a loss.",
        _losses("chip", BOOKED_LOSS_EVENTS),
    ),
    NamedOutput(
        "provider_contagion", "USD bn", OutputKind.AMOUNT,
        "Equity value the defaults cost cloud providers by DebtRank, summed over the "
        "run: stakes, vendor loans and lost backlog margin at market values at each "
        "default (an estimate, not booked; stakes already marked down count little).",
        _losses("cloud", CONTAGION_EVENTS),
    ),
    NamedOutput(
        "supplier_contagion", "USD bn", OutputKind.AMOUNT,
        "Equity value the defaults cost chip suppliers by DebtRank, summed over the "
        "run: stakes, vendor loans and lost backlog margin at market values at each "
        "default (an estimate, not booked; stakes already marked down count little).",
        _losses("chip", CONTAGION_EVENTS),
    ),
    NamedOutput(
        "lender_losses", "USD bn", OutputKind.AMOUNT,
        "Losses of the outside credit market on defaulted loans, cumulative at the end.",
        lambda p: float(p.system["lender_losses"][-1]),
    ),
    NamedOutput(
        "lab_default", "flag", OutputKind.FLAG,
        "1 if an AI lab defaults during the run.",
        _lab_default,
    ),
    NamedOutput(
        "bust", "flag", OutputKind.FLAG,
        "1 if the run's regime is bust or cascade (see world.regimes).",
        lambda p: int(p.regime in (Regime.BUST, Regime.CASCADE)),
    ),
    NamedOutput(
        "lab_distress", "flag", OutputKind.FLAG,
        "1 if an AI lab runs out of funding: it misses a payment, cuts commitments, "
        "needs a rescue round or defaults.",
        _lab_distress,
    ),
)  # fmt: skip

#: Every named output by name (read-only), in documentation order.
OUTPUTS: Mapping[str, NamedOutput] = MappingProxyType({o.name: o for o in _LIST})


def output_names() -> tuple[str, ...]:
    """The names of :data:`OUTPUTS`, in documentation order."""
    return tuple(OUTPUTS)


def compute_outputs(paths: RunPaths) -> dict[str, float | int]:
    """Every named output of one run (ints for counts and flags, floats otherwise)."""
    out: dict[str, float | int] = {}
    for o in OUTPUTS.values():
        value = o.compute(paths)
        out[o.name] = int(value) if o.kind is not OutputKind.AMOUNT else float(value)
    return out
