"""Double-entry ledger: balanced journal entries and the statements derived from them.

Every firm owns one :class:`Ledger`. A transaction is a :class:`JournalEntry` whose
lines sum to zero (debits positive, credits negative, USD bn). Balances are never
edited directly; the balance sheet, income statement and cash-flow statement are
derived from the posted entries.

Sign convention
---------------
Balances are stored *debit-positive*: ``balance = debits - credits``. Asset and
expense accounts therefore carry positive balances, liability, equity and income
accounts negative ones; the accessors return the natural (positive) amounts.
Because every entry sums to zero, the debit-positive balances always sum to zero,
which is the accounting identity ``assets + expenses = liabilities + equity + income``.
At the end of each quarter :meth:`Ledger.close_period` moves income and expenses
into retained earnings, after which ``assets = liabilities + equity``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple

__all__ = [
    "Account",
    "AccountType",
    "BalanceSheet",
    "CashFlowKind",
    "CashFlowStatement",
    "IncomeStatement",
    "JournalEntry",
    "Ledger",
    "UnbalancedEntryError",
]

#: Tolerance for an entry to count as balanced, relative to its largest line.
BALANCE_RTOL = 1e-12


class AccountType(StrEnum):
    """The five account types of double-entry bookkeeping."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class Account(IntEnum):
    """Chart of accounts shared by every firm (values index the balance vector)."""

    # assets
    CASH = 0
    RECEIVABLES = 1
    PREPAYMENTS = 2
    CONSTRUCTION_IN_PROGRESS = 3
    PPE = 4
    STAKES = 5
    WARRANTS = 6
    LOANS_RECEIVABLE = 7
    LEGACY_ASSETS = 8
    # liabilities
    DEBT = 9
    VENDOR_DEBT = 10
    PAYABLES = 11
    DEFERRED_REVENUE = 12
    # equity
    PAID_IN_CAPITAL = 13
    RETAINED_EARNINGS = 14
    # income
    REVENUE_LEGACY = 15
    REVENUE_CLOUD = 16
    REVENUE_GPU = 17
    REVENUE_SUBSCRIPTIONS = 18
    REVENUE_API = 19
    INTEREST_INCOME = 20
    MARK_TO_MARKET = 21
    # expenses
    COST_OF_REVENUE = 22
    COMPUTE_COST = 23
    DEPRECIATION = 24
    OPEX = 25
    INTEREST_EXPENSE = 26
    TAX = 27
    IMPAIRMENT = 28

    @property
    def type(self) -> AccountType:
        """The account's type (asset, liability, equity, income or expense)."""
        return _ACCOUNT_TYPES[self]


_ACCOUNT_TYPES: dict[Account, AccountType] = {
    **{a: AccountType.ASSET for a in Account if a <= Account.LEGACY_ASSETS},
    **{a: AccountType.LIABILITY for a in Account if Account.DEBT <= a <= Account.DEFERRED_REVENUE},
    Account.PAID_IN_CAPITAL: AccountType.EQUITY,
    Account.RETAINED_EARNINGS: AccountType.EQUITY,
    **{
        a: AccountType.INCOME
        for a in Account
        if Account.REVENUE_LEGACY <= a <= Account.MARK_TO_MARKET
    },
    **{a: AccountType.EXPENSE for a in Account if a >= Account.COST_OF_REVENUE},
}

#: Income accounts that count as revenue (sales), by source.
REVENUE_ACCOUNTS: tuple[Account, ...] = (
    Account.REVENUE_LEGACY,
    Account.REVENUE_CLOUD,
    Account.REVENUE_GPU,
    Account.REVENUE_SUBSCRIPTIONS,
    Account.REVENUE_API,
)

_N_ACCOUNTS = len(Account)
_ASSETS = tuple(a for a in Account if a.type is AccountType.ASSET)
_LIABILITIES = tuple(a for a in Account if a.type is AccountType.LIABILITY)
_EQUITY = tuple(a for a in Account if a.type is AccountType.EQUITY)
_INCOME = tuple(a for a in Account if a.type is AccountType.INCOME)
_EXPENSES = tuple(a for a in Account if a.type is AccountType.EXPENSE)
_CLOSING = (*_INCOME, *_EXPENSES)


def _span(accounts: tuple[Account, ...]) -> slice:
    """The slice of the balance vector holding ``accounts`` (consecutive in the chart)."""
    span = slice(accounts[0], accounts[-1] + 1)
    if tuple(Account)[span] != accounts:
        raise ValueError(f"accounts {accounts} must be consecutive in the chart of accounts")
    return span


# each account type is one slice of the balances (statements read slices, not accounts);
# income and expense accounts are the last ones of the chart
_ASSET_SPAN = _span(_ASSETS)
_LIABILITY_SPAN = _span(_LIABILITIES)
_INCOME_SPAN = _span(_INCOME)
_EXPENSE_SPAN = _span(_EXPENSES)
_CLOSING_SPAN = slice(_span(_CLOSING).start, None)
if _CLOSING[-1] != tuple(Account)[-1]:
    raise ValueError("income and expense accounts must close the chart of accounts")
_REVENUE_SPAN = _span(REVENUE_ACCOUNTS)
_PAID_IN, _RETAINED = Account.PAID_IN_CAPITAL, Account.RETAINED_EARNINGS
if _EQUITY != (_PAID_IN, _RETAINED):
    raise ValueError("equity is paid-in capital and retained earnings")
_NO_CLOSING_BALANCES = [0.0] * len(_CLOSING)
_DEBIT_NORMAL = frozenset((*_ASSETS, *_EXPENSES))
_CASH = Account.CASH
_isfinite = math.isfinite


#: ``tuple.__new__``: builds a statement (a NamedTuple) from its fields in order without
#: the NamedTuple's Python-level ``__new__`` (which costs more than the fields' sums)
_new_tuple = tuple.__new__


def _negated_fsum(values: list[float]) -> float:
    """``math.fsum`` of the negated ``values`` (finite) without negating them one by one.

    Exact rounding is symmetric, so the sum of the negations is the negated sum; ``fsum``
    returns +0.0 for an exact zero, which ``0.0 - `` keeps (``0.0 - 0.0`` is +0.0).
    """
    return 0.0 - math.fsum(values)


def _fsum2(x: float, y: float) -> float:
    """``math.fsum([x, y])`` of two finite floats without building a list.

    IEEE addition rounds the exact sum correctly, as ``fsum`` does; ``fsum`` returns
    +0.0 for an exact zero, which ``+ 0.0`` gives (``-0.0 + 0.0`` is +0.0).
    """
    return (x + y) + 0.0


class CashFlowKind(IntEnum):
    """Section of the cash-flow statement an entry's cash movement belongs to."""

    OPERATING = 0
    INVESTING = 1
    FINANCING = 2


class UnbalancedEntryError(ValueError):
    """Raised when a journal entry's debits and credits do not sum to zero."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One balanced transaction in one firm's books.

    Parameters
    ----------
    quarter
        Model quarter index at which the entry was posted.
    memo
        Short machine-readable description (e.g. ``"gpu_delivery"``).
    lines
        ``(account, amount)`` pairs, debit-positive, USD bn; must sum to zero.
    cash_flow
        Cash-flow section of the entry's cash movement (required when the entry
        touches :attr:`Account.CASH`).
    """

    quarter: int
    memo: str
    lines: tuple[tuple[Account, float], ...]
    cash_flow: CashFlowKind | None = None

    @property
    def cash_change(self) -> float:
        """Change in cash caused by this entry (USD bn)."""
        return sum([amount for account, amount in self.lines if account is Account.CASH])


class BalanceSheet(NamedTuple):
    """Balance sheet derived from a ledger (USD bn, natural signs).

    The totals are computed once, when :meth:`Ledger.balance_sheet` builds it.
    """

    assets: dict[Account, float]
    liabilities: dict[Account, float]
    equity: dict[Account, float]
    total_assets: float
    """Sum of asset balances (USD bn)."""
    total_liabilities: float
    """Sum of liability balances (USD bn)."""
    total_equity: float
    """Book equity including the current period's undistributed result (USD bn)."""


class IncomeStatement(NamedTuple):
    """Income statement of the open period (USD bn).

    ``revenue`` and ``net_income`` are computed once, when
    :meth:`Ledger.income_statement` builds it.
    """

    income: dict[Account, float]
    expenses: dict[Account, float]
    revenue: float
    """Sales revenue, all sources (USD bn)."""
    net_income: float
    """Total income minus total expenses (USD bn)."""


class CashFlowStatement(NamedTuple):
    """Cash-flow statement of the open period (USD bn), by section."""

    operating: float
    investing: float
    financing: float

    @property
    def net_change(self) -> float:
        """Operating + investing + financing cash flow (USD bn)."""
        return self.operating + self.investing + self.financing


class Ledger:
    """A firm's books: balances per account, the journal, and period accumulators.

    Parameters
    ----------
    owner
        Name of the firm that keeps these books (for messages).
    keep_journal
        Keep every posted :class:`JournalEntry` in :attr:`journal` (for tracing
        flows in notebooks); when False only the balances are kept.
    """

    __slots__ = ("owner", "keep_journal", "journal", "_bal", "_cash_flows", "_quarter")

    def __init__(self, owner: str, *, keep_journal: bool = True) -> None:
        self.owner = owner
        self.keep_journal = keep_journal
        self.journal: list[JournalEntry] = []
        self._bal = [0.0] * _N_ACCOUNTS
        self._cash_flows = [0.0, 0.0, 0.0]
        self._quarter = 0

    # -- posting -----------------------------------------------------------------
    def post(
        self,
        memo: str,
        lines: Iterable[tuple[Account, float]],
        cash_flow: CashFlowKind | None = None,
    ) -> None:
        """Post one balanced entry.

        Parameters
        ----------
        memo
            Short description of the transaction.
        lines
            ``(account, amount)`` pairs, debit-positive, USD bn.
        cash_flow
            Section of the cash-flow statement; required if cash moves.

        Raises
        ------
        UnbalancedEntryError
            If the lines do not sum to zero (relative tolerance 1e-12), an amount
            is not finite, or cash moves without a cash-flow section.
        """
        lines = tuple(lines)
        total = 0.0
        scale = 0.0
        cash = 0.0
        for account, amount in lines:
            if not math.isfinite(amount):
                raise UnbalancedEntryError(
                    f"{self.owner}: entry {memo!r} has a non-finite amount on {account.name}"
                )
            total += amount
            scale = max(scale, abs(amount))
            if account is Account.CASH:
                cash += amount
        if abs(total) > BALANCE_RTOL * max(scale, 1.0):
            raise UnbalancedEntryError(
                f"{self.owner}: entry {memo!r} is unbalanced by {total:.3e} USD bn"
            )
        if cash != 0.0 and cash_flow is None:
            raise UnbalancedEntryError(
                f"{self.owner}: entry {memo!r} moves cash without a cash-flow section"
            )
        bal = self._bal
        for account, amount in lines:
            bal[account] += amount
        if cash_flow is not None and cash != 0.0:
            self._cash_flows[cash_flow] += cash
        if self.keep_journal:
            self.journal.append(JournalEntry(self._quarter, memo, lines, cash_flow))

    def post_transfer(
        self,
        memo: str,
        debit: Account,
        credit: Account,
        amount: float,
        cash_flow: CashFlowKind | None = None,
    ) -> None:
        """Post a two-line entry: debit ``debit`` and credit ``credit`` by ``amount``.

        The common case of :meth:`post` (balanced by construction), without building
        line tuples; the same checks apply (finite amount, cash needs a section).
        """
        if not _isfinite(amount):
            raise UnbalancedEntryError(
                f"{self.owner}: entry {memo!r} has a non-finite amount on {debit.name}"
            )
        if (debit is _CASH) is not (credit is _CASH) and amount != 0.0:  # cash moves
            if cash_flow is None:
                raise UnbalancedEntryError(
                    f"{self.owner}: entry {memo!r} moves cash without a cash-flow section"
                )
            if debit is _CASH:
                self._cash_flows[cash_flow] += amount
            else:
                self._cash_flows[cash_flow] -= amount
        bal = self._bal
        bal[debit] += amount
        bal[credit] -= amount
        if self.keep_journal:
            lines = ((debit, amount), (credit, -amount))
            self.journal.append(JournalEntry(self._quarter, memo, lines, cash_flow))

    def open_period(self, quarter: int) -> None:
        """Start a new quarter: reset the cash-flow accumulators."""
        self._quarter = quarter
        self._cash_flows = [0.0, 0.0, 0.0]

    def close_period(self, statement: IncomeStatement | None = None) -> IncomeStatement:
        """Close income and expenses into retained earnings; return the period's statement.

        ``statement`` may pass this period's :meth:`income_statement` if the caller has
        it already (nothing may have been posted since). The closing entry is balanced
        by construction: every income and expense balance goes to zero and retained
        earnings take the net income.
        """
        if statement is None:
            statement = self.income_statement()
        net = statement.net_income
        bal = self._bal
        if not any(bal[_CLOSING_SPAN]):
            return statement  # nothing to close
        # zeroing every closing account is zeroing the non-zero ones: a balance is only
        # ever added to, so it is never -0.0
        if self.keep_journal:
            lines = [(a, -bal[a]) for a in _CLOSING if bal[a] != 0.0]
            lines.append((Account.RETAINED_EARNINGS, -net))
            self.journal.append(JournalEntry(self._quarter, "close_period", tuple(lines)))
        bal[_CLOSING_SPAN] = _NO_CLOSING_BALANCES
        bal[Account.RETAINED_EARNINGS] -= net
        return statement

    # -- reading -----------------------------------------------------------------
    def balance(self, account: Account) -> float:
        """Natural balance of one account (positive for its normal side), USD bn."""
        value = self._bal[account]
        return value if account in _DEBIT_NORMAL else -value

    @property
    def cash(self) -> float:
        """Cash balance (USD bn)."""
        return self._bal[_CASH]

    def balance_sheet(self) -> BalanceSheet:
        """Balance sheet now; equity includes the open period's result."""
        bal = self._bal
        paid_in = -bal[_PAID_IN]
        retained = -bal[_RETAINED] + -math.fsum(bal[_CLOSING_SPAN])  # with the period result
        return _new_tuple(
            BalanceSheet,
            (
                {a: bal[a] for a in _ASSETS},
                {a: -bal[a] for a in _LIABILITIES},
                {_PAID_IN: paid_in, _RETAINED: retained},
                math.fsum(bal[_ASSET_SPAN]),
                _negated_fsum(bal[_LIABILITY_SPAN]),
                _fsum2(paid_in, retained),
            ),
        )

    def net_income(self) -> float:
        """Net income of the open period (USD bn); equals ``income_statement().net_income``."""
        bal = self._bal
        return _negated_fsum(bal[_INCOME_SPAN]) - math.fsum(bal[_EXPENSE_SPAN])

    def income_statement(self) -> IncomeStatement:
        """Income statement of the open period."""
        bal = self._bal
        return _new_tuple(
            IncomeStatement,
            (
                {a: -bal[a] for a in _INCOME},
                {a: bal[a] for a in _EXPENSES},
                _negated_fsum(bal[_REVENUE_SPAN]),
                _negated_fsum(bal[_INCOME_SPAN]) - math.fsum(bal[_EXPENSE_SPAN]),
            ),
        )

    def cash_flow_statement(self) -> CashFlowStatement:
        """Cash-flow statement of the open period."""
        return _new_tuple(CashFlowStatement, self._cash_flows)

    def trial_balance(self) -> float:
        """Sum of debit-positive balances; zero (to rounding) in a consistent ledger."""
        return math.fsum(self._bal)
