"""Binance files: klines (headered CSV, the public dumps' headerless CSV/zip, JSON) and USD-M
funding history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from hedgekit.data.importers.names import _pair_from_name, _perp, _venue, perp_symbol, split_pair
from hedgekit.data.importers.series import (
    OHLCV,
    ImportOptions,
    ParsedSeries,
    Refused,
    _funding_series,
    _ohlcv_frame,
    _price_series,
    _to_utc_index,
)
from hedgekit.data.importers.sniff import _open_text, _read_head
from hedgekit.venues import unified_symbol


def _binance_kind_symbol(path: Path, opts: ImportOptions, base_quote: tuple[str, str] | None) -> tuple[str, str]:
    """Spot vs futures from the path (``perp``/``usdm``/``futures/um`` -> linear perp,
    ``coinm``/``futures/cm`` -> inverse perp), symbol from ``--symbol`` or the file name."""
    own = [t for t in re.split(r"[^a-z0-9]+", path.name.lower()) if t]
    parents = [t for p in path.parts[-8:-1] for t in re.split(r"[^a-z0-9]+", p.lower()) if t]
    fut_words = ("perp", "usdm", "um", "futures", "coinm", "cm", "swap")
    if "spot" in own:
        futures = False
    elif any(t in own for t in fut_words):
        futures = True
    else:  # Binance dumps: data/spot/... or data/futures/um/...
        futures = "spot" not in parents and any(t in parents for t in fut_words)
    toks = own + parents
    kind = "futures" if futures else "price"
    if opts.symbol:
        return kind, opts.symbol
    if base_quote is None:
        raise Refused(f"cannot tell the symbol from the file name {path.name!r}; pass --symbol")
    base, quote = base_quote
    if not futures:
        return kind, unified_symbol(base, quote)
    if any(t in toks for t in ("coinm", "cm")):
        return kind, unified_symbol(base, "USD", base)
    return kind, perp_symbol(base, quote)


def parse_binance_kline_csv(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Binance klines: headered (``open_time,open,high,low,close,volume,close_time,...``) or the
    public monthly dumps' headerless 12 columns (open time in ms, or us from 2025)."""
    head = _read_head(path)
    if "open_time" in head.columns:
        df = pd.read_csv(path)
        t = df["open_time"]
    else:
        df = pd.read_csv(path, header=None)
        if df.shape[1] < 6:
            raise Refused(f"headerless kline file needs >= 6 columns (got {df.shape[1]})")
        df = df.iloc[:, :6]
        df.columns = ["open_time", *OHLCV]
        t = df["open_time"]
    idx = _to_utc_index(t, path.name)
    kind, symbol = _binance_kind_symbol(path, opts, _pair_from_name(path))
    venue = _venue(path, opts, default="binance")
    return [_price_series(kind, venue, symbol, _ohlcv_frame(df, idx))]


def parse_binance_json(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Binance klines as JSON: the raw ``/api/v3/klines`` array of arrays, or the compact
    ``[{"t","o","h","l","c","v"}]`` layout (no quote in the file: USDT is assumed and said)."""
    with _open_text(path) as fh:
        try:
            doc = json.load(fh)
        except ValueError as exc:
            raise Refused(f"invalid JSON ({exc})") from None
    if not isinstance(doc, list) or not doc:
        raise Refused("expected a non-empty JSON array of klines")
    notes: tuple[str, ...] = ()
    if isinstance(doc[0], dict):
        if not {"t", "o", "h", "l", "c"} <= set(doc[0]):
            raise Refused(f"JSON objects lack kline keys t,o,h,l,c (got {sorted(doc[0])[:8]})")
        df = pd.DataFrame.from_records(doc).rename(
            columns={"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"})
        times = df["t"]
    else:
        df = pd.DataFrame([row[:6] for row in doc], columns=["t", *OHLCV])
        times = df["t"]
    idx = _to_utc_index(times, path.name)
    pair = _pair_from_name(path)
    if pair is None and not opts.symbol:
        m = re.match(r"^([A-Z0-9]{2,12})[_-]", path.name)
        if not m:
            raise Refused(f"cannot tell the symbol from the file name {path.name!r}; pass --symbol")
        pair = (m.group(1), "USDT")
        notes = (f"{path.name}: the file names only the coin; quote USDT assumed (Binance spot); "
                 "pass --symbol to override",)
    kind, symbol = _binance_kind_symbol(path, opts, pair)
    venue = _venue(path, opts, default="binance")
    return [_price_series(kind, venue, symbol, _ohlcv_frame(df, idx), notes=notes)]


def parse_binance_funding_csv(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Binance USD-M funding history: ``symbol,funding_time,funding_rate[,mark_price]`` (API
    ``/fapi/v1/fundingRate`` dumped to CSV), or the public dumps' ``calc_time,
    funding_interval_hours,last_funding_rate``."""
    df = pd.read_csv(path)
    cols = {c.lower(): c for c in df.columns}
    venue = _venue(path, opts, default="binance")
    if "calc_time" in cols:
        symbol = _perp(opts, _pair_from_name(path), f"the file name {path.name!r}")
        idx = _to_utc_index(df[cols["calc_time"]], path.name)
        return [_funding_series(venue, symbol, idx, df[cols["last_funding_rate"]], df[cols["funding_interval_hours"]])]
    out = []
    for code, g in df.groupby(cols["symbol"], sort=True):
        symbol = _perp(opts, split_pair(str(code)), f"the symbol {code!r}")
        idx = _to_utc_index(g[cols["funding_time"]], path.name)
        extra = {"mark_price": g[cols["mark_price"]].to_numpy()} if "mark_price" in cols else {}
        out.append(_funding_series(venue, symbol, idx, g[cols["funding_rate"]], 8.0, extra=extra))
    return out
