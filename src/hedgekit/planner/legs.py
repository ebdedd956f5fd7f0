"""Pricing one leg: contracts, margin and collateral, liquidation and bankruptcy prices,
funding carry and fees; and merging legs that are one exchange position.

Contract math goes through :class:`~hedgekit.instruments.Instrument`, :mod:`hedgekit.margin`
and :mod:`hedgekit.funding`; the maintenance-margin rule is the venue's
(:meth:`hedgekit.venues.VenuePreset.maintenance`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from hedgekit.errors import InputError
from hedgekit.funding import annualized_basis, basis, basis_pct, funding_carry
from hedgekit.instruments import Instrument, Side
from hedgekit.margin import LiquidationResult, initial_margin, liquidation_price
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner.result import DatedCarry, HedgeLeg
from hedgekit.planner.sizing import funding_rate, rounding_options
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
              notes: list[str], contract_price: float | None = None,
              now: datetime | None = None) -> HedgeLeg:
    """The leg hedging ``exposure_usd`` (signed USD delta) of ``asset`` with ``inst``.

    Contracts are sized on delta: ``target_usd / spot`` coins divided by the coins one new
    contract hedges at its own price (:meth:`Instrument.delta_coin`). For a perpetual the
    contract's price is the coin's, and this is ``target_usd / contract_value_usd``; a dated
    future trades at its own price (``contract_price``, else the snapshot's), which is also the
    price its margin, liquidation and fees are computed at.
    """
    spot = prices[hedge_asset]
    price = spot
    if inst.expiry is not None:
        own = contract_price or _contract_price(market, venue.name, inst.symbol)
        if own is None:
            notes.append(f"{inst.symbol}@{venue.name}: no price for the dated contract (add price: "
                         "under hedge.instruments or sync the venue): basis and carry not computed")
        else:
            price = own
    settle_usd = price_of(inst.settle, prices, where) if inst.is_quanto else 1.0
    cv = inst.delta_coin(Side.LONG, 1.0, price, settle_usd) * spot  # USD of delta per contract
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
    close_fee = venue.fee_to_close(policy.fee_to_close)
    im = fee_open = fee_close = 0.0
    liq = bankrupt = dist = None
    mmr = venue.default_mmr
    if contracts > 0:
        im = initial_margin(inst, contracts, price, leverage)
        fee_open = inst.fee(contracts, price, fee_rate)
        fee_close = inst.fee(contracts, price, fee_rate)
        res = _liquidation(venue, inst, side, contracts, price, im, settle_usd, close_fee)
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
    dated = None
    if inst.expiry is not None and price != spot and now is not None and contracts > 0:
        dated = _dated_carry(inst, venue, policy, market, hedge_asset, side, contracts * cv / spot,
                             spot, price, now, contracts * cv, notes)
    return HedgeLeg(
        asset=asset, hedge_asset=hedge_asset, venue=venue.name, instrument=inst, side=side,
        price=price, settle_usd=settle_usd, beta=beta, exposure_usd=abs(exposure_usd),
        target_notional_usd=target, contracts_exact=exact, contracts=contracts, rounding=mode,
        alternatives=rounding_options(inst, exact, cv, target, abs(exposure_usd)),
        fixed=fixed_contracts is not None, notional_usd=notional_usd,
        notional_coin=notional_usd / spot, notional_settle=inst.notional_settle(contracts, price),
        residual_usd=target - notional_usd,
        residual_pct=100.0 * (target - notional_usd) / target if target else 0.0,
        hedge_ratio_target=target_ratio,
        hedge_ratio_effective=notional_usd / abs(exposure_usd) if exposure_usd else 0.0,
        leverage=leverage, margin_mode=policy.margin_mode, collateral=collateral,
        initial_margin=im, collateral_needed=collateral_needed,
        effective_leverage=(inst.notional_settle(contracts, price) / collateral_needed
                            if collateral_needed else 0.0),
        liquidation_price=liq, bankruptcy_price=bankrupt, liquidation_distance_pct=dist, mmr=mmr,
        liquidation_convention=venue.convention, liquidation_fee_to_close=close_fee,
        funding_rate_8h=rate_8h, funding_assumed=assumed, funding_interval_hours=interval,
        funding_per_day=per_day, funding_per_day_usd=per_day_usd,
        funding_30d_usd=per_day_usd * CARRY_DAYS, fee_rate=fee_rate, fee_open=fee_open,
        fee_close=fee_close, onchain=venue.onchain, dated=dated)


def _contract_price(market: MarketSnapshot, venue: str, symbol: str) -> float | None:
    point = market.contract_prices.get((venue, symbol))
    return None if point is None else point.value


def _dated_carry(inst: Instrument, venue: VenuePreset, policy: HedgePolicy, market: MarketSnapshot,
                 coin: str, side: Side, coins: float, spot: float, future: float, now: datetime,
                 notional_usd: float, notes: list[str]) -> DatedCarry | None:
    """Basis, carry to expiry and the perpetual alternative of a dated leg (None once expired)."""
    assert inst.expiry is not None  # only dated legs come here
    days = (inst.expiry - now).total_seconds() / 86_400.0
    if days <= 0:
        notes.append(f"{inst.symbol}@{venue.name}: expired on {inst.expiry:%Y-%m-%d}")
        return None
    carry = -side.sign * coins * basis(future, spot)
    perp = venue.find_instrument(coin)
    rate = policy.default_funding_rate_8h
    if perp is not None:
        rate, _ = funding_rate(policy, venue, perp, coin, market, [])
    # funding received by a perpetual position of the same coins: -s * coins * spot * rate, 3x a day
    perp_funding = -side.sign * coins * spot * rate * 3.0 * days
    roll = inst.expiry - timedelta(days=policy.roll_days_before_expiry)
    fees = 2.0 * venue.taker_fee * notional_usd  # close the expiring contract, open the next
    cheaper = "dated" if carry >= perp_funding else "perpetual"
    notes.append(
        f"{inst.symbol}@{venue.name}: basis {basis_pct(future, spot):+.2%} "
        f"({annualized_basis(future, spot, days):+.1%} a year, {days:.0f} days to "
        f"{inst.expiry:%Y-%m-%d}): carry to expiry {carry:+,.0f} USD vs {perp_funding:+,.0f} USD of "
        f"perpetual funding at {rate:.4%}/8h over the same days: the "
        f"{'dated future' if cheaper == 'dated' else 'perpetual'} costs less by "
        f"{abs(carry - perp_funding):,.0f} USD; roll by {roll:%Y-%m-%d} (fees ~{fees:,.0f} USD)")
    return DatedCarry(expiry=inst.expiry, days_to_expiry=days, spot=spot, future=future,
                      basis=basis(future, spot), basis_pct=basis_pct(future, spot),
                      basis_apr=annualized_basis(future, spot, days), carry_to_expiry_usd=carry,
                      perp_rate_8h=rate, perp_funding_usd=perp_funding, roll_date=roll,
                      roll_fees_usd=fees, cheaper=cheaper)


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
                 price: float, wallet: float, settle_usd: float, close_fee: float) -> LiquidationResult:
    """Isolated liquidation in the venue's convention; ``close_fee`` is the fee-to-close rate
    (0 unless ``hedge.fee_to_close`` asks for it, :meth:`VenuePreset.fee_to_close`)."""
    kwargs = margin_spec(venue, inst, contracts, price, settle_usd)
    return liquidation_price(inst, side, contracts, price, wallet, margin_mode="isolated",
                             taker_fee=close_fee, convention=venue.convention, **kwargs)


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
                           wallet, first.settle_usd, first.liquidation_fee_to_close)
        liq = res.liquidation_price
        dist = None if liq is None else 100.0 * (liq / first.price - 1.0)
        for i in idx:
            legs[i] = replace(legs[i], liquidation_price=liq, bankruptcy_price=res.bankruptcy_price,
                              liquidation_distance_pct=dist, mmr=res.mmr)
        assets = " and ".join(legs[i].asset for i in idx)
        notes.append(f"{assets} legs share one {symbol} {side.value} position on {venue_name} "
                     f"({contracts:g} contracts): its liquidation price is computed on the total")
    return legs

