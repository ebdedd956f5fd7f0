"""``hedgekit positions``: what every account holds, with hedgekit's own liquidation price
beside the venue's figure.

hedgekit's figure uses :func:`hedgekit.margin.liquidation_price` with the venue's convention
and maintenance rule (synced tiers where the venue publishes them). The wallet it needs is
the position's own margin for an isolated position (the venue's margin less the unrealised
PnL already in it) and the account's balance of the settle currency for a cross position,
net of the other cross positions' maintenance margin and plus their unrealised PnL (Binance's
``WB - TMM1 + UPNL1``). The venue's taker fee is a fee to close only when the book asks for it
(``hedge.fee_to_close``), as in the plan. A difference above 0.5% from the venue's figure is a warning: the
venue may use a different mark, tier table or fee.
"""

from __future__ import annotations

from typing import Any

from hedgekit.accounts.models import Balance, Position
from hedgekit.errors import HedgekitError
from hedgekit.instruments import Instrument, MarginMode, Side
from hedgekit.live.book import LiveBook
from hedgekit.margin import liquidation_price as hedgekit_liquidation
from hedgekit.margin import maintenance_margin
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.portfolio import Portfolio

__all__ = ["LIQUIDATION_TOLERANCE", "own_liquidation_price", "positions_report"]

LIQUIDATION_TOLERANCE = 0.005  # relative difference from the venue's figure that is reported


def positions_report(book: Portfolio, live: LiveBook, market: MarketSnapshot) -> dict[str, Any]:
    """The ``--json`` document of ``hedgekit positions``: positions (synced and from the book
    file), balances, warnings, and the accounts that have never been synced."""
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    balances: list[Balance] = []
    for state in live.accounts:
        balances += state.balances
        for p in state.positions:
            venue = market.venue(p.venue)
            inst = venue.instruments.get(p.symbol)
            fee = venue.fee_to_close(book.hedge.fee_to_close)
            rule = f"{venue.convention.value}, fee to close {fee:g}"  # how hedgekit's figure is made
            own = None
            if inst is not None:
                try:
                    own = own_liquidation_price(p, inst, state.positions, state.balances, market,
                                                fee_to_close=book.hedge.fee_to_close)
                except HedgekitError as exc:
                    warnings.append(f"{p.account} {p.symbol} {p.side.value}: hedgekit cannot price "
                                    f"its liquidation ({exc})")
            venue_liq = p.liquidation_price_venue
            if own is not None and venue_liq and abs(own / venue_liq - 1) > LIQUIDATION_TOLERANCE:
                warnings.append(
                    f"{p.account} {p.symbol} {p.side.value}: hedgekit's liquidation price "
                    f"{own:,.2f} differs from the venue's {venue_liq:,.2f} by "
                    f"{own / venue_liq - 1:+.2%} ({rule}); check the margin mode, tier and mark")
            rows.append({**_position_row(p), "liquidation_price": own,
                         "liquidation_convention": venue.convention.value,
                         "liquidation_fee_to_close": fee, "source": "venue"})
        for s in state.skipped:
            warnings.append(f"{s.account}: {s.kind} {s.symbol} skipped: {s.reason}")
    for i, e in enumerate(book.positions or ()):
        venue = market.venue(e.venue)
        inst = venue.instrument(e.symbol)
        price = market.prices.get(inst.base)
        mark = price.value if price is not None else None
        contracts = abs(e.contracts)
        rows.append({
            "account": e.account, "venue": venue.name, "symbol": inst.symbol,
            "contract_type": inst.contract_type.value,
            "side": (Side.SHORT if e.contracts < 0 else Side.LONG).value, "contracts": contracts,
            "contract_size": inst.contract_size, "entry_price": e.entry_price, "mark_price": mark,
            "notional_usd": (inst.notional_usd(contracts, mark) if mark and not inst.is_quanto else None),
            "unrealized_pnl": (inst.pnl(Side.SHORT if e.contracts < 0 else Side.LONG, contracts,
                                        e.entry_price, mark) if mark and e.entry_price else None),
            "pnl_currency": inst.settle, "margin_mode": None, "leverage": None,
            "liquidation_price_venue": None, "liquidation_price": None,
            "liquidation_convention": None, "liquidation_fee_to_close": None, "funding_rate": None,
            "next_funding_time": None, "source": f"book positions[{i}]"})
    as_of = max((s.as_of for s in live.accounts), default=None)
    return {"as_of": None if as_of is None else as_of.isoformat(), "positions": rows,
            "balances": [b.to_dict() for b in balances], "warnings": warnings,
            "never_synced": list(live.never_synced)}


def own_liquidation_price(p: Position, inst: Instrument, positions: tuple[Position, ...],
                          balances: tuple[Balance, ...], market: MarketSnapshot, *,
                          fee_to_close: bool = False) -> float | None:
    """hedgekit's liquidation price of venue position ``p`` (None when it has none or the
    margin backing it is unknown). The venue's taker fee enters as a fee to close only with
    ``fee_to_close`` (the book's ``hedge.fee_to_close``) and where the convention charges one."""
    if p.entry_price is None:
        return None
    venue = market.venue(p.venue)
    mode = p.margin_mode or MarginMode.ISOLATED
    rule = venue.maintenance(inst, inst.notional_coin(p.contracts, p.entry_price)
                             if not inst.is_quanto else None)
    if mode is MarginMode.ISOLATED:
        if p.collateral is None:
            return None
        wallet = p.collateral - (p.unrealized_pnl or 0.0)
        other_mm = other_upnl = 0.0
    else:
        wallet = sum(b.total for b in balances if b.currency == p.pnl_currency)
        other_mm = other_upnl = 0.0
        for q in positions:
            if q is p or q.margin_mode is not MarginMode.CROSS or q.pnl_currency != p.pnl_currency:
                continue
            q_inst = venue.instruments.get(q.symbol)
            if q_inst is None or q.mark_price is None:
                return None  # an unpriced neighbour moves the cross wallet by an unknown amount
            other_mm += maintenance_margin(q_inst, q.contracts, q.mark_price,
                                           **venue.maintenance(q_inst))
            other_upnl += q.unrealized_pnl or 0.0
    res = hedgekit_liquidation(inst, p.side, p.contracts, p.entry_price, wallet,
                               margin_mode=mode, taker_fee=venue.fee_to_close(fee_to_close),
                               convention=venue.convention, other_maintenance=other_mm,
                               other_upnl=other_upnl, **rule)
    return res.liquidation_price


def _position_row(p: Position) -> dict[str, Any]:
    d = p.to_dict()
    keep = ("account", "venue", "symbol", "contract_type", "side", "contracts", "contract_size",
            "entry_price", "mark_price", "notional_usd", "unrealized_pnl", "pnl_currency",
            "margin_mode", "leverage", "liquidation_price_venue", "funding_rate", "next_funding_time")
    return {k: d.get(k) for k in keep}

