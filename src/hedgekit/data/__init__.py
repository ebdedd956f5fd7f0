"""Market data: a local parquet store, importers for the files users have, ccxt fetch,
quality checks, and loaders that return aligned UTC frames.

>>> from hedgekit.data import import_path, load_prices          # doctest: +SKIP
>>> import_path("~/Downloads/BTCUSDT-1d-2024-01.csv")            # doctest: +SKIP
>>> load_prices(["BTC", "ETH"], start="2021-01-01", gap_policy="drop")  # doctest: +SKIP
"""

from __future__ import annotations

from hedgekit.data.importers import FORMATS, ImportOptions, ParsedSeries, Refused, detect_format, parse_file
from hedgekit.data.ingest import FileResult, ImportReport, import_path
from hedgekit.data.loaders import (
    GapPolicy,
    RollRule,
    continuous_future,
    load_funding,
    load_gapless_prices,
    load_ohlc,
    load_prices,
)
from hedgekit.data.quality import QualityIssue, QualityReport, check_quality
from hedgekit.data.store import DATA_DIR_ENV, SeriesInfo, SeriesKind, Store, default_data_dir, resolve_data_dir

__all__ = [
    "DATA_DIR_ENV",
    "FORMATS",
    "FileResult",
    "GapPolicy",
    "ImportOptions",
    "ImportReport",
    "ParsedSeries",
    "QualityIssue",
    "QualityReport",
    "Refused",
    "RollRule",
    "SeriesInfo",
    "SeriesKind",
    "Store",
    "check_quality",
    "continuous_future",
    "default_data_dir",
    "detect_format",
    "import_path",
    "load_funding",
    "load_gapless_prices",
    "load_ohlc",
    "load_prices",
    "parse_file",
    "resolve_data_dir",
]
