"""Use the mypyc-compiled firm side when a build of exactly these sources is present.

``make compile`` (``python -m runs.compile``; ``make run``, ``test`` and ``bench`` run it)
compiles the firm side's modules of :mod:`world` and :mod:`agents` with mypyc into
``build/mypyc/`` and records there a digest of every source file of both packages.
At import, ``world`` and ``agents`` put that build ahead of their sources only when
every digest still matches (and the build was made for this Python); otherwise they
run the pure-Python sources and say once on stderr why. The compiled build gives the
same numbers, bit for bit (``tests/test_compiled.py``), so it is a matter of speed only.

``AIPM_PURE=1`` forces the pure-Python sources (the tests do, so that they can patch
module internals); ``AIPM_COMPILED_DIR`` points at another build directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("world", "agents")
MANIFEST = "manifest.json"


def build_dir() -> Path:
    """Where the compiled build lives (``AIPM_COMPILED_DIR`` or ``build/mypyc``)."""
    return Path(os.environ.get("AIPM_COMPILED_DIR") or ROOT / "build" / "mypyc")


def source_paths() -> list[str]:
    """Every Python source of the firm-side packages, by path from the root, in order."""
    return [
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


def source_digests() -> dict[str, str]:
    """SHA-256 of every Python source of the firm-side packages, by path from the root."""
    return {rel: hashlib.sha256((ROOT / rel).read_bytes()).hexdigest() for rel in source_paths()}


def platform_tag() -> str:
    """The Python build a compiled module is made for (version and extension suffix)."""
    return f"{sys.implementation.cache_tag} {sysconfig.get_config_var('EXT_SUFFIX')}"


def why_not_current(where: Path) -> str | None:
    """None if ``where`` holds a build of exactly the current sources for this Python.

    Otherwise why not: the empty string when there is no build at all.
    """
    try:
        manifest = json.loads((where / MANIFEST).read_text())
    except (OSError, ValueError):
        return ""
    if manifest.get("platform") != platform_tag():
        return f"it was built for {manifest.get('platform')}, this is {platform_tag()}"
    built, now = manifest.get("sources", {}), source_digests()
    changed = sorted(p for p in built.keys() | now.keys() if built.get(p) != now.get(p))
    if not changed:
        return None
    more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
    return f"{changed[0]}{more} changed since it was built"


@cache
def fresh_build() -> Path | None:
    """The build directory if it holds a build of exactly the current sources, else None.

    Says once on stderr why a build that is present is not used.
    """
    if os.environ.get("AIPM_PURE") == "1":
        return None
    where = build_dir()
    reason = why_not_current(where)
    if reason is None:
        return where
    if reason:
        print(
            f"aipm: not using the compiled firm side in {where}: {reason}; running the "
            "pure-Python sources (same results, slower); `make compile` rebuilds it",
            file=sys.stderr,
        )
    return None


def activate(package: ModuleType) -> bool:
    """Put the fresh compiled build of ``package`` ahead of its sources; True if it did."""
    where = fresh_build()
    if where is None:
        return False
    if str(where) not in sys.path:
        sys.path.append(str(where))  # the build's shared mypyc runtime module
    package.__path__.insert(0, str(where / package.__name__))
    return True


def is_active() -> bool:
    """Whether the firm side runs compiled in this process (its ledger is an extension)."""
    import world.ledger

    return not (world.ledger.__file__ or "").endswith(".py")
