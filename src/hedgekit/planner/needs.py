"""What market data a book needs before it can be planned, computed from the book alone.

Sources (:func:`hedgekit.market.from_store`, later the live venue) fill a
:class:`~hedgekit.market.MarketSnapshot` with exactly this; the planner never fetches.
"""

from __future__ import annotations

from hedgekit.errors import InputError
from hedgekit.market.snapshot import BetaNeed, FundingNeed, MarketNeeds
from hedgekit.planner.selection import candidates
from hedgekit.portfolio import STABLECOINS, HedgeMethod, Portfolio

__all__ = ["market_needs"]


def market_needs(portfolio: Portfolio) -> MarketNeeds:
    """Prices the file lacks, betas the method must estimate, recent funding to average.

    An asset whose hedge cannot be chosen (unknown venue, no future) needs nothing here:
    :func:`hedgekit.planner.plan` reports it with the field to fix.
    """
    policy = portfolio.hedge
    wanted = [*portfolio.assets(), *policy.proxies.values(), policy.benchmark]
    prices = tuple(a for a in dict.fromkeys(wanted)
                   if a not in portfolio.prices and a not in STABLECOINS)
    betas: list[BetaNeed] = []
    funding: dict[tuple[str, str], FundingNeed] = {}
    for asset in portfolio.assets():
        if asset in STABLECOINS:
            continue
        try:
            hedge_asset, cands = candidates(asset, policy)
        except InputError:
            continue
        method = policy.method_for(asset)
        if method is not HedgeMethod.NOTIONAL and asset not in policy.betas and hedge_asset != asset:
            betas.append(BetaNeed(asset=asset, hedge_asset=hedge_asset,
                                  method=method.value, lookback_days=policy.lookback_days))
        if not policy.recent_funding_days:
            continue
        for venue, inst, _ in cands:
            if inst.symbol.upper() in policy.funding_rates or hedge_asset in policy.funding_rates:
                continue
            funding[(venue.name, inst.symbol)] = FundingNeed(
                venue=venue.name, symbol=inst.symbol, store_venue=venue.exchange,
                store_symbols=tuple(dict.fromkeys((venue.ccxt_symbol(inst), inst.symbol))),
                days=policy.recent_funding_days)
    return MarketNeeds(prices=prices, betas=tuple(betas), funding=tuple(funding.values()))
