"""Figures of one run: pure functions, DataFrames in, ``Figure`` out.

Every public function validates its input and raises :class:`ValueError` naming the
argument and the missing column or bad value; it never touches pyplot's global
state (figures are :class:`matplotlib.figure.Figure` objects, saved by the caller).
Columns that later model modules add (``fundamental_value``, ``minsky``, ...) are
drawn when present; otherwise the panel says "not available in this run".

Run figures take the tables of a run directory (``firms``, ``system``, ``deals``,
see :mod:`world.metrics` and :func:`runs.simulate.deals_frame`); the figures of
sweeps are in :mod:`runs.sweep_figures`. The modules, by concept: :mod:`.base`
(labels, validation, axes helpers), :mod:`.gauges` (the article's gauges, the lab's
funding gap, adoption), :mod:`.loops` (round trips in USD and as a share),
:mod:`.network`, :mod:`.money` (valuations, cash, leverage, build-out),
:mod:`.stress` (Minsky, defaults), :mod:`.markets` and :mod:`.dashboard` (the
one-page dashboard, composed from figures already drawn).
"""

from __future__ import annotations

from runs.figures.base import (
    COLUMN_LABELS,
    GAUGES,
    MINSKY_NAMES,
    check_frame,
    column_label,
    new_figure,
)
from runs.figures.dashboard import compose_dashboard
from runs.figures.gauges import WATCHED_CLOUDS, funding_adoption_figure, gauges_figure
from runs.figures.loops import ARTICLE_LOOP, article_loop, loop_name, loop_totals, round_trip_figure
from runs.figures.markets import markets_figure
from runs.figures.money import balance_figure, buildout_figure, valuations_figure
from runs.figures.network import network_figure
from runs.figures.stress import defaults_figure, minsky_figure, stress_figure

__all__ = [
    "ARTICLE_LOOP",
    "COLUMN_LABELS",
    "GAUGES",
    "MINSKY_NAMES",
    "WATCHED_CLOUDS",
    "article_loop",
    "balance_figure",
    "buildout_figure",
    "check_frame",
    "column_label",
    "compose_dashboard",
    "defaults_figure",
    "funding_adoption_figure",
    "gauges_figure",
    "loop_name",
    "loop_totals",
    "markets_figure",
    "minsky_figure",
    "network_figure",
    "new_figure",
    "round_trip_figure",
    "stress_figure",
    "valuations_figure",
]
