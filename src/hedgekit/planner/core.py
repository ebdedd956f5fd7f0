"""``plan(book, market) -> HedgePlan``: from a portfolio and a market snapshot to an exact,
explained hedge plan. Pure: no disk, no network, no clock.

For every risky exposure the planner picks a future (the asset's own where a venue lists one,
else a proxy), sizes it

    contracts = ratio * beta * exposure_usd / contract_value_usd

rounds it to the venue's lot (showing the round-down and round-up alternatives and the residual
each leaves), and prices the leg: initial margin and collateral, liquidation price and distance,
funding carry, fees. The plan also lists what it cannot fix (warnings).

Collateral (``hedge.collateral``): linear legs are margined in stablecoins; an inverse leg in
the coin itself. With ``hedged-coin`` the margin is part of the holding being hedged, so a 1x
inverse short keeps the book's USD value flat and has no liquidation price; with ``coin`` the
margin is a separate coin balance, i.e. an extra unhedged long.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from hedgekit.market.snapshot import FILE, STORE, MarketSnapshot
from hedgekit.planner.allocation import allocate
from hedgekit.planner.legs import merge_positions, price_leg
from hedgekit.planner.result import HedgeLeg, HedgePlan, PlanWarning
from hedgekit.planner.selection import candidates
from hedgekit.planner.sizing import beta_for
from hedgekit.planner.trades import HeldPosition, with_trades
from hedgekit.planner.warnings import (
    DEFAULT_MAX_PRICE_AGE,
    freshness_warnings,
    plan_warnings,
)
from hedgekit.portfolio import Exposure, Portfolio, compute_exposures

__all__ = ["file_snapshot", "plan"]


def file_snapshot(portfolio: Portfolio) -> MarketSnapshot:
    """The market as the book file states it: its ``prices`` section, without times."""
    return MarketSnapshot.from_prices(portfolio.prices, source=FILE)


def plan(portfolio: Portfolio, market: MarketSnapshot | Mapping[str, float] | None = None, *,
         prices: Mapping[str, float] | None = None,
         positions: Iterable[HeldPosition] | None = None,
         now: datetime | None = None) -> HedgePlan:
    """Build the hedge plan of ``portfolio`` under its ``hedge`` policy on ``market``.

    ``market`` is a :class:`~hedgekit.market.MarketSnapshot` (see
    :func:`hedgekit.market.snapshot_for` to build one from the file and the data store), or a
    plain ``{asset: USD price}`` mapping (``prices=`` is the same); by default the file's
    ``prices``. Betas the method needs and recent funding come from the snapshot. Raises
    :class:`~hedgekit.errors.InputError` naming the field for anything the policy cannot do
    (unknown venue or symbol, no future for an asset, missing beta or price, leverage above the
    venue's maximum). With ``positions`` (what is held now) every leg gains
    ``current_contracts`` and ``trade_contracts`` and the plan its ``trades``: the difference
    between target and held exposure (:mod:`hedgekit.planner.trades`). ``now`` (the caller's
    clock; the planner has none) dates the prices: one older than the book's
    ``max_price_age`` (default 15 minutes), or prices further apart than that, give a
    ``stale-price`` warning.

    >>> from hedgekit import parse_portfolio, plan
    >>> book = parse_portfolio({"prices": {"BTC": 65000}, "holdings": [{"asset": "BTC",
    ...     "amount": 2}], "hedge": {"venues": ["binance-usdm"]}})
    >>> [(leg.symbol, leg.side.value, leg.contracts) for leg in plan(book).legs]
    [('BTCUSDT', 'short', 2.0)]
    """
    if prices is not None:
        market = prices
    if market is None:
        market = file_snapshot(portfolio)
    elif not isinstance(market, MarketSnapshot):
        market = MarketSnapshot.from_prices(market)
    policy = portfolio.hedge
    warnings: list[PlanWarning] = []
    notes = _price_notes(portfolio, market)
    exposure = compute_exposures(portfolio, market.price_map())
    px = dict(exposure.prices)
    targets = []
    own_future: list[str] = []
    plans: dict[str, tuple[str, float, Exposure]] = {}
    for e in exposure.risky:
        hedge_asset, cands = candidates(e.asset, policy, px, market)
        beta = beta_for(e.asset, hedge_asset, policy, market, notes, own_future)
        plans[e.asset] = (hedge_asset, beta, e)
        free = [c for c in cands if c[2] is None or c[2].contracts is None]
        if free and policy.ratio_for(e.asset) * beta * e.delta_usd != 0:
            targets.append((e.asset, policy.ratio_for(e.asset) * beta * e.delta_usd, free))
    if policy.margin_mode == "cross":
        notes.append("cross margin: each leg's liquidation price is computed with only its own "
                     "initial margin as equity (conservative); the rest of the cross account "
                     "moves it further away")
    if own_future:
        notes.append(f"{', '.join(own_future)}: hedged with their own futures; the "
                     f"{policy.method.value} ratio is taken as 1 (set hedge.betas to override)")
    alloc = allocate(targets, policy.max_share_per_venue, warnings)

    legs: list[HedgeLeg] = []
    for asset, (hedge_asset, beta, e) in plans.items():
        _, cands = candidates(asset, policy, px, market)
        fixed = [c for c in cands if c[2] is not None and c[2].contracts is not None]
        # hand-picked contract counts: the leg covers the whole exposure at that count
        for venue, inst, choice in fixed:
            assert choice is not None  # fixed candidates are hand-picked
            legs.append(price_leg(asset=asset, hedge_asset=hedge_asset, venue=venue, inst=inst,
                                  exposure_usd=e.delta_usd, beta=beta, policy=policy,
                                  market=market, prices=px, fixed_contracts=choice.contracts,
                                  where=f"hedge.instruments.{asset}", notes=notes,
                                  contract_price=choice.price, now=now))
        for (venue, inst, picked), usd in alloc.get(asset, []):
            full = policy.ratio_for(asset) * beta * e.delta_usd
            share_of_exposure = e.delta_usd * (usd / abs(full)) if full else 0.0
            legs.append(price_leg(asset=asset, hedge_asset=hedge_asset, venue=venue, inst=inst,
                                  exposure_usd=share_of_exposure, beta=beta, policy=policy,
                                  market=market, prices=px, fixed_contracts=None,
                                  where=f"hedge ({asset})", notes=notes,
                                  contract_price=picked.price if picked is not None else None,
                                  now=now))
    legs = merge_positions(legs, notes, market)
    hedge_plan = HedgePlan(exposure=exposure, policy=policy, legs=tuple(legs), warnings=(),
                           prices=px, notes=tuple(notes), scenario=portfolio.scenario,
                           market=market)
    warnings += freshness_warnings(market, px, portfolio.max_price_age or DEFAULT_MAX_PRICE_AGE, now)
    hedge_plan = replace(hedge_plan, warnings=tuple(warnings + plan_warnings(hedge_plan)))
    if positions is None:
        return hedge_plan
    trading: dict[str, str] = {}
    for account in portfolio.accounts:  # the first account on a venue trades there
        trading.setdefault(account.trading_venue, account.name)
    return with_trades(hedge_plan, positions, trading)


def _price_notes(portfolio: Portfolio, market: MarketSnapshot) -> list[str]:
    """One note per price the book file did not give and the data store did."""
    notes = []
    for asset, point in market.prices.items():
        if point.source == STORE and asset not in portfolio.prices:
            when = "" if point.as_of is None else f" ({point.as_of:%Y-%m-%d})"
            notes.append(f"{asset}: price {point.value:,.6g} USD is the last daily close in the "
                         f"local data store{when}; add it under prices: to override")
    return notes
