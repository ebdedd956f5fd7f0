"""What every parser returns and the frame helpers they share: :class:`ParsedSeries`, the
UTC index reader, frequency inference, and the price/funding series builders that dedupe,
drop bad rows and say so in notes (never silently)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.errors import DataError


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


def _with_note(s: ParsedSeries, note: str) -> ParsedSeries:
    return ParsedSeries(kind=s.kind, venue=s.venue, symbol=s.symbol, freq=s.freq, frame=s.frame, meta=s.meta,
                        notes=s.notes + (note,))
