"""The format registry, detection from a file's name and first bytes, and :func:`parse_file`
(detect, parse, apply ``--tz-offset``, check funding clocks)."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from hedgekit.data.importers.binance import parse_binance_funding_csv, parse_binance_json, parse_binance_kline_csv
from hedgekit.data.importers.cme import parse_cme_databento
from hedgekit.data.importers.freqtrade import _FT_NAME, parse_freqtrade
from hedgekit.data.importers.funding import (
    parse_bitmex_funding,
    parse_deribit_funding,
    parse_funding_daily_mean,
    parse_funding_parquet,
    parse_multi_exchange_funding,
)
from hedgekit.data.importers.funding_clock import check_funding_phase
from hedgekit.data.importers.generic_csv import parse_long_ohlcv_csv, parse_price_volume_csv, parse_yahoo_csv
from hedgekit.data.importers.series import ImportOptions, ParsedSeries, Refused, _with_note
from hedgekit.data.importers.sniff import _open_text, _read_head

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
    except (ValueError, OSError, EOFError, zlib.error):
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
        raise Refused(f"unsupported file type {Path(name).suffix or name!r} "
                      "(csv, json, parquet, feather; csv/json optionally .gz or .zip)")
    if _FT_NAME.match(path.name) and name.endswith((".feather", ".json")):
        return "freqtrade"
    if name.endswith(".parquet"):
        if {"settlement_ts", "rate_raw"} <= cols:
            return "funding-parquet"
        raise Refused(f"parquet columns {sorted(cols)[:8]} match no known layout")
    if name.endswith(".feather"):
        raise Refused("feather file not named like freqtrade's <PAIR>-<tf>[-<type>].feather")
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
    if ("symbol" in cols and {"open", "high", "low", "close"} <= cols
            and cols & {"date", "day", "datetime", "timestamp"}):
        return "long-ohlcv-csv"
    if {"open", "high", "low", "close"} <= cols:
        return "yahoo-csv"
    if {"date", "price"} <= cols:
        return "price-volume-csv"
    cells = head.first_line.split(",")
    if len(cells) >= 6 and all(re.fullmatch(r"-?[\d.eE+-]+", c.strip()) for c in cells[:6]):
        return "binance-kline-csv"
    raise Refused(f"unrecognised layout: header {head.first_line[:120]!r} matches no known format (see --format)")


def _bar_seconds(freq: str) -> float:
    """Length of a ccxt-style timeframe in seconds (a month counts as 28 days); 0 if unknown."""
    m = re.fullmatch(r"(\d+)([smhdwM])", freq)
    if not m:
        return 0.0
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 28 * 86400}[m.group(2)]


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
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, OverflowError,
            pd.errors.ParserError) as exc:
        raise Refused(f"not readable as {fmt}: {exc.__class__.__name__}: {str(exc)[:200]}") from None
    except (OSError, EOFError, zlib.error) as exc:  # a truncated or damaged .gz / .zip
        raise Refused(f"damaged or truncated file ({exc.__class__.__name__}: {str(exc)[:200]})") from None
    if opts.tz_offset_hours and opts.tz_offset_hours % 1:
        hourly = [s for s in series if _bar_seconds(s.freq) >= 3600]
        if hourly:
            raise Refused(f"--tz-offset {opts.tz_offset_hours:g} is not a whole number of hours: "
                          f"{hourly[0].freq} bars would start off the hour")
    if opts.tz_offset_hours:
        delta = pd.Timedelta(hours=opts.tz_offset_hours)
        shifted = []
        for s in series:
            f = s.frame.copy()
            f.index = f.index + delta
            shifted.append(_with_note(
                ParsedSeries(kind=s.kind, venue=s.venue, symbol=s.symbol, freq=s.freq, frame=f, meta=s.meta,
                             notes=s.notes),
                f"timestamps shifted by {opts.tz_offset_hours:+g} h (--tz-offset)",
            ))
        series = shifted
    checked = [check_funding_phase(s, opts.tz_offset_hours) for s in series]
    if opts.tz_offset_hours:
        series = [
            s if ok else _with_note(s, f"{s.kind}/{s.venue}/{s.symbol}: no settlement schedule to verify "
                                       f"--tz-offset {opts.tz_offset_hours:g} against; applied as asked")
            for s, ok in zip(series, checked, strict=True)
        ]
    return fmt, series
