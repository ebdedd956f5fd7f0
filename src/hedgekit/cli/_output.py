"""Small helpers shared by the command modules: JSON printing and the rich console.

Everything printed on a terminal may hold user-provided text (asset names, policy names, file
paths, symbols read from files). The console therefore never reads markup (``[/]`` in a name
is printed as written) and shows control characters (ANSI escape sequences, carriage returns)
as visible escapes such as ``\\x1b`` instead of sending them to the terminal."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from typing import Any

__all__ = ["console", "print_json", "to_jsonable", "visible", "working"]

# C0 controls except tab and newline, DEL, and the C1 controls: shown as \xNN
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(9), *range(11, 32), 127, *range(128, 160))}


def visible(text: str) -> str:
    """``text`` with control characters written out (``\\x1b``): a name or message can no
    longer move the cursor, recolour or clear the user's terminal."""
    return str(text).translate(_CONTROLS)


def to_jsonable(obj: Any) -> Any:
    """Convert results to plain JSON types: NaN/inf -> null, numpy scalars -> Python, enums -> value."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    # numpy and pandas scalars without importing them
    if hasattr(obj, "item"):
        return to_jsonable(obj.item())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "tolist"):
        return to_jsonable(obj.tolist())
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def print_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n")


def console(*, stderr: bool = False):
    """A rich console on stdout (or stderr) that reads no markup and escapes control
    characters in every piece of text it writes (rich is imported lazily: --json needs none)."""
    from rich.console import Console
    from rich.segment import Segment

    class SafeConsole(Console):
        def _render_buffer(self, buffer):  # type: ignore[no-untyped-def]
            # control segments are rich's own cursor moves (progress bars); text is escaped
            return super()._render_buffer(
                seg if seg.control else Segment(visible(seg.text), seg.style) for seg in buffer)

        def on_broken_pipe(self) -> None:
            # rich exits with code 1 here; the CLI treats a reader that went away as success
            self.quiet = True
            raise BrokenPipeError

    return SafeConsole(markup=False, emoji=False, stderr=stderr)


@contextmanager
def working(label: str, *, after: float = 1.0) -> Iterator[None]:
    """A spinner with ``label`` on stderr when the block runs longer than ``after`` seconds
    and a terminal watches; nothing at all in pipes, files and tests."""
    if not sys.stderr.isatty():
        yield
        return
    import threading

    status = console(stderr=True).status(label)
    lock = threading.Lock()
    state = {"started": False, "done": False}

    def start() -> None:
        with lock:
            if not state["done"]:
                status.start()
                state["started"] = True

    timer = threading.Timer(after, start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                status.stop()
