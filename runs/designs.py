"""Design points and seeds of a sweep.

Every design works in the unit cube: a sampler draws coordinates ``u`` in
``[0, 1]^d`` and :meth:`Parameter.values` maps them to parameter values
(continuous: ``low + u (high - low)``; integers and ``levels``: ``u`` cut into
equal bins, one per value, so each value is equally likely). Samplers:

* ``grid`` — full factorial over each parameter's levels (``levels`` evenly spaced
  values for a low/high range);
* ``lhs`` — :class:`scipy.stats.qmc.LatinHypercube`;
* ``sobol`` — :func:`SALib.sample.sobol.sample` (Saltelli's scheme, scrambled);
* ``morris`` — :func:`SALib.sample.morris.sample`.

Seeds (see ``docs/explanation/seeding.md``): run ``k`` gets child ``k`` of
``numpy.random.SeedSequence(root_seed).spawn(n_runs)``, turned into one 63-bit
integer, so ``aipm run SCENARIO --seed SEED`` reproduces any run of a sweep.
The sampler's own randomness comes from a separate stream,
``SeedSequence([root_seed, DESIGN_STREAM])``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from runs.experiment import SweepSpec

__all__ = [
    "DESIGN_STREAM",
    "Kind",
    "Parameter",
    "design_points",
    "design_seed",
    "design_size",
    "run_seeds",
    "run_table",
]

DESIGN_STREAM = 0x5EED_DE51
"""Second entropy word of the sampler's seed sequence (keeps it apart from run seeds)."""

GRID_LEVELS = 3
MORRIS_LEVELS = 4


class Kind(StrEnum):
    """How a parameter maps unit coordinates to values."""

    FLOAT = "float"
    INT = "int"
    LEVELS = "levels"


@dataclass(frozen=True)
class Parameter:
    """One varied parameter of a sweep (a dotted scenario path)."""

    path: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] | None = None

    def n_values(self) -> int | None:
        """Number of distinct values (``None``: continuous)."""
        if self.kind is Kind.LEVELS:
            return len(self.levels)
        if self.kind is Kind.INT:
            return int(self.high) - int(self.low) + 1
        return None

    def _value(self, index: int) -> Any:
        """The ``index``-th of the :meth:`n_values` values (levels, or low, low + 1, ...)."""
        return self.levels[index] if self.kind is Kind.LEVELS else int(self.low) + index

    def extremes(self) -> tuple[Any, ...]:
        """Values to validate against the scenario: both bounds, or every level."""
        if self.kind is Kind.LEVELS:
            return tuple(self.levels)
        return (self.low, self.high)

    def values(self, u: np.ndarray) -> list[Any]:
        """Map unit coordinates ``u`` (in ``[0, 1]``) to parameter values."""
        u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        n = self.n_values()
        if n is None:
            x = np.clip(self.low + u * (self.high - self.low), self.low, self.high)
            return [float(v) for v in x]
        idx = np.minimum(np.floor(u * n), n - 1).astype(np.int64)
        return [self._value(int(i)) for i in idx]

    def grid(self, n_levels: int) -> np.ndarray:
        """Unit coordinates of this parameter's grid levels (bin centres for discrete ones)."""
        n = self.n_values()
        if n is None:
            return np.linspace(0.0, 1.0, n_levels)
        if self.kind is Kind.INT and n > n_levels:
            # an integer range wider than the grid: n_levels evenly spaced integers
            picks = np.unique(np.rint(np.linspace(0, n - 1, n_levels)).astype(np.int64))
            return (picks + 0.5) / n
        return (np.arange(n) + 0.5) / n

    def dtype(self) -> str:
        """Pandas dtype of this parameter's column in the runs table."""
        if self.kind is Kind.FLOAT:
            return "float64"
        if self.kind is Kind.INT:
            return "int64"
        kinds = {type(x) for x in self.levels}
        if kinds == {bool}:
            return "bool"
        if kinds <= {int}:
            return "int64"
        if kinds <= {int, float}:
            return "float64"
        return "string"

    def to_json(self) -> dict[str, Any]:
        """Description for ``params.json``."""
        out: dict[str, Any] = {"path": self.path, "kind": self.kind.value, "dtype": self.dtype()}
        if self.kind is Kind.LEVELS:
            out["levels"] = list(self.levels)
        else:
            out["low"], out["high"] = self.low, self.high
        return out


def design_seed(root_seed: int) -> int:
    """Seed of the design sampler, derived from ``root_seed`` (independent of run seeds)."""
    state = np.random.SeedSequence([root_seed, DESIGN_STREAM]).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def design_size(spec: SweepSpec, params: tuple[Parameter, ...]) -> int:
    """Number of design points ``spec`` asks for, computed without sampling them."""
    from runs.experiment import Design

    d = len(params)
    if spec.design is Design.GRID:
        n_levels = spec.levels or GRID_LEVELS
        return math.prod(len(p.grid(n_levels)) for p in params)
    if spec.design is Design.LHS:
        return spec.samples
    if spec.design is Design.SOBOL:
        return spec.samples * (2 * d + 2 if spec.second_order else d + 2)
    return spec.samples * (d + 1)


def unit_design(spec: SweepSpec, params: tuple[Parameter, ...], seed: int) -> np.ndarray:
    """Unit-cube coordinates of the design points, shape ``(points, parameters)``."""
    from runs.experiment import Design

    d = len(params)
    if spec.design is Design.GRID:
        n_levels = spec.levels or GRID_LEVELS
        axes = [p.grid(n_levels) for p in params]
        return np.array(list(itertools.product(*axes)), dtype=np.float64).reshape(-1, d)
    if spec.design is Design.LHS:
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(spec.samples)
    problem = {"num_vars": d, "names": [p.path for p in params], "bounds": [[0.0, 1.0]] * d}
    if spec.design is Design.SOBOL:
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, spec.samples, num_levels=spec.levels or MORRIS_LEVELS, seed=seed)


def design_points(spec: SweepSpec, params: tuple[Parameter, ...], seed: int) -> pd.DataFrame:
    """One row per design point: ``point_id``, ``u.<path>`` coordinates and ``<path>`` values."""
    u = unit_design(spec, params, seed)
    cols: dict[str, Any] = {"point_id": np.arange(len(u), dtype=np.int64)}
    for j, p in enumerate(params):
        cols[f"u.{p.path}"] = u[:, j]
    for j, p in enumerate(params):
        cols[p.path] = pd.array(p.values(u[:, j]), dtype=p.dtype())
    return pd.DataFrame(cols)


def run_seeds(n: int, root_seed: int) -> np.ndarray:
    """``n`` 63-bit integer seeds: child ``k`` of ``SeedSequence(root_seed).spawn(n)``."""
    children = np.random.SeedSequence(root_seed).spawn(n)
    words = [c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1) for c in children]
    return np.array(words, dtype=np.uint64).astype(np.int64)


def run_table(n_points: int, replicates: int, root_seed: int, *, common: bool) -> pd.DataFrame:
    """One row per run: ``run_id = point_id * replicates + replicate`` and its ``seed``.

    With ``common`` (common random numbers) replicate ``r`` of every point uses
    seed ``r``; otherwise every run has its own seed.
    """
    n = n_points * replicates
    run_id = np.arange(n, dtype=np.int64)
    replicate = run_id % replicates
    seeds = run_seeds(replicates, root_seed)[replicate] if common else run_seeds(n, root_seed)
    return pd.DataFrame(
        {
            "run_id": run_id,
            "point_id": run_id // replicates,
            "replicate": replicate,
            "seed": seeds,
        }
    )
