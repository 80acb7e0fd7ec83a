"""Scenario claims: the ``[expect]`` table of a scenario file, validated.

A scenario's story says which way it should move named outputs against the
baseline; its file states that in an ``[expect]`` table::

    [expect]
    lab_revenue = "lower"                      # an output and a direction
    lab_distress = { direction = "higher", share_at_least = 0.5, why = "..." }

Keys are named outputs (:data:`runs.named_outputs.OUTPUTS`); a value is a
direction (``"higher"`` or ``"lower"`` than in the baseline) or a table with
``direction``, ``share_at_least`` (flags only: the output is 1 in more than this
share of seeds) and ``why`` (the story, one line). Claims are not scenario
parameters: the loader (:mod:`runs.scenario`) strips the table, and a file never
inherits its base's claims (a claim belongs to one file's story).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runs.named_outputs import OUTPUTS, OutputKind
from runs.scenario import ScenarioError, read_expect_table

__all__ = ["Claim", "ClaimError", "Direction", "Expectations", "load_expectations"]


class ClaimError(ValueError):
    """An ``[expect]`` table is invalid; the message is one line naming the key."""


class Direction(StrEnum):
    """Which way a scenario moves an output against the baseline."""

    HIGHER = "higher"
    LOWER = "lower"

    @property
    def alternative(self) -> str:
        """The one-sided alternative of the tests (``"greater"`` / ``"less"``)."""
        return "greater" if self is Direction.HIGHER else "less"

    @property
    def side(self) -> str:
        """Where an interval must lie against its reference, in words."""
        return "above" if self is Direction.HIGHER else "below"


class Claim(BaseModel):
    """One claim of a scenario about one named output."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    output: str = Field(description="a named output (runs.named_outputs.OUTPUTS)")
    direction: Direction | None = Field(None, description="against the baseline")
    share_at_least: float | None = Field(
        None, gt=0.0, lt=1.0, description="flags: 1 in more than this share of seeds"
    )
    why: str = Field("", max_length=300, description="the story behind the claim")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.output not in OUTPUTS:
            allowed = ", ".join(OUTPUTS)
            raise ValueError(f"unknown output {self.output!r} (allowed: {allowed})")
        if self.direction is None and self.share_at_least is None:
            raise ValueError("give a direction, share_at_least, or both")
        if self.share_at_least is not None and OUTPUTS[self.output].kind is not OutputKind.FLAG:
            raise ValueError(f"share_at_least: only for flag outputs, {self.output!r} is not one")
        return self

    def text(self) -> str:
        """The claim in words, e.g. ``lab_revenue lower than baseline``."""
        parts = []
        if self.direction is not None:
            parts.append(f"{self.output} {self.direction.value} than baseline")
        if self.share_at_least is not None:
            parts.append(f"{self.output} = 1 in more than {self.share_at_least:.0%} of seeds")
        return "; ".join(parts)


class Expectations(BaseModel):
    """The claims of one scenario file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: str
    claims: tuple[Claim, ...] = ()


def parse_expectations(table: dict[str, Any], scenario: str, where: str = "") -> Expectations:
    """Validate an ``[expect]`` mapping; raise :class:`ClaimError` (one line) if invalid."""
    claims = []
    prefix = f"{where}: " if where else ""
    for key, value in table.items():
        data = {"direction": value} if isinstance(value, str) else value
        if not isinstance(data, dict):
            raise ClaimError(
                f'{prefix}expect.{key}: give a direction ("higher" or "lower") or a table'
            )
        try:
            claims.append(Claim.model_validate({"output": key, **data}))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"] if p != "output")
            loc = f"expect.{key}" + (f".{field}" if field else "")
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (allowed: direction, share_at_least, why)"
            elif err["type"] == "enum":
                msg = f"{data.get('direction')!r} is not a direction (allowed: higher, lower)"
            raise ClaimError(f"{prefix}{loc}: {msg}") from None
    return Expectations(scenario=scenario, claims=tuple(claims))


def load_expectations(path: str | Path, scenario: str | None = None) -> Expectations:
    """Read and validate the ``[expect]`` table of one scenario file (not of its base).

    Parameters
    ----------
    path
        The scenario TOML file.
    scenario
        Its scenario name (default: the file stem).

    Raises
    ------
    ClaimError
        One line naming the file and the key.
    """
    path = Path(path)
    try:
        table = read_expect_table(path)
    except ScenarioError as exc:
        raise ClaimError(str(exc)) from None
    return parse_expectations(table, scenario or path.stem, str(path))
