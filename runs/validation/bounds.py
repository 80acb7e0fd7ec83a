"""Sane sizes: documented bounds and the measures of one run checked against them.

The bounds are historical high-water marks or macro limits, each with its source
(also in ``docs/explanation/validation.md``). The model is meant to respect them
by its own mechanisms; the suite only measures, and fails honestly when it does not.

Sources
-------
* Listed firms' price/sales: at the March-2000 peak Cisco, the largest listed
  supplier of the internet build-out, was worth about USD 555–579 bn (the world's
  most valuable company on 2000-03-24/27) on trailing sales of about USD 16 bn —
  about 35× sales; Sun Microsystems traded at about 10× revenue (Scott McNealy,
  2002), and at the March-2000 top only 29 stocks sold for 10× sales or more.
  NVIDIA itself closed at USD 3.335 trillion on 2024-06-18, the world's most
  valuable company (livemint.com, 2024-06-19), on trailing sales of USD 79.8 bn
  (its four quarters to April 2024: 13.51 + 18.12 + 22.10 + 26.04) — about 42×.
  :data:`LISTED_PRICE_TO_SALES_MAX` (50×) sits above the highest of them.
* The private lab: OpenAI's USD 500 bn valuation of October 2025 is about 116×
  revenue in the article this project starts from — a high-water mark for a
  private lab (:data:`PRIVATE_LAB_PRICE_TO_SALES_MAX`).
* Debt: the most indebted firm of the 2025 calibration against its sales is
  CoreWeave — about USD 14.2 bn of debt (Q3 2025) plus about USD 15 bn of lease
  obligations (at its March-2025 IPO) on 2025 revenue guided at USD 5.05–5.15 bn,
  about 5.7×; Oracle carried about USD 95 bn of long-term debt (August 2025) on
  USD 57.4 bn of FY2025 revenue, 1.7× (``calibration/firms_2025.csv``).
  :data:`DEBT_TO_REVENUE_MAX` (10×) is about twice CoreWeave's.
* World IT spending: USD 5.62 trillion in 2025, +9.8 % on 2024 (Gartner, January
  2025; USD 5.43 trillion, +7.9 %, in its July 2025 revision). Gartner's total AI
  spending was USD 1.48 trillion in 2025 (26 % of IT spending) and USD 2.02 trillion
  forecast for 2026 (Gartner, September 2025), counted, like the sum of AI revenue
  over the model's layers, as the sum over segments (services, software, servers,
  semiconductors, devices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from world.pathstats import trailing_sum

__all__ = [
    "DEBT_TO_REVENUE_MAX",
    "IT_SPENDING_GROWTH",
    "LISTED_PRICE_TO_SALES_MAX",
    "MACRO_AI_SHARE",
    "NEGATIVE_EQUITY_MAX_QUARTERS",
    "PRIVATE_LAB_PRICE_TO_SALES_MAX",
    "RESOLVING_EVENTS",
    "WORLD_IT_SPENDING_2025",
    "SizeMeasures",
    "macro_limit",
    "size_measures",
]

LISTED_PRICE_TO_SALES_MAX = 50.0
"""Highest valuation / trailing four-quarter revenue of a listed firm (×).

Above NVIDIA's ~42× when it became the most valuable company in June 2024 and
Cisco's ~35× at the March-2000 peak, the highest of the large listed suppliers of
the internet build-out (Sun ~10×)."""

PRIVATE_LAB_PRICE_TO_SALES_MAX = 116.0
"""Highest valuation / trailing four-quarter revenue of a private lab (×): the
article's OpenAI valuation of USD 500 bn ≈ 116× revenue, a high-water mark."""

DEBT_TO_REVENUE_MAX = 10.0
"""Highest debt (bank, bond and vendor debt) / trailing four-quarter revenue of a firm
not in default (×): about twice CoreWeave's ~5.7× in 2025 (debt and leases on its
2025 revenue guidance), the most indebted firm of the calibration; Oracle 1.7×."""

WORLD_IT_SPENDING_2025 = 5_617.8
"""World IT spending in 2025, USD bn per year (Gartner, January 2025)."""

IT_SPENDING_GROWTH = 0.098
"""Growth of world IT spending per year (Gartner's 2025 forecast, +9.8 %; generous
as a long-run rate, so the bound is loose)."""

MACRO_AI_SHARE = 0.5
"""Largest share of world IT spending the modelled network's AI revenue may reach:
about twice the share of *all* AI spending in 2025 (26 %, Gartner)."""

NEGATIVE_EQUITY_MAX_QUARTERS = 4
"""Quarters a firm may keep negative book equity without a default, a loan
restructuring or a booked rescue."""

RESOLVING_EVENTS = frozenset({"default", "rescue_round", "loan_restructured"})
"""Event kinds that resolve a spell of negative equity (``world.events.EventKind``)."""


def macro_limit(year: np.ndarray | float) -> np.ndarray:
    """The macro limit on the network's AI revenue in calendar ``year`` (USD bn per year).

    ``MACRO_AI_SHARE × WORLD_IT_SPENDING_2025 × (1 + IT_SPENDING_GROWTH)^(year − 2025)``;
    fractional years interpolate geometrically.
    """
    y = np.asarray(year, dtype=np.float64)
    return MACRO_AI_SHARE * WORLD_IT_SPENDING_2025 * (1 + IT_SPENDING_GROWTH) ** (y - 2025.0)


@dataclass(frozen=True)
class SizeMeasures:
    """The worst sizes of one run, each with where and when (``firm``, ``period``).

    Attributes
    ----------
    listed_ps, listed_ps_firm, listed_ps_period
        Highest valuation / trailing four-quarter revenue of a listed firm (×).
    lab_ps, lab_ps_firm, lab_ps_period
        The same for private labs (×; NaN without one).
    macro_ratio, macro_period
        Highest ratio of the network's AI revenue (last four quarters, annualised
        in the first three) to :func:`macro_limit`.
    negative_equity_quarters, negative_equity_firm
        Longest run of quarters a firm kept negative equity without a resolving event.
    debt_revenue, debt_revenue_firm, debt_revenue_period
        Highest debt / trailing four-quarter revenue of a firm not in default (×).
    """

    listed_ps: float
    listed_ps_firm: str
    listed_ps_period: str
    lab_ps: float
    lab_ps_firm: str
    lab_ps_period: str
    macro_ratio: float
    macro_period: str
    negative_equity_quarters: int
    negative_equity_firm: str
    debt_revenue: float
    debt_revenue_firm: str
    debt_revenue_period: str


def _worst_ratio(
    value: np.ndarray, sales: np.ndarray, live: np.ndarray, cols: np.ndarray
) -> tuple[float, int, int]:
    """Highest value/sales over the live cells of ``cols``: (ratio, quarter, column)."""
    if cols.size == 0:
        return float("nan"), -1, -1
    v, s, ok = value[:, cols], sales[:, cols], live[:, cols] & (value[:, cols] > 0)
    ratio = np.full(v.shape, -np.inf)
    np.divide(v, s, out=ratio, where=ok & (s > 1e-9))
    ratio[ok & (s <= 1e-9)] = np.inf  # a positive value on no revenue: unbounded
    if not ok.any():
        return float("nan"), -1, -1
    q, c = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    return float(ratio[q, c]), int(q), int(cols[c])


def negative_equity_spells(
    equity: np.ndarray, defaulted: np.ndarray, resolved: np.ndarray
) -> np.ndarray:
    """Per firm, the longest run of unresolved quarters with negative book equity.

    A quarter counts while the firm's equity is negative and it has not defaulted;
    a resolving event (``resolved[t, f]``) restarts the count.

    Parameters
    ----------
    equity : numpy.ndarray
        Shape ``(quarters, firms)``, book equity, USD bn.
    defaulted, resolved : numpy.ndarray
        Shape ``(quarters, firms)``, bool.

    Returns
    -------
    numpy.ndarray
        Shape ``(firms,)``, int, quarters.

    Examples
    --------
    >>> eq = np.array([[-1.0], [-1.0], [-1.0], [1.0], [-1.0]])
    >>> no = np.zeros((5, 1), dtype=bool)
    >>> negative_equity_spells(eq, no, no).tolist()
    [3]
    """
    t, n = equity.shape
    longest = np.zeros(n, dtype=np.int64)
    run = np.zeros(n, dtype=np.int64)
    for q in range(t):
        negative = (equity[q] < 0) & ~defaulted[q]
        run = np.where(negative & ~resolved[q], run + 1, 0)
        longest = np.maximum(longest, run)
    return longest


def size_measures(
    firms: pd.DataFrame,
    listed: Sequence[bool],
    events: pd.DataFrame,
    start_year: float,
) -> SizeMeasures:
    """The worst sizes of one run (see :class:`SizeMeasures`).

    Parameters
    ----------
    firms
        The run's firm table (``RunResult.firms``): ``quarter``, ``period``, ``firm``,
        ``role``, ``valuation``, ``revenue``, ``ai_revenue``, ``equity``, ``debt``,
        ``defaulted``.
    listed
        Per firm (in first-appearance order), whether it is listed.
    events
        The run's event table (``RunResult.events``).
    start_year
        Calendar year of quarter 0 as a fraction (``2025.0`` for 2025Q1).
    """
    names = list(dict.fromkeys(firms["firm"]))
    wide = {
        c: firms.pivot(index="quarter", columns="firm", values=c)[names].to_numpy()
        for c in ("valuation", "revenue", "ai_revenue", "equity", "debt", "defaulted")
    }
    periods = firms.drop_duplicates("quarter").sort_values("quarter")["period"].tolist()
    roles = firms.drop_duplicates("firm").set_index("firm").loc[names, "role"].to_numpy()
    defaulted = wide["defaulted"].astype(bool)
    sales = trailing_sum(wide["revenue"].astype(float))
    value = wide["valuation"].astype(float)
    live = ~defaulted
    is_listed = np.asarray(listed, dtype=bool)
    lp, lq, lc = _worst_ratio(value, sales, live, np.flatnonzero(is_listed))
    pp, pq, pc = _worst_ratio(value, sales, live, np.flatnonzero(~is_listed & (roles == "lab")))
    debt = wide["debt"].astype(float)
    dr, dq, dc = _worst_ratio(debt, sales, live, np.arange(len(names)))
    network = trailing_sum(np.clip(wide["ai_revenue"].astype(float), 0, None).sum(axis=1))
    years = start_year + np.arange(len(network)) / 4.0
    macro = network / macro_limit(years)
    resolved = np.zeros_like(defaulted)
    if len(events):
        index = {name: k for k, name in enumerate(names)}
        for row in events.itertuples(index=False):
            if row.kind in RESOLVING_EVENTS and 0 <= row.quarter < len(periods):
                for who in (row.firm, row.counterparty):
                    if who in index:
                        resolved[row.quarter, index[who]] = True
    spells = negative_equity_spells(wide["equity"].astype(float), defaulted, resolved)
    k = int(np.argmax(spells))
    return SizeMeasures(
        listed_ps=lp,
        listed_ps_firm=names[lc] if lc >= 0 else "",
        listed_ps_period=periods[lq] if lq >= 0 else "",
        lab_ps=pp,
        lab_ps_firm=names[pc] if pc >= 0 else "",
        lab_ps_period=periods[pq] if pq >= 0 else "",
        macro_ratio=float(macro.max()),
        macro_period=periods[int(np.argmax(macro))],
        negative_equity_quarters=int(spells[k]),
        negative_equity_firm=names[k] if spells[k] > 0 else "",
        debt_revenue=dr if dc >= 0 else 0.0,
        debt_revenue_firm=names[dc] if dc >= 0 else "",
        debt_revenue_period=periods[dq] if dq >= 0 else "",
    )
