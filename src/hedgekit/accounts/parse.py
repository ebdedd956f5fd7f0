"""Pure parsers: ccxt's unified answers -> hedgekit domain objects. No I/O, no ccxt import.

Inputs are the plain dicts ccxt returns (``load_markets``, ``fetch_balance``,
``fetch_positions``, ``fetch_open_orders``, ``fetch_tickers``, ``fetch_mark_prices``,
``fetch_funding_rate(s)``, ``fetch_leverage_tiers``); field names follow ccxt's unified
structures (docs.ccxt.com, "Unified API"). Symbols in the outputs are the venue's own ids
(``BTCUSDT``, ``BTC-USDT-SWAP``, ``BTC-PERPETUAL``), as in :mod:`hedgekit.venues`.

A record that cannot be parsed (a position in a symbol the market list does not know, a
position without a side) becomes a :class:`~hedgekit.accounts.models.SkippedRecord` with its
reason, never a crash and never silently dropped. Empty slots (zero contracts, zero balance)
are dropped: they hold nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from hedgekit.accounts.models import (
    Balance,
    FundingInfo,
    MarketQuote,
    OpenOrder,
    Position,
    SkippedRecord,
)
from hedgekit.errors import DataError, InputError
from hedgekit.instruments import ContractType, Instrument, MarginMode, Side
from hedgekit.margin import MarginTier, build_tiers

__all__ = [
    "AMOUNT_IN_SIZE_UNITS",
    "DECIMAL_PLACES",
    "TICK_SIZE",
    "contract_type_of",
    "market_to_instrument",
    "parse_balance",
    "parse_funding_rate",
    "parse_funding_rates",
    "parse_instruments",
    "parse_leverage_tiers",
    "parse_orders",
    "parse_position",
    "parse_positions",
    "parse_quotes",
    "tiers_to_margin",
    "to_time",
    "venue_symbol",
]

# ccxt ``exchange.precisionMode`` values (ccxt/base/decimal_to_precision.py)
DECIMAL_PLACES = 2
TICK_SIZE = 4

_Markets = Mapping[str, Mapping[str, Any]]

# Venues whose ccxt amounts are in the contract's size unit, not in contracts: Deribit sizes
# perpetuals and inverse futures in USD and linear futures in coin ("For perpetual and inverse
# futures the amount is in USD units", docs.deribit.com private/get_positions), while ccxt lists
# contractSize 10 for BTC-PERPETUAL. There a hedgekit contract count is amount / contract_size.
AMOUNT_IN_SIZE_UNITS = frozenset({"deribit"})


def _num(value: Any) -> float | None:
    """A finite float, or None for missing/empty/non-numeric values."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _positive(value: Any) -> float | None:
    x = _num(value)
    return x if x is not None and x > 0 else None


def to_time(ms: Any) -> datetime | None:
    """A UTC datetime from a ccxt millisecond timestamp (None when absent)."""
    x = _num(ms)
    if x is None or x <= 0:
        return None
    return datetime.fromtimestamp(x / 1000.0, tz=UTC)


def venue_symbol(market: Mapping[str, Any]) -> str:
    """The venue's own symbol of a ccxt market: its ``id`` (``BTCUSDT``), except where ccxt's id
    is an asset index (Hyperliquid ``"0"``): there the coin name (``BTC``) the venue shows."""
    mid = str(market.get("id", ""))
    if mid.isdigit():
        name = market.get("baseName") or (market.get("info") or {}).get("name")
        if name:
            return str(name)
    return mid


def contract_type_of(market: Mapping[str, Any]) -> ContractType:
    """linear / inverse / quanto from ccxt's ``linear``/``inverse`` flags (quanto: neither)."""
    if market.get("linear"):
        return ContractType.LINEAR
    if market.get("inverse"):
        return ContractType.INVERSE
    return ContractType.QUANTO


def _step(value: Any, precision_mode: int) -> float | None:
    """A size or price step from ccxt ``precision``: a tick size, or a count of decimals."""
    x = _num(value)
    if x is None:
        return None
    if precision_mode == TICK_SIZE:
        return x if x > 0 else None
    if precision_mode == DECIMAL_PLACES:
        return 10.0 ** (-x)
    return None  # significant digits: no fixed step


def market_to_instrument(market: Mapping[str, Any], *, precision_mode: int = TICK_SIZE,
                         funding_interval_hours: float | None = 8.0,
                         amount_in_size_units: bool = False) -> Instrument:
    """A ccxt market (swap or future) as an :class:`~hedgekit.instruments.Instrument`.

    ``contract_size`` is ccxt's ``contractSize`` (coin per contract for linear, USD face for
    inverse; 1 where ccxt gives none, as for Hyperliquid whose sizes are in coin); the lot is
    the amount precision (in contracts), the tick the price precision, the minimum notional
    ``limits.cost.min``, the largest order the venue's cap (see :func:`_max_order`).
    ``funding_interval_hours`` is the venue's (ccxt markets do not carry it).
    ``amount_in_size_units``: ccxt's amounts are in the size unit (see
    :data:`AMOUNT_IN_SIZE_UNITS`), so the lot in contracts is the amount step / contract size.
    A swap never expires (ccxt gives Deribit's perpetual a year-3000 expiry).
    """
    kind = contract_type_of(market)
    symbol = venue_symbol(market)
    if not market.get("contract"):
        raise InputError("market", f"{symbol} is not a futures contract", market.get("type"))
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    cost = limits.get("cost") or {}
    expiry = None if market.get("swap") else to_time(market.get("expiry"))
    size = _positive(market.get("contractSize")) or 1.0
    lot = _step(precision.get("amount"), precision_mode) or (size if amount_in_size_units else 1.0)
    return Instrument(
        symbol=symbol,
        contract_type=kind,
        contract_size=size,
        base=str(market.get("base") or ""),
        quote=str(market.get("quote") or "USD"),
        settle=str(market.get("settle") or ""),
        tick_size=_step(precision.get("price"), precision_mode) or 0.0,
        lot_size=lot / size if amount_in_size_units else lot,
        min_notional=_positive(cost.get("min")) or 0.0,
        max_order_contracts=_max_order(market, size if amount_in_size_units else 1.0),
        expiry=expiry,
        funding_interval_hours=None if expiry is not None else funding_interval_hours,
    )


def _max_order(market: Mapping[str, Any], per_contract: float) -> float | None:
    """The largest quantity one order may carry, in contracts (``per_contract`` amount units a
    contract), or None when the venue gives none: the smallest of ccxt's ``limits.amount.max``
    (Binance LOT_SIZE ``maxQty``, Bybit ``maxOrderQty``, OKX ``maxLmtSz``), ``limits.market.max``
    (Binance MARKET_LOT_SIZE ``maxQty``) and the market-order caps ccxt leaves in ``info``: Bybit
    ``lotSizeFilter.maxMktOrderQty`` (https://bybit-exchange.github.io/docs/v5/market/instrument)
    and OKX ``maxMktSz`` (contracts for a swap or future,
    https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments). The smallest fits a
    limit and a market order alike."""
    limits = market.get("limits") or {}
    info = market.get("info") or {}
    lot_filter = info.get("lotSizeFilter") if isinstance(info, Mapping) else None
    values = [(limits.get("amount") or {}).get("max"), (limits.get("market") or {}).get("max")]
    if isinstance(info, Mapping):
        values.append(info.get("maxMktSz"))
    if isinstance(lot_filter, Mapping):
        values.append(lot_filter.get("maxMktOrderQty"))
    caps = [x for v in values if (x := _positive(v)) is not None]
    return min(caps) / per_contract if caps else None


def parse_instruments(markets: _Markets, *, precision_mode: int = TICK_SIZE,
                      funding_interval_hours: float | None = 8.0,
                      amount_in_size_units: bool = False) -> dict[str, Instrument]:
    """Every active swap/future of a ccxt market list, keyed by venue symbol (spot and options
    are left out: hedgekit hedges with futures)."""
    out: dict[str, Instrument] = {}
    for market in markets.values():
        if not market.get("contract") or market.get("option") or market.get("active") is False:
            continue
        inst = market_to_instrument(market, precision_mode=precision_mode,
                                    funding_interval_hours=funding_interval_hours,
                                    amount_in_size_units=amount_in_size_units)
        out[inst.symbol] = inst
    return out


def parse_balance(balance: Mapping[str, Any], *, account: str) -> tuple[Balance, ...]:
    """Non-zero currencies of a ccxt ``fetch_balance`` answer (``total``/``free``/``used`` maps)."""
    totals = balance.get("total") or {}
    frees = balance.get("free") or {}
    useds = balance.get("used") or {}
    out: list[Balance] = []
    for currency in sorted(set(totals) | set(frees)):
        free, used = _num(frees.get(currency)), _num(useds.get(currency))
        total = _num(totals.get(currency))
        if total is None and free is not None:
            total = free + (used or 0.0)
        if not total:
            continue
        out.append(Balance(account=account, currency=str(currency), total=total, free=free, used=used))
    return tuple(out)


def _market_for(raw: Mapping[str, Any], markets: _Markets) -> Mapping[str, Any] | None:
    symbol = raw.get("symbol")
    return markets.get(symbol) if isinstance(symbol, str) else None


def _raw_id(raw: Mapping[str, Any]) -> str:
    info = raw.get("info") or {}
    for key in ("symbol", "instId", "instrument_name", "coin"):
        if isinstance(info, Mapping) and info.get(key):
            return str(info[key])
    return str(raw.get("symbol") or "?")


# Venue fields that give a position's direction when ccxt leaves ``side`` empty (ccxt derives
# Binance's side from the sign of ``notional``/``notionalValue``, which COIN-M rows may lack).
_SIDE_WORDS = {"long": Side.LONG, "short": Side.SHORT, "buy": Side.LONG, "sell": Side.SHORT}
_SIDE_FIELDS = ("positionSide", "posSide", "side", "direction")   # Binance, OKX, Bybit, Deribit
_SIGNED_FIELDS = ("positionAmt", "pos", "szi", "size")           # Binance, OKX, Hyperliquid, Deribit


def _side(raw: Mapping[str, Any]) -> Side | None:
    """ccxt's ``side``, else the venue's own direction field, else the sign of its signed size."""
    side = _SIDE_WORDS.get(str(raw.get("side") or "").lower())
    if side is not None:
        return side
    info = raw.get("info")
    if not isinstance(info, Mapping):
        return None
    for key in _SIDE_FIELDS:
        side = _SIDE_WORDS.get(str(info.get(key) or "").lower())
        if side is not None:
            return side
    for key in _SIGNED_FIELDS:
        x = _num(info.get(key))
        if x:
            return Side.LONG if x > 0 else Side.SHORT
    return None


def _margin_mode(raw: Mapping[str, Any]) -> MarginMode | None:
    """ccxt's ``marginMode``, else the venue's field: Bybit ``tradeMode`` (0 cross, 1 isolated,
    v5 position docs), OKX ``mgnMode``, Binance ``marginType``."""
    words = {"cross": MarginMode.CROSS, "crossed": MarginMode.CROSS, "isolated": MarginMode.ISOLATED}
    mode = words.get(str(raw.get("marginMode") or "").lower())
    info = raw.get("info")
    if mode is not None or not isinstance(info, Mapping):
        return mode
    for key in ("mgnMode", "marginType"):
        mode = words.get(str(info.get(key) or "").lower())
        if mode is not None:
            return mode
    trade_mode = str(info.get("tradeMode", ""))
    return {"0": MarginMode.CROSS, "1": MarginMode.ISOLATED}.get(trade_mode)


def parse_position(raw: Mapping[str, Any], *, account: str, venue: str, market: Mapping[str, Any],
                   funding: FundingInfo | None = None, as_of: datetime | None = None) -> Position | None:
    """One ccxt position as a :class:`Position`; None for an empty slot (zero contracts).

    Raises :class:`DataError` when a non-empty position has no side. ``notional_usd`` comes from
    the contract's own math (:meth:`Instrument.notional_usd`); ``as_of`` is the venue's timestamp,
    else the given fetch time.
    """
    contracts = _num(raw.get("contracts"))
    if not contracts:
        return None
    side = _side(raw)
    if side is None:
        raise DataError(f"position {_raw_id(raw)}: the venue gave no side (got {raw.get('side')!r})")
    kind = contract_type_of(market)
    size = _positive(raw.get("contractSize")) or _positive(market.get("contractSize")) or 1.0
    contracts = abs(contracts) / size if venue in AMOUNT_IN_SIZE_UNITS else abs(contracts)
    mark = _positive(raw.get("markPrice"))
    inst = Instrument(symbol=venue_symbol(market), contract_type=kind, contract_size=size,
                      base=str(market.get("base") or ""), quote=str(market.get("quote") or "USD"),
                      settle=str(market.get("settle") or market.get("quote") or "USD"))
    if kind is ContractType.INVERSE or (kind is ContractType.LINEAR and mark is not None):
        notional = inst.notional_usd(contracts, mark or 1.0)  # inverse face value ignores the price
    else:
        notional = None
    return Position(
        account=account,
        venue=venue,
        symbol=inst.symbol,
        contract_type=kind,
        side=side,
        contracts=contracts,
        contract_size=size,
        entry_price=_positive(raw.get("entryPrice")),
        mark_price=mark,
        notional_usd=notional,
        unrealized_pnl=_num(raw.get("unrealizedPnl")),
        pnl_currency=inst.settle,
        margin_mode=_margin_mode(raw),
        leverage=_positive(raw.get("leverage")),
        liquidation_price_venue=_positive(raw.get("liquidationPrice")),
        funding_rate=funding.rate if funding is not None else None,
        next_funding_time=funding.next_time if funding is not None else None,
        as_of=to_time(raw.get("timestamp")) or as_of,
        collateral=_positive(raw.get("collateral")) or _positive(raw.get("initialMargin")),
    )


def parse_positions(raws: Iterable[Mapping[str, Any]], *, account: str, venue: str,
                    markets: _Markets, funding: Mapping[str, FundingInfo] | None = None,
                    as_of: datetime | None = None,
                    ) -> tuple[tuple[Position, ...], tuple[SkippedRecord, ...]]:
    """ccxt ``fetch_positions`` -> (positions, skipped). Hedge mode gives two records (long and
    short) on one symbol; isolated and cross parse alike. A position whose symbol is not in
    ``markets`` (ccxt unified symbol -> market) is skipped with its reason."""
    positions: list[Position] = []
    skipped: list[SkippedRecord] = []
    funding = funding or {}
    for raw in raws:
        market = _market_for(raw, markets)
        if market is None:
            if _num(raw.get("contracts")):
                skipped.append(SkippedRecord(
                    account=account, kind="position", symbol=_raw_id(raw),
                    reason="symbol not in the venue's market list (delisted, or markets not reloaded)"))
            continue
        try:
            pos = parse_position(raw, account=account, venue=venue, market=market,
                                 funding=funding.get(venue_symbol(market)), as_of=as_of)
        except (DataError, InputError) as exc:
            skipped.append(SkippedRecord(account=account, kind="position", symbol=venue_symbol(market),
                                         reason=str(exc)))
            continue
        if pos is not None:
            positions.append(pos)
    return tuple(positions), tuple(skipped)


def parse_orders(raws: Iterable[Mapping[str, Any]], *, account: str, markets: _Markets,
                 venue: str = "") -> tuple[tuple[OpenOrder, ...], tuple[SkippedRecord, ...]]:
    """ccxt ``fetch_open_orders`` -> (orders, skipped). ``contracts`` is what remains open
    (buy -> long, sell -> short)."""
    orders: list[OpenOrder] = []
    skipped: list[SkippedRecord] = []
    for raw in raws:
        market = _market_for(raw, markets)
        side_text = str(raw.get("side") or "").lower()
        if market is None or side_text not in ("buy", "sell"):
            why = "symbol not in the venue's market list" if market is None else "no side"
            skipped.append(SkippedRecord(account=account, kind="order", symbol=_raw_id(raw), reason=why))
            continue
        remaining = _num(raw.get("remaining"))
        contracts = remaining if remaining is not None else _num(raw.get("amount"))
        if not contracts:
            continue
        if venue in AMOUNT_IN_SIZE_UNITS:
            contracts /= _positive(market.get("contractSize")) or 1.0
        orders.append(OpenOrder(
            account=account,
            symbol=venue_symbol(market),
            side=Side.LONG if side_text == "buy" else Side.SHORT,
            contracts=abs(contracts),
            price=_positive(raw.get("price")),
            order_type=str(raw.get("type") or ""),
            reduce_only=bool(raw.get("reduceOnly")),
            order_id=str(raw.get("id") or ""),
            as_of=to_time(raw.get("timestamp")),
        ))
    return tuple(orders), tuple(skipped)


def _latest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def parse_quotes(tickers: Mapping[str, Mapping[str, Any]], *, markets: _Markets,
                 mark_prices: Mapping[str, Mapping[str, Any]] | None = None,
                 ) -> dict[str, MarketQuote]:
    """ccxt tickers (and, where the venue serves them apart, ``fetch_mark_prices``) -> quotes by
    venue symbol. Mark and index come from the mark-price answer when given, else the ticker's
    ``markPrice``/``indexPrice``; ``last`` from the ticker. Symbols not in ``markets`` are left out."""
    marks = mark_prices or {}
    out: dict[str, MarketQuote] = {}
    for symbol in set(tickers) | set(marks):
        market = markets.get(symbol)
        if market is None or not market.get("contract"):
            continue
        t = tickers.get(symbol) or {}
        m = marks.get(symbol) or {}
        out[venue_symbol(market)] = MarketQuote(
            symbol=venue_symbol(market),
            mark=_positive(m.get("markPrice")) or _positive(t.get("markPrice")),
            index=_positive(m.get("indexPrice")) or _positive(t.get("indexPrice")),
            last=_positive(t.get("last")),
            as_of=_latest(to_time(t.get("timestamp")), to_time(m.get("timestamp"))),
        )
    return out


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")


def _interval_hours(text: Any) -> float | None:
    match = _INTERVAL.match(str(text or ""))
    if not match:
        return None
    n, unit = float(match.group(1)), match.group(2)
    return n / 60.0 if unit == "m" else n * 24.0 if unit == "d" else n


def parse_funding_rate(raw: Mapping[str, Any], *, market: Mapping[str, Any],
                       default_interval_hours: float | None = None) -> FundingInfo | None:
    """A ccxt funding-rate structure -> :class:`FundingInfo` (None without a rate).

    ``next_time`` is ccxt's ``fundingTimestamp`` (the next settlement), else
    ``nextFundingTimestamp``; the interval is ccxt's ``interval`` (``"8h"``) or the venue default.
    """
    rate = _num(raw.get("fundingRate"))
    if rate is None:
        return None
    return FundingInfo(
        symbol=venue_symbol(market),
        rate=rate,
        interval_hours=_interval_hours(raw.get("interval")) or default_interval_hours,
        next_time=to_time(raw.get("fundingTimestamp")) or to_time(raw.get("nextFundingTimestamp")),
        as_of=to_time(raw.get("timestamp")),
    )


def parse_funding_rates(raws: Mapping[str, Mapping[str, Any]], *, markets: _Markets,
                        default_interval_hours: float | None = None) -> dict[str, FundingInfo]:
    """ccxt ``fetch_funding_rates`` (unified symbol -> structure) -> FundingInfo by venue symbol."""
    out: dict[str, FundingInfo] = {}
    for symbol, raw in raws.items():
        market = markets.get(symbol)
        if market is None:
            continue
        info = parse_funding_rate(raw, market=market, default_interval_hours=default_interval_hours)
        if info is not None:
            out[info.symbol] = info
    return out


def _rate(tier: Mapping[str, Any]) -> float | None:
    """The tier's maintenance rate as a fraction. ccxt passes Bybit's ``maintenanceMargin``
    through as is, and Bybit's risk-limit docs example quotes it in percent (MM "0.5", IM "1"
    at 100x): a tier whose initial rate times max leverage is 100 rather than 1 is in percent."""
    mmr = _num(tier.get("maintenanceMarginRate"))
    info = tier.get("info")
    im = _num(info.get("initialMargin")) if isinstance(info, Mapping) else None
    lev = _num(tier.get("maxLeverage"))
    if mmr is not None and im and lev and math.isclose(im * lev, 100.0, rel_tol=0.02):
        return mmr / 100.0
    return mmr


def tiers_to_margin(tiers: Iterable[Mapping[str, Any]], *, symbol: str = "") -> tuple[MarginTier, ...]:
    """ccxt leverage tiers (``minNotional``, ``maxNotional``, ``maintenanceMarginRate``,
    ``maxLeverage``) -> :class:`~hedgekit.margin.MarginTier` via :func:`hedgekit.margin.build_tiers`,
    which computes each tier's maintenance amount from the floors (Binance leverage-bracket FAQ).
    Bounds are in the tier's currency (ccxt ``currency``: the settle currency). A table that is
    not contiguous raises :class:`DataError` naming the symbol."""
    rows: list[Any] = []  # None bounds or rates make build_tiers refuse the table (DataError below)
    for t in sorted(tiers, key=lambda t: _num(t.get("minNotional")) or 0.0):
        rows.append((_num(t.get("minNotional")) or 0.0, _num(t.get("maxNotional")),
                     _rate(t), _num(t.get("maxLeverage"))))
    try:
        return build_tiers(rows)
    except InputError as exc:
        raise DataError(f"leverage tiers of {symbol or '?'}: {exc}") from None


def parse_leverage_tiers(raws: Mapping[str, Iterable[Mapping[str, Any]]], *, markets: _Markets,
                         ) -> dict[str, tuple[MarginTier, ...]]:
    """ccxt ``fetch_leverage_tiers`` (unified symbol -> tiers) -> MarginTier tables by venue symbol."""
    out: dict[str, tuple[MarginTier, ...]] = {}
    for symbol, tiers in raws.items():
        market = markets.get(symbol)
        if market is None:
            continue
        out[venue_symbol(market)] = tiers_to_margin(tiers, symbol=venue_symbol(market))
    return out
