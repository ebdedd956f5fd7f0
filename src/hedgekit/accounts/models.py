"""What an account holds and what its venue quotes, as plain frozen records.

These are the only objects the rest of hedgekit sees of a live venue: the parsers in
:mod:`hedgekit.accounts.parse` build them from ccxt's unified answers. Units are named per
field; times are timezone-aware UTC ``datetime`` values (``None`` when the venue gave none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hedgekit.instruments import ContractType, Instrument, MarginMode, Side
from hedgekit.margin import MarginTier

__all__ = [
    "AccountState",
    "Balance",
    "FundingInfo",
    "MarketQuote",
    "MarketState",
    "OpenOrder",
    "Position",
    "SkippedRecord",
]


def _plain(value: Any) -> Any:
    """A JSON-ready value: enums as their string, datetimes as ISO 8601, tuples as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ContractType | MarginMode | Side):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class _Record:
    """``to_dict`` for the slotted dataclasses below (what ``--json`` prints)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        names: tuple[str, ...] = self.__slots__  # type: ignore[attr-defined]  # the dataclass's slots
        return {name: _plain(getattr(self, name)) for name in names}


@dataclass(frozen=True, kw_only=True, slots=True)
class Balance(_Record):
    """One currency of an account's wallet: ``total = free + used`` in ``currency`` units."""

    account: str
    currency: str
    total: float
    free: float | None
    used: float | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Position(_Record):
    """One open position as the venue reports it.

    ``contracts`` is a positive count and ``side`` the direction (hedge mode gives a long and a
    short on the same symbol as two records). ``contract_size`` is coin per contract (linear)
    or USD face per contract (inverse); ``notional_usd`` is ``contracts*contract_size*mark``
    (linear, a USD stablecoin at 1 USD) or ``contracts*contract_size`` (inverse face value);
    ``None`` for quanto contracts, whose USD value needs the settle coin's price.
    ``unrealized_pnl`` is in ``pnl_currency`` (the settle currency). ``liquidation_price_venue``
    is the venue's own figure; ``None`` when the venue reports none (or 0).
    """

    account: str
    venue: str
    symbol: str
    contract_type: ContractType
    side: Side
    contracts: float
    contract_size: float
    entry_price: float | None
    mark_price: float | None
    notional_usd: float | None
    unrealized_pnl: float | None
    pnl_currency: str
    margin_mode: MarginMode | None
    leverage: float | None
    liquidation_price_venue: float | None
    funding_rate: float | None
    next_funding_time: datetime | None
    as_of: datetime | None
    collateral: float | None = None  # margin backing an isolated position, in pnl_currency


@dataclass(frozen=True, kw_only=True, slots=True)
class OpenOrder(_Record):
    """A resting order: ``contracts`` still open (positive), ``price`` None for a market/stop order."""

    account: str
    symbol: str
    side: Side
    contracts: float
    price: float | None
    order_type: str
    reduce_only: bool
    order_id: str
    as_of: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MarketQuote(_Record):
    """Prices of one contract in its quote currency; each ``None`` when the venue gave none."""

    symbol: str
    mark: float | None
    index: float | None
    last: float | None
    as_of: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class FundingInfo(_Record):
    """The current funding rate of a perpetual: ``rate`` is the fraction charged per
    ``interval_hours`` (positive: longs pay shorts), settled next at ``next_time``."""

    symbol: str
    rate: float
    interval_hours: float | None
    next_time: datetime | None
    as_of: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class SkippedRecord(_Record):
    """A record the parser could not turn into a domain object, and why (never silent)."""

    account: str
    kind: str      # "position", "order", "funding"
    symbol: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountState(_Record):
    """Everything read from one account at ``as_of``."""

    account: str
    venue: str
    as_of: datetime
    balances: tuple[Balance, ...] = ()
    positions: tuple[Position, ...] = ()
    open_orders: tuple[OpenOrder, ...] = ()
    skipped: tuple[SkippedRecord, ...] = field(default=())

    def position(self, symbol: str, side: Side | str | None = None) -> tuple[Position, ...]:
        """Positions in ``symbol`` (both legs in hedge mode), optionally of one ``side``."""
        want = Side(side) if side is not None else None
        return tuple(p for p in self.positions
                     if p.symbol == symbol and (want is None or p.side is want))


@dataclass(frozen=True, kw_only=True, slots=True)
class MarketState:
    """A venue's public state read through one account: contract specs, prices, funding, tiers."""

    venue: str
    as_of: datetime
    instruments: Mapping[str, Instrument] = field(default_factory=dict)
    quotes: Mapping[str, MarketQuote] = field(default_factory=dict)
    funding: Mapping[str, FundingInfo] = field(default_factory=dict)
    tiers: Mapping[str, tuple[MarginTier, ...]] = field(default_factory=dict)
