"""From a plan's trades to the orders to send: pure checks, no disk, no clock, no network.

:func:`guard_orders` applies, in order: the kill switch (a halted book sends nothing), stale
prices, the account that trades the venue, the band (``|held - target| / |target| > band``),
the lot and minimum notional of the contract, the split of a reduction from an opening
(reductions are sent reduce-only), child orders of at most ``max_order_usd`` and of at most the
venue's maximum order size (``Instrument.max_order_contracts``; a contract whose maximum is
below one lot is skipped as ``max-order-size``), the per-account
``max_daily_usd`` over 24 hours and the slippage bound (limit price = mark -/+
``max_slippage``). Every order it does not send is returned in ``skipped`` with the guard's
name and the numbers that blocked it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hedgekit.execution.ids import ANY_ID, client_order_id, digest
from hedgekit.instruments import Instrument
from hedgekit.planner.result import HedgePlan
from hedgekit.portfolio.schema import ExecutionSettings

__all__ = ["GuardedOrders", "Order", "Skipped", "child_lots", "guard_orders", "limit_price",
           "max_order_lots", "plan_id", "split_lots"]

_EPS = 1e-9


@dataclass(frozen=True, kw_only=True, slots=True)
class Order:
    """One order to send (or sent): the trade's account, venue and symbol, a whole number of
    lots, and where it came from (``leg`` = index of the plan's trade, ``child`` its part)."""

    account: str | None
    venue: str
    symbol: str
    side: str
    contracts: float
    reduce_only: bool
    order_type: str
    limit_price: float | None
    mark: float
    notional_usd: float
    leg: int
    child: int
    plan_id: str
    client_order_id: str
    reason: str
    attempt: int = 0
    status: str = "dry-run"
    filled_contracts: float = 0.0
    average_price: float | None = None
    fee: float | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "venue": self.venue, "symbol": self.symbol,
                "side": self.side, "contracts": self.contracts, "reduce_only": self.reduce_only,
                "type": self.order_type, "limit_price": self.limit_price,
                "client_order_id": self.client_order_id, "reason": self.reason,
                "status": self.status, "filled_contracts": self.filled_contracts,
                "average_price": self.average_price, "fee": self.fee}


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A trade (or part of one) not sent; ``reason`` starts with the guard's name."""

    account: str | None
    symbol: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "symbol": self.symbol, "reason": self.reason}


@dataclass(frozen=True, kw_only=True, slots=True)
class GuardedOrders:
    plan_id: str
    orders: tuple[Order, ...]
    skipped: tuple[Skipped, ...]


def plan_id(book_id: str, plan: HedgePlan) -> str:
    """A digest of what the plan would trade from what is held: the same held positions and
    targets give the same id (and so the same client order ids)."""
    trades = [(t.account, t.venue, t.symbol, t.side, f"{t.contracts:.12g}") for t in plan.trades]
    held = [(leg.venue, leg.symbol, f"{leg.current_contracts or 0.0:.12g}") for leg in plan.legs]
    return digest(book_id, trades, held, length=10)


def limit_price(side: str, mark: float, max_slippage: float, tick: float | None) -> float:
    """``mark * (1 + max_slippage)`` for a buy, ``mark * (1 - max_slippage)`` for a sell, on the
    tick grid and never beyond the bound (a buy rounds down, a sell up)."""
    raw = mark * (1 + max_slippage) if side == "buy" else mark * (1 - max_slippage)
    if not tick:
        return raw
    ticks = raw / tick
    whole = math.floor(ticks + _EPS) if side == "buy" else math.ceil(ticks - _EPS)
    digits = max(0, -math.floor(math.log10(tick))) + 2
    return round(whole * tick, digits)


def split_lots(lots: int, parts: int) -> list[int]:
    """``lots`` as ``parts`` near-equal whole numbers, the larger first (sum = ``lots``)."""
    parts = max(1, min(parts, lots))
    q, r = divmod(lots, parts)
    return [q + 1] * r + [q] * (parts - r)


def child_lots(lots: int, parts: int, max_lots: int | None = None) -> list[int]:
    """``lots`` as near-equal whole numbers, the larger first (sum = ``lots``): ``parts`` of
    them, or more when one would exceed ``max_lots`` (the venue's maximum order, in lots; None
    or 0 = no maximum). ``ceil(lots / max_lots)`` parts of near-equal size are each at most
    ``ceil(lots / ceil(lots / max_lots)) <= max_lots``."""
    if max_lots:
        parts = max(parts, -(-lots // max_lots))
    return split_lots(lots, parts)


def max_order_lots(inst: Instrument) -> int | None:
    """The most whole lots one order of ``inst`` may carry under the venue's maximum order
    size: None when the venue gives no maximum, 0 when its maximum is below one lot."""
    if inst.max_order_contracts is None:
        return None
    return math.floor(inst.max_order_contracts / inst.lot_size * (1 + _EPS))


def guard_orders(plan: HedgePlan, settings: ExecutionSettings, *, book_id: str,
                 halted: str | None = None, daily_used: Mapping[str, float] | None = None,
                 marks: Mapping[str, float] | None = None,
                 id_rules: Callable[[str | None], tuple[int, str]] | None = None) -> GuardedOrders:
    """The orders that bring ``plan``'s legs to target under ``settings``, and what was skipped.

    ``halted`` is the kill switch's reason (None = running); ``daily_used`` the USD notional
    each account sent over the last 24 hours; ``marks`` fresh USD prices per coin (default: the
    plan's) to bound slippage against; ``id_rules(account)`` the venue's client-order-id rule.
    """
    pid = plan_id(book_id, plan)
    rules = id_rules or (lambda _account: ANY_ID)
    used = dict(daily_used or {})
    orders: list[Order] = []
    skipped: list[Skipped] = []
    stale = [w for w in plan.warnings if w.code == "stale-price"]
    legs = {(leg.venue, leg.symbol): leg for leg in plan.legs}
    for i, trade in enumerate(plan.trades):
        def skip(reason: str, trade: Any = trade) -> None:
            skipped.append(Skipped(account=trade.account, symbol=trade.symbol, reason=reason))

        if halted is not None:
            skip(f"halt: the book is halted ({halted}); 'hedgekit resume' to trade again")
            continue
        if stale:
            skip(f"stale-price: {stale[0].message}")
            continue
        if trade.account is None:
            skip(f"account: no account of the book trades {trade.venue}; add one under accounts:")
            continue
        leg = legs.get((trade.venue, trade.symbol))
        inst: Instrument = (leg.instrument if leg is not None else
                            _instrument(plan, trade.venue, trade.symbol))
        price = _price(plan, inst.base)
        if not price:
            skip(f"price: no price for {inst.base}")
            continue
        signed = trade.contracts if trade.side == "buy" else -trade.contracts
        current = (leg.current_contracts or 0.0) if leg is not None else -signed
        target = current + signed
        if target != 0 and abs(signed) / abs(target) <= settings.band:
            skip(f"band: held {current:g} vs target {target:g} {trade.symbol}: drift "
                 f"{abs(signed) / abs(target):.2%} <= band {settings.band:.2%}")
            continue
        mark = (marks or {}).get(inst.base, price)
        moved = abs(mark / price - 1)
        if moved > settings.max_slippage:
            skip(f"slippage: {inst.base} moved {moved:.2%} from the plan's {price:,.6g} to "
                 f"{mark:,.6g}, more than max_slippage {settings.max_slippage:.2%}")
            continue
        lots = trade.contracts / inst.lot_size
        if abs(lots - round(lots)) > _EPS * max(1.0, lots):
            skip(f"lot-size: {trade.contracts:g} contracts is not a multiple of the lot "
                 f"{inst.lot_size:g}")
            continue
        max_lots = max_order_lots(inst)
        if max_lots == 0:
            skip(f"max-order-size: {trade.venue} takes at most {inst.max_order_contracts:g} "
                 f"{trade.symbol} per order, less than one lot {inst.lot_size:g}")
            continue
        settle_usd = _price(plan, inst.settle) or 1.0
        parts = _parts(current, signed, inst, settings.reduce_only == "auto")
        child = 0
        for contracts, reduce_only in parts:
            notional = inst.notional_usd(contracts, mark, settle_usd)
            if inst.min_notional and notional < inst.min_notional - _EPS:
                skip(f"min-notional: {contracts:g} {trade.symbol} is {notional:,.2f} USD < the "
                     f"venue's minimum {inst.min_notional:g}")
                continue
            by_usd = math.ceil(notional / settings.max_order_usd - _EPS)
            children = child_lots(round(contracts / inst.lot_size), by_usd, max_lots)
            n_children = len(children)
            venue_max = (f"; {trade.venue} max {inst.max_order_contracts:g} per order"
                         if n_children > by_usd else "")
            for n in children:
                size = inst.round_contracts(n * inst.lot_size, "nearest")
                child_usd = inst.notional_usd(size, mark, settle_usd)
                if inst.min_notional and child_usd < inst.min_notional - _EPS:
                    skip(f"min-notional: child of {size:g} {trade.symbol} is {child_usd:,.2f} USD "
                         f"< the venue's minimum {inst.min_notional:g}")
                    continue
                sent = used.get(trade.account, 0.0)
                if sent + child_usd > settings.max_daily_usd + _EPS:
                    skip(f"max_daily_usd: {trade.account} sent {sent:,.0f} USD in 24 h; "
                         f"{sent:,.0f} + {child_usd:,.0f} > {settings.max_daily_usd:,.0f}")
                    continue
                used[trade.account] = sent + child_usd
                what = "reduce" if reduce_only else ("close" if target == 0 else "hedge")
                part = (f" (child {child + 1}, {n_children} for {notional:,.0f} USD{venue_max})"
                        if n_children > 1 else "")
                orders.append(Order(
                    account=trade.account, venue=trade.venue, symbol=trade.symbol,
                    side=trade.side, contracts=size, reduce_only=reduce_only,
                    order_type=settings.order_type,
                    limit_price=(limit_price(trade.side, mark, settings.max_slippage, inst.tick_size)
                                 if settings.order_type == "limit" else None),
                    mark=mark, notional_usd=child_usd, leg=i, child=child, plan_id=pid,
                    client_order_id=client_order_id(book_id, pid, i, child, 0, rules(trade.account)),
                    reason=f"{what} {trade.symbol}: held {current:g} -> target {target:g}{part}"))
                child += 1
    return GuardedOrders(plan_id=pid, orders=tuple(orders), skipped=tuple(skipped))


def with_attempt(order: Order, book_id: str, attempt: int, rules: tuple[int, str] = ANY_ID) -> Order:
    """``order`` sent again after a final failure: the next attempt's client order id."""
    return replace(order, attempt=attempt, client_order_id=client_order_id(
        book_id, order.plan_id, order.leg, order.child, attempt, rules))


def _parts(current: float, signed: float, inst: Instrument, split: bool) -> list[tuple[float, bool]]:
    """The trade as (contracts, reduce_only) parts: the reduction of a held position first
    (reduce-only when ``split``), then what opens beyond it."""
    if not split or current == 0 or (current > 0) == (signed > 0):
        return [(abs(signed), False)]
    reduce = min(abs(signed), abs(current))
    rest = inst.round_contracts(abs(signed) - reduce, "nearest")
    return [(reduce, True)] + ([(rest, False)] if rest > 0 else [])


def _price(plan: HedgePlan, coin: str) -> float | None:
    """The plan's USD price of ``coin``, else its market snapshot's."""
    if coin in plan.prices:
        return plan.prices[coin]
    point = plan.market.prices.get(coin) if plan.market is not None else None
    return None if point is None else point.value


def _instrument(plan: HedgePlan, venue: str, symbol: str) -> Instrument:
    if plan.market is not None:
        return plan.market.venue(venue).instrument(symbol)
    from hedgekit.venues import get_venue

    return get_venue(venue).instrument(symbol)
