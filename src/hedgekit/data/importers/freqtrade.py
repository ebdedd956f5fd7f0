"""freqtrade's data directory: ``<exchange>/[futures/]<PAIR>-<tf>[-<type>].feather|json``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from hedgekit.data.importers.names import _venue
from hedgekit.data.importers.series import (
    OHLCV,
    ImportOptions,
    ParsedSeries,
    Refused,
    _funding_series,
    _ohlcv_frame,
    _price_series,
    _to_utc_index,
)
from hedgekit.data.importers.sniff import _open_text
from hedgekit.venues import unified_symbol

_FT_NAME = re.compile(
    r"^(?P<pair>[A-Z0-9]+_[A-Z0-9]+(?:_[A-Z0-9]+)?)-(?P<tf>\d+[smhdwM])"
    r"(?:-(?P<ctype>futures|mark|funding_rate|index|premiumIndex|spot))?\.(?:feather|json)(?:\.gz)?$"
)
_FT_KIND = {None: "price", "spot": "price", "futures": "futures", "mark": "mark", "index": "index",
            "funding_rate": "funding", "premiumIndex": "index"}


def parse_freqtrade(path: Path, opts: ImportOptions) -> list[ParsedSeries]:
    """freqtrade's data directory: ``<exchange>/[futures/]<BASE>_<QUOTE>[_<SETTLE>]-<tf>[-<type>]``
    ``.feather`` or ``.json`` candles; ``-funding_rate`` keeps the rate in ``open``."""
    m = _FT_NAME.match(path.name)
    if not m:
        raise Refused(f"not a freqtrade candle file name: {path.name!r} "
                      "(expected e.g. BTC_USDT_USDT-8h-funding_rate.feather)")
    parts = m.group("pair").split("_")
    symbol = opts.symbol or unified_symbol(*parts)
    ctype = m.group("ctype")
    kind = _FT_KIND[ctype]
    if kind == "price" and len(parts) == 3:
        kind = "futures"
    try:
        venue = _venue(path, opts)
    except Refused:
        raise Refused(
            "freqtrade file outside a freqtrade data/<exchange>/ folder: the venue is not in the path; pass --venue"
        ) from None
    if path.name.endswith(".feather"):
        df = pd.read_feather(path)
    else:
        with _open_text(path) as fh:
            rows = json.load(fh)
        df = pd.DataFrame([r[:6] for r in rows], columns=["date", *OHLCV])
    idx = _to_utc_index(df["date"], path.name)
    tf = m.group("tf")
    if kind == "funding":
        hours = pd.Timedelta(tf.replace("M", "ME")).total_seconds() / 3600 if not tf.endswith("M") else np.nan
        return [_funding_series(venue, symbol, idx, df["open"], hours, freq=tf)]
    return [_price_series(kind, venue, symbol, _ohlcv_frame(df, idx), freq=tf)]
