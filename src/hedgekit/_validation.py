"""The border of every YAML input (portfolio files, backtest configs): reading the file and
turning a pydantic :class:`~pydantic.ValidationError` into one :class:`InputError` with one
wording, ``holdings[3].amount: must be >= 0 (got -5)`` or ``policies[1].band: must be >= 0
(got -1)``, whichever model raised it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationError

from hedgekit.errors import InputError

__all__ = ["Number", "Whole", "at_least", "duration_seconds", "field_path", "from_validation_error", "read_file_text",
           "read_yaml"]


def _not_bool(value: Any) -> Any:
    """pydantic reads ``true`` as 1 where a number is expected; a book never means that."""
    if isinstance(value, bool):
        raise InputError("", "must be a number, not true/false", value)
    return value


Number = Annotated[float, BeforeValidator(_not_bool)]
"""A float field that refuses booleans (``amount: true`` is a mistake, not 1)."""
Whole = Annotated[int, BeforeValidator(_not_bool)]
"""An int field that refuses booleans."""


def at_least(low: float) -> AfterValidator:
    """A pydantic check ``value >= low`` worded like the others (``must be >= 0.01``): for
    fields whose ``gt=0`` bound lets through values so small that a division overflows."""
    def check(value: float) -> float:
        if value < low:
            raise InputError("", f"must be >= {low:g}", value)
        return value
    return AfterValidator(check)

# pydantic error type -> our message; ``{ge}`` etc. are filled from the error's context
_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "finite_number": "must be a finite number",
    "float_parsing": "must be a finite number",
    "float_type": "must be a finite number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "dict_type": "must be a mapping (key: value)",
    "list_type": "must be a list",
    "model_type": "must be a mapping (key: value)",
    "too_short": "must not be empty",
}


def field_path(loc: tuple[Any, ...]) -> str:
    """A pydantic location as the user wrote it: ``("holdings", 3, "amount")`` ->
    ``holdings[3].amount``."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def from_validation_error(exc: ValidationError, prefix: str = "") -> InputError:
    """The first problem of ``exc`` as an :class:`InputError` naming the field (under
    ``prefix``, e.g. ``holdings[3]``) and the value it got.

    An :class:`InputError` raised by a model's own validator keeps its message and value; its
    field is nested under the model's location.
    """
    err = exc.errors(include_url=False)[0]
    loc = field_path(tuple(err["loc"]))
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, InputError):  # raised by our own model validators
        return inner.relabel(".".join(p for p in (prefix, loc, inner.field) if p))
    field_name = ".".join(p for p in (prefix, loc) if p).replace(".[", "[")
    kind = err["type"]
    if kind in ("enum", "literal_error"):
        message = f"must be one of {ctx.get('expected', '')}".replace("'", "")
    elif kind in _MESSAGES:
        message = _MESSAGES[kind].format(**{k: _fmt(v) for k, v in ctx.items()})
    else:
        message = err["msg"][0].lower() + err["msg"][1:]
    if kind == "missing":  # its "input" is the enclosing mapping: name the field, not the mapping
        return InputError(field_name, message, show_value=False)
    return InputError(field_name, message, err.get("input"))


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration_seconds(field: str, value: Any) -> float:
    """A positive duration as written in a book file: ``90s``, ``15m``, ``1h``, ``2d`` or a
    number of seconds. InputError naming ``field`` otherwise."""
    text = str(value).strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise InputError(field, "must be a duration like 90s, 15m, 1h or 2d", value) from None
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise InputError(field, "must be a duration > 0 like 90s, 15m, 1h or 2d", value)
    return seconds


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


MAX_FILE_BYTES = 10 * 1024 * 1024


def read_file_text(path: str | Path, label: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file of at most ``limit`` bytes (UTF-8, or UTF-16/32 with a
    byte-order mark). Anything else (a folder, a device such as ``/dev/zero``, a larger or
    binary file) is an :class:`InputError` on ``label`` naming the file."""
    import os
    import stat

    p = Path(path)
    try:
        # open first (without blocking on a FIFO), then check what was opened: no stat/open race
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError(label, "cannot read file: not a regular file", str(path))
            if info.st_size > limit:
                raise InputError(label, f"file is {info.st_size / 2**20:.1f} MB; the limit is "
                                 f"{limit / 2**20:g} MB", str(path))
            data = fh.read(limit + 1)
    except IsADirectoryError:
        raise InputError(label, "cannot read file: is a directory", str(path)) from None
    except OSError as exc:
        raise InputError(label, f"cannot read file: {exc.strerror or exc}", str(path)) from None
    if len(data) > limit:
        raise InputError(label, f"file is larger than the limit of {limit / 2**20:g} MB", str(path))
    from hedgekit._yaml import decode_text

    try:
        return decode_text(data)
    except ValueError as exc:
        raise InputError(label, f"cannot read file: {exc}", str(path)) from None


def read_yaml(path: str | Path, label: str) -> Any:
    """The parsed YAML document at ``path``. An unreadable file is an error on ``label`` (the
    CLI argument, e.g. ``PORTFOLIO``); invalid YAML an error naming the file, the line and the
    column, on one line.

    The limits: a regular file of at most 10 MB, UTF-8 or UTF-16 with a byte-order mark; the
    YAML 1.2 core schema (``1:30``, ``yes`` and ``2021-02-30`` stay strings); no duplicate
    keys; nesting at most 64 deep; aliases add at most 100,000 values (see
    :mod:`hedgekit._yaml`)."""
    import yaml

    from hedgekit._yaml import YamlRefused, load

    p = Path(path)
    text = read_file_text(p, label)
    try:
        return load(text)
    except YamlRefused as exc:
        where = f" at line {exc.line}, column {exc.column}" if exc.line else ""
        raise InputError(p.name, f"invalid YAML{where}: {exc.problem}", show_value=False) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = ""
        if mark is not None:
            line, column = mark.line, mark.column
            lines = text.split("\n")
            if line >= len(lines):  # libyaml marks the end of a file without a final newline
                line, column = len(lines) - 1, len(lines[-1])  # report the end of the last line
            where = f" at line {line + 1}, column {column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0] or "not valid YAML"
        raise InputError(p.name, f"invalid YAML{where}: {problem}", show_value=False) from None
