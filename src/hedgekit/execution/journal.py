"""The order journal: one SQLite file in WAL mode under the data directory
(``execution/journal.sqlite3``).

Every order is written as an *intent* and committed before it is sent; the venue's answer
updates the same row (``open``, ``partially_filled``, ``filled``, ``canceled``, ``rejected``,
``expired``, with the venue's message), and every change is appended to ``order_events``. An
order whose outcome is not known (``intent``, ``unknown`` after a timeout, or still open) is
*pending*: the executor reconciles it with the venue on the next start before planning. The
kill switch (``halts``) lives here too. Commits are durable (``synchronous=FULL``), so a
``kill -9`` loses at most the statement being written, never a committed intent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hedgekit._paths import resolve_data_dir
from hedgekit.execution._seam import FINAL

__all__ = ["JOURNAL_FILE", "Journal", "connect", "journal_path"]

JOURNAL_FILE = "journal.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders(
  client_order_id TEXT PRIMARY KEY,
  book TEXT NOT NULL, plan_id TEXT NOT NULL, account TEXT NOT NULL, venue TEXT NOT NULL,
  symbol TEXT NOT NULL, side TEXT NOT NULL, contracts REAL NOT NULL, order_type TEXT NOT NULL,
  limit_price REAL, reduce_only INTEGER NOT NULL, leg INTEGER NOT NULL, child INTEGER NOT NULL,
  attempt INTEGER NOT NULL, reason TEXT, mark REAL, notional_usd REAL NOT NULL,
  status TEXT NOT NULL, filled_contracts REAL NOT NULL DEFAULT 0, average_price REAL, fee REAL,
  fee_currency TEXT, message TEXT, venue_order_id TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_book ON orders(book, created_at);
CREATE INDEX IF NOT EXISTS orders_account ON orders(account, created_at);
CREATE TABLE IF NOT EXISTS order_events(
  id INTEGER PRIMARY KEY AUTOINCREMENT, client_order_id TEXT NOT NULL, at TEXT NOT NULL,
  status TEXT NOT NULL, filled_contracts REAL, message TEXT);
CREATE TABLE IF NOT EXISTS halts(book TEXT PRIMARY KEY, halted_at TEXT NOT NULL, reason TEXT);
"""

_RESULT_FIELDS = ("status", "filled_contracts", "average_price", "fee", "fee_currency", "message",
                  "venue_order_id")


def _plain(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    if "reduce_only" in out:
        out["reduce_only"] = bool(out["reduce_only"])
    return out


def journal_path(data_dir: str | Path | None = None) -> Path:
    return resolve_data_dir(data_dir) / "execution" / JOURNAL_FILE


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, durable commits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` when the block raises)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Journal:
    """The order journal of a data directory (created on first use)."""

    def __init__(self, data_dir: str | Path | None = None, *, path: Path | None = None):
        self.path = path or journal_path(data_dir)
        self.conn = connect(self.path)
        self.conn.executescript(_SCHEMA)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------ orders
    def write_intent(self, book: str, order: Any, now: datetime) -> None:
        """Commit ``order`` (a :class:`~hedgekit.execution.guards.Order`) as an intent."""
        at = now.isoformat()
        with transaction(self.conn) as c:
            c.execute(
                "INSERT INTO orders(client_order_id, book, plan_id, account, venue, symbol, side,"
                " contracts, order_type, limit_price, reduce_only, leg, child, attempt, reason,"
                " mark, notional_usd, status, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'intent',?,?)",
                (order.client_order_id, book, order.plan_id, order.account, order.venue,
                 order.symbol, order.side, order.contracts, order.order_type, order.limit_price,
                 int(order.reduce_only), order.leg, order.child, order.attempt, order.reason,
                 order.mark, order.notional_usd, at, at))
            self._event(c, order.client_order_id, at, "intent", 0.0, None)

    def record(self, client_order_id: str, now: datetime, **fields: Any) -> None:
        """Update an order from the venue's answer (``status``, ``filled_contracts``,
        ``average_price``, ``fee``, ``fee_currency``, ``message``, ``venue_order_id``)."""
        fields = {k: v for k, v in fields.items() if k in _RESULT_FIELDS and v is not None}
        at = now.isoformat()
        sets = "".join(f"{k} = ?, " for k in fields)
        with transaction(self.conn) as c:
            c.execute(f"UPDATE orders SET {sets}updated_at = ? WHERE client_order_id = ?",
                      (*fields.values(), at, client_order_id))
            self._event(c, client_order_id, at, fields.get("status", "update"),
                        fields.get("filled_contracts"), fields.get("message"))

    def record_result(self, result: Any, now: datetime) -> None:
        """Update an order from an ``OrderResult``."""
        self.record(result.client_order_id, now, status=result.status,
                    filled_contracts=result.filled_contracts, average_price=result.average_price,
                    fee=result.fee, fee_currency=result.fee_currency, message=result.message,
                    venue_order_id=result.venue_order_id)

    @staticmethod
    def _event(c: sqlite3.Connection, cid: str, at: str, status: str, filled: float | None,
               message: str | None) -> None:
        c.execute("INSERT INTO order_events(client_order_id, at, status, filled_contracts, message)"
                  " VALUES (?,?,?,?,?)", (cid, at, status, filled, message))

    def find(self, client_order_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM orders WHERE client_order_id = ?",
                                (client_order_id,)).fetchone()
        return None if row is None else _plain(row)

    def pending(self, book: str) -> list[dict[str, Any]]:
        """The book's orders whose outcome is not final, oldest first."""
        marks = ",".join("?" * len(FINAL))
        rows = self.conn.execute(f"SELECT * FROM orders WHERE book = ? AND status NOT IN ({marks})"
                                 " ORDER BY created_at, client_order_id", (book, *sorted(FINAL)))
        return [_plain(r) for r in rows]

    def orders(self, book: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """The book's orders created at or after ``since``, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM orders WHERE book = ? AND created_at >= ? ORDER BY created_at, client_order_id",
            (book, "" if since is None else since.isoformat()))
        return [_plain(r) for r in rows]

    def events(self, client_order_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM order_events WHERE client_order_id = ? ORDER BY id",
                                 (client_order_id,))
        return [dict(r) for r in rows]

    def sent_usd(self, account: str, now: datetime, window: timedelta = timedelta(hours=24)) -> float:
        """USD notional ``account`` sent over ``window`` before ``now``: open and pending orders
        at their size, filled parts of cancelled ones; rejected and never-filled ones count 0."""
        total = 0.0
        rows = self.conn.execute(
            "SELECT status, contracts, filled_contracts, notional_usd FROM orders"
            " WHERE account = ? AND created_at >= ?", (account, (now - window).isoformat()))
        for r in rows:
            if r["status"] == "rejected":
                continue
            if r["status"] in ("canceled", "expired"):
                total += r["notional_usd"] * (r["filled_contracts"] / r["contracts"])
            else:
                total += r["notional_usd"]
        return total

    # ------------------------------------------------------------ kill switch
    def halted(self, book: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM halts WHERE book = ?", (book,)).fetchone()
        return None if row is None else dict(row)

    def halt(self, book: str, now: datetime, reason: str = "halted by the user") -> None:
        with transaction(self.conn) as c:
            c.execute("INSERT OR REPLACE INTO halts(book, halted_at, reason) VALUES (?,?,?)",
                      (book, now.isoformat(), reason))

    def resume(self, book: str) -> bool:
        with transaction(self.conn) as c:
            return c.execute("DELETE FROM halts WHERE book = ?", (book,)).rowcount > 0
