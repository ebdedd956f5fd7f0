"""Import files or folders into the store: parse each file, merge its series, report per file."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hedgekit.data.importers import FORMATS, ImportOptions, Refused, parse_file
from hedgekit.data.store import Store
from hedgekit.errors import InputError

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


def import_path(
    path: str | os.PathLike[str],
    *,
    store: Store | None = None,
    format: str | None = None,
    venue: str | None = None,
    symbol: str | None = None,
    tz_offset_hours: float | None = None,
) -> ImportReport:
    """Import a file, or every file below a folder, into ``store`` (default: the user store).

    Each file is imported whole or refused with a reason; nothing is written for a refused
    file. Re-importing is idempotent; overlapping files merge without duplicate timestamps.
    ``tz_offset_hours`` is added to every timestamp of every file (``-3`` for a UTC+3 file).
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError("path", "no such file or directory", str(path))
    if format is not None and format not in FORMATS:
        raise InputError("format", f"unknown format; one of {', '.join(FORMATS)}", format)
    if venue is not None and (not venue or any(c in venue for c in "/\\ ")):
        raise InputError("venue", "must be an id without spaces or slashes", venue)
    if tz_offset_hours is not None and not -24 < float(tz_offset_hours) < 24:
        raise InputError("tz_offset_hours", "must be between -24 and 24", tz_offset_hours)
    store = store if store is not None else Store()
    opts = ImportOptions(format=format, venue=venue.lower() if venue else None, symbol=symbol,
                         tz_offset_hours=tz_offset_hours)
    t0 = time.perf_counter()
    results = []
    with store.batch():
        for file in _walk(p):
            shown = str(file)
            try:
                fmt, parsed = parse_file(file, opts)
            except Refused as exc:
                results.append(FileResult(path=shown, status="refused", reason=exc.reason))
                continue
            written = []
            notes: list[str] = []
            for s in parsed:
                info = store.write(s.kind, s.venue, s.symbol, s.freq, s.frame, meta=s.meta)
                written.append({"kind": s.kind, "venue": s.venue, "symbol": s.symbol, "freq": s.freq,
                                "rows": len(s.frame), "stored_rows": info.rows})
                notes.extend(s.notes)
            results.append(FileResult(path=shown, status="imported", format=fmt, series=tuple(written),
                                      notes=tuple(notes)))
    return ImportReport(files=tuple(results), seconds=time.perf_counter() - t0, data_dir=str(store.path))
