"""What aipm writes in its output folders, and what in a folder is someone else's.

A folder's ``params.json`` tells which kind of output it is (:class:`OutputKind`:
:func:`is_run_dir`, :func:`is_sweep_dir`, :func:`is_check_model_dir`;
:func:`is_aipm_output` for any of them).

Replacing an output folder deletes everything in it. Before aipm replaces one it
lists, with :func:`foreign_entries`, every entry that its writers did not put there
— a ``notes.txt`` beside a run's tables, an ``analysis/my_notes.md`` in a run
folder, a ``figures/mine.png`` — by walking the folder against the :class:`Layout`
of its kind (:data:`RUN_LAYOUT`, :data:`SWEEP_LAYOUT`, :data:`CHECK_MODEL_LAYOUT`).
A name is aipm's only where aipm writes it: ``analysis/`` belongs in a sweep folder,
not in a run folder.

:func:`sweep_locks` tells whether a sweep is writing into a folder (or into a folder
directly in it, such as check-model's ``sobol_sweep``): a running sweep holds an
exclusive ``flock`` on its ``.aipm-sweep.lock`` (:func:`runs.sweepstore.lock`).

Imports nothing heavy: ``aipm run`` checks its output folder before it imports pandas.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

__all__ = [
    "CHECK_MODEL_KIND",
    "CHECK_MODEL_FILES",
    "CHECK_MODEL_LAYOUT",
    "HIDDEN_TMP",
    "LOCK_NAME",
    "OUTPUT_MARKS",
    "OUTPUT_NAMES",
    "REGIME_NAMES",
    "RUN_FIGURE_STEMS",
    "RUN_FILES",
    "RUN_KIND",
    "RUN_LAYOUT",
    "SOBOL_SWEEP",
    "SWEEP_KIND",
    "SWEEP_FILES",
    "SWEEP_LAYOUT",
    "Layout",
    "OutputKind",
    "SweepInUse",
    "foreign_entries",
    "is_aipm_output",
    "is_check_model_dir",
    "is_run_dir",
    "is_sweep_dir",
    "sweep_locks",
]

RUN_KIND = "aipm-run"
"""``kind`` in a run folder's ``params.json`` (a sweep folder's is ``aipm-sweep``)."""
SWEEP_KIND = "aipm-sweep"
"""``kind`` in a sweep folder's ``params.json``."""
CHECK_MODEL_KIND = "aipm-check-model"
"""``kind`` in the ``params.json`` of ``aipm check-model``'s output folder."""
LOCK_NAME = ".aipm-sweep.lock"
"""The lock file a running sweep holds in its folder (:func:`runs.sweepstore.lock`)."""
SOBOL_SWEEP = "sobol_sweep"
"""The full validation suite's resumable Sobol sweep in ``check-model``'s output folder."""

#: Hidden temporary files of aipm's atomic writes (``.NAME.XXXXXXXX.tmp``,
#: :func:`runs.output.atomic_write_bytes`) that a killed writer leaves behind.
HIDDEN_TMP = r"\..+\.tmp"


@dataclass(frozen=True)
class Layout:
    """The entries aipm writes in one folder.

    Attributes
    ----------
    files
        Regular expression a file's name matches in full (a symbolic link counts as
        a file: deleting it leaves what it points to alone).
    folders
        Sub-folders aipm writes, each with its own layout.
    kept
        Entries aipm keeps whatever they hold (they are moved, never deleted).
    """

    files: str
    folders: Mapping[str, Layout] = field(default_factory=dict)
    kept: frozenset[str] = frozenset()

    def allows_file(self, name: str) -> bool:
        """Whether aipm writes a file called ``name`` here (or a killed write left it)."""
        return re.fullmatch(f"(?:{self.files})|{HIDDEN_TMP}", name) is not None


def _names(*names: str) -> str:
    return "|".join(re.escape(n) for n in names)


#: File stems of a run report's figures (``runs.report.RUN_FIGURES``), and of earlier
#: reports' (``minsky``, ``defaults``): a run folder written by an older aipm is aipm's too.
RUN_FIGURE_STEMS = frozenset(
    {
        "gauges",
        "funding",
        "round_trip",
        "network",
        "valuations",
        "buildout",
        "balance",
        "stress",
        "markets",
        "minsky",
        "defaults",
    }
)

#: The files at the top of a run folder: :func:`runs.output.write_tables` and the report.
RUN_FILES = (
    "params.json",
    "summary.json",
    "firms.parquet",
    "accounts.parquet",
    "system.parquet",
    "deals.parquet",
    "events.parquet",
    "loops.parquet",
    "investors.parquet",
    "report.html",
    "dashboard.png",
)

#: A run folder: :func:`runs.output.write_tables` and the report of :mod:`runs.report`.
RUN_LAYOUT = Layout(
    _names(*RUN_FILES),
    {"figures": Layout(rf"(?:{_names(*sorted(RUN_FIGURE_STEMS))})\.png")},
)

_PARTS = Layout(r"part-\d{5,}\.parquet")

#: The regime labels (``world.regimes.Regime``, not imported here: it imports numpy), which
#: name a sweep's PRIM tables and figures (``analysis/prim_boom.csv``, ``report/prim_boom.png``).
REGIME_NAMES = ("boom", "soft_landing", "crash_recovered", "bust", "cascade")
#: ``prim``, as an older ``aipm analyze`` named its table, or ``prim_<regime>``.
_PRIM = rf"prim(?:_(?:{_names(*REGIME_NAMES)}))?"

#: A sweep folder: :mod:`runs.sweepstore`, ``aipm analyze`` (``analysis/``) and
#: ``aipm report`` of a sweep (``report.html``, ``report/``).
SWEEP_FILES = ("params.json", "design.parquet", "summary.json", "report.html", LOCK_NAME)
SWEEP_LAYOUT = Layout(
    _names(*SWEEP_FILES),
    {
        "runs": _PARTS,
        "paths": Layout("(?!)", {"firms": _PARTS, "system": _PARTS}),
        "analysis": Layout(
            rf"(?:regimes|seed_noise|sobol|sobol_second_order|morris|{_PRIM})\.(?:csv|parquet)"
            r"|notes\.json"
        ),
        "report": Layout(
            r"(?:fan_charts|regimes|regimes_by_parameter|regime_map|heatmap|sobol"
            rf"|sobol_overview|morris|morris_overview|{_PRIM})\.png"
        ),
    },
)

#: What ``aipm check-model --out`` writes (:func:`runs.validation.page.write_outputs`);
#: its ``sobol_sweep`` (the full suite's resumable Sobol sweep) is kept across runs.
CHECK_MODEL_FILES = (
    "params.json",
    "runs.parquet",
    "checks.parquet",
    "anchors.parquet",
    "out_of_sample.parquet",
    "sobol.parquet",
    "seed_noise.parquet",
    "checks.md",
)
CHECK_MODEL_LAYOUT = Layout(
    _names(*CHECK_MODEL_FILES),
    {"figures": Layout(r"(?:claims|sizes|regimes|regime_map|regime_paths|sobol)\.png")},
    kept=frozenset({SOBOL_SWEEP}),
)


def foreign_entries(folder: Path, layout: Layout) -> list[str]:
    """Files of ``folder`` that aipm does not write there, as paths relative to it, sorted.

    In a folder aipm does not write, every file is listed (``analysis/my_notes.md``;
    an empty one as ``analysis/``), links not followed. An entry whose type is not
    the one aipm writes (a folder called ``report.html``) is foreign too.

    Raises
    ------
    OSError
        If a folder cannot be read.
    """
    found: list[str] = []
    _walk(Path(folder), layout, "", found)
    return sorted(found)


def _walk(folder: Path, layout: Layout | None, prefix: str, found: list[str]) -> None:
    """Add the foreign entries of ``folder`` (all of them if ``layout`` is None) to ``found``."""
    before = len(found)
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if layout is not None and name in layout.kept:
                continue
            if is_dir:
                inner = layout.folders.get(name) if layout is not None else None
                _walk(Path(entry.path), inner, f"{prefix}{name}/", found)
            elif layout is None or not layout.allows_file(name):
                found.append(prefix + name)
    if layout is None and len(found) == before:  # an empty foreign folder
        found.append(prefix)


def _params(path: Path) -> dict[str, Any] | None:
    """The folder's ``params.json`` as a mapping; ``None`` if missing or not a JSON object."""
    try:
        meta = json.loads((Path(path) / "params.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` is a run folder written by aipm (its ``params.json`` says so).

    Run folders written before ``kind`` was recorded are recognised by their
    ``scenario``, ``seed`` and ``aipm_version`` entries.
    """
    meta = _params(path)
    if meta is None:
        return False
    if "kind" in meta:
        return meta["kind"] == RUN_KIND
    return {"scenario", "seed", "aipm_version"} <= meta.keys()


def is_check_model_dir(path: Path) -> bool:
    """Whether ``path`` is an output folder of ``aipm check-model``.

    Its ``params.json`` says so (``"kind": "aipm-check-model"``); a folder written
    before that file was (no ``params.json``) is recognised by its ``checks.parquet``,
    and one that holds nothing but ``sobol_sweep`` is a full suite's that stopped
    during its Sobol sweep.
    """
    path = Path(path)
    if os.path.lexists(path / "params.json"):
        meta = _params(path)
        return meta is not None and meta.get("kind") == CHECK_MODEL_KIND
    try:
        names = {n for n in os.listdir(path) if not re.fullmatch(HIDDEN_TMP, n)}
    except OSError:
        return False
    return (path / "checks.parquet").is_file() or names == {SOBOL_SWEEP}


def is_sweep_dir(path: Path) -> bool:
    """Whether ``path`` holds a sweep (its ``params.json`` names a sweep)."""
    meta = _params(path)
    return meta is not None and meta.get("kind") == SWEEP_KIND


class OutputKind(Enum):
    """The kinds of output folder aipm replaces whole, each with what it writes there."""

    RUN = "run"
    CHECK_MODEL = "check-model"
    SWEEP = "sweep"

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is an earlier output of this kind."""
        return _KINDS[self].owns(path)

    @property
    def layout(self) -> Layout:
        """What aipm writes in a folder of this kind (see :mod:`runs.owned`)."""
        return _KINDS[self].layout

    @property
    def label(self) -> str:
        """How an error names an earlier output of this kind."""
        return _KINDS[self].label

    @property
    def folder(self) -> str:
        """How an error names a folder of this kind."""
        return _KINDS[self].folder


@dataclass(frozen=True)
class _Kind:
    """What :class:`OutputKind` knows of one kind: its test, files, layout and names."""

    owns: Callable[[Path], bool]
    files: tuple[str, ...]
    layout: Layout
    label: str
    folder: str


_KINDS = {
    OutputKind.RUN: _Kind(is_run_dir, RUN_FILES, RUN_LAYOUT, "run", "an aipm run folder"),
    OutputKind.CHECK_MODEL: _Kind(
        is_check_model_dir,
        CHECK_MODEL_FILES,
        CHECK_MODEL_LAYOUT,
        "check-model output",
        "an earlier aipm check-model output",
    ),
    OutputKind.SWEEP: _Kind(
        is_sweep_dir, SWEEP_FILES, SWEEP_LAYOUT, "sweep", "an aipm sweep folder"
    ),
}

#: Every name aipm writes at the top of an output folder (to list, in an error, what
#: a folder holds that is not aipm's): each kind's files, folders and kept entries.
OUTPUT_NAMES = frozenset(
    name
    for kind in _KINDS.values()
    for name in (*kind.files, *kind.layout.folders, *kind.layout.kept)
)
#: Files only aipm writes: an output whose ``params.json`` is lost still has them.
OUTPUT_MARKS = ("firms.parquet", "system.parquet", "design.parquet", LOCK_NAME)


def is_aipm_output(path: Path) -> bool:
    """Whether ``path`` looks like an earlier aipm output (a run, sweep or check-model folder).

    Its ``params.json`` names an aipm kind (``aipm-run``, ``aipm-sweep``,
    ``aipm-check-model``) or is a run's from before ``kind`` was recorded, or it holds
    a file only aipm writes (a run's ``firms.parquet`` or ``system.parquet``, a
    sweep's ``design.parquet`` or lock).
    """
    path = Path(path)
    if is_run_dir(path):
        return True
    meta = _params(path)
    if meta is not None and str(meta.get("kind", "")).startswith("aipm-"):
        return True
    return any(os.path.lexists(path / name) for name in OUTPUT_MARKS)


class SweepInUse(Exception):
    """A sweep is writing into the folder: ``args[0]`` is the folder it writes."""


def _lock_files(folder: Path) -> list[Path]:
    """``.aipm-sweep.lock`` of ``folder`` and of each folder directly in it (no links)."""
    folder = Path(folder)
    found = [folder / LOCK_NAME] if os.path.lexists(folder / LOCK_NAME) else []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                lock = Path(entry.path) / LOCK_NAME
                if os.path.lexists(lock):
                    found.append(lock)
    return sorted(found)


@contextlib.contextmanager
def sweep_locks(folder: Path) -> Iterator[None]:
    """Hold, without waiting, the lock of every sweep in ``folder`` (itself or directly in it).

    While they are held no sweep can start writing there, so the folder can be
    replaced safely; on leaving, they are released.

    Raises
    ------
    SweepInUse
        If a running sweep holds one of them (nothing is held then).
    OSError
        If a lock file cannot be opened or locked for another reason.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: sweeps lock with another mechanism; cannot tell
        yield
        return
    fds: list[int] = []
    try:
        for lock in _lock_files(folder):
            fd = os.open(lock, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            fds.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SweepInUse(lock.parent) from None
        yield
    finally:
        for fd in fds:
            os.close(fd)  # closing releases the lock
