"""Running aipm: scenarios, single runs, sweeps and their analysis.

``runs.sweep(...)`` and ``runs.analyze(...)`` are the Python API of ``aipm sweep``
and ``aipm analyze``; they are imported on first use so ``import runs`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runs.analysis import analyze
    from runs.experiment import load_spec
    from runs.sweeping import sweep

__all__ = ["analyze", "load_spec", "sweep"]

_LAZY = {
    "sweep": ("runs.sweeping", "sweep"),
    "analyze": ("runs.analysis", "analyze"),
    "load_spec": ("runs.experiment", "load_spec"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'runs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
