"""Cached and indexed views of the model agree with plain scans, quarter by quarter.

The hot loops keep a few shortcuts (cached deployed GW, backlogs cached per
quarter, interest summed without calling each loan, EBITDA and an order's delivery
parts cached, firms per role and a provider's supplier shares kept); each is checked
here against the obvious definition,
through a stressed scenario with defaults, so a shortcut that drifts from the
contracts' own methods fails loudly.
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
        for role in Role:
            assert model.by_role(role) == [
                g for g in model.firms if g.role is role and not g.defaulted
            ]
