"""A long hourly market for sweep tests and benchmarks, tiled from stored daily history.

The Binance BTC/ETH daily spot returns, perpetual basis (perp close / spot close), intrabar
highs (perp high / close) and 8-hourly funding rates of 2021-2024 are replayed as hourly bars:
played forward then mirrored back (so prices stay bounded), each extra asset starting further
into the cycle, repeated to ``n_bars``. The numbers are real; their clock is not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

COINS = (("BTC", 1.0, "BTCUSDT"), ("ETH", 10.0, "ETHUSDT"))


def _klines(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame.index = pd.to_datetime(frame["open_time"], utc=True)
    return frame


def tiled_market(data_dir: Path, n_bars: int, n_assets: int = 2):
    """``(assets, market)``: ``n_assets`` linear perpetual hedges over ``n_bars`` hourly bars."""
    from hedgekit.backtest.engine import AssetSpec, align_market
    from hedgekit.instruments import Instrument

    index = pd.date_range("2019-01-01", periods=n_bars, freq="h", tz="UTC")
    stamps = index[::8]  # one settlement every 8 bars, at the bar open
    assets, spot, hedge, funding = [], {}, {}, {}
    for j in range(n_assets):
        coin, coins, symbol = COINS[j % 2]
        s = _klines(data_dir / f"futures/binance_spot_{symbol}_1d_2021-2024.csv.gz")["close"].to_numpy(float)
        perp = _klines(data_dir / f"futures/binance_usdm_perp_{symbol}_1d_2021-2024.csv.gz")
        rates = pd.read_csv(data_dir / f"funding/binance_usdm_{symbol}_funding_8h_2021-2024.csv.gz")
        r = np.diff(np.log(s))
        cycle = np.concatenate([r, -r[::-1]])
        reps = n_bars // len(cycle) + 2
        step = np.roll(np.tile(cycle, reps), -97 * j)[: n_bars - 1]
        price = s[0] * np.exp(np.concatenate([[0.0], np.cumsum(step)]))
        k = (np.arange(n_bars) + 97 * j) % len(s)
        basis = perp["close"].to_numpy(float) / s
        close = price * basis[k]
        high = close * (perp["high"].to_numpy(float) / perp["close"].to_numpy(float))[k]
        name = f"{coin}{j}"
        spot[name] = pd.Series(price, index=index)
        hedge[name] = pd.DataFrame({"close": close, "high": high}, index=index)
        rate = rates["funding_rate"].to_numpy(float)
        funding[name] = pd.Series(rate[(np.arange(len(stamps)) + 3 * j) % len(rate)], index=stamps)
        assets.append(AssetSpec(name=name, coins=coins, fee=0.0005, slippage=0.0002,
                                instrument=Instrument(symbol=symbol, contract_type="linear",
                                                      contract_size=1.0, base=coin, quote="USDT",
                                                      lot_size=0.001)))
    return assets, align_market(assets, spot=spot, hedge=hedge, funding=funding)
