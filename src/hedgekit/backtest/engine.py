"""Backtest engine: validate, align market data into arrays, call one kernel, wrap the result.

The core takes plain pandas objects (:func:`align_market`) so it works on any data source; the
config / CLI layer (:mod:`hedgekit.backtest.config`) loads them from :mod:`hedgekit.data`.

Example::

    market = align_market(assets, spot={"BTC": btc_close}, hedge={"BTC": perp_ohlc},
                          funding={"BTC": rates})
    result = run_backtest(assets, market, [Policy(name="none", method="none"),
                                           Policy(name="static 50%", ratio=0.5)])
    print(result.to_dict())
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.backtest import _layout as _k
from hedgekit.errors import DataError, InputError, check_finite, check_nonnegative, check_positive
from hedgekit.instruments import Instrument
from hedgekit.margin import MarginTier

__all__ = [
    "MAX_LEVERAGE",
    "MAX_RATIO",
    "MIN_BARS",
    "AssetSpec",
    "Market",
    "Method",
    "Policy",
    "align_market",
    "run_backtest",
    "sweep",
]


class Method(StrEnum):
    """How a policy sets its target hedge ratio."""

    NONE = "none"
    STATIC = "static"
    MINVAR = "minvar"  # Cov(s, f) / Var(f) on trailing returns, re-estimated every k bars
    BETA = "beta"  # the OLS slope of s on f: the same number as minvar on the same returns
    TREND = "trend"  # hedge on while the price is below its N-bar average
    RSI = "rsi"  # hedge on while the N-bar RSI is above the threshold
    VOL = "vol"  # hedge on while annualised N-bar volatility is above the threshold
    EWMA = "ewma"  # Cov/Var with weights halving every `halflife` bars over the window
    FUNDING = "funding"  # ratio while the trailing funding APR > threshold, ratio_off below threshold_off


# The bounds of a Policy, one source for the dataclass and the YAML config model (PolicyConfig).
MAX_RATIO = 5.0  # ratio, ratio_off: a hedge of more than 5x the exposure is a typo, not a policy
MAX_LEVERAGE = 125.0  # the highest leverage of any venue preset (Binance USD-M BTCUSDT bracket 1)
MIN_BARS = MappingProxyType({"calendar": 0, "window": 2, "reestimate": 1, "signal_n": 2})

# calendar re-estimation schedules (kernel codes, _layout.REEST_*)
REESTIMATE_CALENDAR = MappingProxyType({"weekly": _k.REEST_WEEKLY, "monthly": _k.REEST_MONTHLY})
MARGIN_MODES = MappingProxyType({"isolated": _k.MARGIN_ISOLATED, "cross": _k.MARGIN_CROSS})

# Which hedge a policy holds for an asset whose config names both a perpetual and a dated
# future (hedgekit.backtest.carry); assets with one hedge ignore it.
HEDGE_WITH = ("carry", "perp", "dated")

_METHOD_CODE = {Method.NONE: 0, Method.STATIC: 1, Method.MINVAR: 2, Method.BETA: 3,
                Method.TREND: 4, Method.RSI: 5, Method.VOL: 6, Method.EWMA: 7,
                Method.FUNDING: 8}


@dataclass(frozen=True, kw_only=True, slots=True)
class AssetSpec:
    """One holding and the contract that hedges it.

    ``coins`` spot amount; ``staking_apr`` yield on the spot coins (fraction per year, simple);
    ``mmr`` / ``maint_amount`` the maintenance tier (amount in the settle currency);
    ``fee`` taker fee and ``slippage`` extra cost, both fractions of the traded notional;
    ``tiers`` the venue's maintenance tiers (re-evaluated at the liquidation price), which replace
    the flat ``mmr`` / ``maint_amount``.
    """

    name: str
    coins: float
    instrument: Instrument
    staking_apr: float = 0.0
    mmr: float = 0.004
    maint_amount: float = 0.0
    fee: float = 0.0005
    slippage: float = 0.0
    tiers: tuple[MarginTier, ...] = ()  # when given, replaces mmr / maint_amount

    def __post_init__(self) -> None:
        check_positive(f"assets.{self.name}.coins", self.coins)
        check_nonnegative(f"assets.{self.name}.staking_apr", self.staking_apr)
        check_nonnegative(f"assets.{self.name}.mmr", self.mmr)
        check_finite(f"assets.{self.name}.maint_amount", self.maint_amount)
        check_nonnegative(f"assets.{self.name}.fee", self.fee)
        check_nonnegative(f"assets.{self.name}.slippage", self.slippage)


def check_policy_fields(where: str, *, threshold: float, threshold_off: float | None, margin: str,
                        topup: float) -> None:
    """The policy fields that bound one another: one home for :class:`Policy` and the YAML
    config (which names a policy ``policies[i]``, the dataclass ``policies.<name>``)."""
    if threshold_off is not None and threshold_off > threshold:
        raise InputError(f"{where}.threshold_off", f"must be <= threshold ({threshold:g})", threshold_off)
    if margin == "cross" and topup > 0:
        raise InputError(f"{where}.topup", "top-ups are for isolated margin; in cross margin the "
                         "reserve is already collateral of the USD pool", topup)


def _check_at_most(field: str, value: float, high: float) -> None:
    if check_finite(field, value) > high:
        raise InputError(field, f"must be <= {high:g}", value)


@dataclass(frozen=True, kw_only=True, slots=True)
class Policy:
    """A hedge policy. Ratios are fractions of the USD exposure; windows and schedules in bars."""

    name: str
    method: Method = Method.STATIC
    ratio: float = 1.0  # static ratio, signal "on" ratio, and the estimators' prior
    ratio_off: float = 0.0
    band: float = 0.0  # rebalance when |actual - target| / target > band (0 = off)
    calendar: int = 0  # rebalance every k bars (0 = off); band 0 and calendar 0 = every change
    window: int = 90
    reestimate: int | str = 30  # every k bars, or "weekly" / "monthly" (first bar of each, UTC)
    signal_n: int = 50
    threshold: float = 0.0
    threshold_off: float | None = None  # funding: off below this APR (None = threshold)
    leverage: float = 2.0
    topup: float = 0.0  # top up when the liquidation price is within this fraction (0 = off)
    max_ratio: float = 2.0
    halflife: float = 30.0  # ewma only, in bars
    margin: str = "isolated"  # or "cross": one collateral pool per settle currency (see run_policy)
    # per asset (by name): the on-ratio and the method in place of ``ratio`` / ``method``
    ratios: Mapping[str, float] = field(default_factory=dict)
    methods: Mapping[str, Method | str] = field(default_factory=dict)
    # assets hedged with both a perpetual and a dated future: always one, or switch on carry
    # with the asset's rule, or with this window / margin in its place
    hedge_with: str = "carry"
    switch_window: int | None = None
    switch_margin: float | None = None

    def __post_init__(self) -> None:
        p = f"policies.{self.name}"
        if self.hedge_with not in HEDGE_WITH:
            raise InputError(f"{p}.hedge_with", "must be one of " + ", ".join(HEDGE_WITH),
                             self.hedge_with)
        w = self.switch_window
        if w is not None and (isinstance(w, bool) or not isinstance(w, (int, np.integer))
                              or w < MIN_BARS["signal_n"]):
            raise InputError(f"{p}.switch_window", f"must be an integer >= {MIN_BARS['signal_n']}", w)
        if self.switch_margin is not None:
            check_nonnegative(f"{p}.switch_margin", self.switch_margin)
            _check_at_most(f"{p}.switch_margin", self.switch_margin, 1.0)
        object.__setattr__(self, "ratios", MappingProxyType(dict(self.ratios or {})))
        methods = {}
        for asset, m in (self.methods or {}).items():
            try:
                methods[asset] = Method(m)
            except ValueError:
                raise InputError(f"{p}.methods.{asset}", "must be one of "
                                 + ", ".join(x.value for x in Method), m) from None
        object.__setattr__(self, "methods", MappingProxyType(methods))
        for asset, r in self.ratios.items():
            check_nonnegative(f"{p}.ratios.{asset}", r)
            _check_at_most(f"{p}.ratios.{asset}", r, MAX_RATIO)
        try:
            object.__setattr__(self, "method", Method(self.method))
        except ValueError:
            raise InputError(f"{p}.method", "must be one of " + ", ".join(m.value for m in Method),
                             self.method) from None
        check_nonnegative(f"{p}.ratio", self.ratio)
        _check_at_most(f"{p}.ratio", self.ratio, MAX_RATIO)
        check_nonnegative(f"{p}.ratio_off", self.ratio_off)
        _check_at_most(f"{p}.ratio_off", self.ratio_off, MAX_RATIO)
        check_nonnegative(f"{p}.band", self.band)
        check_positive(f"{p}.leverage", self.leverage)
        _check_at_most(f"{p}.leverage", self.leverage, MAX_LEVERAGE)
        check_nonnegative(f"{p}.topup", self.topup)
        check_positive(f"{p}.max_ratio", self.max_ratio)
        check_positive(f"{p}.halflife", self.halflife)
        check_finite(f"{p}.threshold", self.threshold)
        if self.threshold_off is not None:
            check_finite(f"{p}.threshold_off", self.threshold_off)
        if self.margin not in MARGIN_MODES:
            raise InputError(f"{p}.margin", "must be isolated or cross", self.margin)
        check_policy_fields(p, threshold=self.threshold, threshold_off=self.threshold_off,
                            margin=self.margin, topup=self.topup)
        for name, low in MIN_BARS.items():
            value = getattr(self, name)
            if name == "reestimate" and isinstance(value, str):
                if value not in REESTIMATE_CALENDAR:
                    raise InputError(f"{p}.reestimate", "must be weekly, monthly or an integer >= 1",
                                     value)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise InputError(f"{p}.{name}", f"must be an integer >= {low}", value)

    def pack(self, bars_per_year: float, names: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """The policy as the kernel's (float, int) parameter rows; with the book's asset
        ``names``, each asset's on-ratio and method follow in the slots after N_PF / N_PI."""
        from hedgekit.backtest import _layout as k

        for field_, per in (("ratios", self.ratios), ("methods", self.methods)):
            for asset in per:
                if asset not in names:
                    raise InputError(f"policies.{self.name}.{field_}.{asset}",
                                     "names no asset of the book", asset)
        A = len(names)
        pf = np.zeros(k.N_PF + A)
        pi = np.zeros(k.N_PI + A, dtype=np.int64)
        for j, asset in enumerate(names):
            pf[k.N_PF + j] = self.ratios.get(asset, self.ratio)
            pi[k.N_PI + j] = _METHOD_CODE[Method(self.methods.get(asset, self.method))]
        pf[k.F_RATIO_ON] = self.ratio
        pf[k.F_RATIO_OFF] = self.ratio_off
        pf[k.F_BAND] = self.band
        pf[k.F_LEVERAGE] = self.leverage
        pf[k.F_THRESHOLD] = self.threshold
        pf[k.F_TOPUP] = self.topup
        pf[k.F_BARS_PER_YEAR] = bars_per_year
        pf[k.F_MAX_RATIO] = self.max_ratio
        pf[k.F_HALFLIFE] = self.halflife
        pf[k.F_THRESHOLD_OFF] = self.threshold if self.threshold_off is None else self.threshold_off
        pi[k.I_METHOD] = _METHOD_CODE[self.method]
        pi[k.I_CALENDAR] = self.calendar
        pi[k.I_WINDOW] = self.window
        if isinstance(self.reestimate, str):
            pi[k.I_REESTIMATE] = 0
            pi[k.I_REEST_CALENDAR] = REESTIMATE_CALENDAR[self.reestimate]
        else:
            pi[k.I_REESTIMATE] = self.reestimate
        pi[k.I_SIGNAL_N] = self.signal_n
        pi[k.I_MARGIN] = MARGIN_MODES[self.margin]
        return pf, pi


@dataclass(frozen=True, kw_only=True)
class Market:
    """Market data aligned on one bar index, as (T, A) float64 arrays (see kernels.run_policy)."""

    index: pd.DatetimeIndex
    names: tuple[str, ...]
    spot: np.ndarray
    fut: np.ndarray
    fut_high: np.ndarray
    ret_s: np.ndarray
    ret_f: np.ndarray
    fund_lin: np.ndarray
    fund_inv: np.ndarray
    roll_to: np.ndarray
    # USD price of each quanto hedge's settle coin at the bar close (NaN for the other assets)
    settle: np.ndarray = field(repr=False)
    # per asset, the funding settlements inside the period in time order, as arrays
    # (bar index int64, rate, reference price); fund_lin / fund_inv are their per-bar sums
    settlements: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...] = field(repr=False)
    bar_days: float = 1.0
    # assets hedged with both a perpetual and a dated future: name -> carry.CarryLeg (both
    # hedges on these bars); the arrays above then hold the switch-on-carry composite
    carry: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def funding_events(self) -> tuple[tuple[tuple[tuple[float, float], ...], ...], ...]:
        """Per asset, per bar: ``((rate, reference price), ...)`` (the reference simulator's input)."""
        out = []
        for bars, rates, refs in self.settlements:
            per_bar: list[list[tuple[float, float]]] = [[] for _ in range(len(self.index))]
            for b, rate, ref in zip(bars.tolist(), rates.tolist(), refs.tolist(), strict=True):
                per_bar[b].append((rate, ref))
            out.append(tuple(tuple(e) for e in per_bar))
        return tuple(out)

    @property
    def elapsed_days(self) -> np.ndarray:
        """Days since the previous bar (0 for the first): staking accrues on elapsed time."""
        out = np.zeros(len(self.index))
        out[1:] = np.diff(self.index.asi8) / 86_400e9
        return out

    @property
    def bars_per_year(self) -> float:
        """Bars per 365 days, from the span (an exchange calendar has fewer than 365)."""
        span_days = (self.index.asi8[-1] - self.index.asi8[0]) / 86_400e9
        return (len(self.index) - 1) * 365.0 / span_days


def _close_series(name: str, obj: pd.Series | pd.DataFrame, what: str) -> pd.Series:
    if isinstance(obj, pd.DataFrame):
        if "close" not in obj:
            raise InputError(f"{what}.{name}", "needs a 'close' column", list(obj.columns))
        obj = obj["close"]
    return obj.astype(np.float64)


def _utc_index(name: str, obj: pd.Series | pd.DataFrame) -> pd.DatetimeIndex:
    idx = obj.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise InputError(name, "needs a DatetimeIndex of bar open times", type(idx).__name__)
    idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    return idx.as_unit("ns")  # asi8 below is nanoseconds whatever the parser chose


def align_market(assets: Sequence[AssetSpec], *, spot: Mapping[str, pd.Series | pd.DataFrame],
                 hedge: Mapping[str, pd.DataFrame], funding: Mapping[str, pd.Series] | None = None,
                 funding_ref: Mapping[str, pd.Series] | None = None,
                 roll_to: Mapping[str, pd.Series] | None = None,
                 hedge_returns: Mapping[str, pd.Series] | None = None,
                 settle_price: Mapping[str, pd.Series | pd.DataFrame] | None = None,
                 start: str | pd.Timestamp | None = None,
                 end: str | pd.Timestamp | None = None,
                 exchange_calendar: bool = False) -> Market:
    """Align spot closes, hedge OHLC and funding events of every asset on their common bars.

    Bars are indexed by their open time (UTC) and must be regular. ``hedge[name]`` needs
    ``close`` and ``high`` (``open`` is used as the funding reference of a settlement at the
    bar's open). ``funding[name]`` is the rate per settlement indexed by its UTC timestamp; a
    settlement at ``tau`` belongs to the bar with ``open <= tau < next open``, i.e. it is paid
    by the position held from the previous close. Its reference price is ``funding_ref[name]``
    (the mark at that settlement) where given, else the hedge open when ``tau`` is the bar open,
    else the bar's hedge close (daily bars carry no intrabar marks). Missing bars raise
    :class:`DataError` naming the series; nothing is filled.

    ``exchange_calendar=True`` (a CME future): the bars are the hedge's trading days, which may
    skip weekends; every one of them needs a spot price. ``roll_to[name]`` gives, on the last bar
    of an expiring contract, the next contract's close; the estimators' hedge return of the next
    bar is then taken on the new contract. On such a calendar a funding settlement between two
    trading days (a perpetual's weekend) belongs to the later bar: the position held from the
    earlier bar's close receives it.

    ``settle_price[name]`` (closes, USD) is required for a quanto hedge: the price of its settle
    coin (BTC for BitMEX ETHUSD), which values its PnL, margin, funding and fees; it needs every bar.
    """
    if not assets:
        raise InputError("assets", "needs at least one asset", [], show_value=False)
    names = tuple(a.name for a in assets)
    if len(set(names)) != len(names):
        raise InputError("assets", "names must be unique", list(names))
    funding = funding or {}
    funding_ref = funding_ref or {}
    roll_to = roll_to or {}
    hedge_returns = hedge_returns or {}
    settle_price = settle_price or {}
    closes, frames = {}, {}
    for a in assets:
        if a.name not in spot:
            raise InputError(f"spot.{a.name}", "no spot prices for this asset", None, show_value=False)
        if a.name not in hedge:
            raise InputError(f"hedge.{a.name}", "no hedge prices for this asset", None, show_value=False)
        s = _close_series(a.name, spot[a.name], "spot")
        s.index = _utc_index(f"spot.{a.name}", s)
        h = hedge[a.name].copy()
        h.index = _utc_index(f"hedge.{a.name}", h)
        for col in ("close", "high"):
            if col not in h:
                raise InputError(f"hedge.{a.name}", f"needs a '{col}' column", list(h.columns))
        closes[a.name], frames[a.name] = s, h
    index = None
    for a in assets:
        for series in ((frames[a.name].index,) if exchange_calendar
                       else (closes[a.name].index, frames[a.name].index)):
            index = series if index is None else index.intersection(series)
    assert index is not None  # the config has at least one asset
    lo = pd.Timestamp(start, tz="UTC") if start is not None and pd.Timestamp(start).tz is None else start
    hi = pd.Timestamp(end, tz="UTC") if end is not None and pd.Timestamp(end).tz is None else end
    index = index.sort_values()
    if lo is not None:
        index = index[index >= pd.Timestamp(lo)]
    if hi is not None:
        index = index[index <= pd.Timestamp(hi)]
    if len(index) < 2:
        raise DataError(f"assets {', '.join(names)}: fewer than 2 common bars in the period")
    steps = np.diff(index.asi8)
    step = int(np.min(steps)) if exchange_calendar else int(np.median(steps))
    if exchange_calendar:
        for a in assets:
            missing = index.difference(closes[a.name].index)
            if len(missing):
                raise DataError(f"spot {a.name}: no price on hedge trading day {missing[0].isoformat()}"
                                f" ({len(missing)} day(s) missing)")
    elif (steps != step).any():
        k = int(np.flatnonzero(steps != step)[0])
        raise DataError(f"assets {', '.join(names)}: bars are not regular; gap after "
                        f"{index[k].isoformat()} (next common bar {index[k + 1].isoformat()})")
    for a in assets:  # a period the data does not cover is an error, not a shorter run
        for what, idx in (("spot", closes[a.name].index), ("hedge", frames[a.name].index)):
            idx = idx.sort_values()
            if lo is not None and idx[0] > pd.Timestamp(lo) + pd.Timedelta(step, "ns"):
                raise DataError(f"{what} {a.name}: history starts {idx[0].isoformat()}, after the "
                                f"requested start {pd.Timestamp(lo).isoformat()}")
            if hi is not None and idx[-1] < pd.Timestamp(hi) - pd.Timedelta(step, "ns"):
                raise DataError(f"{what} {a.name}: history ends {idx[-1].isoformat()}, before the "
                                f"requested end {pd.Timestamp(hi).isoformat()}")
    T, A = len(index), len(assets)
    shape = (T, A)
    out = {key: np.empty(shape) for key in ("spot", "fut", "fut_high", "ret_s", "ret_f")}
    fund_lin = np.zeros(shape)
    fund_inv = np.zeros(shape)
    rolls = np.full(shape, np.nan)
    settle = np.full(shape, np.nan)
    settlements: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    bar_ns = step
    grid = index.asi8
    for j, a in enumerate(assets):
        h = frames[a.name]
        spot_at = _positions(f"spot {a.name}", closes[a.name].index, grid)
        hedge_at = _positions(f"hedge {a.name}", h.index, grid)
        s = _take(closes[a.name].to_numpy(np.float64), spot_at)
        fut_c = _take(h["close"].to_numpy(np.float64), hedge_at)
        for key, arr in (("spot", s), ("fut", fut_c), ("fut_high", _take(h["high"].to_numpy(np.float64), hedge_at))):
            bad = ~np.isfinite(arr) | (arr <= 0)
            if bad.any():
                raise DataError(f"{key} {a.name}: missing or non-positive price at "
                                f"{index[int(np.flatnonzero(bad)[0])].isoformat()}")
            out[key][:, j] = arr
        if a.instrument.is_quanto:
            settle[:, j] = _settle_closes(a, settle_price, grid, index)
        out["ret_s"][0, j] = 0.0
        out["ret_s"][1:, j] = s[1:] / s[:-1] - 1.0
        if a.name in hedge_returns:
            r = hedge_returns[a.name]
            r.index = _utc_index(f"hedge_returns.{a.name}", r)
            out["ret_f"][:, j] = r.reindex(index).fillna(0.0).to_numpy(np.float64)
        else:
            out["ret_f"][0, j] = 0.0
            out["ret_f"][1:, j] = fut_c[1:] / fut_c[:-1] - 1.0
        if a.name in roll_to:
            r = roll_to[a.name].copy()
            r.index = _utc_index(f"roll_to.{a.name}", r)
            rolls[:, j] = r.reindex(index).to_numpy(np.float64)
            if a.name not in hedge_returns:  # return over a roll: on the new contract
                prev = np.where(np.isfinite(rolls[:-1, j]), rolls[:-1, j], fut_c[:-1])
                out["ret_f"][1:, j] = fut_c[1:] / prev - 1.0
        bars = np.empty(0, dtype=np.int64)
        rate = ref = np.empty(0)
        if a.name in funding:
            rates = funding[a.name].astype(np.float64).dropna()
            rates.index = _utc_index(f"funding.{a.name}", rates)
            ts = rates.index.asi8
            if exchange_calendar:
                # the bar's close is one step after its open: a settlement between two trading
                # days (a weekend) is paid by the position held from the earlier close, i.e. it
                # belongs to the later bar (on a regular grid this is the rule below)
                bar = np.searchsorted(grid + bar_ns, ts, side="right")
                inside = np.flatnonzero((ts >= grid[0]) & (bar < T))
            else:
                bar = np.searchsorted(grid, ts, side="right") - 1
                inside = np.flatnonzero((bar >= 0) & (ts < grid[-1] + bar_ns))
            bars, rate = bar[inside], rates.to_numpy()[inside]
            marks = funding_ref.get(a.name)
            if marks is not None:
                marks = marks.copy()
                marks.index = _utc_index(f"funding_ref.{a.name}", marks)
                ref = marks.reindex(rates.index).to_numpy(np.float64)[inside]
            else:
                ref = np.full(len(inside), np.nan)
            # no stored mark: the hedge open for a settlement at the bar open, else the bar close
            opens = _take(h["open"].to_numpy(np.float64), hedge_at) if "open" in h else fut_c
            fallback = np.where(ts[inside] == grid[bars], opens[bars], fut_c[bars])
            ref = np.where(ref > 0, ref, fallback)
            # bincount adds the weights in event order: the same sums as adding event by event
            fund_lin[:, j] = np.bincount(bars, weights=rate * ref, minlength=T)
            fund_inv[:, j] = np.bincount(bars, weights=rate / ref, minlength=T)
            _check_funding_gaps(a.name, rates.index, index, a.instrument)
        settlements.append((bars, rate, ref))
    return Market(index=index, names=names, spot=out["spot"], fut=out["fut"], fut_high=out["fut_high"],
                  ret_s=out["ret_s"], ret_f=out["ret_f"], fund_lin=fund_lin, fund_inv=fund_inv,
                  roll_to=rolls, settle=settle, settlements=tuple(settlements), bar_days=step / 86_400e9)


def _settle_closes(a: AssetSpec, settle_price: Mapping[str, pd.Series | pd.DataFrame], grid: np.ndarray,
                   index: pd.DatetimeIndex) -> np.ndarray:
    """The quanto settle coin's USD close on every bar; a missing or bad one is a DataError."""
    coin = a.instrument.settle
    if a.name not in settle_price:
        raise InputError(f"settle_price.{a.name}", f"a quanto hedge needs the USD price of its settle "
                         f"coin {coin}", None, show_value=False)
    px = _close_series(a.name, settle_price[a.name], "settle_price")
    px.index = _utc_index(f"settle_price.{a.name}", px)
    values = _take(px.to_numpy(np.float64), _positions(f"settle price {coin}", px.index, grid))
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise DataError(f"settle price {coin} ({a.name}'s quanto hedge): missing or non-positive at "
                        f"{index[int(np.flatnonzero(bad)[0])].isoformat()}")
    return values


def _positions(what: str, have: pd.DatetimeIndex, grid: np.ndarray) -> np.ndarray:
    """Row of each ``grid`` timestamp (ns) in the sorted-or-not index ``have``; -1 where absent."""
    if have.has_duplicates:
        raise DataError(f"{what}: bar {have[have.duplicated()][0].isoformat()} appears twice")
    stamps = have.asi8
    order = None if have.is_monotonic_increasing else np.argsort(stamps, kind="stable")
    keys = stamps if order is None else stamps[order]
    pos = np.searchsorted(keys, grid)
    pos[pos == len(keys)] = 0
    found = keys[pos] == grid if len(keys) else np.zeros(len(grid), dtype=bool)
    rows = pos if order is None else order[pos]
    return np.where(found, rows, -1)


def _take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` with NaN where ``rows`` is -1."""
    out = values[rows]
    out[rows < 0] = np.nan
    return out


def _check_funding_gaps(name: str, stamps: pd.DatetimeIndex, index: pd.DatetimeIndex,
                        instrument: Instrument) -> None:
    """A perpetual's funding history must cover the period without holes longer than 1.5 intervals."""
    hours = instrument.funding_interval_hours
    if not hours:
        return
    inside = stamps[(stamps >= index[0]) & (stamps <= index[-1])]
    if len(inside) == 0:
        raise DataError(f"funding {name}: no settlements between {index[0].isoformat()} and "
                        f"{index[-1].isoformat()}")
    edges = inside.asi8
    limit = 1.5 * hours * 3_600e9
    gaps = np.diff(edges)
    if (gaps > limit).any():
        k = int(np.flatnonzero(gaps > limit)[0])
        raise DataError(f"funding {name}: no settlement between {inside[k].isoformat()} and "
                        f"{inside[k + 1].isoformat()} ({hours:g}h interval)")
    if edges[0] - index.asi8[0] > limit or index.asi8[-1] - edges[-1] > limit + (index.asi8[1] - index.asi8[0]):
        raise DataError(f"funding {name}: settlements cover {inside[0].isoformat()} .. "
                        f"{inside[-1].isoformat()}, not the whole period")


def tier_array(assets: Sequence[AssetSpec]) -> np.ndarray:
    """(A, K, 4) rows ``floor, cap, mmr, cum``; a flat ``mmr`` is one tier over all notionals."""
    K = max(max(len(a.tiers) for a in assets), 1)
    out = np.zeros((len(assets), K, 4))
    for j, a in enumerate(assets):
        rows = a.tiers or (MarginTier(floor=0.0, cap=math.inf, mmr=a.mmr, max_leverage=math.inf,
                                      cum=a.maint_amount),)
        for i, t in enumerate(rows):
            out[j, i] = (t.floor, t.cap, t.mmr, t.cum)
    return out


def _asset_arrays(assets: Sequence[AssetSpec]) -> dict[str, np.ndarray]:
    from hedgekit.backtest import _layout as k

    return {
        "coins0": np.array([a.coins for a in assets], dtype=np.float64),
        "stake_day": np.array([a.staking_apr / 365.0 for a in assets], dtype=np.float64),
        "kind": np.array([k.INVERSE if a.instrument.is_inverse else k.QUANTO if a.instrument.is_quanto
                          else k.LINEAR for a in assets], dtype=np.int64),
        "csize": np.array([a.instrument.contract_size for a in assets], dtype=np.float64),
        "lot": np.array([a.instrument.lot_size for a in assets], dtype=np.float64),
        "tiers": tier_array(assets),
        "ntiers": np.array([max(1, len(a.tiers)) for a in assets], dtype=np.int64),
        "cost": np.array([a.fee + a.slippage for a in assets], dtype=np.float64),
        "pool": margin_pools(assets),
    }


def margin_pools(assets: Sequence[AssetSpec]) -> np.ndarray:
    """Each leg's cross-margin pool: 0 for linear legs, which settle in USD stablecoins valued at
    1 USD (USDT and USDC together, as in Binance's Multi-Assets mode; the reserve joins this pool),
    then one pool per settle coin of the inverse legs, in book order."""
    coins: list[str] = []
    out = np.zeros(len(assets), dtype=np.int64)
    for j, a in enumerate(assets):
        if a.instrument.is_linear:
            continue
        settle = a.instrument.settle.upper()
        if settle not in coins:
            coins.append(settle)
        out[j] = 1 + coins.index(settle)
    return out


def _kernel_args(assets: Sequence[AssetSpec], market: Market, cash: float, reserve: float) -> tuple:
    if tuple(a.name for a in assets) != market.names:
        raise InputError("assets", "must match the market's assets in order", list(market.names))
    arr = _asset_arrays(assets)
    rolls = market.roll_to
    if np.isnan(rolls).all():  # no asset rolls: the kernel skips the per-bar roll check
        rolls = np.empty((0, rolls.shape[1]))
    settle = market.settle
    if not any(a.instrument.is_quanto for a in assets):  # no settle-coin prices to read
        settle = np.empty((0, settle.shape[1]))
    grids = [np.ascontiguousarray(x, dtype=np.float64)  # no copy for the arrays align_market makes
             for x in (market.spot, market.fut, market.fut_high, market.ret_s, market.ret_f,
                       market.fund_lin, market.fund_inv, rolls, settle)]
    days = market.elapsed_days
    days[0] = market.index.asi8[0] / 86_400e9  # the kernels' calendar clock (bar 0 accrues nothing)
    return (*grids, arr["coins0"], days, arr["stake_day"], arr["kind"], arr["csize"],
            arr["lot"], arr["tiers"], arr["ntiers"], arr["cost"], arr["pool"], float(cash), float(reserve))


# Asset-bar steps (bars x assets) of one run up to which it uses the ahead-of-time kernels when
# `hedgekit selftest` has built them: loading them is instant, loading numba and its cache takes
# about a second, and the JIT's host-tuned code only wins that back on long runs.
AOT_MAX_STEPS = 20_000_000
JIT_ENV = "HEDGEKIT_JIT"  # "1": always the JIT kernels (numba), never the ahead-of-time build


def kernel_module(steps: int):
    """The kernels for a run of ``steps`` asset-bar steps: the ahead-of-time build
    (:mod:`hedgekit.backtest._aot`) when it exists and the run is short, else the numba JIT."""
    if steps <= AOT_MAX_STEPS and os.environ.get(JIT_ENV, "") != "1":
        from hedgekit.backtest import _aot

        module = _aot.load()
        if module is not None:
            return module
    from hedgekit.backtest import kernels

    return kernels


SERIES = ("equity", "spot_pnl", "hedge_pnl", "funding", "fees", "ratio")


def run_policy_arrays(args: tuple, policy: Policy, bars_per_year: float, *, detail: bool = True,
                      kernels=None, names: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Run one policy through the kernel on packed arguments; per-bar outputs as arrays.

    ``detail=False`` (metrics only, for sweeps and very long runs) keeps the equity curve and the
    scalars; the other series, ``contracts`` and ``flags`` are length-1 scratch. ``kernels``
    forces a kernel module (default: :func:`kernel_module`). ``names`` (the book's assets in
    order) carries the policy's per-asset ``ratios`` / ``methods`` to the kernel.
    """
    from hedgekit.backtest import _layout as k

    T, A = args[0].shape
    rows = T if detail else 1
    pf, pi = policy.pack(bars_per_year, names)
    out = {name: np.empty(T if name == "equity" else rows) for name in SERIES}
    out["contracts"] = np.empty((rows, A))
    out["flags"] = np.empty((rows, A), dtype=np.int64)
    out["scalars"] = np.empty(k.N_SCALARS)
    module = kernels if kernels is not None else kernel_module(T * A)
    module.run_policy(*args, pf, pi, *(out[name] for name in SERIES), out["contracts"], out["flags"],
                      out["scalars"])
    return out


def initial_value(assets: Sequence[AssetSpec], market: Market, cash: float, reserve: float) -> float:
    """USD value of the book at the first close, before any trade."""
    return float(cash + reserve + sum(a.coins * market.spot[0, j] for j, a in enumerate(assets)))


def run_backtest(assets: Sequence[AssetSpec], market: Market, policies: Sequence[Policy], *,
                 cash: float = 0.0, reserve: float = 0.0, progress=None):
    """Run every policy on the same aligned market; returns a :class:`BacktestResult`.

    ``cash`` (USD) finances linear margin (it may go negative: margin borrowed, no interest);
    ``reserve`` (USD) is only used for margin top-ups. An unhedged baseline is always run for
    hedge effectiveness. ``progress(done, total)`` is called after each policy. A market with
    ``carry`` legs (assets hedged with a perpetual and a dated future) runs each policy on the
    bars of its ``hedge_with`` (:mod:`hedgekit.backtest.carry`).
    """
    from hedgekit.backtest import _layout as k
    from hedgekit.backtest.result import BacktestResult, StrategyResult

    if not policies:
        raise InputError("policies", "needs at least one policy", [], show_value=False)
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        raise InputError("policies", "names must be unique", names)
    check_finite("cash", cash)
    check_nonnegative("reserve", reserve)
    args = _kernel_args(assets, market, cash, reserve)
    bpy = market.bars_per_year
    initial = initial_value(assets, market, cash, reserve)
    base = run_policy_arrays(args, Policy(name="_unhedged", method=Method.NONE), bpy,
                             detail=False)["equity"]
    carry = None
    if market.carry:  # assets hedged with a perpetual and a dated future: per-policy bars
        from hedgekit.backtest.carry import CarryRun

        carry = CarryRun(assets, market, cash, reserve)
    strategies = []
    for i, policy in enumerate(policies):
        if carry is None:
            out, extra = run_policy_arrays(args, policy, bpy, names=market.names), None
        else:
            out, extra = carry.run(policy, bpy)
        metrics = np.empty(k.N_METRICS)
        kernel_module(len(base)).equity_metrics(out["equity"], base, initial, bpy, metrics)
        result = StrategyResult.from_kernel(policy, out, metrics)
        strategies.append(result if extra is None else replace(result, **extra))
        if progress is not None:
            progress(i + 1, len(policies))
    return BacktestResult(index=market.index, names=market.names,
                          instruments=tuple(a.instrument for a in assets), initial_usd=initial,
                          unhedged_equity=base, spot=market.spot, strategies=tuple(strategies))


def sweep(assets: Sequence[AssetSpec], market: Market, policies: Sequence[Policy], *,
          cash: float = 0.0, reserve: float = 0.0) -> pd.DataFrame:
    """Run many policies in parallel (numba prange) on loaded data; one metrics row per policy.

    Per-bar detail is not kept; use :func:`run_backtest` for the few policies you chart.
    """
    from hedgekit.backtest import kernels as k

    if not policies:
        raise InputError("policies", "needs at least one policy", [], show_value=False)
    if market.carry:
        raise InputError("assets", "sweep does not run hedges that switch between a perpetual and "
                         "a dated future; run them with hedgekit backtest", sorted(market.carry))
    args = _kernel_args(assets, market, cash, reserve)
    bpy = market.bars_per_year
    packed = [p.pack(bpy, market.names) for p in policies]
    pf = np.ascontiguousarray(np.stack([p[0] for p in packed]))
    pi = np.ascontiguousarray(np.stack([p[1] for p in packed]))
    T = market.spot.shape[0]
    equity = np.empty((len(policies), T))
    scalars = np.empty((len(policies), k.N_SCALARS))
    k.run_sweep(*args, pf, pi, equity, scalars)
    base = run_policy_arrays(args, Policy(name="_unhedged", method=Method.NONE), bpy,
                             detail=False)["equity"]
    metrics = np.empty((len(policies), k.N_METRICS))
    k.sweep_metrics(equity, base, initial_value(assets, market, cash, reserve), bpy, metrics)
    frame = pd.DataFrame({"total_return": metrics[:, k.MET_TOTAL_RETURN],
                          "volatility": metrics[:, k.MET_VOLATILITY],
                          "max_drawdown": metrics[:, k.MET_MAX_DRAWDOWN],
                          "cvar_95": metrics[:, k.MET_CVAR_95],
                          "hedge_effectiveness": metrics[:, k.MET_HEDGE_EFFECTIVENESS]})
    frame.insert(0, "final_equity_usd", equity[:, -1])
    frame["funding_usd"] = scalars[:, k.S_FUNDING]
    frame["fees_usd"] = scalars[:, k.S_FEES]
    frame["rebalances"] = scalars[:, k.S_REBALANCES].astype(np.int64)
    frame["liquidations"] = scalars[:, k.S_LIQUIDATIONS].astype(np.int64)
    frame.index = pd.Index([p.name for p in policies], name="name")
    for col in ("method", "ratio", "band", "window", "reestimate", "leverage"):
        values = [getattr(p, col) for p in policies]
        if any(isinstance(v, str) for v in values) and col == "reestimate":
            values = [str(v) for v in values]  # one column type (parquet): "30" beside "weekly"
        frame[col] = values
    return frame
