"""``hedgekit monitor`` end to end (issue 12): offline on the example book, alerts delivered
through apprise to a local sink, a venue down for three cycles, the lock per book, and
SIGTERM in the middle of a cycle (real subprocesses) leaving the journal consistent."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from notify_sink import Sink
from test_accounts_client import local_binance  # noqa: F401  (the local venue fixture)

from hedgekit.accounts.models import AccountState, MarketState
from hedgekit.live.cache import save_account, save_market
from hedgekit.live.sync import AccountSync, SyncReport
from hedgekit.monitor.runner import Monitor, backoff_seconds
from hedgekit.portfolio import parse_portfolio

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "live-book.yaml"
T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _book(tmp_path: Path, name: str = "book", **changes) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "alerts":
            doc["alerts"] = {**doc["alerts"], **value}
        else:
            doc[key] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "journal.sqlite")


def _alerts(data: Path) -> list[tuple[str, str, dict]]:
    with _db(data) as conn:
        rows = conn.execute("SELECT rule, state, data_json FROM alerts ORDER BY rowid").fetchall()
    return [(r, s, json.loads(d)) for r, s, d in rows]


def _assert_consistent(data: Path) -> int:
    """integrity_check ok, and every recorded cycle complete: its state row says how many
    alerts it sent and exactly those alert rows carry its cycle id. Returns the cycle count."""
    conn = _db(data)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        states = {json.loads(d)["cycle"]: json.loads(d)["alerts"]
                  for (d,) in conn.execute("SELECT data_json FROM state_history")}
        counts: dict[str, int] = {}
        for (d,) in conn.execute("SELECT data_json FROM alerts"):
            cycle = json.loads(d)["cycle"]
            counts[cycle] = counts.get(cycle, 0) + 1
    finally:
        conn.close()
    assert set(counts) <= set(states), "alert rows of a cycle that has no state row"
    assert all(counts.get(c, 0) == n for c, n in states.items()), "a half-recorded cycle"
    return len(states)


# ------------------------------------------------------------------ offline, once
def test_once_offline_on_the_example_book(run_cli, tmp_path):
    data = tmp_path / "data"
    code, out, err = run_cli("monitor", str(EXAMPLE), "--once", "--data-dir", str(data))
    assert code == 0, err
    # NAV = 1,360,000 of holdings - 70,000 (inverse short) + 20,000 (ETH short), see test_monitor_state
    assert "NAV 1,310,000 USD (17.4667 BTC)" in out
    # ETH: 100 held of the 150 target, |-100 + 150| / 150 = 33.3% > the example's 5%
    assert "FIRED warning drift: ETH: hedge held -100 ETH against a target of -150" in out
    assert "[no target]" in out  # no notify URL in the example, none in the environment
    code, out, err = run_cli("monitor", str(EXAMPLE), "--once", "--data-dir", str(data))
    assert code == 0, err
    assert "FIRED" not in out  # still drifting, but within the example's 1h cooldown
    assert _assert_consistent(data) == 2
    assert [(r, s) for r, s, _ in _alerts(data)] == [("drift", "fired")]
    with _db(data) as conn:
        (book,) = conn.execute("SELECT DISTINCT book FROM state_history").fetchone()
    assert book == str(EXAMPLE.resolve())


def test_once_json_prints_the_recorded_state(run_cli, tmp_path):
    code, out, err = run_cli("monitor", str(EXAMPLE), "--once", "--json", "--data-dir", str(tmp_path))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["state"]["drift"] == pytest.approx(50 / 150)
    assert [a["key"] for a in doc["alerts"]] == ["drift:ETH"]


# ------------------------------------------------------------------ apprise
def test_alerts_and_recoveries_reach_apprise_and_are_recorded(tmp_path, capsys):
    data = tmp_path / "data"
    with Sink() as sink:
        url = f"json://hk:s3cretpw@127.0.0.1:{sink.port}/book"
        path = _book(tmp_path, alerts={"notify": [url]})
        env = {"HEDGEKIT_NOTIFY": f"json://127.0.0.1:{sink.port}/env"}
        mon = Monitor(path, data_dir=data, environ=env)
        first = mon.cycle(T0)
        # the ETH hedge is brought to target (150 short): the drift clears
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["positions"][1]["contracts"] = -150
        mon.book = parse_portfolio(doc)
        second = mon.cycle(T0 + timedelta(minutes=1))
        mon.close()
    assert [(e.state, e.key) for e, _ in first.events] == [("fired", "drift:ETH")]
    assert [(e.state, e.key) for e, _ in second.events] == [("recovered", "drift:ETH")]
    # one post per target and message, book URL first
    assert sink.paths == ["/book", "/env", "/book", "/env"]
    assert [(p["title"], p["type"]) for p in sink.posts] == [
        ("hedgekit book: drift fired", "failure"), ("hedgekit book: drift fired", "failure"),
        ("hedgekit book: drift recovered", "success"), ("hedgekit book: drift recovered", "success")]
    assert sink.posts[0]["message"].startswith("ETH: hedge held -100 ETH against a target of -150")
    rows = _alerts(data)
    assert [(r, s, d["delivered"], d["value"]) for r, s, d in rows] == [
        ("drift", "fired", True, pytest.approx(1 / 3)), ("drift", "recovered", True, 0.0)]
    assert sink.posts[2]["message"] == ("recovered: ETH: hedge held -150 ETH against a target of -150 "
                                        "(drift 0.0%, alert above 5.0%)")
    dump = "\n".join(sqlite3.connect(data / "journal.sqlite").iterdump())
    assert "s3cretpw" not in dump + capsys.readouterr().out  # only apprise's redacted URL is kept
    assert _assert_consistent(data) == 2


def test_an_unreachable_target_is_recorded_as_not_delivered(tmp_path):
    with Sink() as sink:
        port = sink.port  # a port that was free, now closed
    path = _book(tmp_path, alerts={"notify": [f"json://127.0.0.1:{port}/"]})
    mon = Monitor(path, data_dir=tmp_path / "data", environ={})
    result = mon.cycle(T0)
    mon.close()
    ((_, delivery),) = result.events
    assert delivery["delivered"] is False and delivery["targets"][0]["ok"] is False
    assert _alerts(tmp_path / "data")[0][2]["delivered"] is False


def test_a_url_apprise_does_not_know_is_one_line_without_the_url(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGEKIT_NOTIFY", "nosuchservice://token-abc123@host")
    code, out, err = run_cli("monitor", str(EXAMPLE), "--once", "--data-dir", str(tmp_path))
    assert code == 2
    assert err == ("error: HEDGEKIT_NOTIFY: not a notification URL apprise understands "
                   "(see https://github.com/caronc/apprise/wiki)\n")
    assert "token-abc123" not in out + err


PAPER = REPO / "examples" / "paper-book.yaml"


def _paper_book(tmp_path: Path) -> Path:
    doc = yaml.safe_load(PAPER.read_text(encoding="utf-8"))
    doc["alerts"] = {"drift": 0.05, "cooldown": "1h"}
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_auto_rebalance_trades_the_drift_through_the_executor_on_the_paper_venue(run_cli, tmp_path):
    book, data = _paper_book(tmp_path), tmp_path / "data"
    code, out, err = run_cli("monitor", str(book), "--once", "--auto-rebalance", "--data-dir", str(data))
    assert code == 0, err
    # nothing held yet: both coins drift 100% (> the book's 5% band), so the executor is asked;
    # 2.5 BTC at 75,000 = 187,500 USD is split in two under max_order_usd 100,000, 40 ETH is one
    assert "FIRED warning drift: BTC" in out and "FIRED warning drift: ETH" in out
    assert "rebalance: executed: 3 order(s)" in out
    assert out.count("[filled") == 3
    code, out, err = run_cli("monitor", str(book), "--once", "--auto-rebalance", "--data-dir", str(data))
    assert code == 0, err
    # the paper account now holds the target: both drifts recover and nothing more is sent
    assert "RECOVERED info drift: recovered: BTC: hedge held -2.5 BTC against a target of -2.5" in out
    assert "RECOVERED info drift: recovered: ETH: hedge held -40 ETH against a target of -40" in out
    assert "rebalance:" not in out
    with _db(data) as conn:
        (last,) = conn.execute("SELECT data_json FROM state_history ORDER BY rowid DESC LIMIT 1").fetchone()
    legs = {(leg["account"], leg["symbol"]): leg for leg in json.loads(last)["legs"]}
    assert legs[("paper", "BTCUSDT")]["contracts"] == 2.5 and legs[("paper", "ETHUSDT")]["contracts"] == 40
    assert legs[("paper", "BTCUSDT")]["liquidation_price"] is not None  # the paper account's cross margin


def test_auto_rebalance_on_a_halted_book_is_refused_and_the_monitor_goes_on(run_cli, tmp_path):
    book, data = _paper_book(tmp_path), tmp_path / "data"
    code, _, err = run_cli("halt", str(book), "--data-dir", str(data))
    assert code == 0, err
    code, out, err = run_cli("monitor", str(book), "--once", "--auto-rebalance", "--data-dir", str(data))
    assert code == 0
    assert err.startswith("monitor: rebalance refused: BOOK: ") and " is halted since " in err
    assert "FIRED warning drift: BTC" in out and "rebalance:" not in out
    code, out, _ = run_cli("orders", str(book), "--data-dir", str(data))
    assert out.startswith("no orders in the journal")


# ------------------------------------------------------------------ a venue that is down
def test_a_venue_down_for_three_cycles_alerts_and_the_others_keep_syncing(tmp_path):
    data = tmp_path / "data"
    path = _book(tmp_path, positions=None, accounts=[
        {"name": "a", "venue": "binance-usdm", "key_env": "A"},
        {"name": "b", "venue": "bybit-linear", "key_env": "B"}],
        alerts={"stale_after": None, "drift": None})
    calls: list[tuple[str, ...]] = []
    down = {"b"}

    def sync(book, *, data_dir, now, progress=None, **_):
        calls.append(tuple(a.name for a in book.accounts))
        results = []
        for cfg in book.accounts:
            if cfg.name in down:
                results.append(AccountSync(account=cfg.name, venue=cfg.venue, ok=False,
                                           error=f"{cfg.venue}: 503 Service Unavailable",
                                           error_kind="unavailable"))
                continue
            save_market(MarketState(venue=cfg.venue, as_of=now), data_dir)
            save_account(AccountState(account=cfg.name, venue=cfg.venue, as_of=now), data_dir)
            results.append(AccountSync(account=cfg.name, venue=cfg.venue, ok=True, as_of=now))
        return SyncReport(as_of=now, accounts=tuple(results))

    mon = Monitor(path, data_dir=data, every=60.0, sync=sync, environ={})
    # back-off after k failures in a row: 60 * 2**(k-1) seconds
    assert [backoff_seconds(60.0, k) for k in (1, 2, 3)] == [60.0, 120.0, 240.0]
    timeline = {}
    for minute in (0, 1, 2, 3, 4, 7):
        if minute == 7:
            down.clear()  # the venue is back
        result = mon.cycle(T0 + timedelta(minutes=minute))
        timeline[minute] = [(e.state, e.key) for e, _ in result.events]
    mon.close()
    # b is tried at 0 (fails, next try +1 min), 1 (fails, +2 min), 3 (fails, +4 min: 7);
    # at 2 and 4 it waits; a is synced every cycle
    assert calls == [("a", "b"), ("a", "b"), ("a",), ("a", "b"), ("a",), ("a", "b")]
    assert timeline == {0: [], 1: [], 2: [], 3: [("fired", "sync_failures:account b")], 4: [],
                        7: [("recovered", "sync_failures:account b")]}
    (_, _, fired), (_, _, recovered) = _alerts(data)
    assert fired["message"].startswith("account b: 3 syncs in a row failed (bybit-linear: 503 "
                                       "Service Unavailable)")
    assert recovered["message"] == f"recovered: account b: synced ({(T0 + timedelta(minutes=7)).isoformat()})"
    assert _assert_consistent(data) == 6


# ------------------------------------------------------------------ real processes
def _env(data: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    env["HEDGEKIT_DATA_DIR"] = str(data)
    env.pop("HEDGEKIT_NOTIFY", None)
    return env


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _rows(data: Path) -> int:
    try:
        with _db(data) as conn:
            return conn.execute("SELECT count(*) FROM state_history").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_a_second_monitor_of_the_same_book_is_refused(run_cli, tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "hedgekit", "monitor", str(EXAMPLE), "--every", "1h"],
                            env=_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _rows(data) >= 1 or proc.poll() is not None)
        assert proc.poll() is None
        code, out, err = run_cli("monitor", str(EXAMPLE), "--once", "--data-dir", str(data))
        assert code == 2 and out == ""
        assert err.startswith(f"error: BOOK: another hedgekit monitor is running on this book (pid {proc.pid}; ")
        assert err.count("\n") == 1
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert stderr == "monitor: stopped (SIGTERM) after 1 recorded cycles\n"
    # the lock went with the process: the next monitor runs
    code, _, err = run_cli("monitor", str(EXAMPLE), "--once", "--data-dir", str(data))
    assert code == 0, err


# A monitor whose sync and notifier are slow (0.3 s each, marking where they are), cycling as
# fast as it can; its two typed-in legs fire the liquidation rule every cycle (threshold 0.9,
# cooldown 1 ms), so each cycle records one state row and two alert rows.
_SLOW_MONITOR = """
import sys, time
from pathlib import Path
from hedgekit.live.sync import AccountSync, SyncReport
from hedgekit.monitor.runner import Monitor

book, marks = sys.argv[1], Path(sys.argv[2])
n = {"sync": 0, "send": 0}

def sync(book, *, now, **_):
    n["sync"] += 1
    (marks / f"sync-{n['sync']}").touch()
    time.sleep(0.3)
    return SyncReport(as_of=now, accounts=(AccountSync(account="a", venue="binance-usdm", ok=True),))

class SlowNotifier:
    def __len__(self):
        return 1
    def send(self, title, body, state):
        n["send"] += 1
        (marks / f"send-{n['send']}").touch()
        time.sleep(0.3)
        return {"delivered": True, "targets": []}

sys.exit(Monitor(book, every=0.01, sync=sync, notifier=SlowNotifier()).run())
"""


@pytest.mark.parametrize(("mark", "signals", "code", "cycles"), [
    ("sync-3", 1, 0, 2),   # stopped while syncing: cycle 3 is abandoned whole
    ("send-5", 1, 0, 3),   # stopped while sending cycle 3's first alert: cycle 3 is finished
    ("send-5", 2, 130, 2),  # a second signal aborts at once: cycle 3 is not recorded at all
])
def test_sigterm_mid_cycle_leaves_the_journal_consistent(tmp_path, mark, signals, code, cycles):
    data, marks = tmp_path / "data", tmp_path / "marks"
    marks.mkdir()
    path = _book(tmp_path, accounts=[{"name": "a", "venue": "binance-usdm", "key_env": "A"}],
                 alerts={"liquidation_distance": 0.9, "cooldown": 0.001, "drift": None,
                         "stale_after": None})
    script = tmp_path / "slow_monitor.py"
    script.write_text(_SLOW_MONITOR, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(marks)], env=_env(data),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: (marks / mark).exists() or proc.poll() is not None)
        # a second signal is SIGINT: two pending SIGTERMs would be delivered as one
        for sig in (signal.SIGTERM, signal.SIGINT)[:signals]:
            os.kill(proc.pid, sig)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert _assert_consistent(data) == cycles
    assert len(_alerts(data)) == 2 * cycles


# ------------------------------------------------------------------ a synced account
def test_once_on_a_synced_account(run_cli, tmp_path, local_binance, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SRV_API_KEY", "srv-key")
    monkeypatch.setenv("SRV_API_SECRET", "srv-secret")
    path = tmp_path / "book.yaml"
    path.write_text(
        "holdings:\n  - {asset: BTC, amount: 0.003}\n  - {asset: ETH, amount: 0.5}\n"
        "hedge: {venues: [binance-usdm], leverage: 2}\n"
        f"accounts:\n  - {{name: main, venue: binance-usdm, key_env: SRV, api_url: '{local_binance}'}}\n"
        "alerts: {liquidation_distance: 0.3, stale_after: 5m}\n")
    code, out, err = run_cli("monitor", str(path), "--once", "--json", "--data-dir", str(tmp_path / "data"))
    assert code == 0, err
    state = json.loads(out)["state"]
    legs = {(leg["symbol"], leg["side"]): leg for leg in state["legs"]}
    # the docs bodies (fixtures/venues/binance-usdm, see tests/test_live_book.py): ETHUSDT short
    # 0.5 at 1,200, mark 1,150, isolated wallet 120; the venue says liquidation at 1,420.15,
    # hedgekit's formula 1,430.70: the nearer one is watched
    eth = legs[("ETHUSDT", "short")]
    assert eth["liquidation_price"] == 1420.15
    assert eth["liquidation_distance"] == pytest.approx((1420.15 - 1150) / 1150)
    # maintenance 0.5 * 1,150 * 0.65% (bracket 1) over the position's margin 120 + PnL 25
    assert eth["margin_ratio"] == pytest.approx(0.5 * 1150 * 0.0065 / (120 + 0.5 * (1200 - 1150)))
    # cross BTCUSDT (hedge mode, long 0.001 and short 0.002, mark 21,123.05052574): maintenance
    # 0.003 * mark * 0.4% over the USDT wallet 23.72469206 plus both PnLs
    mark = 21123.05052574
    equity = 23.72469206 + 0.001 * (mark - 22185.2) - 0.002 * (mark - 22000.0)
    for side in ("long", "short"):  # one cross account: one ratio for both
        assert legs[("BTCUSDT", side)]["margin_ratio"] == pytest.approx(0.003 * mark * 0.004 / equity, rel=1e-6)
    # BTC: target 0.003 short, held 0.001 - 0.002 = -0.001: drift 2/3
    assert state["coins"]["BTC"]["drift"] == pytest.approx(2 / 3)
    assert state["accounts"]["main"]["ok"] is True and state["accounts"]["main"]["failures"] == 0
    alerts = [(a["rule"], a["subject"]) for a in json.loads(out)["alerts"]]
    # 1,420.15 is 23.5% from the mark and the long's 19,731.46 (venue) 6.6%: both under 30%;
    # the bodies' marks date from 2020: stale; the account snapshot was just taken: fresh
    assert sorted(alerts) == [("liquidation_distance", "main BTCUSDT@binance-usdm long"),
                              ("liquidation_distance", "main ETHUSDT@binance-usdm short"),
                              ("stale_after", "price BTC"), ("stale_after", "price ETH")]
    assert "srv-secret" not in out + err


def test_a_failing_cycle_after_the_first_is_reported_and_the_monitor_goes_on(tmp_path, capsys):
    from hedgekit.errors import DataError

    path = _book(tmp_path, accounts=[{"name": "a", "venue": "binance-usdm", "key_env": "A"}])
    calls = []

    def sync(book, *, now, **_):
        calls.append(now)
        if len(calls) == 2:
            raise DataError("binance-usdm: an answer that does not parse")
        return SyncReport(as_of=now, accounts=(AccountSync(account="a", venue="binance-usdm", ok=True),))

    mon = Monitor(path, data_dir=tmp_path / "data", every=0.01, sync=sync, environ={})
    assert mon.run(max_cycles=2) == 0
    mon.close()
    assert len(calls) == 3  # recorded, failed, recorded
    err = capsys.readouterr().err
    assert err == ("monitor: cycle failed, next one in 0.01s: binance-usdm: an answer that does not "
                   "parse\n")
    assert _assert_consistent(tmp_path / "data") == 2


def test_readme_monitor_section_runs_as_written(run_cli, tmp_path, monkeypatch):
    import contextlib
    import io

    monkeypatch.chdir(REPO)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("<!-- BEGIN monitor -->"):readme.index("<!-- END monitor -->")]
    # the example run: the same lines, the cycle's time aside
    shown = section[section.index("$ hedgekit monitor examples/live-book.yaml --once\n"):]
    shown = shown[shown.index("\n") + 1:shown.index("```")].splitlines()
    code, out, err = run_cli("monitor", "examples/live-book.yaml", "--once", "--data-dir", str(tmp_path / "a"))
    assert code == 0, err
    def untimed(lines):
        return [re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", "", line) for line in lines]

    assert untimed(out.splitlines()) == untimed(shown)
    assert untimed(shown)[0].startswith("live-book: NAV")
    # the Python snippet prints the comment line after it
    snippet = section[section.index("```python") + len("```python"):]
    snippet = snippet[:snippet.index("```")]
    expected = next(line[2:] for line in snippet.splitlines() if line.startswith("# "))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet.replace('"/tmp/hk"', repr(str(tmp_path / "b"))), "README monitor", "exec"), {})
    assert printed.getvalue().strip() == expected


def test_the_dashboard_shows_what_the_monitor_recorded(run_cli, tmp_path):
    from fastapi.testclient import TestClient

    from hedgekit.web import create_app

    data = tmp_path / "data"
    code, out, err = run_cli("monitor", str(EXAMPLE), "--once", "--json", "--data-dir", str(data))
    assert code == 0, err
    recorded = json.loads(out)
    app = TestClient(create_app(EXAMPLE, data_dir=data))
    (row,) = app.get("/api/history").json()["rows"]
    for column in ("ts", "nav_usd", "nav_coin", "hedge_ratio", "drift", "margin_ratio",
                   "liquidation_distance", "funding_accrued_usd"):
        assert row[column] == recorded["state"][column]
    (alert,) = app.get("/api/alerts").json()["alerts"]
    assert (alert["rule"], alert["state"], alert["message"]) == (
        "drift", "fired", recorded["alerts"][0]["message"])
