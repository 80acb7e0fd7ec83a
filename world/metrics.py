"""Measurements: per-firm and system records, the article's gauges, round-trip share.

The article's three gauges (one value per quarter; definitions in
``docs/explanation/gauges.md``):

* **engine** — monthly-active-user growth ``engine_mau_growth`` (MAU = weekly users ·
  ``demand.mau_per_wau``, so it equals weekly-user growth ``engine_user_growth``) and
  paying-user growth ``engine_paid_growth``, both quarter on quarter
  (``x_t / x_{t-1} − 1``; the first quarter against the opening value);
* **gears** — ``gears_capex_to_revenue``: AI capex over AI revenue of all cloud
  providers, trailing four quarters (``Σ cloud_ai_capex / Σ cloud_ai_revenue``, AI =
  without each firm's legacy business, so Amazon's retail does not dilute it); per
  firm, ``capex_to_revenue``: the firm's whole capex over its whole revenue, trailing
  four quarters (what the article watches for Oracle and Microsoft);
* **fuel** — compute investment efficiency: useful compute delivered this quarter
  (GW in use weighted by each vintage's FLOP per GW, in start-of-run GW equivalents)
  per USD bn of AI capital invested (opening PP&E plus cumulative AI capex), with
  its quarter-on-quarter trend;

plus the labs' free cash flow ``lab_free_cash_flow`` (operating cash flow − capex;
its negative is the funding gap) and the adoption share ``adoption_share`` (weekly
users / world population). Yearly figures built from these columns are in
:mod:`world.gauges`.

Round-trip share of a firm = round-trip revenue / revenue, where round-trip
revenue is traced by :class:`~world.settlement.PaymentSystem`.

Adding columns: the system row is the concatenation of column groups
(:data:`SYSTEM_GROUPS`), each a tuple of names and a method of :class:`Recorder`
returning the values in that order; a new group is one more entry.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from world.ledger import Account
from world.params import Role
from world.stress import MinskyClass

if TYPE_CHECKING:
    from world.model import AIEconomy

__all__ = ["ACCOUNT_COLUMNS", "FIRM_COLUMNS", "LOOP_COLUMNS", "SYSTEM_COLUMNS", "Recorder"]

_MINSKY_LABEL = {c: c.name.lower() for c in MinskyClass}
_LEGACY = Account.REVENUE_LEGACY
_add_up = np.add.reduce  # what ``ndarray.sum`` calls, without its Python wrapper
_OPERATING_COSTS = (
    Account.COST_OF_REVENUE,
    Account.COMPUTE_COST,
    Account.DEPRECIATION,
    Account.OPEX,
)

FIRM_COLUMNS = (
    "quarter",
    "period",
    "firm",
    "role",
    "cash",
    "total_assets",
    "total_liabilities",
    "equity",
    "revenue",
    "ai_revenue",
    "operating_income",
    "net_income",
    "capex",
    "deployed_gw",
    "backlog",
    "valuation",
    "leverage",
    "round_trip_share",
    "round_trip_revenue",
    "debt",
    "operating_cash_flow",
    "investing_cash_flow",
    "financing_cash_flow",
    "commitments",
    "compute_gw",
    "missed_payments",
    "defaulted",
    "minsky",
    "debtrank_loss",
    "cancelled_value",
    "rescued",
    "market_cap",
    "fundamental_value",
    "p_to_fundamental",
    "returns",
    "capex_to_revenue",
    "free_cash_flow",
    "payouts",
    "equity_raised",
)
#: The firms' full books, one row per firm per quarter: every account of the chart
#: (``world.ledger.Account``, lower case) — assets, liabilities and equity at the
#: quarter's end (retained earnings with the quarter's result), income and expenses of
#: the quarter.
ACCOUNT_COLUMNS = ("quarter", "period", "firm", *[a.name.lower() for a in Account])
#: Trailing window of the capex / revenue ratios (quarters).
TRAILING_QUARTERS = 4

_CORE_COLUMNS = (
    "quarter",
    "period",
    "users_m",
    "paid_users_m",
    "engine_user_growth",
    "cloud_capex",
    "cloud_revenue",
    "gears_capex_to_revenue",
    "useful_compute",
    "ai_capital",
    "fuel_compute_efficiency",
    "fuel_trend",
    "total_deployed_gw",
    "round_trip_revenue",
    "compute_need_gw",
    "sentiment",
    "lab_valuation",
    "funding_raised",
    "n_defaults",
    "lender_losses",
    "mean_sentiment",
    "share_fundamentalist",
    "share_chartist",
    "share_noise",
    "funding_round_outcome",
)
_ARTICLE_COLUMNS = (
    "mau_m",
    "engine_mau_growth",
    "engine_paid_growth",
    "cloud_ai_capex",
    "cloud_ai_revenue",
    "lab_free_cash_flow",
    "adoption_share",
)
_MARKET_COLUMNS = ("p_to_fundamental",)
#: System columns by group: (names, name of the Recorder method giving their values).
SYSTEM_GROUPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (_CORE_COLUMNS, "_core_row"),
    (_ARTICLE_COLUMNS, "_article_row"),
    (_MARKET_COLUMNS, "_market_row"),
)
SYSTEM_COLUMNS: tuple[str, ...] = tuple(c for names, _ in SYSTEM_GROUPS for c in names)
#: One row per quarter and loop with money on it: USD bn of ``origin``'s revenue paid by
#: ``payer`` with money ``origin`` financed ``via`` with — the loop origin → via ⇝ payer
#: → origin (``via == payer``: origin → via → origin); see :mod:`world.settlement`.
LOOP_COLUMNS = ("quarter", "period", "origin", "via", "payer", "usd")


class Recorder:
    """Collects one row per firm and one system row per quarter (plain lists, cheap).

    With ``firm_rows=False`` only the firms' valuations, default flags, revenue, AI
    revenue, payouts and equity raised are kept (what a run's summary needs); the
    system rows are always kept.
    """

    def __init__(self, model: AIEconomy, *, firm_rows: bool = True) -> None:
        self._model: AIEconomy | None = model
        self.names = [f.name for f in model.firms]
        self.roles = [f.role.value for f in model.firms]
        self.keep_firm_rows = firm_rows
        self.firm_rows: list[tuple] = []
        self.valuations: list[list[float]] = []
        self.defaulted: list[list[bool]] = []
        self.revenues: list[list[float]] = []  # per firm, USD bn per quarter
        self.ai_revenues: list[list[float]] = []  # revenue less legacy revenue
        self.payouts: list[list[float]] = []  # cash returned to shareholders, per quarter
        self.equity_raised: list[list[float]] = []  # cash paid in for new shares, per quarter
        self.system_rows: list[tuple] = []
        self.loop_rows: list[tuple[int, str, int, int, int, float]] = []
        self.account_rows: list[tuple] = []
        self.ai_capital = sum([f.ledger.balance(Account.PPE) for f in model.firms], 0.0)
        self.prev_fuel: float | None = None
        self.prev_value = [f.valuation for f in model.firms]
        self.prev_paid = model.demand.paid_users
        # trailing windows of (capex, revenue) per firm and of (AI capex, AI revenue)
        # of all clouds, for the capex / revenue ratios
        self._firm_window: list[deque[tuple[float, float]]] = [
            deque(maxlen=TRAILING_QUARTERS) for _ in model.firms
        ]
        self._cloud_window: deque[tuple[float, float]] = deque(maxlen=TRAILING_QUARTERS)
        self._methods = [getattr(self, method) for _, method in SYSTEM_GROUPS]
        self._fundamentals: np.ndarray | None = None  # this quarter's, None without a market

    def _log_return(self, i: int, value: float) -> float:
        """Quarterly log return of firm i's value (0 when either value is not positive)."""
        prev, self.prev_value[i] = self.prev_value[i], value
        return float(np.log(value / prev)) if value > 0 and prev > 0 else 0.0

    def collect(self) -> None:
        """Record the quarter that just closed."""
        m = self.model
        q = m.quarter
        period = m.period
        market = m.market
        fundamentals: np.ndarray | None
        if market is not None and market.last is not None:
            fundamentals = market.fundamentals
            shares = tuple(float(x) for x in market.last.type_shares)
            outcome = market.last_round.value if market.last_round is not None else "none"
            market.last_round = None
        else:
            fundamentals = None  # the valuations themselves (an array only for firm rows)
            shares = (float("nan"),) * 3
            outcome = "none"
        self.valuations.append([f.valuation for f in m.firms])
        self.defaulted.append([f.defaulted for f in m.firms])
        self.revenues.append([f.statement.revenue for f in m.firms])
        self.ai_revenues.append(
            [f.statement.revenue - f.statement.income[_LEGACY] for f in m.firms]
        )
        self.payouts.append([f.payout for f in m.firms])
        self.equity_raised.append([f.equity_raised for f in m.firms])
        if self.keep_firm_rows:
            if fundamentals is None:
                fundamentals = np.array(self.valuations[-1])
            self._collect_firms(q, period, fundamentals)
            self._collect_loops(q, period)
        self._fundamentals = fundamentals
        self._collect_system(q, period, shares, outcome)

    def _collect_firms(self, q: int, period: str, fundamentals: np.ndarray) -> None:
        m = self.model
        backlogs, commitment = m.backlogs()
        fundamentals = fundamentals.tolist()
        rt_list = m.payments.round_trip_revenue.tolist()
        compute_gw = m.lab_compute_gw
        ai_revenue = self.ai_revenues[-1]
        windows = self._firm_window
        add_account_row = self.account_rows.append
        add_firm_row = self.firm_rows.append
        log_return = self._log_return
        roles = self.roles
        for f in m.firms:
            i = f.index
            st, bs, cf = f.statement, f.balance, f.cash_flows
            revenue = st.revenue
            expenses = st.expenses
            assets = bs.total_assets
            liabilities = bs.liabilities
            debt = liabilities[Account.DEBT] + liabilities[Account.VENDOR_DEBT]
            capex, valuation, fundamental = f.capex, f.valuation, fundamentals[i]
            window = windows[i]
            window.append((capex, revenue))
            # dicts in chart order (world.ledger): the row follows ACCOUNT_COLUMNS
            add_account_row(
                (
                    q,
                    period,
                    f.name,
                    *bs.assets.values(),
                    *liabilities.values(),
                    *bs.equity.values(),
                    *st.income.values(),
                    *expenses.values(),
                )
            )
            trailing_revenue = sum([r for _, r in window], 0.0)
            add_firm_row(
                (
                    q,
                    period,
                    f.name,
                    roles[i],  # f.role.value, read once (an enum's value is a Python property)
                    bs.assets[Account.CASH],
                    assets,
                    bs.total_liabilities,
                    bs.total_equity,
                    revenue,
                    ai_revenue[i],
                    revenue - sum([expenses[a] for a in _OPERATING_COSTS], 0.0),
                    st.net_income,
                    capex,
                    f.fleet.deployed_gw,
                    backlogs[i],
                    valuation,
                    debt / assets if assets > 0 else 0.0,
                    rt_list[i] / revenue if revenue > 1e-12 else 0.0,
                    rt_list[i],
                    debt,
                    cf.operating,
                    cf.investing,
                    cf.financing,
                    commitment[i],
                    compute_gw[i],
                    f.missed,
                    f.defaulted,
                    _MINSKY_LABEL[f.minsky],
                    f.debtrank_loss,
                    f.cancelled_value,
                    f.rescued,
                    valuation,
                    fundamental,
                    valuation / fundamental if fundamental > 0 else 0.0,
                    log_return(i, valuation),
                    sum([c for c, _ in window], 0.0) / trailing_revenue
                    if trailing_revenue > 0
                    else 0.0,
                    cf.operating - capex,
                    f.payout,
                    f.equity_raised,
                )
            )

    def _collect_loops(self, q: int, period: str) -> None:
        loops = self.model.payments.loop_revenue
        for a, b, p in np.argwhere(loops > 0.0).tolist():
            self.loop_rows.append((q, period, a, b, p, float(loops[a, b, p])))

    def _collect_system(self, q: int, period: str, shares: tuple, outcome: str) -> None:
        row: tuple = ()
        for method in self._methods:
            row += method(q, period, shares, outcome)
        self.system_rows.append(row)

    def _core_row(self, q: int, period: str, shares: tuple, outcome: str) -> tuple:
        """The columns of :data:`_CORE_COLUMNS`."""
        m = self.model
        rt = m.payments.round_trip_revenue
        clouds = m.by_role(Role.CLOUD)
        cloud_capex = sum([f.capex for f in clouds], 0.0)
        cloud_revenue = sum([f.statement.revenue for f in clouds], 0.0)
        ai_capex_of = [f.capex - _legacy_capex(f, q) for f in m.firms]  # per firm
        ai_capex = sum(ai_capex_of, 0.0)
        self.ai_capital += max(ai_capex, 0.0)
        labs = m.by_role(Role.LAB)
        useful = sum([f.fleet.compute_units() * f.utilisation for f in clouds], 0.0) + sum(
            [
                f.fleet.compute_units() * min(1.0, f.compute_used / max(f.fleet.deployed_gw, 1e-12))
                for f in labs
                if f.fleet.deployed_gw > 0
            ],
            0.0,
        )
        fuel = useful / self.ai_capital if self.ai_capital > 0 else 0.0
        trend = fuel / self.prev_fuel - 1 if self.prev_fuel else 0.0
        self.prev_fuel = fuel
        return (
            q,
            period,
            m.demand.users,
            m.demand.paid_users,
            m.demand.users / m.prev_users - 1 if m.prev_users > 0 else 0.0,
            cloud_capex,
            cloud_revenue,
            self._gears(clouds, ai_capex_of),
            useful,
            self.ai_capital,
            fuel,
            trend,
            sum([f.fleet.deployed_gw for f in m.firms], 0.0),
            float(_add_up(rt)),  # rt.sum() without its Python wrapper
            m.demand.compute_need_gw,
            m.sentiment,
            sum([f.valuation for f in labs], 0.0),
            m.round_raised,
            sum([f.defaulted for f in m.firms]),
            m.lender_losses,
            m.sentiment,
            *shares,
            outcome,
        )

    def _gears(self, clouds: list, ai_capex_of: list[float]) -> float:
        """All clouds' AI capex / AI revenue over the trailing window (0 without AI revenue).

        ``ai_capex_of``: this quarter's AI capex per firm (capex less legacy capex).
        """
        ai_capex = sum([ai_capex_of[f.index] for f in clouds], 0.0)
        ai_revenues = self.ai_revenues[-1]  # this quarter's, per firm (see collect)
        ai_revenue = sum([ai_revenues[f.index] for f in clouds], 0.0)
        self._cloud_window.append((max(ai_capex, 0.0), max(ai_revenue, 0.0)))
        revenue = sum([r for _, r in self._cloud_window], 0.0)
        return sum([c for c, _ in self._cloud_window], 0.0) / revenue if revenue > 0 else 0.0

    def _article_row(self, q: int, period: str, shares: tuple, outcome: str) -> tuple:
        """The columns of :data:`_ARTICLE_COLUMNS` (the article's gauges besides gears)."""
        m = self.model
        d = m.params.demand
        paid = m.demand.paid_users
        growth = paid / self.prev_paid - 1 if self.prev_paid > 0 else 0.0
        self.prev_paid = paid
        ai_capex, ai_revenue = self._cloud_window[-1]  # this quarter's, from _gears
        fcf = sum([f.cash_flows.operating - f.capex for f in m.by_role(Role.LAB)], 0.0)
        return (
            m.demand.users * d.mau_per_wau,
            m.demand.users / m.prev_users - 1 if m.prev_users > 0 else 0.0,
            growth,
            ai_capex,
            ai_revenue,
            fcf,
            m.demand.users / d.population_m,
        )

    def _market_row(self, q: int, period: str, shares: tuple, outcome: str) -> tuple:
        """The columns of :data:`_MARKET_COLUMNS`: the network's aggregate price/fundamental.

        Sum of the values of the firms not in default with a positive fundamental value
        over the sum of those fundamental values (MODEL.md §8); 0 when no firm has one
        (as the firm column), 1 without an investor market (values are fundamentals).
        """
        fundamentals = self._fundamentals
        if fundamentals is None:
            return (1.0,)
        values, gone = self.valuations[-1], self.defaulted[-1]
        value = fundamental = 0.0
        for i, f in enumerate(fundamentals.tolist()):
            if f > 0 and not gone[i]:
                value += values[i]
                fundamental += f
        return (value / fundamental if fundamental > 0 else 0.0,)

    @property
    def firm_names(self) -> list[str]:
        """Firm names in index order (the order of the rows within a quarter)."""
        return list(self.names)

    @property
    def model(self) -> AIEconomy:
        """The model being recorded (an error once the records are detached)."""
        if self._model is None:
            raise RuntimeError("these records are detached from their model")
        return self._model

    def detach(self) -> None:
        """Drop the reference to the model (the records stay readable, collecting stops)."""
        self._model = None

    def firm_paths(self, column: str) -> np.ndarray:
        """One firm column as a (quarters, firms) array, without building a DataFrame.

        ``valuation``, ``defaulted``, ``revenue``, ``ai_revenue``, ``payouts`` and
        ``equity_raised`` are always recorded; other columns need the full firm rows.
        """
        n_f = len(self.names)
        lean = {
            "valuation": self.valuations,
            "revenue": self.revenues,
            "ai_revenue": self.ai_revenues,
            "payouts": self.payouts,
            "equity_raised": self.equity_raised,
        }
        if column in lean:
            return np.array(lean[column], dtype=np.float64).reshape(-1, n_f)
        if column == "defaulted":
            return np.array(self.defaulted, dtype=bool).reshape(-1, n_f)
        self._need_firm_rows()
        k = FIRM_COLUMNS.index(column)
        return np.array([r[k] for r in self.firm_rows], dtype=np.float64).reshape(-1, n_f)

    def _need_firm_rows(self) -> None:
        if not self.keep_firm_rows:
            raise ValueError("this run kept no firm rows (it was run with firm_rows=False)")

    def system_columns(self) -> dict[str, np.ndarray]:
        """The numeric system columns as arrays, one value per quarter."""
        rows = self.system_rows
        cols = zip(*rows, strict=True) if rows else [()] * len(SYSTEM_COLUMNS)
        return {
            name: np.array(values, dtype=np.float64)
            for name, values in zip(SYSTEM_COLUMNS, cols, strict=True)
            if name not in _TEXT
        }

    def firms_frame(self) -> pd.DataFrame:
        """One row per firm per quarter."""
        self._need_firm_rows()
        return _frame(self.firm_rows, FIRM_COLUMNS, {"quarter": np.int32, "defaulted": bool})

    def accounts_frame(self) -> pd.DataFrame:
        """The firms' books by account, one row per firm per quarter (:data:`ACCOUNT_COLUMNS`)."""
        self._need_firm_rows()
        return _frame(self.account_rows, ACCOUNT_COLUMNS, {"quarter": np.int32})

    def loops_frame(self) -> pd.DataFrame:
        """One row per quarter and loop with money on it (columns :data:`LOOP_COLUMNS`)."""
        self._need_firm_rows()
        rows = self.loop_rows
        names = self.names
        return pd.DataFrame(
            {
                "quarter": np.array([r[0] for r in rows], dtype=np.int32),
                "period": np.array([r[1] for r in rows], dtype=object),
                "origin": np.array([names[r[2]] for r in rows], dtype=object),
                "via": np.array([names[r[3]] for r in rows], dtype=object),
                "payer": np.array([names[r[4]] for r in rows], dtype=object),
                "usd": np.array([r[5] for r in rows], dtype=np.float64),
            },
            columns=list(LOOP_COLUMNS),
        )

    def system_frame(self) -> pd.DataFrame:
        """One row per quarter."""
        return _frame(
            self.system_rows, SYSTEM_COLUMNS, {"quarter": np.int32, "n_defaults": np.int32}
        )


_TEXT = {"period", "firm", "role", "minsky", "funding_round_outcome"}


def _legacy_capex(firm, q: int) -> float:
    """Capex of the firm's legacy business in quarter ``q`` (USD bn)."""
    return firm.spec.legacy_capex * firm.legacy_growth_factor(q)


def _frame(rows: list[tuple], columns: tuple[str, ...], dtypes: dict) -> pd.DataFrame:
    """Column-wise construction (much faster than from_records for mixed rows)."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data = {}
    for name, values in zip(columns, cols, strict=True):
        if name in dtypes:
            data[name] = np.array(values, dtype=dtypes[name])
        elif name in _TEXT:
            data[name] = np.array(values, dtype=object)
        else:
            data[name] = np.array(values, dtype=np.float64)
    return pd.DataFrame(data)
