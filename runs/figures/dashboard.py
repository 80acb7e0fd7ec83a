"""The one-page dashboard of a run."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from runs import style
from runs.figures.base import GAUGES, _check_deals, check_frame, new_figure
from runs.figures.gauges import _panel_gauge
from runs.figures.markets import _panel_sentiment, _panel_strategies
from runs.figures.money import (
    _panel_buildout,
    _panel_cash,
    _panel_leverage,
    _panel_round_trip,
    _panel_valuations,
)
from runs.figures.network import _draw_networks
from runs.figures.stress import _panel_defaults, _panel_minsky
from runs.style import styled


def dashboard_figure(
    firms: pd.DataFrame, system: pd.DataFrame, deals: pd.DataFrame, title: str = "aipm run"
) -> Figure:
    """The one-page dashboard of a run: gauges, valuations, flows, stress, markets, network.

    Parameters
    ----------
    firms, system, deals
        The tables of a run directory (``firms.parquet``, ``system.parquet``,
        ``deals.parquet``).
    title
        Headline of the page (e.g. scenario, seed and period).
    """
    check_frame(
        firms,
        "firms",
        required=("firm", "role", "period"),
        numeric=("quarter", "valuation", "round_trip_share", "cash", "leverage", "defaulted"),
    )
    check_frame(
        system, "system", required=("period",), numeric=("quarter", *GAUGES, "total_deployed_gw")
    )
    _check_deals(deals, allow_empty=True)
    with styled():
        fig = new_figure(style.DASHBOARD_SIZE)
        grid = fig.add_gridspec(6, 6, height_ratios=[1, 1.15, 1, 1, 1, 2.1])
        for k, col in enumerate(GAUGES):
            _panel_gauge(fig.add_subplot(grid[0, 2 * k : 2 * k + 2]), system, col)
        _panel_valuations(fig.add_subplot(grid[1, :3]), firms)
        _panel_round_trip(fig.add_subplot(grid[1, 3:]), firms)
        _panel_buildout(fig.add_subplot(grid[2, :2]), system, deals)
        _panel_cash(fig.add_subplot(grid[2, 2:4]), firms)
        _panel_leverage(fig.add_subplot(grid[2, 4:]), firms)
        _panel_minsky(fig.add_subplot(grid[3, :3]), firms)
        _panel_defaults(fig.add_subplot(grid[3, 3:]), firms)
        _panel_sentiment(fig.add_subplot(grid[4, :3]), system)
        _panel_strategies(fig.add_subplot(grid[4, 3:]), system)
        _draw_networks([fig.add_subplot(grid[5, :3]), fig.add_subplot(grid[5, 3:])], deals, firms)
        fig.suptitle(title, fontsize=15, fontweight="bold")
    return fig
