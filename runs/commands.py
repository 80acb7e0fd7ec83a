"""Command lines of the ``python -m runs.<module>`` tools: one-line errors, exit code 2.

``aipm`` (:mod:`runs.cli`) is a typer app; the generators of the documentation's
numbers (:mod:`runs.decomposition`, :mod:`runs.whatifs`) and the anchor check
(:mod:`runs.calibrate`) are plain argparse commands. Their bad input is reported the
way ``aipm`` reports it: ``error: ...`` on one line of stderr, exit code 2.
:func:`path_value` is ``aipm``'s parser of path flags and arguments, here so that every
module of its commands can import it without importing :mod:`runs.cli`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

__all__ = ["CommandParser", "count_in", "path_value", "plural"]


class CommandParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (``error: ...``, as ``aipm``'s), exit code 2.

    For the ``python -m runs.<module>`` commands (``aipm`` itself is a typer app).
    """

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as ``aipm`` prints its errors and exit with code 2."""
        from runs.cli import print_error

        print_error(message)
        raise SystemExit(2)


def count_in(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number in ``lo..hi``, else a one-line error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range (allowed: {lo}..{hi})")
        return value

    return parse


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n word``, the word in the plural (``many``, or ``word`` + s) unless ``n`` is 1.

    >>> plural(1, "quarter"), plural(40, "quarter"), plural(0, "entry", "entries")
    ('1 quarter', '40 quarters', '0 entries')
    """
    return f"{n} {word if n == 1 else many or word + 's'}"


def path_value(name: str, allowed: str) -> Callable[[str | Path], Path]:
    """A parser for a path flag or argument that refuses an empty path (one line, exit 2).

    Click reads ``--out ''`` as ``Path('')``, the current folder, which an error would
    then name ``'.'``; an empty path is a slip (an unset shell variable), not a folder.
    ``name`` is the flag or argument as errors name it, ``allowed`` what it takes.
    """

    def parse(value: str | Path) -> Path:
        if isinstance(value, Path):  # a default
            return value
        if value == "":
            from runs.cli import fail

            raise fail(f"{name}: the path is empty (allowed: {allowed})")
        return Path(value)

    parse.__name__ = "path"  # shown in --help as <path>
    return parse
