"""What the plan cannot fix or the user should decide, as coded warnings (``code`` is stable).

Read-only over a finished :class:`HedgePlan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hedgekit.margin import tier_for
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner.legs import margin_spec
from hedgekit.planner.result import HedgeLeg, HedgePlan, PlanWarning
from hedgekit.portfolio import Collateral
from hedgekit.venues import VenuePreset, exchange_of, get_venue

__all__ = ["CONCENTRATION", "DEFAULT_MAX_PRICE_AGE", "HIGH_LEVERAGE", "ROUNDING_SLACK", "TINY_HEDGE",
           "freshness_warnings", "plan_warnings"]

HIGH_LEVERAGE = 3.0      # hedge legs above this leverage get a warning
TINY_HEDGE = 0.5         # a leg hedging less than this fraction of its target is flagged
CONCENTRATION = 0.5      # without max_share_per_venue, flag a venue above this share
ROUNDING_SLACK = 0.005   # lot rounding may push a capped venue this far above its share
DEFAULT_MAX_PRICE_AGE = 15 * 60.0  # seconds; the book's max_price_age overrides it


def freshness_warnings(market: MarketSnapshot, used: Mapping[str, float], max_age: float,
                       now: datetime | None) -> list[PlanWarning]:
    """``stale-price`` warnings for the dated prices the plan used: each one older than
    ``max_age`` seconds at ``now``, and the pair furthest apart when that is more than
    ``max_age`` (a 2025 close beside a 2026 one). Undated prices (typed in a file) are the
    user's statement and are not judged."""
    dated = [(a, p, p.as_of) for a, p in market.prices.items() if a in used and p.as_of is not None]
    out = []
    if now is not None:
        for asset, p, as_of in dated:
            age = (now - as_of).total_seconds()
            if age > max_age:
                out.append(PlanWarning(code="stale-price", asset=asset, message=(
                    f"{asset}: the {p.kind} price {p.value:,.6g} USD ({p.source}) is from "
                    f"{as_of:%Y-%m-%d %H:%M} UTC, {_age(age)} old (max_price_age {_age(max_age)})")))
    for asset, p, _ in dated:
        if p.problems:
            out.append(PlanWarning(code="bad-price-series", asset=asset, message=(
                f"{asset}: the stored series {p.series or ''} behind its price has data-check "
                f"problems in the last days before it: {'; '.join(p.problems[:3])}"
                + (f" (and {len(p.problems) - 3} more)" if len(p.problems) > 3 else "")
                + "; check it with 'hedgekit data check' or give the price under prices:")))
    if len(dated) > 1:
        old = min(dated, key=lambda d: d[2])
        new = max(dated, key=lambda d: d[2])
        apart = (new[2] - old[2]).total_seconds()
        if apart > max_age:
            out.append(PlanWarning(code="stale-price", message=(
                f"prices are {_age(apart)} apart: {old[0]} from {old[2]:%Y-%m-%d %H:%M}, "
                f"{new[0]} from {new[2]:%Y-%m-%d %H:%M} UTC (max_price_age {_age(max_age)}); "
                "the plan mixes markets of different times")))
    return out


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            return f"{seconds / size:,.1f}{unit}"
    return f"{seconds:.0f}s"


def plan_warnings(p: HedgePlan) -> list[PlanWarning]:
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
            assert held is not None  # every asset with legs has an exposure
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
                 f"unhedged long of {leg.settle} on top of the book", leg.asset)
        if leg.instrument.is_quanto:
            warn("quanto-settle", f"{tag}: a quanto pays its PnL in {leg.settle}, so the hedge's "
                 f"USD value also moves with {leg.settle}/USD", leg.asset)
        tier_max = _tier_max_leverage(p, leg)
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
    over = {a: policy.ratio_for(a) for a in by_asset if policy.ratio_for(a) > 1}
    if policy.ratio > 1 or over:
        worst = max([policy.ratio, *over.values()])
        warn("over-hedge", f"hedge.ratio {worst:g} hedges more than the exposure: the excess "
             "is a net short position, not protection")
    for tag, usd in p.yield_given_up().items():
        warn("yield-given-up", f"{tag}: the coins posted as margin earn no staking/lending yield: "
             f"{usd:,.0f} USD a year given up")
    out += _collateral_warnings(p)
    out += _concentration_warnings(p)
    return out


def _venue(p: HedgePlan, name: str) -> VenuePreset:
    return p.market.venue(name) if p.market is not None else get_venue(name)


def _tier_max_leverage(p: HedgePlan, leg: HedgeLeg) -> float | None:
    spec = margin_spec(_venue(p, leg.venue), leg.instrument, leg.contracts, leg.price, leg.settle_usd)
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
        exchange = get_venue(venue).exchange
        held = sum(v for k, v in p.exposure.custody.items() if exchange_of(k) == exchange)
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

