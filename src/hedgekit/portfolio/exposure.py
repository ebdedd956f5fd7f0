"""Exposures: what each asset contributes to the book at the current prices (value in USD,
delta in coin), and the notes on what a futures hedge cannot remove (unlocks, pool gamma).

Exposure is delta, not value: a pool position contributes the tokens it holds at the current
pool price (see :mod:`hedgekit.portfolio.pools`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hedgekit.errors import InputError
from hedgekit.portfolio.pools import LPState, resolve_pool
from hedgekit.portfolio.schema import HoldingKind, Portfolio

__all__ = ["STABLECOINS", "Exposure", "PortfolioExposure", "compute_exposures", "is_cash",
           "price_of"]

#: Symbols valued as cash at 1 USD unless ``prices`` says otherwise (a depeg).
STABLECOINS = frozenset({
    "USD", "USDT", "USDC", "DAI", "BUSD", "TUSD", "USDP", "FDUSD", "PYUSD", "USDE", "FRAX",
    "LUSD", "GUSD", "USDS", "CRVUSD", "GHO", "USDD",
})



@dataclass(frozen=True, kw_only=True, slots=True)
class Exposure:
    """What one asset contributes to the book at the current price.

    ``amount`` is the coins held (pool tokens at the current price included); ``delta_coin``
    is d(book value in USD)/d(asset price in USD), in coins — the quantity a futures hedge
    offsets (equal to ``amount`` for spot, staked, lent and pool positions);
    ``value_usd = amount * price``.
    """

    asset: str
    amount: float
    price: float
    value_usd: float
    delta_coin: float
    is_cash: bool
    locked_amount: float = 0.0
    max_unlock_days: float = 0.0
    lp_amount: float = 0.0
    yield_coin_per_year: float = 0.0
    sources: tuple[int, ...] = ()

    @property
    def delta_usd(self) -> float:
        return self.delta_coin * self.price

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset, "amount": self.amount, "price": self.price,
            "value_usd": self.value_usd, "delta_coin": self.delta_coin,
            "delta_usd": self.delta_usd, "is_cash": self.is_cash,
            "locked_amount": self.locked_amount, "max_unlock_days": self.max_unlock_days,
            "lp_amount": self.lp_amount, "yield_coin_per_year": self.yield_coin_per_year,
            "holdings": list(self.sources),
        }



@dataclass(frozen=True, kw_only=True, slots=True)
class PortfolioExposure:
    """Exposures per asset plus what a futures hedge cannot remove."""

    exposures: tuple[Exposure, ...]
    prices: Mapping[str, float]
    pools: tuple[LPState, ...] = ()
    unhedgeable: tuple[str, ...] = ()
    yield_per_year_usd: float = 0.0
    custody: Mapping[str, float] = field(default_factory=dict)  # holding venue -> USD value
    _by_asset: dict[str, Exposure] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # get() is called once per leg and asset: a dict keeps planning linear in the holdings
        index: dict[str, Exposure] = {}
        for e in self.exposures:
            index.setdefault(e.asset, e)
        object.__setattr__(self, "_by_asset", index)

    @property
    def total_value_usd(self) -> float:
        return sum(e.value_usd for e in self.exposures)

    @property
    def risky(self) -> tuple[Exposure, ...]:
        """Exposures a hedge acts on: non-cash assets with a non-zero delta."""
        return tuple(e for e in self.exposures if not e.is_cash and e.delta_coin != 0)

    def get(self, asset: str) -> Exposure | None:
        return self._by_asset.get(asset)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exposures": [e.to_dict() for e in self.exposures],
            "total_value_usd": self.total_value_usd,
            "pools": [p.to_dict() for p in self.pools],
            "unhedgeable": list(self.unhedgeable),
            "yield_per_year_usd": self.yield_per_year_usd,
            "custody_usd": dict(self.custody),
        }


def is_cash(asset: str) -> bool:
    return asset in STABLECOINS


def price_of(asset: str, prices: Mapping[str, float], where: str) -> float:
    """USD price of ``asset``; stablecoins default to 1. ``where`` names the entry for errors."""
    p = prices.get(asset)
    if p is not None:
        return p
    if is_cash(asset):
        return 1.0
    raise InputError(where, f"no price for {asset}; add it under prices: (e.g. {asset}: 123.4) "
                     "or import history with 'hedgekit data'", show_value=False)


@dataclass(slots=True)
class _Acc:
    amount: float = 0.0
    locked: float = 0.0
    unlock: float = 0.0
    lp: float = 0.0
    yield_coin: float = 0.0
    sources: list[int] = field(default_factory=list)


_IL_MOVE = 0.20  # the move at which impermanent loss is quoted in the notes


def compute_exposures(portfolio: Portfolio, prices: Mapping[str, float] | None = None
                      ) -> PortfolioExposure:
    """Exposures per asset (value in USD, delta in coin) at ``prices`` (default: the file's).

    Pool positions are resolved at the current pool price ``P_base / P_quote``; the amounts in
    the file fix the liquidity ``L`` (see :func:`lp_liquidity_from_amounts`).
    """
    px = dict(portfolio.prices if prices is None else prices)
    acc: dict[str, _Acc] = {}
    pools: list[LPState] = []
    notes: list[str] = []
    custody: dict[str, float] = {}
    yield_usd = 0.0

    def add(asset: str, amount: float, i: int) -> _Acc:
        a = acc.setdefault(asset, _Acc())
        a.amount += amount
        if not a.sources or a.sources[-1] != i:  # holdings come in order: no list scan (linear time)
            a.sources.append(i)
        return a

    for i, h in enumerate(portfolio.holdings):
        if h.kind is HoldingKind.LP:
            pb = price_of(h.base, px, f"holdings[{i}].pool")
            pq = price_of(h.quote, px, f"holdings[{i}].pool")  # type: ignore[arg-type]
            state = resolve_pool(i, h, pb / pq)
            pools.append(state)
            add(h.base, state.amount_base, i).lp += state.amount_base
            add(h.quote, state.amount_quote, i).lp += state.amount_quote  # type: ignore[arg-type]
            notes.append(_lp_note(state, pq))
            continue
        price = price_of(h.asset, px, f"holdings[{i}].asset")  # type: ignore[arg-type]
        if h.kind is HoldingKind.BORROWED:
            coin, owed = h.asset or "", h.amount or 0.0  # both required by Holding's validator
            add(coin, -owed, i)
            yield_usd -= owed * price * h.apy
            notes.append(f"holdings[{i}]: {owed:g} {coin} borrowed: a short exposure that "
                         f"offsets the book's {coin} (the hedge is reduced by it); the loan's own "
                         "collateral ratio and liquidation are not modelled")
            continue
        a = add(h.asset, h.amount, i)  # type: ignore[arg-type]
        if h.venue:
            custody[h.venue.lower()] = custody.get(h.venue.lower(), 0.0) + h.amount * price  # type: ignore[operator]
        if h.kind in (HoldingKind.STAKED, HoldingKind.LENT):
            yield_usd += h.amount * price * h.apy  # type: ignore[operator]
            a.yield_coin += h.amount * h.apy  # type: ignore[operator]
            if h.unlock_days > 0:
                a.locked += h.amount  # type: ignore[operator]
                a.unlock = max(a.unlock, h.unlock_days)
                notes.append(
                    f"holdings[{i}]: {h.amount:g} {h.asset} {h.kind.value} with a "
                    f"{h.unlock_days:g}-day unlock: they cannot be sold or posted as margin "
                    "quickly if the hedge needs collateral; the lock itself cannot be hedged")
    exposures = []
    for asset, a in acc.items():
        price = price_of(asset, px, "prices")
        cash = is_cash(asset)
        exposures.append(Exposure(
            asset=asset, amount=a.amount, price=price, value_usd=a.amount * price,
            delta_coin=a.amount, is_cash=cash, locked_amount=a.locked,
            max_unlock_days=a.unlock, lp_amount=a.lp, yield_coin_per_year=a.yield_coin,
            sources=tuple(a.sources)))
    return PortfolioExposure(exposures=tuple(exposures), prices=px, pools=tuple(pools),
                             unhedgeable=tuple(notes), yield_per_year_usd=yield_usd,
                             custody=custody)


def _lp_note(s: LPState, quote_usd: float) -> str:
    down = s.gamma_loss(-_IL_MOVE) * quote_usd
    up = s.gamma_loss(_IL_MOVE) * quote_usd
    where = "" if s.in_range else " (out of range: no gamma until the price re-enters it)"
    text = (f"holdings[{s.index}]: {s.pool} LP delta is {s.amount_base:.6g} {s.base} now and "
            f"changes with price (gamma){where}; a static futures hedge leaves impermanent loss "
            f"of {down:,.0f} USD at -20% and {up:,.0f} USD at +20% of {s.base}/{s.quote}")
    if s.entry_price is not None and abs(s.entry_price / s.price - 1) > 0.005:
        text += (f"; the file's amounts imply a pool price of {s.entry_price:,.6g}, so they were "
                 f"re-balanced to the current {s.price:,.6g}")
    return text
