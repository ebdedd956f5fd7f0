"""Liquidation-aware sizing: per leg the highest leverage (least collateral) whose simulated
liquidation probability stays under a limit, and the hedge-ratio x leverage frontier.

Every candidate leg is re-margined with the planner's own rules: initial margin
``notional / leverage`` (:func:`hedgekit.margin.initial_margin`), the venue's maintenance rule
(:func:`hedgekit.planner.margin_spec`, i.e. :meth:`hedgekit.venues.VenuePreset.maintenance`) and
its liquidation convention (:func:`hedgekit.margin.liquidation_price`). The paths are drawn once
per block and every candidate is valued on the same paths (common random numbers), so the
comparison between candidates carries no extra sampling noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hedgekit.margin import initial_margin, liquidation_price
from hedgekit.planner import HedgeLeg, HedgePlan, margin_spec
from hedgekit.risk import kernels as K
from hedgekit.risk.engine import BookArrays, LegArrays, ModelParams, simulate, tail_stats
from hedgekit.venues import VenuePreset, get_venue

__all__ = ["FRONTIER_LEVERAGES", "FRONTIER_RATIOS", "leg_margin", "size_book"]

FRONTIER_RATIOS = tuple(round(0.1 * i, 1) for i in range(1, 11))
FRONTIER_LEVERAGES = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0)


def _venue(plan: HedgePlan, name: str) -> VenuePreset:
    return plan.market.venue(name) if plan.market is not None else get_venue(name)


def leg_margin(plan: HedgePlan, leg: HedgeLeg, contracts: float, leverage: float) -> tuple[float, float, float, float]:
    """``(margin, liquidation, bankruptcy, collateral_usd)`` of ``contracts`` of the leg's
    contract at ``leverage`` (isolated; prices 0 where none exists). The collateral is the
    initial margin plus the opening fee, in USD, as the plan counts it."""
    venue = _venue(plan, leg.venue)
    inst = leg.instrument
    im = initial_margin(inst, contracts, leg.price, leverage)
    spec = margin_spec(venue, inst, contracts, leg.price, leg.settle_usd)
    res = liquidation_price(inst, leg.side, contracts, leg.price, im, margin_mode="isolated",
                            taker_fee=venue.fee_to_close(plan.policy.fee_to_close),
                            convention=venue.convention, **spec)
    fee = inst.fee(contracts, leg.price, venue.taker_fee)
    usd = inst.settle_to_usd(im + fee, leg.price, leg.settle_usd)
    return im, res.liquidation_price or 0.0, res.bankruptcy_price or 0.0, usd


def _legs(plan: HedgePlan) -> list[HedgeLeg]:
    return [leg for leg in plan.legs if leg.contracts > 0]


def _leg_set(plan: HedgePlan, base: LegArrays, legs: Sequence[HedgeLeg], contracts: Sequence[float],
             leverages: Sequence[float]) -> tuple[LegArrays, list[float]]:
    margin, lp, bp, usd = [], [], [], []
    for leg, n, lev in zip(legs, contracts, leverages, strict=True):
        m = leg_margin(plan, leg, n, lev) if n > 0 else (0.0, 0.0, 0.0, 0.0)
        margin.append(m[0])
        lp.append(m[1])
        bp.append(m[2])
        usd.append(m[3])
    scale = np.array([n / leg.contracts for leg, n in zip(legs, contracts, strict=True)])
    return base.with_margin(np.array(margin), np.array(lp), np.array(bp), scale), usd


def _grid(max_leverage: float, points: int = 40) -> np.ndarray:
    return np.unique(np.round(np.geomspace(1.0, max(max_leverage, 1.0), points), 2))


def size_book(plan: HedgePlan, book: BookArrays, params: ModelParams, *, max_liquidation_prob: float,
              horizon_days: int, paths: int, seed: int,
              ratios: Sequence[float] = FRONTIER_RATIOS,
              leverages: Sequence[float] = FRONTIER_LEVERAGES) -> dict[str, Any]:
    """The ``hedgekit size --json`` object: per-leg limits and the ratio x leverage frontier."""
    legs = _legs(plan)
    contracts = [leg.contracts for leg in legs]
    max_lev = max((_venue(plan, leg.venue).max_leverage for leg in legs), default=1.0)
    grid = _grid(max_lev)
    sets, collateral = [], []
    for lev in grid:
        levs = [min(lev, _venue(plan, leg.venue).max_leverage) for leg in legs]
        s, usd = _leg_set(plan, book.legs, legs, contracts, levs)
        sets.append(s)
        collateral.append(usd)
    frontier_points = []
    for ratio in ratios:
        for lev in leverages:
            n = [leg.contracts_exact * ratio / plan.policy.ratio_for(leg.asset) if plan.policy.ratio_for(leg.asset)
                 else 0.0 for leg in legs]
            levs = [min(lev, _venue(plan, leg.venue).max_leverage) for leg in legs]
            s, _ = _leg_set(plan, book.legs, legs, n, levs)
            sets.append(s)
            frontier_points.append((ratio, lev))
    results = simulate(book, params, paths=paths, horizon_days=horizon_days, seed=seed, leg_sets=sets,
                       keep_legs=False)
    by_lev = results[:len(grid)]
    out_legs = []
    for j, leg in enumerate(legs):
        probs = np.array([r.leg_liquidated[j] for r in by_lev])
        ok = probs <= max_liquidation_prob
        # the largest leverage below which every grid leverage keeps the limit
        k = int(np.argmin(ok)) - 1 if not ok.all() else len(grid) - 1
        if k < 0:
            out_legs.append({"venue": leg.venue, "symbol": leg.symbol, "max_leverage": None,
                             "min_collateral_usd": None, "p_liquidation": float(probs[0])})
            continue
        out_legs.append({"venue": leg.venue, "symbol": leg.symbol,
                         "max_leverage": float(min(grid[k], _venue(plan, leg.venue).max_leverage)),
                         "min_collateral_usd": float(collateral[k][j]), "p_liquidation": float(probs[k])})
    frontier = []
    for (ratio, lev), res in zip(frontier_points, results[len(grid):], strict=True):
        net = res.out[:, K.O_NET]
        stats = tail_stats(net)
        frontier.append({"ratio": ratio, "leverage": lev, "std_usd": float(net.std(ddof=1)),
                         "cvar_95_usd": stats["cvar_95"], "p_liquidation": float(res.any_liquidated.mean()),
                         "funding_usd": float(res.out[:, K.O_FUNDING].mean())})
    feasible = [p for p in frontier if p["p_liquidation"] <= max_liquidation_prob]
    recommended = min(feasible, key=lambda p: (p["cvar_95_usd"], -p["leverage"])) if feasible else None
    return {"horizon_days": horizon_days, "paths": paths, "model": params.model, "seed": seed,
            "max_liquidation_prob": max_liquidation_prob, "legs": out_legs, "frontier": frontier,
            "recommended": recommended}
