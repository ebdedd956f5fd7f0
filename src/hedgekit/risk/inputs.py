"""The one module of :mod:`hedgekit.risk` that reads the data store (through :mod:`hedgekit.data`):
the joint daily history of a book's assets and the funding series of its legs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgekit.data import Store, load_funding, load_prices
from hedgekit.errors import DataError
from hedgekit.risk.forecast import walk_forward
from hedgekit.risk.models import History

__all__ = ["FundingSeries", "funding_series", "load_history", "stored_funding"]

DAY_NS = 86_400 * 10**9


@dataclass(frozen=True, kw_only=True)
class FundingSeries:
    """One stored funding series as arrays: settlement time in days since the epoch, the rate per
    interval, the interval in hours (per row) and, where stored, the venue's predicted rate."""

    source: str
    venue: str
    symbol: str
    days: np.ndarray
    rates: np.ndarray
    interval_hours: np.ndarray
    predicted: np.ndarray | None = None

    def scores(self) -> dict[str, dict[int, dict[str, float]]]:
        return walk_forward(self.days, self.rates, self.interval_hours, self.predicted)

    def daily(self) -> Any:
        """The funding of each UTC day (settlements summed), a pandas Series on midnight stamps."""
        import pandas as pd

        idx = pd.to_datetime((np.floor(self.days) * DAY_NS).astype("int64"), utc=True)
        return pd.Series(self.rates, index=idx).groupby(level=0).sum()


def _from_series(rate: Any, venue: str) -> FundingSeries:
    iv = rate.attrs.get("interval_hours_by_row")
    hours = np.asarray(iv, dtype=np.float64) if iv is not None else np.full(len(rate), rate.attrs["interval_hours"])
    days = rate.index.as_unit("ns").asi8 / DAY_NS
    return FundingSeries(source=rate.attrs.get("source", ""), venue=venue, symbol=str(rate.name),
                         days=np.asarray(days, dtype=np.float64), rates=rate.to_numpy(dtype=np.float64),
                         interval_hours=hours)


def funding_series(store: Store, venue: str, symbol: str) -> FundingSeries | None:
    """The stored settled funding of ``symbol`` (ccxt symbol or coin) on exchange ``venue``; None
    when nothing is stored."""
    try:
        rate = load_funding(venue, symbol, store=store)
    except DataError:
        return None
    if rate.empty:
        return None
    return _from_series(rate, venue)


def stored_funding(store: Store) -> list[FundingSeries]:
    """Every settled (not aggregated) funding series in the store."""
    out = []
    seen = set()
    for info in store.catalog():
        if info.kind != "funding" or info.meta.get("aggregate") or (info.venue, info.symbol) in seen:
            continue
        seen.add((info.venue, info.symbol))
        series = funding_series(store, info.venue, info.symbol)
        if series is not None:
            out.append(series)
    return out


def _perp_close(store: Store, coin: str, venue: str | None) -> Any:
    infos = [i for i in store.catalog()
             if i.kind == "futures" and i.freq == "1d" and i.base.upper() == coin.upper()
             and not i.meta.get("expiry") and ":" in i.symbol]
    if not infos:
        return None
    infos.sort(key=lambda i: (i.venue == venue, i.rows), reverse=True)
    info = infos[0]
    return store.read("futures", info.venue, info.symbol, info.freq, columns=["close"])["close"]


def load_history(assets: Sequence[str], *, store: Store, venues: dict[str, str] | None = None,
                 funding: dict[str, FundingSeries] | None = None) -> History:
    """Daily log returns of every asset on the days all are stored (a missing day breaks the
    return: returns only between consecutive days), with the perpetual basis (``F/S - 1``, where
    a daily perpetual series is stored, preferring ``venues[asset]``) and the day's funding."""
    spot = load_prices(list(assets), kind="price", freq="1d", gap_policy="drop", store=store)
    idx = spot.index
    logp = np.log(spot.to_numpy(dtype=np.float64))
    consecutive = np.diff(idx.asi8) == DAY_NS
    rets = np.diff(logp, axis=0)[consecutive]
    days = idx[1:][consecutive]
    n = len(assets)
    basis = np.full((len(days), n), np.nan)
    fund = np.full((len(days), n), np.nan)
    sources = {f"{a} spot": s for a, s in spot.attrs.get("sources", {}).items()}
    for j, asset in enumerate(assets):
        perp = _perp_close(store, asset, (venues or {}).get(asset))
        if perp is not None:
            b = (perp.reindex(days) / spot[asset].reindex(days) - 1.0).to_numpy(dtype=np.float64)
            basis[:, j] = b
        series = (funding or {}).get(asset)
        if series is not None:
            fund[:, j] = series.daily().reindex(days).to_numpy(dtype=np.float64)
            sources[f"{asset} funding"] = series.source
    return History(assets=tuple(assets), returns=rets, basis=basis, funding=fund, sources=sources)
