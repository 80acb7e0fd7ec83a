"""CLI commands for experiments: ``aipm sweep`` and ``aipm analyze``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the experiment commands to ``app``."""
