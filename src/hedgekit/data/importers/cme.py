"""CME crypto futures from Databento ``ohlcv-1d`` CSVs, and the CME contract calendar
(month codes, last trading day)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from hedgekit.data.importers.series import (
    ImportOptions,
    ParsedSeries,
    Refused,
    _ohlcv_frame,
    _price_series,
    _to_utc_index,
)

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
    notes: tuple[str, ...] = (f"{path.name}: skipped {int(spread.sum())} calendar-spread rows",) if spread.any() else ()
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
