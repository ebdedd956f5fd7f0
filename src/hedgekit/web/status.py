"""The dashboard's "now": a book planned on its last synced state (or its file positions),
with what is held beside the target of every leg.

One JSON-ready document per call (:func:`book_status`), so the pages and ``/api/status`` show
the same numbers. Definitions used on the page:

* NAV (USD) = value of the holdings (:attr:`PortfolioExposure.total_value_usd`) + unrealised PnL
  of every hedge held, valued at the plan's prices (inverse PnL in coin is
  ``side * N * (1/entry - 1/mark)``, times the mark to get USD). NAV in coin is NAV (USD) divided
  by the price of the book's ``hedge.benchmark`` coin (BTC by default).
* drift of a leg = (|held| - |target|) / |target| in contracts (> 0: over-hedged), where held
  is what the planner counts against the leg: the leg's own contract plus the coin's other
  contracts pro rata (target - the plan's trade); outside its band when ``|drift| > band``.
* margin ratio = maintenance margin / margin posted, the planned collateral at the book's
  leverage; a ratio of 1 is liquidation.
* liquidation distance = |liquidation price - mark| / mark, as the planner prices the leg.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from hedgekit.errors import HedgekitError
from hedgekit.margin import maintenance_margin
from hedgekit.market.sources import held_and_synced, snapshot_for, store_at
from hedgekit.planner import HedgeLeg, HedgePlan, HeldPosition, plan
from hedgekit.portfolio import Portfolio, load_portfolio

__all__ = ["DEFAULT_BAND", "book_status"]

DEFAULT_BAND = 0.05  # |held - target| / target tolerated before a leg is out of its band


def book_status(book_path: str | Path, data_dir: str | Path | None, now: datetime) -> dict[str, Any]:
    """Plan the book at ``book_path`` on its last sync and report it for the dashboard.

    Never raises for a book that cannot be planned: the document then carries ``error``."""
    base: dict[str, Any] = {"book": Path(book_path).name, "as_of": now.isoformat()}
    try:
        book = load_portfolio(book_path)
        held, synced = held_and_synced(book, data_dir)
        result = plan(book, snapshot_for(book, live=synced, store=store_at(data_dir)), positions=held,
                      now=now)
    except HedgekitError as exc:
        return {**base, "error": str(exc)}
    never = list(synced.never_synced) if synced is not None else []
    doc = {**base, **_status_of(book, result, held or []), "never_synced": never}
    if never:
        doc["warnings"].insert(0, {"code": "never-synced", "asset": None, "message":
                                   f"account(s) {', '.join(never)} never synced: what they hold is "
                                   "not counted; run 'hedgekit sync'"})
    return doc


def _status_of(book: Portfolio, result: HedgePlan, held: list[HeldPosition]) -> dict[str, Any]:
    prices = dict(result.prices)
    band = _band(book)
    positions = [_held_row(p, result, prices) for p in held]
    hedge_pnl = sum(p["unrealized_pnl_usd"] or 0.0 for p in positions)
    holdings = result.exposure.total_value_usd
    nav_usd = holdings + hedge_pnl
    risky = sorted(result.exposure.risky, key=lambda e: -abs(e.delta_usd))
    coin = result.policy.benchmark if result.policy.benchmark in prices else (
        risky[0].asset if risky else None)
    coin_price = prices.get(coin) if coin else None
    legs = [_leg_row(leg, band, result) for leg in result.legs]
    maint = sum(r["maintenance_margin_usd"] for r in legs)
    posted = sum(r["margin_posted_usd"] for r in legs)
    distances = [r["liquidation_distance"] for r in legs if r["liquidation_distance"] is not None]
    drifts = [abs(r["drift"]) for r in legs if r["drift"] is not None]
    totals = result.totals()
    return {
        "nav": {"usd": nav_usd, "coin": nav_usd / coin_price if coin_price else None,
                "coin_asset": coin, "holdings_usd": holdings, "hedge_pnl_usd": hedge_pnl},
        "exposures": [_exposure_row(e.asset, e.delta_usd, e.value_usd, result, positions)
                      for e in risky],
        "legs": legs,
        "positions": positions,
        "margin": {"ratio": maint / posted if posted else None, "maintenance_usd": maint,
                   "posted_usd": posted},
        "summary": {"hedge_ratio_target": totals["hedge_ratio_effective"],
                    "hedge_ratio_held": _held_ratio(positions, totals["exposure_usd"]),
                    "exposure_usd": totals["exposure_usd"],
                    "max_drift": max(drifts) if drifts else None, "band": band,
                    "min_liquidation_distance": min(distances) if distances else None,
                    "funding_per_day_usd": totals["funding_per_day_usd"],
                    "funding_30d_usd": totals["funding_30d_usd"]},
        "totals": totals,
        "trades": [t.to_dict() for t in result.trades],
        "warnings": [w.to_dict() for w in result.warnings],
        "price_sources": result.price_sources(),
    }


def _band(book: Portfolio) -> float:
    """The drift band: the book's ``alerts.drift`` when its schema has one, else 5%."""
    alerts = getattr(book, "alerts", None)
    value = getattr(alerts, "drift", None) if alerts is not None else None
    return float(value) if value else DEFAULT_BAND


def _leg_row(leg: HedgeLeg, band: float, result: HedgePlan) -> dict[str, Any]:
    target = leg.side.sign * leg.contracts
    # held, as the planner counts it: this contract plus the coin's other contracts pro rata
    held = None if leg.trade_contracts is None else target - leg.trade_contracts
    drift = (abs(held) - abs(target)) / abs(target) if target and held is not None else None
    inst = leg.instrument
    venue = (result.market.venue(leg.venue) if result.market is not None else None)
    if venue is not None and leg.contracts > 0:
        size = inst.notional_coin(leg.contracts, leg.price) if not inst.is_quanto else None
        maint = leg.to_usd(maintenance_margin(inst, leg.contracts, leg.price,
                                              **venue.maintenance(inst, size)))
    else:
        maint = 0.0
    posted = leg.to_usd(leg.collateral_needed)
    funding = result.market.funding.get((leg.venue, leg.symbol)) if result.market else None
    next_time = funding.next_time if funding is not None else None
    distance = (None if leg.liquidation_distance_pct is None else leg.liquidation_distance_pct / 100.0)
    return {
        "asset": leg.asset, "hedge_asset": leg.hedge_asset, "venue": leg.venue, "symbol": leg.symbol,
        "contract_type": leg.contract_type.value, "side": leg.side.value, "price": leg.price,
        "target_contracts": target, "held_contracts": held, "held_on_leg": leg.current_contracts,
        "trade_contracts": leg.trade_contracts, "target_notional_usd": leg.notional_usd,
        "held_notional_usd": (abs(held) / leg.contracts * leg.notional_usd
                              if leg.contracts and held is not None else None),
        "drift": drift, "band": band, "in_band": None if drift is None else abs(drift) <= band,
        "liquidation_price": leg.liquidation_price, "liquidation_distance": distance,
        "leverage": leg.leverage, "maintenance_margin_usd": maint, "margin_posted_usd": posted,
        "margin_ratio": maint / posted if posted else None,
        "funding_rate_8h": leg.funding_rate_8h, "funding_apr": leg.funding_rate_8h * 3 * 365,
        "funding_assumed": leg.funding_assumed, "funding_interval_hours": leg.funding_interval_hours,
        "funding_per_day_usd": leg.funding_per_day_usd,
        "next_funding_time": None if next_time is None else next_time.isoformat(),
    }


def _held_row(p: HeldPosition, result: HedgePlan, prices: dict[str, float]) -> dict[str, Any]:
    inst = p.resolve(result.market)
    mark = prices.get(inst.base)
    settle_usd = prices.get(inst.settle) if inst.is_quanto else None
    pnl = delta = None
    if mark and p.entry_price:
        pnl = inst.pnl_usd(p.side, p.contracts, p.entry_price, mark, settle_usd)
        delta = inst.delta_coin(p.side, p.contracts, p.entry_price, settle_usd) * mark
    return {"account": p.account, "venue": p.venue, "symbol": p.symbol, "asset": inst.base,
            "side": p.side.value, "contracts": p.contracts, "entry_price": p.entry_price,
            "mark_price": mark, "delta_usd": delta, "unrealized_pnl_usd": pnl}


def _exposure_row(asset: str, delta_usd: float, value_usd: float, result: HedgePlan,
                  positions: list[dict[str, Any]]) -> dict[str, Any]:
    target = sum(leg.notional_usd for leg in result.legs if leg.asset == asset)
    held = -sum(p["delta_usd"] or 0.0 for p in positions if p["asset"] == asset)
    return {"asset": asset, "value_usd": value_usd, "delta_usd": delta_usd,
            "hedge_target_usd": target, "hedge_held_usd": held,
            "net_delta_usd": delta_usd - held,
            "hedge_ratio_held": held / delta_usd if delta_usd else None}


def _held_ratio(positions: list[dict[str, Any]], exposure_usd: float) -> float | None:
    if not exposure_usd:
        return None
    return -sum(p["delta_usd"] or 0.0 for p in positions) / exposure_usd
