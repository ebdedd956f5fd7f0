"""Reading the journals for the dashboard, read-only.

One journal, ``<data dir>/execution/journal.sqlite3``: the executor writes ``orders`` and
``halts`` (the kill switch) there, the monitor ``state_history`` and ``alerts``, each under the
book's one id (:func:`hedgekit.execution.ids.book_key`). The dashboard only reads, through
read-only connections, and each reader returns nothing when a file or a table does not exist
yet, so a fresh install shows "no history yet".
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_FILE", "book_key", "journal_path", "read_alerts", "read_halt", "read_orders",
           "read_state_history"]

JOURNAL_FILE = Path("execution") / "journal.sqlite3"  # hedgekit.execution.journal.journal_path
HISTORY_COLUMNS = ("ts", "nav_usd", "nav_coin", "hedge_ratio", "drift", "margin_ratio",
                   "liquidation_distance", "funding_accrued_usd")
ALERT_COLUMNS = ("ts", "rule", "severity", "message", "state")


def journal_path(data_dir: Path) -> Path:
    """The one journal: orders and halts (the executor), state history and alerts (the
    monitor)."""
    return Path(data_dir) / JOURNAL_FILE


def book_key(book_path: str | Path) -> str:
    """How the journal names a book (the executor's id: file stem and a digest of its path)."""
    from hedgekit.execution.ids import book_key as executor_key

    return executor_key(book_path)


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


def read_state_history(db: Path, book: str, limit: int = 5000) -> list[dict[str, Any]]:
    """The newest ``limit`` rows of the monitor's state history of ``book``, oldest first (``ts``
    ISO UTC). Filtered in SQL on the (book, ts) index: other books in the journal take none of
    the rows."""
    rows = _query(db, "state_history", "SELECT * FROM {table} WHERE book = ? ORDER BY ts DESC LIMIT ?",
                  (book, limit))
    return [{k: r.get(k) for k in HISTORY_COLUMNS} for r in reversed(rows)]


def read_alerts(db: Path, book: str, limit: int = 200) -> list[dict[str, Any]]:
    """The alerts fired and recovered for ``book``, newest first."""
    rows = _query(db, "alerts", "SELECT * FROM {table} WHERE book = ? ORDER BY ts DESC LIMIT ?",
                  (book, limit))
    return [{k: r.get(k) for k in ALERT_COLUMNS} for r in rows]


_HIDDEN = ("secret", "key", "token", "password", "signature")


def read_orders(db: Path, book: str, limit: int = 200) -> list[dict[str, Any]]:
    """The executor's orders of ``book``, newest first, with whatever columns its table has (a
    JSON column is decoded; a column whose name says secret, key, token, password or signature is
    never returned, except the client order id)."""
    rows = _query(db, "orders", "SELECT * FROM {table} WHERE book = ? ORDER BY rowid DESC LIMIT ?",
                  (book, limit))
    return [{k: _decoded(v) for k, v in r.items()
             if not any(word in k.lower() for word in _HIDDEN) or k.lower() == "client_order_id"}
            for r in rows]


def read_halt(db: Path, book: str) -> dict[str, Any] | None:
    """The book's kill switch as the executor recorded it (``halted_at``, ``reason``), or None."""
    rows = _query(db, "halts", "SELECT * FROM {table} WHERE book = ?", (book,))
    return {"halted_at": rows[0].get("halted_at"), "reason": rows[0].get("reason")} if rows else None


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
