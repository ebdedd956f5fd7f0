"""Pricing one leg: contracts, margin and collateral, liquidation and bankruptcy prices,
funding carry and fees; and merging legs that are one exchange position.

Contract math goes through :class:`~hedgekit.instruments.Instrument`, :mod:`hedgekit.margin`
and :mod:`hedgekit.funding`; the maintenance-margin rule is the venue's
(:meth:`hedgekit.venues.VenuePreset.maintenance`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hedgekit.errors import InputError
from hedgekit.funding import funding_carry
from hedgekit.instruments import Instrument, Side
from hedgekit.margin import LiquidationResult, initial_margin, liquidation_price
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner.result import HedgeLeg
from hedgekit.planner.sizing import contract_value_usd, funding_rate, rounding_options
from hedgekit.portfolio import Collateral, HedgePolicy, price_of
from hedgekit.venues import VenuePreset

__all__ = ["CARRY_DAYS", "margin_spec", "merge_positions", "price_leg"]

CARRY_DAYS = 30.0


def margin_spec(venue: VenuePreset, inst: Instrument, contracts: float, price: float,
                settle_usd: float = 1.0) -> dict[str, Any]:
    """Maintenance-margin keyword arguments for :mod:`hedgekit.margin` of ``contracts`` of
    ``inst`` on ``venue`` at ``price`` (the venue's rule, at this position's size)."""
    return venue.maintenance(inst, _coin_size(inst, contracts, price, settle_usd))


def price_leg(*, asset: str, hedge_asset: str, venue: VenuePreset, inst: Instrument,
              exposure_usd: float, beta: float, policy: HedgePolicy, market: MarketSnapshot,
              prices: dict[str, float], fixed_contracts: float | None, where: str,
              notes: list[str]) -> HedgeLeg:
    """The leg hedging ``exposure_usd`` (signed USD delta) of ``asset`` with ``inst``."""
    price = prices[hedge_asset]
    settle_usd = price_of(inst.settle, prices, where) if inst.is_quanto else 1.0
    cv = contract_value_usd(inst, price, settle_usd)
    target_ratio = policy.ratio_for(asset) * beta
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
    rate_8h, assumed = funding_rate(policy, venue, inst, hedge_asset, market, notes)
    interval = inst.funding_interval_hours
    if interval is None:  # dated future: the carry is the basis, not funding
        per_day = 0.0
        interval = 0.0
    else:
        interval = interval or 8.0  # continuous accrual (Deribit) is quoted per 8h
        per_day, _ = funding_carry(inst, side, contracts, price, rate_8h * interval / 8.0,
                                   days=CARRY_DAYS, interval_hours=interval)
    per_day_usd = inst.settle_to_usd(per_day, price, settle_usd)
    return HedgeLeg(
        asset=asset, hedge_asset=hedge_asset, venue=venue.name, instrument=inst, side=side,
        price=price, settle_usd=settle_usd, beta=beta, exposure_usd=abs(exposure_usd),
        target_notional_usd=target, contracts_exact=exact, contracts=contracts, rounding=mode,
        alternatives=rounding_options(inst, exact, cv, target, abs(exposure_usd)),
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


def _liquidation(venue: VenuePreset, inst: Instrument, side: Side, contracts: float,
                 price: float, wallet: float, settle_usd: float) -> LiquidationResult:
    kwargs = margin_spec(venue, inst, contracts, price, settle_usd)
    return liquidation_price(inst, side, contracts, price, wallet, margin_mode="isolated",
                             taker_fee=venue.taker_fee, convention=venue.convention, **kwargs)


def merge_positions(legs: list[HedgeLeg], notes: list[str], market: MarketSnapshot) -> list[HedgeLeg]:
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
        res = _liquidation(market.venue(venue_name), first.instrument, side, contracts, first.price,
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

