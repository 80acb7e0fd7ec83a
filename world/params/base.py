"""Shared pieces of the parameter models: quarter labels, units, the frozen base, roles.

Parameter models are *strict*: a value must already have its field's type — ``true``
is not 1.0, ``"yes"`` and ``1`` are not booleans, ``"3"`` is not a number, ``2.0`` is
not an integer — except that an integer is a valid float. Non-finite numbers (NaN,
infinity) are rejected. Plain data (as read from TOML or JSON) is validated with
:func:`validate_plain`, which reads arrays as tuples and strings as enum values.
"""

from __future__ import annotations

import functools
import json
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "QuarterLabel",
    "Role",
    "Share",
    "UsdBn",
    "quarter_index",
    "quarter_label",
    "validate_plain",
]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@functools.lru_cache(maxsize=1024)
def quarter_index(label: str) -> int:
    """Absolute index of a quarter label ``"YYYYQn"`` (year·4 + n − 1).

    Cached: the model asks for the same few labels (its start, shock and deal dates)
    every quarter.
    """
    m = _QUARTER.match(label)
    if m is None:
        raise ValueError(f"quarter must look like 2025Q4, got {label!r}")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def quarter_label(index: int) -> str:
    """Inverse of :func:`quarter_index`."""
    return f"{index // 4}Q{index % 4 + 1}"


QuarterLabel = Annotated[str, Field(pattern=r"^\d{4}Q[1-4]$", description="quarter, YYYYQn")]
UsdBn = Annotated[float, Field(ge=0.0, le=1e6, description="USD bn")]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, strict=True, allow_inf_nan=False
    )


def _plain_scalar(value: Any) -> Any:
    """JSON fallback for numpy scalars (``.item()``); anything else is not plain data."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not a number, boolean, string, array or table")


def validate_plain[M: BaseModel](
    model: type[M], data: Any, context: dict[str, Any] | None = None
) -> M:
    """Validate plain data (dicts, lists, str, int, float, bool) strictly as ``model``.

    JSON-mode strict validation: arrays are read as tuples and strings as enum
    values, but no other conversion happens (see the module docstring). It also
    applies to nested models with a lax configuration of their own.

    Raises
    ------
    pydantic.ValidationError
        For invalid data (a ``ValueError``).
    TypeError
        For a value that is not plain data (e.g. a date).
    """
    text = json.dumps(data, default=_plain_scalar, allow_nan=True)
    return model.model_validate_json(text, strict=True, context=context)


class Role(StrEnum):
    """Role of a firm in the circular flow."""

    CHIP = "chip"  # fuel
    CLOUD = "cloud"  # gears
    LAB = "lab"  # engine
