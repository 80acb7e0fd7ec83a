"""Compute build-out: delivered GPUs → construction in progress → deployed GW.

Each firm that owns compute has a :class:`Fleet`: projects under construction and
deployed vintages. Energising new capacity is limited by a system-wide power cap
per quarter (:func:`allocate_power`, pure). Vintages depreciate straight-line over
their life and retire at its end. Capex per GW falls with ``capex_decline`` and
FLOP per USD doubles every ``flop_doubling_years`` (Epoch AI), so a GW of a later
vintage delivers more compute (:func:`hardware_index`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Fleet",
    "Project",
    "Vintage",
    "allocate_power",
    "capex_per_gw",
    "hardware_index",
    "power_shares",
]


def capex_per_gw(quarter: int, base: float, decline: float) -> float:
    """All-in capex per GW in ``quarter`` (USD bn per GW), falling by ``decline`` per quarter."""
    return base * (1.0 - decline) ** max(quarter, 0)


def hardware_index(quarter: int, doubling_years: float, decline: float) -> float:
    """FLOP per GW of new capacity relative to quarter 0.

    FLOP/GW = FLOP/USD × USD/GW: FLOP per USD doubles every ``doubling_years``,
    USD per GW falls by ``decline`` per quarter.
    """
    q = max(quarter, 0)
    return 2.0 ** (q / (4.0 * doubling_years)) * (1.0 - decline) ** q


def allocate_power(ready_gw: np.ndarray, cap_gw: float) -> np.ndarray:
    """Split a power cap over firms' ready projects, pro rata when binding.

    Parameters
    ----------
    ready_gw
        GW ready to be energised per firm (≥ 0).
    cap_gw
        Max new GW energised this quarter, all firms together (≥ 0).

    Returns
    -------
    numpy.ndarray
        GW energised per firm; sums to ``min(ready.sum(), cap)``.
    """
    ready = np.asarray(ready_gw, dtype=float)
    if np.any(ready < 0) or not np.all(np.isfinite(ready)):
        raise ValueError("ready_gw must be finite and non-negative")
    if cap_gw < 0:
        raise ValueError(f"cap_gw must be >= 0, got {cap_gw}")
    return np.array(power_shares(ready.tolist(), cap_gw))


def power_shares(ready_gw: list[float], cap_gw: float) -> list[float]:
    """:func:`allocate_power` on a list, without validation (the model's hot loop)."""
    total = sum(ready_gw)
    if total <= cap_gw:
        return list(ready_gw)
    share = cap_gw / total
    return [gw * share for gw in ready_gw]


@dataclass(slots=True)
class Project:
    """Capacity under construction: GW and book cost (USD bn), ready from ``ready_q``.

    ``building_cost`` is the part of ``cost`` that is buildings and power (it outlives
    the accelerators and depreciates over the building life).
    """

    gw: float
    cost: float
    ready_q: int
    flop_index: float
    building_cost: float = 0.0


@dataclass(slots=True)
class Vintage:
    """Deployed capacity of one vintage."""

    gw: float
    cost: float
    book: float
    deployed_q: int
    retire_q: int
    flop_index: float


@dataclass
class Fleet:
    """Projects and deployed vintages of one firm."""

    projects: list[Project] = field(default_factory=list)
    vintages: list[Vintage] = field(default_factory=list)
    buildings: float = 0.0  # book value of buildings and power in service (USD bn)
    _deployed: float | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # set here too: a mypyc-compiled dataclass does not apply an init=False default
        self._deployed = None

    @property
    def deployed_gw(self) -> float:
        """Deployed GW (cached until the fleet changes through its methods)."""
        if self._deployed is None:
            self._deployed = sum([v.gw for v in self.vintages], 0.0)
        return self._deployed

    def add_vintage(self, vintage: Vintage) -> None:
        """Put capacity into service directly (opening books)."""
        self.vintages.append(vintage)
        self._deployed = None

    @property
    def construction_gw(self) -> float:
        """GW under construction."""
        return sum([p.gw for p in self.projects])

    def compute_units(self) -> float:
        """Deployed capacity weighted by FLOP per GW (start-of-run GW equivalents)."""
        return sum([v.gw * v.flop_index for v in self.vintages])

    def gw_at(self, q: int) -> float:
        """Deployed plus under construction GW still in service at quarter ``q``."""
        return self.construction_gw + sum([v.gw for v in self.vintages if v.retire_q > q])

    def start_project(
        self, gw: float, cost: float, ready_q: int, flop_index: float, building_cost: float = 0.0
    ) -> None:
        """Add delivered accelerators (with their construction cost) to construction."""
        if gw > 0:
            self.projects.append(Project(gw, cost, ready_q, flop_index, building_cost))

    def ready_gw(self, q: int) -> float:
        """GW whose construction is complete by quarter ``q``."""
        return sum([p.gw for p in self.projects if p.ready_q <= q])

    def energise(self, q: int, gw: float, life: int) -> float:
        """Move up to ``gw`` of ready projects into service; return the book cost moved."""
        moved_cost = 0.0
        remaining = gw
        keep: list[Project] = []
        for p in self.projects:
            if p.ready_q <= q and remaining > 1e-12:
                take = min(p.gw, remaining)
                frac = take / p.gw
                cost = p.cost * frac
                building = p.building_cost * frac
                chips = cost - building
                self.buildings += building
                last = self.vintages[-1] if self.vintages else None
                if last is not None and last.deployed_q == q and last.flop_index == p.flop_index:
                    last.gw += take
                    last.cost += chips
                    last.book += chips
                else:
                    self.vintages.append(Vintage(take, chips, chips, q, q + life, p.flop_index))
                moved_cost += cost
                remaining -= take
                if frac < 1.0 - 1e-12:
                    keep.append(
                        Project(
                            p.gw - take,
                            p.cost - cost,
                            p.ready_q,
                            p.flop_index,
                            p.building_cost - building,
                        )
                    )
            else:
                keep.append(p)
        self.projects = keep
        self._deployed = None
        return moved_cost

    def depreciate(self, q: int, building_life: int = 0) -> tuple[float, float]:
        """Depreciate one quarter and retire vintages past their life.

        Accelerators depreciate straight-line to their retirement; buildings and power
        by ``1 / building_life`` of their book value per quarter (0: not at all).

        Returns
        -------
        tuple of float
            (depreciation charge USD bn, GW retired).
        """
        charge = self.buildings / building_life if building_life > 0 else 0.0
        self.buildings -= charge
        retired = 0.0
        retiring = False
        for v in self.vintages:
            remaining_q = v.retire_q - q
            book = v.book
            dep = book / (remaining_q if remaining_q > 1 else 1)
            book -= dep
            charge += dep
            if remaining_q <= 1:  # retires now
                retired += v.gw
                charge += book
                v.book = 0.0
                retiring = True
            else:
                v.book = book
        if retiring:  # most quarters none retires: the list and the deployed GW stay
            self.vintages = [v for v in self.vintages if v.retire_q - q > 1]
            self._deployed = None
        return charge, retired
