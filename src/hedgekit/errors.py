"""Errors raised at the border of hedgekit, and the small checks that raise them.

Every input error names the field and the value it got, so the CLI can print one line
(``error: leverage must be > 0 (got -2)``) and exit with code 2.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "DataError",
    "HedgekitError",
    "InputError",
    "check_finite",
    "check_fraction",
    "check_nonnegative",
    "check_positive",
]


class HedgekitError(Exception):
    """Base class of every error hedgekit raises on purpose."""


class InputError(HedgekitError, ValueError):
    """A user-supplied value is invalid. ``field`` names it, ``value`` is what was given."""

    def __init__(self, field: str, message: str, value: Any = None, *, show_value: bool = True):
        self.field = field
        self.message = message
        self.value = value
        self.show_value = show_value
        text = f"{field}: {message}" if field else message
        if show_value:
            text += f" (got {echo(value)})"
        super().__init__(text)

    def relabel(self, field: str) -> InputError:
        """The same error reported under another field name (e.g. ``symbol`` ->
        ``hedge.instruments.ETH[0].symbol``): callers re-label, never re-parse the text."""
        return InputError(field, self.message, self.value, show_value=self.show_value)

    def within(self, prefix: str) -> InputError:
        """The same error with its field nested under ``prefix`` (``prefix.field``)."""
        return self.relabel(f"{prefix}.{self.field}" if self.field else prefix)


MAX_ECHO = 80


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut), so an error that echoes
    a user's value stays one readable line however large the value is."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def echo(value: Any, limit: int = MAX_ECHO) -> str:
    """``repr(value)`` bounded in time and length: containers are summarised past a few
    levels and items (a YAML alias bomb stays cheap), integers with thousands of digits are
    described instead of printed."""
    import reprlib

    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    if isinstance(value, (str, bytes, float, int, type(None))):
        return shorten(repr(value), limit)
    brief = reprlib.Repr()
    brief.maxlevel, brief.maxlist, brief.maxdict, brief.maxstring, brief.maxother = 3, 6, 6, limit, limit
    brief.maxlong = 60
    return shorten(brief.repr(value), limit)


class DataError(HedgekitError):
    """Market data is missing, gappy or malformed. The message says which series and where."""


def _as_float(field: str, value: Any) -> float:
    if isinstance(value, bool):
        raise InputError(field, "must be a finite number", value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(field, "must be a finite number", value) from None
    if not math.isfinite(x):
        raise InputError(field, "must be a finite number", value)
    return x


def check_finite(field: str, value: Any) -> float:
    """Return ``value`` as a float, or raise :class:`InputError` naming ``field``."""
    return _as_float(field, value)


def check_positive(field: str, value: Any) -> float:
    """Return ``value`` as a float > 0, or raise :class:`InputError` naming ``field``."""
    x = _as_float(field, value)
    if x <= 0:
        raise InputError(field, "must be > 0", value)
    return x


def check_nonnegative(field: str, value: Any) -> float:
    """Return ``value`` as a float >= 0, or raise :class:`InputError` naming ``field``."""
    x = _as_float(field, value)
    if x < 0:
        raise InputError(field, "must be >= 0", value)
    return x


def check_fraction(field: str, value: Any, *, allow_zero: bool = True) -> float:
    """Return ``value`` as a float in [0, 1) (or (0, 1) with ``allow_zero=False``)."""
    x = _as_float(field, value)
    if x < 0 or x >= 1 or (x == 0 and not allow_zero):
        bound = "[0, 1)" if allow_zero else "(0, 1)"
        raise InputError(field, f"must be in {bound}", value)
    return x
