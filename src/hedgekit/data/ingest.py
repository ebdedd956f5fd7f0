"""Import files or folders into the store: parse each file, merge its series, report per file."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hedgekit.data.importers import (
    FORMATS,
    ImportOptions,
    ParsedSeries,
    Refused,
    parse_file,
)
from hedgekit.data.store import MAX_NAME, Store
from hedgekit.errors import DataError, InputError

__all__ = ["FileResult", "ImportReport", "import_path"]


@dataclass(frozen=True, kw_only=True, slots=True)
class FileResult:
    """What happened to one file: ``status`` is ``imported`` or ``refused`` (with ``reason``)."""

    path: str
    status: str
    format: str | None = None
    reason: str | None = None
    series: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "format": self.format, "reason": self.reason,
                "series": list(self.series), "notes": list(self.notes)}


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportReport:
    files: tuple[FileResult, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    data_dir: str = ""

    @property
    def imported(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "imported"]

    @property
    def refused(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "refused"]

    @property
    def rows(self) -> int:
        return sum(s["rows"] for f in self.imported for s in f.series)

    def to_dict(self) -> dict[str, Any]:
        return {"data_dir": self.data_dir, "imported": len(self.imported), "refused": len(self.refused),
                "rows": self.rows, "seconds": round(self.seconds, 3), "files": [f.to_dict() for f in self.files]}


def _walk(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    out: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
    return out


def _screen(s: ParsedSeries, accept_outliers: bool) -> ParsedSeries:
    """Drop the rows of ``s`` that cannot be market data (say how many and which), or keep
    them with a note when ``accept_outliers``. Refused when no row is left."""
    from hedgekit.data.quality import find_outliers

    found = find_outliers(s.frame, s.kind)
    if not found.count:
        return s
    name = f"{s.kind}/{s.venue}/{s.symbol}"
    first = "; ".join(found.examples)
    if accept_outliers:
        note = f"{name}: kept {found.count} row(s) that look wrong (--accept-outliers); first: {first}"
        return ParsedSeries(kind=s.kind, venue=s.venue, symbol=s.symbol, freq=s.freq, frame=s.frame,
                            meta=s.meta, notes=s.notes + (note,))
    if found.count == len(s.frame):
        raise Refused(f"{name}: every row looks wrong ({first}); pass --accept-outliers if they are real")
    note = (f"{name}: rejected {found.count} row(s) that look wrong; first: {first} "
            f"(pass --accept-outliers to keep them)")
    return ParsedSeries(kind=s.kind, venue=s.venue, symbol=s.symbol, freq=s.freq, frame=s.frame[~found.mask],
                        meta=s.meta, notes=s.notes + (note,))


def _import_file(store: Store, file: Path, opts: ImportOptions, *, accept_outliers: bool,
                 replace: bool) -> FileResult:
    """One file, whole or not at all: parse, screen, merge every series, then write them all."""
    shown = str(file)
    try:
        fmt, parsed = parse_file(file, opts)
        parsed = [_screen(s, accept_outliers) for s in parsed]
        pending = [store.prepare_write(s.kind, s.venue, s.symbol, s.freq, s.frame, meta=s.meta) for s in parsed]
    except Refused as exc:
        return FileResult(path=shown, status="refused", reason=exc.reason)
    except (InputError, DataError) as exc:  # a key or frame the store refuses (e.g. a bad venue id)
        return FileResult(path=shown, status="refused", reason=str(exc))
    notes = [n for s in parsed for n in s.notes]
    changed = [(s, p) for s, p in zip(parsed, pending, strict=True) if p.changed]
    if changed and not replace:
        s, p = changed[0]
        total = sum(p.changed for _, p in changed)
        return FileResult(path=shown, status="refused", format=fmt, reason=(
            f"would change {total} stored row(s) to different values ({s.kind}/{s.venue}/{s.symbol}/{s.freq} "
            f"first: {p.first_change}); pass --replace to overwrite them"))
    for s, p in changed:
        notes.append(f"{s.kind}/{s.venue}/{s.symbol}/{s.freq}: replaced {p.changed} stored row(s) with "
                     f"different values (first: {p.first_change})")
    for s, p in zip(parsed, pending, strict=True):
        if p.last_updated:
            notes.append(f"{s.kind}/{s.venue}/{s.symbol}/{s.freq}: updated the last stored bar (it may have "
                         "been incomplete when it was stored)")
        if p.repaired:
            notes.append(f"{s.kind}/{s.venue}/{s.symbol}/{s.freq}: the stored file was damaged; rebuilt from "
                         "this file")
    infos = store.commit_writes(pending)
    written = tuple({"kind": s.kind, "venue": s.venue, "symbol": s.symbol, "freq": s.freq,
                     "rows": len(s.frame), "stored_rows": info.rows} for s, info in zip(parsed, infos, strict=True))
    return FileResult(path=shown, status="imported", format=fmt, series=written, notes=tuple(notes))


def import_path(
    path: str | os.PathLike[str],
    *,
    store: Store | None = None,
    format: str | None = None,
    venue: str | None = None,
    symbol: str | None = None,
    tz_offset_hours: float | None = None,
    accept_outliers: bool = False,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a file, or every file below a folder, into ``store`` (default: the user store).

    Each file is imported whole or refused with a reason; nothing is written for a refused
    file (a multi-series file whose second series fails writes none). Re-importing is
    idempotent; overlapping files merge without duplicate timestamps. ``tz_offset_hours`` is
    added to every timestamp of every file (``-3`` for a UTC+3 file).

    Rows that cannot be market data (see :func:`hedgekit.data.quality.find_outliers`) are
    dropped and counted in the file's notes, or kept with ``accept_outliers``. A file that
    would change stored rows to different values is refused unless ``replace``. ``progress``
    is called with (files done, files in all) after each file.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError("path", "no such file or directory", str(path))
    if format is not None and format not in FORMATS:
        raise InputError("format", f"unknown format; one of {', '.join(FORMATS)}", format)
    if venue is not None and (not venue or any(c in venue for c in "/\\ ") or not venue.isprintable()):
        raise InputError("venue", "must be an id without spaces or slashes", venue)
    if venue is not None and len(venue) > MAX_NAME:
        raise InputError("venue", f"must be at most {MAX_NAME} characters", venue)
    if symbol is not None and (not symbol or len(symbol) > MAX_NAME or not symbol.isprintable()):
        raise InputError("symbol", f"must be 1 to {MAX_NAME} printable characters", symbol)
    if tz_offset_hours is not None and not -24 < float(tz_offset_hours) < 24:
        raise InputError("tz_offset_hours", "must be between -24 and 24", tz_offset_hours)
    store = store if store is not None else Store()
    opts = ImportOptions(format=format, venue=venue.lower() if venue else None, symbol=symbol,
                         tz_offset_hours=tz_offset_hours)
    t0 = time.perf_counter()
    files = _walk(p)
    results = []
    with store.batch():
        for n, file in enumerate(files, 1):
            results.append(_import_file(store, file, opts, accept_outliers=accept_outliers, replace=replace))
            if progress is not None:
                progress(n, len(files))
    return ImportReport(files=tuple(results), seconds=time.perf_counter() - t0, data_dir=str(store.path))
