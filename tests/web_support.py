"""Helpers of the dashboard tests: a journal with the monitor's and the executor's tables, and
the dashboard served by uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import json
import math
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIVE_BOOK = REPO / "examples" / "live-book.yaml"

# the tables as agreed with the monitor (notes: state_history / alerts in <data dir>/journal.sqlite)
HISTORY_DDL = """CREATE TABLE state_history (book TEXT, ts TEXT, nav_usd REAL, nav_coin REAL,
    hedge_ratio REAL, drift REAL, margin_ratio REAL, liquidation_distance REAL,
    funding_accrued_usd REAL, data_json TEXT)"""
ALERTS_DDL = """CREATE TABLE alerts (book TEXT, ts TEXT, rule TEXT, severity TEXT, message TEXT,
    state TEXT, data_json TEXT)"""
ORDERS_DDL = """CREATE TABLE orders (client_order_id TEXT, book TEXT, venue TEXT, symbol TEXT,
    side TEXT, contracts REAL, status TEXT, created_at TEXT, api_key TEXT)"""


def history_rows(book: str, n: int = 48, start: datetime | None = None) -> list[tuple]:
    """``n`` hourly states of a made-up book: a NAV swinging around 1.31 M USD, a hedge ratio
    drifting down from 100% and funding accruing 14 USD an hour."""
    t0 = start or datetime(2026, 11, 30, tzinfo=UTC)
    rows = []
    for i in range(n):
        ratio = 1.0 - 0.002 * i
        rows.append((book, (t0 + timedelta(hours=i)).isoformat(), 1_310_000 + 5_000 * math.sin(i / 6),
                     17.4 + 0.05 * math.cos(i / 6), ratio, ratio - 1.0, 0.0102, 0.49, 14.0 * i,
                     json.dumps({"cycle": i})))
    return rows


def write_journal(db: Path, book: str, *, history: int = 48, alerts: bool = True,
                  orders: bool = True) -> None:
    with closing(sqlite3.connect(db)) as con, con:
        if history:
            con.execute(HISTORY_DDL)
            con.executemany("INSERT INTO state_history VALUES (?,?,?,?,?,?,?,?,?,?)",
                            history_rows(book, history))
        if alerts:
            con.execute(ALERTS_DDL)
            con.executemany("INSERT INTO alerts VALUES (?,?,?,?,?,?,?)", [
                (book, "2026-11-30T10:00:00+00:00", "drift", "warning",
                 "ETH hedge drifted 33.3% below target (band 5%)", "fired", "{}"),
                (book, "2026-11-30T12:00:00+00:00", "drift", "info", "ETH hedge back in band", "recovered", "{}"),
                ("/other/book.yaml", "2026-11-30T11:00:00+00:00", "margin_ratio", "critical",
                 "another book's alert", "fired", "{}")])
        if orders:
            con.execute(ORDERS_DDL)
            con.execute("INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?)",
                        ("hk-0001", book, "binance-usdm", "ETHUSDT", "sell", 50.0, "filled",
                         "2026-11-30T12:05:00+00:00", "never-shown-key"))


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) while the block runs; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
