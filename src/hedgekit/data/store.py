"""The local market-data store: one parquet file per series plus a JSON catalog.

Layout under the data directory::

    catalog.json                                  one entry per series (see SeriesInfo)
    series/<kind>/<venue>/<symbol>__<freq>.parquet

A series is keyed by ``(kind, venue, symbol, freq)``. Every frame has a UTC
``DatetimeIndex`` named ``ts`` (bar open time for candles, settlement time for funding),
sorted and unique, and float64 columns:

* ``price``, ``futures``, ``index``, ``mark``: ``open, high, low, close, volume`` (a series
  that only has closes, e.g. an index, stores ``close`` alone);
* ``funding``: ``rate`` (fraction per interval, > 0 = longs pay shorts), ``interval_hours``,
  optionally ``mark_price`` / ``index_price``.

Writes merge with what is stored (new rows win on equal timestamps), so re-importing a
file is idempotent and overlapping imports never duplicate a timestamp. Every file,
the catalog included, is written to a temporary file and renamed into place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hedgekit._files import atomic_path, atomic_write_bytes
from hedgekit._paths import DATA_DIR_ENV, default_data_dir, resolve_data_dir
from hedgekit.errors import DataError, InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DATA_DIR_ENV", "SeriesInfo", "SeriesKind", "Store", "default_data_dir", "resolve_data_dir"]

CATALOG_VERSION = 1
MAX_HOLES = 1000


class SeriesKind(StrEnum):
    PRICE = "price"  # spot
    FUTURES = "futures"  # perpetual or dated future prices
    FUNDING = "funding"
    INDEX = "index"
    MARK = "mark"


@dataclass(frozen=True, kw_only=True, slots=True)
class SeriesInfo:
    """One catalog entry. ``start``/``end`` are ISO UTC timestamps; ``gaps`` counts holes
    longer than one step of ``freq`` (for funding: longer than the row's interval)."""

    kind: str
    venue: str
    symbol: str
    freq: str
    start: str
    end: str
    rows: int
    gaps: int
    file: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.venue, self.symbol, self.freq)

    @property
    def base(self) -> str:
        """Base coin of the symbol: ``BTC/USDT:USDT`` -> ``BTC``; a dated code -> its meta base."""
        if "/" in self.symbol:
            return self.symbol.split("/", 1)[0]
        return str(self.meta.get("base", self.symbol))

    @property
    def quote(self) -> str:
        if "/" in self.symbol:
            return self.symbol.split("/", 1)[1].split(":", 1)[0]
        return str(self.meta.get("quote", ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "venue": self.venue,
            "symbol": self.symbol,
            "freq": self.freq,
            "start": self.start,
            "end": self.end,
            "rows": self.rows,
            "gaps": self.gaps,
        }


def _check_key(kind: str, venue: str, symbol: str, freq: str) -> str:
    try:
        kind = SeriesKind(str(kind).lower()).value
    except ValueError:
        raise InputError("kind", f"must be one of {', '.join(k.value for k in SeriesKind)}", kind) from None
    if not venue or venue != venue.lower() or any(c in venue for c in "/\\ "):
        raise InputError("venue", "must be a lowercase id without spaces or slashes", venue)
    if not symbol:
        raise InputError("symbol", "must not be empty", symbol)
    if not freq:
        raise InputError("freq", "must not be empty", freq)
    return kind


class Store:
    """Parquet series plus a catalog under ``path`` (see :func:`resolve_data_dir`).

    >>> store = Store("/tmp/hk")                                 # doctest: +SKIP
    >>> store.read("price", "binance", "BTC/USDT", "1d").close   # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = resolve_data_dir(path)
        self._entries: dict[tuple[str, str, str, str], SeriesInfo] | None = None
        self._sorted: list[SeriesInfo] | None = None
        self._batch_depth = 0
        self._dirty = False

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- catalog ---------------------------------------------------------------------------
    @property
    def catalog_path(self) -> Path:
        return self.path / "catalog.json"

    def _load(self) -> dict[tuple[str, str, str, str], SeriesInfo]:
        if self._entries is None:
            entries: dict[tuple[str, str, str, str], SeriesInfo] = {}
            if self.catalog_path.exists():
                try:
                    doc = json.loads(self.catalog_path.read_text())
                    for row in doc["series"]:
                        info = SeriesInfo(**row)
                        entries[info.key] = info
                except (ValueError, KeyError, TypeError) as exc:
                    raise DataError(f"{self.catalog_path}: unreadable catalog ({exc})") from None
            self._entries = entries
        return self._entries

    def _save(self) -> None:
        if self._batch_depth:
            self._dirty = True
            return
        rows = [
            {**info.to_dict(), "file": info.file, "meta": info.meta}
            for info in sorted(self._load().values(), key=lambda i: i.key)
        ]
        doc = {"version": CATALOG_VERSION, "series": rows}
        atomic_write_bytes(self.catalog_path, json.dumps(doc, indent=1).encode())
        self._dirty = False

    @contextmanager
    def batch(self) -> Iterator[Store]:
        """Write the catalog once at the end of many writes (used by imports)."""
        self._batch_depth += 1
        try:
            yield self
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._dirty:
                self._save()

    def catalog(self) -> list[SeriesInfo]:
        """All series, sorted by (kind, venue, symbol, freq)."""
        if self._sorted is None:
            self._sorted = sorted(self._load().values(), key=lambda i: i.key)
        return list(self._sorted)

    def find(
        self,
        kind: str | None = None,
        venue: str | None = None,
        symbol: str | None = None,
        freq: str | None = None,
    ) -> list[SeriesInfo]:
        """Catalog entries matching every given field."""
        return [
            i
            for i in self.catalog()
            if (kind is None or i.kind == kind)
            and (venue is None or i.venue == venue)
            and (symbol is None or i.symbol == symbol)
            and (freq is None or i.freq == freq)
        ]

    def info(self, kind: str, venue: str, symbol: str, freq: str | None = None) -> SeriesInfo:
        """The one catalog entry for a key; ``freq=None`` works when only one frequency is stored."""
        hits = self.find(kind, venue, symbol, freq)
        if not hits:
            raise DataError(
                f"no stored series {kind}/{venue}/{symbol}" + (f"/{freq}" if freq else "")
                + f" in {self.path} (run 'hedgekit data list' to see what is stored)"
            )
        if len(hits) > 1:
            freqs = ", ".join(h.freq for h in hits)
            raise DataError(f"{kind}/{venue}/{symbol} is stored at several frequencies ({freqs}); pass freq")
        return hits[0]

    # -- series ----------------------------------------------------------------------------
    def _file_for(self, kind: str, venue: str, symbol: str, freq: str) -> str:
        name = quote(symbol, safe="") + "__" + quote(freq, safe="") + ".parquet"
        return f"series/{kind}/{venue}/{name}"

    def read(
        self,
        kind: str,
        venue: str,
        symbol: str,
        freq: str | None = None,
        start: Any = None,
        end: Any = None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """The stored frame of one series, optionally cut to ``[start, end]`` (inclusive, UTC)."""
        import pandas as pd

        info = self.info(kind, venue, symbol, freq)
        file = self.path / info.file
        if not file.exists():
            raise DataError(f"{kind}/{venue}/{symbol}/{info.freq}: catalog names {file}, which is missing")
        df = pd.read_parquet(file, columns=columns)
        if start is not None or end is not None:
            lo = None if start is None else to_utc(start)
            hi = None if end is None else to_utc(end)
            df = df.loc[lo:hi]
        return df

    def write(
        self,
        kind: str,
        venue: str,
        symbol: str,
        freq: str,
        frame: pd.DataFrame,
        *,
        meta: dict[str, Any] | None = None,
        replace: bool = False,
    ) -> SeriesInfo:
        """Merge ``frame`` into the stored series (new rows win on equal timestamps).

        ``frame`` must have a tz-aware DatetimeIndex; it is converted to UTC. ``replace=True``
        overwrites instead of merging. Returns the updated catalog entry.
        """
        import pandas as pd

        kind = _check_key(kind, venue, symbol, freq)
        frame = normalise_frame(frame, f"{kind}/{venue}/{symbol}")
        key = (kind, venue, symbol, freq)
        entries = self._load()
        old = entries.get(key)
        rel = self._file_for(*key)
        if old is not None and not replace and (self.path / old.file).exists():
            stored = pd.read_parquet(self.path / old.file)
            both = pd.concat([stored, frame])
            frame = both[~both.index.duplicated(keep="last")].sort_index()
        if frame.empty:
            raise DataError(f"{kind}/{venue}/{symbol}/{freq}: nothing to write (0 rows)")
        with atomic_path(self.path / rel) as tmp:
            frame.to_parquet(tmp, compression="zstd")
        from hedgekit.data.quality import find_gaps

        merged_meta = dict(old.meta) if old is not None else {}
        merged_meta.update(meta or {})
        try:
            holes = find_gaps(frame, freq, weekdays=merged_meta.get("calendar") == "weekdays")
        except ValueError:  # a frequency without a fixed step that we cannot check
            holes = []
        # hole bounds (last bar before, first bar after) let loaders rank coverage without reading files
        merged_meta["holes"] = [[a.isoformat(), b.isoformat()] for a, b in holes[:MAX_HOLES]]
        info = SeriesInfo(
            kind=kind,
            venue=venue,
            symbol=symbol,
            freq=freq,
            start=frame.index[0].isoformat(),
            end=frame.index[-1].isoformat(),
            rows=len(frame),
            gaps=len(holes),
            file=rel,
            meta=merged_meta,
        )
        entries[key] = info
        self._sorted = None
        self._save()
        return info

    def last_timestamp(self, kind: str, venue: str, symbol: str, freq: str) -> pd.Timestamp | None:
        """Last stored timestamp of a series, or None if it is not stored (used by fetch)."""
        import pandas as pd

        hits = self.find(kind, venue, symbol, freq)
        return pd.Timestamp(hits[0].end) if hits else None


def to_utc(value: Any) -> pd.Timestamp:
    """A timestamp in UTC: naive values are taken as UTC, aware ones are converted."""
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError("timestamp", "not a date/time", value) from None
    if ts is pd.NaT:
        raise InputError("timestamp", "not a date/time", value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def normalise_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """UTC ns index named ``ts``, sorted, unique (last wins), float64 columns."""
    import pandas as pd

    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{name}: frame index must be a DatetimeIndex (got {type(frame.index).__name__})")
    if frame.index.tz is None:
        raise DataError(f"{name}: frame index must be timezone-aware (naive timestamps are ambiguous)")
    out = frame.astype("float64")
    idx = out.index.tz_convert("UTC").as_unit("ns")
    out.index = idx.rename("ts")
    if not out.index.is_monotonic_increasing or out.index.has_duplicates:
        out = out[~out.index.duplicated(keep="last")].sort_index()
    return out
