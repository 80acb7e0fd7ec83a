"""Read back the files aipm wrote (a run's or a sweep's tables), naming a bad file once.

pyarrow's own errors already name the file (``Could not open Parquet input source
'out/run/deals.parquet': Parquet magic bytes not found ...``), so a command that put
the folder in front of them printed the path twice. The readers here raise
:class:`UnreadableFile`, whose message is ``PATH: cannot read it as Parquet (why)`` —
the form of a JSON file's error, ``PATH: cannot read it as JSON (why)`` — and the
commands print it as it is.

Imports nothing heavy at the top: pandas is imported by the readers that need it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["UnreadableFile", "parquet_error", "read_csv", "read_json", "read_parquet"]

#: How pyarrow names the file it could not open (the file of a folder of parts too).
_ARROW_SOURCE = re.compile(r"Could not open Parquet input source '(?P<path>[^']*)': (?P<why>.*)")


class UnreadableFile(ValueError):
    """A file aipm reads back is missing or unreadable; the message starts with its path."""


def _missing(path: Path, exc: OSError) -> UnreadableFile:
    """The error for a file that cannot be opened (missing, a folder, no permission)."""
    why = "it does not exist" if isinstance(exc, FileNotFoundError) else exc.strerror or exc
    return UnreadableFile(f"{path}: cannot read it ({why})")


def parquet_error(path: Path, exc: Exception) -> UnreadableFile:
    """:class:`UnreadableFile` for ``exc`` raised reading ``path`` (a file or a folder of parts).

    When pyarrow names the file it could not open (a part of a folder), that file is
    named, once, and pyarrow's reason follows in brackets.
    """
    if isinstance(exc, FileNotFoundError):
        return _missing(path, exc)
    text = " ".join(str(exc).split())
    if (m := _ARROW_SOURCE.search(text)) is not None:
        path, text = Path(m["path"]), m["why"]
    return UnreadableFile(f"{path}: cannot read it as Parquet ({text})")


def read_parquet(path: Path, **kwargs: Any) -> pd.DataFrame:
    """:func:`pandas.read_parquet` of a file or a folder of parts.

    Raises
    ------
    UnreadableFile
        If it (or a part of it) is missing or not a Parquet file: one line naming it.
    """
    import pandas as pd
    import pyarrow as pa

    try:
        return pd.read_parquet(path, **kwargs)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise parquet_error(Path(path), exc) from None


def read_json(path: Path) -> Any:
    """The JSON value in ``path``.

    Raises
    ------
    UnreadableFile
        If it is missing or not UTF-8 JSON: one line naming it.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _missing(path, exc) from None
    except ValueError as exc:  # JSONDecodeError; UnicodeDecodeError, raised by read_text
        raise UnreadableFile(f"{path}: cannot read it as JSON ({exc})") from None


def read_csv(path: Path) -> pd.DataFrame | None:
    """The CSV table in ``path``; None if the file is empty (no header either).

    Raises
    ------
    UnreadableFile
        If it is missing or not a UTF-8 CSV table: one line naming it.
    """
    import pandas as pd

    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return None
    except OSError as exc:
        raise _missing(path, exc) from None
    except ValueError as exc:  # ParserError, UnicodeDecodeError
        raise UnreadableFile(f"{path}: cannot read it as CSV ({exc})") from None
