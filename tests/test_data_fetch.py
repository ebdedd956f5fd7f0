"""ccxt fetch on recorded responses with a fake exchange: pagination, incremental, retry, errors."""

from __future__ import annotations

import json
from pathlib import Path

import ccxt
import pandas as pd
import pytest

from hedgekit.data import Store
from hedgekit.data.fetch import fetch, parse_funding_history, parse_ohlcv
from hedgekit.errors import DataError, InputError

FIX = Path(__file__).parent / "fixtures" / "ccxt"
OHLCV = json.loads((FIX / "binance_fetch_ohlcv_BTC_USDT_1d.json").read_text())
FUNDING = json.loads((FIX / "binance_fetch_funding_rate_history_BTC_USDT_USDT.json").read_text())
UNTIL = "2024-01-11"  # all recorded candles are closed by then


class FakeExchange:
    """Answers like ccxt from recorded rows: everything at or after ``since``, at most ``limit``.
    ``fail`` lists exceptions to raise on the first calls (one per call)."""

    rateLimit = 50

    def __init__(self, ohlcv=None, funding=None, fail=()):
        self.ohlcv = [r for page in (ohlcv or []) for r in page]
        self.funding = [r for page in (funding or []) for r in page]
        self.fail = list(fail)
        self.calls: list[tuple] = []

    def _maybe_fail(self):
        if self.fail:
            raise self.fail.pop(0)

    def fetch_ohlcv(self, symbol, timeframe="1m", since=None, limit=None):
        self.calls.append(("ohlcv", symbol, timeframe, since, limit))
        self._maybe_fail()
        rows = [r for r in self.ohlcv if since is None or r[0] >= since]
        return rows[:limit]

    def fetch_funding_rate_history(self, symbol=None, since=None, limit=None):
        self.calls.append(("funding", symbol, since, limit))
        self._maybe_fail()
        rows = [r for r in self.funding if since is None or r["timestamp"] >= since]
        return rows[:limit]


def _no_sleep(log):
    return lambda s: log.append(s)


def test_parse_ohlcv_recorded_shape():
    df = parse_ohlcv(OHLCV["pages"][0])
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert df.index[0] == pd.Timestamp("2024-01-01", tz="UTC") and df["close"].iloc[0] == OHLCV["pages"][0][0][4]
    assert parse_ohlcv([]).empty


def test_parse_funding_floors_jitter_and_infers_interval():
    rows = [r for p in FUNDING["pages"] for r in p]
    df = parse_funding_history(rows)
    assert (df.index.second == 0).all() and set(df.index.hour) == {0, 8, 16}
    assert (df["interval_hours"] == 8.0).all() and df["rate"].iloc[0] == rows[0]["fundingRate"]


def test_fetch_ohlcv_paginates(tmp_path):
    store, ex, slept = Store(tmp_path), FakeExchange(ohlcv=OHLCV["pages"]), []
    progress = []
    r = fetch("binance", "BTC/USDT", since="2024-01-01", until=UNTIL, limit=4, store=store, exchange=ex,
              sleep=_no_sleep(slept), progress=lambda d, t: progress.append(d / t))
    assert r.new_rows == 10 and r.kind == "price" and r.stored_rows == 10
    # cursors: Jan 1, Jan 5, Jan 9; then the cursor (Jan 11) reaches `until`
    sinces = [c[3] for c in ex.calls]
    assert [pd.Timestamp(s, unit="ms").day for s in sinces] == [1, 5, 9]
    assert progress[-1] == pytest.approx(1.0) and progress == sorted(progress)
    df = store.read("price", "binance", "BTC/USDT", "1d")
    assert len(df) == 10 and df["close"].iloc[-1] == OHLCV["pages"][2][-1][4]


def test_fetch_is_incremental(tmp_path):
    store = Store(tmp_path)
    first = FakeExchange(ohlcv=OHLCV["pages"][:2])  # only Jan 1-8 known at first
    fetch("binance", "BTC/USDT", since="2024-01-01", until=UNTIL, limit=4, store=store, exchange=first,
          sleep=lambda s: None)
    later = FakeExchange(ohlcv=OHLCV["pages"])
    r = fetch("binance", "BTC/USDT", since="2024-01-01", until=UNTIL, limit=4, store=store, exchange=later,
              sleep=lambda s: None)
    assert pd.Timestamp(later.calls[0][3], unit="ms", tz="UTC") == pd.Timestamp("2024-01-09", tz="UTC")
    assert r.new_rows == 2 and r.stored_rows == 10
    again = FakeExchange(ohlcv=OHLCV["pages"])
    r = fetch("binance", "BTC/USDT", until=UNTIL, store=store, exchange=again, sleep=lambda s: None)
    assert r.new_rows == 0 and r.stored_rows == 10


def test_fetch_drops_open_candle(tmp_path):
    ex = FakeExchange(ohlcv=OHLCV["pages"])
    r = fetch("binance", "BTC/USDT", since="2024-01-01", until="2024-01-10 12:00", store=Store(tmp_path), exchange=ex,
              sleep=lambda s: None)
    assert r.end == "2024-01-09T00:00:00+00:00"  # the Jan 10 candle is still open at 12:00


def test_fetch_retries_with_backoff_then_succeeds(tmp_path):
    ex = FakeExchange(ohlcv=OHLCV["pages"], fail=[ccxt.RequestTimeout("timeout"), ccxt.NetworkError("reset")])
    slept = []
    r = fetch("binance", "BTC/USDT", since="2024-01-01", until=UNTIL, limit=4, store=Store(tmp_path), exchange=ex,
              sleep=slept.append, backoff_seconds=1.0)
    assert r.retries == 2 and r.new_rows == 10
    assert slept[:2] == [1.0, 2.0]  # exponential back-off


def test_fetch_rate_limit_spacing(tmp_path):
    ex = FakeExchange(ohlcv=OHLCV["pages"])
    slept = []
    fetch("binance", "BTC/USDT", since="2024-01-01", until=UNTIL, limit=4, store=Store(tmp_path), exchange=ex,
          sleep=slept.append)
    # every call after the first waits up to rateLimit (50 ms) since the previous one
    assert len(ex.calls) == 3 and len(slept) == 2 and all(0 < s <= 0.05 for s in slept)


def test_fetch_network_unavailable_one_line(tmp_path):
    ex = FakeExchange(ohlcv=OHLCV["pages"],
                      fail=[ccxt.ExchangeNotAvailable("binance GET https://api.binance.com down")] * 9)
    with pytest.raises(DataError) as exc:
        fetch("binance", "BTC/USDT", since="2024-01-01", store=Store(tmp_path), exchange=ex, sleep=lambda s: None,
              max_retries=2)
    msg = str(exc.value)
    assert "binance unavailable after 3 attempts" in msg and "\n" not in msg
    assert not (tmp_path / "catalog.json").exists()


def test_fetch_bad_symbol_and_inputs(tmp_path):
    ex = FakeExchange(fail=[ccxt.BadSymbol("binance does not have market symbol FOO/BAR")])
    with pytest.raises(InputError, match="--symbols"):
        fetch("binance", "FOO/BAR", since="2024-01-01", store=Store(tmp_path), exchange=ex, sleep=lambda s: None)
    with pytest.raises(InputError, match="--since"):
        fetch("binance", "BTC/USDT", store=Store(tmp_path), exchange=FakeExchange())
    with pytest.raises(InputError, match="--kind"):
        fetch("binance", "BTC/USDT", kind="trades", since="2024-01-01", store=Store(tmp_path), exchange=FakeExchange())
    with pytest.raises(InputError, match="--timeframe"):
        fetch("binance", "BTC/USDT", timeframe="1x", since="2024-01-01", store=Store(tmp_path), exchange=FakeExchange())


def test_fetch_funding_paginates_and_resumes(tmp_path):
    store = Store(tmp_path)
    ex = FakeExchange(funding=FUNDING["pages"][:1])
    r = fetch("binance", "BTC/USDT:USDT", kind="funding", since="2024-01-01", until="2024-01-04", limit=4, store=store,
              exchange=ex, sleep=lambda s: None)
    assert (r.kind, r.freq, r.new_rows) == ("funding", "8h", 4)
    ex = FakeExchange(funding=FUNDING["pages"])
    r = fetch("binance", "BTC/USDT:USDT", kind="funding", until="2024-01-04", limit=4, store=store, exchange=ex,
              sleep=lambda s: None)
    assert r.new_rows == 5 and r.stored_rows == 9
    s = store.read("funding", "binance", "BTC/USDT:USDT", "8h")
    assert len(s) == 9 and not s.index.has_duplicates and (s["interval_hours"] == 8).all()
