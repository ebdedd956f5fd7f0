"""The executor, the order journal and the paper venue (issue 11). No network: the paper venue
trades against the book's prices, and a live venue is a fake ``hedgekit.accounts.orders``.

Paper fills are derived here: a sell fills at mark * (1 - 0.0005), a buy at mark * (1 + 0.0005),
and pays the base venue's taker fee (Binance USD-M 0.0004 in hedgekit.venues) on the notional.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.accounts.errors import VenueError, VenueTimeout
from hedgekit.errors import InputError
from hedgekit.execution._seam import OrderRequest, OrderResult
from hedgekit.execution.executor import Executor
from hedgekit.execution.guards import guard_orders
from hedgekit.execution.journal import Journal
from hedgekit.execution.paper import PaperVenue, held_positions
from hedgekit.execution.venues import CcxtVenue, id_rules_for, open_venues
from hedgekit.planner import file_snapshot, plan
from hedgekit.portfolio import parse_portfolio

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def make_book(cash=100000, holdings=None, **execution):
    return parse_portfolio({
        "prices": {"BTC": 75000, "ETH": 2400},
        "holdings": holdings or [{"asset": "BTC", "amount": 2.5}, {"asset": "ETH", "amount": 40}],
        "hedge": {"venues": ["binance-usdm"], "leverage": 3},
        "accounts": [{"name": "paper", "venue": "paper", "base": "binance-usdm",
                      "cash": {"USDT": cash}}],
        "execution": {"max_order_usd": 1e6, **execution}})


class Clock:
    def __init__(self, t=T0):
        self.t = t

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += timedelta(seconds=seconds)


def cycle(book, data_dir, clock=None, wrap=None):
    """One ``rebalance --execute``: reconcile, plan on what is held, guard, send."""
    clock = clock or Clock()
    journal = Journal(data_dir)
    market = file_snapshot(book)
    venues = open_venues(book, market, data_dir=data_dir, now=clock)
    if wrap is not None:
        venues = {k: wrap(v) for k, v in venues.items()}
    ex = Executor(journal, venues, "b", timeout_s=book.execution.timeout_s, clock=clock,
                  sleep=clock.sleep)
    ex.reconcile()
    p = plan(book, market, positions=held_positions(book, data_dir))
    guarded = guard_orders(p, book.execution, book_id="b",
                           daily_used={"paper": journal.sent_usd("paper", clock())})
    return ex.execute(guarded.orders), journal, venues


def paper_orders(data_dir):
    with sqlite3.connect(data_dir / "execution" / "journal.sqlite3") as c:
        return c.execute("SELECT client_order_id, symbol, status FROM paper_orders ORDER BY rowid").fetchall()


def held(book, data_dir):
    return {(h.symbol, h.side.value): h.contracts for h in held_positions(book, data_dir)}


def test_paper_fills_at_mark_plus_slippage_with_the_base_venue_fee(tmp_path):
    book = make_book()
    sent, journal, venues = cycle(book, tmp_path)
    by = {o.symbol: o for o in sent}
    # sell 2.5 BTC: 75,000 * 0.9995 = 74,962.5; fee 2.5 * 74,962.5 * 0.0004 = 74.9625
    assert by["BTCUSDT"].status == "filled" and by["BTCUSDT"].average_price == pytest.approx(74962.5)
    assert by["BTCUSDT"].fee == pytest.approx(74.9625)
    # sell 40 ETH: 2,400 * 0.9995 = 2,398.8; fee 40 * 2,398.8 * 0.0004 = 38.3808
    assert by["ETHUSDT"].average_price == pytest.approx(2398.8) and by["ETHUSDT"].fee == pytest.approx(38.3808)
    assert held(book, tmp_path) == {("BTCUSDT", "short"): 2.5, ("ETHUSDT", "short"): 40}
    (usdt,) = venues["paper"].state().balances
    # cash less fees; margin used = notional at the mark / leverage 3 = (187,500 + 96,000) / 3
    assert usdt.total == pytest.approx(100000 - 74.9625 - 38.3808)
    assert usdt.used == pytest.approx(94500)
    row = journal.find(by["BTCUSDT"].client_order_id)
    assert (row["status"], row["filled_contracts"], row["fee_currency"]) == ("filled", 2.5, "USDT")
    assert [e["status"] for e in journal.events(row["client_order_id"])] == ["intent", "filled"]


def test_journal_is_wal_and_the_intent_is_committed_before_anything_is_sent(tmp_path):
    seen = []

    class Spy:
        def __init__(self, inner):
            self.inner, self.account, self.name = inner, inner.account, inner.name

        def id_rules(self):
            return self.inner.id_rules()

        def place(self, req):
            # another connection sees the committed intent while the venue call is under way
            with sqlite3.connect(tmp_path / "execution" / "journal.sqlite3") as c:
                seen.append(c.execute("SELECT status FROM orders WHERE client_order_id = ?",
                                      (req.client_order_id,)).fetchone())
                assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            return self.inner.place(req)

        def fetch(self, symbol, cid):
            return self.inner.fetch(symbol, cid)

        def cancel(self, symbol, cid):
            return self.inner.cancel(symbol, cid)

    sent, _, _ = cycle(make_book(), tmp_path, wrap=Spy)
    assert len(sent) == 2 and seen == [("intent",), ("intent",)]


def test_the_same_plan_executed_twice_sends_nothing_the_second_time(tmp_path):
    book = make_book()
    first, journal, venues = cycle(book, tmp_path)
    assert len(first) == 2
    again, _, _ = cycle(book, tmp_path)
    assert again == []
    # the very same orders handed to the executor again: their ids are in the journal, not resent
    ex = Executor(journal, venues, "b", clock=Clock())
    assert [o.status for o in ex.execute([o for o in first])] == ["filled", "filled"]
    assert len(paper_orders(tmp_path)) == 2


class TimesOut:
    """A venue whose place() times out: after the venue got the order (``reached``) or before."""

    def __init__(self, inner, reached=True):
        self.inner, self.account, self.name, self.reached = inner, inner.account, inner.name, reached
        self.placed = 0

    def id_rules(self):
        return self.inner.id_rules()

    def place(self, req):
        self.placed += 1
        if self.reached:
            self.inner.place(req)
        raise VenueTimeout(self.account, "paper", "timed out after 10 s", call="create_order")

    def fetch(self, symbol, cid):
        return self.inner.fetch(symbol, cid)

    def cancel(self, symbol, cid):
        return self.inner.cancel(symbol, cid)


def test_a_timeout_after_the_request_was_sent_is_reconciled_without_a_second_order(tmp_path):
    book = make_book(holdings=[{"asset": "BTC", "amount": 2.5}])
    sent, journal, venues = cycle(book, tmp_path, wrap=TimesOut)
    (order,) = sent
    assert order.status == "filled" and venues["paper"].placed == 1
    assert [e["status"] for e in journal.events(order.client_order_id)] == ["intent", "unknown", "filled"]
    assert len(paper_orders(tmp_path)) == 1
    assert cycle(book, tmp_path)[0] == []  # on target: nothing more
    assert len(paper_orders(tmp_path)) == 1


def test_a_timeout_before_the_venue_got_it_is_sent_again_with_the_same_id_on_restart(tmp_path):
    book = make_book(holdings=[{"asset": "BTC", "amount": 2.5}])
    (order,), journal, _ = cycle(book, tmp_path, wrap=lambda v: TimesOut(v, reached=False))
    assert order.status == "unknown" and paper_orders(tmp_path) == []
    assert cycle(book, tmp_path)[0] == []  # the restart's reconcile sent it; the plan is on target
    assert paper_orders(tmp_path) == [(order.client_order_id, "BTCUSDT", "filled")]
    assert held(book, tmp_path) == {("BTCUSDT", "short"): 2.5}


def test_an_intent_older_than_timeout_that_never_reached_the_venue_is_expired_not_resent(tmp_path):
    book = make_book(holdings=[{"asset": "BTC", "amount": 2.5}], timeout_s=60)
    clock = Clock()
    (order,), journal, _ = cycle(book, tmp_path, clock=clock, wrap=lambda v: TimesOut(v, reached=False))
    clock.t += timedelta(seconds=61)
    journal = Journal(tmp_path)
    venues = open_venues(book, file_snapshot(book), data_dir=tmp_path, now=clock)
    notes = Executor(journal, venues, "b", timeout_s=60, clock=clock, sleep=clock.sleep).reconcile()
    assert notes == [f"{order.client_order_id}: never reached the venue; expired"]
    assert journal.find(order.client_order_id)["status"] == "expired" and paper_orders(tmp_path) == []


def test_rejections_are_recorded_with_the_venue_message_and_the_next_run_uses_a_new_attempt(tmp_path):
    # 2.5 BTC short at 3x needs 62,500 USDT of margin; the account has 1,000
    book = make_book(cash=1000, holdings=[{"asset": "BTC", "amount": 2.5}])
    (order,), journal, _ = cycle(book, tmp_path)
    assert order.status == "rejected" and order.reason.endswith("venue: Margin is insufficient.")
    assert order.client_order_id.endswith("a0")
    (again,), _, _ = cycle(book, tmp_path)
    assert again.client_order_id.endswith("a1") and again.status == "rejected"
    assert [r["status"] for r in journal.orders("b")] == ["rejected", "rejected"]
    assert held(book, tmp_path) == {}


def test_paper_rejects_a_reduce_only_order_that_would_increase_or_flip(tmp_path):
    book = make_book()
    venue = PaperVenue(book.accounts[0], file_snapshot(book), leverage=3, data_dir=tmp_path, now=Clock())

    def req(side, n, cid, reduce_only=True):
        return OrderRequest(symbol="BTCUSDT", side=side, contracts=n, order_type="market",
                            limit_price=None, reduce_only=reduce_only, client_order_id=cid)

    flat = venue.place(req("sell", 1, "r1"))
    assert (flat.status, flat.message) == ("rejected", "ReduceOnly Order is rejected.")
    assert venue.place(req("sell", 1, "o1", reduce_only=False)).status == "filled"
    assert venue.place(req("buy", 2, "r2")).status == "rejected"     # would flip to +1
    assert venue.place(req("sell", 1, "r3")).status == "rejected"    # would add to the short
    closed = venue.place(req("buy", 1, "r4"))
    assert closed.status == "filled"
    # realised: short 1 opened at 74,962.5, bought back at 75,037.5: -75; fees 0.0004 on each
    (usdt,) = venue.state().balances
    assert usdt.total == pytest.approx(100000 - 75 - 74962.5 * 0.0004 - 75037.5 * 0.0004)
    dup = venue.place(req("buy", 1, "r4"))
    assert dup.status == "rejected" and "Duplicate" in dup.message


def test_an_unfilled_limit_order_is_cancelled_after_timeout(tmp_path):
    # limit sell at 75,000 * (1 - 0.0001) = 74,992.5; the paper fill 74,962.5 is below it: rests
    book = make_book(holdings=[{"asset": "BTC", "amount": 2.5}], max_slippage=0.0001, timeout_s=5)
    clock = Clock()
    (order,), journal, _ = cycle(book, tmp_path, clock=clock)
    assert order.limit_price == pytest.approx(74992.5)
    assert order.status == "canceled" and order.filled_contracts == 0
    assert clock.t - T0 >= timedelta(seconds=5)
    assert paper_orders(tmp_path) == [(order.client_order_id, "BTCUSDT", "canceled")]


def test_halt_cancels_the_books_open_orders(tmp_path):
    book = make_book(holdings=[{"asset": "BTC", "amount": 2.5}], max_slippage=0.0001, timeout_s=3600)
    clock = Clock()
    journal = Journal(tmp_path)
    venues = open_venues(book, file_snapshot(book), data_dir=tmp_path, now=clock)
    p = plan(book, file_snapshot(book), positions=[])
    (order,) = guard_orders(p, book.execution, book_id="b").orders
    journal.write_intent("b", order, clock())
    venues["paper"].place(OrderRequest(symbol=order.symbol, side=order.side, contracts=order.contracts,
                                       order_type="limit", limit_price=order.limit_price,
                                       reduce_only=False, client_order_id=order.client_order_id))
    lines = Executor(journal, venues, "b", clock=clock, sleep=clock.sleep).cancel_open("halt")
    assert lines == [f"{order.client_order_id}: BTCUSDT sell 2.5: canceled"]
    assert paper_orders(tmp_path) == [(order.client_order_id, "BTCUSDT", "canceled")]
    assert journal.pending("b") == []


def test_paper_funding_is_settled_every_8_hours_on_the_mark(tmp_path):
    book = make_book(holdings=[{"asset": "BTC", "amount": 1}])
    clock = Clock(T0 + timedelta(hours=1))
    cycle(book, tmp_path, clock=clock)
    clock.t = T0 + timedelta(hours=16, minutes=30)
    venue = PaperVenue(book.accounts[0], file_snapshot(book), leverage=3, data_dir=tmp_path, now=clock)
    (usdt,) = venue.state().balances
    # settlements at 08:00 and 16:00 UTC; the short receives 1 * 75,000 * 0.0001 = 7.5 each
    # (hedge.default_funding_rate_8h); fee of the opening sell: 74,962.5 * 0.0004
    assert usdt.total == pytest.approx(100000 - 74962.5 * 0.0004 + 2 * 7.5)


class FakeOrders(types.ModuleType):
    """Stands in for hedgekit.accounts.orders: a venue that fills in two steps or rejects."""

    def __init__(self, reject=False):
        super().__init__("hedgekit.accounts.orders")
        self.calls, self.reject, self.fetches = [], reject, 0

    def client_order_id_rules(self, venue):
        return (36, r"[\.A-Z\:/a-z0-9_-]{1,36}")

    def _result(self, req, status, filled):
        return OrderResult(client_order_id=req.client_order_id, venue_order_id="42",
                           symbol=req.symbol, side=req.side, status=status, contracts=req.contracts,
                           filled_contracts=filled, average_price=74950.0 if filled else None,
                           fee=None, fee_currency=None, message=None, as_of=None)

    def place_order(self, client, req):
        self.calls.append(("place", req.client_order_id))
        self.req = req
        if self.reject == "unsupported":  # refused by hedgekit before any request
            raise VenueError(client.account, client.venue, "placing orders is not supported on this venue yet")
        if self.reject == "bad-price":
            raise InputError("limit_price", "a limit order needs a price > 0", None)
        if self.reject:
            text = {"reduce-only": "ReduceOnly Order is rejected.",
                    "duplicate-client-id": "Duplicate clientOrderId."}[self.reject]
            err = VenueError(client.account, client.venue, text, call="create_order")
            err.kind, err.reason = "rejected", self.reject  # type: ignore[attr-defined]
            raise err
        return self._result(req, "partially_filled", req.contracts / 2)

    def fetch_order_by_client_id(self, client, symbol, cid):
        self.calls.append(("fetch", cid))
        return self._result(self.req, "filled", self.req.contracts)

    def cancel_order(self, client, symbol, cid):  # pragma: no cover - not reached
        raise AssertionError("nothing to cancel")


@pytest.mark.parametrize("reject", [None, "reduce-only", "duplicate-client-id", "unsupported", "bad-price"])
def test_a_live_venue_goes_through_accounts_orders(tmp_path, monkeypatch, reject):
    fake = FakeOrders(reject)
    monkeypatch.setitem(__import__("sys").modules, "hedgekit.accounts.orders", fake)
    client = types.SimpleNamespace(account="main", venue="binance-usdm")
    venue = CcxtVenue(client)
    book = parse_portfolio({"prices": {"BTC": 75000}, "holdings": [{"asset": "BTC", "amount": 1}],
                            "accounts": [{"name": "main", "venue": "binance-usdm", "key_env": "B"}]})
    assert id_rules_for(book)("main") == fake.client_order_id_rules("binance-usdm")
    p = plan(book, positions=[])
    (order,) = guard_orders(p, book.execution, book_id="b", id_rules=id_rules_for(book)).orders
    clock = Clock()
    journal = Journal(tmp_path)
    (done,) = Executor(journal, {"main": venue}, "b", clock=clock, sleep=clock.sleep).execute([order])
    events = [e["status"] for e in journal.events(order.client_order_id)]
    if reject == "reduce-only":
        assert done.status == "rejected" and fake.calls == [("place", order.client_order_id)]
        assert journal.find(order.client_order_id)["message"] == "ReduceOnly Order is rejected. (reduce-only)"
    elif reject in ("unsupported", "bad-price"):  # nothing reached the venue: final, not pending
        assert done.status == "rejected" and journal.find(order.client_order_id)["message"].startswith("not sent: ")
        assert journal.pending("b") == []
    elif reject == "duplicate-client-id":  # the venue had it already: adopted, not rejected
        assert fake.calls == [("place", order.client_order_id), ("fetch", order.client_order_id)]
        assert events == ["intent", "filled"] and done.status == "filled"
    else:  # a partial fill, then the poll finds it filled
        assert events == ["intent", "partially_filled", "filled"]
        assert (done.status, done.filled_contracts) == ("filled", 1.0)


def test_a_dry_run_for_a_live_okx_account_uses_an_id_okx_accepts():
    # OKX clOrdId: "a combination of case-sensitive alphanumerics ... of up to 32 characters"
    # (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order)
    book = parse_portfolio({"prices": {"BTC": 75000}, "holdings": [{"asset": "BTC", "amount": 1}],
                            "hedge": {"venues": ["okx"]},
                            "accounts": [{"name": "main", "venue": "okx", "key_env": "OKX"}]})
    (order,) = guard_orders(plan(book, positions=[]), book.execution, book_id="b",
                            id_rules=id_rules_for(book)).orders
    assert order.account == "main" and re.fullmatch(r"[A-Za-z0-9]{1,32}", order.client_order_id)


def _position(venue, symbol):
    return venue._position(venue.conn, symbol)[0]


# many examples, each with its own journal: kept in memory-backed storage where there is some
# (every commit of the journal is fsynced; this test is about the fills, not the disk)
_FAST_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@settings(max_examples=40, deadline=None)
@given(btc=st.floats(0.01, 30), eth=st.sampled_from([0.0, 0.5, 3.3, 41.7, 480.0]),
       held_btc=st.integers(-40_000, 40_000), held_eth=st.integers(-600_000, 600_000),
       max_order_usd=st.sampled_from([20_000.0, 150_000.0, 1e7]))
def test_executing_any_plan_on_paper_reaches_every_target_within_one_lot(
        btc, eth, held_btc, held_eth, max_order_usd):
    with tempfile.TemporaryDirectory(dir=_FAST_DIR) as tmp:
        _execute_and_check(Path(tmp), btc, eth, held_btc, held_eth, max_order_usd)


def _execute_and_check(data, btc, eth, held_btc, held_eth, max_order_usd):
    holdings = [{"asset": "BTC", "amount": btc}] + ([{"asset": "ETH", "amount": eth}] if eth else [])
    book = make_book(cash=1e9, holdings=holdings, band=0, max_order_usd=max_order_usd, max_daily_usd=1e12)
    market = file_snapshot(book)
    venue = PaperVenue(book.accounts[0], market, leverage=3, data_dir=data, now=Clock())
    prices = {"BTCUSDT": 75000.0, "ETHUSDT": 2400.0}
    for symbol, lots in (("BTCUSDT", held_btc), ("ETHUSDT", held_eth)):
        if abs(lots) * 0.001 * prices[symbol] >= 5:  # the venue's minimum notional
            placed = venue.place(OrderRequest(
                symbol=symbol, side="buy" if lots > 0 else "sell", contracts=abs(lots) * 0.001,
                order_type="market", limit_price=None, reduce_only=False, client_order_id=f"seed{symbol}"))
            assert placed.status == "filled"
    p = plan(book, market, positions=held_positions(book, data))
    guarded = guard_orders(p, book.execution, book_id="b")
    for order in guarded.orders:
        before = _position(venue, order.symbol)
        result = venue.place(OrderRequest(
            symbol=order.symbol, side=order.side, contracts=order.contracts, order_type=order.order_type,
            limit_price=order.limit_price, reduce_only=order.reduce_only,
            client_order_id=order.client_order_id))
        after = _position(venue, order.symbol)
        assert result.status == "filled", result.message
        if order.reduce_only:  # never increases a position, never flips it
            assert abs(after) <= abs(before) + 1e-9 and after * before >= 0
    for leg in p.legs:
        target = -leg.contracts if leg.side.value == "short" else leg.contracts
        gap = abs(_position(venue, leg.symbol) - target)
        if any(s.symbol == leg.symbol and s.reason.startswith("min-notional") for s in guarded.skipped):
            # too small to send: what is left is below the minimum notional
            assert gap * prices[leg.symbol] < 5 + leg.instrument.lot_size * prices[leg.symbol]
        else:
            assert gap <= leg.instrument.lot_size + 1e-9
    if not eth:  # ETH is not hedged: a held ETH position is closed
        assert _position(venue, "ETHUSDT") == 0 or abs(_position(venue, "ETHUSDT")) * 2400 < 5


def test_readme_rebalancing_runs_end_to_end_on_the_paper_venue(run_cli, tmp_path, monkeypatch):
    import shlex

    root = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("<!-- BEGIN rebalance -->"):readme.index("<!-- END rebalance -->")]
    block = section[section.index("```bash") + 7:]
    block = block[:block.index("```")]
    commands = [shlex.split(line.split("#")[0]) for line in block.splitlines() if line.startswith("hedgekit ")]
    assert [c[1] for c in commands] == ["sync", "plan", "rebalance", "rebalance", "positions", "orders",
                                        "rebalance"]
    outputs = []
    for command in commands:
        code, out, err = run_cli(*command[1:])
        assert code == 0, (command, err)
        outputs.append(out)
    shown = section[section.index("```text") + 7:]
    shown = shown[:shown.index("```")]
    assert re.sub(r"hk[0-9a-f]{14}", "hk…", outputs[2]).strip() == shown.strip()
    assert outputs[3].startswith("executed: 3 order(s)") and outputs[3].count("[filled 1.25 @ 74,962.5") == 2
    assert "BTCUSDT" in outputs[4] and "ETHUSDT" in outputs[4]
    assert outputs[5].count(" filled ") == 3
    assert outputs[-1].strip() == "no orders: every leg is on target or within its band"
    # the plan now sees the paper positions: nothing left to trade
    code, out, _ = run_cli("plan", "examples/paper-book.yaml", "--json")
    assert code == 0 and json.loads(out)["trades"] == []


def test_a_halted_book_refuses_execute_with_one_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "data"))
    book = tmp_path / "book.yaml"
    book.write_text("prices: {BTC: 75000}\nholdings: [{asset: BTC, amount: 1}]\naccounts:\n"
                    "  - {name: paper, venue: paper, base: binance-usdm, cash: {USDT: 100000}}\n")
    assert run_cli("halt", str(book))[0] == 0
    code, out, err = run_cli("rebalance", str(book), "--execute", "--yes")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("error: BOOK: ") and "halted" in err and "hedgekit resume" in err
    code, out, _ = run_cli("rebalance", str(book), "--json")  # a dry run still shows why
    doc = json.loads(out)
    assert doc["dry_run"] is True and doc["orders"] == []
    assert doc["skipped"][0]["reason"].startswith("halt: the book is halted")
    assert run_cli("resume", str(book))[1].startswith("resumed")
    code, out, _ = run_cli("rebalance", str(book), "--execute", "--yes", "--json")
    doc = json.loads(out)
    assert code == 0 and list(doc) == ["as_of", "dry_run", "orders", "skipped"]
    assert list(doc["orders"][0]) == ["account", "venue", "symbol", "side", "contracts", "reduce_only",
                                      "type", "limit_price", "client_order_id", "reason", "status",
                                      "filled_contracts", "average_price", "fee"]
    assert doc["orders"][0]["status"] == "filled"
    code, out, _ = run_cli("orders", str(book), "--json", "--since", "1h")
    assert [o["status"] for o in json.loads(out)["orders"]] == ["filled"]


def test_a_paper_account_without_base_is_named(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "data"))
    book = tmp_path / "book.yaml"
    book.write_text("prices: {BTC: 75000}\nholdings: [{asset: BTC, amount: 1}]\n"
                    "accounts: [{name: p, venue: paper}]\n")
    code, _, err = run_cli("rebalance", str(book), "--execute", "--yes")
    assert code == 2 and err.startswith("error: accounts[0].base: a paper account needs base")


def test_paper_plan_and_rebalance_load_no_exchange_library(tmp_path):
    # a paper book is planned and executed without ccxt (or pandas): records come from the
    # ccxt-free hedgekit.accounts.order_records
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    book = str(root / "examples" / "paper-book.yaml")
    code = (f"import sys; from hedgekit.cli import main; main(['plan', {book!r}]); "
            f"main(['rebalance', {book!r}, '--execute', '--yes']); "
            "print(sorted(m for m in ('pandas', 'numba', 'ccxt', 'plotly') if m in sys.modules), file=sys.stderr)")
    env = {**os.environ, "HEDGEKIT_DATA_DIR": str(tmp_path), "PYTHONPATH": str(root / "src")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    assert "executed: 3 order(s)" in proc.stdout
