"""The app's panels as data: what each chart plots, shaped as ECharts options and series.

A :class:`Panel` names its series; :func:`chart_option` gives the chart's fixed
part (title, the run's quarters as x-axis, y-axes, legend, series look) and
:func:`chart_series` the data of the quarters done, both from a
:class:`~runs.app_data.LiveData`. Both are pure functions (no widgets), so they
are tested without a browser.

Units: USD bn, shares and growth in per cent, ratios as ×.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from runs.app_data import LiveData
from runs.style import GREY, OKABE_ITO, firm_colours

__all__ = ["GAUGES", "PANELS", "Panel", "Series", "chart_option", "chart_series"]

Values = list[float | None]
#: Colour of the dashed line at the quarter a shock hit (reddish purple).
SHOCK_COLOUR = OKABE_ITO[4]


@dataclass(frozen=True)
class Series:
    """One plotted series: its name, values (one per quarter done) and look."""

    name: str
    values: Values
    kind: str = "line"  # "line" or "bar"
    axis: int = 0  # 0 left y-axis, 1 right y-axis
    colour: str | None = None
    dashed: bool = False
    unit: str = ""
    colours: Sequence[str] | None = None  # per-bar colours (bars only)


@dataclass(frozen=True)
class Panel:
    """One chart: a key, a title, y-axis names and the series it plots.

    ``series(data)`` must return the same number of series, in the same order, for
    every quarter of one model (the chart's look is set once per model).
    """

    key: str
    title: str
    y_name: str
    series: Callable[[LiveData], list[Series]]
    y2_name: str | None = None
    log: bool = False
    reference: float | None = None  # a horizontal reference line (e.g. 1 = fair value)
    subtitle: str = ""


# -- shaping helpers (pure) ----------------------------------------------------------
def scaled(values: Values, factor: float) -> Values:
    """``values`` × ``factor`` (gaps kept), rounded to 4 significant digits."""
    return [None if v is None else _round(v * factor) for v in values]


def growth(values: Values) -> Values:
    """Quarter-on-quarter growth in per cent (the first quarter and gaps: no value)."""
    out: Values = [None] * len(values)
    for k in range(1, len(values)):
        a, b = values[k - 1], values[k]
        if a is not None and b is not None and a > 0:
            out[k] = _round(100.0 * (b / a - 1.0))
    return out


def ratio(num: Values, den: Values) -> Values:
    """``num / den`` per quarter (no value where the denominator is not positive)."""
    return [
        _round(a / b) if a is not None and b is not None and b > 0 else None
        for a, b in zip(num, den, strict=True)
    ]


def added(a: Values, b: Values) -> Values:
    """``a + b`` per quarter (no value where either is missing)."""
    return [
        _round(x + y) if x is not None and y is not None else None
        for x, y in zip(a, b, strict=True)
    ]


def _round(v: float) -> float:
    return float(f"{v:.4g}")


def _firms(data: LiveData, *roles: str) -> list[str]:
    return [n for n in data.names if not roles or data.roles[n] in roles]


def _colour(data: LiveData, firm: str) -> str:
    return firm_colours(data.names)[firm]


def _per_firm(data: LiveData, column: str, factor: float = 1.0, unit: str = "") -> list[Series]:
    return [
        Series(f, scaled(data.firm_column(column, f), factor), colour=_colour(data, f), unit=unit)
        for f in data.names
    ]


# -- the article's three gauges ------------------------------------------------------
def _engine(data: LiveData) -> list[Series]:
    return [
        Series("all users", scaled(data.column("engine_user_growth"), 100.0), unit="%"),
        Series("paid users", growth(data.column("paid_users_m")), unit="%", colour=OKABE_ITO[3]),
    ]


def _gears(data: LiveData) -> list[Series]:
    out = [
        Series("all clouds", scaled(data.column("gears_capex_to_revenue"), 1.0), unit="×"),
    ]
    for firm in ("Oracle", "Microsoft"):
        if firm in data.names:
            out.append(
                Series(
                    firm,
                    ratio(data.firm_column("capex", firm), data.firm_column("revenue", firm)),
                    colour=_colour(data, firm),
                    dashed=True,
                    unit="×",
                )
            )
    return out


def _fuel(data: LiveData) -> list[Series]:
    return [
        Series(
            "compute per $ invested",
            scaled(data.column("fuel_compute_efficiency"), 1.0),
            colour=OKABE_ITO[1],
        ),
        Series("trend", scaled(data.column("fuel_trend"), 100.0), axis=1, dashed=True, unit="%"),
    ]


GAUGES: tuple[Panel, ...] = (
    Panel("engine", "Engine: user growth", "% per quarter", _engine),
    Panel("gears", "Gears: capex ÷ revenue", "×", _gears),
    Panel("fuel", "Fuel: compute per $ invested", "GW-eq per $bn", _fuel, y2_name="trend %"),
)


# -- the other panels ----------------------------------------------------------------
def _valuations(data: LiveData) -> list[Series]:
    return _per_firm(data, "valuation", unit=" bn")


def _p_to_fundamental(data: LiveData) -> list[Series]:
    return _per_firm(data, "p_to_fundamental", unit="×")


def _round_trip(data: LiveData) -> list[Series]:
    out = [
        Series(
            "USD bn",
            scaled(data.column("round_trip_revenue"), 1.0),
            kind="bar",
            colour=OKABE_ITO[3],
            unit=" bn",
        )
    ]
    for firm in [f for f in ("NVIDIA", "Oracle") if f in data.names]:
        out.append(
            Series(
                f"{firm} %",
                scaled(data.firm_column("round_trip_share", firm), 100.0),
                axis=1,
                colour=_colour(data, firm),
                unit="%",
            )
        )
    return out


def _leverage(data: LiveData) -> list[Series]:
    return _per_firm(data, "leverage", 100.0, "%")


_OUTCOME_COLOURS = {
    "full": OKABE_ITO[2],
    "undersubscribed": OKABE_ITO[1],
    "failed": OKABE_ITO[3],
    "rescue": OKABE_ITO[4],
}


def _sentiment(data: LiveData) -> list[Series]:
    return [
        Series("sentiment", scaled(data.column("mean_sentiment"), 1.0), colour=OKABE_ITO[0]),
        Series(
            "funding raised",
            scaled(data.column("funding_raised"), 1.0),
            kind="bar",
            axis=1,
            colour=OKABE_ITO[2],
            unit=" bn",
            colours=[_OUTCOME_COLOURS.get(o, GREY) for o in data.outcomes],
        ),
    ]


def _defaults(data: LiveData) -> list[Series]:
    return [
        Series("firms in default", scaled(data.column("n_defaults"), 1.0), kind="bar"),
        Series(
            "lender losses",
            scaled(data.column("lender_losses"), 1.0),
            axis=1,
            colour=OKABE_ITO[3],
            unit=" bn",
        ),
    ]


def _funding_gap(data: LiveData) -> list[Series]:
    out = []
    for lab in _firms(data, "lab"):
        fcf = added(
            data.firm_column("operating_cash_flow", lab),
            data.firm_column("investing_cash_flow", lab),
        )
        out.append(
            Series(
                f"{lab} free cash flow",
                fcf,
                kind="bar",
                unit=" bn",
                colour=_colour(data, lab),
                colours=[OKABE_ITO[3] if (v or 0) < 0 else OKABE_ITO[2] for v in fcf],
            )
        )
    return out


PANELS: tuple[Panel, ...] = (
    Panel("valuations", "Valuations", "USD bn (log)", _valuations, log=True),
    Panel(
        "p_to_fundamental",
        "Price ÷ fundamental value",
        "×",
        _p_to_fundamental,
        reference=1.0,
        subtitle="1 = priced at the DCF value of expected cash flows",
    ),
    Panel(
        "round_trip",
        "Round trip: revenue paid with own money",
        "USD bn per quarter",
        _round_trip,
        y2_name="share of revenue %",
        subtitle="bars: all firms, USD bn; lines: share of the firm's revenue",
    ),
    Panel("leverage", "Leverage: debt ÷ assets", "%", _leverage),
    Panel(
        "sentiment",
        "Sentiment and funding rounds",
        "sentiment (−1…1)",
        _sentiment,
        y2_name="USD bn raised",
        subtitle="bars: green full, orange undersubscribed, red failed",
    ),
    Panel("defaults", "Defaults", "firms", _defaults, y2_name="USD bn lost"),
    Panel(
        "funding_gap",
        "The lab's free cash flow (funding gap when below 0)",
        "USD bn per quarter",
        _funding_gap,
        reference=0.0,
    ),
)


# -- ECharts -------------------------------------------------------------------------
def chart_option(panel: Panel, data: LiveData) -> dict:
    """The chart's fixed part: title, the run's quarters as x-axis, y-axes, series look."""
    series = panel.series(data)
    y_axes: list[dict] = [_y_axis(panel.y_name, panel.log)]
    if panel.y2_name is not None:
        y_axes.append({**_y_axis(panel.y2_name, False), "splitLine": {"show": False}})
    looks = [_look(s) for s in series]
    return {
        "animation": False,
        "title": {
            "text": panel.title,
            "subtext": panel.subtitle,
            "left": 4,
            "top": 0,
            "textStyle": {"fontSize": 14},
            "subtextStyle": {"fontSize": 11},
            "itemGap": 6,
        },
        "grid": {
            "left": 52,
            "right": 52 if panel.y2_name else 16,
            "top": 80 if panel.subtitle else 62,
            "bottom": 24,
        },
        "legend": {
            "top": 18 if not panel.subtitle else 34,
            "left": 4,
            "type": "scroll",
            "itemWidth": 14,
            "textStyle": {"fontSize": 11},
        },
        "tooltip": {"trigger": "axis", "confine": True},
        "xAxis": {
            "type": "category",
            "data": data.labels,
            "quarterAxis": True,
            "boundaryGap": any(s.kind == "bar" for s in series),
            "axisLabel": {"fontSize": 11},
        },
        "yAxis": y_axes,
        "series": looks,
    }


def _y_axis(name: str, log: bool) -> dict:
    return {
        "type": "log" if log else "value",
        "name": name,
        "nameTextStyle": {"fontSize": 10},
        "nameGap": 8,
        "scale": not log,
        "axisLabel": {"fontSize": 10},
    }


def _look(s: Series) -> dict:
    look: dict = {
        "name": s.name,
        "type": s.kind,
        "yAxisIndex": s.axis,
        "unit": s.unit,
        "showSymbol": False,
        "connectNulls": False,
    }
    if s.colour:
        look["itemStyle"] = {"color": s.colour}
        look["lineStyle"] = {"color": s.colour}
    if s.dashed:
        look["lineStyle"] = {**look.get("lineStyle", {}), "type": "dashed"}
    return look


def marks(panel: Panel, data: LiveData) -> dict:
    """Lines drawn over the chart: the panel's reference level and the quarters shocks hit."""
    lines: list[dict] = []
    if panel.reference is not None:
        lines.append({"yAxis": panel.reference, "lineStyle": {"color": GREY, "type": "dotted"}})
    lines += [
        {
            "xAxis": label,
            "lineStyle": {"color": SHOCK_COLOUR, "type": "dashed", "width": 1.5},
            "label": {
                "show": True,
                "formatter": "shock",
                "position": "insideEndTop",
                "color": SHOCK_COLOUR,
                "fontSize": 10,
            },
        }
        for label in data.shocks
    ]
    return {"silent": True, "symbol": "none", "label": {"show": False}, "data": lines}


def chart_series(panel: Panel, data: LiveData) -> list[dict]:
    """The data of every series of ``panel`` for the quarters done (merged into the chart).

    The first series also carries :func:`marks` (reference level, shock quarters).
    """
    out = []
    for s in panel.series(data):
        if panel.log:  # a log axis cannot show 0 or less (a defaulted firm's value)
            s = Series(s.name, [v if v is not None and v > 0 else None for v in s.values])
        if s.colours is not None:
            out.append(
                {
                    "data": [
                        {"value": v, "itemStyle": {"color": c}}
                        for v, c in zip(s.values, s.colours, strict=False)
                    ]
                }
            )
        else:
            out.append({"data": s.values})
    if out:
        out[0]["markLine"] = marks(panel, data)
    return out
