"""Small helpers shared by the command modules: JSON printing and the rich console."""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from enum import Enum
from typing import Any

__all__ = ["console", "print_json", "to_jsonable"]


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


def console():
    """A rich console on stdout (imported lazily; rich is not needed for --json)."""
    from rich.console import Console

    return Console()
