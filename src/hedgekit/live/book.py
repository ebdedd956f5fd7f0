"""The live book as the planner sees it: synced account states and venue markets turned into a
:class:`~hedgekit.market.MarketSnapshot` (marks, funding, contract lists, tiers) and the
positions held (:class:`~hedgekit.planner.HeldPosition`). Reads the cache only; no network."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hedgekit.accounts.models import AccountState, MarketState
from hedgekit.live.cache import load_account, load_market
from hedgekit.market.snapshot import FundingPoint, MarketSnapshot, PricePoint
from hedgekit.planner.trades import HeldPosition
from hedgekit.portfolio import STABLECOINS, Portfolio

__all__ = ["LiveBook", "held_positions", "live_market", "load_live_book"]

USD_QUOTES = frozenset({"USD", *STABLECOINS})


@dataclass(frozen=True, kw_only=True, slots=True)
class LiveBook:
    """The last synced state of a book's accounts; ``never_synced`` names accounts without one."""

    accounts: tuple[AccountState, ...]
    markets: dict[str, MarketState]
    never_synced: tuple[str, ...] = ()


def load_live_book(book: Portfolio, data_dir: str | Path | None = None) -> LiveBook:
    """The cached account states and venue markets of ``book``'s accounts."""
    states, markets, missing = [], {}, []
    for cfg in book.accounts:
        if cfg.is_paper:
            continue
        state = load_account(cfg.name, data_dir)
        if state is None:
            missing.append(cfg.name)
            continue
        states.append(state)
        if state.venue not in markets:
            market = load_market(state.venue, data_dir)
            if market is not None:
                markets[state.venue] = market
    return LiveBook(accounts=tuple(states), markets=markets, never_synced=tuple(missing))


def live_market(live: LiveBook, base: MarketSnapshot | None = None) -> MarketSnapshot:
    """``base`` completed with the live venues' marks (price of each coin in USD, from its
    perpetual quoted in USD or a USD stablecoin), funding now, contract lists and tiers.
    Values already in ``base`` win; venues are taken in the book's account order."""
    snap = base or MarketSnapshot()
    prices: dict[str, PricePoint] = {}
    funding: dict[tuple[str, str], FundingPoint] = {}
    contracts: dict[tuple[str, str], PricePoint] = {}
    for venue, market in live.markets.items():
        for symbol, quote in market.quotes.items():
            inst = market.instruments.get(symbol)
            if inst is None or inst.quote not in USD_QUOTES:
                continue
            if not inst.is_perpetual:  # a dated future: its own price, for its basis
                own = quote.mark or quote.last
                if own:
                    contracts[(venue, symbol)] = PricePoint(
                        value=own, source=f"live:{venue}", kind="mark" if quote.mark else "last",
                        as_of=quote.as_of or market.as_of)
                continue
            price = quote.mark or quote.index or quote.last
            if price and inst.base not in prices:
                kind = "mark" if quote.mark else ("index" if quote.index else "last")
                prices[inst.base] = PricePoint(value=price, source=f"live:{venue}", kind=kind,
                                               as_of=quote.as_of or market.as_of)
        for symbol, info in market.funding.items():
            interval = info.interval_hours or 8.0
            funding[(venue, symbol)] = FundingPoint(
                rate_8h=info.rate * 8.0 / interval, source=f"live:{venue}",
                as_of=info.as_of or market.as_of, interval_hours=info.interval_hours,
                next_time=info.next_time, settlements=1)
    snap = snap.with_prices(prices).with_funding(funding)
    instruments = {**{v: m.instruments for v, m in live.markets.items()}, **snap.instruments}
    tiers = {**{v: m.tiers for v, m in live.markets.items()}, **snap.tiers}
    return MarketSnapshot(prices=snap.prices, funding=snap.funding, betas=snap.betas,
                          contract_prices={**contracts, **snap.contract_prices},
                          instruments=instruments, tiers=tiers)


def held_positions(live: LiveBook) -> list[HeldPosition]:
    """Every synced position as a held position, with the venue's own contract spec."""
    out = []
    for state in live.accounts:
        market = live.markets.get(state.venue)
        for p in state.positions:
            inst = market.instruments.get(p.symbol) if market is not None else None
            out.append(HeldPosition(venue=p.venue, symbol=p.symbol, side=p.side, contracts=p.contracts,
                                    entry_price=p.entry_price, account=p.account, instrument=inst))
    return out
