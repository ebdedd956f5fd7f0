"""The monitor's tables share journal.sqlite with the order journal: created idempotently,
never touching another table; a cycle is one transaction; the alert memory read back from the
table is what the rules' state machine kept."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hedgekit.monitor.rules import Condition, Memory, step
from hedgekit.monitor.store import connect, ensure_tables, last_state, load_memory, record_cycle

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_tables_are_created_beside_others_and_nothing_else_is_touched(tmp_path):
    db = tmp_path / "journal.sqlite"
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE orders (client_order_id TEXT PRIMARY KEY, status TEXT)")
    other.execute("INSERT INTO orders VALUES ('hk1', 'filled')")
    other.commit()
    other.close()
    conn = connect(tmp_path)
    ensure_tables(conn)  # a second time: nothing changes
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"orders", "state_history", "alerts"}
    assert conn.execute("SELECT * FROM orders").fetchall() == [("hk1", "filled")]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def _state(minutes: int, **extra):
    return {"ts": (T0 + timedelta(minutes=minutes)).isoformat(), "nav_usd": 100.0, "drift": 0.2,
            "cycle": f"c{minutes}", "alerts": 1, "legs": [], **extra}


def test_a_failed_cycle_writes_nothing(tmp_path):
    conn = connect(tmp_path)
    cond = Condition(rule="drift", subject="ETH", value=0.2, threshold=0.05, message="ETH drifts")
    (event,), _ = step([cond], {}, T0, 3600.0)
    with pytest.raises(sqlite3.IntegrityError):  # the alert row breaks a constraint: all rolled back
        record_cycle(conn, "book", _state(0), [(event, {"delivered": True}),
                                               (replace(event, state="half"), {})])
    assert conn.execute("SELECT count(*) FROM state_history").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
    conn.close()


def test_state_and_memory_read_back_as_recorded(tmp_path):
    conn = connect(tmp_path)
    cond = Condition(rule="drift", subject="ETH", value=0.2, threshold=0.05, message="ETH drifts")
    memory: dict[str, Memory] = {}
    for minute, holds in ((0, True), (5, False), (10, True)):
        now = T0 + timedelta(minutes=minute)
        events, memory = step([replace(cond, holds=holds)], memory, now, 3600.0)
        record_cycle(conn, "book", _state(minute, alerts=len(events)), [(e, {}) for e in events])
        # what the next run would read back is what this one keeps
        assert load_memory(conn, "book") == memory
    # fired at 0, recovered at 5, back at 10 within the hour: silent, nothing owed
    assert memory == {"drift:ETH": Memory(last_fired=T0, notified=False)}
    last = last_state(conn, "book")
    assert (last["ts"], last["cycle"], last["nav_usd"], last["drift"]) == (
        (T0 + timedelta(minutes=10)).isoformat(), "c10", 100.0, 0.2)
    assert last_state(conn, "another book") is None
    conn.close()
