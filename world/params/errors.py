"""One-line messages for pydantic validation errors: ``field.path: message (allowed range)``."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["format_validation_error"]


def _field_info(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> Any:
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
    from world.params import deals

    for cls in (
        deals.CloudContractSpec,
        deals.GpuOrderSpec,
        deals.EquityInvestmentSpec,
        deals.WarrantSpec,
        deals.VendorLoanSpec,
        deals.BackstopSpec,
        deals.FundingRoundSpec,
        deals.DebtSpec,
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


def _got(err: Any) -> str:
    """``, got VALUE`` for type errors (a wrong type is easier to see with the value)."""
    value = err.get("input")
    non_finite = isinstance(value, float) and not math.isfinite(value)
    if not non_finite and not err["type"].endswith(("_type", "_parsing", "finite_number")):
        return ""
    if isinstance(value, (dict, list, tuple)):
        return ""
    text = repr(value)
    return f", got {text if len(text) <= 60 else text[:57] + '...'}"


def format_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """The first error of ``exc`` as one line: ``field.path: message (allowed range)``.

    ``model`` (default: the scenario) is used to look up the allowed range of the field.
    """
    if model is None:
        from world.params.scenario import Scenario

        model = Scenario
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc) or "scenario"
    if err["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    if err["type"] == "missing":
        return f"{path}: required field is missing"
    if err["type"] == "too_short" and err.get("ctx", {}).get("actual_length") == 0:
        return f"{path}: empty (at least {err['ctx'].get('min_length', 1)} needed)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "value_error" and ":" in msg.split(" ")[0]:
        return msg
    name = str(loc[-1]) if loc else path
    return f"{path}: {msg}{_got(err)}{_allowed(_field_info(model, loc), name)}"
