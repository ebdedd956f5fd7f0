"""YAML backtest configs: pydantic v2 validation (errors name the field), data loading, run.

A config names a book (coins per asset), the perpetual that hedges each asset (a venue preset
from :mod:`hedgekit.venues` plus where its history sits in the :mod:`hedgekit.data` store) and
the policies to compare. See ``examples/backtest.yaml``.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from hedgekit._validation import (
    Number,
    Whole,
    at_least,
    from_validation_error,
    read_yaml,
)
from hedgekit.backtest.engine import MAX_LEVERAGE, MAX_RATIO, MIN_BARS, REESTIMATE_CALENDAR, Method
from hedgekit.errors import DataError, InputError

__all__ = ["AssetConfig", "BacktestConfig", "HedgeConfig", "PolicyConfig", "load_config",
           "load_market", "run_config"]

_STRICT = ConfigDict(extra="forbid", frozen=True)
# Bounds that keep the simulation's sums finite and its bar counts inside int64: no book holds
# more than 1e18 coins or 1e15 USD, no window spans more than 100,000 bars (273 years of days),
# and a leverage below 0.01 (margin of 100x the notional) is a typo.
MAX_COINS, MIN_COINS, MAX_USD, MAX_BARS, MIN_LEVERAGE = 1e18, 1e-12, 1e15, 100_000, 0.01


class DatedConfig(BaseModel):
    """Dated futures held as a continuous front contract, rolled before expiry."""

    model_config = _STRICT
    root: str = Field(description="contract root in the store, e.g. MBT (CME micro bitcoin)")
    roll_days: Whole = Field(5, ge=0, description="roll this many days before expiry")
    contract_size: Number = Field(gt=0, description="coin per contract (MBT: 0.1 BTC, a CME fact)")
    lot_size: Number = Field(1.0, gt=0)


class TierConfig(BaseModel):
    """One maintenance bracket; the maintenance amount (Binance "cum") follows from the rates."""

    model_config = _STRICT
    cap: Number | None = Field(None, gt=0, description="upper notional of the bracket in the settle "
                               "currency; only the last bracket may leave it out (open-ended)")
    mmr: Number = Field(ge=0, lt=1)
    max_leverage: Number = Field(125.0, gt=0)


class HedgeConfig(BaseModel):
    """The contract hedging one asset and where its history is stored."""

    model_config = _STRICT
    venue: str = Field(description="venue preset, e.g. binance-usdm (see hedgekit.venues), or the "
                       "store venue of dated futures (cme)")
    symbol: str = Field("", description="the preset's instrument, e.g. BTCUSDT")
    dated: DatedConfig | None = None
    data_venue: str | None = Field(None, description="store venue id (default: the preset's exchange)")
    data_symbol: str | None = Field(None, description="store symbol (default: ccxt style BTC/USDT:USDT)")
    fee: Number | None = Field(None, ge=0, lt=0.05, description="taker fee per trade (default: preset)")
    slippage: Number = Field(0.0, ge=0, lt=0.05)
    mmr: Number | None = Field(None, ge=0, lt=1, description="maintenance rate (default: preset tier)")
    maint_amount: Annotated[Number, Field(ge=-MAX_USD, le=MAX_USD)] | None = None
    tiers: list[TierConfig] | None = Field(None, min_length=1, description="maintenance tiers "
                                           "replacing the preset's (floor = previous cap)")
    contract_size: Number | None = Field(None, gt=0, le=MAX_COINS,
                                         description="coin (linear) or USD (inverse) per contract")
    lot_size: Annotated[Number, Field(gt=0, le=MAX_COINS), at_least(MIN_COINS)] | None = Field(
        None, description="order size increment in contracts (default: preset)")


class AssetConfig(BaseModel):
    model_config = _STRICT
    asset: str
    coins: Annotated[Number, Field(gt=0, le=MAX_COINS), at_least(MIN_COINS)]
    staking_apr: Number = Field(0.0, ge=0, lt=1)
    spot_venue: str | None = None
    hedge: HedgeConfig


def _schedule(value: Any) -> int | str:
    """``reestimate``: ``weekly``, ``monthly`` or a whole number of bars."""
    low = MIN_BARS["reestimate"]
    if isinstance(value, str):
        if value in REESTIMATE_CALENDAR:
            return value
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("", f"must be weekly, monthly or a whole number >= {low}", value)
    if value < low:
        raise InputError("", f"must be >= {low}", value)
    if value > MAX_BARS:
        raise InputError("", f"must be <= {MAX_BARS}", value)
    return value


class PolicyConfig(BaseModel):
    model_config = _STRICT
    name: str
    method: Method = Method.STATIC
    ratio: Number = Field(1.0, ge=0, le=MAX_RATIO)
    ratio_off: Number = Field(0.0, ge=0, le=MAX_RATIO)
    band: Number = Field(0.0, ge=0)
    calendar: Whole = Field(0, ge=MIN_BARS["calendar"], le=MAX_BARS)
    window: Whole = Field(90, ge=MIN_BARS["window"], le=MAX_BARS)
    reestimate: Annotated[int | str, BeforeValidator(_schedule)] = 30
    signal_n: Whole = Field(50, ge=MIN_BARS["signal_n"], le=MAX_BARS)
    threshold: Number = 0.0
    threshold_off: Number | None = None
    leverage: Annotated[Number, Field(gt=0, le=MAX_LEVERAGE), at_least(MIN_LEVERAGE)] = 2.0
    topup: Number = Field(0.0, ge=0)
    max_ratio: Number = Field(2.0, gt=0)
    halflife: Number = Field(30.0, gt=0)
    margin: Literal["isolated", "cross"] = Field(
        "isolated", description="isolated: a wallet per leg; cross: one pool per settle currency")
    ratios: dict[str, Annotated[Number, Field(ge=0, le=MAX_RATIO)]] = Field(
        default_factory=dict, description="per asset: the ratio in place of `ratio`")
    methods: dict[str, Method] = Field(default_factory=dict,
                                       description="per asset: the method in place of `method`")


class BacktestConfig(BaseModel):
    model_config = _STRICT
    name: str = "backtest"
    start: date | None = None
    end: date | None = None
    freq: Literal["1d", "8h", "4h", "1h"] = "1d"
    cash_usd: Annotated[Number, Field(ge=-MAX_USD, le=MAX_USD)] = 0.0
    reserve_usd: Number = Field(0.0, ge=0, le=MAX_USD)
    assets: list[AssetConfig] = Field(min_length=1)
    policies: list[PolicyConfig] = Field(min_length=1)


def parse_config(data: Any) -> BacktestConfig:
    """Validate a mapping; the first problem raises :class:`InputError` naming the field."""
    try:
        cfg = BacktestConfig.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    names = [p.name for p in cfg.policies]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise InputError(f"policies[{i}].name", "must be unique", name)
    for i, p in enumerate(cfg.policies):
        if p.margin == "cross" and p.topup > 0:
            raise InputError(f"policies[{i}].topup", "top-ups are for isolated margin; in cross margin "
                             "the reserve is already collateral of the USD pool", p.topup)
        if p.threshold_off is not None and p.threshold_off > p.threshold:
            raise InputError(f"policies[{i}].threshold_off", f"must be <= threshold ({p.threshold:g})",
                             p.threshold_off)
    assets = [a.asset for a in cfg.assets]
    for i, name in enumerate(assets):
        if assets.index(name) != i:
            raise InputError(f"assets[{i}].asset", "must be unique", name)
    for i, p in enumerate(cfg.policies):
        for field_, per in (("ratios", p.ratios), ("methods", p.methods)):
            for name in per:
                if name not in assets:
                    raise InputError(f"policies[{i}].{field_}.{name}", "names no asset of the book",
                                     name)
    dated = [a.hedge.dated is not None for a in cfg.assets]
    if any(dated) and not all(dated):
        i = dated.index(False)
        raise InputError(f"assets[{i}].hedge", "cannot mix perpetual and dated hedges in one book "
                         "(their bar calendars differ)", None, show_value=False)
    if cfg.start and cfg.end and cfg.start >= cfg.end:
        raise InputError("end", "must be after start", str(cfg.end))
    return cfg


def load_config(path: str | Path) -> BacktestConfig:
    """Read and validate a YAML config file."""
    data = read_yaml(path, "CONFIG")
    if not isinstance(data, dict):
        raise InputError("config", "must be a YAML mapping", str(path))
    return parse_config(data)


def build_assets(cfg: BacktestConfig):
    """AssetSpecs from the config: instrument, taker fee and maintenance tiers from the venue
    preset (re-evaluated at the liquidation price); ``mmr`` in the config replaces the tiers."""
    from hedgekit.backtest.engine import AssetSpec
    from hedgekit.venues import get_venue

    out = []
    for i, a in enumerate(cfg.assets):
        where = f"assets[{i}].hedge"
        if a.hedge.dated is not None:
            out.append(_dated_asset(a, where))
            continue
        try:
            venue = get_venue(a.hedge.venue)
        except InputError as exc:
            raise exc.relabel(f"{where}.venue") from None
        try:
            inst = venue.instrument(a.hedge.symbol)
        except InputError as exc:
            raise exc.relabel(f"{where}.symbol") from None
        if inst.base.upper() != a.asset.upper() and not inst.is_linear:
            # a linear proxy (SOL hedged with ETHUSDT) is sized in USD; an inverse one would
            # settle in a different coin than the book holds
            raise InputError(f"{where}.symbol", f"a proxy hedge must be linear ({inst.symbol} "
                             f"settles in {inst.settle})", a.hedge.symbol)
        inst = _contract_overrides(a.hedge, inst, where)
        mmr, maint = a.hedge.mmr, a.hedge.maint_amount or 0.0
        if a.hedge.tiers is not None:
            if mmr is not None:
                raise InputError(f"{where}.tiers", "give either mmr or tiers, not both", None,
                                 show_value=False)
            mmr, tiers = a.hedge.tiers[0].mmr, _tiers(a.hedge.tiers, f"{where}.tiers")
        elif mmr is None:  # the venue's rule; the size is unknown here, so tiers (re-evaluated)
            rule = venue.maintenance(inst)
            mmr, tiers = float(rule.get("mmr", venue.default_mmr)), rule.get("tiers", ())
        else:
            tiers = ()
        out.append(AssetSpec(name=a.asset, coins=a.coins, instrument=inst, staking_apr=a.staking_apr,
                             mmr=mmr, maint_amount=maint,
                             tiers=tiers,
                             fee=venue.taker_fee if a.hedge.fee is None else a.hedge.fee,
                             slippage=a.hedge.slippage))
    return out


def _contract_overrides(h: HedgeConfig, inst, where: str):
    """The preset's instrument with the config's ``contract_size`` / ``lot_size`` in its place."""
    from dataclasses import replace

    changes = {name: getattr(h, name) for name in ("contract_size", "lot_size")
               if getattr(h, name) is not None}
    return replace(inst, **changes) if changes else inst


def _tiers(rows: list[TierConfig], where: str):
    """Contiguous brackets from 0: each floor is the previous cap, the last may be open-ended."""
    from hedgekit.margin import build_tiers

    floor, out = 0.0, []
    for i, t in enumerate(rows):
        if t.cap is None and i < len(rows) - 1:
            raise InputError(f"{where}[{i}].cap", "only the last tier may leave out its cap", None,
                             show_value=False)
        cap = math.inf if t.cap is None else t.cap
        if not cap > floor:
            raise InputError(f"{where}[{i}].cap", f"must be above the previous cap {floor:g}", t.cap)
        if i and t.mmr < rows[i - 1].mmr:
            raise InputError(f"{where}[{i}].mmr", "must not be below the previous tier's", t.mmr)
        out.append((floor, cap, t.mmr, t.max_leverage))
        floor = cap
    return build_tiers(out)


def _dated_asset(a: AssetConfig, where: str):
    """A linear, USD-settled dated future (CME style): no funding, fee as a fraction of notional."""
    from hedgekit.backtest.engine import AssetSpec
    from hedgekit.instruments import ContractType, Instrument

    d = a.hedge.dated
    assert d is not None  # only called for a dated hedge
    for name in ("contract_size", "lot_size", "tiers"):
        if getattr(a.hedge, name) is not None:
            why = "a dated hedge takes a flat mmr" if name == "tiers" else f"set dated.{name} instead"
            raise InputError(f"{where}.{name}", why, None, show_value=False)
    if a.hedge.fee is None:
        raise InputError(f"{where}.fee", "a dated hedge needs its fee as a fraction of notional", None,
                         show_value=False)
    if a.hedge.mmr is None:
        raise InputError(f"{where}.mmr", "a dated hedge needs its maintenance rate", None, show_value=False)
    inst = Instrument(symbol=d.root, contract_type=ContractType.LINEAR, contract_size=d.contract_size,
                      base=a.asset, quote="USD", lot_size=d.lot_size, funding_interval_hours=None)
    return AssetSpec(name=a.asset, coins=a.coins, instrument=inst, staking_apr=a.staking_apr,
                     mmr=a.hedge.mmr, maint_amount=a.hedge.maint_amount or 0.0, fee=a.hedge.fee,
                     slippage=a.hedge.slippage)


def _dated_series(a: AssetConfig, cfg: BacktestConfig, store, start, end):
    """Continuous front-contract OHLC and, on each roll, the next contract's close the bar before."""
    import pandas as pd

    from hedgekit.data import continuous_future

    d = a.hedge.dated
    assert d is not None  # only called for a dated hedge
    venue = a.hedge.data_venue or a.hedge.venue
    cont = continuous_future(venue, d.root, roll_days_before_expiry=d.roll_days, start=start, end=end,
                             store=store)
    idx = cont.index
    roll_to = pd.Series(float("nan"), index=idx)
    for t in range(1, len(idx)):
        if not cont["roll"].iloc[t]:
            continue
        new = cont["contract"].iloc[t]
        prices = store.read("futures", venue, new, cfg.freq, start=idx[t - 1], end=idx[t - 1])
        if prices.empty or not prices["close"].iloc[0] > 0:
            raise DataError(f"futures {venue} {new}: no close on {idx[t - 1].isoformat()}, the bar "
                            f"before rolling into it")
        roll_to.iloc[t - 1] = float(prices["close"].iloc[0])
    return cont[["open", "high", "low", "close"]], roll_to


def load_market(cfg: BacktestConfig, *, data_dir: str | Path | None = None):
    """Load spot, hedge OHLC and funding for every asset from the store and align them."""
    import pandas as pd

    from hedgekit.backtest.engine import align_market
    from hedgekit.data import Store, load_ohlc
    from hedgekit.data.loaders import funding_frame
    from hedgekit.venues import get_venue

    store = Store(data_dir)
    start = pd.Timestamp(cfg.start, tz="UTC") if cfg.start else None
    end = pd.Timestamp(cfg.end, tz="UTC") if cfg.end else None
    spot, hedge, funding, marks, rolls, settle = {}, {}, {}, {}, {}, {}
    read: dict[tuple, Any] = {}  # proxy hedges share a contract: read its series once

    def once(key: tuple, load):
        if key not in read:
            read[key] = load()
        return read[key]

    assets = build_assets(cfg)
    for a, spec in zip(cfg.assets, assets, strict=True):
        inst = spec.instrument
        spot[a.asset] = load_ohlc(a.asset, kind="price", venue=a.spot_venue, freq=cfg.freq,
                                  start=start, end=end, store=store)
        if a.hedge.dated is not None:
            hedge[a.asset], rolls[a.asset] = _dated_series(a, cfg, store, start, end)
            continue
        if inst.is_quanto:  # the settle coin's USD price values the quanto hedge's PnL and margin
            settle[a.asset] = once(("price", inst.settle, a.spot_venue),
                                   lambda c=inst.settle, v=a.spot_venue: load_ohlc(
                                       c, kind="price", venue=v, freq=cfg.freq, start=start, end=end,
                                       store=store))
        preset = get_venue(a.hedge.venue)  # a known preset: build_assets checked it
        venue_id = a.hedge.data_venue or preset.exchange
        symbol = a.hedge.data_symbol or preset.ccxt_symbol(inst)
        hedge[a.asset] = once(("futures", venue_id, symbol), lambda n=a.asset, v=venue_id, s=symbol: load_ohlc(
            n, kind="futures", venue=v, symbol=s, freq=cfg.freq, start=start, end=end, store=store))
        if inst.is_perpetual:
            hi = end + pd.Timedelta(days=1) if end is not None else None
            rates, stored = once(("funding", venue_id, symbol), lambda v=venue_id, s=symbol, h=hi: funding_frame(
                v, s, start=start, end=h, store=store))
            funding[a.asset] = rates
            if "mark_price" in stored:
                marks[a.asset] = stored["mark_price"].astype(float)
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding, funding_ref=marks,
                          roll_to=rolls, settle_price=settle, start=start, end=end,
                          exchange_calendar=bool(rolls))
    return assets, market


def policies_from(cfg: BacktestConfig):
    from hedgekit.backtest.engine import Policy

    return [Policy(**p.model_dump()) for p in cfg.policies]


def run_config(cfg: BacktestConfig | str | Path, *, data_dir: str | Path | None = None, progress=None):
    """Load the data a config names, run every policy, return a :class:`BacktestResult`."""
    from hedgekit.backtest.engine import run_backtest

    if not isinstance(cfg, BacktestConfig):
        cfg = load_config(cfg)
    assets, market = load_market(cfg, data_dir=data_dir)
    if not math.isfinite(cfg.cash_usd):
        raise InputError("cash_usd", "must be a finite number", cfg.cash_usd)
    if market.spot.shape[0] < 3:
        raise DataError(f"{cfg.name}: only {market.spot.shape[0]} bars in the period")
    return run_backtest(assets, market, policies_from(cfg), cash=cfg.cash_usd,
                        reserve=cfg.reserve_usd, progress=progress)
