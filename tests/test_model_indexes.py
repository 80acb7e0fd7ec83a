"""Cached and indexed views of the model agree with plain scans, quarter by quarter.

The hot loops keep a few shortcuts (cached deployed GW, backlogs cached per
quarter, interest summed without calling each loan and memoised per borrower,
EBITDA and an order's delivery parts cached, firms per role and a provider's
supplier shares kept); each is checked here against the obvious definition (the
memoised interest at every ask), through a stressed scenario with defaults, so a
shortcut that drifts from the contracts' own methods fails loudly.
"""

from __future__ import annotations

import math

import pytest

from runs.scenario import apply_overrides, load_scenario
from world.model import AIEconomy
from world.params import Role


@pytest.mark.parametrize(("scenario", "seed"), [("baseline", 3), ("pessimistic", 1)])
def test_shortcuts_agree_with_plain_scans(root, scenario, seed):
    params = apply_overrides(
        load_scenario(root / "scenarios" / f"{scenario}.toml"), {"investors.n_investors": 300}
    )
    model = AIEconomy(params, rng=seed)
    asks = _check_every_interest_ask(model)
    for _ in range(params.quarters):
        model.step()
        q = model.quarter
        backlog, commitments = model.backlogs()
        for f in model.firms:
            i = f.index
            plain_backlog = sum(
                c.remaining_value(q + 1) for c in model.deals.cloud if c.provider == i
            ) + sum(o.remaining_value() for o in model.deals.gpu if o.supplier == i)
            plain_commit = sum(
                c.remaining_value(q + 1) for c in model.deals.cloud if c.customer == i
            )
            assert math.isclose(backlog[i], plain_backlog, rel_tol=1e-12, abs_tol=1e-12)
            assert math.isclose(commitments[i], plain_commit, rel_tol=1e-12, abs_tol=1e-12)
            assert f.fleet.deployed_gw == pytest.approx(sum(v.gw for v in f.fleet.vintages))
            # interest: Loan.interest_due over the firm's loans, in the book's order
            assert model.interest_now(f) == sum(
                [ln.interest_due(q) for ln in model.deals.loans if ln.borrower == i], 0.0
            )
            recent = f.ebitda_history[-4:]
            if recent:
                assert f.ebitda == 4.0 * sum(recent) / len(recent)
            if f.role is Role.CLOUD:  # the plain definition of supplier_shares
                chips = {g.name: 1.0 for g in model.firms if g.role is Role.CHIP}
                names = f.spec.supplier_shares or chips
                ix = model.firm_index
                plain = {
                    ix[n]: w for n, w in names.items() if w > 0 and not model.firms[ix[n]].defaulted
                }
                total = sum(plain.values())
                assert f.supplier_shares() == (
                    {k: w / total for k, w in plain.items()} if total > 0 else {}
                )
        for o in model.deals.gpu:
            for ahead in (1, 4, 12):
                assert o.planned_gw(q, ahead) == sum(gw for _, gw in o.planned(q, ahead))
        for kind, parties in model.deals._index.items():  # DealBook.of trusts them: current
            items = getattr(model.deals, kind)
            for party, entry in parties.items():
                assert entry[0] == id(items) and entry[1] == len(items), (kind, party)
        for role in Role:
            assert model.by_role(role) == [
                g for g in model.firms if g.role is role and not g.defaulted
            ]
    assert asks[0] > 10 * params.quarters  # the memo was asked within quarters, not only here


def _check_every_interest_ask(model: AIEconomy) -> list[int]:
    """Check each ask of the book's memoised interest against the loans' own sum, bit for bit.

    And that a memo is forgotten wherever a loan changes within the quarter (debt service,
    draws, repayments, defaults), even when the stale sum would still be right: while a
    borrower's memo is kept, none of the loans it was summed from has changed its terms
    or status. Returns a counter of the asks.
    """
    book, asks = model.deals, [0]
    memoised = book.interest
    summed_from: dict[int, tuple] = {}  # borrower -> (its memo, its loans' terms then)

    def terms(loans) -> list[tuple]:
        return [(ln.principal, ln.rate, ln.maturity, ln.status, ln.signed) for ln in loans]

    def checked(borrower: int, q: int) -> float:
        before = book._interest.get(borrower)
        value = memoised(borrower, q)
        plain = sum([ln.interest_due(q) for ln in book.loans if ln.borrower == borrower], 0.0)
        assert value == plain, (borrower, q, value, plain)
        memo = book._interest[borrower]
        if memo is not before and not (before and memo[0] == before[0]):  # summed anew
            loans = [ln for ln in book.loans if ln.borrower == borrower]
            summed_from[borrower] = (memo, loans, terms(loans))
        for b, (memo, loans, then) in list(summed_from.items()):
            if b not in book._interest or book._interest[b][0] != memo[0]:
                del summed_from[b]  # forgotten (or summed anew since)
            else:
                assert terms(loans) == then, f"borrower {b}: a loan changed, its memo was kept"
        asks[0] += 1
        return value

    book.interest = checked  # type: ignore[method-assign]
    return asks
