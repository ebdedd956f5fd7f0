"""The dashboard through its ASGI app (no browser): the numbers of ``/api/status`` derived by hand
for examples/live-book.yaml, the journal readers, access rules, secrets, actions, the cache."""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from hedgekit.errors import InputError
from hedgekit.venues import get_venue
from hedgekit.web import create_app
from hedgekit.web.app import WRONG_TOKEN_DELAY_SECONDS
from hedgekit.web.journal import book_key, read_alerts, read_halt, read_orders, read_state_history
from hedgekit.web.security import check_bind
from tests.web_support import LIVE_BOOK, write_journal

PAGES = ("/", "/history", "/activity", "/plan", "/reports")
APIS = ("/api/status", "/api/history", "/api/alerts", "/api/orders")
TOKEN = "tok-" + "7f3a9c1e5b" * 3


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def client(data: Path, **kw) -> TestClient:
    return TestClient(create_app(LIVE_BOOK, data_dir=data, **kw))


# ---------------------------------------------------------------- the numbers of "now"

def test_status_of_the_live_book_example(data):
    s = client(data).get("/api/status").json()
    # holdings at the book's prices: 10 BTC x 75,000 + 150 ETH x 2,400 + 250,000 USDC
    holdings = 10 * 75_000 + 150 * 2_400 + 250_000
    # inverse short of N = 6,800 x 100 USD opened at 68,000: the short holds N USD priced in BTC,
    # N/68,000 BTC when opened and N/75,000 BTC now, so it made N/75,000 - N/68,000 BTC, valued
    # at the mark; linear short of 100 ETH opened at 2,600: -100 x (2,400 - 2,600)
    btc_pnl_usd = (680_000 / 75_000 - 680_000 / 68_000) * 75_000
    eth_pnl_usd = -100 * (2_400 - 2_600)
    assert s["nav"]["holdings_usd"] == pytest.approx(holdings)
    assert s["nav"]["hedge_pnl_usd"] == pytest.approx(btc_pnl_usd + eth_pnl_usd)
    nav = holdings + btc_pnl_usd + eth_pnl_usd
    assert s["nav"]["usd"] == pytest.approx(nav)
    assert s["nav"]["coin_asset"] == "BTC" and s["nav"]["coin"] == pytest.approx(nav / 75_000)

    exposure = {e["asset"]: e for e in s["exposures"]}
    # the inverse short's delta is face / entry = 680,000 / 68,000 = 10 BTC: the BTC is fully hedged
    assert exposure["BTC"]["hedge_held_usd"] == pytest.approx(680_000 / 68_000 * 75_000)
    assert exposure["BTC"]["hedge_ratio_held"] == pytest.approx(1.0)
    assert exposure["ETH"]["hedge_held_usd"] == pytest.approx(100 * 2_400)
    assert exposure["ETH"]["net_delta_usd"] == pytest.approx(50 * 2_400)
    assert s["summary"]["hedge_ratio_held"] == pytest.approx((750_000 + 240_000) / (750_000 + 360_000))

    legs = {leg["symbol"]: leg for leg in s["legs"]}
    eth = legs["ETHUSDT"]
    # ratio 1 x 150 ETH of exposure, 1 ETH per contract: target -150, held -100
    assert eth["target_contracts"] == pytest.approx(-150) and eth["held_contracts"] == pytest.approx(-100)
    assert eth["drift"] == pytest.approx((100 - 150) / 150) and eth["in_band"] is False
    assert legs["BTCUSDT"]["drift"] == pytest.approx(0.0) and legs["BTCUSDT"]["in_band"] is True
    assert s["summary"]["max_drift"] == pytest.approx(1 / 3)
    # funding: the default 0.01% per 8 h, three settlements a day, received by a short
    assert eth["funding_per_day_usd"] == pytest.approx(150 * 2_400 * 0.0001 * 3)
    assert eth["funding_apr"] == pytest.approx(0.0001 * 3 * 365)
    assert s["summary"]["funding_per_day_usd"] == pytest.approx((750_000 + 360_000) * 0.0001 * 3)
    for leg in s["legs"]:
        # distance of the planned liquidation price from the mark, as a fraction
        assert leg["liquidation_distance"] == pytest.approx(
            abs(leg["liquidation_price"] - leg["price"]) / leg["price"])
        # margin posted at the book's 2x: notional / 2, plus the venue's taker fee of closing
        notional = abs(leg["target_contracts"]) * leg["price"]
        fee = get_venue(leg["venue"]).taker_fee * notional
        assert leg["margin_posted_usd"] == pytest.approx(notional / 2 + fee)
        assert leg["margin_ratio"] == pytest.approx(leg["maintenance_margin_usd"] / leg["margin_posted_usd"])
        assert 0 < leg["margin_ratio"] < 1
    assert s["margin"]["ratio"] == pytest.approx(
        sum(x["maintenance_margin_usd"] for x in s["legs"]) / sum(x["margin_posted_usd"] for x in s["legs"]))
    assert [t["symbol"] for t in s["trades"]] == ["ETHUSDT"]


def test_now_page_shows_the_numbers_formatted(data):
    page = client(data).get("/").text
    assert "1,310,000 USD" in page              # NAV with separators
    assert "-33.3%" in page                     # ETH leg's drift
    assert "89.2%" in page                      # held hedge ratio 990,000 / 1,110,000
    for panel in ("panel-kpis", "panel-exposure", "panel-legs", "panel-gauges"):
        assert f'id="{panel}"' in page
    assert page.count('class="chart gauge"') == 2
    assert 'src="/static/plotly.min.js"' in page and "cdn" not in page.lower()


def test_a_book_that_cannot_be_planned_shows_why(data, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("holdings: [{asset: BTC, amount: -1}]\n")
    c = TestClient(create_app(bad, data_dir=data))
    s = c.get("/api/status").json()
    assert "holdings[0].amount" in s["error"]
    assert "cannot be planned" in c.get("/").text and c.get("/plan").status_code == 200


# ---------------------------------------------------------------- journal: history, alerts, orders

def test_no_journal_means_no_history_yet(data):
    c = client(data)
    assert c.get("/api/history").json()["rows"] == []
    assert "No history yet" in c.get("/history").text
    assert c.get("/api/alerts").json()["alerts"] == [] and c.get("/api/orders").json()["orders"] == []
    page = c.get("/activity").text
    assert "No alerts yet" in page and "No orders yet" in page


def test_a_journal_without_the_tables_is_no_history_either(data):
    (data / "execution").mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(data / "execution" / "journal.sqlite3")) as con:
        con.execute("CREATE TABLE something_else (x)")
    assert read_state_history(data / "execution" / "journal.sqlite3", book_key(LIVE_BOOK)) == []
    assert read_alerts(data / "execution" / "journal.sqlite3", book_key(LIVE_BOOK)) == []
    assert read_orders(data / "execution" / "journal.sqlite3", book_key(LIVE_BOOK)) == []
    assert read_halt(data / "execution" / "journal.sqlite3", book_key(LIVE_BOOK)) is None


def test_history_alerts_and_orders_of_this_book_only(data):
    write_journal(data / "execution" / "journal.sqlite3", book_key(LIVE_BOOK), history=30)
    with closing(sqlite3.connect(data / "execution" / "journal.sqlite3")) as con, con:
        con.execute("INSERT INTO state_history (book, ts, nav_usd) VALUES ('/other.yaml', "
                    "'2026-12-01T00:00:00+00:00', 1)")
    c = client(data)
    rows = c.get("/api/history").json()["rows"]
    assert len(rows) == 30 and [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)
    assert rows[-1]["funding_accrued_usd"] == pytest.approx(14.0 * 29)
    page = c.get("/history").text
    for chart in ("chart-nav", "chart-hedge-ratio", "chart-funding", "chart-drift"):
        assert f'id="{chart}"' in page
    alerts = c.get("/api/alerts").json()["alerts"]
    assert [a["state"] for a in alerts] == ["recovered", "fired"]  # newest first, other book left out
    orders = c.get("/api/orders").json()["orders"]
    assert orders[0]["client_order_id"] == "hk-0001" and "api_key" not in orders[0]
    activity = c.get("/activity").text
    assert "ETH hedge drifted" in activity and "hk-0001" in activity
    assert "another book" not in activity and "never-shown-key" not in activity


def test_a_busy_other_book_does_not_crowd_this_books_history_out(data):
    """Several books share one journal: the newest rows of the journal may all be another book's;
    the dashboard still shows this book's own newest rows (filtered in SQL, not after a LIMIT)."""
    db = data / "execution" / "journal.sqlite3"
    write_journal(db, book_key(LIVE_BOOK), history=30)
    with closing(sqlite3.connect(db)) as con, con:
        con.executemany("INSERT INTO state_history (book, ts, nav_usd) VALUES ('/other.yaml', ?, 1)",
                        [(f"2027-01-01T00:{m // 60:02d}:{m % 60:02d}+00:00",) for m in range(3000)])
    rows = read_state_history(db, book_key(LIVE_BOOK), limit=2000)
    assert len(rows) == 30 and all(r["nav_usd"] != 1 for r in rows)
    assert len(client(data).get("/api/history").json()["rows"]) == 30


def test_orders_and_halt_from_the_executors_own_journal(data):
    # the executor may keep its journal apart (<data dir>/execution/journal.sqlite3) and name the
    # book its own way; a halt there is shown on the main page
    (data / "execution").mkdir()
    other_key = "live-book-" + "0" * 6  # a book of the same file name elsewhere
    keys = [book_key(LIVE_BOOK)]
    with closing(sqlite3.connect(data / "execution" / "journal.sqlite3")) as con, con:
        con.execute("CREATE TABLE orders (client_order_id TEXT, book TEXT, symbol TEXT, status TEXT)")
        con.executemany("INSERT INTO orders VALUES (?,?,?,?)",
                        [(f"hk-{i}", key, "ETHUSDT", "filled") for i, key in enumerate(keys)]
                        + [("hk-x", other_key, "BTCUSDT", "filled")] * (other_key not in keys))
        con.execute("CREATE TABLE halts (book TEXT PRIMARY KEY, halted_at TEXT, reason TEXT)")
        con.execute("INSERT INTO halts VALUES (?,?,?)", (keys[-1], "2026-12-01T09:00:00+00:00", "test"))
    c = client(data)
    assert sorted(o["client_order_id"] for o in c.get("/api/orders").json()["orders"]) == \
        [f"hk-{i}" for i in range(len(keys))]
    assert c.get("/api/status").json()["halted"] == {"halted_at": "2026-12-01T09:00:00+00:00",
                                                     "reason": "test"}
    assert "Halted since 2026-12-01T09:00:00+00:00" in c.get("/").text


def test_no_halt_no_banner(data):
    c = client(data)
    assert c.get("/api/status").json()["halted"] is None and 'id="halted"' not in c.get("/").text


# ---------------------------------------------------------------- the status is cached

def test_status_is_computed_once_per_ttl_whatever_the_clients(data, monkeypatch):
    import hedgekit.web.app as web

    calls = []
    real = web.book_status
    monkeypatch.setattr(web, "book_status", lambda *a: calls.append(1) or real(*a))
    c = client(data, status_ttl=0.3)
    for _ in range(10):
        assert c.get("/api/status").status_code == 200
        assert c.get("/").status_code == 200
    assert len(calls) == 1
    time.sleep(0.35)
    c.get("/api/status")
    assert len(calls) == 2


def test_a_number_json_cannot_carry_is_sent_as_null(data, monkeypatch):
    import hedgekit.web.app as web

    real = web.book_status
    monkeypatch.setattr(web, "book_status", lambda *a: {**real(*a), "probe": [float("nan"), float("inf"), 1.5]})
    c = client(data)
    assert c.get("/api/status").json()["probe"] == [None, None, 1.5]
    assert c.get("/").status_code == 200


# ---------------------------------------------------------------- access, secrets, actions

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_binds_without_a_token(host):
    check_bind(host, None, False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_anything_but_loopback_needs_a_token(host):
    with pytest.raises(InputError, match="--host"):
        check_bind(host, None, False)
    check_bind(host, TOKEN, False)


def test_a_short_token_is_refused_without_being_shown(run_cli, monkeypatch):
    monkeypatch.setenv("HEDGEKIT_TOKEN", "short-Zq8")
    code, out, err = run_cli("serve", str(LIVE_BOOK), "--host", "0.0.0.0")
    assert code == 2 and err.startswith("error: HEDGEKIT_TOKEN: must be at least 16 characters")
    assert "short-Zq8" not in out + err


def test_serve_refuses_a_public_address_or_actions_without_a_token(run_cli, monkeypatch):
    monkeypatch.delenv("HEDGEKIT_TOKEN", raising=False)
    code, out, err = run_cli("serve", str(LIVE_BOOK), "--host", "0.0.0.0")
    assert code == 2 and err.startswith("error: --host:") and "0.0.0.0" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_cli("serve", str(LIVE_BOOK), "--allow-actions")
    assert code == 2 and "--allow-actions" in err and "HEDGEKIT_TOKEN" in err
    code, _, err = run_cli("serve", "no-such-book.yaml")
    assert code == 2 and err.startswith("error: book:")


def login(c: TestClient, token: str = TOKEN):
    return c.post("/login", data={"token": token}, follow_redirects=False)


def test_with_a_token_every_page_asks_for_it(data):
    c = client(data, token=TOKEN)
    for path in PAGES:
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    for path in APIS:
        assert c.get(path).status_code == 401
    assert c.get("/api/status", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    t0 = time.monotonic()
    assert login(c, "wrong").status_code == 401
    assert time.monotonic() - t0 >= WRONG_TOKEN_DELAY_SECONDS
    r = login(c)
    assert r.status_code == 303
    cookie = r.cookies.get("hedgekit_session")
    assert cookie and TOKEN not in cookie
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    for path in (*PAGES, *APIS):
        assert c.get(path).status_code == 200, path


def test_no_secret_in_any_page_or_api_answer(data, tmp_path, monkeypatch):
    secret, key = "sEcReT-" + "9b1d" * 8, "KeY-" + "4e2a" * 8
    monkeypatch.setenv("BINANCE_API_KEY", key)
    monkeypatch.setenv("BINANCE_API_SECRET", secret)
    monkeypatch.setenv("HEDGEKIT_TOKEN", TOKEN)
    book = yaml.safe_load(LIVE_BOOK.read_text())
    book["accounts"] = [{"name": "main", "venue": "binance-usdm", "key_env": "BINANCE"}]
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(book))
    write_journal(data / "execution" / "journal.sqlite3", book_key(path))
    c = TestClient(create_app(path, data_dir=data, allow_actions=True, token=TOKEN))
    login(c)
    bodies = [c.get(p).text for p in (*PAGES, *APIS)]
    bodies.append(c.post("/actions/rebalance", data={"csrf": "x"}).text)
    assert "never synced" in bodies[0]  # the account is known, and reported as not synced
    for body in bodies:
        for value in (secret, key, TOKEN, "never-shown-key"):
            assert value not in body


def test_actions_are_off_by_default(data):
    c = client(data)
    assert 'action="/actions/' not in c.get("/").text
    assert c.post("/actions/rebalance").status_code == 403


def test_actions_need_the_session_and_its_csrf_value(data):
    called = []
    actions = {"rebalance": lambda book, d: called.append((book, d)) or "rebalanced: 1 order sent",
               "halt": lambda book, d: "halted"}
    c = client(data, allow_actions=True, token=TOKEN, actions=actions)
    assert c.post("/actions/rebalance", follow_redirects=False).status_code == 303  # no session
    login(c)
    page = c.get("/").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    assert c.post("/actions/rebalance", data={}).status_code == 403
    assert c.post("/actions/rebalance", data={"csrf": "0" * 64}).status_code == 403
    r = c.post("/actions/rebalance", data={"csrf": csrf}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and not called
    r = c.post("/actions/rebalance", data={"csrf": csrf})
    assert r.status_code == 200 and "rebalanced: 1 order sent" in r.text
    assert called == [(LIVE_BOOK, data)]
    assert c.post("/actions/transfer", data={"csrf": csrf}).status_code == 403  # no such action


def test_the_buttons_rebalance_and_halt_through_the_executor(tmp_path):
    # the default actions are hedgekit.operations' rebalance (executed, with every guard) and
    # halt: on the bundled paper book the first click fills the plan's orders, halt stops it
    import shutil

    from hedgekit.operations import order_history

    book = tmp_path / "paper-book.yaml"
    shutil.copy(Path(__file__).resolve().parents[1] / "examples" / "paper-book.yaml", book)
    data = tmp_path / "data"
    c = TestClient(create_app(book, data_dir=data, allow_actions=True, token=TOKEN))
    login(c)
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', c.get("/").text).group(1)
    r = c.post("/actions/rebalance", data={"csrf": csrf})
    assert r.status_code == 200 and "rebalance: " in r.text and "[filled]" in r.text
    sent = order_history(book, data_dir=data)
    assert sent and all(o["status"] == "filled" for o in sent)
    r = c.post("/actions/rebalance", data={"csrf": csrf})   # on target now: nothing more is sent
    assert r.status_code == 200 and "rebalance: no orders" in r.text
    assert len(order_history(book, data_dir=data)) == len(sent)
    r = c.post("/actions/halt", data={"csrf": csrf})
    assert r.status_code == 200 and "halted" in r.text
    r = c.post("/actions/rebalance", data={"csrf": csrf})   # a halted book refuses to send
    assert r.status_code == 400 and "is halted since" in r.text


def test_pages_carry_security_headers(data):
    r = client(data).get("/")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]


# ---------------------------------------------------------------- static files and reports

def test_plotly_is_served_from_the_installed_package(data):
    import plotly

    r = client(data).get("/static/plotly.min.js")
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert r.status_code == 200 and r.content == bundled.read_bytes()


def test_reports_folder_is_listed_and_nothing_else_is_served(data, tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "btc-eth.html").write_text("<html><body>report</body></html>")
    (reports / "notes.txt").write_text("not a report")
    (tmp_path / "outside.html").write_text("secret")
    c = client(data, reports_dir=reports)
    assert "btc-eth.html" in c.get("/reports").text and "notes.txt" not in c.get("/reports").text
    assert c.get("/reports/btc-eth.html").text.endswith("report</body></html>")
    assert c.get("/reports/notes.txt").status_code == 404
    assert c.get("/reports/..%2Foutside.html").status_code == 404
    assert "No reports yet" in client(data).get("/reports").text
