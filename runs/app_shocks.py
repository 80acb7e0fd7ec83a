"""Shocks from the app's shock panel, applied through the model's own shock mechanism.

A shock is a :class:`~world.params.ShockSpec` (parameter changes and/or a one-off
sentiment change at a quarter). The panel offers two kinds:

* the ``[[shocks]]`` of a shipped shock scenario (``scenarios/shock_*.toml``), moved
  so that its first shock lands on the chosen quarter (the others keep their
  distance to it);
* one parameter change (any number or switch of the scenario's mechanism tables),
  validated against the parameter's range before it is scheduled.

:func:`schedule` hands the shocks to the model's schedule, which
``AIEconomy._apply_shocks`` applies at the start of their quarter with
:func:`world.params.with_overrides` and records as ``shock`` events — the same path
as a scenario file's shocks. "Now" is the next quarter the model simulates.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from runs.app_session import SCENARIO_DIR
from runs.scenario import apply_overrides, load_scenario
from world.model import AIEconomy
from world.params import Scenario, ShockSpec, quarter_label, shock_problem

__all__ = [
    "SHOCK_TABLES",
    "Knob",
    "ShockChoice",
    "knobs",
    "parameter_shock",
    "pending",
    "schedule",
    "shifted",
    "current_value",
    "shipped_shocks",
]

#: The scenario's tables whose numbers and switches the app lets a shock change (the
#: investor population's table is left out: the population is built once, at the start;
#: within these, :func:`world.params.shock_problem` leaves out what is read only then).
SHOCK_TABLES = ("demand", "buildout", "behaviour", "credit", "market", "stress")


@dataclass(frozen=True)
class ShockChoice:
    """The shocks of one shipped shock scenario.

    Attributes
    ----------
    key
        Scenario name (file stem), e.g. ``"shock_supplier_stops_financing"``.
    label
        Short label for the picker, e.g. ``"Supplier stops financing"``.
    description
        The scenario's one-line description.
    shocks
        Its ``[[shocks]]``, in date order.
    """

    key: str
    label: str
    description: str
    shocks: tuple[ShockSpec, ...]


def shipped_shocks(directory: Path = SCENARIO_DIR) -> list[ShockChoice]:
    """The shock scenarios of ``directory`` (``shock_*.toml`` with at least one shock)."""
    choices = []
    for path in sorted(directory.glob("shock_*.toml")):
        s = load_scenario(path)
        if not s.shocks:
            continue
        label = path.stem.removeprefix("shock_").replace("_", " ").capitalize()
        ordered = tuple(sorted(s.shocks, key=lambda k: s.relative(k.at)))
        choices.append(ShockChoice(path.stem, label, s.description, ordered))
    return choices


def shifted(shocks: tuple[ShockSpec, ...], params: Scenario, quarter: int) -> list[ShockSpec]:
    """``shocks`` moved so that the first hits model quarter ``quarter`` (gaps kept)."""
    if not shocks:
        return []
    first = min(params.relative(s.at) for s in shocks)
    return [
        s.model_copy(
            update={
                "at": quarter_label(params.start_index + quarter + params.relative(s.at) - first)
            }
        )
        for s in shocks
    ]


@dataclass(frozen=True)
class Knob:
    """One parameter a shock may change.

    Attributes
    ----------
    path
        Dotted path, e.g. ``"demand.conversion_speed"``.
    kind
        ``float``, ``int`` or ``bool``.
    lo, hi
        Allowed range (``None``: unbounded on that side; both ``None`` for a switch).
    description
        The parameter's one-line description (with its unit).
    """

    path: str
    kind: type
    lo: float | None
    hi: float | None
    description: str


def _bounds(metadata: list) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi


def _scalar(annotation: object) -> type | None:
    """``float``/``int``/``bool`` for a scalar field (``None`` for anything else)."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation if annotation in (float, int, bool) else None  # type: ignore[return-value]


def knobs(params: Scenario) -> list[Knob]:
    """Every number and switch of :data:`SHOCK_TABLES` a shock may change, with its range.

    In table order; a parameter read only when the run starts is left out
    (:func:`world.params.shock_problem`, the rule scenario files' shocks follow).
    """
    out = []
    for table in SHOCK_TABLES:
        model: BaseModel = getattr(params, table)
        for name, info in type(model).model_fields.items():
            kind = _scalar(info.annotation)
            if kind is None or shock_problem(f"{table}.{name}") is not None:
                continue
            lo, hi = (None, None) if kind is bool else _bounds(info.metadata)
            out.append(Knob(f"{table}.{name}", kind, lo, hi, info.description or ""))
    return out


def current_value(params: Scenario, path: str) -> object:
    """The value of a dotted parameter path in ``params``."""
    node: object = params
    for part in path.split("."):
        node = getattr(node, part)
    return node


def parameter_shock(params: Scenario, path: str, value: object, quarter: int) -> ShockSpec:
    """A shock that sets one parameter at model quarter ``quarter``.

    Raises
    ------
    ValueError
        For an unknown path or a value outside the parameter's range (the message
        names the path and the allowed range).
    """
    allowed = {k.path: k for k in knobs(params)}
    if path not in allowed:
        raise ValueError(f"{path}: not a parameter a shock may change")
    knob = allowed[path]
    apply_overrides(params.model_copy(update={"shocks": ()}), {path: value})  # validates
    old = current_value(params, path)
    return ShockSpec(
        at=quarter_label(params.start_index + quarter),
        set={path: knob.kind(value)},
        note=f"{path}: {old} → {value} (set in the app)",
    )


def schedule(model: AIEconomy, shocks: list[ShockSpec]) -> None:
    """Add ``shocks`` to the model's shock schedule (applied at the start of their quarter).

    Raises
    ------
    ValueError
        For a shock dated before the next quarter the model simulates.
    """
    for s in shocks:  # check them all before scheduling any
        if model.params.relative(s.at) < model.quarter:
            raise ValueError(
                f"at: {s.at} has already been simulated (the next quarter is {model.period})"
            )
    for s in shocks:
        model.schedule_shock(s)


def pending(model: AIEconomy) -> list[ShockSpec]:
    """Shocks scheduled for quarters the model has not simulated yet, in date order."""
    return [s for q, s in sorted(model.shocks, key=lambda x: x[0]) if q >= model.quarter]
