"""Reading the journal (``<data dir>/journal.sqlite``) for the dashboard, read-only.

The monitor writes ``state_history`` and ``alerts``, the executor ``orders``. The dashboard
only reads them, through a read-only connection, and each reader returns an empty list when
the file or the table does not exist yet, so a fresh install shows "no history yet".
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_FILE", "book_key", "journal_path", "read_alerts", "read_orders",
           "read_state_history"]

JOURNAL_FILE = "journal.sqlite"
HISTORY_COLUMNS = ("ts", "nav_usd", "nav_coin", "hedge_ratio", "drift", "margin_ratio",
                   "liquidation_distance", "funding_accrued_usd")
ALERT_COLUMNS = ("ts", "rule", "severity", "message", "state")


def journal_path(data_dir: Path) -> Path:
    return Path(data_dir) / JOURNAL_FILE


def book_key(book_path: str | Path) -> str:
    """How the journal names a book: its file's absolute path."""
    return str(Path(book_path).resolve())


def _query(db: Path, table: str, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts; [] when the journal or ``table`` does not exist."""
    if not db.is_file():
        return []
    uri = f"{db.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as con:
        con.row_factory = sqlite3.Row
        found = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                            (table,)).fetchone()
        if found is None:
            return []
        return [dict(row) for row in con.execute(sql.format(table=table), args)]


def _matches_book(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Rows of this book: all rows when the table has no ``book`` column."""
    return [r for r in rows if "book" not in r or r["book"] in (key, Path(key).name)]


def read_state_history(db: Path, book: str, limit: int = 5000) -> list[dict[str, Any]]:
    """The monitor's state history of ``book``, oldest first (``ts`` ISO UTC)."""
    rows = _query(db, "state_history", "SELECT * FROM {table} ORDER BY ts DESC LIMIT ?", (limit,))
    return [{k: r.get(k) for k in HISTORY_COLUMNS} for r in reversed(_matches_book(rows, book))]


def read_alerts(db: Path, book: str, limit: int = 200) -> list[dict[str, Any]]:
    """The alerts fired and recovered for ``book``, newest first."""
    rows = _query(db, "alerts", "SELECT * FROM {table} ORDER BY ts DESC LIMIT ?", (limit,))
    return [{k: r.get(k) for k in ALERT_COLUMNS} for r in _matches_book(rows, book)]


_HIDDEN = ("secret", "key", "token", "password", "signature")


def read_orders(db: Path, book: str, limit: int = 200) -> list[dict[str, Any]]:
    """The executor's orders of ``book``, newest first, with whatever columns its table has
    (a JSON column is decoded; a column whose name says secret, key, token, password or
    signature is never returned)."""
    rows = _query(db, "orders", "SELECT * FROM {table} ORDER BY rowid DESC LIMIT ?", (limit,))
    out = []
    for r in _matches_book(rows, book):
        row = {k: _decoded(v) for k, v in r.items()
               if not any(word in k.lower() for word in _HIDDEN) or k.lower() == "client_order_id"}
        out.append(row)
    return out


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
