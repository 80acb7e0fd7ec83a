"""Synthetic AI-network paths whose regime label is obvious, and the checks on them.

Each path is 40 quarters of four firms' AI-exposed value and AI revenue (USD bn)
and default flags, drawn so that a reader looking at it names the label at once:
steady growth (boom), a flat market (soft landing), a crash and recovery, a crash
without recovery, one default, a cascade, and an engine stall whose revenue
collapses. :func:`regime_checks` labels each with :func:`world.regimes.classify_regime`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runs.validation.checks import NAN, Check
from world.regimes import REGIME_RULES, Regime, classify_regime

__all__ = ["SYNTHETIC_PATHS", "SyntheticPath", "regime_checks"]

_T = 40
_FIRMS = 4


@dataclass(frozen=True)
class SyntheticPath:
    """A labelled path: the network's AI-exposed value and revenue per quarter, defaults."""

    name: str
    expected: Regime
    description: str
    value: np.ndarray  # (quarters, firms), USD bn
    revenue: np.ndarray  # (quarters, firms), USD bn per quarter
    defaulted: np.ndarray  # (quarters, firms), bool


def _spread(total: np.ndarray) -> np.ndarray:
    """Split a network path evenly over the firms."""
    return np.repeat(total[:, None] / _FIRMS, _FIRMS, axis=1)


def _piecewise(points: list[tuple[int, float]]) -> np.ndarray:
    """A path through (quarter, value) points, geometric between them."""
    q = np.arange(_T)
    xs, ys = zip(*points, strict=True)
    return np.exp(np.interp(q, xs, np.log(ys)))


def _defaults(quarters: dict[int, int]) -> np.ndarray:
    d = np.zeros((_T, _FIRMS), dtype=bool)
    for firm, q in quarters.items():
        d[q:, firm] = True
    return d


def _make() -> tuple[SyntheticPath, ...]:
    grow = _piecewise([(0, 1000.0), (39, 4000.0)])
    revenue_grow = _spread(_piecewise([(0, 100.0), (39, 400.0)]))
    flat_revenue = _spread(_piecewise([(0, 100.0), (20, 115.0), (39, 120.0)]))
    none = np.zeros((_T, _FIRMS), dtype=bool)
    one_default = _defaults({3: 24})
    value_default = _spread(grow)
    value_default[24:, 3] = 0.0
    cascade = _defaults({1: 20, 2: 21, 3: 23})
    value_cascade = _spread(_piecewise([(0, 1000.0), (18, 2500.0), (24, 600.0), (39, 500.0)]))
    value_cascade[cascade] = 0.0
    return (
        SyntheticPath(
            "steady_growth", Regime.BOOM, "value and revenue grow 4× without a fall",
            _spread(grow), revenue_grow, none,
        ),
        SyntheticPath(
            "flat", Regime.SOFT_LANDING, "value and revenue drift up by a fifth",
            _spread(_piecewise([(0, 1000.0), (15, 1250.0), (25, 1100.0), (39, 1200.0)])),
            flat_revenue, none,
        ),
        SyntheticPath(
            "crash_and_recovery", Regime.CRASH_RECOVERED,
            "value triples, falls 60 %, then climbs back to 93 % of its peak",
            _spread(_piecewise([(0, 1000.0), (12, 3000.0), (18, 1200.0), (39, 2800.0)])),
            revenue_grow, none,
        ),
        SyntheticPath(
            "crash_without_recovery", Regime.BUST,
            "value triples, falls 70 % and stays down",
            _spread(_piecewise([(0, 1000.0), (12, 3000.0), (20, 900.0), (39, 1000.0)])),
            flat_revenue, none,
        ),
        SyntheticPath(
            "one_default", Regime.BUST, "steady growth, but one firm defaults in quarter 24",
            value_default, revenue_grow, one_default,
        ),
        SyntheticPath(
            "cascade", Regime.CASCADE, "three firms default within three quarters",
            value_cascade, flat_revenue, cascade,
        ),
        SyntheticPath(
            "engine_stall", Regime.BUST,
            "value holds up, but AI revenue falls 60 % from its peak and stays down",
            _spread(_piecewise([(0, 1000.0), (16, 1600.0), (39, 1400.0)])),
            _spread(_piecewise([(0, 100.0), (16, 250.0), (24, 100.0), (39, 95.0)])), none,
        ),
    )  # fmt: skip


#: The labelled synthetic paths, in the order of the docs.
SYNTHETIC_PATHS: tuple[SyntheticPath, ...] = _make()


def regime_checks() -> list[Check]:
    """One check per synthetic path: the classifier gives the obvious label."""
    out = []
    for p in SYNTHETIC_PATHS:
        got = classify_regime(p.value, p.revenue, p.defaulted)
        out.append(
            Check(
                f"regime/synthetic/{p.name}",
                "regime",
                "synthetic",
                f"{p.description} → {p.expected.value}",
                f"classify_regime; rule: {REGIME_RULES[p.expected]}",
                NAN,
                NAN,
                NAN,
                NAN,
                f"labelled {got.value}",
                got is p.expected,
            )  # fmt: skip
        )
    return out
