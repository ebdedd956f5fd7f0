"""Reading the journals for the dashboard, read-only.

The monitor writes ``state_history`` and ``alerts`` into ``<data dir>/journal.sqlite``; the
executor writes ``orders`` and ``halts`` (the kill switch), in that file or in its own
``<data dir>/execution/journal.sqlite3``; both are read. The dashboard only reads, through
read-only connections, and each reader returns nothing when a file or a table does not exist
yet, so a fresh install shows "no history yet".
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_FILE", "book_key", "book_keys", "journal_path", "order_journals", "read_alerts",
           "read_halt", "read_orders", "read_state_history"]

JOURNAL_FILE = "journal.sqlite"
EXECUTION_JOURNAL = Path("execution") / "journal.sqlite3"
HISTORY_COLUMNS = ("ts", "nav_usd", "nav_coin", "hedge_ratio", "drift", "margin_ratio",
                   "liquidation_distance", "funding_accrued_usd")
ALERT_COLUMNS = ("ts", "rule", "severity", "message", "state")


def journal_path(data_dir: Path) -> Path:
    """The monitor's journal: ``state_history`` and ``alerts``."""
    return Path(data_dir) / JOURNAL_FILE


def order_journals(data_dir: Path) -> tuple[Path, ...]:
    """Where orders and halts may be: the shared journal, then the executor's own file."""
    return (journal_path(data_dir), Path(data_dir) / EXECUTION_JOURNAL)


def book_key(book_path: str | Path) -> str:
    """How the monitor names a book in the journal: its file's absolute path."""
    return str(Path(book_path).resolve())


def book_keys(book_path: str | Path) -> frozenset[str]:
    """Every name the journals may give this book: the absolute path, and the executor's id
    (file stem and a digest of the absolute path) when the executor is installed."""
    keys = {book_key(book_path)}
    try:
        from hedgekit.execution.ids import digest  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return frozenset(keys)
    path = Path(book_path)
    keys.add(f"{path.stem}-{digest(str(path.resolve()), length=6)}")
    return frozenset(keys)


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


def _matches_book(rows: list[dict[str, Any]], keys: str | frozenset[str]) -> list[dict[str, Any]]:
    """Rows of this book: all rows when the table has no ``book`` column."""
    keys = frozenset([keys]) if isinstance(keys, str) else keys
    return [r for r in rows if "book" not in r or r["book"] in keys]


def read_state_history(db: Path, book: str, limit: int = 5000) -> list[dict[str, Any]]:
    """The monitor's state history of ``book``, oldest first (``ts`` ISO UTC)."""
    rows = _query(db, "state_history", "SELECT * FROM {table} ORDER BY ts DESC LIMIT ?", (limit,))
    return [{k: r.get(k) for k in HISTORY_COLUMNS} for r in reversed(_matches_book(rows, book))]


def read_alerts(db: Path, book: str, limit: int = 200) -> list[dict[str, Any]]:
    """The alerts fired and recovered for ``book``, newest first."""
    rows = _query(db, "alerts", "SELECT * FROM {table} ORDER BY ts DESC LIMIT ?", (limit,))
    return [{k: r.get(k) for k in ALERT_COLUMNS} for r in _matches_book(rows, book)]


_HIDDEN = ("secret", "key", "token", "password", "signature")


def read_orders(dbs: tuple[Path, ...], keys: frozenset[str], limit: int = 200) -> list[dict[str, Any]]:
    """The executor's orders of the book named by ``keys``, newest first, from every journal in
    ``dbs``, with whatever columns its table has (a JSON column is decoded; a column whose
    name says secret, key, token, password or signature is never returned)."""
    out = []
    for db in dbs:
        rows = _query(db, "orders", "SELECT * FROM {table} ORDER BY rowid DESC LIMIT ?", (limit,))
        for r in _matches_book(rows, keys):
            out.append({k: _decoded(v) for k, v in r.items()
                        if not any(word in k.lower() for word in _HIDDEN) or k.lower() == "client_order_id"})
    return out[:limit]


def read_halt(dbs: tuple[Path, ...], keys: frozenset[str]) -> dict[str, Any] | None:
    """The book's kill switch as the executor recorded it (``halted_at``, ``reason``), or None."""
    for db in dbs:
        for r in _matches_book(_query(db, "halts", "SELECT * FROM {table}", ()), keys):
            if "book" in r:
                return {"halted_at": r.get("halted_at"), "reason": r.get("reason")}
    return None


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
