"""Compile the model's numba kernels into their on-disk cache, once, at set-up.

Every kernel is compiled with ``cache=True``: the first process that calls it
compiles it (tens of seconds for the trading kernel) and writes numba's cache
beside the sources (or under ``NUMBA_CACHE_DIR``); later processes load it in a
fraction of a second. ``make``'s set-up step runs this module right after
installing, so that a fresh clone's first ``aipm run``, test or app session does
not pay the compile. It runs the baseline scenario with a small investor
population, which calls every kernel with the argument types a run uses (a
population's size does not change the types; a scenario with another number of
listed firms compiles its own trading kernel on first use)::

    python -m runs.warmup
"""

from __future__ import annotations

import time
from pathlib import Path

WARMUP_INVESTORS = 1_000
"""Population of the warm-up run: big enough for funding rounds, small enough to be quick."""


def warm_up(scenario: Path | None = None) -> float:
    """Run ``scenario`` (default: the shipped baseline) once; return the seconds it took."""
    from runs.scenario import apply_overrides, load_scenario
    from runs.simulate import simulate

    path = scenario or Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
    start = time.perf_counter()
    base = load_scenario(path)
    simulate(apply_overrides(base, {"investors.n_investors": WARMUP_INVESTORS}), 0, firm_rows=False)
    return time.perf_counter() - start


def main() -> None:
    """Compile (or load) the kernels and say how long it took."""
    print(f"numba kernels compiled or loaded from the cache in {warm_up():.1f} s")


if __name__ == "__main__":
    main()
