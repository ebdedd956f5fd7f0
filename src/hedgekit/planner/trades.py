"""From the plan's targets and what is held to the trades that close the gap.

Pure: the held positions come in (from the book file's ``positions:`` or a synced account),
the trades go out. A trade is the *difference* between target and held exposure, never a
second full hedge:

* exposure is compared in coins of delta (:meth:`Instrument.delta_coin`), so an inverse short
  opened at another price is valued at the delta it really has (face / entry), not re-sized
  to today's price;
* a held position on a contract the plan does not use still counts against the hedge of its
  coin: the planned legs on that coin are reduced pro rata by its delta;
* held positions on a coin the plan does not hedge are closed (reduce-only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hedgekit.errors import InputError
from hedgekit.instruments import Instrument, Side
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner.result import HedgeLeg, HedgePlan
from hedgekit.portfolio import Portfolio, price_of
from hedgekit.venues import get_venue

__all__ = ["HeldPosition", "Trade", "held_from_book", "with_trades"]


@dataclass(frozen=True, kw_only=True, slots=True)
class HeldPosition:
    """A futures position already held: ``contracts`` (> 0) on ``side``, opened at
    ``entry_price`` (needed for inverse contracts, whose delta is face / entry)."""

    venue: str
    symbol: str
    side: Side
    contracts: float
    entry_price: float | None = None
    account: str | None = None
    instrument: Instrument | None = None  # when the venue's market list was synced

    def resolve(self, market: MarketSnapshot | None = None) -> Instrument:
        """The contract held: the synced spec, else the venue's (as synced into ``market``)."""
        if self.instrument is not None:
            return self.instrument
        venue = market.venue(self.venue) if market is not None else get_venue(self.venue)
        return venue.instrument(self.symbol)

    @property
    def signed_contracts(self) -> float:
        return self.side.sign * self.contracts


@dataclass(frozen=True, kw_only=True, slots=True)
class Trade:
    """One order to send: ``side`` is the order side (``buy`` / ``sell``)."""

    account: str | None
    venue: str
    symbol: str
    side: str
    contracts: float
    reduce_only: bool

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "venue": self.venue, "symbol": self.symbol,
                "side": self.side, "contracts": self.contracts, "reduce_only": self.reduce_only}


@dataclass(slots=True)
class _Book:
    """What is held on one (venue, symbol): signed contracts and coin delta, by account."""

    inst: Instrument
    contracts: float = 0.0
    delta: float = 0.0
    accounts: tuple[str | None, ...] = ()


def with_trades(p: HedgePlan, held: Iterable[HeldPosition],
                accounts: Mapping[str, str] | None = None) -> HedgePlan:
    """``p`` with ``current_contracts`` / ``trade_contracts`` on every leg and the trades.

    ``accounts`` maps a venue to the account that trades there when nothing is held on it yet.
    Inverse positions need their entry price (InputError naming the position otherwise).
    """
    held = tuple(held)
    prices = p.prices
    books: dict[tuple[str, str], _Book] = {}
    for i, h in enumerate(held):
        try:
            inst = h.resolve(p.market)
        except InputError as exc:
            raise exc.within(f"positions[{i}]") from None
        price = prices.get(inst.base)
        entry = h.entry_price or price
        if entry is None:
            raise InputError(f"positions[{i}].entry_price", f"{h.symbol} on {h.venue} needs its "
                             f"entry price (or a price for {inst.base})", h.entry_price)
        # the settle coin's price matters for a quanto only; a stablecoin is 1, anything else
        # must be priced (a silent 1.0 would misstate a quanto's delta)
        settle_usd = price_of(inst.settle, prices, f"positions[{i}]") if inst.is_quanto else 1.0
        b = books.setdefault((h.venue, inst.symbol), _Book(inst=inst))
        b.contracts += h.signed_contracts
        b.delta += inst.delta_coin(h.side, h.contracts, entry, settle_usd)
        if h.account not in b.accounts:
            b.accounts += (h.account,)

    legs = list(p.legs)
    targets = [_target_delta(leg) for leg in legs]
    # held contracts that no leg uses still hedge their coin: take them off that coin's legs
    planned = {(leg.venue, leg.symbol) for leg in legs}
    orphans = {k: b for k, b in books.items() if k not in planned}
    absorbed: list[str] = []
    for key, b in list(orphans.items()):
        idx = [i for i, leg in enumerate(legs) if leg.hedge_asset == b.inst.base]
        total = sum(targets[i] for i in idx)
        if idx and total != 0:
            for i in idx:
                targets[i] -= b.delta * targets[i] / total
            del orphans[key]  # kept as it is; the planned legs trade the rest
            absorbed.append(f"{b.inst.base}: {b.delta:+,.6g} {b.inst.base} of delta is held in "
                            f"{key[1]}@{key[0]}, a contract the plan does not use; it is kept and "
                            f"the planned {b.inst.base} legs trade only the rest")
    trades: list[Trade] = []
    notes = [*p.notes, *absorbed]
    for i, leg in enumerate(legs):
        book = books.get((leg.venue, leg.symbol))
        current = book.contracts if book else 0.0
        held_delta = book.delta if book else 0.0
        per_contract = leg.instrument.delta_coin(Side.LONG, 1.0, leg.price, leg.settle_usd)
        exact = (targets[i] - held_delta) / per_contract
        mode = "nearest" if leg.fixed else p.policy.rounding.value
        size = leg.instrument.round_contracts(abs(exact), mode)
        trade = 0.0 if size == 0 else (size if exact > 0 else -size)
        legs[i] = replace(leg, current_contracts=current, trade_contracts=trade)
        kept = abs(current + trade)
        if book and leg.instrument.is_inverse and not math.isclose(kept, leg.contracts):
            notes.append(f"{leg.symbol}@{leg.venue}: {kept:,.10g} contracts after the trade hedge "
                         f"the target {abs(targets[i]):,.6g} {leg.hedge_asset}, because a held "
                         "inverse position keeps the delta of its entry price (face / entry); "
                         f"a fresh position at {leg.price:,.2f} would need {leg.contracts:,.10g}")
        if size > 0:
            account = book.accounts[0] if book and book.accounts else (accounts or {}).get(leg.venue)
            trades.append(_trade(account, leg.venue, leg.symbol, current, trade))
    for (venue, symbol), b in orphans.items():
        if b.contracts != 0:
            trades.append(_trade(b.accounts[0] if b.accounts else None, venue, symbol,
                                 b.contracts, -b.contracts))
    return replace(p, legs=tuple(legs), trades=tuple(trades), held=held, notes=tuple(notes))


def _target_delta(leg: HedgeLeg) -> float:
    """The leg's target exposure in coins (short < 0), before lot rounding."""
    contracts = leg.contracts if leg.fixed else leg.contracts_exact
    return leg.instrument.delta_coin(leg.side, contracts, leg.price, leg.settle_usd)


def _trade(account: str | None, venue: str, symbol: str, current: float, trade: float) -> Trade:
    reduce_only = current != 0 and (trade > 0) != (current > 0) and abs(trade) <= abs(current)
    return Trade(account=account, venue=venue, symbol=symbol, side="buy" if trade > 0 else "sell",
                 contracts=abs(trade), reduce_only=reduce_only)


def held_from_book(portfolio: Portfolio) -> list[HeldPosition] | None:
    """The book file's ``positions:`` as held positions (None when the file has no section)."""
    if portfolio.positions is None:
        return None
    return [HeldPosition(venue=e.venue, symbol=e.symbol,
                         side=Side.SHORT if e.contracts < 0 else Side.LONG,
                         contracts=abs(e.contracts), entry_price=e.entry_price, account=e.account)
            for e in portfolio.positions]
