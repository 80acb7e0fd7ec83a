"""The firm side adds exact Python floats, so its sums are compensated and portable.

Python 3.12's built-in ``sum`` adds floats with Neumaier compensation, but only while
every item is an exact ``float`` (or ``int``): from the first ``numpy.float64`` on it
falls back to plain additions, and a compiled build of the same code (which sees a
C double either way) would round differently. The firm side therefore converts
numpy scalars with ``float()`` where they leave an array (``ownership``, clearing
ratios; ``backlogs()`` and ``lab_compute_gw`` are Python lists), and these tests
check that no numpy scalar reaches a module-level ``sum`` or a ledger posting in whole
runs.
"""

from __future__ import annotations

import builtins
import importlib
import pkgutil
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import agents
import world
from runs.scenario import apply_overrides, load_scenario
from runs.simulate import simulate
from world.ledger import Account, Ledger

ROOT = Path(__file__).resolve().parents[1]
EXACT = (float, int, bool)
_BUILTIN_SUM = re.compile(r"(^|[^.\w])sum\(", re.MULTILINE)


def _modules_calling_sum() -> list[Any]:
    """Modules of ``world`` and ``agents`` that call the built-in ``sum`` (not numba's)."""
    found = []
    for package in (world, agents):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            source = Path(module.__file__ or "").read_text()
            if "numba" not in source and _BUILTIN_SUM.search(source):
                found.append(module)
    return found


class InexactItem(AssertionError):
    """A numpy (or other non-exact) scalar reached a compensated sum or a posting."""


def _checked_sum(where: str):
    def checked(items: Iterable[Any], /, start: Any = 0) -> Any:
        items = list(items)
        for x in items:
            if type(x) not in EXACT:
                raise InexactItem(f"sum() in {where} got {type(x).__name__} {x!r}")
        return builtins.sum(items, start)

    return checked


@pytest.fixture
def exact_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch every module-level ``sum`` and the ledger's postings with exactness checks."""
    modules = _modules_calling_sum()
    for module in modules:
        monkeypatch.setattr(module, "sum", _checked_sum(module.__name__), raising=False)
    post, transfer = Ledger.post, Ledger.post_transfer

    def checked_post(self, memo, lines, cash_flow=None):
        lines = list(lines)
        for _, amount in lines:
            if type(amount) is not float:
                raise InexactItem(f"Ledger.post({memo!r}) got {type(amount).__name__}")
        return post(self, memo, lines, cash_flow)

    def checked_transfer(self, memo, debit, credit, amount, cash_flow=None):
        if type(amount) is not float:
            raise InexactItem(f"Ledger.post_transfer({memo!r}) got {type(amount).__name__}")
        return transfer(self, memo, debit, credit, amount, cash_flow)

    monkeypatch.setattr(Ledger, "post", checked_post)
    monkeypatch.setattr(Ledger, "post_transfer", checked_transfer)
    return [m.__name__ for m in modules]


def _scenario(name: str):
    path = ROOT / "scenarios" / f"{name}.toml"
    return apply_overrides(load_scenario(path), {"investors.n_investors": 1_000})


def test_the_checks_cover_the_modules_that_sum(exact_checks: list[str]) -> None:
    # the modules whose sums decide the books and the recorded paths
    for name in ("world.model", "world.contracts", "world.metrics", "agents.chip", "agents.cloud"):
        assert name in exact_checks


@pytest.mark.parametrize("name", ["baseline", "engine_stall", "optimistic"])
def test_no_numpy_scalar_reaches_a_sum_or_a_posting(exact_checks: list[str], name: str) -> None:
    scenario = _scenario(name)
    result = simulate(scenario, seed=3)
    # the run went through every quarter under the checks
    assert result.system["quarter"].nunique() == scenario.quarters


def test_the_check_catches_a_numpy_scalar(
    exact_checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import agents.chip as chip

    leaky = np.float64(1.0)
    # a ChipSupplier method that returned a numpy scalar into a sum would be caught
    with pytest.raises(InexactItem, match="float64"):
        chip.sum([0.5, leaky])  # type: ignore[attr-defined]
    with pytest.raises(InexactItem, match="post_transfer"):
        Ledger("x").post_transfer("t", Account.CASH, Account.PAID_IN_CAPITAL, leaky)  # type: ignore[arg-type]


def test_a_numpy_scalar_turns_compensated_summation_off() -> None:
    # why the checks exist: the same numbers, summed differently
    assert sum([0.1] * 10) == 1.0
    assert sum([0.1] * 9 + [np.float64(0.1)]) == 1.0  # numpy last: compensated until then
    assert sum([np.float64(0.1)] + [0.1] * 9) == 0.9999999999999999
