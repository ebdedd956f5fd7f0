"""The slow plain-Python twin of :func:`hedgekit.risk.kernels.evaluate_block`.

It values the same drawn paths with the objects the rest of hedgekit uses: the plan's
:class:`~hedgekit.planner.HedgeLeg` (``Instrument.pnl_usd``, ``Instrument.funding``), the pools'
:class:`~hedgekit.portfolio.pools.LPState` (``value_at``) and the exposures. tests/test_risk.py
checks the two agree to ~1e-9 relative on a book with spot, staking, pools, a proxy hedge and
inverse legs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hedgekit.planner import HedgePlan

__all__ = ["evaluate_paths"]


def evaluate_paths(plan: HedgePlan, assets: tuple[str, ...], horizon_days: int, raw: np.ndarray,
                   n: int) -> list[dict[str, Any]]:
    """Per path: ``net``, ``unhedged``, ``funding`` (USD), per leg ``liquidated``, ``topup`` and
    ``topup_usd``, from the per-step draws ``raw[p, t, a, :]`` = ``ln(S_t/S_0)``,
    ``ln(F_t/F_0)``, the step's intrabar high and low of ``ln(F/F_0)``, the day's funding."""
    log_s, log_f, hi_f, lo_f, fund = (raw[..., i] for i in range(5))
    warn = plan.policy.liquidation_warning_pct / 100.0
    where = {a: i for i, a in enumerate(assets)}
    last = horizon_days - 1
    out = []
    legs = [leg for leg in plan.legs if leg.contracts > 0]
    for p in range(n):
        def price(asset: str, t: int, p: int = p) -> float:
            return plan.prices[asset] * math.exp(log_s[p, t, where[asset]])

        unhedged = 0.0
        for e in plan.exposures:
            coins = e.amount - e.lp_amount
            if e.is_cash or e.asset not in where:
                continue
            held = coins + e.yield_coin_per_year * horizon_days / 365.0
            unhedged += held * price(e.asset, last) - coins * e.price
        for pool in plan.exposure.pools:
            quote_now = plan.prices.get(pool.quote, 1.0)
            quote_end = price(pool.quote, last) if pool.quote in where else 1.0
            base_end = price(pool.base, last)
            unhedged += (pool.value_at(base_end / quote_end) * quote_end
                         - pool.value_at(plan.prices[pool.base] / quote_now) * quote_now)
        # stablecoin yield accrues too (cash held for the horizon)
        for e in plan.exposures:
            if e.is_cash or e.asset not in where:
                unhedged += e.yield_coin_per_year * horizon_days / 365.0 * e.price
        hedge = 0.0
        funding = 0.0
        liquidated, topups, topup_usd = [], [], []
        for leg in legs:
            a = where[leg.hedge_asset]
            inst = leg.instrument
            spot_end = price(leg.hedge_asset, last)
            lp = leg.liquidation_price
            barrier = None if lp is None else math.log(lp / leg.price)
            gone = False
            leg_funding = 0.0
            topup = False
            worst = 0.0
            to_usd = spot_end if inst.is_inverse else leg.settle_usd
            for t in range(horizon_days):
                if barrier is not None:
                    hit = hi_f[p, t, a] >= barrier if leg.side.sign < 0 else lo_f[p, t, a] <= barrier
                    if hit:
                        gone = True
                        break
                mark = leg.price * math.exp(log_f[p, t, a])
                if leg.dated is None and inst.is_perpetual:
                    received = inst.funding(leg.side, leg.contracts, mark, fund[p, t, a])
                    leg_funding += received * to_usd
                if lp is not None:
                    topup = topup or abs(lp - mark) < warn * mark
                    worst = max(worst, -inst.pnl(leg.side, leg.contracts, leg.price, mark) * to_usd)
            if gone and lp is not None:
                exit_price = leg.bankruptcy_price or lp
            else:
                exit_price = leg.price * math.exp(log_f[p, last, a])
            pnl = inst.pnl(leg.side, leg.contracts, leg.price, exit_price)
            pnl_usd = pnl * (spot_end if inst.is_inverse else leg.settle_usd)
            hedge += pnl_usd + leg_funding
            funding += leg_funding
            liquidated.append(gone)
            topups.append(topup or gone)
            topup_usd.append(worst if (topup or gone) else 0.0)
        out.append({"net": unhedged + hedge, "unhedged": unhedged, "funding": funding,
                    "liquidated": liquidated, "topup": topups, "topup_usd": topup_usd})
    return out
