"""Shared pieces of the parameter models: quarter labels, units, the frozen base, roles."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["QuarterLabel", "Role", "Share", "UsdBn", "quarter_index", "quarter_label"]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_index(label: str) -> int:
    """Absolute index of a quarter label ``"YYYYQn"`` (year·4 + n − 1)."""
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
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class Role(StrEnum):
    """Role of a firm in the circular flow."""

    CHIP = "chip"  # fuel
    CLOUD = "cloud"  # gears
    LAB = "lab"  # engine
