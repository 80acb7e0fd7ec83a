"""Sweep specifications: what to vary, how to sample it, how often to repeat it.

A sweep spec is a small TOML file (see ``scenarios/sweeps/example.toml``)::

    name = "example"
    scenario = "../baseline.toml"      # base scenario, relative to this file
    design = "lhs"                     # grid | lhs | sobol | morris
    samples = 16                       # points (lhs), base N (sobol), trajectories (morris)
    replicates = 2                     # runs per design point, each with its own seed
    root_seed = 2025

    [fixed]                            # overrides applied to the base before sampling
    quarters = 12

    [parameters]
    "demand.bass_q" = { low = 0.03, high = 0.15 }
    "behaviour.vendor_financing" = { levels = [true, false] }

:func:`load_spec` validates the file itself (:class:`SweepSpec`, pydantic, one-line
errors) and :func:`plan_sweep` validates it against the base scenario (every
parameter path exists, every bound is an allowed value) and builds the run table.
The sweep itself is :func:`runs.sweeping.sweep`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runs.scenario import (
    ScenarioError,
    apply_overrides,
    describe_validation_error,
    load_scenario,
    path_problem,
    read_toml,
)
from world.params import Scenario, validate_plain

__all__ = [
    "MAX_RUNS",
    "Design",
    "ParameterRange",
    "SpecError",
    "SweepPlan",
    "SweepSpec",
    "batch_run_spec",
    "looks_like_spec",
    "load_spec",
    "parse_spec",
    "plan_sweep",
]

Level = bool | int | float | str

MAX_RUNS = 1_000_000
"""Most runs one sweep may have (design points × replicates); checked before sampling."""


class SpecError(ValueError):
    """A sweep spec is invalid; the message is one line."""


class Design(StrEnum):
    """How the design points are chosen."""

    GRID = "grid"
    """Full factorial grid of every parameter's levels."""
    LHS = "lhs"
    """Latin hypercube of ``samples`` points (scipy.stats.qmc)."""
    SOBOL = "sobol"
    """Saltelli's extension of the Sobol' sequence (SALib), for Sobol indices."""
    MORRIS = "morris"
    """``samples`` Morris trajectories (SALib), for elementary effects."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class ParameterRange(_Frozen):
    """A varied parameter: a continuous range ``[low, high]`` or a list of ``levels``."""

    low: float | None = None
    high: float | None = None
    levels: tuple[Level, ...] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.levels is not None:
            if self.low is not None or self.high is not None:
                raise ValueError("give either low/high or levels, not both")
            if not self.levels:
                raise ValueError("empty levels (give at least one value)")
            if len(set(map(repr, self.levels))) != len(self.levels):
                raise ValueError("levels must be distinct")
            return self
        if self.low is None or self.high is None:
            raise ValueError("give low and high, or levels")
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            raise ValueError("low and high must be finite")
        if not self.low < self.high:
            raise ValueError(f"empty range (low {self.low} must be < high {self.high})")
        return self


class SweepSpec(_Frozen):
    """Everything a sweep needs: base scenario, parameters, design, replicates, seed."""

    name: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="a safe file name: letters, digits, '_', '.', '-', first a letter or digit",
    )
    description: str = Field("", max_length=2000)
    scenario: Path = Field(description="base scenario TOML (relative paths: to the spec file)")
    design: Design
    parameters: dict[str, ParameterRange] = Field(min_length=1, max_length=200)
    fixed: dict[str, Any] = Field(default_factory=dict, description="overrides of the base")
    samples: int | None = Field(
        None, ge=1, le=1_000_000, description="lhs points, sobol base N, morris trajectories"
    )
    levels: int | None = Field(
        None, ge=2, le=1000, description="grid levels per low/high range (3); morris levels (4)"
    )
    second_order: bool = Field(False, description="sobol: sample for second-order indices")
    replicates: int = Field(1, ge=1, le=100_000, description="runs per design point")
    root_seed: int = Field(0, ge=0, le=2**63 - 1, description="root of every run's seed")
    common_random_numbers: bool = Field(
        False, description="replicate r of every point uses the same seed"
    )
    save_paths: bool = Field(False, description="also store per-quarter firm and system paths")
    chunk_size: int | None = Field(None, ge=1, le=10_000, description="runs per task (auto)")

    @model_validator(mode="after")
    def _check_design(self) -> Self:
        if self.design is Design.GRID:
            if self.samples is not None:
                raise ValueError("samples: not used by design 'grid' (set levels instead)")
        elif self.samples is None:
            raise ValueError(f"samples: required by design '{self.design}'")
        if self.design is Design.SOBOL and self.samples & (self.samples - 1):
            raise ValueError(
                f"samples: must be a power of 2 for design 'sobol', got {self.samples}"
            )
        if self.levels is not None and self.design in (Design.LHS, Design.SOBOL):
            raise ValueError(f"levels: not used by design '{self.design}'")
        if self.second_order and self.design is not Design.SOBOL:
            raise ValueError("second_order: only for design 'sobol'")
        clash = sorted(set(self.parameters) & set(self.fixed))
        if clash:
            raise ValueError(f"parameters.{clash[0]}: also set in [fixed]")
        return self


def parse_spec(data: dict[str, Any], base_dir: Path | None = None) -> SweepSpec:
    """Validate a spec mapping; relative ``scenario`` paths are taken from ``base_dir``."""
    try:
        spec = validate_plain(SweepSpec, data)
    except ValidationError as exc:
        raise SpecError(describe_validation_error(exc, SweepSpec)) from None
    except TypeError as exc:  # a value that is not plain data (from Python callers)
        raise SpecError(f"spec: {exc}") from None
    if base_dir is not None and not spec.scenario.is_absolute():
        spec = spec.model_copy(update={"scenario": (base_dir / spec.scenario).resolve()})
    return spec


#: Top-level keys only a sweep spec has (a scenario file has none of them).
SPEC_KEYS = ("scenario", "design", "parameters")


def looks_like_spec(data: dict[str, Any]) -> bool:
    """Whether a TOML file's contents are a sweep spec rather than a scenario.

    A spec has a :data:`SPEC_KEYS` key; a scenario file has ``firms`` or ``base``.
    """
    return any(k in data for k in SPEC_KEYS) and "firms" not in data and "base" not in data


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec TOML file (see the module docstring)."""
    path = Path(path)
    try:
        data = read_toml(path, "sweep spec")
    except ScenarioError as exc:
        raise SpecError(str(exc)) from None
    if "scenario" not in data and "parameters" not in data:
        raise SpecError(
            f"{path}: not a sweep spec (it names no scenario and no parameters; a scenario "
            "file runs with `aipm run`, a sweep spec is like scenarios/sweeps/example.toml)"
        )
    return parse_spec(data, path.parent)


def batch_run_spec(
    parameters: dict[str, Any],
    *,
    scenario: str | Path,
    iterations: int = 1,
    root_seed: int = 0,
    name: str = "batch_run",
) -> SweepSpec:
    """A grid sweep spec from ``mesa.batch_run``-style arguments.

    As in ``mesa.batch_run``, each value of ``parameters`` is either a list of
    values (varied: every combination is run) or a single value (held fixed);
    keys are dotted scenario paths. ``iterations`` becomes ``replicates``.

    Examples
    --------
    >>> spec = batch_run_spec(
    ...     {"demand.bass_q": [0.05, 0.1], "quarters": 8}, scenario="scenarios/baseline.toml"
    ... )
    >>> spec.design.value, dict(spec.fixed), spec.parameters["demand.bass_q"].levels
    ('grid', {'quarters': 8}, (0.05, 0.1))
    """
    varied, fixed = {}, {}
    for path, value in parameters.items():
        if isinstance(value, (list, tuple, set, range)):
            varied[path] = {"levels": list(value)}
        else:
            fixed[path] = value
    return parse_spec(
        {
            "name": name,
            "scenario": str(scenario),
            "design": "grid",
            "parameters": varied,
            "fixed": fixed,
            "replicates": iterations,
            "root_seed": root_seed,
        },
        Path.cwd(),
    )


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: resolved base scenario, design points and one row per run.

    Attributes
    ----------
    spec : SweepSpec
        The spec, with an absolute scenario path.
    base : Scenario
        Base scenario with ``spec.fixed`` applied.
    parameters : tuple of designs.Parameter
        The varied parameters, in spec order.
    design : pandas.DataFrame
        One row per design point: ``point_id``, the unit coordinates ``u.<path>``
        in ``[0, 1]`` (the sampler's output) and the parameter values ``<path>``.
    runs : pandas.DataFrame
        One row per run: ``run_id``, ``point_id``, ``replicate``, ``seed``.
    design_seed : int
        Seed of the sampler (lhs, sobol scrambling, morris), derived from ``root_seed``.
    """

    spec: SweepSpec
    base: Scenario
    parameters: tuple[Any, ...]
    design: pd.DataFrame
    runs: pd.DataFrame
    design_seed: int

    @property
    def n_runs(self) -> int:
        """Number of runs of the whole sweep."""
        return len(self.runs)

    @property
    def spec_hash(self) -> str:
        """Hash of everything that determines the results (not the executor)."""
        payload = {
            "spec": self.spec.model_dump(mode="json", exclude={"scenario", "chunk_size"}),
            "base": self.base.model_dump(mode="json"),
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_sweep(spec: SweepSpec) -> SweepPlan:
    """Validate ``spec`` against its base scenario and build the design and run table.

    Raises
    ------
    SpecError
        One line naming the field: unreadable base scenario, bad ``fixed`` override,
        unknown parameter path, bounds or levels the scenario does not allow.
    """
    from runs import designs

    try:
        scenario = load_scenario(spec.scenario)
    except ScenarioError as exc:
        raise SpecError(f"scenario: {exc}") from None
    try:
        base = apply_overrides(scenario, spec.fixed) if spec.fixed else scenario
    except ScenarioError as exc:
        raise SpecError(f"fixed: {exc}") from None
    params = tuple(_resolve_parameter(base, path, rng) for path, rng in spec.parameters.items())
    n_points = designs.design_size(spec, params)
    if n_points * spec.replicates > MAX_RUNS:
        raise SpecError(
            f"design: {n_points:,} points × {spec.replicates} replicates = "
            f"{n_points * spec.replicates:,} runs; at most {MAX_RUNS:,} runs per sweep "
            "(fewer levels, samples or replicates)"
        )
    design_seed = designs.design_seed(spec.root_seed)
    design = designs.design_points(spec, params, design_seed)
    runs = designs.run_table(
        len(design), spec.replicates, spec.root_seed, common=spec.common_random_numbers
    )
    return SweepPlan(spec, base, params, design, runs, design_seed)


def _resolve_parameter(base: Scenario, path: str, rng: ParameterRange) -> Any:
    """Check ``path`` exists and its bounds/levels are allowed; return a designs.Parameter."""
    from runs import designs

    where = f"parameters.{path}"
    try:
        current = lookup(base.model_dump(mode="python"), path)
    except KeyError as exc:
        why = path_problem(base.model_dump(mode="json"), path)
        raise SpecError(f"{where}: {why or f'unknown parameter ({exc.args[0]})'}") from None
    if isinstance(current, (dict, list, tuple)):
        raise SpecError(f"{where}: is a table, not a value")
    if rng.levels is not None:
        param = designs.Parameter(path, designs.Kind.LEVELS, levels=rng.levels)
    elif isinstance(current, bool) or not isinstance(current, (int, float)):
        raise SpecError(f"{where}: {type(current).__name__} parameter, give levels = [...]")
    elif isinstance(current, int):
        low, high = rng.low, rng.high
        if low != int(low) or high != int(high):
            raise SpecError(f"{where}: integer parameter, low and high must be whole numbers")
        param = designs.Parameter(path, designs.Kind.INT, low=int(low), high=int(high))
    else:
        param = designs.Parameter(path, designs.Kind.FLOAT, low=rng.low, high=rng.high)
    for value in param.extremes():
        try:
            apply_overrides(base, {path: value})
        except ScenarioError as exc:
            raise SpecError(f"{where}: {value!r} is not allowed: {exc}") from None
    return param


def lookup(data: Any, path: str) -> Any:
    """Value at a dotted path of a dumped scenario (firms by name, deals by index).

    Raises ``KeyError`` with the first part of the path that does not exist.
    """
    node = data
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, (list, tuple)):
            found = None
            if part.isdigit() and int(part) < len(node):
                found = node[int(part)]
            else:
                found = next(
                    (x for x in node if isinstance(x, dict) and x.get("name") == part), None
                )
            if found is None:
                raise KeyError(".".join(parts[: i + 1]))
            node = found
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(".".join(parts[: i + 1]))
    return node
