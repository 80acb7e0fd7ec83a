"""The on-disk layout of a sweep, written so that it can be resumed after any crash.

::

    DIR/
      params.json                    the spec, resolved base scenario, parameters, seeds,
                                     column dtypes, version, git commit, spec hash
      design.parquet                 one row per design point (point_id, u.<path>, <path>)
      runs/part-00000.parquet ...    one row per finished run (the runs table)
      paths/firms/part-00000.parquet per-quarter firm paths of those runs (run_id first)
      paths/system/part-00000.parquet per-quarter system paths (run_id first)
      summary.json                   counts, regimes, timing; "complete": true at the end

      .aipm-sweep.lock               held (flock) by the process writing the sweep

Every file is written to a hidden temporary file and renamed into place, so a kill
at any moment leaves a folder that ``--resume`` continues:

* ``params.json`` (the manifest) is written first: a folder with it is a sweep;
  a folder without it holds nothing but hidden leftovers and starts afresh;
* ``design.parquet`` follows; resuming a sweep without it writes it again (the
  design is a function of the spec, whose hash ``params.json`` records);
* a chunk writes its ``paths`` parts first and its ``runs`` part last: the
  ``runs`` part is the commit record, and the runs it lists are the finished
  runs. On resume, path parts without a runs part of the same number (a kill
  between the two writes) and temporary files are deleted, and only runs absent
  from ``runs/`` are run.

One process at a time writes a sweep folder: :func:`lock` takes an exclusive lock
on it, and a second process gets a one-line :class:`SweepError`; ``aipm run`` and
``aipm check-model`` never replace a folder whose lock is held. Before each write
the sweep checks that its folder is still the one it locked (:meth:`SweepLock.check`).
Readers (``pandas.read_parquet(DIR / "runs")``) ignore hidden files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from runs.faults import fault_point
from runs.output import atomic_write_bytes
from runs.owned import HIDDEN_TMP, LOCK_NAME, is_sweep_dir
from runs.readback import parquet_error, read_parquet

__all__ = [
    "LOCK_NAME",
    "SweepError",
    "SweepLock",
    "SweepStore",
    "is_sweep_dir",
    "lock",
    "visible_entries",
]

_PART = re.compile(r"^part-(\d{5,})\.parquet$")
PATH_TABLES = ("firms", "system")
_HIDDEN_TMP = re.compile(f"^{HIDDEN_TMP}$")


class SweepError(ValueError):
    """The output directory or executor cannot be used; the message is one line."""


def visible_entries(folder: Path) -> list[Path]:
    """Entries of ``folder`` other than the sweep lock and hidden temporary files."""
    return [
        p for p in Path(folder).iterdir() if p.name != LOCK_NAME and not _HIDDEN_TMP.match(p.name)
    ]


@dataclass(frozen=True)
class SweepLock:
    """The lock of a sweep folder, held by this process (what :func:`lock` yields)."""

    root: Path
    flag: str
    identity: tuple[int, int]
    """Device and inode of the lock file when it was taken."""

    def still_ours(self) -> bool:
        """Whether ``root`` still holds the lock file this process locked.

        False when the folder was moved or replaced meanwhile (say by a process that
        ignored the lock): writing there would mix this sweep into someone else's folder.
        """
        try:
            st = os.stat(self.root / LOCK_NAME)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.identity

    def check(self) -> None:
        """Raise :class:`SweepError` (one line) unless :meth:`still_ours`."""
        if not self.still_ours():
            raise SweepError(
                f"{self.flag}: {self.root} was moved or replaced while the sweep ran "
                "(it no longer holds this sweep's lock); stopped without writing there"
            )


@contextlib.contextmanager
def lock(root: Path, flag: str = "--out") -> Iterator[SweepLock]:
    """Hold the exclusive lock of the sweep folder ``root`` (created if missing).

    Yields a :class:`SweepLock`, to check before each write that ``root`` is still
    the folder locked.

    Raises
    ------
    SweepError
        At once (no waiting) if another process holds it, or if ``root`` cannot be created.
    """
    from filelock import FileLock, Timeout

    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SweepError(f"{flag}: cannot create {root} ({exc.strerror or exc})") from None
    file_lock = FileLock(root / LOCK_NAME)
    try:
        file_lock.acquire(timeout=0)
    except Timeout:
        raise SweepError(
            f"{flag}: {root} is in use by another aipm sweep; wait for it to finish "
            "(or stop it), then --resume"
        ) from None
    except OSError as exc:
        raise SweepError(f"{flag}: cannot lock {root} ({exc.strerror or exc})") from None
    try:
        st = os.stat(root / LOCK_NAME)
        yield SweepLock(root, flag, (st.st_dev, st.st_ino))
    finally:
        file_lock.release()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=False, default=str) + "\n").encode()


def _parts(folder: Path) -> dict[int, Path]:
    if not folder.is_dir():
        return {}
    out = {}
    for p in folder.iterdir():
        m = _PART.match(p.name)
        if m:
            out[int(m.group(1))] = p
    return out


class SweepStore:
    """Read and write one sweep directory (see the module docstring for the layout)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.paths_dir = self.root / "paths"
        self._next_part = 0

    # -- metadata -------------------------------------------------------------------
    def create(self, params: dict[str, Any], design: pd.DataFrame) -> None:
        """Write ``params.json`` (the manifest, which marks a sweep), then the design."""
        self.root.mkdir(parents=True, exist_ok=True)
        for tmp in self.root.glob(".*.tmp"):  # a fresh start after a killed one
            tmp.unlink(missing_ok=True)
        atomic_write_bytes(self.root / "params.json", _json_bytes(params))
        fault_point("sweep.after-manifest")
        self.ensure_design(design)

    def ensure_design(self, design: pd.DataFrame) -> None:
        """Write ``design.parquet`` and ``runs/`` unless present (a kill may have cut them)."""
        from runs.worker import to_parquet_bytes

        if not (self.root / "design.parquet").is_file():
            atomic_write_bytes(self.root / "design.parquet", to_parquet_bytes(design))
            fault_point("sweep.after-design")
        self.runs_dir.mkdir(exist_ok=True)

    def params(self) -> dict[str, Any]:
        """Contents of ``params.json``."""
        return json.loads((self.root / "params.json").read_text(encoding="utf-8"))

    def design(self) -> pd.DataFrame:
        """The design points."""
        return read_parquet(self.root / "design.parquet")

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Write ``summary.json`` atomically."""
        atomic_write_bytes(self.root / "summary.json", _json_bytes(summary))

    # -- runs -----------------------------------------------------------------------
    def recover(self) -> set[int]:
        """Clean up after a crash; return the ids of the runs already finished.

        Deletes hidden temporary files and path parts whose runs part is missing,
        and sets the next part number past every part seen.

        Raises
        ------
        SweepError
            If a runs part cannot be read or holds a run of another part (one line).
        """
        runs = _parts(self.runs_dir)
        done: set[int] = set()  # read first: a part that cannot be read changes nothing
        for path in runs.values():
            try:
                ids = pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist()
            except (OSError, ValueError, pa.ArrowException) as exc:
                raise SweepError(
                    f"{parquet_error(path, exc)}; move it out of the folder and --resume "
                    "runs its runs again"
                ) from None
            dup = done.intersection(ids)
            if dup:
                raise SweepError(
                    f"{path}: run {min(dup)} is already in another part "
                    "(the sweep folder was written by two processes at once; start it afresh)"
                )
            done.update(ids)
        seen = set(runs)
        for table in PATH_TABLES:
            folder = self.paths_dir / table
            for number, path in _parts(folder).items():
                seen.add(number)
                if number not in runs:
                    path.unlink()
        for folder in (self.root, self.runs_dir, *(self.paths_dir / t for t in PATH_TABLES)):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink()
        (self.root / "summary.json").unlink(missing_ok=True)
        self._next_part = max(seen, default=-1) + 1
        return done

    def write_chunk(self, runs: bytes, firms: bytes | None, system: bytes | None) -> Path:
        """Write one finished chunk: path parts first, then the runs part (the commit)."""
        number = self._next_part
        self._next_part += 1
        name = f"part-{number:05d}.parquet"
        for table, data in zip(PATH_TABLES, (firms, system), strict=True):
            if data is not None:
                atomic_write_bytes(self.paths_dir / table / name, data)
                fault_point("sweep.after-paths")
        target = self.runs_dir / name
        atomic_write_bytes(target, runs)
        fault_point("sweep.after-chunk")
        return target

    def read_runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The runs table (every finished run), sorted by ``run_id``.

        Raises
        ------
        SweepError
            If a run id appears more than once (a folder written by two processes).
        runs.readback.UnreadableFile
            If a part cannot be read (one line naming it).
        """
        if not _parts(self.runs_dir):
            from runs.worker import ID_COLUMNS

            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in ID_COLUMNS.items()})
        frame = read_parquet(self.runs_dir, columns=columns)
        if "run_id" not in frame:
            return frame
        self._check_unique(frame["run_id"])
        return frame.sort_values("run_id", ignore_index=True)

    def check_unique(self) -> None:
        """Raise :class:`SweepError` if a run id appears in the runs table more than once."""
        if _parts(self.runs_dir):
            self._check_unique(read_parquet(self.runs_dir, columns=["run_id"])["run_id"])

    def _check_unique(self, run_ids: pd.Series) -> None:
        counts = run_ids.value_counts()
        dup = counts[counts > 1]
        if len(dup):
            raise SweepError(
                f"{self.runs_dir}: {len(dup)} run ids appear more than once (e.g. run "
                f"{int(dup.index.min())}, {int(dup.max())} times); the runs table is corrupt"
            )

    def read_paths(self, table: str, run_ids: list[int] | None = None) -> pd.DataFrame:
        """Per-quarter ``firms`` or ``system`` paths, optionally of some runs only."""
        if table not in PATH_TABLES:
            raise ValueError(f"table must be one of {PATH_TABLES}, got {table!r}")
        folder = self.paths_dir / table
        if not _parts(folder):
            raise FileNotFoundError(f"{folder}: no paths stored (run the sweep with --paths)")
        filters = [("run_id", "in", list(run_ids))] if run_ids is not None else None
        return read_parquet(folder, filters=filters)
