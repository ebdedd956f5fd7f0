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
from hedgekit.backtest.engine import (
    MAX_LEVERAGE,
    MAX_RATIO,
    MIN_BARS,
    REESTIMATE_CALENDAR,
    Method,
    check_policy_fields,
)
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
    # only when the hedge also names a perpetual (a carry hedge): the dated future's own venue,
    # fee and maintenance rate (a dated-only hedge takes hedge.venue / fee / mmr)
    venue: str | None = Field(None, description="store venue of the contracts (default cme)")
    fee: Number | None = Field(None, ge=0, lt=0.05, description="fee as a fraction of notional")
    mmr: Number | None = Field(None, ge=0, lt=1, description="maintenance margin rate")


class SwitchConfig(BaseModel):
    """When a hedge naming a perpetual and a dated future moves from one to the other."""

    model_config = _STRICT
    window: Whole = Field(30, ge=MIN_BARS["signal_n"], le=MAX_BARS,
                          description="bars of funding in the perpetual's trailing APR")
    margin: Number = Field(0.05, ge=0, le=1, description="APR by which the other must carry more")


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
    switch: SwitchConfig | None = Field(None, description="with both a perpetual (symbol) and "
                                        "dated: the switch-on-carry rule")
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
    hedge_with: Literal["carry", "perp", "dated"] = Field(
        "carry", description="assets hedged with a perpetual and a dated future: which one")
    switch_window: Whole | None = Field(None, ge=MIN_BARS["signal_n"], le=MAX_BARS,
                                        description="hedge_with carry: in place of switch.window")
    switch_margin: Number | None = Field(None, ge=0, le=1,
                                         description="hedge_with carry: in place of switch.margin")


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
        check_policy_fields(f"policies[{i}]", threshold=p.threshold, threshold_off=p.threshold_off,
                            margin=p.margin, topup=p.topup)
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
    for i, a in enumerate(cfg.assets):
        _check_carry_fields(a.hedge, f"assets[{i}].hedge")
    dated = [a.hedge.dated is not None for a in cfg.assets]
    if any(dated) and not all(dated):
        i = dated.index(False)
        raise InputError(f"assets[{i}].hedge", "cannot mix perpetual and dated hedges in one book "
                         "(their bar calendars differ)", None, show_value=False)
    if cfg.start and cfg.end and cfg.start >= cfg.end:
        raise InputError("end", "must be after start", str(cfg.end))
    return cfg


def is_carry(h: HedgeConfig) -> bool:
    """A hedge naming both a perpetual (``symbol``) and a dated future (``dated``)."""
    return h.dated is not None and bool(h.symbol)


def _check_carry_fields(h: HedgeConfig, where: str) -> None:
    """The carry-only fields (``switch``, ``dated.venue`` / ``fee`` / ``mmr``) need both hedges."""
    if is_carry(h):
        assert h.dated is not None  # is_carry
        for name in ("fee", "mmr"):
            if getattr(h.dated, name) is None:
                raise InputError(f"{where}.dated.{name}", "a hedge with a perpetual and a dated "
                                 f"future needs the dated future's {name}", None, show_value=False)
        return
    if h.switch is not None:
        raise InputError(f"{where}.switch", "needs both a perpetual (symbol) and a dated future "
                         "(dated)", None, show_value=False)
    if h.dated is not None:
        for name in ("venue", "fee", "mmr"):
            if getattr(h.dated, name) is not None:
                raise InputError(f"{where}.dated.{name}", f"only with a perpetual (symbol) beside "
                                 f"it; a dated-only hedge takes hedge.{name}", getattr(h.dated, name))


def load_config(path: str | Path) -> BacktestConfig:
    """Read and validate a YAML config file."""
    data = read_yaml(path, "CONFIG")
    if not isinstance(data, dict):
        raise InputError("config", "must be a YAML mapping", str(path))
    return parse_config(data)


def build_assets(cfg: BacktestConfig):
    """AssetSpecs from the config: instrument, taker fee and maintenance tiers from the venue
    preset (re-evaluated at the liquidation price); ``mmr`` in the config replaces the tiers.
    A hedge naming a perpetual and a dated future gets the composite contract
    (:func:`_carry_asset`)."""
    return _build(cfg)[0]


def _build(cfg: BacktestConfig):
    """(AssetSpecs, {asset: (the perpetual's AssetSpec, the dated future's fee + slippage)} for
    the carry hedges)."""
    out, carry = [], {}
    for i, a in enumerate(cfg.assets):
        where = f"assets[{i}].hedge"
        if is_carry(a.hedge):
            spec, perp, dated_cost = _carry_asset(a, where)
            out.append(spec)
            carry[a.asset] = (perp, dated_cost)
        elif a.hedge.dated is not None:
            out.append(_dated_asset(a, where))
        else:
            out.append(_perp_asset(a, where))
    return out, carry


def _perp_asset(a: AssetConfig, where: str):
    from hedgekit.backtest.engine import AssetSpec
    from hedgekit.venues import get_venue

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
    return AssetSpec(name=a.asset, coins=a.coins, instrument=inst, staking_apr=a.staking_apr,
                     mmr=mmr, maint_amount=maint, tiers=tiers,
                     fee=venue.taker_fee if a.hedge.fee is None else a.hedge.fee,
                     slippage=a.hedge.slippage)


def _carry_asset(a: AssetConfig, where: str):
    """A hedge switching between a linear perpetual on the asset and a dated future.

    The composite contract is 1 coin, linear, with the coarser of the two coin steps as its lot
    (the coarser must be a whole multiple of the finer, so every size is tradable on both);
    maintenance is the higher of the two rates bracket by bracket (the perpetual's tiers, each
    rate raised to the dated ``mmr`` where lower; amounts follow from the rates as Binance's
    bracket table), so it never asks less margin than either venue. Returns (composite spec,
    the perpetual's spec, the dated future's fee + slippage)."""
    from dataclasses import replace

    from hedgekit.instruments import ContractType, Instrument
    from hedgekit.margin import MarginTier, build_tiers

    d = a.hedge.dated
    assert d is not None and d.fee is not None and d.mmr is not None  # _check_carry_fields
    perp = _perp_asset(a, where)
    inst = perp.instrument
    if not inst.is_linear or not inst.is_perpetual or inst.base.upper() != a.asset.upper():
        raise InputError(f"{where}.symbol", f"beside a dated future the perpetual must be a linear "
                         f"contract on {a.asset}", a.hedge.symbol)
    if a.hedge.maint_amount:
        raise InputError(f"{where}.maint_amount", "not used with a perpetual and a dated future "
                         "(give tiers)", a.hedge.maint_amount)
    perp_step, dated_step = inst.contract_size * inst.lot_size, d.contract_size * d.lot_size
    steps = sorted((perp_step, dated_step))
    ratio = steps[1] / steps[0]
    if abs(ratio - round(ratio)) > 1e-9 * ratio:
        raise InputError(f"{where}.dated.lot_size", f"the coin steps of the perpetual ({perp_step:g}) "
                         f"and of the dated future (contract_size x lot_size = {dated_step:g}) must "
                         "divide one another", None, show_value=False)
    rows = perp.tiers or (MarginTier(floor=0.0, cap=math.inf, mmr=perp.mmr, max_leverage=math.inf,
                                     cum=0.0),)
    tiers = build_tiers([(t.floor, t.cap, max(t.mmr, d.mmr), t.max_leverage) for t in rows])
    composite = Instrument(symbol=f"{inst.symbol}|{d.root}", contract_type=ContractType.LINEAR,
                           contract_size=1.0, base=a.asset, quote=inst.quote, settle=inst.settle,
                           lot_size=steps[1], funding_interval_hours=None)
    spec = replace(perp, instrument=composite, tiers=tiers, mmr=tiers[0].mmr, maint_amount=0.0)
    return spec, perp, d.fee + a.hedge.slippage


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
    """Continuous front-contract OHLC, on each roll the next contract's close the bar before, and
    the calendar days to expiry of the contract a short opened at each close holds."""
    import pandas as pd

    from hedgekit.data import continuous_future

    d = a.hedge.dated
    assert d is not None  # only called for a dated hedge
    venue = (d.venue or "cme") if is_carry(a.hedge) else (a.hedge.data_venue or a.hedge.venue)
    cont = continuous_future(venue, d.root, roll_days_before_expiry=d.roll_days, start=start, end=end,
                             store=store)
    idx = cont.index
    roll_to = pd.Series(float("nan"), index=idx)
    days = cont["days_to_expiry"].astype(float).copy()
    for t in range(1, len(idx)):
        if not cont["roll"].iloc[t]:
            continue
        new = cont["contract"].iloc[t]
        prices = store.read("futures", venue, new, cfg.freq, start=idx[t - 1], end=idx[t - 1])
        if prices.empty or not prices["close"].iloc[0] > 0:
            raise DataError(f"futures {venue} {new}: no close on {idx[t - 1].isoformat()}, the bar "
                            f"before rolling into it")
        roll_to.iloc[t - 1] = float(prices["close"].iloc[0])
        days.iloc[t - 1] = float((cont["expiry"].iloc[t] - idx[t - 1].normalize()).days)
    return cont[["open", "high", "low", "close"]], roll_to, days


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
    spot, hedge, funding, marks, rolls, days, settle = {}, {}, {}, {}, {}, {}, {}
    perps: dict[str, Any] = {}
    read: dict[tuple, Any] = {}  # proxy hedges share a contract: read its series once

    def once(key: tuple, load):
        if key not in read:
            read[key] = load()
        return read[key]

    assets, carry = _build(cfg)
    for a, spec in zip(cfg.assets, assets, strict=True):
        spot[a.asset] = load_ohlc(a.asset, kind="price", venue=a.spot_venue, freq=cfg.freq,
                                  start=start, end=end, store=store)
        if a.hedge.dated is not None:
            hedge[a.asset], rolls[a.asset], days[a.asset] = _dated_series(a, cfg, store, start, end)
            if a.asset not in carry:
                continue
        inst = carry[a.asset][0].instrument if a.asset in carry else spec.instrument
        if inst.is_quanto:  # the settle coin's USD price values the quanto hedge's PnL and margin
            settle[a.asset] = once(("price", inst.settle, a.spot_venue),
                                   lambda c=inst.settle, v=a.spot_venue: load_ohlc(
                                       c, kind="price", venue=v, freq=cfg.freq, start=start, end=end,
                                       store=store))
        preset = get_venue(a.hedge.venue)  # a known preset: build_assets checked it
        venue_id = a.hedge.data_venue or preset.exchange
        symbol = a.hedge.data_symbol or preset.ccxt_symbol(inst)
        frame = once(("futures", venue_id, symbol), lambda n=a.asset, v=venue_id, s=symbol: load_ohlc(
            n, kind="futures", venue=v, symbol=s, freq=cfg.freq, start=start, end=end, store=store))
        (perps if a.asset in carry else hedge)[a.asset] = frame
        if inst.is_perpetual:
            hi = end + pd.Timedelta(days=1) if end is not None else None
            rates, stored = once(("funding", venue_id, symbol), lambda v=venue_id, s=symbol, h=hi: funding_frame(
                v, s, start=start, end=h, store=store))
            funding[a.asset] = rates
            if "mark_price" in stored:
                marks[a.asset] = stored["mark_price"].astype(float)
    if not carry:
        market = align_market(assets, spot=spot, hedge=hedge, funding=funding, funding_ref=marks,
                              roll_to=rolls, settle_price=settle, start=start, end=end,
                              exchange_calendar=bool(rolls))
        return assets, market
    from hedgekit.backtest.carry import with_carry

    market = align_market(assets, spot=spot, hedge=hedge, roll_to=rolls, start=start, end=end,
                          exchange_calendar=True)
    return assets, with_carry(market, _carry_legs(cfg, carry, market, perps, funding, marks, days,
                                                  start, end))


def _on_trading_days(name: str, perp, index):
    """The perpetual on the dated future's trading days: each day's open and close, and the
    highest high since the previous trading day (a weekend's highs count for Monday)."""
    import numpy as np
    import pandas as pd

    frame = perp.sort_index()
    missing = index.difference(frame.index)
    if len(missing):
        raise DataError(f"hedge {name}: the perpetual has no bar on trading day "
                        f"{missing[0].isoformat()} ({len(missing)} day(s) missing)")
    frame = frame[(frame.index >= index[0]) & (frame.index <= index[-1])]
    bar = np.searchsorted(index.asi8, frame.index.asi8, side="left")
    high = frame["high"].groupby(bar).max()
    out = frame.reindex(index)[["open", "close"]].copy()
    out["high"] = high.to_numpy()  # every bar has its own day, so every group exists
    return out.set_axis(pd.DatetimeIndex(index))


def _carry_legs(cfg, carry, market, perps, funding, marks, days, start, end):
    """One :class:`~hedgekit.backtest.carry.CarryLeg` per carry hedge: the perpetual aligned on
    the market's (dated) bars, funding assigned to them, beside the market's dated columns."""
    import pandas as pd

    from hedgekit.backtest.carry import CarryLeg
    from hedgekit.backtest.engine import align_market

    names = list(carry)
    specs = [carry[n][0] for n in names]
    spot = {n: pd.Series(market.spot[:, market.names.index(n)], index=market.index) for n in names}
    perp = align_market(specs, spot=spot, hedge={n: _on_trading_days(n, perps[n], market.index) for n in names},
                        funding={n: funding[n] for n in names},
                        funding_ref={n: marks[n] for n in names if n in marks},
                        start=market.index[0], end=market.index[-1], exchange_calendar=True)
    if not perp.index.equals(market.index):  # _on_trading_days gave every bar a price
        raise DataError(f"hedges {', '.join(names)}: perpetual and dated bars differ")
    by_name = {a.asset: a for a in cfg.assets}
    legs = {}
    for jj, n in enumerate(names):
        j = market.names.index(n)
        h = by_name[n].hedge
        rule = h.switch
        legs[n] = CarryLeg(
            perp_close=perp.fut[:, jj].copy(), perp_high=perp.fut_high[:, jj].copy(),
            perp_fund_lin=perp.fund_lin[:, jj].copy(), perp_fund_inv=perp.fund_inv[:, jj].copy(),
            perp_settlements=perp.settlements[jj],
            dated_close=market.fut[:, j].copy(), dated_high=market.fut_high[:, j].copy(),
            dated_roll_to=market.roll_to[:, j].copy(),
            dated_days=days[n].reindex(market.index).to_numpy(float),
            perp_cost=specs[jj].fee + specs[jj].slippage, dated_cost=carry[n][1],
            **({"window": rule.window, "margin": rule.margin} if rule is not None else {}))
    return legs


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
