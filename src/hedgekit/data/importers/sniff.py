"""Opening files (plain, ``.gz``, single-file ``.zip``) and reading the head detection looks at."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hedgekit.data.importers.series import Refused


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
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a broken file
            raise Refused(f"unreadable parquet file ({exc})") from None
    elif name.endswith(".feather"):
        import pyarrow.feather as feather

        try:
            cols = tuple(c.lower() for c in feather.read_table(path, memory_map=True).column_names)
        except Exception as exc:  # noqa: BLE001 - same for feather; re-raised as Refused
            raise Refused(f"unreadable feather file ({exc})") from None
    else:
        try:
            with _open_text(path) as fh:
                text = fh.read(4096)
        except (OSError, UnicodeDecodeError, EOFError, zlib.error) as exc:
            raise Refused(f"unreadable as text ({exc.__class__.__name__}: {str(exc)[:200]})") from None
        first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        if name.endswith(".json"):
            sample = text.lstrip()[:1]
        else:
            cols = tuple(c.strip().strip('"').lower() for c in first.split(","))
    return Head(path=path, name=name, columns=cols, first_line=first, json_sample=sample)
