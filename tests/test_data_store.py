"""Store (merge, idempotence, atomic writes, data dir precedence) and the loading API."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.data import (
    Store,
    continuous_future,
    import_path,
    load_funding,
    load_gapless_prices,
    load_ohlc,
    load_prices,
)
from hedgekit.data.store import DATA_DIR_ENV, resolve_data_dir
from hedgekit.errors import DataError, InputError

EIGHT = "prices/binance_spot_daily_8coins_2020-01_2026-02"


def _frame(days: list[str], close: list[float]) -> pd.DataFrame:
    idx = pd.DatetimeIndex(pd.to_datetime(days), tz="UTC")
    c = np.asarray(close, dtype=float)
    return pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1.0}, index=idx)


@pytest.fixture(scope="module")
def eight_coin_store(data_dir, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("eight"))
    import_path(data_dir / EIGHT, store=store)
    return store


def test_reimport_is_idempotent(data_dir, tmp_path):
    store = Store(tmp_path)
    path = data_dir / EIGHT / "BTC_1D.json.gz"
    import_path(path, store=store)
    before = store.read("price", "binance", "BTC/USDT", "1d")
    catalog_before = [i.to_dict() for i in store.catalog()]
    import_path(path, store=store)
    after = Store(tmp_path).read("price", "binance", "BTC/USDT", "1d")
    pd.testing.assert_frame_equal(before, after)
    assert [i.to_dict() for i in Store(tmp_path).catalog()] == catalog_before


def test_overlapping_import_merges_without_duplicates(data_dir, tmp_path):
    # the 2017-2025 Binance BTCUSDT klines and the 2020-2026 8-coin JSON overlap for 5 years
    store = Store(tmp_path)
    import_path(data_dir / "prices/binance_spot_BTCUSDT_1d_2017-08_2025-02.csv.gz", store=store)
    import_path(data_dir / EIGHT / "BTC_1D.json.gz", store=store)
    df = store.read("price", "binance", "BTC/USDT", "1d")
    assert not df.index.has_duplicates and df.index.is_monotonic_increasing
    assert df.index[0] == pd.Timestamp("2017-08-17", tz="UTC") and df.index[-1] == pd.Timestamp("2026-02-21", tz="UTC")
    expected = len(pd.date_range("2017-08-17", "2026-02-21", freq="D"))
    assert len(df) == expected  # both sources have no missing days
    assert store.info("price", "binance", "BTC/USDT").gaps == 0


@given(st.sets(st.integers(0, 40), min_size=1), st.sets(st.integers(0, 40), min_size=1))
@settings(max_examples=25, deadline=None)
def test_merge_is_union_and_new_rows_win(a, b):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        store = Store(d)
        day = pd.Timestamp("2024-01-01")
        fa = _frame([str(day + pd.Timedelta(days=i)) for i in sorted(a)], [1.0] * len(a))
        fb = _frame([str(day + pd.Timedelta(days=i)) for i in sorted(b)], [2.0] * len(b))
        store.write("price", "x", "A/USD", "1d", fa)
        info = store.write("price", "x", "A/USD", "1d", fb)
        df = store.read("price", "x", "A/USD", "1d")
        assert info.rows == len(a | b) == len(df)
        assert (df.loc[fb.index, "close"] == 2.0).all()


def test_write_rejects_naive_index_and_bad_keys(tmp_path):
    store = Store(tmp_path)
    naive = _frame(["2024-01-01"], [1.0]).tz_localize(None)
    with pytest.raises(DataError, match="timezone-aware"):
        store.write("price", "x", "A/USD", "1d", naive)
    with pytest.raises(InputError, match="kind"):
        store.write("candles", "x", "A/USD", "1d", _frame(["2024-01-01"], [1.0]))
    with pytest.raises(InputError, match="venue"):
        store.write("price", "Big Venue", "A/USD", "1d", _frame(["2024-01-01"], [1.0]))
    assert not (tmp_path / "catalog.json").exists()  # nothing written on error


def test_failed_write_leaves_store_untouched(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.write("price", "x", "A/USD", "1d", _frame(["2024-01-01", "2024-01-02"], [1.0, 2.0]))
    before = (tmp_path / store.info("price", "x", "A/USD").file).read_bytes()

    def boom(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError):
        store.write("price", "x", "A/USD", "1d", _frame(["2024-01-03"], [3.0]))
    monkeypatch.undo()
    assert (tmp_path / store.info("price", "x", "A/USD").file).read_bytes() == before
    assert not [p for p in tmp_path.rglob("*.tmp")]
    assert Store(tmp_path).info("price", "x", "A/USD").rows == 2


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"
    assert resolve_data_dir(None) == tmp_path / "env"
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if os.name == "posix":
        assert resolve_data_dir(None) == tmp_path / "xdg" / "hedgekit"


# -- load_prices -------------------------------------------------------------------------------


def test_load_prices_aligned_frame(eight_coin_store, data_dir):
    coins = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "ADA", "AVAX"]
    df = load_prices(coins, start="2021-01-01", end="2024-12-31", store=eight_coin_store)
    assert list(df.columns) == coins and len(df) == 1461 and str(df.index.tz) == "UTC"
    raw = pd.read_json(data_dir / EIGHT / "ETH_1D.json.gz")
    assert df.loc["2021-01-01", "ETH"].item() == raw.set_index("t").loc["2021-01-01", "c"]
    assert df.attrs["sources"]["BTC"] == "price/binance/BTC/USDT/1d"


def test_load_prices_default_window_is_common_span(eight_coin_store):
    df = load_prices(["BTC", "AVAX"], store=eight_coin_store)
    assert df.index[0] == pd.Timestamp("2020-09-22", tz="UTC")  # AVAX's first day


def _gappy_store(tmp_path) -> Store:
    store = Store(tmp_path)
    days = pd.date_range("2024-01-01", "2024-01-10", freq="D")
    store.write("price", "x", "AAA/USD", "1d", _frame([str(d) for d in days], list(range(1, 11))))
    keep = [d for i, d in enumerate(days) if i not in (3, 4, 5)]  # 3-day hole Jan 4-6
    store.write("price", "x", "BBB/USD", "1d", _frame([str(d) for d in keep], [10.0 + i for i in range(len(keep))]))
    return store


def test_gap_policy_fail_names_asset_and_gap(tmp_path):
    store = _gappy_store(tmp_path)
    with pytest.raises(DataError) as exc:
        load_prices(["AAA", "BBB"], store=store)
    msg = str(exc.value)
    assert msg.startswith("BBB:") and "3 missing" in msg and "2024-01-04" in msg and "2024-01-06" in msg


def test_gap_policy_drop(tmp_path):
    df = load_prices(["AAA", "BBB"], gap_policy="drop", store=_gappy_store(tmp_path))
    assert len(df) == 7 and not df.isna().any().any()
    assert pd.Timestamp("2024-01-05", tz="UTC") not in df.index


def test_gap_policy_ffill_with_limit(tmp_path):
    store = _gappy_store(tmp_path)
    df = load_prices(["AAA", "BBB"], gap_policy="ffill", ffill_limit=3, store=store)
    assert len(df) == 10 and (df.loc["2024-01-04":"2024-01-06", "BBB"] == df.loc["2024-01-03", "BBB"].item()).all()
    with pytest.raises(DataError, match="longer than ffill_limit=2"):
        load_prices(["AAA", "BBB"], gap_policy="ffill", ffill_limit=2, store=store)
    with pytest.raises(InputError, match="ffill_limit"):
        load_prices(["AAA"], gap_policy="ffill", store=store)
    with pytest.raises(InputError, match="gap_policy"):
        load_prices(["AAA"], gap_policy="zero", store=store)


def test_load_prices_missing_asset(eight_coin_store):
    with pytest.raises(DataError, match="NOPE: no stored price"):
        load_prices(["BTC", "NOPE"], store=eight_coin_store)


def test_load_ohlc(eight_coin_store):
    df = load_ohlc("SOL", start="2021-01-01", end="2021-01-31", store=eight_coin_store)
    assert list(df.columns) == ["open", "high", "low", "close", "volume"] and len(df) == 31
    assert (df["high"] >= df["low"]).all()


# -- funding and continuous futures ---------------------------------------------------------------


@pytest.fixture(scope="module")
def funding_store(data_dir, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("fund"))
    import_path(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz", store=store)
    import_path(data_dir / "funding/binance_BTCUSDT_funding_daily_mean_2019-09_2026-02.csv.gz", store=store)
    import_path(data_dir / "funding/cross_venue_2025-08_2026-08/venue=binance.parquet", store=store)
    return store


def test_load_funding_settlement_series(funding_store):
    s = load_funding("binance", "BTC/USDT:USDT", start="2024-01-01", end="2024-01-31 23:59", store=funding_store)
    assert s.attrs["interval_hours"] == 8.0 and len(s) == 93
    assert set(s.index.hour) == {0, 8, 16}


def test_load_funding_daily_mean_matches_8h(funding_store):
    # funding/README.md: the daily-mean file equals the mean of the day's three 8h rates
    daily = load_funding("binance", "BTC/USDT:USDT", freq="1d", start="2022-01-01", end="2022-12-31",
                         store=funding_store)
    h8 = load_funding("binance", "BTC/USDT:USDT", start="2022-01-01", end="2022-12-31 23:59", store=funding_store)
    mean = h8.groupby(h8.index.normalize()).mean()
    np.testing.assert_allclose(daily.to_numpy(), mean.reindex(daily.index).to_numpy(), atol=1e-15)


def test_load_funding_by_coin_and_varying_interval(funding_store):
    s = load_funding("binance", "ETHUSDT", store=funding_store)
    assert s.name == "ETH/USDT:USDT"
    with pytest.raises(DataError, match="ambiguous"):
        load_funding("binance", "ARB", store=funding_store)  # ARB/USDT and ARB/USDC perps
    with pytest.raises(DataError, match="no stored funding"):
        load_funding("bybit", "BTC/USDT:USDT", store=funding_store)


def test_continuous_future_days_rule_and_basis(data_dir, tmp_path):
    store = Store(tmp_path)
    import_path(data_dir / "futures/cme_databento_MBT_micro_btc_futures_ohlcv-1d_2021-04_2026-02.csv.gz", store=store)
    import_path(data_dir / EIGHT / "BTC_1D.json.gz", store=store)
    cf = continuous_future("cme", "MBT", roll_days_before_expiry=5, spot="BTC", start="2022-01-01", end="2023-12-31",
                           store=store)
    assert not cf.index.has_duplicates
    assert (cf["days_to_expiry"] > 5).all()
    # expiries never go backwards and each roll moves to a later contract
    assert cf["expiry"].is_monotonic_increasing
    assert cf["roll"].sum() == cf["contract"].nunique() - 1
    row = cf.dropna(subset=["spot"]).iloc[10]
    assert row["basis"] == pytest.approx(row["close"] - row["spot"])
    assert row["basis_pct"] == pytest.approx(row["close"] / row["spot"] - 1)
    assert row["basis_annualized"] == pytest.approx(row["basis_pct"] * 365 / row["days_to_expiry"])
    # CME front-month basis 2022-2023 is a few % a year, not hundreds
    assert abs(cf["basis_annualized"].median()) < 0.3


def test_continuous_future_volume_rule(data_dir, tmp_path):
    store = Store(tmp_path)
    import_path(data_dir / "futures/cme_databento_MET_micro_eth_futures_ohlcv-1d_2021-11_2026-02.csv.gz", store=store)
    cf = continuous_future("cme", "MET", roll_rule="volume", store=store)
    assert cf["expiry"].is_monotonic_increasing and (cf["volume"] > 0).all()
    with pytest.raises(InputError, match="roll_rule"):
        continuous_future("cme", "MET", roll_rule="oi", store=store)
    with pytest.raises(DataError, match="no dated futures"):
        continuous_future("cme", "XYZ", store=store)


# --------------------------------------------------------------------------- load_gapless_prices
def test_gapless_prices_keep_each_coins_own_span(tmp_path):
    # AAA trades Jan 1-10, CCC only from Jan 6: both load, CCC is empty before its listing.
    store = Store(tmp_path)
    days = [str(d) for d in pd.date_range("2024-01-01", "2024-01-10", freq="D")]
    store.write("price", "x", "AAA/USD", "1d", _frame(days, list(range(1, 11))))
    store.write("price", "x", "CCC/USD", "1d", _frame(days[5:], [50.0, 51.0, 52.0, 53.0, 54.0]))
    df = load_gapless_prices(["AAA", "CCC"], store=store)
    assert list(df.columns) == ["AAA", "CCC"]
    assert len(df) == 10 and df["AAA"].tolist() == list(range(1, 11))
    assert df["CCC"].isna().sum() == 5 and df["CCC"].first_valid_index() == pd.Timestamp("2024-01-06", tz="UTC")
    assert df.attrs["sources"] == {"AAA": "price/x/AAA/USD/1d", "CCC": "price/x/CCC/USD/1d"}


def test_gapless_prices_inside_the_window_ignore_holes_outside_it(tmp_path):
    # BBB's hole is Jan 4-6; Jan 7-10 has none.
    df = load_gapless_prices(["BBB"], start="2024-01-07", store=_gappy_store(tmp_path))
    assert df.index[0] == pd.Timestamp("2024-01-07", tz="UTC") and len(df) == 4


def test_gapless_prices_refuse_a_hole_naming_coin_series_count_and_first_bar(tmp_path):
    # BBB lacks Jan 4, 5 and 6 (indices 3-5 of Jan 1-10): 3 missing daily bars, the first Jan 4.
    with pytest.raises(DataError) as exc:
        load_gapless_prices(["AAA", "BBB"], store=_gappy_store(tmp_path))
    assert str(exc.value) == ("BBB: 3 missing 1d bar(s) in price/x/BBB/USD/1d, first at 2024-01-04 00:00:00+00:00 "
                              "(narrow --start/--end)")


def test_gapless_prices_refuse_frequencies_without_a_fixed_step(tmp_path):
    with pytest.raises(InputError, match="freq"):
        load_gapless_prices(["AAA"], freq="1M", store=_gappy_store(tmp_path))
    with pytest.raises(InputError, match="freq"):
        load_gapless_prices(["AAA"], freq="daily", store=_gappy_store(tmp_path))
