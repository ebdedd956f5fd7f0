"""Venue and symbol from file and folder names: ``BTCUSDT``, ``BTC-USD``, ``.../binance/...``.

Symbols are ccxt unified symbols, built by :func:`hedgekit.venues.unified_symbol`."""

from __future__ import annotations

import re
from pathlib import Path

from hedgekit.data.importers.series import ImportOptions, Refused
from hedgekit.venues import unified_symbol

# Venue ids recognised in file and folder names (lowercase, ccxt ids where ccxt has one).
KNOWN_VENUES = (
    "binance", "bybit", "bitmex", "okx", "okex", "deribit", "coinbase", "kraken", "bitstamp", "bitfinex",
    "yahoo", "cme", "hyperliquid", "dydx", "gate", "htx", "huobi", "kucoin", "mexc", "poloniex", "bittrex",
)
QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "EUR", "TRY", "BTC", "ETH", "BNB")


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
    return unified_symbol(base, quote, base if quote == "USD" else quote)


def _perp(opts: ImportOptions, pair: tuple[str, str] | None, what: str) -> str:
    """``--symbol`` if given, else the perpetual symbol of ``pair``; refuse when neither exists."""
    if opts.symbol:
        return opts.symbol
    if pair is None:
        raise Refused(f"cannot tell the symbol from {what}; pass --symbol")
    return perp_symbol(*pair)
