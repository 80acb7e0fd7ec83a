"""The investor population: one vectorised block of investors owned by the model.

Every investor is one row of a few numpy arrays (no per-investor Python
objects), so the population scales to 1e6 investors. Once per quarter the model
calls :meth:`InvestorPopulation.trade_quarter` with per-firm fundamentals and news
and gets back prices; between quarters it may call
:meth:`InvestorPopulation.funding_round` for a private lab. The behavioural rules
are documented in ``docs/explanation/investors.md``.

Units: money USD bn, prices USD per share, shares bn shares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from agents.streams import BlockStreams, standard_normal
from world import rounds, trading
from world.market import InvestorParams
from world.trading import portfolio_values, trade_quarter_kernel

__all__ = [
    "FundingRoundResult",
    "InvestorPopulation",
    "QuarterMarketResult",
    "RoundOutcome",
    "StrategyType",
]

FloatArray = NDArray[np.float64]
_MAX_MISPRICING = 5.0
"""Cap on |log(F/P)| seen by fundamentalists (also covers F <= 0)."""


class StrategyType(IntEnum):
    """Investor strategy, stored as int8 in :attr:`InvestorPopulation.types`."""

    FUNDAMENTALIST = 0
    CHARTIST = 1
    NOISE = 2


class RoundOutcome(Enum):
    """Outcome of a primary funding round."""

    FULL = "full"
    UNDERSUBSCRIBED = "undersubscribed"
    FAILED = "failed"


def _read_only(a: FloatArray) -> FloatArray:
    """``a`` itself, made read-only (for arrays nobody else holds)."""
    a.setflags(write=False)  # (a.flags.writeable = False builds a flags object first)
    return a


@dataclass(frozen=True)
class QuarterMarketResult:
    """What one quarter of trading produced (arrays are read-only).

    Attributes
    ----------
    asset_names : tuple of str
        Order of the per-asset arrays.
    listed_names : tuple of str
        Order of the per-listed-asset arrays.
    prices : numpy.ndarray, shape (n_assets,)
        End-of-quarter prices, USD per share (private assets: last round or tender quote).
    market_caps : numpy.ndarray, shape (n_assets,)
        Price × shares outstanding, USD bn.
    price_to_fundamental : numpy.ndarray, shape (n_assets,)
        Market cap / fundamental value; ``inf`` if the fundamental is <= 0,
        ``nan`` where no fundamental was supplied.
    quarterly_returns : numpy.ndarray, shape (n_assets,)
        Log return since the previous quarter's close (includes round repricing).
    subround_returns : numpy.ndarray, shape (sub_rounds, n_listed)
        Log return of every trading sub-round.
    volume : numpy.ndarray, shape (n_listed,)
        Shares traded by investors in the quarter, bn shares.
    market_maker_inventory : numpy.ndarray, shape (n_listed,)
        Market maker's net position after the quarter, bn shares.
    mean_sentiment, sentiment_dispersion : float
        Mean and std. dev. of investor sentiment after the quarter's update.
    type_shares : numpy.ndarray, shape (3,)
        Head-count shares (fundamentalist, chartist, noise) after switching.
    fitness : numpy.ndarray, shape (3,)
        Strategy fitness ``U_h`` used for switching, percent per quarter.
    """

    asset_names: tuple[str, ...]
    listed_names: tuple[str, ...]
    prices: FloatArray
    market_caps: FloatArray
    price_to_fundamental: FloatArray
    quarterly_returns: FloatArray
    subround_returns: FloatArray
    volume: FloatArray
    market_maker_inventory: FloatArray
    mean_sentiment: float
    sentiment_dispersion: float
    type_shares: FloatArray
    fitness: FloatArray


@dataclass(frozen=True)
class FundingRoundResult:
    """A primary funding round of a private asset (USD bn unless stated)."""

    asset: str
    outcome: RoundOutcome
    amount_sought_usd_bn: float
    amount_raised_usd_bn: float
    pre_money_valuation_usd_bn: float
    post_money_valuation_usd_bn: float
    price_per_share_usd: float
    shares_issued_bn: float
    n_subscribers: int
    demand_at_ask_usd_bn: float
    demand_above_floor_usd_bn: float


class InvestorPopulation:
    """Vectorised investor population trading listed equity and private-round shares.

    Parameters
    ----------
    params : InvestorParams
        Behavioural parameters; ``params.n_investors`` rows are created.
    asset_names : list of str
        One name per asset (listed firms and private labs), unique.
    shares_outstanding : array_like, shape (n_assets,)
        Shares outstanding, bn shares, ``> 0``.
    initial_prices : array_like, shape (n_assets,)
        USD per share, ``> 0`` (private: last round price); price × shares is the
        calibrated market cap / valuation.
    float_fraction : float or array_like, shape (n_assets,)
        Fraction of shares held by the investor population, in ``(0, 1]``; the
        rest is held by insiders and other firms and never trades here.
    rng : numpy.random.Generator
        Source of every random number of the initial state (and, for a population of
        more than one block, of the seeds of the blocks' streams).
    private_assets : sequence of str, optional
        Names of assets that do not trade (priced only at funding rounds).
    """

    def __init__(
        self,
        params: InvestorParams,
        asset_names: Sequence[str],
        shares_outstanding: ArrayLike,
        initial_prices: ArrayLike,
        float_fraction: float | ArrayLike,
        rng: np.random.Generator,
        *,
        private_assets: Sequence[str] = (),
    ) -> None:
        names = tuple(str(a) for a in asset_names)
        k = len(names)
        if k == 0 or len(set(names)) != k:
            raise ValueError(f"asset_names must be non-empty and unique, got {asset_names!r}")
        shares = np.array(shares_outstanding, dtype=np.float64)
        prices = np.array(initial_prices, dtype=np.float64)
        ff = np.broadcast_to(np.asarray(float_fraction, dtype=np.float64), (k,)).copy()
        for arg, arr in (("shares_outstanding", shares), ("initial_prices", prices)):
            if arr.shape != (k,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0.0):
                raise ValueError(f"{arg} must be {k} finite values > 0, got {arr!r}")
        if not np.all((ff > 0.0) & (ff <= 1.0)):
            raise ValueError(f"float_fraction must lie in (0, 1], got {float_fraction!r}")
        unknown = set(private_assets) - set(names)
        if unknown:
            raise ValueError(f"private_assets not in asset_names: {sorted(unknown)}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError("rng must be a numpy.random.Generator")
        self.params = params
        self.asset_names = names
        self.listed = np.array([a not in set(private_assets) for a in names])
        self._listed_idx = np.flatnonzero(self.listed).astype(np.int64)
        self._listed_cols = tuple(int(k) for k in self._listed_idx)
        self._private_idx = {a: i for i, a in enumerate(names) if not self.listed[i]}
        self.listed_names = tuple(names[i] for i in self._listed_idx)
        self.shares_outstanding = shares
        self.prices = prices
        n, n_l = params.n_investors, self._listed_idx.size
        float_shares = ff * shares
        self._float_listed = float_shares[self._listed_idx].copy()
        self._insiders = shares - float_shares

        # Initial state, all random numbers drawn in bulk.
        bounds = trading.block_bounds(n)
        self._streams = BlockStreams(bounds, rng) if bounds.size > 2 else None
        """More than one block: each investor's own draws come from its block's stream
        (:mod:`agents.streams`), on all threads; one block: from the caller's ``rng``."""
        wealth_w, holdings, noise = self._initial_draws(rng, k)
        self.capacity = wealth_w / wealth_w.sum()
        """Share of the free float an investor normally holds (order scale), sums to 1."""
        self.holdings = holdings
        """Shares held, bn shares, shape (n, n_assets)."""
        self.holdings *= self.capacity[:, None]
        self.holdings *= float_shares / self.holdings.sum(axis=0)
        self.cash = self.holdings @ prices
        """Cash, USD bn, shape (n,)."""
        self.cash *= params.cash_share / (1.0 - params.cash_share)
        self.sentiment = np.clip(
            params.initial_sentiment_mean + params.initial_sentiment_sd * noise, -1.0, 1.0
        )
        """Sentiment in [-1, 1], shape (n,)."""
        self.types = np.repeat(np.arange(3, dtype=np.int8), _apportion(params.type_shares, n))
        """Strategy per investor (:class:`StrategyType` values), int8, shape (n,)."""
        rng.shuffle(self.types)
        self.profit_memory = np.zeros(3)
        """Fitness ``U_h`` of each strategy, percent per quarter."""
        self.trend = np.zeros(n_l)
        """Chartists' EWMA of sub-round log returns per listed asset."""
        self.market_maker_inventory = np.zeros(n_l)
        """Market maker's net position per listed asset, bn shares."""
        self.market_maker_cash = 0.0
        """Market maker's cash, USD bn (starts at 0, may go negative)."""
        self._pending = np.zeros((n, n_l))
        self._kernel_params = _kernel_params(params)
        self._round_step = np.zeros(k)
        self._last_close = prices.copy()
        self._wealth = np.empty(n)
        self._news = np.empty(n)
        self._buffers: dict[str, np.ndarray] = {}
        self._scratch = np.empty(trading.scratch_size(n, n_l, params.sub_rounds))
        """The trading kernel's draws and scratch, reused every quarter."""
        self._normals, self._uniforms, _, _ = trading.scratch_parts(
            self._scratch, n, n_l, params.sub_rounds
        )

    def _initial_draws(
        self, rng: np.random.Generator, k: int
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Pareto wealth weights (n), lognormal holdings (n, k), the sentiment's normals (n).

        One block: from ``rng``, in that order. More: each block's from its stream, on
        all threads (the lognormal as ``exp(σ z)`` of standard normals, the same law
        as numpy's ``lognormal`` at mean 0, with the exponentials taken per block).
        """
        p = self.params
        n, sigma = p.n_investors, p.holdings_dispersion
        if self._streams is None:
            wealth_w = rng.pareto(p.wealth_pareto_alpha, n) + 1.0
            return wealth_w, rng.lognormal(0.0, sigma, (n, k)), rng.standard_normal(n)
        wealth_w, holdings, noise = np.empty(n), np.empty((n, k)), np.empty(n)

        def draw(g: np.random.Generator, lo: int, hi: int) -> None:
            wealth_w[lo:hi] = g.pareto(p.wealth_pareto_alpha, hi - lo)
            wealth_w[lo:hi] += 1.0
            rows = holdings[lo:hi]
            standard_normal(g, rows)
            rows *= sigma
            np.exp(rows, out=rows)
            standard_normal(g, noise[lo:hi])

        self._streams.each_block(draw)
        return wealth_w, holdings, noise

    # ------------------------------------------------------------------ views
    @property
    def n_investors(self) -> int:
        """Number of investors."""
        return int(self.types.size)

    @property
    def market_caps(self) -> FloatArray:
        """Price × shares outstanding per asset, USD bn."""
        return self.prices * self.shares_outstanding

    def wealth(self) -> FloatArray:
        """Wealth per investor, cash + holdings at current prices, USD bn."""
        portfolio_values(
            self.holdings, self.cash, self.prices, self.prices, self._wealth, self._news
        )
        return self._wealth.copy()

    def total_shares(self) -> FloatArray:
        """Investor + market-maker + insider shares per asset; equals shares outstanding."""
        out = self.holdings.sum(axis=0) + self._insiders
        out[self._listed_idx] += self.market_maker_inventory
        return out

    def investor_cash(self) -> float:
        """Total investor cash, USD bn."""
        return float(self.cash.sum())

    def total_cash(self) -> float:
        """Investor + market-maker cash, USD bn; trading leaves it unchanged."""
        return self.investor_cash() + self.market_maker_cash

    def type_shares(self) -> FloatArray:
        """Head-count shares of (fundamentalist, chartist, noise)."""
        return np.bincount(self.types, minlength=3) / self.n_investors

    # ---------------------------------------------------------------- trading
    def _per_asset(self, name: str, value: ArrayLike, fill: float) -> FloatArray:
        """``value`` per asset, a fresh float64 array; given per listed asset, ``fill`` the rest."""
        arr = np.array(value, dtype=np.float64)  # a copy: the kernel never sees the caller's
        k, n_l = len(self.asset_names), self._listed_idx.size
        if arr.shape == (k,):
            out = arr
        elif arr.shape == (n_l,):
            out = np.full(k, fill)
            out[self._listed_idx] = arr
        else:
            raise ValueError(f"{name} must have shape ({k},) or ({n_l},), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} must be finite, got {value!r}")
        return out

    def trade_quarter(
        self, fundamentals: ArrayLike, news: ArrayLike, rng: np.random.Generator
    ) -> QuarterMarketResult:
        """Trade one quarter: news, ``sub_rounds`` of trading, strategy switching, sentiment.

        Parameters
        ----------
        fundamentals : array_like, shape (n_listed,) or (n_assets,)
            Fundamental equity value per firm, USD bn.
        news : array_like, shape (n_listed,) or (n_assets,)
            Quarterly-results surprise per firm, roughly in [-1, 1].
        rng : numpy.random.Generator
            Source of this quarter's random numbers: all of them for a population of
            one block (:data:`world.trading.BLOCK` investors or fewer); for a larger
            one, the common shocks, each investor's own draws coming from its block's
            stream (:mod:`agents.streams`).

        Returns
        -------
        QuarterMarketResult
        """
        p = self.params
        fund = self._per_asset("fundamentals", fundamentals, np.nan)
        news_all = self._per_asset("news", news, 0.0)
        k, n_l, r_n = len(self.asset_names), self._listed_idx.size, p.sub_rounds
        # all of the quarter's draws in bulk: shocks (r_n, 3, n_l + 1), then sentiment noise;
        # then uniforms for strategy revision and the new strategy (into reused buffers)
        if self._streams is None:
            standard_normal(rng, self._normals)
            rng.random(out=self._uniforms)
        else:  # the common shocks from rng, each investor's own draws from its block
            common = self._normals.size - self.n_investors
            standard_normal(rng, self._normals[:common])
            self._streams.fill(self._normals[common:], self._uniforms.reshape(2, -1))
        record = np.empty(trading.record_size(k, n_l, r_n))  # filled by the kernel
        self.market_maker_cash += trade_quarter_kernel(
            self.types, self.capacity, self.sentiment, self.holdings, self.cash, self._pending,
            self._listed_cols, self._float_listed, self.shares_outstanding, self.prices, fund,
            news_all, self.trend, self.market_maker_inventory, self.profit_memory,
            self._kernel_params, r_n, self._scratch, record,
        )  # fmt: skip
        record.setflags(write=False)  # and so are its parts
        close, caps, ptf, returns, volume, inventory, type_shares, fitness, stats = (
            trading.record_parts(record, k, n_l, r_n)
        )
        qret = np.log(self.prices / self._last_close)
        self._last_close = close
        return QuarterMarketResult(
            asset_names=self.asset_names,
            listed_names=self.listed_names,
            prices=close,
            market_caps=caps,
            price_to_fundamental=ptf,
            quarterly_returns=_read_only(qret),
            subround_returns=returns,
            volume=volume,
            market_maker_inventory=inventory,
            mean_sentiment=float(stats[0]),
            sentiment_dispersion=float(stats[1]),
            type_shares=type_shares,
            fitness=fitness,
        )

    def burn_in(self, fundamentals: ArrayLike, quarters: int, rng: np.random.Generator) -> None:
        """Trade ``quarters`` quarters at ``fundamentals`` without news; keep the opening prices.

        The initial strategy shares, sentiment and portfolios are guesses; trading a
        few quarters at the opening values lets fitness, herding and rebalancing bring
        them to the market's own state before the first recorded quarter — the usual
        way to discard an agent-based model's initial transient. Holdings, cash,
        strategies, sentiment, fitness and the market maker's book are kept; the prices
        return to their opening marks (the calibration) and the chartists' trend, which
        followed the burn-in's own path, starts again from zero.
        """
        if quarters <= 0:
            return
        opening = self.prices.copy()
        news = np.zeros(len(self.asset_names))
        for _ in range(quarters):
            self.trade_quarter(fundamentals, news, rng)
        self.prices[:] = opening
        self._last_close = opening.copy()
        self.trend[:] = 0.0

    def _buffer(self, name: str, size: int, dtype: type = np.float64) -> np.ndarray:
        """A scratch array of ``size`` (float64 unless told) kept between quarters.

        Kept so that a large population maps no fresh pages each quarter or round.
        """
        buf = self._buffers.get(name)
        if buf is None or buf.size != size or buf.dtype != dtype:
            buf = self._buffers[name] = np.empty(size, dtype=dtype)
        return buf

    # ---------------------------------------------------------- funding round
    def funding_round(
        self,
        amount_sought_usd_bn: float,
        pre_money_valuation_usd_bn: float,
        fundamental_usd_bn: float,
        rng: np.random.Generator,
        *,
        asset: str | None = None,
        appetite: float = 1.0,
    ) -> FundingRoundResult:
        """Run a primary round of a private asset: one price, set by the marginal bidder.

        Every investor bids ``round_commit_fraction × appetite`` of its cash at a
        reservation valuation ``anchor × exp(w_s s_i + σ_v ε_i)`` (anchor: fundamental
        value for fundamentalists, last mark extrapolated for chartists, the last mark
        for noise traders). Bids below ``round_floor_fraction × ask`` are void. Taking
        the bids best first (highest valuation; equal valuations by investor index),
        the bid that completes the amount is the marginal one and sets the pre-money
        valuation for all, capped at the ask (FULL; the marginal bid is filled in
        part). If all valid bids fall short but cover ``round_min_subscription`` of
        the amount, all are filled at the lowest valid valuation (UNDERSUBSCRIBED);
        otherwise nothing changes (FAILED).

        The marginal bid of a covered round is found by selection
        (:func:`world.rounds.marginal_bid`, O(n)) and only the winners are sorted (a
        stable radix sort, :func:`world.rounds.best_first`), so fills and sums equal
        those of sorting every bid, bit for bit; an undersubscribed round (every valid
        bid wins) sorts its bids. The demand above the floor is summed in investor
        order; the shares issued and the money raised, best bid first, by numpy.

        Parameters
        ----------
        amount_sought_usd_bn : float
            New money sought, USD bn, ``> 0``.
        pre_money_valuation_usd_bn : float
            The issuer's ask, USD bn, ``> 0``.
        fundamental_usd_bn : float
            Fundamental equity value of the issuer, USD bn (fundamentalists' anchor).
        rng : numpy.random.Generator
            Source of the bidders' valuation noise (a population of more than one
            block draws it from its blocks' streams instead, as :meth:`trade_quarter`).
        asset : str, optional
            The private asset; may be omitted if there is exactly one.
        appetite : float, optional
            Scales what every investor commits (``round_commit_fraction × appetite``
            of its cash), in ``[0, 1]``: 0 means outside equity has dried up.

        Returns
        -------
        FundingRoundResult
            Investor cash paid equals ``amount_raised_usd_bn``; the issuer books it.
        """
        p = self.params
        a = self._private_index(asset)
        for name, v in (
            ("amount_sought_usd_bn", amount_sought_usd_bn),
            ("pre_money_valuation_usd_bn", pre_money_valuation_usd_bn),
        ):
            if not (math.isfinite(v) and v > 0.0):
                raise ValueError(f"{name} must be finite and > 0, got {v!r}")
        if not 0.0 <= appetite <= 1.0:
            raise ValueError(f"appetite must lie in [0, 1], got {appetite!r}")
        if not math.isfinite(fundamental_usd_bn):
            raise ValueError(f"fundamental_usd_bn must be finite, got {fundamental_usd_bn!r}")
        ask, s_pre = float(pre_money_valuation_usd_bn), self.shares_outstanding[a]
        mark, anchors, eps = self._bid_inputs(a, fundamental_usd_bn, rng)
        sought = float(amount_sought_usd_bn)
        n = self.n_investors
        code, fills, new_shares, pre, pps, at_ask, total = rounds.primary_round_into(
            self.types, self.sentiment, self.cash, self.holdings, eps, anchors,
            p.round_sentiment_weight, p.round_valuation_dispersion,
            p.round_commit_fraction * appetite, p.round_floor_fraction * ask, ask, sought,
            p.round_min_subscription, a, s_pre, self._buffer("round", rounds.ROUND_FLOATS * n),
            self._buffer("round_ints", rounds.ROUND_INTS * n, np.int64),
        )  # fmt: skip
        if code == rounds.FAILED:
            return FundingRoundResult(
                self.asset_names[a], RoundOutcome.FAILED, sought, 0.0, mark, mark,
                float(self.prices[a]), 0.0, 0, at_ask, total,
            )  # fmt: skip
        outcome = RoundOutcome.FULL if code == rounds.FULL else RoundOutcome.UNDERSUBSCRIBED
        issued = float(new_shares.sum())
        raised = float(fills.sum())
        self.shares_outstanding[a] += issued
        self._round_step[a] = np.log(pps / self.prices[a])
        self.prices[a] = pps
        return FundingRoundResult(
            self.asset_names[a], outcome, sought, raised, pre, pre + raised, pps, issued,
            int(fills.size), at_ask, total,
        )  # fmt: skip

    def _bid_inputs(
        self, a: int, fundamental_usd_bn: float, rng: np.random.Generator
    ) -> tuple[float, FloatArray, FloatArray]:
        """The mark of private asset ``a``, the three types' anchors and fresh valuation noise.

        Anchors: the fundamental value (fundamentalists), the mark extrapolated by
        ``round_momentum`` times its last log step (chartists), the mark (noise traders).
        """
        p = self.params
        mark = self.prices[a] * self.shares_outstanding[a]
        anchors = np.array(
            [
                max(float(fundamental_usd_bn), 0.0),
                mark * np.exp(p.round_momentum * self._round_step[a]),
                mark,
            ]
        )
        eps = self._buffer("round_eps", self.n_investors)
        if self._streams is None:
            standard_normal(rng, eps)
        else:
            self._streams.fill(eps)
        return float(mark), anchors, eps

    def secondary_quote(
        self,
        offered_share: float,
        fundamental_usd_bn: float,
        rng: np.random.Generator,
        *,
        max_step: float,
        asset: str | None = None,
    ) -> tuple[RoundOutcome, float]:
        """Mark a private asset by a call auction of its existing shares (no settlement).

        Every investor values the asset as in :meth:`funding_round` (same anchors,
        sentiment premium and noise); below its valuation it bids
        ``round_commit_fraction`` of its cash, above it it offers the same fraction of
        its shares; the asset's holders outside the population offer ``offered_share``
        of its shares at any price. The quote is
        the valuation where the money bid meets the value offered
        (:func:`world.rounds.secondary_quote`), within ``round_floor_fraction`` and
        ``max_step`` times the current mark. The price per share and the chartists'
        last step follow the quote; shares outstanding and holdings do not change.
        Bids short of the offer even at the floor fail the quote: nothing changes.
        Returns the outcome (``FULL`` or ``FAILED``) and the valuation, USD bn (the
        mark if failed).
        """
        p = self.params
        a = self._private_index(asset)
        if not (math.isfinite(offered_share) and offered_share > 0.0):
            raise ValueError(f"offered_share must be finite and > 0, got {offered_share!r}")
        if not (math.isfinite(max_step) and max_step >= 1.0):
            raise ValueError(f"max_step must be finite and >= 1, got {max_step!r}")
        if not math.isfinite(fundamental_usd_bn):
            raise ValueError(f"fundamental_usd_bn must be finite, got {fundamental_usd_bn!r}")
        mark, anchors, eps = self._bid_inputs(a, fundamental_usd_bn, rng)
        s_out = float(self.shares_outstanding[a])
        asks = self._buffer("quote_asks", self.n_investors)
        np.multiply(self.holdings[:, a], p.round_commit_fraction, out=asks)
        code, value = rounds.secondary_quote_into(
            self.types, self.sentiment, self.cash, asks, eps, anchors,
            p.round_sentiment_weight, p.round_valuation_dispersion, p.round_commit_fraction,
            offered_share * s_out, s_out, p.round_floor_fraction * mark, max_step * mark,
            self._buffer("round", rounds.ROUND_FLOATS * self.n_investors),
        )  # fmt: skip
        if code == rounds.FAILED:
            return RoundOutcome.FAILED, mark
        price = value / s_out
        self._round_step[a] = np.log(price / self.prices[a])
        self.prices[a] = price
        return RoundOutcome.FULL, float(value)

    def place_outside(self, asset: str, shares_bn: float) -> None:
        """New shares of ``asset`` placed with investors outside the population.

        The price per share is unchanged; the shares join the holdings the population
        does not trade (like insiders'), so the mark stays price × shares outstanding.
        """
        if not (np.isfinite(shares_bn) and shares_bn >= 0.0):
            raise ValueError(f"shares_bn must be finite and >= 0, got {shares_bn!r}")
        a = self.asset_names.index(asset)
        self.shares_outstanding[a] += shares_bn
        self._insiders[a] += shares_bn

    def _private_index(self, asset: str | None) -> int:
        """Column of the private asset ``asset`` (``None``: the only private asset)."""
        private = self._private_idx
        if asset is None:
            if len(private) != 1:
                raise ValueError("asset must name the private asset (there is not exactly one)")
            return next(iter(private.values()))
        index = private.get(asset)
        if index is None:
            raise ValueError(f"asset must be a private asset, got {asset!r}")
        return index

    # --------------------------------------------------------------- snapshot
    def snapshot(self) -> pd.DataFrame:
        """Investor-level table (one row per investor) for Parquet output."""
        names = [t.name.lower() for t in StrategyType]
        cols: dict[str, ArrayLike] = {
            "strategy": pd.Categorical.from_codes(self.types.astype(np.int64), names),
            "sentiment": self.sentiment,
            "capacity": self.capacity,
            "cash_usd_bn": self.cash,
            "wealth_usd_bn": self.wealth(),
        }
        for j, name in enumerate(self.asset_names):
            cols[f"shares_bn_{name}"] = self.holdings[:, j]
        return pd.DataFrame(cols, index=pd.RangeIndex(self.n_investors, name="investor"))


def _kernel_params(p: InvestorParams) -> FloatArray:
    """The scalar parameters of :func:`world.trading.trade_quarter_kernel`, packed."""
    t = trading
    values = {
        t.P_NEWS_SENSITIVITY: p.news_sensitivity,
        t.P_SHOCK_CORRELATION: p.shock_correlation,
        t.P_SENTIMENT_TILT: p.sentiment_tilt,
        t.P_REACTION: p.fundamentalist_reaction,
        t.P_CHARTIST_STRENGTH: p.chartist_strength,
        t.P_INVENTORY_AVERSION: p.inventory_aversion,
        t.P_IMPACT: p.price_impact,
        t.P_MAX_MOVE: p.max_log_return,
        t.P_CHARTIST_MEMORY: p.chartist_memory,
        t.P_MAX_MISPRICING: _MAX_MISPRICING,
        t.P_PROFIT_MEMORY: p.profit_memory,
        t.P_TYPE_HERDING: p.type_herding,
        t.P_MISALIGNMENT_WEIGHT: p.misalignment_weight,
        t.P_BETA: p.beta,
        t.P_SWITCH_RATE: p.switch_rate,
        t.P_HERDING_STRENGTH: p.herding_strength,
        t.P_RETURN_SENSITIVITY: p.return_sensitivity,
        t.P_SENTIMENT_NOISE: p.sentiment_noise,
        t.P_SENTIMENT_DECAY: p.sentiment_decay,
        t.P_QUOTE_BAND: p.quote_band,
        t.P_SHORT_LIMIT: p.market_maker_short_limit,
        t.P_SIGMA: p.fundamentalist_noise,
        t.P_SIGMA + 1: p.chartist_noise,
        t.P_SIGMA + 2: p.noise_sigma,
        t.P_CONVICTION: p.fundamentalist_conviction,
    }
    out = np.empty(t.N_PARAMS)
    for index, value in values.items():
        out[index] = value
    return out


def _apportion(shares: FloatArray, n: int) -> NDArray[np.int64]:
    """Split ``n`` into integer counts proportional to ``shares`` (largest remainder)."""
    raw = shares * n
    counts = np.floor(raw).astype(np.int64)
    rest = n - int(counts.sum())
    counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    return counts
