"""Fault points for tests: kill this process at a named point of a write.

``AIPM_FAULT=NAME`` (or ``NAME@N``: the N-th time) makes :func:`fault_point`
send SIGKILL to the calling process when it reaches the point ``NAME`` — the
same as ``kill -9`` at that moment, with no clean-up. Without the variable a
fault point does nothing. The fault-injection tests use it to stop ``aipm run``
and ``aipm sweep`` between the steps of a write (see ``tests/test_faults.py``).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["ENV", "fault_point"]

ENV = "AIPM_FAULT"
_passed: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Kill this process here if ``AIPM_FAULT`` names this point (see the module docstring)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, nth = spec.partition("@")
    if point != name:
        return
    _passed[name] += 1
    if _passed[name] >= (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)
