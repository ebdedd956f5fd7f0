"""What a plan returns: legs with their rounding alternatives, warnings, the plan itself.

Frozen records with ``to_dict()`` (what ``--json`` prints); amounts are in the leg's settle
currency unless the name ends in ``_usd``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hedgekit.instruments import ContractType, Instrument, Side
from hedgekit.margin import LiquidationConvention
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.portfolio import (
    Collateral,
    Exposure,
    HedgePolicy,
    PortfolioExposure,
    ScenarioSettings,
)

__all__ = ["DatedCarry", "HedgeLeg", "HedgePlan", "PlanWarning", "RoundingOption"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanWarning:
    """Something the plan cannot fix or the user should decide; ``code`` is stable for tests."""

    code: str
    message: str
    asset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "asset": self.asset}


@dataclass(frozen=True, kw_only=True, slots=True)
class RoundingOption:
    """One way of rounding the exact contract count to the lot."""

    mode: str
    contracts: float
    notional_usd: float
    residual_usd: float       # target notional - hedged notional (> 0: under-hedged)
    residual_pct: float       # residual as % of the target notional
    hedge_ratio_effective: float

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "contracts": self.contracts, "notional_usd": self.notional_usd,
                "residual_usd": self.residual_usd, "residual_pct": self.residual_pct,
                "hedge_ratio_effective": self.hedge_ratio_effective}


@dataclass(frozen=True, kw_only=True, slots=True)
class DatedCarry:
    """What a dated-future leg carries to expiry, against a perpetual over the same days.

    ``carry_to_expiry_usd`` is what the leg earns (> 0) or pays as the basis converges, for the
    coins it hedges: ``-s * coins * (future - spot)`` (a short in contango earns the basis);
    ``perp_funding_usd`` the funding a perpetual hedge of the same coins would receive (> 0) or
    pay over ``days_to_expiry`` at ``perp_rate_8h``. ``cheaper`` is the one that costs less.
    """

    expiry: datetime
    days_to_expiry: float
    spot: float
    future: float
    basis: float
    basis_pct: float
    basis_apr: float
    carry_to_expiry_usd: float
    perp_rate_8h: float
    perp_funding_usd: float
    roll_date: datetime
    roll_fees_usd: float
    cheaper: str

    def to_dict(self) -> dict[str, Any]:
        return {name: (getattr(self, name).isoformat() if isinstance(getattr(self, name), datetime)
                       else getattr(self, name)) for name in self.__slots__}


@dataclass(frozen=True, kw_only=True, slots=True)
class HedgeLeg:
    """One futures position of the plan. Amounts in the settle currency unless named ``_usd``.

    ``exposure_usd`` is the part of the asset's delta (in USD) this leg covers; ``beta`` the
    hedge ratio per unit of exposure before ``ratio``; ``hedge_ratio_target = ratio * beta``
    and ``hedge_ratio_effective = notional_usd / exposure_usd`` after rounding.
    """

    asset: str
    hedge_asset: str
    venue: str
    instrument: Instrument
    side: Side
    price: float
    settle_usd: float
    beta: float
    exposure_usd: float
    target_notional_usd: float
    contracts_exact: float
    contracts: float
    rounding: str
    alternatives: tuple[RoundingOption, ...]
    fixed: bool
    notional_usd: float
    notional_coin: float
    notional_settle: float
    residual_usd: float
    residual_pct: float
    hedge_ratio_target: float
    hedge_ratio_effective: float
    leverage: float
    margin_mode: str
    collateral: Collateral
    initial_margin: float
    collateral_needed: float
    effective_leverage: float
    liquidation_price: float | None
    bankruptcy_price: float | None
    liquidation_distance_pct: float | None
    mmr: float
    liquidation_convention: LiquidationConvention  # the venue's (hedgekit.margin)
    liquidation_fee_to_close: float  # fee-to-close rate in the liquidation price (hedge.fee_to_close)
    funding_rate_8h: float
    funding_assumed: bool
    funding_interval_hours: float
    funding_per_day: float
    funding_per_day_usd: float
    funding_30d_usd: float
    fee_rate: float
    fee_open: float
    fee_close: float
    onchain: bool
    dated: DatedCarry | None = None          # basis and carry of a dated-future leg
    current_contracts: float = 0.0          # held now (signed: short < 0), when positions are known
    trade_contracts: float | None = None    # to trade to reach the target (signed), idem

    @property
    def contract_type(self) -> ContractType:
        return self.instrument.contract_type

    @property
    def settle(self) -> str:
        return self.instrument.settle

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def is_proxy(self) -> bool:
        return self.hedge_asset != self.asset

    def to_usd(self, amount_settle: float) -> float:
        return self.instrument.settle_to_usd(amount_settle, self.price, self.settle_usd)

    @property
    def extra_coin_collateral(self) -> float:
        """Coins posted as margin on top of the book (an unhedged long), in the settle coin."""
        if self.collateral is Collateral.COIN:
            return self.collateral_needed
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        usd = self.to_usd
        return {
            "asset": self.asset, "hedge_asset": self.hedge_asset, "venue": self.venue,
            "symbol": self.symbol, "contract_type": self.contract_type.value,
            "side": self.side.value, "contracts": self.contracts,
            "contracts_exact": self.contracts_exact, "contract_size": self.instrument.contract_size,
            "lot_size": self.instrument.lot_size, "rounding": self.rounding, "fixed": self.fixed,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "price": self.price, "settle": self.settle, "beta": self.beta,
            "exposure_usd": self.exposure_usd, "target_notional_usd": self.target_notional_usd,
            "notional_usd": self.notional_usd, "notional_coin": self.notional_coin,
            "notional_settle": self.notional_settle,
            "residual_usd": self.residual_usd, "residual_pct": self.residual_pct,
            "hedge_ratio_target": self.hedge_ratio_target,
            "hedge_ratio_effective": self.hedge_ratio_effective,
            "leverage": self.leverage, "effective_leverage": self.effective_leverage,
            "margin_mode": self.margin_mode, "collateral": self.collateral.value,
            "initial_margin": self.initial_margin, "initial_margin_usd": usd(self.initial_margin),
            "collateral_needed": self.collateral_needed,
            "collateral_needed_usd": usd(self.collateral_needed),
            "liquidation_price": self.liquidation_price, "bankruptcy_price": self.bankruptcy_price,
            "liquidation_distance_pct": self.liquidation_distance_pct, "mmr": self.mmr,
            "liquidation_convention": self.liquidation_convention.value,
            "liquidation_fee_to_close": self.liquidation_fee_to_close,
            "funding_rate_8h": self.funding_rate_8h, "funding_assumed": self.funding_assumed,
            "funding_interval_hours": self.funding_interval_hours,
            "funding_per_day": self.funding_per_day, "funding_per_day_usd": self.funding_per_day_usd,
            "funding_30d_usd": self.funding_30d_usd,
            "funding_direction": "received" if self.funding_per_day >= 0 else "paid",
            "fee_rate": self.fee_rate, "fee_open": self.fee_open, "fee_close": self.fee_close,
            "fee_open_usd": usd(self.fee_open), "fee_close_usd": usd(self.fee_close),
            "onchain": self.onchain,
            **({} if self.dated is None else {"dated": self.dated.to_dict()}),
            **({} if self.trade_contracts is None else
               {"current_contracts": self.current_contracts,
                "trade_contracts": self.trade_contracts}),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class HedgePlan:
    """The result of :func:`plan`: exposures, legs, totals and warnings."""

    exposure: PortfolioExposure
    policy: HedgePolicy
    legs: tuple[HedgeLeg, ...]
    warnings: tuple[PlanWarning, ...]
    prices: Mapping[str, float]
    notes: tuple[str, ...] = ()
    scenario: ScenarioSettings = field(default_factory=ScenarioSettings)
    market: MarketSnapshot | None = None  # what the plan was built on (sources and times)
    held: tuple[Any, ...] | None = None    # positions held (planner.trades.HeldPosition), if known
    trades: tuple[Any, ...] = ()           # planner.trades.Trade: target - held

    @property
    def exposures(self) -> tuple[Exposure, ...]:
        return self.exposure.exposures

    def totals(self) -> dict[str, float]:
        legs = self.legs
        risky = sum(abs(e.delta_usd) for e in self.exposure.risky)
        notional = sum(leg.notional_usd for leg in legs)
        return {
            "portfolio_value_usd": self.exposure.total_value_usd,
            "exposure_usd": risky,
            "target_notional_usd": sum(leg.target_notional_usd for leg in legs),
            "hedge_notional_usd": notional,
            "hedge_ratio_effective": notional / risky if risky else 0.0,
            "residual_usd": sum(leg.residual_usd for leg in legs),
            "initial_margin_usd": sum(leg.to_usd(leg.initial_margin) for leg in legs),
            "collateral_needed_usd": sum(leg.to_usd(leg.collateral_needed) for leg in legs),
            "funding_per_day_usd": sum(leg.funding_per_day_usd for leg in legs),
            "funding_30d_usd": sum(leg.funding_30d_usd for leg in legs),
            "fees_open_usd": sum(leg.to_usd(leg.fee_open) for leg in legs),
            "fees_close_usd": sum(leg.to_usd(leg.fee_close) for leg in legs),
            "yield_per_year_usd": self.exposure.yield_per_year_usd,
            "yield_given_up_per_year_usd": sum(self.yield_given_up().values()),
            "gas_usd": sum(self.gas_costs().values()),
        }

    def yield_given_up(self) -> dict[str, float]:
        """Staking/lending yield (USD per year) lost on coins posted as margin, per leg
        (``asset symbol@venue``): a coin that sits in a margin account earns no yield. The rate
        is the asset's average yield over its holdings."""
        out = {}
        for leg in self.legs:
            if leg.collateral is Collateral.STABLECOINS or leg.collateral_needed <= 0:
                continue
            e = self.exposure.get(leg.settle)
            if e is None or not e.yield_coin_per_year or e.amount <= 0:
                continue
            rate = e.yield_coin_per_year / e.amount
            out[f"{leg.asset} {leg.symbol}@{leg.venue}"] = leg.collateral_needed * rate * e.price
        return out

    def gas_costs(self) -> dict[str, float]:
        """Gas in USD for on-chain legs: ``hedge.gas_usd_per_tx`` of the venue, twice (open and
        close), per leg with contracts."""
        out = {}
        for leg in self.legs:
            gas = self.policy.gas_usd_per_tx.get(leg.venue, 0.0)
            if leg.onchain and gas and leg.contracts > 0:
                out[f"{leg.asset} {leg.symbol}@{leg.venue}"] = 2.0 * gas
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "exposures": [e.to_dict() for e in self.exposures],
            "legs": [leg.to_dict() for leg in self.legs],
            "totals": self.totals(),
            "warnings": [w.to_dict() for w in self.warnings],
            "unhedgeable": list(self.exposure.unhedgeable),
            "notes": list(self.notes),
            "pools": [p.to_dict() for p in self.exposure.pools],
            "policy": self.policy.model_dump(mode="json"),
            "prices": dict(self.prices),
            "price_sources": self.price_sources(),
            **({} if self.held is None else {"trades": [t.to_dict() for t in self.trades]}),
        }

    def price_sources(self) -> dict[str, dict[str, Any]]:
        """Where each price the plan used came from and when: ``{asset: {value, source, kind,
        as_of}}`` (``source`` ``file`` for prices typed into the book, ``as_of`` None then)."""
        points = self.market.prices if self.market is not None else {}
        out = {}
        for asset, value in self.prices.items():
            point = points.get(asset)
            out[asset] = (point.to_dict() if point is not None else
                          {"value": value, "source": "default", "kind": "stablecoin", "as_of": None})
        return out

    def to_frame(self):
        """One row per leg (the scalar fields of :meth:`HedgeLeg.to_dict`); needs pandas."""
        import pandas as pd

        return pd.DataFrame.from_records(
            [{k: v for k, v in leg.to_dict().items() if not isinstance(v, (list, dict))}
             for leg in self.legs])

    def summary(self) -> str:
        """A few plain-text lines: one per leg, the totals and the warnings."""
        t = self.totals()
        lines = [f"exposure {t['exposure_usd']:,.0f} USD, hedge {t['hedge_notional_usd']:,.0f} USD "
                 f"({t['hedge_ratio_effective']:.1%}), margin {t['initial_margin_usd']:,.0f} USD, "
                 f"funding {t['funding_30d_usd']:+,.0f} USD / 30d"]
        for leg in self.legs:
            liq = "none" if leg.liquidation_price is None else f"{leg.liquidation_price:,.2f}"
            lines.append(f"{leg.asset}: {leg.side.value} {leg.contracts:g} x {leg.symbol} "
                         f"@{leg.venue} = {leg.notional_usd:,.0f} USD "
                         f"({leg.hedge_ratio_effective:.1%}), liq {liq}")
        lines += [f"warning: {w.message}" for w in self.warnings]
        return "\n".join(lines)

