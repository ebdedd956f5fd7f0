"""Read an account and its venue's market state through an :class:`AccountClient`.

Each function makes the ccxt calls (through :meth:`AccountClient.call`, so failures arrive as
classified :class:`~hedgekit.accounts.errors.VenueError`) and hands the answers to the pure
parsers of :mod:`hedgekit.accounts.parse`. Symbols in and out are the venue's own ids
(``BTCUSDT``); ``now`` is injectable so callers and tests control the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from hedgekit.accounts.client import AccountClient
from hedgekit.accounts.errors import UnknownSymbol, VenueError
from hedgekit.accounts.models import (
    AccountState,
    Balance,
    FundingInfo,
    MarketQuote,
    MarketState,
    OpenOrder,
    Position,
    SkippedRecord,
)
from hedgekit.accounts.parse import (
    AMOUNT_IN_SIZE_UNITS,
    TICK_SIZE,
    parse_balance,
    parse_funding_rate,
    parse_funding_rates,
    parse_instruments,
    parse_leverage_tiers,
    parse_orders,
    parse_positions,
    parse_quotes,
    venue_symbol,
)
from hedgekit.instruments import Instrument
from hedgekit.margin import MarginTier
from hedgekit.venues import get_venue

__all__ = [
    "MarketState",
    "load_instruments",
    "read_account",
    "read_balances",
    "read_funding",
    "read_market",
    "read_open_orders",
    "read_positions",
    "read_quotes",
    "read_tiers",
]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _markets(client: AccountClient, *, reload: bool = False) -> Mapping[str, Mapping[str, Any]]:
    """ccxt's market list (unified symbol -> market), loaded once per client."""
    return client.call("load_markets", reload)


def _unified(client: AccountClient, symbols: Iterable[str]) -> list[str]:
    """Venue symbols (``BTCUSDT``) -> ccxt unified symbols; UnknownSymbol names the first unknown."""
    markets = _markets(client)
    by_id = {venue_symbol(m): s for s, m in markets.items()}
    out = []
    for symbol in symbols:
        unified = by_id.get(symbol) or (symbol if symbol in markets else None)
        if unified is None:
            raise UnknownSymbol(client.account, client.venue, f"{symbol} is not listed on this venue")
        out.append(unified)
    return out


def _by_type(markets: Mapping[str, Mapping[str, Any]], unified: list[str] | None) -> list[list[str] | None]:
    """Symbols split by market type (ccxt asks one type per bulk call: swaps apart from futures);
    ``[None]`` (all symbols of the default type) when no symbols are given."""
    if unified is None:
        return [None]
    groups: dict[str, list[str]] = {}
    for symbol in unified:
        groups.setdefault(str(markets[symbol].get("type")), []).append(symbol)
    return list(groups.values())


def load_instruments(client: AccountClient, *, reload: bool = False) -> dict[str, Instrument]:
    """Every listed swap/future of the account's venue as an Instrument, by venue symbol."""
    markets = _markets(client, reload=reload)
    return parse_instruments(markets, precision_mode=int(getattr(client.exchange, "precisionMode", TICK_SIZE)),
                             funding_interval_hours=get_venue(client.venue).funding_interval_hours,
                             amount_in_size_units=client.venue in AMOUNT_IN_SIZE_UNITS)


def read_balances(client: AccountClient) -> tuple[Balance, ...]:
    """Non-zero wallet balances of the account."""
    return parse_balance(client.call("fetch_balance"), account=client.account)


def read_positions(client: AccountClient, *, now: datetime | None = None,
                   funding: Mapping[str, FundingInfo] | None = None,
                   ) -> tuple[tuple[Position, ...], tuple[SkippedRecord, ...]]:
    """Open positions (hedge-mode longs and shorts apart) and the records that could not be
    parsed. ``funding`` (by venue symbol) fills ``funding_rate``/``next_funding_time``; without
    it the rates of the held perpetuals are read too, and a failure there is recorded as a
    skipped ``funding`` record (the positions still count: funding only annotates them)."""
    markets = _markets(client)
    raws = client.call("fetch_positions")
    missed: tuple[SkippedRecord, ...] = ()
    if funding is None:
        held = sorted({venue_symbol(markets[r["symbol"]]) for r in raws
                       if r.get("symbol") in markets and r.get("contracts")
                       and markets[r["symbol"]].get("swap")})
        try:
            funding = read_funding(client, held) if held else {}
        except VenueError as exc:
            funding = {}
            missed = (SkippedRecord(account=client.account, kind="funding", symbol=",".join(held),
                                    reason=str(exc)),)
    positions, skipped = parse_positions(raws, account=client.account, venue=client.venue,
                                         markets=markets, funding=funding, as_of=_now(now))
    return positions, skipped + missed


def read_open_orders(client: AccountClient) -> tuple[tuple[OpenOrder, ...], tuple[SkippedRecord, ...]]:
    """Resting orders of every symbol (what is pending beside the held positions)."""
    markets = _markets(client)
    return parse_orders(client.call("fetch_open_orders"), account=client.account, markets=markets,
                        venue=client.venue)


def read_quotes(client: AccountClient, symbols: Iterable[str] | None = None) -> dict[str, MarketQuote]:
    """Mark, index and last price by venue symbol (all contracts when ``symbols`` is None)."""
    symbols = list(symbols) if symbols is not None else None
    markets = _markets(client)
    # Mark and index where the venue serves them apart from tickers: a mark-price call, else the
    # funding-rate structures, which carry both (Hyperliquid's tickers have neither).
    marks_call = ("fetch_mark_prices" if client.has("fetchMarkPrices")
                  else "fetch_funding_rates" if client.has("fetchFundingRates") else None)
    tickers: dict[str, Any] = {}
    marks: dict[str, Any] = {}
    for group in _by_type(markets, _unified(client, symbols) if symbols is not None else None):
        tickers.update(client.call("fetch_tickers", group))
        if marks_call is not None:
            marks.update(client.call(marks_call, group))
    quotes = parse_quotes(tickers, markets=markets, mark_prices=marks)
    if symbols is not None:
        wanted = set(symbols)
        quotes = {k: v for k, v in quotes.items() if k in wanted}
    return quotes


def read_funding(client: AccountClient, symbols: Iterable[str] | None = None) -> dict[str, FundingInfo]:
    """Current funding rate and next settlement of perpetuals, by venue symbol.

    One bulk call where ccxt has ``fetchFundingRates``; otherwise one call per symbol (then
    ``symbols`` is needed: without it the result is empty)."""
    symbols = list(symbols) if symbols is not None else None
    markets = _markets(client)
    default = get_venue(client.venue).funding_interval_hours
    if client.has("fetchFundingRates"):
        unified = _unified(client, symbols) if symbols is not None else None
        raws = client.call("fetch_funding_rates", unified)
        out = parse_funding_rates(raws, markets=markets, default_interval_hours=default)
        return out if symbols is None else {k: v for k, v in out.items() if k in set(symbols)}
    if symbols is None or not client.has("fetchFundingRate"):
        return {}
    result: dict[str, FundingInfo] = {}
    for one in _unified(client, symbols):
        info = parse_funding_rate(client.call("fetch_funding_rate", one), market=markets[one],
                                  default_interval_hours=default)
        if info is not None:
            result[info.symbol] = info
    return result


def read_tiers(client: AccountClient, symbols: Iterable[str] | None = None,
               ) -> dict[str, tuple[MarginTier, ...]]:
    """Maintenance-margin tiers by venue symbol where ccxt has ``fetchLeverageTiers`` (Binance,
    Bybit); empty elsewhere (the presets' tables stay the fallback)."""
    if not client.has("fetchLeverageTiers"):
        return {}
    symbols = list(symbols) if symbols is not None else None
    markets = _markets(client)
    unified = _unified(client, symbols) if symbols is not None else None
    return parse_leverage_tiers(client.call("fetch_leverage_tiers", unified), markets=markets)


def read_account(client: AccountClient, *, now: datetime | None = None,
                 with_orders: bool = True) -> AccountState:
    """Balances, positions (with their funding) and open orders of one account at ``now``."""
    as_of = _now(now)
    balances = read_balances(client)
    positions, skipped = read_positions(client, now=as_of)
    orders: tuple[OpenOrder, ...] = ()
    if with_orders:
        orders, skipped_orders = read_open_orders(client)
        skipped = skipped + skipped_orders
    return AccountState(account=client.account, venue=client.venue, as_of=as_of, balances=balances,
                        positions=positions, open_orders=orders, skipped=skipped)


def read_market(client: AccountClient, symbols: Iterable[str] | None = None, *,
                now: datetime | None = None, with_tiers: bool = True) -> MarketState:
    """Instruments (all listed), and quotes, funding and tiers of ``symbols`` (all when None)."""
    wanted = list(symbols) if symbols is not None else None
    instruments = load_instruments(client)
    perps = None if wanted is None else [s for s in wanted if instruments.get(s) and instruments[s].is_perpetual]
    return MarketState(
        venue=client.venue,
        as_of=_now(now),
        instruments=instruments,
        quotes=read_quotes(client, wanted),
        funding=read_funding(client, perps) if perps is None or perps else {},
        tiers=read_tiers(client, wanted) if with_tiers else {},
    )
