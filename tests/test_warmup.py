"""The set-up warm-up (``python -m runs.warmup``) calls every kernel a run needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numba

import world.fundamentals
import world.rounds
import world.trading

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, numba
from runs.warmup import warm_up
import world.fundamentals, world.rounds, world.trading
warm_up()
print(json.dumps({
    f"{mod.__name__}.{name}": len(obj.signatures)
    for mod in (world.trading, world.rounds, world.fundamentals)
    for name, obj in vars(mod).items()
    if isinstance(obj, numba.core.registry.CPUDispatcher)
}))
"""


def _dispatchers() -> set[str]:
    return {
        f"{mod.__name__}.{name}"
        for mod in (world.trading, world.rounds, world.fundamentals)
        for name, obj in vars(mod).items()
        if isinstance(obj, numba.core.registry.CPUDispatcher)
    }


def test_warm_up_compiles_the_kernels_a_run_calls() -> None:
    """In a fresh process, the warm-up leaves the run's entry kernels compiled (or loaded)."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    signatures = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(signatures) == _dispatchers()
    for entry in (
        "world.trading.trade_quarter_kernel",  # every quarter's trading
        "world.rounds.primary_round_into",  # a private lab's funding round, in one call
        "world.rounds.secondary_quote_into",  # a private lab's mark between rounds
        "world.fundamentals._fade_multiples",  # every firm's value, every quarter
        "world.fundamentals._lab_value",  # a lab's prospects, every quarter
    ):
        assert signatures[entry] >= 1, entry
