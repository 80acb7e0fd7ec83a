"""Run report (placeholder until the report module lands): a one-page dashboard PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def build_report(run_dir: Path) -> Path:
    """Draw the three gauges of a run directory into ``dashboard.png``."""
    run_dir = Path(run_dir)
    system = pd.read_parquet(run_dir / "system.parquet")
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, col, title in zip(
        axes,
        ("engine_user_growth", "gears_capex_to_revenue", "fuel_compute_efficiency"),
        ("engine", "gears", "fuel"),
        strict=True,
    ):
        ax.plot(system["quarter"], system[col])
        ax.set_title(title)
    path = run_dir / "dashboard.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
