"""Fundamental values of the firms, quarter by quarter (the investors' anchor).

:class:`Fundamentals` keeps each firm's *growth expectation* — adaptive to the trend
of its own revenue, bounded, and fading over the forecast horizon
(:mod:`world.fundamentals`) — and turns the firm's latest results into a fundamental
equity value:

* **listed firms with cash flows**: a fade DCF of owner cash flow (EBITDA averaged
  over ``earnings_window`` quarters less interest, after tax, plus the cash margin on
  contracted backlog). The
  opening market capitalisation fixes one multiplier per firm (the *opening
  premium* ``ρ = V_0 / DCF_0``, bounded): the 2025 market's expectations beyond the
  model's cash flows are taken as given at the start and fade as the future arrives
  (``ρ_t = 1 + (ρ − 1) · premium_persistence^t``); the firm's own results, backlog and
  growth expectation move the value from there;
* **firms without meaningful cash flows** (DCF below ``min_dcf_share`` of the opening
  value): trailing revenue times the fade multiple of the revenue growth expectation,
  normalised to the opening value;
* **AI labs** (private): their *prospects* — revenue growth, today's cost structure
  converging to long-run shares, and the compute they have contracted on
  take-or-pay terms (:func:`world.fundamentals.lab_prospects_value`). No opening
  premium: the lab's parameters are calibrated so the 2025 valuation is reproduced,
  and a lab whose growth stalls under large commitments is worth little or nothing.

Without an investor population, valuations are these fundamentals (:func:`reprice`).
"""

from __future__ import annotations

import functools
import math
from operator import mul as _mul
from typing import TYPE_CHECKING

import numpy as np

from world.demand import macro_limit
from world.fundamentals import (
    fade_multiple_unchecked,
    growth_expectation_unchecked,
    lab_value_unchecked,
)
from world.ledger import Account
from world.market import backlog_cash_flow_unchecked
from world.params import Role

if TYPE_CHECKING:
    from agents.firm import Firm
    from world.model import AIEconomy

__all__ = ["Fundamentals", "reprice", "revenue_trend"]

_TOKEN_VALUE = 1e-3  # USD bn: what a firm with worthless prospects is still quoted at
_log, _expm1 = math.log, math.expm1


def revenue_trend(history: list[float], window: int) -> float:
    """Growth per quarter of revenue: least-squares slope of log revenue (NaN if unknown).

    Uses the last ``window`` quarters with positive revenue (at least 3); robust to
    the lumps of order waves, unlike quarter-on-quarter growth.
    """
    y = [_log(x) for x in history[-window:] if x > 1e-9]
    n = len(y)
    if n < 3:
        return float("nan")
    mean_y = sum(y) / n
    num = sum(map(_mul, _time_deviations(n), [v - mean_y for v in y]))
    return _expm1(num / _time_variance(n))


@functools.cache
def _time_deviations(n: int) -> tuple[float, ...]:
    """``t − mean t`` for ``t = 0..n-1`` (a few ``n`` recur)."""
    mean_t = (n - 1) / 2.0
    return tuple([t - mean_t for t in range(n)])


@functools.cache
def _time_variance(n: int) -> float:
    """``Σ (t − mean t)²`` over ``t = 0..n-1`` (the slope's denominator)."""
    return sum([d**2 for d in _time_deviations(n)])


class Fundamentals:
    """Growth expectations and fundamental values of every firm of a model.

    Parameters
    ----------
    model
        The economy (firms, deal book, parameters).
    """

    def __init__(self, model: AIEconomy) -> None:
        self.model = model
        firms = model.firms
        self.expected_growth = np.array([f.spec.expected_growth for f in firms])
        self.opening = np.array([f.spec.market_cap for f in firms])
        self.values = self.opening.copy()
        self.premium: np.ndarray | None = None  # ρ per firm, fixed after the first quarter
        self.on_cash = np.zeros(len(firms), dtype=bool)
        self._anchor_revenue = np.ones(len(firms))
        self.risk_free_0 = model.params.credit.risk_free  # the opening rate per year

    # -- inputs ------------------------------------------------------------------------
    def _update_expectations(self) -> None:
        """Move each firm's growth expectation towards its revenue trend (bounded).

        Seven firms: plain floats, one firm at a time (each small numpy call costs more
        than the arithmetic); the same operations as the array kernel
        :func:`world.fundamentals.update_growth_expectation`.
        """
        m = self.model
        mp = m.params.market
        window, smoothing = mp.growth_window, mp.growth_smoothing
        low, high = mp.min_expected_growth, mp.max_expected_growth
        top = max(high, mp.lab_max_expected_growth)
        growth = []
        for f, previous in zip(m.firms, self.expected_growth.tolist(), strict=True):
            observed = revenue_trend(f.revenue_history, window)
            g = growth_expectation_unchecked(previous, observed, smoothing, low, top)
            growth.append(g if f.role is Role.LAB else _minimum(g, high))
        self.expected_growth = np.array(growth)

    def _owner_cash_flow(self) -> list[float]:
        """Normalised owner cash flow per quarter plus backlog margin (USD bn), per firm."""
        backlog = self.model.backlogs()[0]
        return [self._owner_cash(f, backlog[f.index]) for f in self.model.firms]

    def _owner_cash(self, f: Firm, backlog: float) -> float:
        """One firm's owner cash flow per quarter plus the margin on its ``backlog`` (USD bn)."""
        mp = self.model.params.market
        recent = f.ebitda_history[-mp.earnings_window :]
        ebitda = sum(recent) / len(recent) if recent else 0.0
        interest = f.statement.expenses[Account.INTEREST_EXPENSE]
        return (ebitda - interest) * (1.0 - f.spec.tax_rate) + backlog_cash_flow_unchecked(
            backlog, float(mp.backlog_quarters), float(mp.backlog_margin)
        )

    def committed_compute(self, lab: Firm, horizon: int) -> np.ndarray:
        """A lab's contracted minimum payments for compute, per quarter ahead (USD bn).

        Cached until the quarter or the deal book changes (see :meth:`_committed`); a
        shorter horizon is the start of the prospects' horizon (the same values), so the
        lab's runway and its value share one computation.
        """
        full = max(horizon, self.model.params.market.lab_horizon_quarters)
        out = self.model.memo(("committed", lab.index, full), lambda: self._committed(lab, full))
        return out[:horizon] if horizon < full else out

    def _committed(self, lab: Firm, horizon: int) -> np.ndarray:
        """A lab's contracted minimum payments for compute, per quarter ahead (USD bn).

        Take-or-pay minimums of its cloud contracts and the cash due on its undelivered
        GPU orders (chips and construction), for quarters ``q + 1 … q + horizon``.
        """
        m = self.model
        q = m.quarter
        out = [0.0] * horizon  # a list while adding up: numpy items cost more than floats
        for c in m.deals.of("cloud", "customer", lab.index):
            if not c.active:
                continue
            lo, hi = c.start - q - 1, c.end - q - 1  # clipped to [0, horizon]: integers
            lo = 0 if lo < 0 else lo
            hi = horizon if hi > horizon else hi
            if hi > lo and c.ramp == 1:
                rent = c.take_or_pay * c.gw * c.price
                for k in range(lo, hi):
                    out[k] += rent
            elif hi > lo:  # a ramp: quarter q + 1 + k is due gw_due(q + 1 + k)
                rent = c.take_or_pay * c.price
                for k in range(lo, hi):
                    out[k] += rent * c.gw_due(q + 1 + k)
        build = m.construction_per_gw(lab)
        for o in m.deals.of("gpu", "buyer", lab.index):
            if not o.active:
                continue
            for t, part in o.planned(q, horizon):
                out[t - q - 1] += part * ((1 - o.prepay_share) * o.price + build)
        return np.array(out)

    def lab_value(self, lab: Firm) -> float:
        """Fundamental equity value of an AI lab from its prospects (USD bn; may be < 0)."""
        m = self.model
        mp = m.params.market
        revenue = max(lab.recent_revenue(), 1e-6)
        st = lab.statement.expenses
        compute = st[Account.COMPUTE_COST] + st[Account.COST_OF_REVENUE] + st[Account.DEPRECIATION]
        latest = max(lab.statement.revenue, 1e-6)
        return (
            lab_value_unchecked(
                revenue,
                float(self.expected_growth[lab.index]),
                max(st[Account.OPEX] / latest, 0.0),
                max(compute / latest, 0.0),
                self.committed_compute(lab, mp.lab_horizon_quarters),
                mp.lab_other_cost_share,
                mp.lab_compute_cost_share,
                mp.lab_cost_fade,
                self.discount_rate(mp.lab_discount_rate),
                m.params.investors.terminal_growth_per_q,
                mp.lab_growth_fade,
                lab.spec.tax_rate,
                self._macro_path(mp.lab_horizon_quarters),
            )
            + lab.cash
        )

    def discount_rate(self, base: float) -> float:
        """A discount rate per quarter moved by the change of the risk-free rate.

        ``base`` plus the change of ``credit.risk_free`` since the start (per quarter):
        a rate hike lowers every fundamental value. Kept above the terminal growth (the
        Gordon value stays finite).
        """
        m = self.model
        shift = (m.params.credit.risk_free - self.risk_free_0) / 4.0
        return max(base + shift, m.params.investors.terminal_growth_per_q + 1e-3)

    def _macro_path(self, horizon: int) -> np.ndarray:
        """The macro limit on AI spending for each quarter ahead (USD bn per quarter)."""
        m = self.model
        growth = 1.0 + m.params.macro.it_spending_growth
        first = macro_limit(m.quarter + 1, m.params.macro)
        return first * _growth_factors(growth, horizon)

    # -- the quarter -------------------------------------------------------------------
    def update(self) -> np.ndarray:
        """Recompute every firm's fundamental value after the quarter's results (USD bn).

        Per firm on plain floats (seven firms: small numpy calls cost more than the
        arithmetic); :func:`_maximum` is ``numpy.maximum`` of two floats.
        """
        m = self.model
        mp = m.params.market
        ip = m.params.investors
        self._update_expectations()
        g = self.expected_growth
        r, g_inf = self.discount_rate(ip.discount_rate_per_q), ip.terminal_growth_per_q
        multiples = fade_multiple_unchecked(g, r, g_inf, mp.growth_fade, mp.horizon_quarters)
        multiple = multiples.tolist()
        if self.premium is None:
            dcf = [o * k for o, k in zip(self._owner_cash_flow(), multiple, strict=True)]
            revenue = [_sales_value(f, k) for f, k in zip(m.firms, multiple, strict=True)]
            self._fix_premium(np.array(dcf), np.array(revenue))
        assert self.premium is not None
        fade = mp.premium_persistence ** max(m.quarter, 0)
        backlog = m.backlogs()[0]
        values = []
        # each firm is valued on what its basis needs: cash flow, sales, or a lab's prospects
        for f, k, rho, on_cash in zip(
            m.firms, multiple, self.premium.tolist(), self.on_cash.tolist(), strict=True
        ):
            if f.role is Role.LAB:
                values.append(self.lab_value(f))  # no floor: a lab may be worth less than 0
                continue
            premium = 1.0 + (rho - 1.0) * fade
            if on_cash:
                value = premium * _maximum(self._owner_cash(f, backlog[f.index]) * k, 0.0)
            else:
                value = premium * _sales_value(f, k)
            values.append(_maximum(value, _maximum(f.balance.total_equity, 1e-3)))
        self.values = np.array(values)
        return self.values

    def _fix_premium(self, dcf: np.ndarray, revenue_value: np.ndarray) -> None:
        """The opening premium ρ per firm and whether it is valued on cash (first quarter)."""
        mp = self.model.params.market
        self.on_cash = dcf > mp.min_dcf_share * self.opening
        self._anchor_revenue = np.maximum(revenue_value, 1e-9)
        base = np.where(self.on_cash, dcf, self._anchor_revenue)
        self.premium = np.clip(
            self.opening / np.maximum(base, 1e-9), mp.min_premium, mp.max_premium
        )


def _sales_value(f: Firm, multiple: float) -> float:
    """Trailing revenue per quarter (at least 0) times the fade ``multiple`` (USD bn)."""
    revenue = f.recent_revenue()
    return (0.0 if revenue < 0.0 else revenue) * multiple  # max(revenue, 0.0)


def _maximum(x: float, y: float) -> float:
    """``numpy.maximum`` of two floats: a NaN wins, and on a tie the second argument."""
    return x if x > y or x != x else y


def _minimum(x: float, y: float) -> float:
    """``numpy.minimum`` of two floats: a NaN wins, and on a tie the second argument."""
    return x if x < y or x != x else y


@functools.lru_cache(maxsize=8)
def _growth_factors(growth: float, horizon: int) -> np.ndarray:
    """``growth ** k`` for ``k = 0..horizon-1``, read-only (the same few every quarter)."""
    out = growth ** np.arange(horizon, dtype=np.float64)
    out.flags.writeable = False
    return out


def reprice(model: AIEconomy) -> None:
    """Update the fundamentals; without an investor population, value every firm at them.

    With a population, listed values come from trading (:mod:`world.exchange`) and a
    private lab's value from its funding rounds. Without one, a firm is worth its
    fundamental value; a lab whose prospects are worth nothing keeps a token value (its
    rounds then raise nothing). Defaulted firms are worth 0.
    """
    values = model.fundamentals.update().tolist()
    for f, value in zip(model.firms, values, strict=True):
        if f.defaulted:
            f.valuation = 0.0
        elif model.market is None:
            f.valuation = max(value, _TOKEN_VALUE)
