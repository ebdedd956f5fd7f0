"""The monitor's two tables in the journal database (SQLite, WAL; the executor's file,
:func:`hedgekit.execution.journal.journal_path`): ``state_history`` (one row per book per
cycle) and ``alerts`` (one row per message).

The same file holds the order journal, whose tables belong to the executor: this module only
ever creates its own two tables and indexes (``IF NOT EXISTS``) and never drops or alters any.
A cycle's state row and its alert rows are written in one transaction, so a cycle is either
fully recorded or not at all. Retention (``alerts.history_days``) deletes a book's old
``state_history`` rows inside that same transaction; ``alerts`` and the executor's tables are
never deleted from (they are the audit trail).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from hedgekit.execution.ids import book_key as execution_book_key
from hedgekit.execution.journal import JOURNAL_FILE as EXECUTION_JOURNAL_FILE
from hedgekit.execution.journal import journal_path
from hedgekit.monitor.rules import Event, Memory
from hedgekit.monitor.state import COLUMNS

__all__ = ["JOURNAL_FILE", "book_key", "connect", "ensure_tables", "last_state", "load_memory",
           "prune_history", "record_cycle"]

JOURNAL_FILE = EXECUTION_JOURNAL_FILE  # one journal: orders, halts, state history, alerts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state_history (
    book TEXT NOT NULL, ts TEXT NOT NULL, nav_usd REAL, nav_coin REAL, hedge_ratio REAL,
    drift REAL, margin_ratio REAL, liquidation_distance REAL, funding_accrued_usd REAL,
    data_json TEXT);
CREATE INDEX IF NOT EXISTS state_history_book_ts ON state_history (book, ts);
CREATE TABLE IF NOT EXISTS alerts (
    book TEXT NOT NULL, ts TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL,
    message TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('fired', 'recovered')),
    data_json TEXT);
CREATE INDEX IF NOT EXISTS alerts_book_ts ON alerts (book, ts);
"""


def book_key(path: str | Path) -> str:
    """How a book is named in the journal (the executor's id: file stem and path digest)."""
    return execution_book_key(path)


def connect(data_dir: str | Path | None = None) -> sqlite3.Connection:
    """The journal database under the data directory (created if needed), WAL, with the
    monitor's tables. Autocommit off: :func:`record_cycle` commits."""
    path = journal_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=5.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=5000")
    ensure_tables(conn)
    return conn


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create ``state_history`` and ``alerts`` (and their indexes) if they do not exist."""
    conn.executescript(_SCHEMA)
    conn.commit()


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (JSON has none) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json(value: Any) -> str:
    return json.dumps(_finite(value), default=str, allow_nan=False, separators=(",", ":"))


def _delete_history(conn: sqlite3.Connection, book: str, before: str, limit: int | None) -> int:
    """Delete ``book``'s state rows whose ``ts`` is before ``before`` (an ISO time in the rows'
    own format, so text order is time order), the oldest ``limit`` of them when given; no
    commit. A range of the (book, ts) index, oldest first, so what is left is always the
    history from some time on."""
    if limit is None:
        return conn.execute("DELETE FROM state_history WHERE book = ? AND ts < ?",
                            (book, before)).rowcount
    return conn.execute(
        "DELETE FROM state_history WHERE rowid IN (SELECT rowid FROM state_history "
        "WHERE book = ? AND ts < ? ORDER BY ts LIMIT ?)", (book, before, limit)).rowcount


def prune_history(conn: sqlite3.Connection, book: str, before: str, limit: int | None = None) -> int:
    """Delete ``book``'s ``state_history`` rows older than ``before`` (ISO UTC; at most the
    oldest ``limit``) in one transaction; the number deleted. Alerts and every other table are
    left alone."""
    with conn:
        return _delete_history(conn, book, before, limit)


def record_cycle(conn: sqlite3.Connection, book: str, state: Mapping[str, Any],
                 events: Iterable[tuple[Event, Mapping[str, Any]]], *,
                 prune_before: str | None = None, prune_limit: int | None = None) -> int:
    """Append ``state`` and its alert ``events`` (each with what delivery said) in one
    transaction; with ``prune_before`` (ISO UTC), that transaction first deletes ``book``'s
    state rows older than it (at most the oldest ``prune_limit``), so a failure keeps both the
    old rows and no new one. Returns the number of rows deleted."""
    extra = {k: v for k, v in state.items() if k not in COLUMNS and k != "ts"}
    with conn:  # one transaction: commit on success, roll back on any exception
        pruned = 0 if prune_before is None else _delete_history(conn, book, prune_before, prune_limit)
        conn.execute(
            "INSERT INTO state_history (book, ts, " + ", ".join(COLUMNS) + ", data_json) "
            "VALUES (?, ?, " + ", ".join("?" for _ in COLUMNS) + ", ?)",
            (book, state["ts"], *(_finite(state.get(c)) for c in COLUMNS),
             _json(extra)))
        for event, delivery in events:
            data = {**event.to_dict(), "cycle": state.get("cycle"), **delivery}
            conn.execute(
                "INSERT INTO alerts (book, ts, rule, severity, message, state, data_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (book, state["ts"], event.rule, event.severity, event.message, event.state,
                 _json(data)))
    return pruned


def last_state(conn: sqlite3.Connection, book: str) -> dict[str, Any] | None:
    """The last recorded state of ``book`` (columns and data merged), or None."""
    row = conn.execute(
        "SELECT ts, " + ", ".join(COLUMNS) + ", data_json FROM state_history WHERE book = ? "
        "ORDER BY ts DESC, rowid DESC LIMIT 1", (book,)).fetchone()
    if row is None:
        return None
    return {**json.loads(row[-1] or "{}"), "ts": row[0], **dict(zip(COLUMNS, row[1:-1], strict=True))}


def load_memory(conn: sqlite3.Connection, book: str) -> dict[str, Memory]:
    """Per alert key: when it last fired and whether its last message was ``fired``."""
    memory: dict[str, Memory] = {}
    rows = conn.execute("SELECT ts, state, data_json FROM alerts WHERE book = ? ORDER BY ts, rowid",
                        (book,))
    for ts, state, data in rows:
        key = json.loads(data or "{}").get("key")
        if not key:
            continue
        m = memory.get(key, Memory())
        if state == "fired":
            memory[key] = Memory(last_fired=datetime.fromisoformat(ts), notified=True)
        else:
            memory[key] = Memory(last_fired=m.last_fired, notified=False)
    return memory
