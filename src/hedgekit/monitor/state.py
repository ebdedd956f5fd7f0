"""What one monitor cycle records about a book: a plain, JSON-ready dict (the row of
``state_history`` with its ``data_json`` merged in), built from the plan, the market snapshot
and what is held. The rules (:mod:`hedgekit.monitor.rules`) read only this dict, so they can be
run on recorded history.

Per held position (a synced or paper account's, or one typed into the book's ``positions:``):

* liquidation price and its distance ``|liq - mark| / mark``. A synced position takes the
  nearer of the venue's figure and hedgekit's own (:func:`hedgekit.live.own_liquidation_price`);
  a typed-in position is taken as isolated at ``hedge.leverage`` on its entry price (what the
  planner assumes for a fresh leg), its margin being the initial margin at entry.
* margin ratio = maintenance margin at the mark / equity. Isolated: the position's margin
  (the venue's, unrealised PnL included); cross: the account's wallet in the settle currency
  plus the unrealised PnL of its cross positions. An equity at or below zero is 1 (liquidated).
* funding: the venue's current rate (synced), else the book's, else the default
  (:func:`hedgekit.planner.sizing.funding_rate`), as a yearly rate received by the position
  (``-side * rate_8h * 3 * 365``) and in USD per day; the next settlement's time and amount.
* basis of a dated future: ``(future / spot - 1) * 365 / days to expiry``, signed as earned by
  the position (a short earns contango).

Per coin: the target delta of the plan's legs (after rounding) and the delta held (an inverse
position keeps the delta of its entry price, face / entry), and the drift
``|held - target| / |target|``. NAV = the holdings at the snapshot's prices + the unrealised
PnL of the positions held; in coin too when the book holds or plans an inverse contract.
Funding accrued is the running sum of each interval's funding per day at the rate known at
its start (an estimate: the venues' settlement records are not read).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hedgekit.accounts.models import AccountState
from hedgekit.errors import HedgekitError
from hedgekit.funding import funding_carry
from hedgekit.instruments import Instrument, MarginMode, Side
from hedgekit.live.book import LiveBook
from hedgekit.live.positions import own_liquidation_price
from hedgekit.margin import initial_margin, liquidation_price, maintenance_margin
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner import HedgePlan
from hedgekit.planner.sizing import funding_rate
from hedgekit.portfolio import STABLECOINS, Portfolio

__all__ = ["COLUMNS", "measure"]

# the state_history columns besides book and ts (the rest of the state goes to data_json)
COLUMNS = ("nav_usd", "nav_coin", "hedge_ratio", "drift", "margin_ratio", "liquidation_distance",
           "funding_accrued_usd")

_DAY = 86400.0


def measure(book: Portfolio, hedge: HedgePlan, market: MarketSnapshot, *, now: datetime,
            live: LiveBook | None = None, paper: Sequence[AccountState] = (),
            accounts: Mapping[str, Any] | None = None,
            previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The state of ``book`` at ``now``: ``hedge`` is its plan on ``market`` with the positions
    held; ``live`` the synced accounts (None without accounts); ``paper`` the paper accounts'
    states (:func:`hedgekit.execution.paper.account_states`); ``accounts`` the sync status per
    account (recorded as given); ``previous`` the last recorded state (funding accrual)."""
    prices = dict(hedge.prices)
    legs: list[dict[str, Any]] = []
    for i, entry in enumerate(book.positions or ()):
        legs.append(_typed_leg(book, i, entry, market, prices, now))
    known = live is None or not live.never_synced
    for acct in (*(live.accounts if live is not None else ()), *paper):
        for p in acct.positions:
            legs.append(_synced_leg(book, acct, p, live, market, prices, now))
    held_known = known and (book.positions is not None or bool(book.accounts))
    coins = _coins(hedge, legs, held_known)
    exposure = sum(abs(e.delta_usd) for e in hedge.exposure.risky)
    hedged = sum(-c["held_coin"] * prices.get(k, 0.0) for k, c in coins.items())
    nav = hedge.exposure.total_value_usd + sum(leg["upnl_usd"] or 0.0 for leg in legs)
    coin = _nav_coin(hedge, legs)
    per_day = sum(leg["funding_per_day_usd"] or 0.0 for leg in legs)
    accrued = 0.0
    if previous is not None:
        elapsed = (now - datetime.fromisoformat(previous["ts"])).total_seconds()
        accrued = (previous.get("funding_accrued_usd") or 0.0) + \
            (previous.get("funding_per_day_usd") or 0.0) * max(elapsed, 0.0) / _DAY
    drifts = [c["drift"] for c in coins.values() if c["drift"] is not None]
    margins = [leg["margin_ratio"] for leg in legs if leg["margin_ratio"] is not None]
    dists = [leg["liquidation_distance"] for leg in legs if leg["liquidation_distance"] is not None]
    return {
        "ts": now.isoformat(),
        "nav_usd": nav,
        "nav_coin": None if coin is None or not prices.get(coin) else nav / prices[coin],
        "nav_coin_unit": coin,
        "hedge_ratio": (hedged / exposure if exposure else None) if held_known else None,
        "drift": max(drifts) if drifts else None,
        "margin_ratio": max(margins) if margins else None,
        "liquidation_distance": min(dists) if dists else None,
        "funding_accrued_usd": accrued,
        "funding_per_day_usd": per_day,
        "next_funding": _next_funding(legs),
        "exposure_usd": exposure,
        "exposures": {e.asset: e.delta_usd for e in hedge.exposure.risky},
        "held_known": held_known,
        "legs": legs,
        "targets": [{"venue": leg.venue, "symbol": leg.symbol, "asset": leg.asset,
                     "hedge_asset": leg.hedge_asset,
                     "contracts": leg.side.sign * leg.contracts,
                     "current_contracts": leg.current_contracts,
                     "trade_contracts": leg.trade_contracts} for leg in hedge.legs],
        "coins": coins,
        "accounts": dict(accounts or {}),
        "prices": {a: {"value": s["value"], "source": s["source"], "as_of": s["as_of"]}
                   for a, s in hedge.price_sources().items()},
        "warnings": [w.code for w in hedge.warnings],
    }


def _typed_leg(book: Portfolio, i: int, entry: Any, market: MarketSnapshot,
               prices: Mapping[str, float], now: datetime) -> dict[str, Any]:
    """A position typed into ``positions:``: isolated at ``hedge.leverage`` from its entry."""
    venue = market.venue(entry.venue)
    inst = venue.instrument(entry.symbol)
    side = Side.SHORT if entry.contracts < 0 else Side.LONG
    contracts = abs(entry.contracts)
    mark = prices.get(inst.base)
    entry_price = entry.entry_price or mark
    settle_usd = _settle_usd(inst, prices)
    row = _base_row(book, inst, venue.name, side, contracts, entry_price, mark, market, prices, now,
                    account=entry.account, source=f"positions[{i}]")
    if mark is None or entry_price is None:
        return row
    row["upnl_usd"] = _usd(inst, inst.pnl(side, contracts, entry_price, mark), mark, settle_usd)
    try:
        wallet = initial_margin(inst, contracts, entry_price, book.hedge.leverage)
        rule = venue.maintenance(inst, abs(inst.delta_coin(side, contracts, entry_price, settle_usd)))
        res = liquidation_price(inst, side, contracts, entry_price, wallet, margin_mode="isolated",
                                taker_fee=venue.fee_to_close(book.hedge.fee_to_close),
                                convention=venue.convention, **rule)
        mm = maintenance_margin(inst, contracts, mark, **venue.maintenance(inst))
    except HedgekitError:
        return row
    equity = wallet + inst.pnl(side, contracts, entry_price, mark)
    row["margin_ratio"] = mm / equity if equity > 0 else 1.0
    _set_liquidation(row, res.liquidation_price, mark)
    return row


def _synced_leg(book: Portfolio, acct: Any, p: Any, live: LiveBook | None, market: MarketSnapshot,
                prices: Mapping[str, float], now: datetime) -> dict[str, Any]:
    venue = market.venue(p.venue)
    inst = venue.instruments.get(p.symbol)
    mark = p.mark_price or (prices.get(inst.base) if inst is not None else None)
    row: dict[str, Any]
    if inst is None:  # a contract the venue's synced list lacks: only what the venue said
        row = {"venue": p.venue, "symbol": p.symbol, "asset": None, "contract_type": p.contract_type.value,
               "side": p.side.value, "contracts": p.contracts, "entry_price": p.entry_price,
               "mark": mark, "delta_coin": None, "upnl_usd": None, "liquidation_price": None,
               "liquidation_distance": None, "margin_ratio": None, "funding_rate_8h": None,
               "funding_apr": None, "funding_per_day_usd": None, "next_funding_time": None,
               "next_funding_usd": None, "basis_apr": None, "account": p.account, "source": "account"}
    else:
        row = _base_row(book, inst, venue.name, p.side, p.contracts, p.entry_price or mark, mark,
                        market, prices, now, account=p.account, source="account",
                        future_mark=p.mark_price or (_quote(live, p.venue, p.symbol) if live else None))
    if p.unrealized_pnl is not None:
        row["upnl_usd"] = _currency_usd(p.unrealized_pnl, p.pnl_currency, prices)
    if inst is None or not mark:
        return row
    try:
        own = own_liquidation_price(p, inst, acct.positions, acct.balances, market,
                                    fee_to_close=book.hedge.fee_to_close)
        row["margin_ratio"] = _synced_margin_ratio(p, inst, acct, market)
    except HedgekitError:
        own = None
    candidates = [x for x in (own, p.liquidation_price_venue) if x]
    _set_liquidation(row, min(candidates, key=lambda x: abs(x - mark)) if candidates else None, mark)
    row["liquidation_price_venue"] = p.liquidation_price_venue
    row["liquidation_price_hedgekit"] = own
    return row


def _synced_margin_ratio(p: Any, inst: Instrument, acct: Any, market: MarketSnapshot) -> float | None:
    """Maintenance / equity of an isolated position, or of the cross positions of its account
    in its settle currency."""
    venue = market.venue(p.venue)
    if (p.margin_mode or MarginMode.ISOLATED) is MarginMode.ISOLATED:
        if p.collateral is None or not p.mark_price:
            return None
        mm = maintenance_margin(inst, p.contracts, p.mark_price, **venue.maintenance(inst))
        return mm / p.collateral if p.collateral > 0 else 1.0
    mm = 0.0
    equity = sum(b.total for b in acct.balances if b.currency == p.pnl_currency)
    for q in acct.positions:
        if q.margin_mode is not MarginMode.CROSS or q.pnl_currency != p.pnl_currency:
            continue
        q_inst = venue.instruments.get(q.symbol)
        if q_inst is None or not q.mark_price:
            return None
        mm += maintenance_margin(q_inst, q.contracts, q.mark_price, **venue.maintenance(q_inst))
        equity += q.unrealized_pnl or 0.0
    return mm / equity if equity > 0 else 1.0


def _base_row(book: Portfolio, inst: Instrument, venue_name: str, side: Side, contracts: float,
              entry: float | None, mark: float | None, market: MarketSnapshot,
              prices: Mapping[str, float], now: datetime, *, account: str | None, source: str,
              future_mark: float | None = None) -> dict[str, Any]:
    """The fields every held leg has: size, delta, funding and basis (margin fields None)."""
    settle_usd = _settle_usd(inst, prices)
    delta = None
    if entry:
        try:
            delta = inst.delta_coin(side, contracts, entry, settle_usd)
        except HedgekitError:
            delta = None
    row: dict[str, Any] = {
        "venue": venue_name, "symbol": inst.symbol, "asset": inst.base,
        "contract_type": inst.contract_type.value, "side": side.value, "contracts": contracts,
        "entry_price": entry, "mark": mark, "delta_coin": delta, "upnl_usd": None,
        "liquidation_price": None, "liquidation_distance": None, "margin_ratio": None,
        "funding_rate_8h": None, "funding_apr": None, "funding_per_day_usd": None,
        "next_funding_time": None, "next_funding_usd": None, "basis_apr": None,
        "account": account, "source": source,
    }
    if mark is None:
        return row
    if inst.is_perpetual:
        venue = market.venue(venue_name)
        rate_8h, assumed = funding_rate(book.hedge, venue, inst, inst.base, market, [])
        interval = inst.funding_interval_hours or 8.0  # continuous accrual is quoted per 8h
        try:
            per_day, _ = funding_carry(inst, side, contracts, mark, rate_8h * interval / 8.0,
                                       days=1.0, interval_hours=interval)
        except HedgekitError:
            return row
        point = market.funding_for(venue_name, inst.symbol)
        row.update(funding_rate_8h=rate_8h, funding_assumed=assumed,
                   funding_apr=-side.sign * rate_8h * 3 * 365,
                   funding_per_day_usd=_usd(inst, per_day, mark, settle_usd))
        if point is not None and point.next_time is not None:
            row["next_funding_time"] = point.next_time.isoformat()
            row["next_funding_usd"] = row["funding_per_day_usd"] * interval / 24.0
    elif future_mark and inst.expiry is not None and prices.get(inst.base):
        days = (inst.expiry - now).total_seconds() / _DAY
        if days > 0:  # the future's mark against the coin's spot price
            row["basis_apr"] = -side.sign * (future_mark / prices[inst.base] - 1.0) * 365.0 / days
        row["expiry"] = inst.expiry.isoformat()
    return row


def _set_liquidation(row: dict[str, Any], liq: float | None, mark: float) -> None:
    row["liquidation_price"] = liq
    row["liquidation_distance"] = None if liq is None else abs(liq - mark) / mark


def _coins(hedge: HedgePlan, legs: list[dict[str, Any]], held_known: bool) -> dict[str, Any]:
    """Per hedge coin: target delta (the plan's legs after rounding), held delta, drift."""
    target: dict[str, float] = {}
    for leg in hedge.legs:
        coin = leg.instrument.base
        target[coin] = target.get(coin, 0.0) + leg.instrument.delta_coin(
            leg.side, leg.contracts, leg.price, leg.settle_usd)
    held: dict[str, float] = {}
    for row in legs:
        if row["asset"] is not None and row["delta_coin"] is not None:
            held[row["asset"]] = held.get(row["asset"], 0.0) + row["delta_coin"]
    if not held_known:
        return {c: {"target_coin": t, "held_coin": 0.0, "drift": None} for c, t in target.items()}
    out = {}
    for coin in {**target, **held}:
        t, h = target.get(coin, 0.0), held.get(coin, 0.0)
        drift = abs(h - t) / abs(t) if t else (0.0 if h == 0 else None)
        out[coin] = {"target_coin": t, "held_coin": h, "drift": drift, "unplanned": t == 0 and h != 0}
    return out


def _nav_coin(hedge: HedgePlan, legs: list[dict[str, Any]]) -> str | None:
    """The coin an inverse book counts in: the settle coin of its first inverse contract."""
    for row in legs:
        if row["contract_type"] == "inverse" and row["asset"]:
            return str(row["asset"])
    for leg in hedge.legs:
        if leg.instrument.is_inverse:
            return leg.instrument.settle
    return None


def _next_funding(legs: list[dict[str, Any]]) -> dict[str, Any] | None:
    times = [leg["next_funding_time"] for leg in legs if leg["next_funding_time"]]
    if not times:
        return None
    first = min(times)
    return {"time": first, "usd": sum(leg["next_funding_usd"] or 0.0 for leg in legs
                                      if leg["next_funding_time"] == first)}


def _quote(live: LiveBook, venue: str, symbol: str) -> float | None:
    market = live.markets.get(venue)
    quote = market.quotes.get(symbol) if market is not None else None
    return None if quote is None else (quote.mark or quote.last)


def _settle_usd(inst: Instrument, prices: Mapping[str, float]) -> float | None:
    return prices.get(inst.settle) if inst.is_quanto else 1.0


def _usd(inst: Instrument, amount: float, mark: float, settle_usd: float | None) -> float | None:
    try:
        return inst.settle_to_usd(amount, mark, settle_usd)
    except HedgekitError:
        return None


def _currency_usd(amount: float, currency: str, prices: Mapping[str, float]) -> float | None:
    if currency.upper() in STABLECOINS:
        return amount
    price = prices.get(currency.upper())
    return None if price is None or not math.isfinite(price) else amount * price
