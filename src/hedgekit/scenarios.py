"""Stress the hedged book: a grid of instantaneous shocks to the benchmark.

For each benchmark shock ``s`` every asset moves by ``beta * s`` (its beta to the benchmark
from ``scenario.betas``, else its hedge beta when it is proxy-hedged with the benchmark, else
1), unless a fixed per-asset shock is given; stablecoins stay at their price. Then:

* spot PnL: coins x price change, pools re-valued exactly with their pool model (so the
  impermanent loss is in it), plus staking/lending yield over the horizon;
* hedge PnL: each leg's exact contract payoff (:meth:`Instrument.pnl`: linear
  ``s*n*C*(P1 - P0)``, inverse ``s*n*C*(1/P0 - 1/P1)`` in coin), in its settle currency and
  in USD; a leg whose liquidation price is crossed loses its whole margin instead;
* funding over the horizon at the plan's rate, evaluated at the shocked price (the shock is
  taken to happen at once and the price to stay there);
* net change in USD and in benchmark coins, each leg's margin ratio (maintenance margin /
  margin balance; 1 or more means liquidation) and whether it is liquidated.

Coin view: ``net_coin`` is the change of the whole book's value measured in benchmark coins
(``V1/P1 - V0/P0``); ``hedge_pnl_coin`` the hedge PnL in benchmark coins at the shocked price
(for an inverse leg on the benchmark, exactly its coin PnL); the ``*_coin_at_entry`` fields value
the USD amounts at the price before the shock (for a coin-margined hedge the USD value and the
coin value of the book move differently, so the two views must not be mixed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hedgekit.errors import InputError, check_finite
from hedgekit.funding import funding_carry
from hedgekit.margin import maintenance_margin
from hedgekit.planner import HedgeLeg, HedgePlan, margin_spec
from hedgekit.venues import get_venue

__all__ = ["DEFAULT_SHOCKS", "LegOutcome", "LiquidationShock", "ScenarioResult", "ScenarioRow",
           "run_scenarios"]

DEFAULT_SHOCKS = (-50.0, -30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 50.0, 100.0)
MIN_MOVE = -0.99  # beta x shock below -100% would mean a negative price


@dataclass(frozen=True, kw_only=True, slots=True)
class LegOutcome:
    """One hedge leg under one shock. ``*_settle`` amounts are in ``settle``."""

    asset: str
    venue: str
    symbol: str
    settle: str
    price_after: float
    pnl_settle: float
    pnl_usd: float
    funding_settle: float
    funding_usd: float
    margin_ratio: float | None
    liquidated: bool

    def to_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "venue": self.venue, "symbol": self.symbol,
                "settle": self.settle, "price_after": self.price_after,
                "pnl_settle": self.pnl_settle, "pnl_usd": self.pnl_usd,
                "funding_settle": self.funding_settle, "funding_usd": self.funding_usd,
                "margin_ratio": self.margin_ratio, "liquidated": self.liquidated}


@dataclass(frozen=True, kw_only=True, slots=True)
class ScenarioRow:
    """The whole book under one benchmark shock (``shock`` in %)."""

    shock: float
    moves: Mapping[str, float]        # asset -> relative move applied (fraction)
    spot_pnl_usd: float
    yield_usd: float
    collateral_pnl_usd: float
    hedge_pnl_usd: float
    hedge_pnl_coin: float
    funding_usd: float
    net_usd: float
    net_coin: float
    spot_pnl_coin_at_entry: float
    hedge_pnl_coin_at_entry: float
    margin_ratio: float | None
    liquidated: bool
    legs: tuple[LegOutcome, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "shock": self.shock, "spot_pnl_usd": self.spot_pnl_usd,
            "hedge_pnl_usd": self.hedge_pnl_usd, "hedge_pnl_coin": self.hedge_pnl_coin,
            "funding_usd": self.funding_usd, "net_usd": self.net_usd, "net_coin": self.net_coin,
            "liquidated": self.liquidated, "margin_ratio": self.margin_ratio,
            "yield_usd": self.yield_usd, "collateral_pnl_usd": self.collateral_pnl_usd,
            "spot_pnl_coin_at_entry": self.spot_pnl_coin_at_entry,
            "hedge_pnl_coin_at_entry": self.hedge_pnl_coin_at_entry,
            "moves_pct": {k: 100.0 * v for k, v in self.moves.items()},
            "legs": [leg.to_dict() for leg in self.legs],
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class LiquidationShock:
    """Where one leg is liquidated: its own underlying's move and the benchmark shock (in %)."""

    asset: str
    venue: str
    symbol: str
    liquidation_price: float | None
    move_pct: float | None
    benchmark_shock_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "venue": self.venue, "symbol": self.symbol,
                "liquidation_price": self.liquidation_price, "move_pct": self.move_pct,
                "benchmark_shock_pct": self.benchmark_shock_pct}


@dataclass(frozen=True, kw_only=True, slots=True)
class ScenarioResult:
    """A shock grid over a :class:`~hedgekit.planner.HedgePlan`."""

    benchmark: str
    horizon_days: float
    rows: tuple[ScenarioRow, ...]
    liquidation_shocks: tuple[LiquidationShock, ...]
    betas: Mapping[str, float]
    notes: tuple[str, ...] = ()
    cash: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "horizon_days": self.horizon_days,
                "rows": [r.to_dict() for r in self.rows],
                "liquidation_shocks": [s.to_dict() for s in self.liquidation_shocks],
                "betas": dict(self.betas), "notes": list(self.notes)}

    def to_frame(self):
        """One row per shock (the scalar columns of :meth:`ScenarioRow.to_dict`)."""
        import pandas as pd

        records = [{k: v for k, v in r.to_dict().items() if not isinstance(v, (dict, list))}
                   for r in self.rows]
        return pd.DataFrame.from_records(records).set_index("shock")

    def summary(self) -> str:
        lines = [f"benchmark {self.benchmark}, horizon {self.horizon_days:g} days"]
        for r in self.rows:
            flag = " LIQUIDATED" if r.liquidated else ""
            lines.append(f"{r.shock:+g}%: spot {r.spot_pnl_usd:+,.0f} hedge {r.hedge_pnl_usd:+,.0f} "
                         f"funding {r.funding_usd:+,.0f} net {r.net_usd:+,.0f} USD{flag}")
        return "\n".join(lines)


def _betas(plan: HedgePlan, benchmark: str) -> dict[str, float]:
    """Beta of each asset to the benchmark for the shock grid."""
    settings = plan.scenario
    hedge_betas = plan.policy.betas
    proxied = {leg.asset for leg in plan.legs if leg.hedge_asset == benchmark}
    assets = {e.asset for e in plan.exposures} | {leg.hedge_asset for leg in plan.legs} | {
        leg.settle for leg in plan.legs}
    out = {}
    for a in sorted(assets):
        if a == benchmark:
            out[a] = 1.0
        elif a in settings.betas:
            out[a] = settings.betas[a]
        elif a in proxied and a in hedge_betas:
            out[a] = hedge_betas[a]
        else:
            out[a] = 1.0
    return out


def run_scenarios(plan: HedgePlan, shocks: Sequence[float] = DEFAULT_SHOCKS, *,
                  horizon_days: float = 30.0, benchmark: str | None = None,
                  asset_shocks: Mapping[str, float] | None = None) -> ScenarioResult:
    """Stress ``plan`` under benchmark ``shocks`` (in %, e.g. ``-20``) over ``horizon_days``.

    ``asset_shocks`` (fractions, e.g. ``{"SOL": -0.4}``) fix an asset's move in every row and
    override the file's ``scenario.asset_shocks``; ``benchmark`` overrides the file's
    (default: the hedge policy's benchmark).
    """
    horizon = check_finite("--horizon-days", horizon_days)
    if horizon < 0:
        raise InputError("--horizon-days", "must be >= 0", horizon_days)
    notes: list[str] = []
    bench = (benchmark or plan.scenario.benchmark or plan.policy.benchmark).upper()
    prices = plan.prices
    if bench not in prices and benchmark is None and plan.exposure.risky:
        # the default benchmark is not in this book: shock its largest exposure instead
        largest = max(plan.exposure.risky, key=lambda e: abs(e.delta_usd)).asset
        notes.append(f"no price for the benchmark {bench}: shocks apply to {largest}, the largest "
                     "exposure (set scenario.benchmark or --benchmark)")
        bench = largest
    if bench not in prices:
        raise InputError("--benchmark", f"no price for {bench}; one of {', '.join(prices)}", bench)
    fixed = {**plan.scenario.asset_shocks, **{k.upper(): v for k, v in (asset_shocks or {}).items()}}
    for k, v in fixed.items():
        if check_finite(f"asset shock {k}", v) <= -1:
            raise InputError(f"asset shock {k}", "must be > -100%", v)
    betas = _betas(plan, bench)
    rows = [_row(plan, check_finite("--shocks", s), bench, betas, fixed, horizon, notes)
            for s in shocks]
    return ScenarioResult(benchmark=bench, horizon_days=horizon, rows=tuple(rows),
                          liquidation_shocks=tuple(_liquidation_shocks(plan, betas, fixed)),
                          betas=betas, notes=tuple(dict.fromkeys(notes)),
                          cash=frozenset(e.asset for e in plan.exposures if e.is_cash))


def _move(asset: str, shock: float, cash: bool, betas: Mapping[str, float],
          fixed: Mapping[str, float], notes: list[str]) -> float:
    if asset in fixed:
        return fixed[asset]
    if cash:
        return 0.0
    move = betas.get(asset, 1.0) * shock
    if move < MIN_MOVE:
        notes.append(f"{asset}: beta x shock below -100% capped at {MIN_MOVE:.0%}")
        return MIN_MOVE
    return move


def _row(plan: HedgePlan, shock_pct: float, bench: str, betas: Mapping[str, float],
         fixed: Mapping[str, float], horizon: float, notes: list[str]) -> ScenarioRow:
    shock = shock_pct / 100.0
    if shock <= -1:
        raise InputError("--shocks", "each shock must be > -100", shock_pct)
    prices = plan.prices
    cash = {e.asset for e in plan.exposures if e.is_cash}
    moves = {a: _move(a, shock, a in cash, betas, fixed, notes)
             for a in dict.fromkeys([*prices, *(e.asset for e in plan.exposures)])}
    after = {a: _price_after(prices, moves, a) for a in moves}

    spot = 0.0
    yield_usd = 0.0
    for e in plan.exposures:
        outside_pools = e.amount - e.lp_amount
        spot += outside_pools * (after[e.asset] - e.price)
        yield_usd += e.yield_coin_per_year * horizon / 365.0 * after[e.asset]
    for pool in plan.exposure.pools:
        q0, q1 = _price(prices, pool.quote), after.get(pool.quote, 1.0)
        b1 = after[pool.base]
        spot += pool.value_at(b1 / q1) * q1 - pool.value_at(pool.price) * q0

    outcomes = [_leg_outcome(leg, after, horizon) for leg in plan.legs]
    hedge_usd = sum(o.pnl_usd for o in outcomes)
    funding_usd = sum(o.funding_usd for o in outcomes)
    collateral = 0.0
    collateral_value0 = 0.0
    for leg in plan.legs:
        extra = leg.extra_coin_collateral
        if extra:
            collateral += extra * (after[leg.settle] - prices[leg.settle])
            collateral_value0 += extra * prices[leg.settle]
    net = spot + yield_usd + collateral + hedge_usd + funding_usd
    p0, p1 = prices[bench], after[bench]
    value0 = plan.exposure.total_value_usd + collateral_value0
    ratios = [o.margin_ratio for o in outcomes if o.margin_ratio is not None]
    return ScenarioRow(
        shock=shock_pct, moves=moves, spot_pnl_usd=spot, yield_usd=yield_usd,
        collateral_pnl_usd=collateral, hedge_pnl_usd=hedge_usd, hedge_pnl_coin=hedge_usd / p1,
        funding_usd=funding_usd, net_usd=net, net_coin=(value0 + net) / p1 - value0 / p0,
        spot_pnl_coin_at_entry=spot / p0, hedge_pnl_coin_at_entry=hedge_usd / p0,
        margin_ratio=max(ratios) if ratios else None,
        liquidated=any(o.liquidated for o in outcomes), legs=tuple(outcomes))


def _price(prices: Mapping[str, float], asset: str) -> float:
    return prices.get(asset, 1.0)


def _price_after(prices: Mapping[str, float], moves: Mapping[str, float], asset: str) -> float:
    return _price(prices, asset) * (1.0 + moves.get(asset, 0.0))


def _crossed(leg: HedgeLeg, price: float) -> bool:
    liq = leg.liquidation_price
    if liq is None:
        return False
    return price >= liq if leg.side.sign < 0 else price <= liq


def _leg_outcome(leg: HedgeLeg, after: Mapping[str, float], horizon: float) -> LegOutcome:
    inst = leg.instrument
    p1 = after[leg.hedge_asset]
    settle_usd = after.get(inst.settle, leg.settle_usd) if inst.is_quanto else 1.0
    base: dict[str, Any] = dict(asset=leg.asset, venue=leg.venue, symbol=leg.symbol, settle=leg.settle,
                                price_after=p1)
    if leg.contracts == 0:
        return LegOutcome(**base, pnl_settle=0.0, pnl_usd=0.0, funding_settle=0.0,
                          funding_usd=0.0, margin_ratio=None, liquidated=False)
    if _crossed(leg, p1):
        # Isolated margin is lost at liquidation (closed at the bankruptcy price; any rest goes
        # to the insurance fund); the hedge is gone for the rest of the horizon.
        lost = -leg.initial_margin
        return LegOutcome(**base, pnl_settle=lost,
                          pnl_usd=inst.settle_to_usd(lost, p1, settle_usd), funding_settle=0.0,
                          funding_usd=0.0, margin_ratio=_margin_ratio(leg, p1), liquidated=True)
    pnl = inst.pnl(leg.side, leg.contracts, leg.price, p1)
    funding = 0.0
    if leg.funding_interval_hours > 0 and horizon > 0:
        interval = leg.funding_interval_hours
        _, funding = funding_carry(inst, leg.side, leg.contracts, p1,
                                   leg.funding_rate_8h * interval / 8.0, days=horizon,
                                   interval_hours=interval)
    return LegOutcome(**base, pnl_settle=pnl, pnl_usd=inst.settle_to_usd(pnl, p1, settle_usd),
                      funding_settle=funding,
                      funding_usd=inst.settle_to_usd(funding, p1, settle_usd),
                      margin_ratio=_margin_ratio(leg, p1), liquidated=False)


def _margin_ratio(leg: HedgeLeg, price: float) -> float | None:
    """Maintenance margin / margin balance at ``price`` (Binance's definition; >= 1 liquidates).

    ``None`` when the balance is not positive (the margin is gone) — shown as liquidated."""
    inst = leg.instrument
    spec = margin_spec(get_venue(leg.venue), inst, leg.contracts, price, leg.settle_usd)
    mm = maintenance_margin(inst, leg.contracts, price, **spec)
    balance = leg.initial_margin + inst.pnl(leg.side, leg.contracts, leg.price, price)
    if balance <= 0:
        return math.inf
    return mm / balance


def _liquidation_shocks(plan: HedgePlan, betas: Mapping[str, float],
                        fixed: Mapping[str, float]) -> list[LiquidationShock]:
    out = []
    for leg in plan.legs:
        liq = leg.liquidation_price
        move = None if liq is None else liq / leg.price - 1.0
        beta = betas.get(leg.hedge_asset, 1.0)
        shock = None
        if move is not None and leg.hedge_asset not in fixed and beta:
            shock = 100.0 * move / beta
        out.append(LiquidationShock(asset=leg.asset, venue=leg.venue, symbol=leg.symbol,
                                    liquidation_price=liq,
                                    move_pct=None if move is None else 100.0 * move,
                                    benchmark_shock_pct=shock))
    return out

