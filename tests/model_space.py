"""The model's allowed parameter space, and the invariants every run in it must keep.

Used by ``tests/test_model_finite.py`` (200 runs in ``make test``) and by
``make fuzz-model`` (1,000 runs). A draw changes the behavioural parameters of every
parameter table of the scenario (demand, macro, pricing, build-out, behaviour, credit,
stress, investors, market),
each anywhere inside its documented range (often at a bound), on one of the shipped
scenarios; the firms' opening balance sheets (calibration data) stay as shipped.
Runs are short (4-12 quarters, 200-1,000 investors) so hundreds fit in a test.

Invariants of :func:`check_run`, for every firm and quarter: no exception; every
recorded number finite; ``|A - L - E| <= 1e-6 x total assets`` (at least 1e-6 USD
bn); no negative cash at a quarter's end; system cash changes only by external flows;
every payment is someone's receipt.

:func:`corners` are the other way through the space: one parameter at a time at each
end of its range (each choice of a switch), over the scenario's whole horizon, where
slow instabilities (prices compounding quarter after quarter) have time to show
(``tests/test_model_finite.py``, with :data:`VALUE_BOUND`).
"""

from __future__ import annotations

import json
import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import numpy as np
from pydantic import BaseModel

from runs.scenario import ScenarioError, apply_overrides, load_scenario
from world.params import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("baseline", "optimistic", "pessimistic")
TABLES = tuple(
    name
    for name, info in Scenario.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
)
"""Every table of parameters of the scenario (demand, macro, pricing, build-out, ...)."""
#: kept short so that hundreds of runs fit in a test (the brief of issue 14)
FIXED_RANGES = {"investors.n_investors": (200, 1000)}
QUARTERS = (4, 12)
BALANCE_TOLERANCE = 1e-6
CASH_TOLERANCE = 1e-9
"""Most negative cash (USD bn) a firm may end a quarter with: rounding, not an overdraft."""
VALUE_BOUND = 1e5
"""Highest valuation a firm may reach in a corner run, USD bn (100 trillion): a single
firm worth of the order of every listed share in the world, some 20 times the largest
firm of 2025 (NVIDIA, about 5 trillion). Far above the validation suite's price/sales
bounds, it only catches prices that compound without end."""


@dataclass(frozen=True)
class Param:
    """One parameter: dotted path, kind (float, int, bool, choice) and its range."""

    path: str
    kind: str
    low: float | None = None
    high: float | None = None
    strict_low: bool = False
    strict_high: bool = False
    choices: tuple[Any, ...] = ()


def parameter_space() -> list[Param]:
    """Every scalar parameter of the mechanism tables, with its documented range.

    Array-valued parameters (e.g. ``credit.debt_tenors``) keep their scenario value.
    """
    out = []
    for table in TABLES:
        model = Scenario.model_fields[table].annotation
        for name, info in model.model_fields.items():
            path, ann = f"{table}.{name}", info.annotation
            if ann is bool:
                out.append(Param(path, "bool", choices=(False, True)))
                continue
            if get_origin(ann) is Literal:
                out.append(Param(path, "choice", choices=get_args(ann)))
                continue
            if ann not in (int, float):
                continue
            lo = hi = None
            strict_lo = strict_hi = False
            for meta in info.metadata:
                if getattr(meta, "ge", None) is not None:
                    lo = meta.ge
                if getattr(meta, "gt", None) is not None:
                    lo, strict_lo = meta.gt, True
                if getattr(meta, "le", None) is not None:
                    hi = meta.le
                if getattr(meta, "lt", None) is not None:
                    hi, strict_hi = meta.lt, True
            lo, hi = FIXED_RANGES.get(path, (lo, hi))
            kind = "int" if ann is int else "float"
            out.append(Param(path, kind, lo, hi, strict_lo, strict_hi))
    return out


SPACE = parameter_space()


def _inside(p: Param) -> tuple[float, float]:
    """The lowest and highest values ``p`` allows (just inside a strict bound)."""
    lo, hi = float(p.low), float(p.high)
    if p.strict_low:
        lo = lo + max(1e-9, 1e-6 * (hi - lo))
    if p.strict_high:
        hi = hi - max(1e-9, 1e-6 * (hi - lo))
    return lo, hi


def _value(p: Param, rng: np.random.Generator) -> Any:
    if p.choices:
        return p.choices[int(rng.integers(len(p.choices)))]
    lo, hi = _inside(p)
    where = rng.random()
    x = lo if where < 0.2 else hi if where < 0.4 else rng.uniform(lo, hi)
    return int(round(x)) if p.kind == "int" else float(x)


def _ends(p: Param) -> tuple[Any, Any]:
    """The lowest and highest value ``p`` allows, whole numbers for an integer."""
    lo, hi = _inside(p)
    return (math.ceil(lo), math.floor(hi)) if p.kind == "int" else (lo, hi)


SHARES = ("investors.share_fundamentalist", "investors.share_chartist", "investors.share_noise")
"""The strategy shares, which must sum to 1: a corner of one spreads the rest over the others."""
CORNER_INVESTORS = 200
"""Investors of a corner run (the population's own size has corners of its own)."""


def corners(scenario: str = "baseline", seed: int = 1) -> list[dict[str, Any]]:
    """One case per parameter and end of its range (each value of a switch or choice).

    Over ``scenario``'s whole horizon, with :data:`CORNER_INVESTORS` investors. The
    other strategy shares make room for a share at a corner (in proportion to their
    scenario values), and terminal growth stays below the discount rates (as in
    :func:`draw`), so that every case is valid.
    """
    base = load_scenario(ROOT / "scenarios" / f"{scenario}.toml")
    out = []
    for p in SPACE:
        values = p.choices if p.choices else _ends(p)
        for v in values:
            overrides: dict[str, Any] = {"investors.n_investors": CORNER_INVESTORS, p.path: v}
            if p.path in SHARES:
                others = [o for o in SHARES if o != p.path]
                weights = [getattr(base.investors, o.split(".")[1]) for o in others]
                for o, w in zip(others, weights, strict=True):
                    overrides[o] = (1.0 - v) * w / sum(weights)
                overrides[others[-1]] = 1.0 - v - overrides[others[0]]
            _keep_valid_growth(overrides, np.random.default_rng(0))
            case = {"scenario": scenario, "seed": seed, "quarters": base.quarters}
            out.append({**case, "overrides": overrides, "corner": f"{p.path}={v!r}"})
    return out


def draw(rng: np.random.Generator) -> dict[str, Any]:
    """A draw: scenario, seed, quarters and the overrides (see the module docstring)."""
    p_vary = float(rng.choice([0.05, 0.2, 1.0]))
    overrides = {
        p.path: _value(p, rng)
        for p in SPACE
        if p.path in FIXED_RANGES or rng.random() < p_vary or p.path.endswith("share_noise")
    }
    # the three strategy shares must sum to 1: draw them on the simplex
    shares = rng.dirichlet(np.ones(3)) if rng.random() < 0.7 else np.eye(3)[rng.integers(3)]
    for name, x in zip(("fundamentalist", "chartist", "noise"), shares, strict=True):
        overrides[f"investors.share_{name}"] = float(x)
    overrides["investors.share_noise"] = 1.0 - (
        overrides["investors.share_fundamentalist"] + overrides["investors.share_chartist"]
    )
    _keep_valid_growth(overrides, rng)
    return {
        "scenario": SCENARIOS[int(rng.integers(len(SCENARIOS)))],
        "seed": int(rng.integers(2**31)),
        "quarters": int(rng.integers(QUARTERS[0], QUARTERS[1] + 1)),
        "overrides": overrides,
    }


def _keep_valid_growth(overrides: dict[str, Any], rng: np.random.Generator) -> None:
    """Terminal growth must stay below the discount rates (cross-field rules)."""
    params = {p.path: p for p in SPACE}
    g, r, lab = (
        "investors.terminal_growth_per_q",
        "investors.discount_rate_per_q",
        "market.lab_discount_rate",
    )
    if g in overrides or r in overrides or lab in overrides:
        investors = Scenario.model_fields["investors"].default
        market = Scenario.model_fields["market"].default
        rate = min(
            overrides.get(r, investors.discount_rate_per_q),
            overrides.get(lab, market.lab_discount_rate),
        )
        growth = overrides.get(g, investors.terminal_growth_per_q)
        if growth >= rate:
            lo = params[g].low
            overrides[g] = lo + rng.uniform(0.0, 0.999) * (rate - lo)


#: recorded as NaN by design when a run has no investor population (nothing to measure)
NO_POPULATION = ("share_fundamentalist", "share_chartist", "share_noise")


@dataclass
class Outcome:
    """What one run did: rejected (a one-line reason), or run with its problems."""

    case: dict[str, Any]
    rejected: str | None = None
    problems: list[str] = field(default_factory=list)
    worst_imbalance: float = 0.0  # max over firms and quarters of |A-L-E| / max(A, 1)
    largest_value: float = 0.0  # largest |number| recorded (USD bn, GW, users ...)
    largest_valuation: float = 0.0  # the highest valuation of a firm, USD bn
    where: str | None = None  # the function that raised, if the run raised

    @property
    def ok(self) -> bool:
        """No invariant broken (a rejection is not a failure)."""
        return not self.problems

    def reproducer(self) -> str:
        """The command line that repeats this run."""
        c = self.case
        sets = " ".join(f"--set {k}={_toml(v)}" for k, v in sorted(c["overrides"].items()))
        return (
            f"aipm run scenarios/{c['scenario']}.toml --seed {c['seed']} "
            f"--quarters {c['quarters']} --no-report {sets}"
        )


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)


_BASES: dict[str, Scenario] = {}


def scenario_of(case: dict[str, Any]) -> Scenario:
    """The validated scenario of a draw (raises :class:`ScenarioError` if rejected)."""
    name = case["scenario"]
    if name not in _BASES:
        _BASES[name] = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    return apply_overrides(_BASES[name], {**case["overrides"], "quarters": case["quarters"]})


def check_run(case: dict[str, Any]) -> Outcome:
    """Run one draw with the journal on and check every invariant."""
    from world.model import AIEconomy

    outcome = Outcome(case)
    try:
        scenario = scenario_of(case)
    except ScenarioError as exc:
        outcome.rejected = str(exc)
        return outcome
    try:
        with np.errstate(all="ignore"):
            model = AIEconomy(scenario, rng=case["seed"], keep_journal=True)
            for _ in range(case["quarters"]):
                model.step()
    # the harness records any error of the model as a broken invariant
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        outcome.problems.append(
            f"exception {type(exc).__name__}: {str(exc)[:200]} "
            f"({Path(where.filename).name}:{where.lineno} in {where.name})"
        )
        outcome.where = where.name
        if model.records.valuations:  # what the quarters before the error recorded
            _check_records(model, outcome, population=scenario.investors.enabled)
        return outcome
    _check_records(model, outcome, population=scenario.investors.enabled)
    _check_money(model, outcome)
    return outcome


EXPLOSION = 1e12
"""|value| beyond which a run has left any economic scale (USD bn; world GDP is ~1e5)."""
TRADING_KERNEL = ("trade_quarter",)
"""Where the investor population's prices are made (world/trading.py, agents/investors.py)."""


def is_price_explosion(outcome: Outcome) -> bool:
    """Whether a failed run is a price explosion (issue 14, item 4), counted apart.

    Prices made by the investor trading kernel leave every economic scale
    (a recorded number above :data:`EXPLOSION`, or a non-finite one), or the kernel
    itself fails (a division by a price that underflowed to 0). Such a run fails the
    property test like any other; it is reported with its reproducer, never dropped.
    """
    if outcome.ok:
        return False
    return (
        outcome.largest_value > EXPLOSION
        or any(p.startswith("non-finite") for p in outcome.problems)
        or outcome.where in TRADING_KERNEL
    )


def _check_records(model: Any, outcome: Outcome, population: bool) -> None:
    firms = model.records.firms_frame()
    system = model.records.system_frame()
    if not population:
        system = system.drop(columns=list(NO_POPULATION))
    for name, frame in (("firms", firms), ("system", system)):
        num = frame.select_dtypes("number").astype(np.float64)
        values = num.to_numpy()
        finite = np.isfinite(values)
        if not finite.all():
            cols = [c for c, ok in zip(num.columns, finite.all(axis=0), strict=True) if not ok]
            first = int(frame["quarter"].to_numpy()[~finite.all(axis=1)].min())
            outcome.problems.append(f"non-finite {name} values in {cols} from quarter {first}")
        if finite.any():
            outcome.largest_value = max(outcome.largest_value, float(np.abs(values[finite]).max()))
    a, li, e = (
        firms[c].to_numpy(np.float64) for c in ("total_assets", "total_liabilities", "equity")
    )
    cash = firms["cash"].to_numpy(np.float64)
    if (cash < -CASH_TOLERANCE).any():
        k = int(np.argmin(cash))
        outcome.problems.append(
            f"negative cash: {firms['firm'].iloc[k]} ends quarter {firms['quarter'].iloc[k]} "
            f"with {cash[k]:.6g} USD bn"
        )
    value = firms["valuation"].to_numpy(np.float64)
    outcome.largest_valuation = float(np.nanmax(value)) if value.size else 0.0
    gap = np.abs(a - li - e)
    scale = np.maximum(np.abs(a), 1.0)
    ratio = np.where(np.isfinite(gap), gap / scale, np.inf)
    outcome.worst_imbalance = float(ratio.max()) if ratio.size else 0.0
    if outcome.worst_imbalance > BALANCE_TOLERANCE:
        k = int(np.argmax(ratio))
        outcome.problems.append(
            f"books do not balance: {firms['firm'].iloc[k]} in quarter {firms['quarter'].iloc[k]}: "
            f"A - L - E = {a[k] - li[k] - e[k]:.6g} USD bn with A = {a[k]:.6g}"
        )


def _check_money(model: Any, outcome: Outcome) -> None:
    """tests/test_conservation.py's two checks, on this run."""
    firms = model.records.firms_frame()
    cash = firms.pivot(index="quarter", columns="firm", values="cash").sum(axis=1)
    external: dict[int, float] = {}
    for flow in model.payments.external:
        external[flow.quarter] = external.get(flow.quarter, 0.0) + flow.amount
    prev = sum(f.spec.cash for f in model.firms)
    for q, total in cash.items():
        if not math.isclose(total - prev, external.get(q, 0.0), rel_tol=1e-9, abs_tol=1e-7):
            outcome.problems.append(
                f"money not conserved in quarter {q}: system cash changed by "
                f"{total - prev:.6g}, external flows {external.get(q, 0.0):.6g} USD bn"
            )
            break
        prev = total
    for f in model.firms:
        journal = sum(e.cash_change for e in f.ledger.journal if e.memo != "opening_balance")
        paid = sum(p.amount for p in model.payments.payments if p.payer == f.index)
        received = sum(p.amount for p in model.payments.payments if p.payee == f.index)
        ext = sum(x.amount for x in model.payments.external if x.firm == f.index)
        if not math.isclose(journal, received - paid + ext, rel_tol=1e-9, abs_tol=1e-7):
            outcome.problems.append(
                f"{f.name}: booked cash {journal:.6g} is not payments received - paid + "
                f"external {received - paid + ext:.6g} USD bn"
            )
