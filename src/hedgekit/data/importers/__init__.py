"""File importers: one pure parser per layout, from a file to tidy series frames.

Every parser takes a path and :class:`ImportOptions` and returns ``list[ParsedSeries]``
without touching the store; :func:`detect_format` picks the parser from the file's name and
first bytes, and :func:`parse_file` raises :class:`Refused` with a precise reason when a file
is not market data or cannot be read unambiguously.

Timezones: every layout's timestamps are read as UTC (as its source documents them). A file
whose clock is known to be shifted is corrected only when the user says so with
``tz_offset_hours`` (added to every timestamp: ``-3`` turns UTC+3 into UTC). Funding series
with an 8-hour interval are checked against the venue's published settlement hours, so a
shifted file is refused (naming the offset that fits) instead of being stored wrong; the
settlement hours are venue facts kept in :data:`hedgekit.venues.FUNDING_SETTLEMENT_HOURS_UTC`.

Layout of the package (one module per source family):

``series``         ParsedSeries, ImportOptions, Refused and the shared frame builders
``names``          venue and symbol from file and folder names
``sniff``          opening plain/gz/zip files and reading the head detection looks at
``funding_clock``  the settlement-hour check that catches shifted clocks
``binance``        Binance klines and funding
``funding``        BitMEX, Deribit, multi-exchange, parquet and daily-mean funding files
``freqtrade``      freqtrade's data directory
``cme``            CME futures from Databento, CME calendar
``generic_csv``    Yahoo-style, long OHLCV and date,price CSVs
``registry``       FORMATS, detect_format, parse_file
"""

from __future__ import annotations

# Everything the former single-module ``hedgekit.data.importers`` offered stays importable here.
from hedgekit.data.importers.cme import cme_expiry, last_friday  # noqa: F401
from hedgekit.data.importers.funding_clock import check_funding_phase  # noqa: F401
from hedgekit.data.importers.names import KNOWN_VENUES, QUOTES, perp_symbol, split_pair  # noqa: F401
from hedgekit.data.importers.registry import FORMATS, Parser, detect_format, parse_file  # noqa: F401
from hedgekit.data.importers.series import (  # noqa: F401
    OHLCV,
    ImportOptions,
    ParsedSeries,
    Refused,
    _to_utc_index,
    drop_bad_prices,
    infer_freq,
)
from hedgekit.data.importers.sniff import Head  # noqa: F401

__all__ = [
    "FORMATS",
    "ImportOptions",
    "ParsedSeries",
    "Refused",
    "detect_format",
    "parse_file",
]
