"""Fault points for tests: kill or signal this process at a named point of its work.

``AIPM_FAULT=NAME`` (or ``NAME@N``: the N-th time) makes :func:`fault_point`
send SIGKILL to the calling process when it reaches the point ``NAME`` — the
same as ``kill -9`` at that moment, with no clean-up. ``NAME:TERM`` or
``NAME@N:INT`` sends SIGTERM or SIGINT instead, to this process only (as
``kill -TERM PID`` does): the command must stop at its next safe point. Without
the variable a fault point does nothing. The fault-injection tests use it to
stop ``aipm run`` and ``aipm sweep`` between the steps of a write, and ``aipm
run`` between two quarters (``run.quarter``; see ``tests/test_faults.py``).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["ENV", "fault_point"]

ENV = "AIPM_FAULT"
_passed: Counter[str] = Counter()
_SIGNALS = {
    "": signal.SIGKILL,
    "KILL": signal.SIGKILL,
    "TERM": signal.SIGTERM,
    "INT": signal.SIGINT,
}


def fault_point(name: str) -> None:
    """Kill or signal this process here if ``AIPM_FAULT`` names this point (module docstring)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    spec, _, signame = spec.partition(":")
    point, _, nth = spec.partition("@")
    if point != name:
        return
    if signame not in _SIGNALS:
        raise ValueError(f"{ENV}: unknown signal {signame!r} (allowed: KILL, TERM, INT)")
    _passed[name] += 1
    if _passed[name] == (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), _SIGNALS[signame])
