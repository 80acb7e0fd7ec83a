"""Load, validate and override scenarios (TOML → frozen :class:`~world.params.Scenario`).

Errors are reported as one line naming the field and the allowed range, e.g.
``quarters: Input should be less than or equal to 400 (allowed: 1 ≤ quarters ≤ 400)``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from world.params import Scenario

__all__ = ["ScenarioError", "apply_overrides", "load_scenario", "parse_scenario"]


class ScenarioError(ValueError):
    """A scenario file or override is invalid; the message is one line."""


def _field_info(model: type[BaseModel] | None, loc: tuple[Any, ...]):
    """Follow ``loc`` through nested pydantic models; return the last FieldInfo or None."""
    info = None
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            # discriminated unions: loc contains the tag (e.g. 'cloud_contract')
            current = _union_member(current, part)
            continue
        info = fields[part]
        current = _inner_model(info.annotation)
    return info


def _inner_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in args:
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _union_member(current: Any, tag: Any) -> Any:
    from world import params as p

    for cls in (
        p.CloudContractSpec,
        p.GpuOrderSpec,
        p.EquityInvestmentSpec,
        p.WarrantSpec,
        p.VendorLoanSpec,
        p.BackstopSpec,
        p.FundingRoundSpec,
        p.DebtSpec,
    ):
        if cls.model_fields["kind"].default == tag:
            return cls
    return current


def _allowed(info: Any, name: str) -> str:
    if info is None:
        return ""
    lo = hi = None
    lo_op = hi_op = "≤"
    for meta in info.metadata:
        for attr, op in (("ge", "≤"), ("gt", "<")):
            if getattr(meta, attr, None) is not None:
                lo, lo_op = getattr(meta, attr), op
        for attr, op in (("le", "≤"), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                hi, hi_op = getattr(meta, attr), op
    if lo is None and hi is None:
        return ""
    left = f"{lo} {lo_op} " if lo is not None else ""
    right = f" {hi_op} {hi}" if hi is not None else ""
    return f" (allowed: {left}{name}{right})"


def format_validation_error(exc: ValidationError, model: type[BaseModel] = Scenario) -> str:
    """The first error of ``exc`` as one line: ``field.path: message (allowed range)``."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc) or "scenario"
    if err["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    if err["type"] == "missing":
        return f"{path}: required field is missing"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "value_error" and ":" in msg.split(" ")[0]:
        return msg
    return f"{path}: {msg}{_allowed(_field_info(model, loc), str(loc[-1]) if loc else path)}"


def parse_scenario(data: dict[str, Any]) -> Scenario:
    """Validate a scenario mapping; raise :class:`ScenarioError` with a one-line message."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML ({exc})") from None
    return parse_scenario(data)


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Return a new validated scenario with dotted-path overrides applied.

    Paths address nested tables (``"demand.bass_q"``), firms by name
    (``"firms.OpenAI.opex"``) and deals by position (``"deals.3.gw"``).
    """
    data = scenario.model_dump(mode="python")
    for path, value in overrides.items():
        parts = path.split(".")
        node: Any = data
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                node = _select(node, part, path)
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise ScenarioError(f"{path}: unknown parameter ({'.'.join(parts[: i + 1])})")
        last = parts[-1]
        if isinstance(node, dict) and last in node:
            node[last] = value
        else:
            raise ScenarioError(f"{path}: unknown parameter")
    return parse_scenario(data)


def _select(items: list[Any], key: str, path: str) -> Any:
    if key.isdigit() and int(key) < len(items):
        return items[int(key)]
    for item in items:
        if isinstance(item, dict) and item.get("name") == key:
            return item
    raise ScenarioError(f"{path}: no entry {key!r}")
