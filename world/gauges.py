"""The article's yearly figures, from a run's quarterly system columns (pure functions).

The quarterly gauges are recorded by :class:`world.metrics.Recorder`; this module
turns them into the figures the article quotes, with their definitions:

* **paid-user growth by year** — paying users at the end of year *Y* over paying
  users at the end of year *Y − 1*, minus 1. Quarters before the run come from the
  scenario's history: ``demand.paid_users_2023`` (end of 2023) and the opening
  paying users ``users_0 · paid_share_0`` (the end of the quarter before the start).
  With the baseline's start in 2025Q1 the 2024 figure is the opening over the end
  of 2023. The article's "35% in 2025Q1" is a *quarter-on-quarter* growth (end of
  2025Q1 over end of 2024), the ``engine_paid_growth`` column of that quarter; as an
  annual rate it would be ``1.35⁴ − 1 ≈ 232%``.
* **years to 10% adoption** — from the launch quarter (``demand.launch``, the
  adoption clock counts from the end of that quarter) to the end of the first
  quarter whose adoption share (weekly users / world population) reaches 10%.
* **free cash flow by year** — the labs' operating cash flow minus capex summed over
  the calendar year's recorded quarters; the funding gap is its negative part.

References for adoption speed (the article): personal computers took 12 years
to reach 10% adoption, mobile phones 21; AI (ChatGPT, launched 2022-11-30) about 3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from world.params.base import quarter_index

__all__ = [
    "ADOPTION_REFERENCES",
    "ADOPTION_THRESHOLD",
    "by_year",
    "paid_growth_by_year",
    "years_to_adoption",
]

#: Adoption share the article's comparison counts (10% of the population).
ADOPTION_THRESHOLD = 0.10
#: Years from launch to 10% adoption of earlier technologies (the article).
ADOPTION_REFERENCES: dict[str, float] = {"PC": 12.0, "mobile": 21.0}


def _periods(periods: Sequence[str], values: ArrayLike, name: str) -> tuple[list[int], np.ndarray]:
    """Quarter indices of ``periods`` and ``values`` as a finite float array of the same length."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or len(x) != len(periods):
        raise ValueError(f"{name} must have one value per period ({len(periods)}), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite")
    return [quarter_index(str(p)) for p in periods], x


def paid_growth_by_year(
    periods: Sequence[str],
    paid_users: ArrayLike,
    *,
    opening: float,
    history: Mapping[str, float] | None = None,
) -> dict[int, float]:
    """Paying-user growth of each calendar year whose two year-ends are known.

    Parameters
    ----------
    periods
        Calendar label of each recorded quarter (``"2025Q1"``), consecutive.
    paid_users
        Paying users at the end of each quarter (millions).
    opening
        Paying users at the end of the quarter before ``periods[0]`` (millions).
    history
        Paying users at earlier quarter ends, label → millions (e.g.
        ``{"2023Q4": 4.478}``).

    Returns
    -------
    dict
        Year → growth (fraction: 2.517 is +251.7%) from the end of the previous
        year to the end of that year, for every year both ends of which are known.
    """
    index, x = _periods(periods, paid_users, "paid_users")
    if not np.isfinite(opening) or opening <= 0:
        raise ValueError(f"opening must be a positive number of users, got {opening!r}")
    known = {quarter_index(str(k)): float(v) for k, v in (history or {}).items()}
    if index:
        known[index[0] - 1] = float(opening)
    known.update(zip(index, x.tolist(), strict=True))
    out = {}
    for q, value in sorted(known.items()):
        if q % 4 == 3 and (q - 4) in known and known[q - 4] > 0:  # a Q4 with last year's Q4
            out[q // 4] = value / known[q - 4] - 1.0
    return out


def years_to_adoption(
    periods: Sequence[str],
    adoption: ArrayLike,
    *,
    launch: str,
    threshold: float = ADOPTION_THRESHOLD,
) -> float | None:
    """Years from the end of the launch quarter to the first quarter at ``threshold``.

    ``adoption`` is the share of the population using the product at the end of each
    quarter of ``periods``. Returns ``None`` if the threshold is never reached in
    the recorded quarters.
    """
    index, x = _periods(periods, adoption, "adoption")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    start = quarter_index(launch)
    hit = np.flatnonzero(x >= threshold)
    return (index[int(hit[0])] - start) / 4.0 if hit.size else None


def by_year(periods: Sequence[str], values: ArrayLike) -> dict[int, tuple[float, int]]:
    """Sum of a quarterly flow per calendar year, with the number of quarters summed.

    A year with fewer than four recorded quarters is partial (the count says so).
    """
    index, x = _periods(periods, values, "values")
    out: dict[int, tuple[float, int]] = {}
    for q, value in zip(index, x.tolist(), strict=True):
        total, n = out.get(q // 4, (0.0, 0))
        out[q // 4] = (total + value, n + 1)
    return out
