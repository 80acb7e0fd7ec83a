"""Check a scenario's first simulated year against the 2025 anchors.

``python -m runs.calibrate scenarios/baseline.toml`` prints, per anchor, the model's
value, the anchor and the relative gap, and exits 1 if any gap exceeds the tolerance.
The anchors live in ``scenarios/calibration/anchors.toml`` (each copied from a
calibration file, with its source).
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runs.commands import CommandParser
from runs.scenario import ScenarioError, load_scenario
from runs.simulate import simulate
from world.params import Scenario, quarter_index

__all__ = ["AnchorCheck", "check_anchors", "load_anchors", "out_of_sample", "value_on"]

ANCHORS = Path(__file__).resolve().parent.parent / "scenarios" / "calibration" / "anchors.toml"


@dataclass(frozen=True)
class AnchorCheck:
    """One anchor compared with the model (USD bn)."""

    name: str
    model: float
    anchor: float

    @property
    def gap(self) -> float:
        """Relative gap (model − anchor) / anchor."""
        return (self.model - self.anchor) / self.anchor


def load_anchors(path: Path = ANCHORS) -> dict:
    """Read the anchors file."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def check_anchors(scenario: Scenario, anchors: dict, seed: int = 0) -> list[AnchorCheck]:
    """Run the first year of ``scenario`` and compare it with ``anchors``."""
    result = simulate(scenario, seed, quarters=4)
    firms = result.firms
    checks = []
    for a in anchors["firms"]:
        rows = firms[firms.firm == a["firm"]]
        for key in ("revenue", "capex", "equity_raised"):
            if key in a:
                checks.append(AnchorCheck(f"{a['firm']} {key}", float(rows[key].sum()), a[key]))
        if "h1_operating_loss" in a:
            h1 = rows[rows.quarter < 2]
            checks.append(
                AnchorCheck(
                    f"{a['firm']} H1 operating loss",
                    float(-h1.operating_income.sum()),
                    a["h1_operating_loss"],
                )
            )
    deals = result.deals
    start = scenario.start_index
    for d in anchors["deals"]:
        q = quarter_index(d["period"]) - start
        hit = deals[
            ~deals.endogenous
            & (deals.kind == d["kind"])
            & (deals.payer == d["payer"])
            & (deals.payee == d["payee"])
            & (deals.quarter == q)
        ]
        name = f"{d['kind']} {d['payer']}→{d['payee']} {d['period']}"
        checks.append(AnchorCheck(name, float(hit.value.sum()), d["value"]))
    return checks


def value_on(firms: pd.DataFrame, firm: str, date: dt.date) -> float:
    """``firm``'s valuation on ``date`` (USD bn), linear between the ends of quarters.

    ``firms`` is a run's firm table (columns ``firm``, ``period`` such as ``2025Q3``,
    ``valuation``; each quarter's value is its value at the quarter's end). NaN when
    ``date`` lies before the end of the first quarter or after the last one.
    """
    rows = firms[firms["firm"] == firm]
    ends = np.array(
        [pd.Period(p, freq="Q").end_time.date().toordinal() for p in rows["period"]], dtype=float
    )
    values = rows["valuation"].to_numpy(dtype=float)
    day = float(date.toordinal())
    if ends.size == 0 or not ends[0] <= day <= ends[-1]:
        return float("nan")
    return float(np.interp(day, ends, values))


def out_of_sample(firms: pd.DataFrame, anchors: dict) -> list[AnchorCheck]:
    """The run's values on the dates of the anchors' ``out_of_sample`` market values.

    One :class:`AnchorCheck` per entry (``name`` is ``"<firm> value <date>"``, ``anchor``
    the market's value): evidence kept out of the calibration, compared by the
    validation suite (:func:`runs.validation.checks.out_of_sample_checks`).
    """
    return [
        AnchorCheck(
            f"{o['firm']} value {o['date'].isoformat()}",
            value_on(firms, o["firm"], o["date"]),
            float(o["value"]),
        )
        for o in anchors.get("out_of_sample", [])
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the anchor table; return 1 if an anchor is missed.

    A scenario file that cannot be read or is invalid is one line on stderr, exit 2.
    """
    parser = CommandParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.toml")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as e:
        parser.error(str(e))
    anchors = load_anchors()
    tol = anchors["tolerance"]
    worst = 0.0
    for c in check_anchors(scenario, anchors):
        flag = "ok " if abs(c.gap) <= tol else "OFF"
        worst = max(worst, abs(c.gap))
        print(f"{flag} {c.name:45s} model {c.model:9.2f}  anchor {c.anchor:9.2f}  {c.gap:+7.1%}")
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
