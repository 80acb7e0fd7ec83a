"""Writing run outputs atomically: Parquet tables and ``params.json``.

A run directory is assembled in a temporary sibling directory and moved into place
with one rename, so an interrupted write never leaves a directory that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # reading a run (aipm report) must not import the whole model
    from runs.simulate import RunResult

__all__ = ["atomic_dir", "atomic_write_bytes", "git_commit", "package_version", "write_run"]


def package_version() -> str:
    """Installed version of aipm."""
    try:
        return version("aipm")
    except PackageNotFoundError:
        return "0+unknown"


def git_commit() -> str:
    """Commit of the source tree, or ``"unknown"`` outside a git checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename.

    The file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``target`` on success (else is removed)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a run directory is shared
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def run_metadata(result: RunResult, **extra: Any) -> dict[str, Any]:
    """Resolved parameters, seed, package version and git commit of a run."""
    return {
        "scenario": result.scenario.model_dump(mode="json"),
        "seed": result.seed,
        "quarters_run": int(result.system["quarter"].max() + 1) if len(result.system) else 0,
        "aipm_version": package_version(),
        "git_commit": git_commit(),
        **extra,
    }


def write_run(
    result: RunResult,
    out_dir: Path,
    *,
    extra_files: Callable[[Path], None] | None = None,
    **extra: Any,
) -> Path:
    """Write a run's tables: params, firms, system, deals and events.

    Files: ``params.json``, ``firms.parquet``, ``system.parquet``, ``deals.parquet``,
    ``events.parquet``, ``loops.parquet`` and ``summary.json`` (plus
    ``investors.parquet`` with snapshots).

    ``extra_files`` may add files (e.g. the report) into the temporary directory
    before it is moved into place.
    """
    with atomic_dir(Path(out_dir)) as tmp:
        (tmp / "params.json").write_text(
            json.dumps(run_metadata(result, **extra), indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        result.firms.to_parquet(tmp / "firms.parquet", index=False)
        result.system.to_parquet(tmp / "system.parquet", index=False)
        result.deals.to_parquet(tmp / "deals.parquet", index=False)
        result.events.to_parquet(tmp / "events.parquet", index=False)
        result.loops.to_parquet(tmp / "loops.parquet", index=False)
        if result.investors is not None:
            result.investors.to_parquet(tmp / "investors.parquet", index=False)
        (tmp / "summary.json").write_text(
            json.dumps(result.summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        if extra_files is not None:
            extra_files(tmp)
    return Path(out_dir)


def read_run(run_dir: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read back (params, firms, system, deals) of a run directory."""
    run_dir = Path(run_dir)
    params = json.loads((run_dir / "params.json").read_text(encoding="utf-8"))
    return (
        params,
        pd.read_parquet(run_dir / "firms.parquet"),
        pd.read_parquet(run_dir / "system.parquet"),
        pd.read_parquet(run_dir / "deals.parquet"),
    )
