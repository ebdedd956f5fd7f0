"""Printing rich renderables so that no number is cut short on a narrow terminal or a pipe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["print_natural"]


def print_natural(console: Any, parts: Iterable[Any]) -> None:
    """Print each part; a table wider than the console is printed at its natural width
    (the terminal wraps the lines) rather than squeezed into ``…`` cells."""
    from rich.measure import Measurement
    from rich.table import Table

    terminal = console.width
    for part in parts:
        natural = terminal
        if isinstance(part, Table):
            wide = console.options.update_width(10_000)
            natural = max(terminal, Measurement.get(console, wide, part).maximum)
        console.width = natural
        try:
            console.print(part)
        finally:
            console.width = terminal
