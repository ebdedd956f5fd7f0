"""Quality checks report problems on real and constructed frames; they never change data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgekit.data.importers import _to_utc_index
from hedgekit.data.quality import check_quality, count_gaps, find_gaps, freq_step


def _raw_yahoo(data_dir, coin: str) -> pd.DataFrame:
    df = pd.read_csv(data_dir / f"prices/yahoo_daily_hourly_28coins_to_2025-02/1d/{coin}-USD_1d.csv.gz")
    return df.set_index(_to_utc_index(df["datetime"], coin)).drop(columns="datetime")


def test_yahoo_aave_bad_row_detected(data_dir):
    raw = _raw_yahoo(data_dir, "AAVE")
    rep = check_quality(raw, "1d", series="yahoo AAVE")
    bad = rep.by_check("non_positive")
    assert len(bad) == 1 and bad[0].start.startswith("2020-10-02") and bad[0].rows == 1
    # the bogus 0.52 first close is followed by 53: flagged as an absurd jump too
    assert any(i.start.startswith("2020-10-02") for i in rep.by_check("absurd"))
    before = raw.copy()
    check_quality(raw, "1d")
    pd.testing.assert_frame_equal(raw, before)  # reports only


def test_yahoo_shib_zero_closes_detected(data_dir):
    rep = check_quality(_raw_yahoo(data_dir, "SHIB"), "1d")
    bad = rep.by_check("non_positive")
    assert bad and bad[0].start.startswith("2020-08-01") and sum(i.rows for i in bad) >= 217


def test_clean_binance_series_has_no_findings(data_dir):
    df = pd.read_json(data_dir / "prices/binance_spot_daily_8coins_2020-01_2026-02/BTC_1D.json.gz")
    df = df.set_index(_to_utc_index(df["t"], "t")).rename(columns={"o": "open", "h": "high", "l": "low", "c": "close"})
    assert check_quality(df[["open", "high", "low", "close"]], "1d").ok


def test_htx_funding_gaps_reported(data_dir):
    df = pd.read_csv(data_dir / "funding/multi_exchange_usdt_perp_2020-2024"
                     / "BTC-USDT_htx_2021-01-01_2024-01-01_funding_history.csv.gz")
    frame = pd.DataFrame({"rate": df["Funding Rate"].to_numpy(), "interval_hours": 8.0},
                         index=_to_utc_index(df["Date"], "htx"))
    rep = check_quality(frame, "8h", kind="funding")
    # funding/README.md: HTX files have 7 steps longer than one interval; one of them (24 h) is a
    # hole, the others are off-schedule prints (10/11/9 h steps) reported as irregular
    gaps = rep.by_check("gap")
    assert len(gaps) == 1 == count_gaps(frame, "8h") and gaps[0].start.startswith("2021-02-19T11")
    assert len([i for i in rep.by_check("irregular") if float(i.detail.split()[2]) > 8]) + len(gaps) == 7


def test_constructed_duplicates_gaps_stale_ohlc():
    idx = pd.DatetimeIndex(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-05"] +
                                          [f"2024-01-{d:02d}" for d in range(6, 16)]), tz="UTC")
    close = np.array([1, 2, 2, 3] + [4.0] * 10)
    df = pd.DataFrame({"open": close, "high": close, "low": close, "close": close}, index=idx)
    df.iloc[0, df.columns.get_loc("high")] = 0.5  # high < low and close > high
    rep = check_quality(df, "1d")
    checks = {i.check for i in rep.issues}
    assert {"duplicate", "gap", "stale", "ohlc_inconsistent"} <= checks
    gap = rep.by_check("gap")[0]
    assert gap.start.startswith("2024-01-02") and gap.end.startswith("2024-01-05")
    assert rep.by_check("stale")[0].rows >= 10


def test_freq_step_and_monthly_gaps():
    assert freq_step("8h") == 8 * 3600 * 10**9 and freq_step("1d") == 86400 * 10**9 and freq_step("1M") is None
    idx = pd.DatetimeIndex(pd.to_datetime(["2024-01-31", "2024-02-29", "2024-04-30"]), tz="UTC")
    f = pd.DataFrame({"close": [1.0, 2.0, 3.0]}, index=idx)
    assert len(find_gaps(f, "1M")) == 1
