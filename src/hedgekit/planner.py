"""From a portfolio and a hedge policy to an exact, explained hedge plan.

``plan(portfolio) -> HedgePlan``: for every risky exposure the planner picks a future (the
asset's own where a venue lists one, else a proxy), sizes it

    contracts = ratio * beta * exposure_usd / contract_value_usd

rounds it to the venue's lot (showing both the round-down and round-up alternative and the
residual each leaves), and prices the leg: initial margin and collateral, liquidation price
and distance, funding carry, fees. Contract math goes through
:class:`~hedgekit.instruments.Instrument` and :mod:`hedgekit.margin`; venue facts come from
:mod:`hedgekit.venues`. The plan also lists what it cannot fix (warnings).

Collateral (``hedge.collateral``): linear legs are margined in stablecoins; an inverse leg in
the coin itself. With ``hedged-coin`` the margin is part of the holding being hedged, so a 1x
inverse short keeps the book's USD value flat and has no liquidation price; with ``coin`` the
margin is a separate coin balance, i.e. an extra unhedged long (MECHANICS.md section 3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hedgekit.errors import DataError, InputError
from hedgekit.instruments import ContractType, Instrument, Side
from hedgekit.margin import initial_margin, liquidation_price, tier_for
from hedgekit.portfolio import (
    Collateral,
    Exposure,
    HedgeMethod,
    HedgePolicy,
    InstrumentChoice,
    Portfolio,
    PortfolioExposure,
    STABLECOINS,
    ScenarioSettings,
    compute_exposures,
    price_of,
)
from hedgekit.venues import VenuePreset, get_venue

__all__ = ["HedgeLeg", "HedgePlan", "PlanWarning", "RoundingOption", "margin_spec", "plan"]

_PREFERRED_TYPES = (ContractType.LINEAR, ContractType.INVERSE, ContractType.QUANTO)
HIGH_LEVERAGE = 3.0      # hedge legs above this leverage get a warning
TINY_HEDGE = 0.5         # a leg hedging less than this fraction of its target is flagged
CONCENTRATION = 0.5      # without max_share_per_venue, flag a venue above this share
CARRY_DAYS = 30.0
ROUNDING_SLACK = 0.005   # lot rounding may push a capped venue this far above its share


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanWarning:
    """Something the plan cannot fix or the user should decide; ``code`` is stable for tests."""

    code: str
    message: str
    asset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "asset": self.asset}


@dataclass(frozen=True, kw_only=True, slots=True)
class RoundingOption:
    """One way of rounding the exact contract count to the lot."""

    mode: str
    contracts: float
    notional_usd: float
    residual_usd: float       # target notional - hedged notional (> 0: under-hedged)
    residual_pct: float       # residual as % of the target notional
    hedge_ratio_effective: float

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "contracts": self.contracts, "notional_usd": self.notional_usd,
                "residual_usd": self.residual_usd, "residual_pct": self.residual_pct,
                "hedge_ratio_effective": self.hedge_ratio_effective}


@dataclass(frozen=True, kw_only=True, slots=True)
class HedgeLeg:
    """One futures position of the plan. Amounts in the settle currency unless named ``_usd``.

    ``exposure_usd`` is the part of the asset's delta (in USD) this leg covers; ``beta`` the
    hedge ratio per unit of exposure before ``ratio``; ``hedge_ratio_target = ratio * beta``
    and ``hedge_ratio_effective = notional_usd / exposure_usd`` after rounding.
    """

    asset: str
    hedge_asset: str
    venue: str
    instrument: Instrument
    side: Side
    price: float
    settle_usd: float
    beta: float
    exposure_usd: float
    target_notional_usd: float
    contracts_exact: float
    contracts: float
    rounding: str
    alternatives: tuple[RoundingOption, ...]
    fixed: bool
    notional_usd: float
    notional_coin: float
    notional_settle: float
    residual_usd: float
    residual_pct: float
    hedge_ratio_target: float
    hedge_ratio_effective: float
    leverage: float
    margin_mode: str
    collateral: Collateral
    initial_margin: float
    collateral_needed: float
    effective_leverage: float
    liquidation_price: float | None
    bankruptcy_price: float | None
    liquidation_distance_pct: float | None
    mmr: float
    funding_rate_8h: float
    funding_assumed: bool
    funding_interval_hours: float
    funding_per_day: float
    funding_per_day_usd: float
    funding_30d_usd: float
    fee_rate: float
    fee_open: float
    fee_close: float
    onchain: bool

    @property
    def contract_type(self) -> ContractType:
        return self.instrument.contract_type

    @property
    def settle(self) -> str:
        return self.instrument.settle

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def is_proxy(self) -> bool:
        return self.hedge_asset != self.asset

    def to_usd(self, amount_settle: float) -> float:
        return self.instrument.settle_to_usd(amount_settle, self.price, self.settle_usd)

    @property
    def extra_coin_collateral(self) -> float:
        """Coins posted as margin on top of the book (an unhedged long), in the settle coin."""
        if self.collateral is Collateral.COIN:
            return self.collateral_needed
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        usd = self.to_usd
        return {
            "asset": self.asset, "hedge_asset": self.hedge_asset, "venue": self.venue,
            "symbol": self.symbol, "contract_type": self.contract_type.value,
            "side": self.side.value, "contracts": self.contracts,
            "contracts_exact": self.contracts_exact, "contract_size": self.instrument.contract_size,
            "lot_size": self.instrument.lot_size, "rounding": self.rounding, "fixed": self.fixed,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "price": self.price, "settle": self.settle, "beta": self.beta,
            "exposure_usd": self.exposure_usd, "target_notional_usd": self.target_notional_usd,
            "notional_usd": self.notional_usd, "notional_coin": self.notional_coin,
            "notional_settle": self.notional_settle,
            "residual_usd": self.residual_usd, "residual_pct": self.residual_pct,
            "hedge_ratio_target": self.hedge_ratio_target,
            "hedge_ratio_effective": self.hedge_ratio_effective,
            "leverage": self.leverage, "effective_leverage": self.effective_leverage,
            "margin_mode": self.margin_mode, "collateral": self.collateral.value,
            "initial_margin": self.initial_margin, "initial_margin_usd": usd(self.initial_margin),
            "collateral_needed": self.collateral_needed,
            "collateral_needed_usd": usd(self.collateral_needed),
            "liquidation_price": self.liquidation_price, "bankruptcy_price": self.bankruptcy_price,
            "liquidation_distance_pct": self.liquidation_distance_pct, "mmr": self.mmr,
            "funding_rate_8h": self.funding_rate_8h, "funding_assumed": self.funding_assumed,
            "funding_interval_hours": self.funding_interval_hours,
            "funding_per_day": self.funding_per_day, "funding_per_day_usd": self.funding_per_day_usd,
            "funding_30d_usd": self.funding_30d_usd,
            "funding_direction": "received" if self.funding_per_day >= 0 else "paid",
            "fee_rate": self.fee_rate, "fee_open": self.fee_open, "fee_close": self.fee_close,
            "fee_open_usd": usd(self.fee_open), "fee_close_usd": usd(self.fee_close),
            "onchain": self.onchain,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class HedgePlan:
    """The result of :func:`plan`: exposures, legs, totals and warnings."""

    exposure: PortfolioExposure
    policy: HedgePolicy
    legs: tuple[HedgeLeg, ...]
    warnings: tuple[PlanWarning, ...]
    prices: Mapping[str, float]
    notes: tuple[str, ...] = ()
    scenario: ScenarioSettings = field(default_factory=ScenarioSettings)

    @property
    def exposures(self) -> tuple[Exposure, ...]:
        return self.exposure.exposures

    def totals(self) -> dict[str, float]:
        legs = self.legs
        risky = sum(abs(e.delta_usd) for e in self.exposure.risky)
        notional = sum(leg.notional_usd for leg in legs)
        return {
            "portfolio_value_usd": self.exposure.total_value_usd,
            "exposure_usd": risky,
            "target_notional_usd": sum(leg.target_notional_usd for leg in legs),
            "hedge_notional_usd": notional,
            "hedge_ratio_effective": notional / risky if risky else 0.0,
            "residual_usd": sum(leg.residual_usd for leg in legs),
            "initial_margin_usd": sum(leg.to_usd(leg.initial_margin) for leg in legs),
            "collateral_needed_usd": sum(leg.to_usd(leg.collateral_needed) for leg in legs),
            "funding_per_day_usd": sum(leg.funding_per_day_usd for leg in legs),
            "funding_30d_usd": sum(leg.funding_30d_usd for leg in legs),
            "fees_open_usd": sum(leg.to_usd(leg.fee_open) for leg in legs),
            "fees_close_usd": sum(leg.to_usd(leg.fee_close) for leg in legs),
            "yield_per_year_usd": self.exposure.yield_per_year_usd,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "exposures": [e.to_dict() for e in self.exposures],
            "legs": [leg.to_dict() for leg in self.legs],
            "totals": self.totals(),
            "warnings": [w.to_dict() for w in self.warnings],
            "unhedgeable": list(self.exposure.unhedgeable),
            "notes": list(self.notes),
            "pools": [p.to_dict() for p in self.exposure.pools],
            "policy": self.policy.model_dump(mode="json"),
            "prices": dict(self.prices),
        }

    def to_frame(self):
        """One row per leg (the scalar fields of :meth:`HedgeLeg.to_dict`); needs pandas."""
        import pandas as pd

        return pd.DataFrame.from_records(
            [{k: v for k, v in leg.to_dict().items() if not isinstance(v, (list, dict))}
             for leg in self.legs])

    def summary(self) -> str:
        """A few plain-text lines: one per leg, the totals and the warnings."""
        t = self.totals()
        lines = [f"exposure {t['exposure_usd']:,.0f} USD, hedge {t['hedge_notional_usd']:,.0f} USD "
                 f"({t['hedge_ratio_effective']:.1%}), margin {t['initial_margin_usd']:,.0f} USD, "
                 f"funding {t['funding_30d_usd']:+,.0f} USD / 30d"]
        for leg in self.legs:
            liq = "none" if leg.liquidation_price is None else f"{leg.liquidation_price:,.2f}"
            lines.append(f"{leg.asset}: {leg.side.value} {leg.contracts:g} x {leg.symbol} "
                         f"@{leg.venue} = {leg.notional_usd:,.0f} USD "
                         f"({leg.hedge_ratio_effective:.1%}), liq {liq}")
        lines += [f"warning: {w.message}" for w in self.warnings]
        return "\n".join(lines)


# --------------------------------------------------------------------------- sizing helpers
def _contract_value_usd(inst: Instrument, price: float, settle_usd: float) -> float:
    return inst.notional_usd(1.0, price, settle_usd)


def _options(inst: Instrument, exact: float, cv: float, target: float, exposure: float
             ) -> tuple[RoundingOption, ...]:
    out = []
    for mode in ("down", "up"):
        n = inst.round_contracts(exact, mode)
        notional = n * cv
        resid = target - notional
        out.append(RoundingOption(
            mode=mode, contracts=n, notional_usd=notional, residual_usd=resid,
            residual_pct=100.0 * resid / target if target else 0.0,
            hedge_ratio_effective=notional / exposure if exposure else 0.0))
    return tuple(out)


def _funding_rate(policy: HedgePolicy, venue: VenuePreset, inst: Instrument, hedge_asset: str,
                  notes: list[str]) -> tuple[float, bool]:
    """(rate per 8h, assumed?): the file's rate for the symbol or coin, else the recent mean
    from the data store (``recent_funding_days``), else the default."""
    rates = policy.funding_rates
    for key in (inst.symbol.upper(), hedge_asset):
        if key in rates:
            return rates[key], False
    if policy.recent_funding_days:
        recent = _recent_funding_8h(venue, inst, policy.recent_funding_days)
        if recent is not None:
            rate, first, last, n = recent
            notes.append(f"{inst.symbol}@{venue.name}: funding {rate:.4%}/8h is the mean of {n} "
                         f"stored settlements {first:%Y-%m-%d} to {last:%Y-%m-%d}")
            return rate, False
        notes.append(f"{inst.symbol}@{venue.name}: no stored funding history; "
                     f"{policy.default_funding_rate_8h:.4%}/8h assumed")
    return policy.default_funding_rate_8h, True


def _recent_funding_8h(venue: VenuePreset, inst: Instrument, days: int):
    """Mean funding rate per 8h over the last ``days`` of stored history of this contract:
    ``(rate_8h, first, last, settlements)``, or None when the store has none."""
    try:  # pandas is imported only on this path
        import pandas as pd

        from hedgekit.data import load_funding
    except ImportError:
        return None
    exchange = venue.name.split("-")[0]
    quote = "USD" if inst.is_inverse else inst.quote
    for symbol in (f"{inst.base}/{quote}:{inst.settle}", inst.symbol):
        try:
            series = load_funding(exchange, symbol).dropna()
        except (DataError, InputError, KeyError, ValueError, OSError):
            continue
        if series.empty:
            continue
        series = series[series.index > series.index[-1] - pd.Timedelta(days=days)]
        interval = series.attrs.get("interval_hours") or 8.0
        return (float(series.mean()) * 8.0 / interval, series.index[0], series.index[-1],
                len(series))
    return None


def _candidates(asset: str, policy: HedgePolicy, prices: Mapping[str, float]
                ) -> tuple[str, list[tuple[VenuePreset, Instrument, InstrumentChoice | None]]]:
    """(hedge asset, [(venue, instrument, hand-picked choice)]) for one exposure."""
    if asset in policy.instruments:
        out = []
        for j, choice in enumerate(policy.instruments[asset]):
            where = f"hedge.instruments.{asset}[{j}]"
            try:
                venue = get_venue(choice.venue)
                inst = _custom(choice) if choice.is_custom else venue.instrument(choice.symbol)
            except InputError as exc:
                raise InputError(f"{where}.{exc.field}", str(exc).split(": ", 1)[1],
                                 show_value=False) from None
            out.append((venue, inst, choice))
        bases = {inst.base for _, inst, _ in out}
        if len(bases) > 1:
            raise InputError(f"hedge.instruments.{asset}", "all instruments of one asset must "
                             f"track the same coin", sorted(bases))
        price_of(out[0][1].base, prices, f"hedge.instruments.{asset}")
        return out[0][1].base, out
    venues = [_venue(name, i) for i, name in enumerate(policy.venues)]
    types = (ContractType(policy.contract_type),) if policy.contract_type else _PREFERRED_TYPES

    def listed(base: str) -> list[tuple[VenuePreset, Instrument, None]]:
        found = []
        for venue in venues:
            for kind in types:
                inst = venue.find_instrument(base, kind.value)
                if inst is not None:
                    found.append((venue, inst, None))
                    break
        return found

    if asset in policy.proxies:
        hedge_asset = policy.proxies[asset]
        where = f"hedge.proxies.{asset}"
    else:
        own = listed(asset)
        if own:
            return asset, own
        hedge_asset = policy.benchmark
        where = "hedge.benchmark"
    found = listed(hedge_asset)
    if not found:
        kinds = "/".join(t.value for t in types)
        raise InputError(where, f"no {kinds} future on {hedge_asset} in hedge.venues "
                         f"({', '.join(policy.venues)}) to hedge {asset}", hedge_asset)
    price_of(hedge_asset, prices, where)
    return hedge_asset, found


def _custom(choice: InstrumentChoice) -> Instrument:
    quote = choice.quote or ("USD" if choice.contract_type != "linear" else "USDT")
    return Instrument(symbol=choice.symbol, contract_type=choice.contract_type,
                      contract_size=choice.contract_size, base=choice.base, quote=quote,
                      settle=choice.settle or "", lot_size=choice.lot_size)


def margin_spec(venue: VenuePreset, inst: Instrument, contracts: float, price: float,
                settle_usd: float = 1.0) -> dict[str, Any]:
    """Maintenance-margin keyword arguments for :mod:`hedgekit.margin` on ``venue``: the
    size-dependent rate (Deribit) or the symbol's tiers for a listed contract; the venue's
    default rate for a custom one."""
    return venue.maintenance(inst, _coin_size(inst, contracts, price, settle_usd))


def _venue(name: str, i: int) -> VenuePreset:
    try:
        return get_venue(name)
    except InputError as exc:
        raise InputError(f"hedge.venues[{i}]", str(exc).split(": ", 1)[1], show_value=False) from None


def _beta(asset: str, hedge_asset: str, policy: HedgePolicy, notes: list[str],
          own: list[str]) -> float:
    """Hedge ratio per unit of exposure for ``asset`` hedged with ``hedge_asset`` futures."""
    if policy.method is HedgeMethod.NOTIONAL:
        return 1.0
    if asset in policy.betas:
        return policy.betas[asset]
    if hedge_asset == asset:
        own.append(asset)
        return 1.0
    return _estimate_beta(asset, hedge_asset, policy, notes)


def _estimate_beta(asset: str, hedge_asset: str, policy: HedgePolicy, notes: list[str]) -> float:
    """Estimate from stored daily history (hedgekit.data + hedgekit.estimators), or ask for it."""
    ask = (f"method {policy.method.value} needs the beta of {asset} on {hedge_asset}: add "
           f"'{asset}: <beta>' under hedge.betas")
    try:  # heavy imports only on this path
        from hedgekit.data import load_prices
        from hedgekit.estimators import MinVarianceRatio, OLSBeta, to_returns
    except ImportError:
        raise InputError(f"hedge.betas.{asset}", ask + " (no stored history to estimate it)",
                         show_value=False) from None
    try:
        prices = load_prices([asset, hedge_asset], freq="1d").dropna()
        prices = prices.iloc[-(policy.lookback_days + 1):]
        rets = to_returns(prices, "log").dropna()
        if policy.method is HedgeMethod.BETA:
            fit = OLSBeta().fit(rets[asset], rets[hedge_asset])
            value, corr, n = fit.beta_, fit.correlation_, fit.n_obs_
        else:
            fit = MinVarianceRatio().fit(rets[asset], rets[hedge_asset])
            value, corr, n = fit.hedge_ratio_, fit.correlation_, fit.n_obs_
    except (DataError, InputError, KeyError, ValueError) as exc:
        raise InputError(f"hedge.betas.{asset}", f"{ask} (estimating it from stored history "
                         f"failed: {exc})", show_value=False) from None
    notes.append(f"{asset}: {policy.method.value} ratio {value:.3f} on {hedge_asset} estimated "
                 f"from {n} daily returns of stored spot prices (correlation {corr:.2f}); the "
                 "uncorrelated part "
                 f"({math.sqrt(max(0.0, 1 - corr * corr)):.0%} of {asset}'s volatility) stays unhedged")
    return float(value)


def _stored_prices(assets: list[str], notes: list[str]) -> dict[str, float]:
    """Latest daily close of each asset in the local data store (``hedgekit data``), if any.

    Assets without stored prices are left out; the exposure step then names the holding
    that needs a price."""
    try:  # pandas is imported only on this path
        from hedgekit.data import load_prices
    except ImportError:
        return {}
    out = {}
    for asset in assets:
        try:
            frame = load_prices([asset], freq="1d", gap_policy="drop")
        except (DataError, InputError, KeyError, ValueError, OSError):
            continue
        column = frame[asset].dropna() if asset in frame else None
        if column is None or column.empty:
            continue
        out[asset] = float(column.iloc[-1])
        notes.append(f"{asset}: price {out[asset]:,.6g} USD is the last daily close in the local "
                     f"data store ({column.index[-1]:%Y-%m-%d}); add it under prices: to override")
    return out


# --------------------------------------------------------------------------- leg pricing
def _price_leg(*, asset: str, hedge_asset: str, venue: VenuePreset, inst: Instrument,
               exposure_usd: float, beta: float, policy: HedgePolicy, prices: Mapping[str, float],
               fixed_contracts: float | None, where: str, notes: list[str]) -> HedgeLeg:
    price = prices[hedge_asset]
    settle_usd = price_of(inst.settle, prices, where) if inst.is_quanto else 1.0
    cv = _contract_value_usd(inst, price, settle_usd)
    target_ratio = policy.ratio * beta
    signed_target = target_ratio * exposure_usd
    side = Side.SHORT if signed_target >= 0 else Side.LONG
    target = abs(signed_target)
    exact = target / cv
    if fixed_contracts is not None:
        contracts = inst.round_contracts(fixed_contracts, "nearest")
        mode = "fixed"
    else:
        contracts = inst.round_contracts(exact, policy.rounding.value)
        mode = policy.rounding.value
    notional_usd = contracts * cv
    collateral = _collateral(policy, inst, where)
    leverage = policy.leverage
    if leverage > venue.max_leverage:
        raise InputError("hedge.leverage", f"{venue.name} allows at most {venue.max_leverage:g}x "
                         f"on {inst.symbol}", leverage)
    fee_rate = venue.taker_fee
    im = fee_open = fee_close = 0.0
    liq = bankrupt = dist = None
    mmr = venue.default_mmr
    if contracts > 0:
        im = initial_margin(inst, contracts, price, leverage)
        fee_open = inst.fee(contracts, price, fee_rate)
        fee_close = inst.fee(contracts, price, fee_rate)
        res = _liquidation(venue, inst, side, contracts, price, im, settle_usd)
        liq, bankrupt, mmr = res.liquidation_price, res.bankruptcy_price, res.mmr
        if liq is not None:
            dist = 100.0 * (liq / price - 1.0)
    collateral_needed = im + fee_open
    rate_8h, assumed = _funding_rate(policy, venue, inst, hedge_asset, notes)
    interval = inst.funding_interval_hours
    if interval is None:  # dated future: the carry is the basis, not funding
        per_day = 0.0
        interval = 0.0
    else:
        interval = interval or 8.0  # continuous accrual (Deribit) is quoted per 8h
        per_day = inst.funding(side, contracts, price, rate_8h * interval / 8.0) * 24.0 / interval
    per_day_usd = inst.settle_to_usd(per_day, price, settle_usd)
    return HedgeLeg(
        asset=asset, hedge_asset=hedge_asset, venue=venue.name, instrument=inst, side=side,
        price=price, settle_usd=settle_usd, beta=beta, exposure_usd=abs(exposure_usd),
        target_notional_usd=target, contracts_exact=exact, contracts=contracts, rounding=mode,
        alternatives=_options(inst, exact, cv, target, abs(exposure_usd)),
        fixed=fixed_contracts is not None, notional_usd=notional_usd,
        notional_coin=notional_usd / price, notional_settle=inst.notional_settle(contracts, price),
        residual_usd=target - notional_usd,
        residual_pct=100.0 * (target - notional_usd) / target if target else 0.0,
        hedge_ratio_target=target_ratio,
        hedge_ratio_effective=notional_usd / abs(exposure_usd) if exposure_usd else 0.0,
        leverage=leverage, margin_mode=policy.margin_mode, collateral=collateral,
        initial_margin=im, collateral_needed=collateral_needed,
        effective_leverage=(inst.notional_settle(contracts, price) / collateral_needed
                            if collateral_needed else 0.0),
        liquidation_price=liq, bankruptcy_price=bankrupt, liquidation_distance_pct=dist, mmr=mmr,
        funding_rate_8h=rate_8h, funding_assumed=assumed, funding_interval_hours=interval,
        funding_per_day=per_day, funding_per_day_usd=per_day_usd,
        funding_30d_usd=per_day_usd * CARRY_DAYS, fee_rate=fee_rate, fee_open=fee_open,
        fee_close=fee_close, onchain=venue.onchain)


def _coin_size(inst: Instrument, contracts: float, price: float, settle_usd: float) -> float:
    return inst.notional_usd(contracts, price, settle_usd) / price


def _collateral(policy: HedgePolicy, inst: Instrument, where: str) -> Collateral:
    chosen = policy.collateral
    if inst.is_linear:
        if chosen not in (None, Collateral.STABLECOINS):
            raise InputError("hedge.collateral", f"{inst.symbol} is margined in {inst.settle}; "
                             "use stablecoins", chosen.value)
        return Collateral.STABLECOINS
    if chosen is Collateral.STABLECOINS:
        raise InputError("hedge.collateral", f"{inst.symbol} ({where}) is margined in "
                         f"{inst.settle}, not stablecoins; use hedged-coin or coin", chosen.value)
    if inst.is_quanto:
        return Collateral.COIN  # the settle coin (XBT) is never the hedged coin
    return chosen or Collateral.HEDGED_COIN


# --------------------------------------------------------------------------- allocation
def _allocate(targets: list[tuple[str, float, list[Any]]], share: float | None,
              warnings: list[PlanWarning]) -> dict[str, list[tuple[Any, float]]]:
    """Split each asset's target USD across its candidate venues, keeping every venue at or
    below ``share`` of the total when given (largest targets first, venues in preference order)."""
    total = sum(abs(t) for _, t, _ in targets)
    cap = share * total if share else math.inf
    used: dict[str, float] = {}
    out: dict[str, list[tuple[Any, float]]] = {}
    for asset, target, cands in sorted(targets, key=lambda t: -abs(t[1])):
        left = abs(target)
        parts: list[tuple[Any, float]] = []
        for cand in cands:
            if left <= 0:
                break
            room = cap - used.get(cand[0].name, 0.0)
            take = min(left, room) if share else left
            if take <= 1e-9 * total:
                continue
            parts.append((cand, take))
            used[cand[0].name] = used.get(cand[0].name, 0.0) + take
            left -= take
        if left > 1e-9 * max(1.0, abs(target)):
            cand = cands[0]
            parts.append((cand, left))
            used[cand[0].name] = used.get(cand[0].name, 0.0) + left
            warnings.append(PlanWarning(
                code="venue-cap", asset=asset,
                message=f"{asset}: {left:,.0f} USD could not be placed within "
                        f"max_share_per_venue {share:.0%} on the venues that list a hedge for it; "
                        f"put on {cand[0].name} (add venues to hedge.venues)"))
        merged: dict[int, tuple[Any, float]] = {}
        for cand, usd in parts:
            key = id(cand)
            merged[key] = (cand, merged.get(key, (cand, 0.0))[1] + usd)
        out[asset] = list(merged.values())
    return out


# --------------------------------------------------------------------------- the planner
def plan(portfolio: Portfolio, prices: Mapping[str, float] | None = None) -> HedgePlan:
    """Build the hedge plan of ``portfolio`` under its ``hedge`` policy at ``prices``.

    ``prices`` (USD per coin) default to the file's ``prices`` section. Raises
    :class:`InputError` naming the field for anything the policy cannot do (unknown venue or
    symbol, no future for an asset, missing beta, leverage above the venue's maximum).
    """
    policy = portfolio.hedge
    warnings: list[PlanWarning] = []
    notes: list[str] = []
    if prices is None:
        prices = dict(portfolio.prices)
        wanted = [*portfolio.assets(), *policy.proxies.values(), policy.benchmark]
        missing = [a for a in dict.fromkeys(wanted) if a not in prices and a not in STABLECOINS]
        if missing:
            prices.update(_stored_prices(missing, notes))
    exposure = compute_exposures(portfolio, prices)
    px = dict(exposure.prices)
    targets = []
    own_future: list[str] = []
    plans: dict[str, tuple[str, float, Exposure]] = {}
    for e in exposure.risky:
        hedge_asset, cands = _candidates(e.asset, policy, px)
        beta = _beta(e.asset, hedge_asset, policy, notes, own_future)
        plans[e.asset] = (hedge_asset, beta, e)
        free = [c for c in cands if c[2] is None or c[2].contracts is None]
        if free and policy.ratio * beta * e.delta_usd != 0:
            targets.append((e.asset, policy.ratio * beta * e.delta_usd, free))
    if policy.margin_mode == "cross":
        notes.append("cross margin: each leg's liquidation price is computed with only its own "
                     "initial margin as equity (conservative); the rest of the cross account "
                     "moves it further away")
    if own_future:
        notes.append(f"{', '.join(own_future)}: hedged with their own futures; the "
                     f"{policy.method.value} ratio is taken as 1 (set hedge.betas to override)")
    alloc = _allocate(targets, policy.max_share_per_venue, warnings)

    legs: list[HedgeLeg] = []
    for asset, (hedge_asset, beta, e) in plans.items():
        _, cands = _candidates(asset, policy, px)
        fixed = [c for c in cands if c[2] is not None and c[2].contracts is not None]
        # hand-picked contract counts: the leg covers the whole exposure at that count
        for venue, inst, choice in fixed:
            legs.append(_price_leg(asset=asset, hedge_asset=hedge_asset, venue=venue, inst=inst,
                                   exposure_usd=e.delta_usd, beta=beta, policy=policy, prices=px,
                                   fixed_contracts=choice.contracts, where=f"hedge.instruments.{asset}",
                                   notes=notes))
        for (venue, inst, _), usd in alloc.get(asset, []):
            full = policy.ratio * beta * e.delta_usd
            share_of_exposure = e.delta_usd * (usd / abs(full)) if full else 0.0
            legs.append(_price_leg(asset=asset, hedge_asset=hedge_asset, venue=venue, inst=inst,
                                   exposure_usd=share_of_exposure, beta=beta, policy=policy,
                                   prices=px, fixed_contracts=None, where=f"hedge ({asset})",
                                   notes=notes))
    legs = _merge_positions(legs, notes)
    hedge_plan = HedgePlan(exposure=exposure, policy=policy, legs=tuple(legs), warnings=(),
                           prices=px, notes=tuple(notes), scenario=portfolio.scenario)
    return replace(hedge_plan, warnings=tuple(warnings + _warnings(hedge_plan)))


def _liquidation(venue: VenuePreset, inst: Instrument, side: Side, contracts: float,
                 price: float, wallet: float, settle_usd: float):
    kwargs = margin_spec(venue, inst, contracts, price, settle_usd)
    return liquidation_price(inst, side, contracts, price, wallet, margin_mode="isolated",
                             taker_fee=venue.taker_fee, convention=venue.convention, **kwargs)


def _merge_positions(legs: list[HedgeLeg], notes: list[str]) -> list[HedgeLeg]:
    """Legs of several assets on the same venue, symbol and side are one exchange position:
    its liquidation price (and tier) is that of the combined size and margin."""
    groups: dict[tuple[str, str, Side], list[int]] = {}
    for i, leg in enumerate(legs):
        if leg.contracts > 0:
            groups.setdefault((leg.venue, leg.symbol, leg.side), []).append(i)
    for (venue_name, symbol, side), idx in groups.items():
        if len(idx) < 2:
            continue
        first = legs[idx[0]]
        contracts = sum(legs[i].contracts for i in idx)
        wallet = sum(legs[i].initial_margin for i in idx)
        res = _liquidation(get_venue(venue_name), first.instrument, side, contracts, first.price,
                           wallet, first.settle_usd)
        liq = res.liquidation_price
        dist = None if liq is None else 100.0 * (liq / first.price - 1.0)
        for i in idx:
            legs[i] = replace(legs[i], liquidation_price=liq, bankruptcy_price=res.bankruptcy_price,
                              liquidation_distance_pct=dist, mmr=res.mmr)
        assets = " and ".join(legs[i].asset for i in idx)
        notes.append(f"{assets} legs share one {symbol} {side.value} position on {venue_name} "
                     f"({contracts:g} contracts): its liquidation price is computed on the total")
    return legs


# --------------------------------------------------------------------------- warnings
def _warnings(p: HedgePlan) -> list[PlanWarning]:
    policy = p.policy
    out: list[PlanWarning] = []

    def warn(code: str, message: str, asset: str | None = None) -> None:
        out.append(PlanWarning(code=code, message=message, asset=asset))

    by_asset: dict[str, list[HedgeLeg]] = {}
    for leg in p.legs:
        by_asset.setdefault(leg.asset, []).append(leg)
    for asset, legs in by_asset.items():
        exposure = sum(leg.exposure_usd for leg in legs)
        notional = sum(leg.notional_usd for leg in legs)
        target = sum(leg.target_notional_usd for leg in legs)
        ratio = notional / exposure if exposure else 0.0
        if target > 0 and notional < TINY_HEDGE * target:
            coin = legs[0].hedge_asset
            held = p.exposure.get(asset)
            warn("tiny-hedge", f"{asset}: the legs hedge {notional:,.0f} USD "
                 f"({notional / legs[0].price:,.6g} {coin}) of a {exposure:,.0f} USD exposure "
                 f"({held.delta_coin:,.6g} {asset}): a {ratio:.1%} hedge, not the "
                 f"{legs[0].hedge_ratio_target:.0%} asked for", asset)
        leg = legs[0]
        if leg.is_proxy:
            warn("proxy-residual", f"{asset} is hedged with {leg.hedge_asset} futures "
                 f"(ratio {leg.beta:.3g}): {asset}'s own moves relative to {leg.hedge_asset} stay "
                 f"unhedged (proxy residual risk)", asset)
    for leg in p.legs:
        tag = f"{leg.asset} {leg.symbol}@{leg.venue}"
        if leg.contracts == 0:
            warn("zero-contracts", f"{tag}: {leg.contracts_exact:.4g} contracts round to 0 at lot "
                 f"{leg.instrument.lot_size:g}: nothing is hedged", leg.asset)
            continue
        quote_notional = leg.contracts * leg.instrument.contract_size * (
            leg.price if leg.instrument.is_linear else 1.0)
        if leg.instrument.min_notional and quote_notional < leg.instrument.min_notional:
            warn("below-min-notional", f"{tag}: notional {quote_notional:,.2f} is below the "
                 f"venue minimum {leg.instrument.min_notional:g}", leg.asset)
        if leg.leverage > HIGH_LEVERAGE:
            warn("high-leverage", f"{tag}: hedge leverage {leg.leverage:g}x is above "
                 f"{HIGH_LEVERAGE:g}x; a hedge should survive the moves it protects against",
                 leg.asset)
        d = leg.liquidation_distance_pct
        if d is not None and abs(d) < policy.liquidation_warning_pct:
            warn("liquidation-close", f"{tag}: liquidation at {leg.liquidation_price:,.2f}, "
                 f"{d:+.1f}% from {leg.price:,.2f} (threshold {policy.liquidation_warning_pct:g}%): "
                 "a move of that size closes the hedge exactly when it is needed", leg.asset)
        if leg.extra_coin_collateral > 0:
            warn("coin-collateral-long", f"{tag}: {leg.extra_coin_collateral:.6g} {leg.settle} "
                 f"posted as margin (~{leg.to_usd(leg.extra_coin_collateral):,.0f} USD) is an extra "
                 f"unhedged long of {leg.settle} on top of the book (MECHANICS.md 3)", leg.asset)
        if leg.instrument.is_quanto:
            warn("quanto-settle", f"{tag}: a quanto pays its PnL in {leg.settle}, so the hedge's "
                 f"USD value also moves with {leg.settle}/USD (MECHANICS.md 3)", leg.asset)
        tier_max = _tier_max_leverage(leg)
        if tier_max is not None and leg.leverage > tier_max:
            warn("tier-leverage", f"{tag}: {leg.notional_settle:,.6g} {leg.settle} of notional "
                 f"sits in a margin tier that allows at most {tier_max:g}x (asked {leg.leverage:g}x)",
                 leg.asset)
        if leg.onchain:
            warn("onchain-risk", f"{tag}: on-chain venue: smart-contract and oracle risk "
                 "(funding and liquidation use the oracle price)", leg.asset)
        if leg.funding_per_day < 0:
            warn("funding-paid", f"{tag}: pays funding at {leg.funding_rate_8h:.4%}/8h: "
                 f"{leg.funding_30d_usd:,.0f} USD per 30 days", leg.asset)
    if policy.ratio > 1:
        warn("over-hedge", f"hedge.ratio {policy.ratio:g} hedges more than the exposure: the excess "
             "is a net short position, not protection")
    out += _collateral_warnings(p)
    out += _concentration_warnings(p)
    return out


def _tier_max_leverage(leg: HedgeLeg) -> float | None:
    spec = margin_spec(get_venue(leg.venue), leg.instrument, leg.contracts, leg.price, leg.settle_usd)
    if "tiers" not in spec:
        return None
    return tier_for(spec["tiers"], leg.notional_settle).max_leverage


def _collateral_warnings(p: HedgePlan) -> list[PlanWarning]:
    out = []
    stable_needed = sum(leg.to_usd(leg.collateral_needed) for leg in p.legs
                        if leg.collateral is Collateral.STABLECOINS)
    cash = sum((e.amount - e.lp_amount - e.locked_amount) * e.price
               for e in p.exposures if e.is_cash)
    if stable_needed > cash:
        out.append(PlanWarning(code="collateral-short", message=(
            f"the linear legs need {stable_needed:,.0f} USD of stablecoin margin; the book holds "
            f"{cash:,.0f} USD of free stablecoins (outside pools)")))
    coin_needed: dict[str, float] = {}
    for leg in p.legs:
        if leg.collateral is Collateral.HEDGED_COIN:
            coin_needed[leg.settle] = coin_needed.get(leg.settle, 0.0) + leg.collateral_needed
    for coin, need in coin_needed.items():
        e = p.exposure.get(coin)
        free = (e.amount - e.locked_amount - e.lp_amount) if e else 0.0
        if need > free + 1e-12:
            out.append(PlanWarning(code="collateral-short", asset=coin, message=(
                f"the inverse legs need {need:.6g} {coin} of margin; only {max(free, 0):.6g} "
                f"{coin} of the book is free to move (staked with an unlock or in pools is not)")))
    return out


def _concentration_warnings(p: HedgePlan) -> list[PlanWarning]:
    total = sum(leg.notional_usd for leg in p.legs)
    if total <= 0:
        return []
    share = p.policy.max_share_per_venue
    per_venue: dict[str, float] = {}
    for leg in p.legs:
        per_venue[leg.venue] = per_venue.get(leg.venue, 0.0) + leg.notional_usd
    out = []
    for venue, usd in per_venue.items():
        exchange = venue.split("-")[0]
        held = sum(v for k, v in p.exposure.custody.items() if k.split("-")[0] == exchange)
        if held > 0:
            out.append(PlanWarning(code="same-counterparty", message=(
                f"{held:,.0f} USD of holdings sit on {exchange} and {usd:,.0f} USD of hedge "
                f"notional is on {venue}: one failure there hits both the assets and the hedge")))
        frac = usd / total
        limit = share if share is not None else CONCENTRATION
        if frac > limit + ROUNDING_SLACK:
            hint = ("" if share is not None else
                    "; set hedge.max_share_per_venue and list more hedge.venues to split it")
            out.append(PlanWarning(code="venue-concentration", message=(
                f"{frac:.0%} of the hedge notional ({usd:,.0f} USD) is on {venue}: if it fails or "
                f"freezes, that part of the book is unhedged{hint}")))
    return out

