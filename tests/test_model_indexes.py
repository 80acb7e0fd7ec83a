"""Cached and indexed views of the model agree with plain scans, quarter by quarter.

The hot loops keep a few shortcuts (cached deployed GW, backlogs cached per
quarter); each is checked here against the obvious definition,
through a stressed scenario with defaults, so a shortcut that drifts from the
contracts' own methods fails loudly.
"""

from __future__ import annotations

import math

import pytest

from runs.scenario import apply_overrides, load_scenario
from world.model import AIEconomy


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
