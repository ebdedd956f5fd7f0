"""Where hedgekit keeps its files: the per-user data directory (market data store, synced
account snapshots, the order journal). Imports nothing heavy, so any command may use it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "default_data_dir", "resolve_data_dir"]

DATA_DIR_ENV = "HEDGEKIT_DATA_DIR"


def default_data_dir() -> Path:
    """The per-user data directory: ``$XDG_DATA_HOME/hedgekit`` (``~/.local/share/hedgekit``)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "hedgekit"


def resolve_data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Data directory precedence: explicit ``path`` > env ``HEDGEKIT_DATA_DIR`` > user data dir."""
    if path is not None and str(path) != "":
        return Path(path).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return default_data_dir()
