"""The border of every YAML input (portfolio files, backtest configs): reading the file and
turning a pydantic :class:`~pydantic.ValidationError` into one :class:`InputError` with one
wording, ``holdings[3].amount: must be >= 0 (got -5)`` or ``policies[1].band: must be >= 0
(got -1)``, whichever model raised it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hedgekit.errors import InputError

__all__ = ["duration_seconds", "field_path", "from_validation_error", "read_yaml"]

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


def read_yaml(path: str | Path, label: str) -> Any:
    """The parsed YAML document at ``path`` (UTF-8). An unreadable file is an error on
    ``label`` (the CLI argument, e.g. ``PORTFOLIO``); invalid YAML an error naming the file,
    the line and the column, on one line."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(label, f"cannot read file: {exc.strerror}", str(path)) from None
    except UnicodeDecodeError:
        raise InputError(label, "cannot read file: not UTF-8 text", str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(p.name, f"invalid YAML at {where}{problem}", show_value=False) from None
