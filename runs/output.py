"""Writing run outputs safely: Parquet tables and ``params.json`` in a run folder.

A run folder is assembled in a hidden temporary sibling (``.NAME.PID-XXXXXXXX.tmp``)
and moved into place with renames, so an interrupted write never leaves a folder
that looks complete, and a kill at any moment leaves either the previous complete
run or the new one:

1. :func:`open_output` checks the target *before* the simulation (a missing or
   empty folder, or an earlier output of the same kind — a run folder, recognised by
   its ``params.json`` — holding only what aipm writes there, or, with ``force``,
   another earlier aipm output; never a folder a running sweep writes to, nor one
   holding an input file, a ``.git`` entry, the home or current folder: see
   :func:`check_replaceable`), recovers what a killed write left behind
   (see :func:`recover`) and creates the temporary folder (proving it can write);
2. the output is written into :attr:`OutputSlot.tmp`;
3. :meth:`OutputSlot.commit` renames the previous output to ``.NAME.old``, the
   temporary folder to ``NAME``, then deletes ``.NAME.old``.

``aipm run`` writes run folders (:attr:`OutputKind.RUN`), ``aipm check-model`` its
output folder (:attr:`OutputKind.CHECK_MODEL`) this way.

A kill between the two renames leaves ``.NAME.old`` and no ``NAME``: the next
:func:`open_output` (or :func:`recover`) restores it. Recovery and renames hold an
exclusive lock on the parent folder, so two runs writing there do not interleave.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runs.faults import fault_point
from runs.owned import (  # what a folder is: re-exported, aipm's API since before runs.owned
    CHECK_MODEL_KIND,
    LOCK_NAME,
    OUTPUT_NAMES,
    RUN_KIND,
    OutputKind,
    SweepInUse,
    foreign_entries,
    is_aipm_output,
    is_check_model_dir,
    is_run_dir,
    sweep_locks,
)

if TYPE_CHECKING:  # reading a run (aipm report) must not import the whole model
    import pandas as pd

    from runs.simulate import RunResult

__all__ = [
    "CHECK_MODEL_KIND",
    "RUN_KIND",
    "OutputError",
    "OutputKind",
    "OutputSlot",
    "atomic_write_bytes",
    "check_replaceable",
    "git_commit",
    "is_aipm_output",
    "is_check_model_dir",
    "is_run_dir",
    "open_output",
    "package_version",
    "recover",
    "write_run",
]


class OutputError(ValueError):
    """An output folder cannot be used; the message is one line."""


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


# -- what a folder is -----------------------------------------------------------------
def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _real(path: Path) -> Path:
    """``path`` absolute, with every symbolic link resolved (as far as it exists)."""
    return Path(os.path.realpath(path))


def _entry_list(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


@contextlib.contextmanager
def _no_sweep_writing(target: Path, flag: str) -> Iterator[None]:
    """Hold the locks of the sweeps in ``target`` (:func:`runs.owned.sweep_locks`).

    Raises
    ------
    OutputError
        If a running sweep writes there, or its lock cannot be checked (errors of
        the ``with`` body pass unchanged).
    """
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(sweep_locks(target))
        except SweepInUse as exc:
            raise OutputError(
                f"{flag}: {exc.args[0]} is in use by a running aipm sweep ({LOCK_NAME} is "
                "held); wait for it to finish, or stop it"
            ) from None
        except OSError as exc:
            raise OutputError(
                f"{flag}: cannot check whether a sweep is writing to {target} "
                f"({exc.strerror or exc})"
            ) from None
        yield


def check_replaceable(
    target: Path,
    *,
    force: bool = False,
    inputs: tuple[Path, ...] = (),
    flag: str = "--out",
    kind: OutputKind = OutputKind.RUN,
) -> None:
    """Refuse a ``target`` folder whose replacement could delete what is not aipm's own.

    Every command that replaces (deletes) an output folder checks it here first.
    Whatever ``force`` says, ``target`` (symbolic links resolved) must not be or
    contain the filesystem root, the user's home folder, the current folder, any of
    ``inputs`` (the command's input files) or a ``.git`` entry, and no running sweep
    may hold its lock in ``target`` or in a folder directly in it. An existing folder
    must then be empty or an earlier output of ``kind`` (:meth:`OutputKind.owns`)
    holding only what aipm writes there (:func:`runs.owned.foreign_entries`: a
    run's ``analysis/`` or ``figures/mine.png`` is the user's); with ``force``, any
    earlier aipm output (:func:`is_aipm_output`), whatever else it holds.

    Raises
    ------
    OutputError
        One line naming ``flag``: what the folder holds that must not be deleted.
    """
    target = Path(target)
    real = _real(target)
    if real == Path(real.anchor):
        raise OutputError(f"{flag}: {target} is the filesystem root")
    with contextlib.suppress(OSError):
        if _within(_real(Path.cwd()), real):
            raise OutputError(f"{flag}: {target} is the current folder or contains it")
    with contextlib.suppress(OSError, RuntimeError, KeyError):  # no home folder known
        if _within(_real(Path.home()), real):
            raise OutputError(f"{flag}: {target} is your home folder or contains it")
    for given in inputs:
        given = Path(given)  # the file, and the folder entry naming it (if a link)
        for where in {_real(given), _real(given.parent) / given.name}:
            if _within(where, real):
                raise OutputError(
                    f"{flag}: {target} holds the input file {given}; give another folder"
                )
    if ".git" in real.parts or os.path.lexists(real / ".git"):
        raise OutputError(
            f"{flag}: {target} is or holds a .git entry (a git repository); give another folder"
        )
    if not target.is_dir():
        return
    try:
        names = sorted(os.listdir(target))
    except OSError as exc:
        raise OutputError(f"{flag}: cannot read {target} ({exc.strerror})") from None
    if not names:
        return
    with _no_sweep_writing(target, flag):  # refused at once while a sweep writes there
        pass
    retry = ", or --force to replace them too" if kind is OutputKind.RUN else ""
    if kind.owns(target):  # replaced whole: unless --force, only if it holds aipm's files only
        try:
            added = foreign_entries(target, kind.layout)
        except OSError as exc:
            raise OutputError(f"{flag}: cannot read {target} ({exc.strerror or exc})") from None
        if added and not force:
            raise OutputError(
                f"{flag}: {target} is an earlier {kind.label} that also holds "
                f"{_entry_list(added)}, which replacing it would delete; move them{retry}"
            )
        return
    aipm = is_aipm_output(target)
    if force and aipm:
        return
    theirs = [n for n in names if n not in OUTPUT_NAMES] or names
    if aipm:
        raise OutputError(
            f"{flag}: {target} is not {kind.folder} (it holds another aipm output); "
            "give a new or empty folder" + (", or --force to replace it" if retry else "")
        )
    if force:
        raise OutputError(
            f"{flag}: {target} is not an aipm output folder (it holds {_entry_list(theirs)}); "
            "--force only replaces an earlier aipm run or sweep folder"
        )
    raise OutputError(
        f"{flag}: {target} is not empty and is not {kind.folder} "
        f"(it holds {_entry_list(theirs)}); give a new or empty folder"
    )


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _leftovers(target: Path) -> Iterator[tuple[Path, int | None]]:
    """Temporary folders of ``target`` in its parent, with the writer's process id."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(?:(\d+)-)?[A-Za-z0-9_]{{8}}\.tmp$")
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            m = pattern.match(entry.name)
            if m and entry.is_dir() and not entry.is_symlink():
                yield entry, int(m.group(1)) if m.group(1) else None


def _old(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def recover(target: Path) -> list[str]:
    """Clean up after a killed write of ``target``; return one line per action taken.

    * ``.NAME.old`` without ``NAME`` (killed between the two renames): restored;
    * ``.NAME.old`` beside ``NAME`` (killed before deleting it): removed;
    * ``.NAME.PID-*.tmp`` of a process that is no longer running: removed.

    Call it with the parent folder locked (:func:`open_output` does).
    """
    target = Path(target)
    done = []
    old = _old(target)
    if old.is_dir() and not old.is_symlink():
        if not os.path.lexists(target):
            old.rename(target)
            done.append(f"recovered {target}: restored the previous run after an interrupted write")
        else:
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"removed {old} (left by an interrupted write)")
    for tmp, pid in _leftovers(target):
        if pid is None or not _pid_alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)
            done.append(f"removed {tmp} (left by an interrupted write)")
    return done


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (flock on the folder itself; no lock file)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# -- the two phases of a write -------------------------------------------------------
def _check_target(
    target: Path,
    force: bool,
    flag: str,
    inputs: tuple[Path, ...] = (),
    kind: OutputKind = OutputKind.RUN,
) -> None:
    name = target.name
    if name in ("", ".", "..") or str(target) == "":
        raise OutputError(f"{flag}: {str(target)!r} does not name a folder for the {kind.label}")
    if target.is_symlink():
        raise OutputError(f"{flag}: {target} is a symbolic link; give the folder itself")
    if os.path.lexists(target) and not target.is_dir():
        raise OutputError(f"{flag}: {target} exists and is not a folder")
    check_replaceable(target, force=force, inputs=inputs, flag=flag, kind=kind)


def _make_parents(parent: Path, flag: str) -> list[Path]:
    """Create ``parent`` and its missing ancestors; return those created (deepest first)."""
    missing = []
    p = parent
    while not os.path.lexists(p):
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    if os.path.lexists(p) and not p.is_dir():
        raise OutputError(f"{flag}: {p} is a file, not a folder")
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_empty(missing)
            raise OutputError(f"{flag}: cannot create {folder} ({exc.strerror})") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()


@dataclass
class OutputSlot:
    """A checked target folder and the temporary folder its output is written into.

    Use it as a context manager: leaving it with an exception discards the
    temporary folder (and the parent folders it created); :meth:`commit` moves
    the temporary folder into place.
    """

    target: Path
    tmp: Path
    created: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    force: bool = False
    committed: bool = False
    inputs: tuple[Path, ...] = ()
    flag: str = "--out"
    kind: OutputKind = OutputKind.RUN

    def commit(self) -> Path:
        """Replace ``target`` by the temporary folder (see the module docstring).

        The entries its kind's layout keeps (``Layout.kept``: check-model's resumable
        ``sobol_sweep``) move from the earlier ``target`` into the new one, unless it
        has its own. The locks of the sweeps in ``target`` are held meanwhile: no
        sweep starts writing there.
        """
        parent = self.target.parent
        with _locked(parent):
            recover(self.target)  # another writer may have been killed meanwhile
            # ... or written something there
            _check_target(self.target, self.force, self.flag, self.inputs, self.kind)
            with _no_sweep_writing(self.target, self.flag):
                self._swap(tuple(sorted(self.kind.layout.kept)))
        self.committed = True
        return self.target

    def _swap(self, keep: tuple[str, ...]) -> None:
        old = _old(self.target)
        moved = []
        try:
            for name in keep:
                src, dst = self.target / name, self.tmp / name
                if os.path.lexists(src) and not os.path.lexists(dst):
                    src.rename(dst)
                    moved.append(name)
            fault_point("output.before-rename")
            if os.path.lexists(self.target):
                self.target.rename(old)
                fault_point("output.between-renames")
                self.tmp.rename(self.target)
                fault_point("output.after-renames")
                shutil.rmtree(old, ignore_errors=True)
            else:
                self.tmp.rename(self.target)
        except OSError:
            if os.path.lexists(self.tmp):  # not swapped: what was kept goes back
                for name in moved:
                    with contextlib.suppress(OSError):
                        (self.tmp / name).rename(self.target / name)
            raise

    def discard(self) -> None:
        """Remove the temporary folder and the parent folders this slot created."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        _remove_empty(self.created)

    def __enter__(self) -> OutputSlot:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.discard()


def open_output(
    target: Path,
    *,
    force: bool = False,
    flag: str = "--out",
    inputs: tuple[Path, ...] | list[Path] = (),
    kind: OutputKind = OutputKind.RUN,
) -> OutputSlot:
    """Check ``target`` can take an output and create its temporary folder (before simulating).

    ``target`` must be missing, an empty folder or an earlier output of ``kind``
    (an aipm run folder, :func:`is_run_dir`) holding only what aipm writes there;
    with ``force``, any earlier aipm output (:func:`is_aipm_output`). Never a folder
    that is or holds the root, home or current folder, one of ``inputs`` (the
    command's input files) or a ``.git`` entry, nor one a running sweep writes to
    (:func:`check_replaceable`). Leftovers of a killed write are recovered first
    (:func:`recover`; see :attr:`OutputSlot.notes`).

    Raises
    ------
    OutputError
        One line naming ``flag`` and the problem; nothing is left on disk.
    """
    target = Path(target)
    inputs = tuple(Path(p) for p in inputs)
    _check_target(target, force, flag, inputs, kind)
    created = _make_parents(target.parent, flag)
    try:
        with _locked(target.parent):
            notes = recover(target)
            tmp = Path(
                tempfile.mkdtemp(
                    prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=target.parent
                )
            )
    except OSError as exc:
        _remove_empty(created)
        where = target.parent if str(target.parent) else Path(".")
        raise OutputError(f"{flag}: cannot write in {where} ({exc.strerror or exc})") from None
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a run folder is shared
    slot = OutputSlot(target, tmp, created, notes, force, inputs=inputs, flag=flag, kind=kind)
    if notes:  # a recovered run may have been replaced by a non-run meanwhile: check again
        try:
            _check_target(target, force, flag, inputs, kind)
        except OutputError:
            slot.discard()
            raise
    return slot


def run_metadata(result: RunResult, **extra: Any) -> dict[str, Any]:
    """Resolved parameters, seed, package version and git commit of a run."""
    return {
        "kind": RUN_KIND,
        "scenario": result.scenario.model_dump(mode="json"),
        "seed": result.seed,
        "quarters_run": int(result.system["quarter"].max() + 1) if len(result.system) else 0,
        "aipm_version": package_version(),
        "git_commit": git_commit(),
        **extra,
    }


def write_tables(result: RunResult, folder: Path, **extra: Any) -> None:
    """Write a run's files into ``folder`` (no atomicity: see :func:`write_run`)."""
    (folder / "params.json").write_text(
        json.dumps(run_metadata(result, **extra), indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    result.firms.to_parquet(folder / "firms.parquet", index=False)
    result.accounts.to_parquet(folder / "accounts.parquet", index=False)
    result.system.to_parquet(folder / "system.parquet", index=False)
    result.deals.to_parquet(folder / "deals.parquet", index=False)
    result.events.to_parquet(folder / "events.parquet", index=False)
    result.loops.to_parquet(folder / "loops.parquet", index=False)
    if result.investors is not None:
        result.investors.to_parquet(folder / "investors.parquet", index=False)
    (folder / "summary.json").write_text(
        json.dumps(result.summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def write_run(
    result: RunResult,
    out_dir: Path | OutputSlot,
    *,
    extra_files: Callable[[Path], None] | None = None,
    force: bool = False,
    **extra: Any,
) -> Path:
    """Write a run's tables: params, firms, system, deals and events.

    Files: ``params.json``, ``firms.parquet``, ``accounts.parquet``, ``system.parquet``,
    ``deals.parquet``, ``events.parquet``, ``loops.parquet`` and ``summary.json`` (plus
    ``investors.parquet`` with snapshots).

    ``out_dir`` is a folder (checked by :func:`open_output`, with ``force``) or a
    slot already opened. ``extra_files`` may add files (e.g. the report) into the
    temporary folder before it is moved into place.

    Raises
    ------
    OutputError
        If ``out_dir`` cannot take the run (nothing is written).
    """
    slot = out_dir if isinstance(out_dir, OutputSlot) else open_output(Path(out_dir), force=force)
    with slot:
        write_tables(result, slot.tmp, **extra)
        if extra_files is not None:
            extra_files(slot.tmp)
        fault_point("output.written")
        return slot.commit()


def read_run(run_dir: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read back (params, firms, system, deals) of a run directory.

    Raises
    ------
    runs.readback.UnreadableFile
        If one of the files is missing or unreadable: one line naming it (once).
    """
    from runs.readback import read_json, read_parquet

    run_dir = Path(run_dir)
    params = read_json(run_dir / "params.json")
    return (
        params,
        read_parquet(run_dir / "firms.parquet"),
        read_parquet(run_dir / "system.parquet"),
        read_parquet(run_dir / "deals.parquet"),
    )
