"""A venue's maximum order size: parsed from its market list, honoured by the guards (child
orders of at most the maximum), enforced by the paper venue.

Sources of the maxima (bodies under ``fixtures/venues/``, each with its ``source`` page):

* Binance USD-M exchangeInfo
  (https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information):
  BTCUSDT LOT_SIZE maxQty 1000, MARKET_LOT_SIZE maxQty 120; ETHUSDT 10000 and 2000; a
  quantity above them is refused with -4005 "Quantity greater than max quantity."
  (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code).
* Bybit v5 instruments-info (https://bybit-exchange.github.io/docs/v5/market/instrument):
  BTCUSDT lotSizeFilter maxOrderQty 1190, maxMktOrderQty 500.
* OKX instruments (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments):
  BTC-USDT-SWAP maxLmtSz 100000000, maxMktSz 10000 contracts.

hedgekit keeps the smaller cap of each contract (it fits a limit and a market order alike).
Child sizes are derived by hand: 2.5 BTC at lot 0.001 is 2,500 lots; under a maximum of 1 BTC
(1,000 lots) that is ceil(2,500 / 1,000) = 3 children, 2,500 = 834 + 833 + 833 lots.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_accounts_venues import _read

from hedgekit.execution._faults import FAULT_ENV
from hedgekit.execution._seam import OrderRequest
from hedgekit.execution.guards import child_lots, guard_orders
from hedgekit.execution.journal import Journal
from hedgekit.execution.paper import PaperVenue
from hedgekit.live.cache import load_market, save_market
from hedgekit.planner import file_snapshot, plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.venues import get_venue

SRC = Path(__file__).resolve().parents[1] / "src"

BOOK = """
prices: {BTC: 75000, ETH: 2400}
holdings:
  - {asset: BTC, amount: 2.5}
hedge: {venues: [binance-usdm], leverage: 3}
accounts:
  - {name: paper, venue: paper, base: binance-usdm, cash: {USDT: 100000}}
execution: {band: 0.05, max_order_usd: 1000000}
"""


def capped(cap: float | None, symbol: str = "BTCUSDT"):
    """The Binance USD-M preset with ``symbol``'s maximum order size set to ``cap``."""
    preset = get_venue("binance-usdm")
    inst = replace(preset.instrument(symbol), max_order_contracts=cap)
    return replace(preset, instruments={**preset.instruments, symbol: inst})


@pytest.fixture
def cap_btc(monkeypatch):
    """Give the preset's BTCUSDT a maximum order size (as a synced market would)."""
    from hedgekit import venues

    def set_cap(cap):
        monkeypatch.setitem(venues._VENUES, "binance-usdm", capped(cap))

    return set_cap


def book_of(text: str = BOOK):
    import yaml

    return parse_portfolio(yaml.safe_load(text))


def guarded(book, held=()):
    return guard_orders(plan(book, file_snapshot(book), positions=list(held)), book.execution, book_id="b")


# ------------------------------------------------------------------ parsing
def test_binance_usdm_max_qty_is_parsed_through_ccxt_from_the_docs_body():
    _, market, _ = _read("binance-usdm", ["BTCUSDT", "ETHUSDT"])
    # BTCUSDT: min(LOT_SIZE maxQty 1000, MARKET_LOT_SIZE maxQty 120) = 120 contracts of 1 BTC
    assert market.instruments["BTCUSDT"].max_order_contracts == 120.0
    # ETHUSDT: min(10000, 2000)
    assert market.instruments["ETHUSDT"].max_order_contracts == 2000.0


def test_bybit_and_okx_market_order_caps_are_parsed_and_deribit_gives_none():
    _, bybit, _ = _read("bybit-linear", ["BTCUSDT"])
    assert bybit.instruments["BTCUSDT"].max_order_contracts == 500.0  # min(1190, 500)
    _, okx, _ = _read("okx", ["BTC-USDT-SWAP"])
    assert okx.instruments["BTC-USDT-SWAP"].max_order_contracts == 10000.0  # min(1e8, 10000)
    _, deribit, _ = _read("deribit", ["BTC-PERPETUAL"])
    assert deribit.instruments["BTC-PERPETUAL"].max_order_contracts is None


def test_a_max_in_size_units_is_converted_to_contracts():
    from hedgekit.accounts.parse import market_to_instrument

    market = {"id": "X", "symbol": "X", "base": "BTC", "quote": "USD", "settle": "BTC", "contract": True,
              "swap": True, "inverse": True, "contractSize": 10, "precision": {"amount": 10},
              "limits": {"amount": {"max": 1000}}}
    # 1000 USD of amount at 10 USD a contract = 100 contracts
    assert market_to_instrument(market, amount_in_size_units=True).max_order_contracts == 100.0
    assert market_to_instrument({**market, "limits": {}}).max_order_contracts is None


def test_the_synced_market_file_keeps_the_max_and_an_older_file_loads_without_it(tmp_path):
    _, market, _ = _read("binance-usdm", ["BTCUSDT"])
    path = save_market(market, tmp_path)
    assert load_market("binance-usdm", tmp_path).instruments["BTCUSDT"].max_order_contracts == 120.0
    doc = json.loads(path.read_text())
    for inst in doc["instruments"].values():
        del inst["max_order_contracts"]
    path.write_text(json.dumps(doc))
    assert load_market("binance-usdm", tmp_path).instruments["BTCUSDT"].max_order_contracts is None


# ------------------------------------------------------------------ guards
def test_a_trade_of_2_5_times_the_max_becomes_3_children_summing_to_the_trade(cap_btc):
    cap_btc(1.0)
    book = book_of()
    first = guarded(book)
    lots = [round(o.contracts / 0.001) for o in first.orders]
    assert lots == [834, 833, 833] and sum(lots) == 2500
    assert all(o.contracts <= 1.0 for o in first.orders)
    assert [o.child for o in first.orders] == [0, 1, 2]
    assert first.orders[0].reason == ("hedge BTCUSDT: held 0 -> target -2.5 (child 1, 3 for 187,500 USD; "
                                      "binance-usdm max 1 per order)")
    # a rerun of the same plan gives the very same ids, three distinct ones
    again = guarded(book)
    assert [o.client_order_id for o in again.orders] == [o.client_order_id for o in first.orders]
    assert len({o.client_order_id for o in first.orders}) == 3


def test_the_venue_max_and_max_order_usd_the_stricter_wins(cap_btc):
    cap_btc(2.0)
    # max_order_usd 50,000 at 75,000 USD: ceil(187,500 / 50,000) = 4 children > ceil(2.5 / 2) = 2
    book = book_of(BOOK.replace("max_order_usd: 1000000", "max_order_usd: 50000"))
    out = guarded(book)
    assert [round(o.contracts / 0.001) for o in out.orders] == [625, 625, 625, 625]
    assert "max 2 per order" not in out.orders[0].reason


def test_a_max_below_one_lot_skips_the_trade_naming_the_venue_limit(cap_btc):
    cap_btc(0.0005)
    out = guarded(book_of())
    assert out.orders == ()
    assert [s.reason for s in out.skipped] == [
        "max-order-size: binance-usdm takes at most 0.0005 BTCUSDT per order, less than one lot 0.001"]


def test_the_dry_run_shows_the_split(cap_btc, run_cli, tmp_path, monkeypatch):
    cap_btc(1.0)
    book = tmp_path / "book.yaml"
    book.write_text(BOOK)
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "data"))
    code, out, err = run_cli("rebalance", str(book))
    assert code == 0, err
    assert out.count("(child ") == 3 and "binance-usdm max 1 per order" in out
    code, out, err = run_cli("rebalance", str(book), "--json")
    orders = json.loads(out)["orders"]
    assert [o["contracts"] for o in orders] == [0.834, 0.833, 0.833]


@settings(max_examples=300, deadline=None)
@given(max_lots=st.integers(1, 10**7), whole=st.integers(0, 2000), rest=st.integers(0, 10**7 - 1),
       parts=st.integers(1, 50))
def test_children_are_whole_lots_each_at_most_the_max_and_sum_to_the_trade(max_lots, whole, rest, parts):
    # any trade up to 2,001 maxima (so the list of children stays small enough to build)
    lots = max(1, whole * max_lots + rest % max_lots)
    children = child_lots(lots, parts, max_lots)
    assert sum(children) == lots
    assert all(isinstance(n, int) and 1 <= n <= max_lots for n in children)
    assert children == sorted(children, reverse=True) and children[0] - children[-1] <= 1
    # no more children than the stricter of the two limits needs
    assert len(children) == min(lots, max(parts, -(-lots // max_lots)))


@settings(max_examples=40, deadline=None)
@given(lots=st.integers(1, 20000), cap=st.floats(0.001, 5.0))
def test_guarded_children_fit_the_venue_max_for_any_trade(lots, cap):
    from hedgekit import venues

    saved = venues._VENUES["binance-usdm"]
    venues._VENUES["binance-usdm"] = capped(cap)
    try:
        amount = lots / 1000  # BTC, a whole number of 0.001 lots
        # a daily limit above any trade drawn (20 BTC = 1.5M USD), so only the sizes are checked
        book = book_of(BOOK.replace("amount: 2.5", f"amount: {amount!r}")
                       .replace("max_order_usd: 1000000", "max_order_usd: 1000000, max_daily_usd: 1.0e9"))
        p = plan(book, file_snapshot(book), positions=[])
        out = guard_orders(p, book.execution, book_id="b")
    finally:
        venues._VENUES["binance-usdm"] = saved
    (trade,) = p.trades
    sizes = [round(o.contracts * 1000) for o in out.orders]
    assert all(abs(o.contracts * 1000 - n) < 1e-6 for o, n in zip(out.orders, sizes, strict=True))
    assert all(o.contracts <= cap + 1e-12 for o in out.orders)
    assert sum(sizes) == round(trade.contracts * 1000)
    assert len({o.client_order_id for o in out.orders}) == len(out.orders)


# ------------------------------------------------------------------ paper venue
def test_the_paper_venue_rejects_an_order_above_the_max_like_binance(tmp_path, cap_btc):
    from hedgekit.accounts.orders import _BINANCE_REJECT

    cap_btc(1.0)
    book = book_of()
    venue = PaperVenue(book.accounts[0], file_snapshot(book), leverage=3, data_dir=tmp_path)

    def send(contracts, cid):
        return venue.place(OrderRequest(symbol="BTCUSDT", side="sell", contracts=contracts,
                                        order_type="market", limit_price=None, reduce_only=False,
                                        client_order_id=cid))

    over = send(1.001, "over")
    # the live venue's -4005 is classified "lot-size"; the paper venue says so the same way
    assert over.status == "rejected"
    assert over.message == f"Quantity greater than max quantity. ({_BINANCE_REJECT['-4005']})"
    assert _BINANCE_REJECT["-4005"] == "lot-size"
    assert send(1.0, "at-max").status == "filled"


# ------------------------------------------------------------------ executor and crashes
def _venue_orders(data: Path) -> list[tuple[str, float, str]]:
    with sqlite3.connect(data / "execution" / "journal.sqlite3") as c:
        return c.execute("SELECT client_order_id, contracts, status FROM paper_orders ORDER BY rowid").fetchall()


def _position(data: Path) -> float:
    with sqlite3.connect(data / "execution" / "journal.sqlite3") as c:
        return c.execute("SELECT contracts FROM paper_positions WHERE symbol='BTCUSDT'").fetchone()[0]


def test_children_are_each_sent_once_and_a_second_run_sends_nothing(cap_btc, run_cli, tmp_path, monkeypatch):
    cap_btc(1.0)
    book = tmp_path / "book.yaml"
    book.write_text(BOOK)
    data = tmp_path / "data"
    code, out, err = run_cli("rebalance", str(book), "--execute", "--yes", "--json", "--data-dir", str(data))
    assert code == 0, err
    sent = json.loads(out)["orders"]
    assert [(o["contracts"], o["status"]) for o in sent] == [(0.834, "filled"), (0.833, "filled"),
                                                             (0.833, "filled")]
    assert [(cid, n) for cid, n, _ in _venue_orders(data)] == [(o["client_order_id"], o["contracts"]) for o in sent]
    assert _position(data) == pytest.approx(-2.5)
    code, out, err = run_cli("rebalance", str(book), "--execute", "--yes", "--json", "--data-dir", str(data))
    assert code == 0 and json.loads(out)["orders"] == [], err
    assert len(_venue_orders(data)) == 3
    # the journal holds each child once
    rows = [Journal(data).find(o["client_order_id"]) for o in sent]
    assert [r["child"] for r in rows] == [0, 1, 2]


CRASH = """
import sys
from dataclasses import replace
from hedgekit import venues
from hedgekit.cli import main
preset = venues._VENUES["binance-usdm"]
inst = replace(preset.instrument("BTCUSDT"), max_order_contracts=1.0)
venues._VENUES["binance-usdm"] = replace(preset, instruments={**preset.instruments, "BTCUSDT": inst})
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("fault", ["after-intent#2", "after-accept#2", "after-fill#2", "after-intent#3"])
def test_a_kill_between_children_sends_only_the_missing_ones(fault, cap_btc, run_cli, tmp_path, monkeypatch):
    book = tmp_path / "book.yaml"
    book.write_text(BOOK)
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(SRC), "HEDGEKIT_DATA_DIR": str(data), FAULT_ENV: fault}
    crashed = subprocess.run([sys.executable, "-c", CRASH, "rebalance", str(book), "--execute", "--yes",
                              "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    nth = int(fault.split("#")[1])
    # the children before the kill reached the venue (and the one killed after its acceptance)
    before = _venue_orders(data)
    assert len(before) == nth - (1 if fault.startswith("after-intent") else 0)
    monkeypatch.delenv(FAULT_ENV, raising=False)
    cap_btc(1.0)
    code, out, err = run_cli("rebalance", str(book), "--execute", "--yes", "--json", "--data-dir", str(data))
    assert code == 0, err
    after = _venue_orders(data)
    # what the killed run sent is kept (never sent again), the rest makes up the trade exactly
    assert after[:len(before)] == [(c, n, "filled") for c, n, _ in before]
    assert len({c for c, _, _ in after}) == len(after) == 3
    assert all(n <= 1.0 and s == "filled" for _, n, s in after)
    assert round(sum(n for _, n, _ in after) * 1000) == 2500
    assert _position(data) == pytest.approx(-2.5)
    code, out, err = run_cli("rebalance", str(book), "--execute", "--yes", "--json", "--data-dir", str(data))
    assert code == 0 and json.loads(out)["orders"] == [], err
    assert len(_venue_orders(data)) == 3
