"""Splitting each asset's hedge across the venues that list a contract for it, keeping every
venue at or below ``hedge.max_share_per_venue`` of the total notional."""

from __future__ import annotations

import math
from typing import Any

from hedgekit.planner.result import PlanWarning

__all__ = ["allocate"]


def allocate(targets: list[tuple[str, float, list[Any]]], share: float | None,
              warnings: list[PlanWarning]) -> dict[str, list[tuple[Any, float]]]:
    """Split each asset's target USD across its candidate venues, keeping every venue at or
    below ``share`` of the total when given (largest targets first, venues in preference order)."""
    total = sum(abs(t) for _, t, _ in targets)
    cap = share * total if share else math.inf
    used: dict[str, float] = {}
    out: dict[str, list[tuple[Any, float]]] = {}
    for asset, target, cands in sorted(targets, key=lambda t: -abs(t[1])):
        left = abs(target)
        parts: list[tuple[Any, float]] = []
        for cand in cands:
            if left <= 0:
                break
            room = cap - used.get(cand[0].name, 0.0)
            take = min(left, room) if share else left
            if take <= 1e-9 * total:
                continue
            parts.append((cand, take))
            used[cand[0].name] = used.get(cand[0].name, 0.0) + take
            left -= take
        if left > 1e-9 * max(1.0, abs(target)):
            cand = cands[0]
            parts.append((cand, left))
            used[cand[0].name] = used.get(cand[0].name, 0.0) + left
            warnings.append(PlanWarning(
                code="venue-cap", asset=asset,
                message=f"{asset}: {left:,.0f} USD could not be placed within "
                        f"max_share_per_venue {share:.0%} on the venues that list a hedge for it; "
                        f"put on {cand[0].name} (add venues to hedge.venues)"))
        merged: dict[int, tuple[Any, float]] = {}
        for cand, usd in parts:
            key = id(cand)
            merged[key] = (cand, merged.get(key, (cand, 0.0))[1] + usd)
        out[asset] = list(merged.values())
    return out


