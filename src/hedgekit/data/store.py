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

Writers take an exclusive lock (``.lock`` in the data directory: ``fcntl.flock`` on POSIX,
``msvcrt.locking`` on Windows) and re-read the catalog under it, so two processes importing
at once both keep their series; readers never lock (every file they read is replaced
atomically). :meth:`Store.prepare_write` and :meth:`Store.commit_writes` let an import write
several series all or nothing.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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


MAX_NAME = 64  # venue ids and symbols become file names: keep them well inside any filesystem's limit
_VENUE_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _check_key(kind: str, venue: str, symbol: str, freq: str) -> str:
    try:
        kind = SeriesKind(str(kind).lower()).value
    except ValueError:
        raise InputError("kind", f"must be one of {', '.join(k.value for k in SeriesKind)}", kind) from None
    if not isinstance(venue, str) or not _VENUE_RE.fullmatch(venue):
        raise InputError("venue", "must be a lowercase id without spaces or slashes", venue)
    if len(venue) > MAX_NAME:
        raise InputError("venue", f"must be at most {MAX_NAME} characters", venue)
    if not symbol:
        raise InputError("symbol", "must not be empty", symbol)
    if len(symbol) > MAX_NAME or not symbol.isprintable():
        raise InputError("symbol", f"must be at most {MAX_NAME} printable characters", symbol)
    if not freq or len(freq) > 8:
        raise InputError("freq", "must be a timeframe like 1h or 1d", freq)
    return kind


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if needed) while the block runs.
    POSIX: ``fcntl.flock``; Windows: ``msvcrt.locking``; elsewhere an ``O_EXCL`` lock file."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        fcntl = None  # type: ignore[assignment]
    if fcntl is not None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
        return
    try:  # pragma: no cover - Windows
        import msvcrt
    except ImportError:  # pragma: no cover
        msvcrt = None  # type: ignore[assignment]
    if msvcrt is not None:  # pragma: no cover
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue  # LK_LOCK gives up after 10 s; keep waiting
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            os.close(fd)
        return
    busy = path.with_suffix(".held")  # pragma: no cover
    while True:  # pragma: no cover
        try:
            os.close(os.open(busy, os.O_CREAT | os.O_EXCL))
            break
        except FileExistsError:
            time.sleep(0.05)
    try:  # pragma: no cover
        yield
    finally:
        busy.unlink(missing_ok=True)


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingWrite:
    """One series ready to be written by :meth:`Store.commit_writes`: the merged frame, its
    catalog entry, and how it differs from what is stored (``changed`` stored rows get new
    values; ``last_updated`` when only the stored last bar, perhaps still forming when saved,
    does; ``repaired`` when the stored file was unreadable and is rebuilt)."""

    info: SeriesInfo
    frame: pd.DataFrame
    added: int
    changed: int
    first_change: str = ""
    repaired: bool = False
    last_updated: bool = False


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

    def _ensure_dir(self) -> None:
        """The data directory exists and takes files, or an InputError on ``data_dir``."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError("data_dir", f"cannot create the store folder: {exc.strerror or exc}",
                             str(self.path)) from None
        if not self.path.is_dir():
            raise InputError("data_dir", "is not a folder", str(self.path))
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise InputError("data_dir", "is not writable", str(self.path))

    @contextmanager
    def batch(self) -> Iterator[Store]:
        """Hold the store's writer lock and write the catalog once at the end of many writes
        (used by imports). The catalog is re-read under the lock: another process may have
        changed it since this one read it."""
        if self._batch_depth == 0:
            self._ensure_dir()
            lock = _exclusive(self.path / ".lock")
            lock.__enter__()
            self._entries, self._sorted = None, None
        self._batch_depth += 1
        try:
            yield self
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                try:
                    if self._dirty:
                        self._save()
                finally:
                    lock.__exit__(None, None, None)

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
        try:
            df = pd.read_parquet(file, columns=columns)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise DataError(f"{kind}/{venue}/{symbol}/{info.freq}: the stored file {file} is damaged "
                            f"({str(exc)[:120]}); import its source again to rebuild it") from None
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
        kind = _check_key(kind, venue, symbol, freq)
        frame = normalise_frame(frame, f"{kind}/{venue}/{symbol}")
        with self.batch():
            pending = self.prepare_write(kind, venue, symbol, freq, frame, meta=meta, replace=replace)
            return self.commit_writes([pending])[0]

    def prepare_write(
        self,
        kind: str,
        venue: str,
        symbol: str,
        freq: str,
        frame: pd.DataFrame,
        *,
        meta: dict[str, Any] | None = None,
        replace: bool = False,
    ) -> PendingWrite:
        """The merge :meth:`write` would store, without writing anything: the merged frame,
        its catalog entry and how many stored rows it adds or changes. Call it inside
        :meth:`batch` (the lock) and pass the result to :meth:`commit_writes`. A stored file
        that cannot be read is rebuilt from ``frame`` (``repaired``)."""
        import numpy as np
        import pandas as pd

        kind = _check_key(kind, venue, symbol, freq)
        frame = normalise_frame(frame, f"{kind}/{venue}/{symbol}")
        key = (kind, venue, symbol, freq)
        old = self._load().get(key)
        rel = self._file_for(*key)
        added, changed, first_change, repaired, last_updated = len(frame), 0, "", False, False
        if old is not None and (self.path / old.file).exists():
            try:
                stored = pd.read_parquet(self.path / old.file)
            except (OSError, ValueError):
                stored, repaired = None, True
            if stored is not None:
                common = stored.index.intersection(frame.index)
                added = len(frame) - len(common)
                cols = [c for c in frame.columns if c in stored.columns]
                if len(common) and cols:
                    a = stored.loc[common, cols].to_numpy(dtype="float64")
                    b = frame.loc[common, cols].to_numpy(dtype="float64")
                    differs = ~np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True).all(axis=1)
                    # the stored last bar may have been still forming when it was saved (a
                    # dump or fetch taken mid-bar): completing it is an update, not a change
                    last_updated = bool(differs[-1]) and common[-1] == stored.index[-1]
                    differs[-1] &= not last_updated
                    changed = int(differs.sum())
                    if changed:
                        i = int(np.flatnonzero(differs)[0])
                        j = int(np.flatnonzero(~np.isclose(a[i], b[i], rtol=1e-9, atol=0.0, equal_nan=True))[0])
                        first_change = f"{common[i].isoformat()} {cols[j]} {a[i, j]:.10g} -> {b[i, j]:.10g}"
                if not replace:
                    both = pd.concat([stored, frame])
                    frame = both[~both.index.duplicated(keep="last")].sort_index()
        if frame.empty:
            raise DataError(f"{kind}/{venue}/{symbol}/{freq}: nothing to write (0 rows)")
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
        return PendingWrite(info=info, frame=frame, added=added, changed=changed, first_change=first_change,
                            repaired=repaired, last_updated=last_updated)

    def commit_writes(self, pending: list[PendingWrite]) -> list[SeriesInfo]:
        """Write prepared series all or nothing: every parquet file goes to a temporary file
        first; only when all are written are they renamed into place and the catalog saved."""
        with self.batch():
            # every file goes to its temporary path first; the renames run when the stack
            # closes after the last one is written, and a failure deletes them all instead
            with ExitStack() as stack:
                for p in pending:
                    tmp = stack.enter_context(atomic_path(self.path / p.info.file))
                    p.frame.to_parquet(tmp, compression="zstd")
            entries = self._load()
            for p in pending:
                entries[p.info.key] = p.info
            self._sorted = None
            self._save()
        return [p.info for p in pending]

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
