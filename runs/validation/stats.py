"""Statistical tests of the validation suite: pure functions, samples in, numbers out.

Each claim about the model is a claim about distributions over seeds (see
``docs/explanation/validation.md``), tested with a stated test:

* directions of continuous outputs and counts — one-sided Mann–Whitney U
  (:func:`mann_whitney`) with a bootstrap interval of the difference of medians
  (:func:`bootstrap_median_difference`);
* rates (flags over seeds) — Wilson intervals (:func:`wilson_interval`) and
  Fisher's exact test (:func:`fisher_exact_one_sided`);
* a one-sample location test (:func:`signed_rank_greater`) for the stylized facts.

References
----------
.. [LMH15] Lee, J.-S. et al. (2015). The complexities of agent-based modeling output
   analysis. *JASSS* 18(4) 4.
.. [W27] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. *JASA* 22: 209–212.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "ALPHA",
    "Alternative",
    "bootstrap_median_difference",
    "fisher_exact_one_sided",
    "mann_whitney",
    "signed_rank_greater",
    "wilson_interval",
]

#: Significance level of every one-sided test of the suite.
ALPHA = 0.01

Alternative = Literal["greater", "less"]


def _sample(x: ArrayLike, name: str) -> np.ndarray:
    v = np.asarray(x, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return v


def _alternative(alternative: str) -> Alternative:
    if alternative not in ("greater", "less"):
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    return alternative  # type: ignore[return-value]


def mann_whitney(x: ArrayLike, y: ArrayLike, alternative: str) -> tuple[float, float]:
    """One-sided Mann–Whitney U test that ``x`` tends to be greater (or less) than ``y``.

    Parameters
    ----------
    x, y : array_like
        Two independent samples (one value per seed); finite.
    alternative : {"greater", "less"}
        Direction claimed for ``x`` against ``y``.

    Returns
    -------
    (float, float)
        The U statistic of ``x`` and the p-value (exact for small samples without
        ties, else the normal approximation with tie correction). Two samples of
        one and the same constant value give ``p = 1``.

    Examples
    --------
    >>> u, p = mann_whitney([5, 6, 7, 8, 9], [1, 2, 3, 4, 5], "greater")
    >>> u, round(p, 4)
    (24.5, 0.008)

    """
    a, b = _sample(x, "x"), _sample(y, "y")
    alt = _alternative(alternative)
    if np.ptp(np.concatenate([a, b])) == 0:
        return float(a.size * b.size / 2), 1.0
    res = stats.mannwhitneyu(a, b, alternative=alt)
    return float(res.statistic), float(res.pvalue)


def bootstrap_median_difference(
    x: ArrayLike,
    y: ArrayLike,
    *,
    level: float = 1 - 2 * ALPHA,
    resamples: int = 4000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Difference of medians ``median(x) − median(y)`` with a percentile bootstrap interval.

    Each sample is resampled with replacement on its own (independent samples).

    Parameters
    ----------
    x, y : array_like
        Two independent samples; finite.
    level : float
        Two-sided coverage in ``(0, 1)`` (default 0.98: each tail 1 %, the one-sided
        level of the suite's tests).
    resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap (results are reproducible).

    Returns
    -------
    (float, float, float)
        The difference of medians and the interval's lower and upper ends.
    """
    a, b = _sample(x, "x"), _sample(y, "y")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if resamples < 100:
        raise ValueError(f"resamples must be at least 100, got {resamples!r}")
    rng = np.random.default_rng(seed)
    ma = np.median(a[rng.integers(0, a.size, (resamples, a.size))], axis=1)
    mb = np.median(b[rng.integers(0, b.size, (resamples, b.size))], axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(ma - mb, [tail, 100 - tail])
    return float(np.median(a) - np.median(b)), float(lo), float(hi)


def wilson_interval(successes: int, n: int, *, level: float = 1 - 2 * ALPHA) -> tuple[float, float]:
    """Wilson score interval of a rate ``successes / n`` ([W27]_).

    Parameters
    ----------
    successes, n : int
        Count of ones and number of trials, ``0 <= successes <= n``, ``n >= 1``.
    level : float
        Two-sided coverage (default 0.98: each end is a one-sided 99 % bound).

    Examples
    --------
    >>> lo, hi = wilson_interval(17, 20)
    >>> round(lo, 3), round(hi, 3)
    (0.595, 0.956)

    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n], got {successes!r} of {n}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(centre - half, 0.0)  # exact ends at 0 and n
    hi = 1.0 if successes == n else min(centre + half, 1.0)
    return float(lo), float(hi)


def fisher_exact_one_sided(
    k1: int, n1: int, k2: int, n2: int, alternative: str
) -> tuple[float, float]:
    """Fisher's exact test that rate ``k1/n1`` is greater (or less) than ``k2/n2``.

    Returns
    -------
    (float, float)
        The sample odds ratio (``inf``/``nan`` when a cell is zero) and the p-value.

    Examples
    --------
    >>> odds, p = fisher_exact_one_sided(15, 20, 3, 20, "greater")
    >>> round(p, 5)
    0.00016

    """
    for name, (k, n) in {"k1": (k1, n1), "k2": (k2, n2)}.items():
        if not (n >= 1 and 0 <= k <= n):
            raise ValueError(f"{name}: need 0 <= successes <= n and n >= 1, got {k} of {n}")
    alt = _alternative(alternative)
    table = [[k1, n1 - k1], [k2, n2 - k2]]
    with np.errstate(divide="ignore", invalid="ignore"):
        res = stats.fisher_exact(table, alternative=alt)
    return float(res.statistic), float(res.pvalue)


def signed_rank_greater(x: ArrayLike, threshold: float = 0.0) -> tuple[float, float]:
    """One-sided Wilcoxon signed-rank test that the median of ``x`` exceeds ``threshold``.

    Returns
    -------
    (float, float)
        The statistic and the p-value (``1`` if every value equals ``threshold``).
    """
    d = _sample(x, "x") - threshold
    if np.all(d == 0):
        return 0.0, 1.0
    res = stats.wilcoxon(d, alternative="greater", zero_method="zsplit")
    return float(res.statistic), float(res.pvalue)
