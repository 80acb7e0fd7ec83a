"""Load, validate and override scenarios (TOML → frozen :class:`~world.params.Scenario`).

Errors are reported as one line naming the field and the allowed range, e.g.
``quarters: Input should be less than or equal to 400 (allowed: 1 ≤ quarters ≤ 400)``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from world.params import Scenario, with_overrides

__all__ = [
    "ScenarioError",
    "apply_overrides",
    "load_scenario",
    "parse_scenario",
    "read_expect_table",
]

#: Top-level table of a scenario file holding its claims (``[expect]``): read by
#: :func:`read_expect_table` for the validation suite, never part of the Scenario
#: and never inherited through ``base = ...`` (a claim belongs to one file's story).
EXPECT_TABLE = "expect"


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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML ({exc})") from None


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; everything else (values, arrays of tables) replaces."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_file(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict]:
    """Read a scenario file, following ``base = "other.toml"`` (relative to the file).

    Returns the merged mapping and the ``[overrides]`` (dotted paths) to apply after
    validation, base files' overrides first.
    """
    path = path.resolve()
    if path in _seen:
        raise ScenarioError(f"{path}: base: circular reference")
    data = _read_toml(path)
    data.pop(EXPECT_TABLE, None)  # claims are not parameters (see read_expect_table)
    overrides = data.pop("overrides", {})
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{path}: overrides: must be a table of dotted paths")
    base = data.pop("base", None)
    if base is None:
        return data, overrides
    if not isinstance(base, str):
        raise ScenarioError(f"{path}: base: must be a file name")
    base_data, base_overrides = resolve_file(path.parent / base, (*_seen, path))
    return _merge(base_data, data), {**base_overrides, **overrides}


def read_expect_table(path: str | Path) -> dict[str, Any]:
    """The ``[expect]`` table of this one file (``{}`` if it has none; never from a base).

    Raises :class:`ScenarioError` if the file cannot be read or ``expect`` is not a
    table; the claims themselves are validated by :mod:`runs.validation.claims`.
    """
    table = _read_toml(Path(path)).get(EXPECT_TABLE, {})
    if not isinstance(table, dict):
        raise ScenarioError(f"{path}: {EXPECT_TABLE}: must be a table of output = direction")
    return table


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    A file may start from another with ``base = "baseline.toml"``: its tables merge
    into the base's key by key, arrays (``firms``, ``deals``, ``shocks``) replace the
    base's, and an ``[overrides]`` table sets dotted paths such as
    ``"firms.OpenAI.opex" = 5.0``.
    """
    data, overrides = resolve_file(Path(path))
    scenario = parse_scenario(data)
    return apply_overrides(scenario, overrides) if overrides else scenario


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Return a new validated scenario with dotted-path overrides applied.

    Paths address nested tables (``"demand.bass_q"``), firms by name
    (``"firms.OpenAI.opex"``) and deals by position (``"deals.3.gw"``); see
    :func:`world.params.with_overrides`. Errors are one-line :class:`ScenarioError`.
    """
    try:
        return with_overrides(scenario, overrides)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc)) from None
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
