"""Load, validate and override scenarios (TOML → frozen :class:`~world.params.Scenario`).

Errors are reported as one line naming the field and the allowed range, e.g.
``quarters: Input should be less than or equal to 400 (allowed: 1 ≤ quarters ≤ 400)``.
Input is bounded before it is parsed: a scenario file is at most
:data:`MAX_FILE_BYTES`, tables nest at most :data:`MAX_DEPTH` deep, and a scenario
lists at most :data:`~world.params.scenario.MAX_DEALS` deals.

What-ifs from the command line (``aipm run SCEN --set PATH=VALUE --shock
QUARTER:PATH=VALUE``) are parsed by :func:`parse_assignment` and
:func:`parse_shock` and applied by :func:`load_scenario` exactly like a file's
``[overrides]`` table and ``[[shocks]]`` array.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from world.params import Scenario, check_horizon, validate_scenario, with_overrides
from world.params.errors import format_validation_error

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "ScenarioError",
    "apply_overrides",
    "describe_validation_error",
    "did_you_mean",
    "format_validation_error",
    "load_scenario",
    "parse_assignment",
    "parse_scenario",
    "parse_shock",
    "path_problem",
    "read_expect_table",
    "read_toml",
]

#: Top-level table of a scenario file holding its claims (``[expect]``): read by
#: :func:`read_expect_table` for the validation suite, never part of the Scenario
#: and never inherited through ``base = ...`` (a claim belongs to one file's story).
EXPECT_TABLE = "expect"

MAX_FILE_BYTES = 1 << 20
"""Largest scenario or sweep-spec file read (1 MiB; the baseline is about 15 kB)."""
MAX_DEPTH = 16
"""Deepest nesting of tables and arrays in an input file (scenarios need 4)."""
MAX_BASES = 16
"""Longest chain of ``base = "other.toml"`` references."""


class ScenarioError(ValueError):
    """A scenario file or override is invalid; the message is one line."""


#: Keys a scenario file may hold besides the scenario's fields (read before validation).
FILE_KEYS = ("base", "overrides", EXPECT_TABLE)

#: What the patterns of string fields allow, in words: ``pattern -> (what, allowed)``.
PATTERN_WORDS = {
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": (
        "a safe name",
        "letters, digits, _ . -, starting with a letter or digit",
    ),
    r"^\d{4}Q[1-4]$": ("a quarter", "YYYYQn, e.g. 2025Q4"),
}

#: Most entries of a list named in an error (firm names); the rest are counted.
MAX_LISTED = 12


def did_you_mean(word: str, choices: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (a model, a tuple or union of models...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models(arg)]


def _keys_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the table at ``loc`` (a pydantic error location) of ``model``.

    List positions are skipped, a deal's ``kind`` tag picks its model, and a key of a
    mapping (a parameter path of a sweep spec) keeps the models of its values.
    """
    models = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        has = [m for m in models if part in m.model_fields]
        if has:
            models = [x for m in has for x in _models(m.model_fields[part].annotation)]
            continue
        tagged = [
            m for m in models if "kind" in m.model_fields and m.model_fields["kind"].default == part
        ]
        models = tagged or models
    return sorted({info.alias or name for m in models for name, info in m.model_fields.items()})


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_written(loc: tuple[Any, ...], data: Any, written: Iterable[str]) -> str:
    """``loc`` as a dotted path, with firms by name where ``written`` paths name them."""
    written = tuple(written)
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
            name = node.get("name") if isinstance(node, dict) else None
            named = ".".join([*parts, str(name)])
            by_name = name is not None and any(
                k == named or k.startswith(f"{named}.") for k in written
            )
            parts.append(str(name) if by_name else str(part))
            continue
        parts.append(str(part))
        node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def describe_validation_error(
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    *,
    extra_keys: Iterable[str] = (),
    data: Any = None,
    written: Iterable[str] = (),
) -> str:
    """:func:`format_validation_error`, told more plainly where it helps.

    An unknown key gets the closest allowed key (``; did you mean 'bass_q'?``;
    ``extra_keys``: more keys allowed at the top level), a string that does not
    match its pattern says what is allowed in words, and with ``data`` (the
    dumped scenario the ``written`` override paths were applied to) a firm is
    named as the override path names it (``firms.NVIDIA.cash``, not ``firms.0.cash``).
    """
    model = model or Scenario
    message = format_validation_error(exc, model)
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc) or "scenario"
    if err["type"] == "extra_forbidden" and loc:
        keys = _keys_at(model, loc[:-1]) + (list(extra_keys) if len(loc) == 1 else [])
        message += did_you_mean(str(loc[-1]), keys)
    elif err["type"] == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(err.get("ctx", {}).get("pattern", ""))
        if words is not None:
            what, allowed = words
            message = f"{path}: {_short(err.get('input'))} is not {what} (allowed: {allowed})"
    if data is not None and message.startswith(f"{path}:"):
        message = _as_written(loc, data, written) + message[len(path) :]
    return message


def _check_plain(value: Any, where: str, depth: int = 0) -> None:
    """Reject what no parameter can hold: TOML dates and times, and deep nesting."""
    if depth > MAX_DEPTH:
        raise ScenarioError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        raise ScenarioError(f"{where}: a date or time is not a valid value here, got {value}")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}.{i}", depth + 1)


def read_toml(path: Path, what: str = "scenario file") -> dict[str, Any]:
    """Read a TOML input file, bounded and checked; errors are one-line :class:`ScenarioError`.

    The file must be a regular file of at most :data:`MAX_FILE_BYTES`, UTF-8, valid
    TOML, nested at most :data:`MAX_DEPTH` deep, with no dates or times.
    """
    try:
        if not path.is_file():
            problem = "is a folder" if path.is_dir() else "does not exist or is not a file"
            raise ScenarioError(f"{path}: cannot read {what} ({problem})")
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: {what} is larger than {MAX_FILE_BYTES // 1024} kB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: {what} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML ({exc})") from None
    except RecursionError:
        raise ScenarioError(f"{path}: invalid TOML (nested too deep)") from None
    _check_plain(data, "")
    return data


def parse_scenario(data: dict[str, Any]) -> Scenario:
    """Validate a scenario mapping; raise :class:`ScenarioError` with a one-line message."""
    try:
        return validate_scenario(data)
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, extra_keys=FILE_KEYS)) from None
    except TypeError as exc:  # a value that is not plain data (from Python callers)
        raise ScenarioError(f"scenario: {exc}") from None


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; everything else (values, arrays of tables) replaces."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_file(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict]:
    """Read a scenario file, following ``base = "other.toml"`` (relative to the file).

    Returns the merged mapping and the ``[overrides]`` (dotted paths) to apply after
    validation, base files' overrides first.
    """
    path = path.resolve()
    if path in _seen:
        raise ScenarioError(f"{path}: base: circular reference")
    if len(_seen) >= MAX_BASES:
        raise ScenarioError(f"{path}: base: more than {MAX_BASES} files deep")
    data = read_toml(path)
    data.pop(EXPECT_TABLE, None)  # claims are not parameters (see read_expect_table)
    overrides = data.pop("overrides", {})
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{path}: overrides: must be a table of dotted paths")
    base = data.pop("base", None)
    if base is None:
        return data, overrides
    if not isinstance(base, str) or not base or "\0" in base:
        raise ScenarioError(f"{path}: base: must be a file name")
    base_data, base_overrides = resolve_file(path.parent / base, (*_seen, path))
    return _merge(base_data, data), {**base_overrides, **overrides}


def read_expect_table(path: str | Path) -> dict[str, Any]:
    """The ``[expect]`` table of this one file (``{}`` if it has none; never from a base).

    Raises :class:`ScenarioError` if the file cannot be read or ``expect`` is not a
    table; the claims themselves are validated by :mod:`runs.validation.claims`.
    """
    table = read_toml(Path(path)).get(EXPECT_TABLE, {})
    if not isinstance(table, dict):
        raise ScenarioError(f"{path}: {EXPECT_TABLE}: must be a table of output = direction")
    return table


def load_scenario(
    path: str | Path,
    *,
    sets: list[str] | tuple[str, ...] = (),
    shocks: list[str] | tuple[str, ...] = (),
    quarters: int | None = None,
) -> Scenario:
    """Read and validate a scenario TOML file, with optional command-line what-ifs.

    A file may start from another with ``base = "baseline.toml"``: its tables merge
    into the base's key by key, arrays (``firms``, ``deals``, ``shocks``) replace the
    base's, and an ``[overrides]`` table sets dotted paths such as
    ``"firms.OpenAI.opex" = 5.0``. The scenario as written (the file, its
    ``[overrides]`` and ``sets``) may not date shocks after its last quarter nor
    sign deals after it; ``quarters`` may then cut the run short.

    Parameters
    ----------
    path : str or Path
        The scenario file.
    sets : list of str
        ``PATH=VALUE`` overrides (see :func:`parse_assignment`), applied after the
        file's own ``[overrides]``, exactly as if the file said so.
    shocks : list of str
        ``QUARTER:PATH=VALUE`` shocks (see :func:`parse_shock`), added to the
        scenario's shocks; each must fall inside the run.
    quarters : int, optional
        New horizon (applied after ``sets``, before ``shocks``); a shorter run simply
        ends before the file's later shocks and deals.
    """
    data, overrides = resolve_file(Path(path))
    scenario = parse_scenario(data)
    if overrides:
        scenario = apply_overrides(scenario, overrides)
    assignments = dict(parse_assignment(text, "--set") for text in sets)
    if assignments:  # all together: shares that must sum to 1 can be changed at once
        try:
            scenario = apply_overrides(scenario, assignments)
        except ScenarioError as exc:
            message = str(exc)
            key = next((k for k in assignments if message.startswith(f"{k}:")), None)
            if key is None and len(assignments) == 1:
                key = next(iter(assignments))
            raise ScenarioError(f"--set {_strip_path(message, key) if key else message}") from None
    try:
        check_horizon(scenario)
    except ValueError as exc:
        flag = "--set: " if sets else ""
        raise ScenarioError(f"{flag}{exc}") from None
    if quarters is not None:
        scenario = apply_overrides(scenario, {"quarters": quarters})
    for text in shocks:
        scenario = add_shock(scenario, parse_shock(text), text)
    return scenario


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Return a new validated scenario with dotted-path overrides applied.

    Paths address nested tables (``"demand.bass_q"``), firms by name
    (``"firms.OpenAI.opex"``) and deals by position (``"deals.3.gw"``); see
    :func:`world.params.with_overrides`. Errors are one-line :class:`ScenarioError`:
    an unknown path gets the closest key (:func:`path_problem`), and a bad value of
    a firm named in a path is reported by that name.
    """
    try:
        return with_overrides(scenario, overrides)
    except ValidationError as exc:
        data = scenario.model_dump(mode="json")
        message = describe_validation_error(exc, data=data, written=overrides)
        raise ScenarioError(message) from None
    except ValueError as exc:
        data = scenario.model_dump(mode="json")
        problem = next(
            (f"{p}: {why}" for p in overrides if (why := path_problem(data, p)) is not None),
            str(exc),
        )
        raise ScenarioError(problem) from None


def path_problem(data: Any, path: str) -> str | None:
    """Why dotted ``path`` names no parameter of ``data`` (a dumped scenario), or None.

    Follows the path as :func:`world.params.with_overrides` does (tables by key,
    lists by name or position) and says where it stops, with a list's entries and
    the closest key: ``unknown parameter (demnd); did you mean 'demand'?``,
    ``no entry 'OpenAl' (allowed: OpenAI, NVIDIA, ...); did you mean 'OpenAI'?``.
    """
    parts = path.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, (list, tuple)):
            names = [x.get("name") if isinstance(x, dict) else None for x in node]
            if part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif part in names:
                node = node[names.index(part)]
            else:
                known = [n for n in names if isinstance(n, str)]
                return f"no entry {part!r}{_entries(names, part)}{did_you_mean(part, known)}"
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            keys = node if isinstance(node, dict) else ()
            return f"unknown parameter ({'.'.join(parts[: i + 1])}){did_you_mean(part, keys)}"
    if isinstance(node, dict) and parts[-1] in node:
        return None
    return f"unknown parameter{did_you_mean(parts[-1], node if isinstance(node, dict) else ())}"


def _entries(names: list[Any], part: str) -> str:
    """The entries a list allows: `` (allowed: A, B, ...)`` by name, else by position."""
    n = len(names)
    if not n:
        return " (the list is empty)"
    positions = f"0..{n - 1}"
    if not all(isinstance(x, str) for x in names):
        return f" (allowed: {positions})"
    more = f" and {n - MAX_LISTED} more" if n > MAX_LISTED else ""
    listed = f"{', '.join(names[:MAX_LISTED])}{more}"
    return (
        f" (allowed: {positions} or a name: {listed})"
        if part.lstrip("+-").isdigit()  # a position, in range or not (-1 included)
        else f" (allowed: {listed})"
    )


# -- what-ifs from the command line -------------------------------------------------
_PATH = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)*$")
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")


def _strip_path(message: str, key: str) -> str:
    """``key: msg`` stays; other messages get ``key: `` in front."""
    return message if message.startswith(f"{key}:") else f"{key}: {message}"


def parse_value(text: str, flag: str, key: str) -> Any:
    """A command-line value as a TOML scalar: ``0.03``, ``true``, ``"text"``, ``12``.

    A bare word that is not TOML (``rogers_veraart``) is taken as a string; arrays,
    tables and dates are rejected.
    """
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        if not text or "\n" in text or "\r" in text:
            raise ScenarioError(f"{flag} {key}: {text!r} is not a value") from None
        return text
    if set(parsed) != {"v"}:
        raise ScenarioError(f"{flag} {key}: {text!r} is not one value")
    value = parsed["v"]
    if isinstance(value, (dict, list, dt.date, dt.time)):
        raise ScenarioError(f"{flag} {key}: give a number, true/false or a string, got {text!r}")
    return value


def parse_assignment(text: str, flag: str = "--set") -> tuple[str, Any]:
    """``PATH=VALUE`` → ``(path, value)``; the value is a TOML scalar (:func:`parse_value`)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep:
        raise ScenarioError(f"{flag}: {text!r} is not PATH=VALUE (e.g. demand.bass_q=0.03)")
    if not _PATH.match(key):
        raise ScenarioError(f"{flag}: {key!r} is not a parameter path (e.g. demand.bass_q)")
    return key, parse_value(raw.strip(), flag, key)


def parse_shock(text: str) -> dict[str, Any]:
    """``QUARTER:PATH=VALUE`` → a shock table (``at``, ``set`` or ``sentiment``, ``note``).

    ``PATH`` ``sentiment`` is the shock's one-off change of sentiment; any other path
    is a parameter the shock sets from that quarter on.
    """
    at, sep, rest = text.partition(":")
    at = at.strip()
    if not sep or not _QUARTER.match(at):
        raise ScenarioError(
            f"--shock: {text!r} is not QUARTER:PATH=VALUE "
            "(e.g. 2026Q3:behaviour.vendor_financing=false)"
        )
    key, value = parse_assignment(rest, "--shock")
    note = f"--shock {text}"[:400]
    if key == "sentiment":
        return {"at": at, "sentiment": value, "note": note}
    return {"at": at, "set": {key: value}, "note": note}


def add_shock(scenario: Scenario, shock: dict[str, Any], text: str = "") -> Scenario:
    """``scenario`` with one more shock, validated like a file's ``[[shocks]]``."""
    data = scenario.model_dump(mode="json")
    n = len(data["shocks"])
    data["shocks"].append(shock)
    try:
        return check_horizon(validate_scenario(data))
    except ValidationError as exc:
        message = describe_validation_error(exc)
    except ValueError as exc:
        message = str(exc)
    message = message.removeprefix(f"shocks.{n}.")
    for key in shock.get("set", {}):  # an unknown path: say where it stops, suggest a key
        why = path_problem(scenario.model_dump(mode="json"), key)
        if why is not None and message.startswith(f"set: {key}: "):
            message = f"set: {key}: {why}"
    raise ScenarioError(f"--shock {text}: {message}" if text else f"shocks: {message}")
