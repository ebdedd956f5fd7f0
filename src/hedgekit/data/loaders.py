"""Aligned frames out of the store: prices, OHLC, funding, continuous dated futures + basis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.data.quality import freq_step
from hedgekit.data.store import SeriesInfo, Store, to_utc
from hedgekit.errors import DataError, InputError

__all__ = ["GapPolicy", "continuous_future", "load_funding", "load_gapless_prices", "load_ohlc", "load_prices"]


class GapPolicy(StrEnum):
    FAIL = "fail"  # raise DataError naming the asset and the first hole
    DROP = "drop"  # keep only timestamps where every asset has a value
    FFILL = "ffill"  # carry the last value forward at most ffill_limit steps, then fail


def _store(store: Store | None) -> Store:
    return store if store is not None else Store()


# Price aggregators (not a tradable venue): used only when no exchange covers the window as well.
AGGREGATORS = frozenset({"yahoo"})


@lru_cache(maxsize=65536)
def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def coverage(info: SeriesInfo, start: pd.Timestamp | None, end: pd.Timestamp | None) -> float:
    """Share of [start, end] (default: the series' own span) that ``info`` covers, from the
    catalog alone: its span minus its holes."""
    s, e = _epoch(info.start), _epoch(info.end)
    lo_req = start.timestamp() if start is not None else s
    hi_req = end.timestamp() if end is not None else e
    want = hi_req - lo_req
    lo, hi = max(s, lo_req), min(e, hi_req)
    if hi < lo:
        return 0.0
    if want <= 0:
        return 1.0
    have = hi - lo
    for a, b in info.meta.get("holes", ()):
        ha, hb = max(_epoch(a), lo), min(_epoch(b), hi)
        if hb > ha:
            have -= hb - ha
    return max(0.0, have / want)


def _asset_parts(asset: str) -> tuple[str, str | None]:
    """``BTC`` -> (BTC, None); ``BTC/USDT`` or ``BTC/USDT:USDT`` -> (BTC, full symbol)."""
    if "/" in asset:
        return asset.split("/", 1)[0].upper(), asset
    return asset.upper(), None


def pick_series(
    store: Store,
    asset: str,
    *,
    kind: str,
    freq: str | None,
    venue: str | None = None,
    quote: str | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    prefer: dict[str, int] | None = None,
) -> SeriesInfo:
    """The best stored series for ``asset``: the given venue first, then the series covering
    the most of [start, end], then venues in ``prefer`` (higher first: load_prices prefers the
    venue that has the most of the requested assets, so a frame does not mix venues needlessly),
    then the longest. ``quote`` and a full symbol are strict."""
    base, symbol = _asset_parts(asset)
    cands = [
        i for i in store.catalog()
        if i.kind == kind and (freq is None or i.freq == freq) and i.base.upper() == base
        and (symbol is None or i.symbol == symbol)
        and (quote is None or i.quote.upper() == quote.upper())
        and not i.meta.get("aggregate")
    ]
    if not cands:
        what = f"{kind} {freq or ''} series for {asset}".replace("  ", " ")
        extra = f" quoted in {quote}" if quote else ""
        raise DataError(f"{asset}: no stored {what}{extra} in {store.path} (import or fetch it first)")
    cands.sort(key=lambda i: (venue is not None and i.venue == venue, round(coverage(i, start, end), 2),
                              (prefer or {}).get(i.venue, 0), i.venue not in AGGREGATORS, i.rows), reverse=True)
    return cands[0]


def read_series(st: Store, info: SeriesInfo, start: pd.Timestamp | None = None,
                end: pd.Timestamp | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """:meth:`Store.read` of a catalog entry, columns straight from the parquet file to numpy.

    The same frame (UTC ns index ``ts``, float64 columns, ``[start, end]`` inclusive) without
    pandas' generic parquet reader, which costs several times the read itself on these small
    files. Anything unusual (a missing file, no ``ts`` column) goes through ``Store.read``.
    """
    import pyarrow.parquet as pq

    path = st.path / info.file
    try:
        # ParquetFile.read, not read_table: the latter imports pyarrow.dataset (~20 ms) to filter
        table = pq.ParquetFile(path).read(columns=None if columns is None else [*columns, "ts"])
    except (OSError, KeyError, ValueError):
        table = None
    if table is None or "ts" not in table.column_names:
        return st.read(info.kind, info.venue, info.symbol, info.freq, start=start, end=end, columns=columns)
    ts = table.column("ts").to_numpy().astype("datetime64[ns]").view(np.int64)
    lo = 0 if start is None else int(np.searchsorted(ts, to_utc(start).as_unit("ns").value, side="left"))
    hi = len(ts) if end is None else int(np.searchsorted(ts, to_utc(end).as_unit("ns").value, side="right"))
    index = pd.DatetimeIndex(ts[lo:hi].view("datetime64[ns]"), name="ts").tz_localize("UTC")
    names = [c for c in table.column_names if c != "ts"]
    data = {c: table.column(c).to_numpy()[lo:hi].astype(np.float64, copy=False) for c in names}
    return pd.DataFrame(data, index=index, columns=names)


def _checked_step(freq: str) -> int | None:
    """The bar length of ``freq`` in ns (None for months); InputError on an unknown frequency."""
    try:
        return freq_step(freq)
    except ValueError as exc:
        raise InputError("freq", str(exc), freq) from None


def _grid(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    step = freq_step(freq)
    if step is None:
        raise InputError("freq", "monthly series cannot be aligned on a grid; load them with load_ohlc", freq)
    return pd.date_range(start, end, freq=pd.Timedelta(step, unit="ns"), tz="UTC", unit="ns")


def _first_hole(col: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    miss = col.isna().to_numpy()
    i = int(np.argmax(miss))
    j = i
    while j + 1 < len(miss) and miss[j + 1]:
        j += 1
    return col.index[i], col.index[j], int(miss.sum())


def load_prices(
    assets: Sequence[str],
    *,
    kind: str = "price",
    venue: str | None = None,
    quote: str | None = None,
    freq: str = "1d",
    start: Any = None,
    end: Any = None,
    field: str = "close",
    gap_policy: str = "fail",
    ffill_limit: int | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """One column per asset (its base coin, e.g. ``BTC``) on a regular UTC grid of ``freq``.

    The grid runs from ``start`` (default: the latest first timestamp of the chosen series) to
    ``end`` (default: the earliest last one), so by default the frame covers the window every
    asset has. Missing values are handled by ``gap_policy``: ``fail`` raises
    :class:`DataError` naming the asset and the hole, ``drop`` removes incomplete rows,
    ``ffill`` carries values forward at most ``ffill_limit`` steps and fails on longer holes.
    ``df.attrs["sources"]`` names the series chosen for each asset.

    >>> load_prices(["BTC", "ETH"], start="2021-01-01", end="2024-12-31")  # doctest: +SKIP
    """
    try:
        policy = GapPolicy(gap_policy)
    except ValueError:
        raise InputError("gap_policy", "must be one of fail, drop, ffill", gap_policy) from None
    if policy is GapPolicy.FFILL and (ffill_limit is None or int(ffill_limit) < 1):
        raise InputError("ffill_limit", "must be an integer >= 1 with gap_policy='ffill'", ffill_limit)
    if not assets:
        raise InputError("assets", "must name at least one asset", list(assets))
    _checked_step(freq)
    st = _store(store)
    lo = to_utc(start) if start is not None else None
    hi = to_utc(end) if end is not None else None
    columns: dict[str, pd.Series] = {}
    sources: dict[str, str] = {}
    bases = {_asset_parts(a)[0] for a in assets}
    venues_with: dict[str, set[str]] = {}
    for i in st.catalog():
        if i.kind == kind and i.freq == freq and i.base.upper() in bases and coverage(i, lo, hi) >= 0.99:
            venues_with.setdefault(i.venue, set()).add(i.base.upper())
    prefer = {v: len(b) for v, b in venues_with.items()}
    for asset in assets:
        info = pick_series(st, asset, kind=kind, freq=freq, venue=venue, quote=quote, start=lo, end=hi,
                           prefer=prefer)
        name, _ = _asset_parts(asset)
        if name in columns:
            raise InputError("assets", "lists the same coin twice", list(assets))
        df = read_series(st, info, lo, hi, columns=[field] if field else None)
        if field not in df.columns:
            raise DataError(f"{name}: series {info.kind}/{info.venue}/{info.symbol} has no {field!r} column")
        if df.empty:
            raise DataError(f"{name}: {info.venue} {info.symbol} has no data between {lo} and {hi}")
        columns[name] = df[field]
        sources[name] = f"{info.kind}/{info.venue}/{info.symbol}/{info.freq}"
    g_lo = lo if lo is not None else max(s.index[0] for s in columns.values())
    g_hi = hi if hi is not None else min(s.index[-1] for s in columns.values())
    if g_hi < g_lo:
        raise DataError(f"assets {list(columns)} have no common period (latest start {g_lo}, earliest end {g_hi})")
    grid = _grid(g_lo, g_hi, freq)
    frame = pd.DataFrame({k: v.reindex(grid) for k, v in columns.items()}, index=grid)
    frame.index.name = "ts"
    if policy is GapPolicy.FFILL:
        frame = frame.ffill(limit=int(ffill_limit or 0))  # >= 1 here (checked above)
    if frame.isna().to_numpy().any():
        if policy is GapPolicy.DROP:
            frame = frame.dropna()
            if frame.empty:
                raise DataError(f"no timestamp where all of {list(columns)} have data")
        else:
            bad = next(c for c in frame.columns if frame[c].isna().any())
            a, b, n = _first_hole(frame[bad])
            limit = f" longer than ffill_limit={ffill_limit}" if policy is GapPolicy.FFILL else ""
            raise DataError(
                f"{bad}: {n} missing {freq} value(s){limit} in {sources[bad]}, first hole {a} .. {b} "
                f"(use gap_policy='drop' or 'ffill', or narrow start/end)"
            )
    frame.attrs["sources"] = sources
    return frame


def load_gapless_prices(
    coins: Sequence[str],
    *,
    kind: str = "price",
    venue: str | None = None,
    freq: str = "1d",
    start: Any = None,
    end: Any = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Closes of ``coins``, one column each over the coin's own stored span inside [start, end].

    Coins listed at different dates are fine (the frame is the outer join of their spans), but a
    missing ``freq`` bar inside a span raises :class:`DataError` naming the coin, the series, how
    many bars are missing and the first one: gaps are never filled, so returns computed from the
    frame never span a hole. ``attrs["sources"]`` names the series chosen for each coin.

    >>> load_gapless_prices(["SOL", "BTC"], start="2022-01-01")  # doctest: +SKIP
    """
    step = _checked_step(freq)
    if step is None:
        raise InputError("freq", "monthly bars have no fixed length to check gaps against", freq)
    columns = []
    sources: dict[str, str] = {}
    for coin in coins:
        df = load_prices([coin], kind=kind, venue=venue, freq=freq, start=start, end=end, gap_policy="drop",
                         store=store)
        name = df.columns[0]
        col = df[name]
        source = df.attrs.get("sources", {}).get(name, f"{kind}/{name}")
        grid = pd.date_range(col.index[0], col.index[-1], freq=pd.Timedelta(step, unit="ns"))
        if len(grid) != len(col):
            hole = grid.difference(col.index)
            raise DataError(f"{name}: {len(hole)} missing {freq} bar(s) in {source}, first at {hole[0]} "
                            "(narrow --start/--end)")
        columns.append(col)
        sources[name] = source
    frame = pd.concat(columns, axis=1)
    frame.attrs["sources"] = sources
    return frame


def load_ohlc(
    asset: str,
    *,
    kind: str = "price",
    venue: str | None = None,
    symbol: str | None = None,
    freq: str = "1d",
    start: Any = None,
    end: Any = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """``open, high, low, close, volume`` of the best stored series for ``asset`` (as stored:
    no filling). ``symbol`` picks an exact series; ``attrs["source"]`` names the one used."""
    st = _store(store)
    lo = to_utc(start) if start is not None else None
    hi = to_utc(end) if end is not None else None
    if symbol is not None and venue is not None:
        info = st.info(kind, venue, symbol, freq)
    else:
        info = pick_series(st, symbol or asset, kind=kind, freq=freq, venue=venue, start=lo, end=hi)
    df = read_series(st, info, lo, hi)
    df = df.reindex(columns=["open", "high", "low", "close", "volume"])
    df.attrs["source"] = f"{info.kind}/{info.venue}/{info.symbol}/{info.freq}"
    return df


def _funding_info(st: Store, venue: str, symbol: str, freq: str | None) -> SeriesInfo:
    hits = [i for i in st.find("funding", venue, None, freq) if i.symbol == symbol]
    if not hits and "/" not in symbol:  # a coin (BTC) or a venue code (BTCUSDT)
        code = symbol.upper()
        hits = [i for i in st.find("funding", venue, None, freq)
                if i.base.upper() == code or i.meta.get("venue_symbol", "").upper() == code
                or i.symbol.replace("/", "").split(":")[0].upper() == code]
    if freq is None:
        settled = [i for i in hits if not i.meta.get("aggregate")]
        hits = settled or hits
    if not hits:
        have = sorted({i.symbol for i in st.find("funding", venue)})
        raise DataError(f"no stored funding for {venue} {symbol} "
                        f"(stored for {venue}: {', '.join(have[:12]) or 'none'})")
    if len({i.symbol for i in hits}) > 1:
        raise DataError(f"{venue} {symbol} is ambiguous: {', '.join(sorted({i.symbol for i in hits}))}")
    return max(hits, key=lambda i: i.rows)


def load_funding(
    venue: str,
    symbol: str,
    *,
    start: Any = None,
    end: Any = None,
    store: Store | None = None,
    freq: str | None = None,
) -> pd.Series:
    """Funding rates at the venue's settlement timestamps (UTC), as a fraction per interval
    (> 0: longs pay shorts). ``attrs["interval_hours"]`` is the modal interval; when it varies
    over time, ``attrs["interval_hours_by_row"]`` holds the per-row array.

    ``symbol`` is the ccxt symbol (``BTC/USDT:USDT``), or a coin / venue code when that is
    unambiguous on the venue. Daily-mean aggregates are used only when asked for (``freq="1d"``).
    """
    return funding_frame(venue, symbol, start=start, end=end, store=store, freq=freq)[0]


def funding_frame(venue: str, symbol: str, *, start: Any = None, end: Any = None,
                  store: Store | None = None, freq: str | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """:func:`load_funding` and the stored frame it came from (``mark_price`` where stored),
    from one read."""
    st = _store(store)
    info = _funding_info(st, venue.lower(), symbol, freq)
    df = read_series(st, info, to_utc(start) if start is not None else None,
                     to_utc(end) if end is not None else None)
    rate = df["rate"].rename(info.symbol)
    iv = df["interval_hours"].to_numpy()
    if len(iv):
        vals, counts = np.unique(iv, return_counts=True)
        rate.attrs["interval_hours"] = float(vals[np.argmax(counts)])
        if len(vals) > 1:
            rate.attrs["interval_hours_by_row"] = iv.copy()
    else:
        rate.attrs["interval_hours"] = float("nan")
    rate.attrs["source"] = f"funding/{info.venue}/{info.symbol}/{info.freq}"
    if info.meta.get("aggregate"):
        rate.attrs["aggregate"] = info.meta["aggregate"]
    return rate, df


class RollRule(StrEnum):
    DAYS = "days"  # roll N calendar days before the front contract's expiry
    VOLUME = "volume"  # hold the contract with the largest volume that day (never rolling back)


def continuous_future(
    venue: str,
    root: str,
    *,
    roll_days_before_expiry: int = 5,
    roll_rule: str = "days",
    start: Any = None,
    end: Any = None,
    store: Store | None = None,
    spot: pd.Series | str | None = None,
    spot_venue: str | None = None,
) -> pd.DataFrame:
    """A continuous series of dated futures ``root`` (e.g. ``cme``, ``MBT``), not back-adjusted.

    Columns: ``contract``, ``open, high, low, close, volume`` of the contract held that day,
    ``expiry``, ``days_to_expiry`` (calendar days from the bar to expiry) and ``roll`` (True on
    the first bar of a new contract). With ``spot`` (a price Series, or an asset name loaded
    with :func:`load_prices`), the basis too: ``spot``, ``basis = F - S``, ``basis_pct = F/S - 1``
    and ``basis_annualized = basis_pct * 365 / days_to_expiry`` (simple, not compounded; NaN
    on the expiry day).

    Roll rules: ``days`` holds the nearest contract whose expiry is more than
    ``roll_days_before_expiry`` days away and that traded that day; ``volume`` holds the
    contract with the largest volume that day among those not earlier than the one held.
    """
    try:
        rule = RollRule(roll_rule)
    except ValueError:
        raise InputError("roll_rule", "must be days or volume", roll_rule) from None
    if int(roll_days_before_expiry) < 0:
        raise InputError("roll_days_before_expiry", "must be >= 0", roll_days_before_expiry)
    st = _store(store)
    infos = [i for i in st.find("futures", venue.lower()) if i.meta.get("root") == root and i.meta.get("expiry")]
    if not infos:
        raise DataError(f"no dated futures with root {root!r} stored for {venue} (import them first)")
    lo = to_utc(start) if start is not None else None
    hi = to_utc(end) if end is not None else None
    frames = []
    for i in infos:
        f = st.read("futures", i.venue, i.symbol, i.freq, start=lo, end=hi)
        if f.empty:
            continue
        f = f.assign(contract=i.symbol, expiry=pd.Timestamp(i.meta["expiry"], tz="UTC"))
        frames.append(f)
    if not frames:
        raise DataError(f"{venue} {root}: no contract has data between {lo} and {hi}")
    long = pd.concat(frames).reset_index().sort_values(["ts", "expiry"])
    long["days_to_expiry"] = (long["expiry"] - long["ts"].dt.normalize()).dt.days
    live = long[long["days_to_expiry"] >= 0]
    chosen = []
    held_expiry = None
    n_roll = int(roll_days_before_expiry)
    for _ts, day in live.groupby("ts", sort=True):
        if rule is RollRule.DAYS:
            ok = day[day["days_to_expiry"] > n_roll]
            if held_expiry is not None:
                ok = ok[ok["expiry"] >= held_expiry]
            if ok.empty:
                continue
            row = ok.iloc[0]
        else:
            ok = day if held_expiry is None else day[day["expiry"] >= held_expiry]
            ok = ok[ok["volume"] > 0]
            if ok.empty:
                continue
            row = ok.loc[ok["volume"].idxmax()]
        held_expiry = row["expiry"]
        chosen.append(row)
    if not chosen:
        raise DataError(f"{venue} {root}: no bar satisfies the roll rule")
    out = pd.DataFrame(chosen).set_index("ts")
    out.index.name = "ts"
    out = out[["contract", "open", "high", "low", "close", "volume", "expiry", "days_to_expiry"]]
    out["roll"] = out["contract"].ne(out["contract"].shift()) & out["contract"].shift().notna()
    if spot is not None:
        series = spot if not isinstance(spot, str) else load_prices(
            [spot], venue=spot_venue, start=out.index[0], end=out.index[-1], gap_policy="drop", store=st).iloc[:, 0]
        s = series.reindex(out.index)
        out["spot"] = s
        out["basis"] = out["close"] - s
        out["basis_pct"] = out["close"] / s - 1.0
        dte = out["days_to_expiry"].astype("float64").where(out["days_to_expiry"] > 0)
        out["basis_annualized"] = out["basis_pct"] * 365.0 / dte
    out.attrs["source"] = f"futures/{venue}/{root}"
    return out
