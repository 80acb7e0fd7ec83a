"""CLI commands for reports and the app: ``aipm report`` and ``aipm app``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the report and app commands to ``app``."""
