"""The market as the planner sees it: one immutable snapshot, every value with its source and time.

Sources (the book file, the local data store, later the live venue) *build* a
:class:`MarketSnapshot`; :func:`hedgekit.planner.plan` only *reads* one. That keeps the planner
free of I/O: the same book and the same snapshot give the same plan on any machine.

What a snapshot must hold for a given book is a :class:`MarketNeeds`
(:func:`hedgekit.planner.market_needs` computes it without touching a disk or a clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from hedgekit.instruments import Instrument
from hedgekit.margin import MarginTier
from hedgekit.venues import VenuePreset, get_venue

__all__ = [
    "BetaEstimate",
    "BetaNeed",
    "FundingNeed",
    "FundingPoint",
    "MarketNeeds",
    "MarketSnapshot",
    "PricePoint",
]

FILE = "file"     # typed into the book file (no time)
GIVEN = "given"   # passed by the caller of plan()
STORE = "store"   # the local data store (hedgekit data)


def _frozen(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, kw_only=True, slots=True)
class PricePoint:
    """A USD price of one coin. ``as_of`` is None when the source gives no time (a file)."""

    value: float
    source: str
    as_of: datetime | None = None
    kind: str = "close"  # close | mark | index | last
    series: str | None = None         # the stored series it was read from
    problems: tuple[str, ...] = ()    # what `hedgekit data check` flags near this price

    def to_dict(self) -> dict[str, Any]:
        out = {"value": self.value, "source": self.source, "kind": self.kind,
               "as_of": None if self.as_of is None else self.as_of.isoformat()}
        if self.series is not None:
            out["series"] = self.series
        if self.problems:
            out["problems"] = list(self.problems)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class FundingPoint:
    """A funding rate of one contract, expressed per 8 hours whatever the venue's interval.

    From the store it is the mean of ``settlements`` prints between ``first`` and ``last``.
    """

    rate_8h: float
    source: str
    as_of: datetime | None = None
    first: datetime | None = None
    last: datetime | None = None
    settlements: int = 0
    interval_hours: float | None = None
    next_time: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class BetaEstimate:
    """A hedge ratio of ``asset`` on ``hedge_asset`` estimated from history (``method``: beta or
    minvar), or the reason it could not be (``error``)."""

    asset: str
    hedge_asset: str
    method: str
    value: float | None = None
    correlation: float | None = None
    n_obs: int = 0
    source: str = STORE
    as_of: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class BetaNeed:
    asset: str
    hedge_asset: str
    method: str
    lookback_days: int


@dataclass(frozen=True, kw_only=True, slots=True)
class FundingNeed:
    """Recent funding of ``symbol`` on hedgekit venue ``venue``; ``store_venue`` and
    ``store_symbols`` are where the data store keeps it (ccxt symbol first)."""

    venue: str
    symbol: str
    store_venue: str
    store_symbols: tuple[str, ...]
    days: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MarketNeeds:
    """What a snapshot must hold to plan a book: prices the file lacks, betas to estimate,
    recent funding to average."""

    prices: tuple[str, ...] = ()
    betas: tuple[BetaNeed, ...] = ()
    funding: tuple[FundingNeed, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class MarketSnapshot:
    """Prices (USD per coin), funding rates per ``(venue, symbol)`` and beta estimates per
    ``(asset, hedge_asset, method)``, each with where it came from."""

    prices: Mapping[str, PricePoint] = field(default_factory=dict)
    funding: Mapping[tuple[str, str], FundingPoint] = field(default_factory=dict)
    betas: Mapping[tuple[str, str, str], BetaEstimate] = field(default_factory=dict)
    # a contract's own price by (venue, venue symbol): a dated future's, beside the coin's spot
    contract_prices: Mapping[tuple[str, str], PricePoint] = field(default_factory=dict)
    # synced market lists: venue -> venue symbol -> contract spec / maintenance tiers
    instruments: Mapping[str, Mapping[str, Instrument]] = field(default_factory=dict)
    tiers: Mapping[str, Mapping[str, tuple[MarginTier, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("prices", "funding", "betas", "contract_prices", "instruments", "tiers"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def venue(self, name: str) -> VenuePreset:
        """The venue preset ``name`` with the contracts and tiers synced from its market list
        (a synced spec replaces the preset's of the same symbol; presets keep their order so
        the planner's default choice does not depend on the venue's listing order)."""
        preset = get_venue(name)
        synced = self.instruments.get(preset.name, {})
        tiers = self.tiers.get(preset.name, {})
        if not synced and not tiers:
            return preset
        merged = {sym: synced.get(sym, inst) for sym, inst in preset.instruments.items()}
        merged.update((sym, inst) for sym, inst in synced.items() if sym not in merged)
        return replace(preset, instruments=MappingProxyType(merged),
                       tier_tables=MappingProxyType({**preset.tier_tables, **tiers}))

    @classmethod
    def from_prices(cls, prices: Mapping[str, float], source: str = GIVEN,
                    as_of: datetime | None = None) -> MarketSnapshot:
        """A snapshot of plain USD prices (``{"BTC": 65000}``) from one source."""
        return cls(prices={str(k).upper(): PricePoint(value=v, source=source, as_of=as_of)
                           for k, v in prices.items()})

    def price_map(self) -> dict[str, float]:
        """``{asset: USD price}`` in insertion order."""
        return {k: p.value for k, p in self.prices.items()}

    def with_prices(self, points: Mapping[str, PricePoint]) -> MarketSnapshot:
        """A copy with ``points`` added; prices already in the snapshot win."""
        merged = dict(self.prices)
        for k, p in points.items():
            merged.setdefault(k, p)
        return replace(self, prices=merged)

    def with_funding(self, points: Mapping[tuple[str, str], FundingPoint]) -> MarketSnapshot:
        return replace(self, funding={**points, **self.funding})

    def with_betas(self, estimates: Iterable[BetaEstimate]) -> MarketSnapshot:
        new = {(b.asset, b.hedge_asset, b.method): b for b in estimates}
        return replace(self, betas={**new, **self.betas})

    def funding_for(self, venue: str, symbol: str) -> FundingPoint | None:
        return self.funding.get((venue, symbol))

    def beta_for(self, asset: str, hedge_asset: str, method: str) -> BetaEstimate | None:
        return self.betas.get((asset, hedge_asset, method))
