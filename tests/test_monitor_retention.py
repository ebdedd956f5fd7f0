"""Retention of the monitor's history (``alerts.history_days``): a book's ``state_history`` rows
older than the limit are deleted inside the cycle's own transaction, once per hour of cycle
time; newer rows, other books' rows, alerts and the order journal are never touched; the
dashboard reads what is left."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from hedgekit.execution.journal import Journal, journal_path
from hedgekit.monitor.rules import Condition, step
from hedgekit.monitor.runner import Monitor
from hedgekit.monitor.store import connect, prune_history, record_cycle

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "live-book.yaml"
T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
# 90 days before 2026-12-02 06:00 UTC, counted by hand: 30 days back is 2026-11-02 (November has
# 30 days), 60 is 2026-10-03 (October has 31), 90 is 2026-09-03 (September has 30).
CUTOFF_90 = "2026-09-03T06:00:00+00:00"


def _state(at: datetime, tag: str) -> dict:
    return {"ts": at.isoformat(), "nav_usd": 100.0, "cycle": tag, "alerts": 0}


def _drift_event(at: datetime):
    cond = Condition(rule="drift", subject="ETH", value=0.2, threshold=0.05, message="ETH drifts")
    (event,), _ = step([cond], {}, at, 3600.0)
    return event


def _history(conn: sqlite3.Connection, book: str) -> list[str]:
    return [c for (c,) in conn.execute(
        "SELECT json_extract(data_json, '$.cycle') FROM state_history WHERE book = ? ORDER BY ts",
        (book,))]


def _order(cid: str) -> SimpleNamespace:
    return SimpleNamespace(client_order_id=cid, plan_id="p1", account="a", venue="paper",
                           symbol="ETHUSDT", side="sell", contracts=1.0, order_type="market",
                           limit_price=None, reduce_only=False, leg=0, child=0, attempt=0,
                           reason="test", mark=2000.0, notional_usd=2000.0)


# ------------------------------------------------------------------ the store
def test_rows_older_than_the_cutoff_go_and_nothing_else_does(tmp_path):
    journal = Journal(tmp_path)  # the executor's tables in the same file, with an old order
    journal.write_intent("A", _order("hk-old"), T0 - timedelta(days=400))
    journal.halt("A", T0 - timedelta(days=300))
    journal.close()
    conn = connect(tmp_path)
    ages = {"d200": 200, "d91": 91, "d90": 90, "d89": 89}  # days before T0
    for book in ("A", "B"):
        for tag, days in ages.items():
            at = T0 - timedelta(days=days)
            # an alert with each old row: alerts are the audit trail and stay
            record_cycle(conn, book, _state(at, tag), [(_drift_event(at), {})])
    deleted = record_cycle(conn, "A", _state(T0, "now"), [], prune_before=CUTOFF_90)
    assert deleted == 2  # 200 and 91 days old; exactly 90 days old is not older than 90 days
    assert _history(conn, "A") == ["d90", "d89", "now"]
    assert _history(conn, "B") == ["d200", "d91", "d90", "d89"]  # another book: untouched
    assert conn.execute("SELECT count(*) FROM alerts WHERE book = 'A'").fetchone() == (4,)
    assert conn.execute("SELECT count(*) FROM alerts WHERE book = 'B'").fetchone() == (4,)
    conn.close()
    journal = Journal(tmp_path)
    assert [o["client_order_id"] for o in journal.orders("A")] == ["hk-old"]
    assert journal.halted("A") is not None
    journal.close()


def test_the_delete_uses_the_book_ts_index(tmp_path):
    conn = connect(tmp_path)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    for limit in (None, 10):  # the whole range, and a batch of the oldest
        prune_history(conn, "A", CUTOFF_90, limit)
    conn.set_trace_callback(None)
    deletes = [s for s in statements if s.startswith("DELETE")]
    assert len(deletes) == 2
    for sql in deletes:  # the statements as run, values inlined by the trace
        plan = " | ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "INDEX state_history_book_ts (book=? AND ts<?)" in plan, plan  # a range, no scan
        assert "SCAN state_history" not in plan
    conn.close()


def test_a_failure_after_the_delete_keeps_the_old_rows_and_writes_no_new_one(tmp_path):
    conn = connect(tmp_path)
    old = T0 - timedelta(days=120)
    record_cycle(conn, "A", _state(old, "old"), [])
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    event = _drift_event(T0)
    with pytest.raises(sqlite3.IntegrityError):  # the alert row breaks the state CHECK
        record_cycle(conn, "A", _state(T0, "now"), [(event, {}), (replace(event, state="half"), {})],
                     prune_before=CUTOFF_90)
    conn.set_trace_callback(None)
    assert any(s.startswith("DELETE FROM state_history") for s in statements)  # the delete ran
    assert statements.index(next(s for s in statements if s.startswith("DELETE"))) < \
        statements.index(next(s for s in statements if s.startswith("INSERT INTO alerts")))
    assert _history(conn, "A") == ["old"]  # rolled back with the rest of the cycle
    assert conn.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
    conn.close()


def test_prune_history_alone(tmp_path):
    conn = connect(tmp_path)
    for tag, days in (("d100", 100), ("d10", 10)):
        record_cycle(conn, "A", _state(T0 - timedelta(days=days), tag), [])
    assert prune_history(conn, "A", CUTOFF_90) == 1
    assert prune_history(conn, "A", CUTOFF_90) == 0
    assert _history(conn, "A") == ["d10"]
    conn.close()


# ------------------------------------------------------------------ the monitor
def _book(tmp_path: Path, history_days, name: str = "book") -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    doc["alerts"] = {**doc.get("alerts", {}), "history_days": history_days}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _seed(data: Path, book: str, *days: int, now: datetime = T0) -> None:
    conn = connect(data)
    for d in days:
        record_cycle(conn, book, _state(now - timedelta(days=d), f"d{d}"), [])
    conn.close()


def test_the_monitor_prunes_in_its_cycle_then_once_an_hour(tmp_path):
    data = tmp_path / "data"
    mon = Monitor(_book(tmp_path, 30), data_dir=data, environ={})
    _seed(data, mon.key, 45, 31, 29)
    first = mon.cycle(T0)
    assert first is not None and first.pruned == 2  # 45 and 31 days > 30 days before T0
    assert _history(mon._conn, mon.key)[0] == "d29"
    assert len(_history(mon._conn, mon.key)) == 2  # d29 and the cycle's own row
    _seed(data, mon.key, 40)  # an old row appears again (e.g. a clock set back)
    half_hour = mon.cycle(T0 + timedelta(minutes=30))
    assert half_hour is not None and half_hour.pruned == 0  # within the hour: not pruned
    assert "d40" in _history(mon._conn, mon.key)
    an_hour = mon.cycle(T0 + timedelta(hours=1))
    assert an_hour is not None and an_hour.pruned == 1
    assert "d40" not in _history(mon._conn, mon.key)
    mon.close()


def test_a_backlog_goes_oldest_first_one_batch_per_cycle(tmp_path, monkeypatch):
    monkeypatch.setattr("hedgekit.monitor.runner.PRUNE_BATCH", 2)
    data = tmp_path / "data"
    mon = Monitor(_book(tmp_path, 30), data_dir=data, environ={})
    _seed(data, mon.key, 50, 45, 40, 35, 31, 20)
    pruned = []
    for minute in range(4):  # a full batch (2) means more is due: the next cycle prunes again
        result = mon.cycle(T0 + timedelta(minutes=minute))
        assert result is not None
        pruned.append(result.pruned)
        if minute == 0:
            assert _history(mon._conn, mon.key)[:4] == ["d40", "d35", "d31", "d20"]  # oldest went
    assert pruned == [2, 2, 1, 0]  # 5 rows older than 30 days; the 4th cycle is within the hour
    assert _history(mon._conn, mon.key)[0] == "d20"
    mon.close()


def test_prune_now_deletes_the_whole_backlog_batch_by_batch(tmp_path, monkeypatch):
    monkeypatch.setattr("hedgekit.monitor.runner.PRUNE_BATCH", 2)
    data = tmp_path / "data"
    mon = Monitor(_book(tmp_path, 30), data_dir=data, environ={})
    _seed(data, mon.key, 50, 45, 40, 35, 20)
    # 4 rows > 30 days old: two full batches, then an empty one ends the loop
    assert mon.prune(T0) == (4, (T0 - timedelta(days=30)).isoformat())
    assert _history(mon._conn, mon.key) == ["d20"]
    mon.close()


@pytest.mark.parametrize("days", [None, 0])
def test_null_or_zero_keeps_everything(tmp_path, days):
    data = tmp_path / "data"
    mon = Monitor(_book(tmp_path, days), data_dir=data, environ={})
    _seed(data, mon.key, 3650)
    result = mon.cycle(T0)
    assert result is not None and result.pruned == 0
    assert mon.prune(T0) == (0, None)
    assert _history(mon._conn, mon.key)[0] == "d3650"
    mon.close()


def test_the_default_is_90_days(tmp_path):
    data = tmp_path / "data"
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert "history_days" not in doc.get("alerts", {})
    mon = Monitor(EXAMPLE, data_dir=data, environ={})
    assert mon.history_cutoff(T0) == CUTOFF_90
    mon.close()


# ------------------------------------------------------------------ the command line
@pytest.mark.parametrize(("value", "message"), [
    (1.5, "alerts.history_days: must be a whole number (got 1.5)"),
    (-1, "alerts.history_days: must be >= 0 (got -1)"),
    ("90d", "alerts.history_days: must be a whole number (got '90d')"),
])
def test_a_bad_history_days_is_one_line_and_exit_2(run_cli, tmp_path, value, message):
    code, out, err = run_cli("monitor", str(_book(tmp_path, value)), "--once",
                             "--data-dir", str(tmp_path / "data"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not journal_path(tmp_path / "data").exists()  # stopped before anything was written


def test_prune_flag_deletes_now_and_runs_no_cycle(run_cli, tmp_path):
    data = tmp_path / "data"
    book = _book(tmp_path, 7)
    from hedgekit.monitor.store import book_key

    _seed(data, book_key(book), 30, 8, 1, now=datetime.now(UTC))
    code, out, err = run_cli("monitor", str(book), "--prune", "--data-dir", str(data))
    assert code == 0, err
    assert out.startswith("monitor: book: deleted 2 state_history rows older than ")
    conn = connect(data)
    assert _history(conn, book_key(book)) == ["d1"]  # no cycle row was added
    conn.close()
    code, out, err = run_cli("monitor", str(book), "--prune", "--json", "--data-dir", str(data))
    assert code == 0, err
    assert json.loads(out)["pruned"] == 0


# ------------------------------------------------------------------ the dashboard
def test_the_dashboard_history_reads_what_is_left(tmp_path):
    from fastapi.testclient import TestClient

    from hedgekit.web import create_app

    data = tmp_path / "data"
    book = _book(tmp_path, 30)
    mon = Monitor(book, data_dir=data, environ={})
    old = mon.cycle(T0 - timedelta(days=40))  # recorded by a real cycle...
    kept = mon.cycle(T0 - timedelta(days=1))  # ...39 days later more than 30 days old: pruned
    now = mon.cycle(T0)
    mon.close()
    assert old is not None and kept is not None and now is not None
    assert (old.pruned, kept.pruned, now.pruned) == (0, 1, 0)
    app = TestClient(create_app(book, data_dir=data))
    rows = app.get("/api/history").json()["rows"]
    assert [r["ts"] for r in rows] == [kept.state["ts"], now.state["ts"]]
    page = app.get("/history")
    assert page.status_code == 200
    assert kept.state["ts"][:16] in page.text and old.state["ts"][:16] not in page.text
    # the first cycle's alert stays in the audit trail although its state row is gone
    assert len(app.get("/api/alerts").json()["alerts"]) == len(old.events) + len(kept.events) + len(now.events)
