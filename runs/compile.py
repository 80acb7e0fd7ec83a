"""Compile the firm side with mypyc into ``build/mypyc/`` (``make compile``).

The firm side — ledgers, contracts, deals, finance, the firms' decisions, the Mesa
model — is plain, fully typed Python; mypyc compiles it into C extension modules
that give the same numbers bit for bit, faster (the figures are in
``docs/explanation/performance.md``). :mod:`world.compiled` loads the build only
while it matches the sources exactly, so an edited source never runs stale code::

    python -m runs.compile            # build, unless a build of these sources exists
    python -m runs.compile --force    # build anyway

Not compiled: the modules with numba kernels (numba compiles those itself), the
investor population (whole-array numpy; nothing for mypyc to gain) and the loader
:mod:`world.compiled`. Two rules keep the compiled numbers the pure ones: a float
``sum`` that may be empty starts at ``0.0`` (mypyc's empty ``sum`` is the int 0), and
no ``sum`` of a generator (mypyc adds one up in a plain loop, where the built-in
``sum`` of Python 3.12 compensates). Two more keep it sound: mypy must see Mesa's
classes (``follow_untyped_imports`` for ``mesa.*`` in ``pyproject.toml``; as ``Any``,
mypyc made their subclasses native classes whose ``__dict__`` the garbage collector
never saw, and no model was ever freed), and no ``functools.cached_property`` (mypyc
makes it a plain getter that recomputes on every call). Needs mypy (which ships mypyc),
setuptools and a C compiler; a build takes about two minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from contextlib import chdir, redirect_stdout
from pathlib import Path

PURE = {
    "world/compiled.py": "the loader that decides whether the build is used",
    "world/fundamentals.py": "numba kernels",
    "world/market.py": "numba kernels",
    "world/rounds.py": "numba kernels",
    "world/trading.py": "numba kernels",
    "agents/streams.py": "numba kernels",
    "agents/investors.py": "whole-array numpy over the population",
}
"""Modules of the firm-side packages that stay pure Python, with the reason."""


def compiled_sources() -> list[str]:
    """The modules mypyc compiles: every module of ``world`` and ``agents`` but :data:`PURE`."""
    from world.compiled import source_paths

    return [
        path
        for path in source_paths()
        if path.count("/") == 1 and not path.endswith("__init__.py") and path not in PURE
    ]


def build(where: Path, jobs: int | None = None) -> int:
    """Compile :func:`compiled_sources` into ``where`` (replacing it whole); return the count.

    The build is made in a sibling directory and moved into place once it is complete,
    with its manifest (the digest of every source of both packages) written last.
    """
    from world.compiled import MANIFEST, ROOT, platform_tag, source_digests

    try:
        from mypyc.build import mypycify
        from setuptools import setup
    except ImportError as exc:  # pragma: no cover - the dev install has both
        raise SystemExit(f"make compile needs mypy and setuptools: {exc}") from exc
    before = source_digests()
    sources = compiled_sources()
    staging = where.with_name(f"{where.name}.building-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with chdir(ROOT), redirect_stdout(sys.stderr):
            extensions = mypycify(sources, opt_level="3", target_dir=str(staging / "c"))
            setup(
                name="aipm-compiled",
                ext_modules=extensions,
                script_args=[
                    "--quiet",
                    "build_ext",
                    "--build-lib",
                    str(staging),
                    "--build-temp",
                    str(staging / "obj"),
                    "--parallel",
                    str(jobs or os.cpu_count() or 1),
                ],
            )
        if source_digests() != before:
            raise SystemExit("the sources changed during the build; run make compile again")
        for scratch in ("c", "obj"):
            shutil.rmtree(staging / scratch)
        manifest = {"platform": platform_tag(), "compiled": sources, "sources": before}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        # swap by renames (a process starting meanwhile finds no build, or a whole one)
        old = where.with_name(f"{where.name}.old-{os.getpid()}")
        if where.exists():
            where.rename(old)
        staging.rename(where)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(sources)


def main(argv: list[str] | None = None) -> int:
    """Build unless the build is current; say what was done.

    A build that fails (no C compiler, a source mypyc cannot compile) leaves the pure
    sources to run and exits 0 with one line saying so, unless ``--strict``. With
    ``AIPM_PURE=1`` set it builds nothing (the build would not be used), unless ``--force``.
    """
    parser = argparse.ArgumentParser(prog="python -m runs.compile", description=__doc__)
    parser.add_argument("--force", action="store_true", help="build even if current")
    parser.add_argument("--strict", action="store_true", help="exit 1 if the build fails")
    parser.add_argument("--out", type=Path, default=None, help="build directory")
    args = parser.parse_args(argv)
    if os.environ.get("AIPM_PURE") == "1" and not args.force:
        print("AIPM_PURE=1: the pure-Python sources run; not compiling (--force builds)")
        return 0
    # the build reads the sources and never runs the firm side; an out-of-date build is
    # what it is about to replace, so the loader need not say so (set before world loads)
    os.environ["AIPM_PURE"] = "1"
    from world.compiled import PACKAGES, build_dir, why_not_current

    where = (args.out or build_dir()).resolve()
    if not args.force and why_not_current(where) is None:
        print(f"compiled firm side in {where} is current")
        return 0
    start = time.perf_counter()
    try:
        n = build(where)
    except (Exception, SystemExit) as exc:
        if args.strict:
            raise
        print(
            f"could not compile the firm side ({type(exc).__name__}: {exc}); the pure-Python "
            "sources will run (same results, slower)",
            file=sys.stderr,
        )
        return 0
    seconds = time.perf_counter() - start
    print(f"compiled {n} modules of {' and '.join(PACKAGES)} into {where} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
