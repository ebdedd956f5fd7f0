"""Live history through ccxt public endpoints (no keys). The only module that imports ccxt.

Fetches are paginated (``since`` cursor + ``limit``), rate-limited (at least the exchange's
``rateLimit`` ms between calls), retried with exponential back-off on network errors, and
incremental: a stored series is only extended from its last timestamp. Parsing of ccxt's
answers is pure (:func:`parse_ohlcv`, :func:`parse_funding_history`) and tested on recorded
responses; the exchange object can be injected, so tests never touch the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.data.quality import freq_step
from hedgekit.data.store import Store, to_utc
from hedgekit.errors import DataError, InputError

__all__ = ["FetchResult", "fetch", "make_exchange", "parse_funding_history", "parse_ohlcv"]

Progress = Callable[[int, int], None]  # (done_ms, total_ms)


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchResult:
    venue: str
    symbol: str
    kind: str
    freq: str
    new_rows: int
    calls: int
    retries: int
    start: str | None
    end: str | None
    stored_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def parse_ohlcv(rows: list[list[Any]]) -> pd.DataFrame:
    """ccxt ``fetch_ohlcv`` rows ``[ms, open, high, low, close, volume]`` -> UTC frame."""
    if not rows:
        return pd.DataFrame(columns=["open", "high", "low", "close", "volume"],
                            index=pd.DatetimeIndex([], tz="UTC", name="ts"), dtype="float64")
    arr = np.asarray([r[:6] for r in rows], dtype="float64")
    idx = pd.to_datetime(arr[:, 0].astype("int64"), unit="ms", utc=True).as_unit("ns").rename("ts")
    return pd.DataFrame(arr[:, 1:], index=idx, columns=["open", "high", "low", "close", "volume"])


def parse_funding_history(rows: list[dict[str, Any]], interval_hours: float | None = None) -> pd.DataFrame:
    """ccxt ``fetch_funding_rate_history`` dicts (``timestamp`` ms, ``fundingRate``) -> frame with
    ``rate`` and ``interval_hours`` on whole-minute settlement times (Binance adds ms jitter).
    The interval is the modal spacing of the rows unless given."""
    if not rows:
        return pd.DataFrame(columns=["rate", "interval_hours"], index=pd.DatetimeIndex([], tz="UTC", name="ts"),
                            dtype="float64")
    ts = np.asarray([int(r["timestamp"]) for r in rows], dtype="int64")
    rate = np.asarray([float(r["fundingRate"]) for r in rows], dtype="float64")
    idx = pd.to_datetime(ts, unit="ms", utc=True).floor("min").as_unit("ns").rename("ts")
    if interval_hours is None:
        d = np.diff(np.unique(idx.asi8))
        if len(d) == 0:
            raise DataError("one funding row and no stored series: cannot tell the funding interval")
        vals, counts = np.unique(d, return_counts=True)
        interval_hours = float(vals[np.argmax(counts)]) / 3600e9
    out = pd.DataFrame({"rate": rate, "interval_hours": float(interval_hours)}, index=idx)
    return out[~out.index.duplicated(keep="last")].sort_index()


def make_exchange(venue: str, options: dict[str, Any] | None = None) -> Any:
    """A ccxt exchange for public data, with ccxt's own rate limiter on."""
    import ccxt

    cls = getattr(ccxt, venue, None)
    if cls is None or not isinstance(cls, type):
        raise InputError("--venue", "not a ccxt exchange id", venue)
    return cls({"enableRateLimit": True, **(options or {})})


def _retrying(call: Callable[[], Any], *, venue: str, max_retries: int, backoff: float,
              sleep: Callable[[float], None], counter: list[int]) -> Any:
    import ccxt

    for attempt in range(max_retries + 1):
        try:
            return call()
        except ccxt.BadSymbol as exc:
            raise InputError("--symbols", f"{venue} does not list it ({exc})", None, show_value=False) from None
        except (ccxt.NetworkError, ccxt.ExchangeNotAvailable) as exc:
            # ccxt: RequestTimeout, DDoSProtection, RateLimitExceeded, ExchangeNotAvailable are NetworkErrors
            if attempt == max_retries:
                first = str(exc).splitlines()[0][:160] if str(exc) else ""
                raise DataError(
                    f"{venue} unavailable after {max_retries + 1} attempts "
                    f"({type(exc).__name__}: {first}); check the network and try again"
                ) from None
            counter[0] += 1
            sleep(backoff * 2**attempt)
        except ccxt.BaseError as exc:
            first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise DataError(f"{venue}: {type(exc).__name__}: {first_line}") from None
    raise AssertionError("unreachable")


def fetch(
    venue: str,
    symbol: str,
    *,
    kind: str = "ohlcv",
    since: Any = None,
    until: Any = None,
    timeframe: str = "1d",
    limit: int = 1000,
    store: Store | None = None,
    exchange: Any = None,
    progress: Progress | None = None,
    max_retries: int = 4,
    backoff_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> FetchResult:
    """Fetch ``kind`` (``ohlcv`` or ``funding``) for one symbol and merge it into the store.

    Starts at the stored series' last timestamp + one step when there is one, else at ``since``
    (required then). Candles of a perpetual (``BTC/USDT:USDT``) are stored as kind ``futures``,
    others as ``price``. The last, still-open candle is not stored.
    """
    if kind not in ("ohlcv", "funding"):
        raise InputError("--kind", "must be ohlcv or funding", kind)
    try:
        step_ns = freq_step(timeframe)
    except ValueError as exc:
        raise InputError("--timeframe", str(exc), timeframe) from None
    if step_ns is None:
        raise InputError("--timeframe", "monthly candles are not supported by fetch", timeframe)
    venue = venue.lower()
    store = store if store is not None else Store()
    freq: str | None
    if kind == "ohlcv":
        skind, freq = ("futures" if ":" in symbol else "price"), timeframe
    else:
        skind = "funding"
        hits = store.find("funding", venue, symbol)
        settled = [h for h in hits if not h.meta.get("aggregate")]
        freq = settled[0].freq if settled else None
    last = store.last_timestamp(skind, venue, symbol, freq) if freq else None
    interval_hours: float | None = None
    if kind == "funding" and freq:
        interval_hours = float(store.read("funding", venue, symbol, freq, columns=["interval_hours"])
                               ["interval_hours"].iloc[-1])
    if last is not None:
        start = last + pd.Timedelta(step_ns if kind == "ohlcv" else 60e9, unit="ns")
    elif since is not None:
        start = to_utc(since)
    else:
        raise InputError("--since", "required: nothing stored yet for this series", None, show_value=False)
    end = to_utc(until) if until is not None else pd.Timestamp(clock(), unit="s", tz="UTC")
    ex = exchange if exchange is not None else make_exchange(venue)
    min_gap = float(getattr(ex, "rateLimit", 0) or 0) / 1000.0
    cursor = int(start.value // 10**6)
    end_ms = int(end.value // 10**6)
    total = max(end_ms - cursor, 1)
    first_ms = cursor
    pages: list[pd.DataFrame] = []
    calls, retries = 0, [0]
    last_call = -1e18
    while cursor < end_ms:
        wait = min_gap - (time.monotonic() - last_call)
        if calls and wait > 0:
            sleep(wait)
        last_call = time.monotonic()
        if kind == "ohlcv":
            rows = _retrying(partial(ex.fetch_ohlcv, symbol, timeframe, cursor, limit), venue=venue,
                             max_retries=max_retries, backoff=backoff_seconds, sleep=sleep, counter=retries)
            page = parse_ohlcv(rows)
        else:
            rows = _retrying(partial(ex.fetch_funding_rate_history, symbol, cursor, limit), venue=venue,
                             max_retries=max_retries, backoff=backoff_seconds, sleep=sleep, counter=retries)
            page = parse_funding_history(rows, interval_hours) if rows else parse_funding_history([])
        calls += 1
        if page.empty:
            break
        page = page[page.index.asi8 // 10**6 >= cursor]
        if page.empty:  # the venue answered with nothing new: stop instead of looping
            break
        pages.append(page)
        nxt = int(page.index[-1].value // 10**6) + (step_ns // 10**6 if kind == "ohlcv" else 60_000)
        if progress is not None:
            progress(min(nxt, end_ms) - first_ms, total)
        cursor = nxt
    if not pages:
        new = pd.DataFrame()
    else:
        new = pd.concat(pages)
        new = new[~new.index.duplicated(keep="last")].sort_index()
        if kind == "ohlcv":  # drop the candle still open at `end`
            new = new[new.index + pd.Timedelta(step_ns, unit="ns") <= end]
        else:
            new = new[new.index <= end]
    if kind == "funding" and freq is None and not new.empty:
        ih = float(new["interval_hours"].iloc[-1])
        freq = f"{ih:g}h"
    if new.empty:
        found = store.find(skind, venue, symbol, freq) if freq else []
        return FetchResult(venue=venue, symbol=symbol, kind=skind, freq=freq or timeframe, new_rows=0, calls=calls,
                           retries=retries[0], start=None, end=None, stored_rows=found[0].rows if found else 0)
    assert freq is not None  # a funding page carries its interval (set above)
    info = store.write(skind, venue, symbol, freq, new, meta={"source": f"ccxt {venue}"})
    return FetchResult(venue=venue, symbol=symbol, kind=skind, freq=freq, new_rows=len(new), calls=calls,
                       retries=retries[0], start=new.index[0].isoformat(), end=new.index[-1].isoformat(),
                       stored_rows=info.rows)
