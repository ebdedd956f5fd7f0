"""Futures contracts and their payoff math: notional, PnL, funding, fees.

One class, :class:`Instrument`, covers the three contract kinds; the linear / inverse / quanto
branch lives here and nowhere else. Units (``s`` = +1 long, -1 short, ``n`` = contracts,
``C`` = ``contract_size``):

============  =========================  ==============================  ===========================
kind          contract_size C            PnL (settle currency)           notional
============  =========================  ==============================  ===========================
linear        base coin per contract     s*n*C*(exit - entry)  [quote]   n*C coin, n*C*P quote
inverse       USD face per contract      s*n*C*(1/entry - 1/exit) [coin] n*C/P coin, n*C USD
quanto        settle coin per USD point  s*n*C*(exit - entry) [settle]   n*C*P settle coin
============  =========================  ==============================  ===========================

Sources (with worked examples): BitMEX inverse and quanto guides
(https://www.bitmex.com/app/inversePerpetualsGuide, https://bitmex.com/app/quantoPerpetualsGuide),
Bybit P&L pages (https://www.bybit-global.com/en/help-center/article/FAQ-PL-Calculation), Binance's futures
beginner's guide (https://binance.com/en-IN/support/announcement/a-beginner-s-guide-to-futures-trading-360039304272)
and OKX's contract PnL page (https://okx.com/fr/help/iii-calculation-of-contract-profit-and-loss).

Linear contracts are quoted and settled in a USD stablecoin, which hedgekit values at 1 USD.
Contracts are always a positive count; direction is the separate :class:`Side`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hedgekit.errors import InputError, check_nonnegative, check_positive

__all__ = [
    "ContractType",
    "Instrument",
    "MarginMode",
    "Side",
    "average_entry",
]

_LOT_EPS = 1e-9  # relative slack when snapping a float count to a whole number of lots


class ContractType(StrEnum):
    LINEAR = "linear"
    INVERSE = "inverse"
    QUANTO = "quanto"


class Side(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        """+1 for long, -1 for short."""
        return 1 if self is Side.LONG else -1

    @property
    def opposite(self) -> Side:
        return Side.SHORT if self is Side.LONG else Side.LONG


class MarginMode(StrEnum):
    ISOLATED = "isolated"
    CROSS = "cross"


@dataclass(frozen=True, kw_only=True, slots=True)
class Instrument:
    """A futures contract specification.

    Attributes:
        symbol: venue symbol, e.g. ``BTCUSDT`` or ``BTCUSD_PERP``.
        contract_type: linear, inverse or quanto.
        contract_size: base coin per contract (linear), USD face value per contract (inverse),
            settle coin per 1 USD of price per contract (quanto multiplier).
        base: the coin whose price the contract tracks (``BTC``).
        quote: the pricing currency (``USDT``, ``USD``).
        settle: the currency PnL, margin and fees are paid in. Defaults to ``quote`` for
            linear and ``base`` for inverse; must be given for quanto.
        tick_size: price increment (0 = unknown).
        lot_size: order size increment in contracts.
        min_notional: smallest order notional in the quote currency (0 = none).
        max_order_contracts: largest quantity one order may carry, in contracts (``None`` =
            the venue gives none): Binance's LOT_SIZE / MARKET_LOT_SIZE ``maxQty``, Bybit's
            ``maxOrderQty``, OKX's ``maxLmtSz``, as ccxt's ``limits.amount.max``.
        expiry: settlement time of a dated future; ``None`` for a perpetual.
        funding_interval_hours: hours between funding settlements of a perpetual
            (``None`` for dated futures; 0 for continuous accrual as on Deribit).
    """

    symbol: str
    contract_type: ContractType
    contract_size: float
    base: str
    quote: str = "USD"
    settle: str = ""
    tick_size: float = 0.0
    lot_size: float = 1.0
    min_notional: float = 0.0
    max_order_contracts: float | None = None
    expiry: datetime | None = None
    funding_interval_hours: float | None = 8.0

    def __post_init__(self) -> None:
        try:
            kind = ContractType(self.contract_type)
        except ValueError:
            raise InputError("contract_type", "must be one of linear, inverse, quanto",
                             self.contract_type) from None
        object.__setattr__(self, "contract_type", kind)
        check_positive("contract_size", self.contract_size)
        check_positive("lot_size", self.lot_size)
        check_nonnegative("tick_size", self.tick_size)
        check_nonnegative("min_notional", self.min_notional)
        if self.max_order_contracts is not None:
            check_positive("max_order_contracts", self.max_order_contracts)
        if not self.settle:
            if kind is ContractType.QUANTO:
                raise InputError("settle", "a quanto contract needs its settle currency", self.settle)
            object.__setattr__(self, "settle", self.base if kind is ContractType.INVERSE else self.quote)
        if self.expiry is not None:
            object.__setattr__(self, "funding_interval_hours", None)

    # ------------------------------------------------------------------ kind
    @property
    def is_linear(self) -> bool:
        return self.contract_type is ContractType.LINEAR

    @property
    def is_inverse(self) -> bool:
        return self.contract_type is ContractType.INVERSE

    @property
    def is_quanto(self) -> bool:
        return self.contract_type is ContractType.QUANTO

    @property
    def is_perpetual(self) -> bool:
        return self.expiry is None

    # ------------------------------------------------------------- notional
    def notional_settle(self, contracts: float, price: float) -> float:
        """Position value in the settle currency at ``price`` (unsigned).

        linear ``n*C*P`` quote; inverse ``n*C/P`` coin; quanto ``n*C*P`` settle coin.
        """
        n = contracts * self.contract_size
        if self.contract_type is ContractType.INVERSE:
            return n / price
        return n * price

    def notional_coin(self, contracts: float, price: float) -> float:
        """Exposure in units of the base coin (unsigned): what the position hedges.

        linear ``n*C``; inverse ``n*C/P``; quanto ``n*C*P*settle_usd/P``, which needs the settle
        coin's price and so is given by :meth:`notional_usd` / price instead.
        """
        if self.contract_type is ContractType.LINEAR:
            return contracts * self.contract_size
        if self.contract_type is ContractType.INVERSE:
            return contracts * self.contract_size / price
        raise InputError("contract_type", "quanto coin exposure needs the settle price; "
                         "use notional_usd(...)/price", "quanto", show_value=False)

    def notional_usd(self, contracts: float, price: float, settle_usd: float | None = None) -> float:
        """Position value in USD at ``price`` (unsigned).

        ``settle_usd`` is the USD price of the settle coin, needed for quanto only
        (linear settles in a USD stablecoin valued at 1; inverse face value is in USD).
        """
        if self.contract_type is ContractType.LINEAR:
            return contracts * self.contract_size * price
        if self.contract_type is ContractType.INVERSE:
            return contracts * self.contract_size
        if settle_usd is None:
            raise InputError("settle_usd", "a quanto contract needs the settle coin's USD price",
                             settle_usd)
        return contracts * self.contract_size * price * settle_usd

    # ------------------------------------------------------------------ PnL
    def pnl(self, side: Side | str, contracts: float, entry: float, exit: float) -> float:
        """PnL in the settle currency of ``contracts`` opened at ``entry`` and valued at ``exit``.

        Realised when ``exit`` is a fill price, unrealised when it is the mark.
        linear/quanto ``s*n*C*(exit - entry)``; inverse ``s*n*C*(1/entry - 1/exit)``.
        """
        s = Side(side).sign
        n = contracts * self.contract_size
        if self.contract_type is ContractType.INVERSE:
            return s * n * (1.0 / entry - 1.0 / exit)
        return s * n * (exit - entry)

    def settle_to_usd(self, amount: float, price: float, settle_usd: float | None = None) -> float:
        """Convert an amount in the settle currency to USD.

        Inverse amounts are coin, valued at ``price`` (the coin's USD price at that moment);
        linear amounts are already USD; quanto amounts need ``settle_usd``.
        """
        if self.contract_type is ContractType.LINEAR:
            return amount
        if self.contract_type is ContractType.INVERSE:
            return amount * price
        if settle_usd is None:
            raise InputError("settle_usd", "a quanto contract needs the settle coin's USD price",
                             settle_usd)
        return amount * settle_usd

    def pnl_usd(self, side: Side | str, contracts: float, entry: float, exit: float,
                settle_usd: float | None = None) -> float:
        """PnL in USD: the settle-currency PnL valued at ``exit`` (inverse) or ``settle_usd`` (quanto)."""
        return self.settle_to_usd(self.pnl(side, contracts, entry, exit), exit, settle_usd)

    def delta_coin(self, side: Side | str, contracts: float, entry: float,
                   settle_usd: float | None = None) -> float:
        """Signed exposure of a held position to its base coin, in coins (short < 0): the
        change of its USD value per 1 USD move of the price.

        linear ``s*n*C``; quanto ``s*n*C*settle_usd``; inverse ``s*n*C/entry``: the USD value
        of an inverse PnL is ``s*N*(1/entry - 1/P)*P = s*N*(P/entry - 1)``, linear in ``P`` with
        slope ``s*N/entry``, so a position keeps the delta of the price it was opened at (a
        100,000 USD short opened at 50,000 hedges 2 coins at every later price).
        """
        s = Side(side).sign
        n = contracts * self.contract_size
        if self.contract_type is ContractType.INVERSE:
            return s * n / entry
        if self.contract_type is ContractType.QUANTO:
            if settle_usd is None:
                raise InputError("settle_usd", "a quanto contract needs the settle coin's USD price",
                                 settle_usd)
            return s * n * settle_usd
        return s * n

    # -------------------------------------------------------- funding, fees
    def funding(self, side: Side | str, contracts: float, ref_price: float, rate: float) -> float:
        """Funding received by the position for one settlement, in the settle currency.

        ``rate`` is the fraction for that interval; a positive rate means longs pay shorts,
        so the result is ``-s * notional_settle(ref_price) * rate`` (> 0 when received).
        ``ref_price`` is the venue's reference price: mark on CEXs, oracle on-chain.
        """
        return -Side(side).sign * self.notional_settle(contracts, ref_price) * rate

    def fee(self, contracts: float, price: float, rate: float) -> float:
        """Trading fee in the settle currency (positive = paid; a maker rebate is a negative rate)."""
        return self.notional_settle(contracts, price) * rate

    # ------------------------------------------------------------ rounding
    def round_contracts(self, contracts: float, mode: str = "down") -> float:
        """Snap a contract count to a whole number of lots (``down``, ``up`` or ``nearest``).

        A count within a relative 1e-9 of a lot boundary counts as on it, so float noise in
        ``ratio * exposure / size`` never adds or drops a lot.
        """
        lots = contracts / self.lot_size
        nearest = round(lots)
        if abs(lots - nearest) <= _LOT_EPS * max(1.0, abs(lots)):
            whole = nearest
        elif mode == "down":
            whole = math.floor(lots)
        elif mode == "up":
            whole = math.ceil(lots)
        elif mode == "nearest":
            whole = nearest
        else:
            raise InputError("mode", "must be one of down, up, nearest", mode)
        return whole * self.lot_size


def average_entry(instrument: Instrument, fills: Iterable[tuple[float, float]]) -> float:
    """Average entry price after several fills on the same side, given ``(contracts, price)`` pairs.

    Linear and quanto: arithmetic, ``sum(n*p) / sum(n)``. Inverse: harmonic,
    ``sum(n) / sum(n/p)`` — the price at which the total USD face buys the total coin
    (Bybit "average entry = total qty / total BTC value"; OKX coin-margined averaging).
    """
    total_n = 0.0
    acc = 0.0
    for n, p in fills:
        check_positive("contracts", n)
        check_positive("price", p)
        total_n += n
        acc += n / p if instrument.is_inverse else n * p
    if total_n == 0:
        raise InputError("fills", "needs at least one fill", [], show_value=False)
    return total_n / acc if instrument.is_inverse else acc / total_n
