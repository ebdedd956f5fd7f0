"""hedgekit: protect crypto portfolios with futures hedges.

The public API is re-exported here lazily, so ``import hedgekit`` stays fast and heavy
dependencies (pandas, numba) load only when a feature that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "ContractType": "hedgekit.instruments",
    "DataError": "hedgekit.errors",
    "HedgekitError": "hedgekit.errors",
    "InputError": "hedgekit.errors",
    "Instrument": "hedgekit.instruments",
    "MarginMode": "hedgekit.instruments",
    "Side": "hedgekit.instruments",
    "average_entry": "hedgekit.instruments",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hedgekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
