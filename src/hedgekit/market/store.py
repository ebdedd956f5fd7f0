"""The local data store (``hedgekit data``) as a source of a :class:`MarketSnapshot`.

Fills what a book needs and the file lacks: the last stored daily close of a coin, the mean of
recent stored funding prints of a contract, and betas / minimum-variance ratios estimated on
stored daily returns. What the store cannot give is left out (prices) or recorded with the
reason (betas), so the planner can say exactly what is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hedgekit.errors import DataError, InputError
from hedgekit.market.snapshot import (
    STORE,
    BetaEstimate,
    BetaNeed,
    FundingNeed,
    FundingPoint,
    MarketNeeds,
    MarketSnapshot,
    PricePoint,
)

__all__ = ["from_store"]

_LOOKUP_ERRORS = (DataError, InputError, KeyError, ValueError, OSError)
QUALITY_WINDOW_DAYS = 90  # data-check problems this close to a stored price are reported with it
_BAD_PRICE_CHECKS = frozenset({"non_positive", "absurd", "ohlc_inconsistent", "stale"})


def from_store(needs: MarketNeeds, base: MarketSnapshot | None = None, *, store=None
               ) -> MarketSnapshot:
    """``base`` (default: empty) completed from the data store with what ``needs`` asks for.

    ``store`` is a :class:`hedgekit.data.Store` (default: the user's store). Values already in
    ``base`` are kept.
    """
    snap = base if base is not None else MarketSnapshot()
    wanted = [a for a in needs.prices if a not in snap.prices]
    snap = snap.with_prices(_prices(wanted, store))
    funding = {}
    for need in needs.funding:
        if (need.venue, need.symbol) in snap.funding:
            continue
        point = _recent_funding(need, store)
        if point is not None:
            funding[(need.venue, need.symbol)] = point
    snap = snap.with_funding(funding)
    todo = [b for b in needs.betas if snap.beta_for(b.asset, b.hedge_asset, b.method) is None]
    return snap.with_betas(_estimate(b, store) for b in todo)


def _prices(assets: list[str], store) -> dict[str, PricePoint]:
    """Latest stored daily close of each asset; assets without stored prices are left out."""
    if not assets:
        return {}
    from hedgekit.data import load_prices

    out = {}
    for asset in assets:
        try:
            frame = load_prices([asset], freq="1d", gap_policy="drop", store=store)
        except _LOOKUP_ERRORS:
            continue
        column = frame[asset].dropna() if asset in frame else None
        if column is None or column.empty:
            continue
        series = frame.attrs.get("sources", {}).get(asset)
        out[asset] = PricePoint(value=float(column.iloc[-1]), source=STORE,
                                as_of=_utc(column.index[-1]), kind="close", series=series,
                                problems=_problems(asset, column.index[-1], store))
    return out


def _problems(asset: str, last, store) -> tuple[str, ...]:
    """What the data check flags in the stored bars of ``asset`` over the
    ``QUALITY_WINDOW_DAYS`` before the price used: bad, absurd, inconsistent or stale prices."""
    import pandas as pd

    from hedgekit.data import check_quality, load_ohlc

    try:
        bars = load_ohlc(asset, freq="1d", start=last - pd.Timedelta(days=QUALITY_WINDOW_DAYS),
                         store=store)
    except _LOOKUP_ERRORS:
        return ()
    report = check_quality(bars, "1d", series=str(bars.attrs.get("source", asset)))
    return tuple(f"{i.check} {i.start[:10]}..{i.end[:10]}: {i.detail}" for i in report.issues
                 if i.check in _BAD_PRICE_CHECKS)


def _recent_funding(need: FundingNeed, store) -> FundingPoint | None:
    """Mean funding per 8h over the last ``need.days`` of stored prints, or None."""
    import pandas as pd

    from hedgekit.data import load_funding

    for symbol in need.store_symbols:
        try:
            series = load_funding(need.store_venue, symbol, store=store).dropna()
        except _LOOKUP_ERRORS:
            continue
        if series.empty:
            continue
        series = series[series.index > series.index[-1] - pd.Timedelta(days=need.days)]
        interval = series.attrs.get("interval_hours") or 8.0
        return FundingPoint(rate_8h=float(series.mean()) * 8.0 / interval, source=STORE,
                            as_of=_utc(series.index[-1]), first=_utc(series.index[0]),
                            last=_utc(series.index[-1]), settlements=len(series),
                            interval_hours=float(interval))
    return None


def _estimate(need: BetaNeed, store) -> BetaEstimate:
    """OLS beta, downside beta or minimum-variance ratio on stored daily log returns over the
    lookback."""
    from hedgekit.data import load_prices
    from hedgekit.estimators import DownsideBeta, MinVarianceRatio, OLSBeta, to_returns

    asset, hedge = need.asset, need.hedge_asset
    try:
        prices = load_prices([asset, hedge], freq="1d", store=store).dropna()
        prices = prices.iloc[-(need.lookback_days + 1):]
        rets = to_returns(prices, "log").dropna()
        # each estimator's hedge_ratio_ is its own figure: the OLS slope, the downside slope, h*
        estimator = {"beta": OLSBeta, "downside-beta": DownsideBeta}.get(need.method, MinVarianceRatio)
        fit = estimator().fit(rets[asset], rets[hedge])
        value = fit.hedge_ratio_
    except (DataError, InputError, KeyError, ValueError) as exc:
        return BetaEstimate(asset=asset, hedge_asset=hedge, method=need.method, error=str(exc))
    return BetaEstimate(asset=asset, hedge_asset=hedge, method=need.method, value=float(value),
                        correlation=float(fit.correlation_), n_obs=int(fit.n_obs_),
                        as_of=_utc(prices.index[-1]))


def _utc(ts) -> datetime:
    out = ts.to_pydatetime()
    return out if out.tzinfo is not None else out.replace(tzinfo=UTC)
