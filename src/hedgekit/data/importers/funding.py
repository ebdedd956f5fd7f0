"""Funding histories other than Binance's: BitMEX ``/api/v1/funding`` rows, Deribit perpetual
funding, one-venue ``Symbol,Date,Funding Rate`` files, the cross-venue funding parquet, and
daily means of 8h rates."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hedgekit.data.importers.names import _pair_from_name, _perp, _venue, perp_symbol, split_pair
from hedgekit.data.importers.series import (
    ImportOptions,
    ParsedSeries,
    Refused,
    _funding_series,
    _price_series,
    _to_utc_index,
)
from hedgekit.venues import unified_symbol


def parse_funding_daily_mean(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """``date,funding_mean[,funding_abs]``: the day's mean of 8h rates (still a fraction per 8h).
    Stored as freq ``1d`` with meta ``aggregate=daily_mean``; loaders prefer settlement series."""
    df = pd.read_csv(path)
    idx = _to_utc_index(df["date"], path.name)
    venue = _venue(path, opts)
    symbol = _perp(opts, _pair_from_name(path), f"the file name {path.name!r}")
    s = _funding_series(venue, symbol, idx, df["funding_mean"], 8.0, freq="1d",
                        meta={"aggregate": "daily_mean"},
                        notes=(f"{path.name}: daily mean of 8h rates (fraction per 8h), stored as freq 1d",))
    return [s]


_BITMEX_SYMBOLS = {"XBTUSD": "BTC/USD:BTC", "ETHUSD": "ETH/USD:BTC", "XBTUSDT": "BTC/USDT:USDT"}


def parse_bitmex_funding(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """BitMEX ``/api/v1/funding`` rows: ``timestamp,symbol,fundingInterval,fundingRate,...``;
    ``fundingInterval`` encodes a duration as a time after 2000-01-01."""
    df = pd.read_csv(path)
    venue = _venue(path, opts, default="bitmex")
    out = []
    for code, g in df.groupby("symbol", sort=True):
        symbol = opts.symbol or _BITMEX_SYMBOLS.get(str(code))
        if symbol is None:
            pair = split_pair(str(code).replace("XBT", "BTC"))
            symbol = perp_symbol(*pair) if pair else str(code)
        idx = _to_utc_index(g["timestamp"], path.name)
        iv = (pd.to_datetime(g["fundingInterval"], utc=True) - pd.Timestamp("2000-01-01", tz="UTC"))
        hours = iv.dt.total_seconds().to_numpy() / 3600.0
        out.append(_funding_series(venue, symbol, idx, g["fundingRate"], hours, meta={"venue_symbol": str(code)}))
    return out


def parse_deribit_funding(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Deribit perpetual funding history: ``timestamp`` (ms UTC; ``time_dt`` is London local time
    and ignored), ``interest_1h`` (the hour's funding), ``interest_8h``, ``index_price``.
    Gives the hourly funding series and the Deribit index as a second series."""
    df = pd.read_csv(path)
    idx = _to_utc_index(df["timestamp"], path.name)
    venue = _venue(path, opts, default="deribit")
    symbol = opts.symbol or "BTC/USD:BTC"
    if not opts.symbol:
        m = re.search(r"([A-Z]{2,6})-PERPETUAL", path.name)
        if m:
            symbol = unified_symbol(m.group(1), "USD", m.group(1))
    fund = _funding_series(venue, symbol, idx, df["interest_1h"], 1.0,
                           extra={"index_price": df["index_price"].to_numpy(),
                                  "interest_8h": df["interest_8h"].to_numpy()})
    base = symbol.split("/")[0]
    index = pd.DataFrame({"close": pd.to_numeric(df["index_price"], errors="coerce").to_numpy(dtype="float64")},
                         index=idx.floor("min"))
    idx_series = _price_series("index", venue, unified_symbol(base, "USD"), index, freq="1h")
    return [fund, idx_series]


def parse_multi_exchange_funding(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """``Symbol,Date,Funding Rate`` files (one venue per file, venue in the name, e.g.
    ``BTC-USDT_binance_..._funding_history.csv``). ``Date`` is taken as written (UTC unless
    ``tz_offset_hours`` says otherwise); 8h files are checked against the venue's schedule."""
    df = pd.read_csv(path)
    venue = _venue(path, opts)
    out = []
    for code, g in df.groupby("Symbol", sort=True):
        symbol = _perp(opts, split_pair(str(code)), f"the symbol {code!r}")
        idx = _to_utc_index(g["Date"], path.name)
        step = np.diff(np.unique(idx.as_unit("ns").asi8))
        hours = float(np.median(step) / 3600e9) if len(step) else 8.0
        out.append(_funding_series(venue, symbol, idx, g["Funding Rate"], hours))
    return out


def parse_funding_parquet(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Cross-venue funding parquet: ``venue, venue_symbol, canonical_symbol (BTC-USDT-PERP),
    settlement_ts, rate_raw, interval_hours, is_predicted, mark_price, index_price``.
    Predicted (not yet settled) rows are not stored."""
    df = pd.read_parquet(path)
    notes: tuple[str, ...] = ()
    if "is_predicted" in df.columns and df["is_predicted"].any():
        n = int(df["is_predicted"].sum())
        notes = (f"{path.name}: skipped {n} predicted (unsettled) rows",)
        df = df[~df["is_predicted"].astype(bool)]
    out = []
    for (venue_id, code, canon), g in df.groupby(["venue", "venue_symbol", "canonical_symbol"], sort=True):
        venue = opts.venue or str(venue_id).lower()
        parts = str(canon).split("-")
        if len(parts) >= 2:
            symbol = perp_symbol(parts[0], parts[1])
        else:
            raise Refused(f"cannot read canonical_symbol {canon!r}")
        idx = _to_utc_index(g["settlement_ts"], path.name)
        extra = {k: g[k].to_numpy() for k in ("mark_price", "index_price") if k in g.columns}
        out.append(_funding_series(venue, symbol, idx, g["rate_raw"], g["interval_hours"].to_numpy(),
                                   extra=extra, meta={"venue_symbol": str(code)}, notes=notes))
        notes = ()
    return out
