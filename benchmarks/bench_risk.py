"""Monte Carlo risk speed (issue 15); prints one JSON object with each number next to its target.

1. ``risk``: 100,000 paths x 30 daily steps x 10 assets, one linear short per asset on
   binance-usdm (tiers, liquidation with the intrabar bridge, funding, top-up checks), path
   generation included, one core (numba, no threads), after the JIT warm-up; per model.
2. ``size``: the 10 x 10 ratio x leverage frontier plus the per-leg leverage search on the same
   book (``hedgekit size``'s default 20,000 paths, and 100,000).
3. Peak resident memory of the process after both.

The models are fed synthetic inputs (no data store): GBM and GARCH with 3.5% daily volatility
and 0.5 correlation, the bootstrap on 1,500 synthetic days.

Run: python benchmarks/bench_risk.py
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from hedgekit.planner import plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.risk import ModelParams, pack_plan, simulate
from hedgekit.risk.sizing import size_book

COINS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB", "ADA", "AVAX", "LINK", "LTC")
PRICES = {"BTC": 65_000, "ETH": 3_500, "SOL": 150, "XRP": 0.6, "DOGE": 0.15, "BNB": 600, "ADA": 0.45,
          "AVAX": 35, "LINK": 15, "LTC": 80}
PATHS, DAYS = 100_000, 30


def book():
    holdings = [{"asset": c, "amount": 100_000 / PRICES[c]} for c in COINS]
    return plan(parse_portfolio({"holdings": holdings, "prices": PRICES,
                                 "hedge": {"ratio": 1, "leverage": 5, "venues": ["binance-usdm"]}}))


def params(model: str, assets: tuple[str, ...]) -> ModelParams:
    n = len(assets)
    corr = np.full((n, n), 0.5) + 0.5 * np.eye(n)
    sigma = np.full(n, 0.035)
    fund = np.full(n, 0.0003)
    if model == "gbm":
        return ModelParams(model="gbm", assets=assets, sigma=sigma, corr=corr, fund_day=fund)
    if model == "garch":
        h0 = 0.035**2
        garch = np.array([[0.0] * n, [h0 * 0.05] * n, [0.05] * n, [0.05] * n, [0.875] * n, [4.5] * n, [h0] * n])
        return ModelParams(model="garch", assets=assets, sigma=sigma, corr=corr, fund_day=fund, garch=garch)
    rng = np.random.default_rng(1)
    days = 1_500
    ret = rng.multivariate_normal(np.zeros(n), corr * 0.035**2, size=days)
    return ModelParams(model="bootstrap", assets=assets, sigma=sigma, fund_day=np.zeros(n), hist_ret=ret,
                       hist_basis=rng.normal(0, 5e-4, (days, n)), hist_fund=rng.normal(3e-4, 2e-4, (days, n)),
                       mean_block=10.0)


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): on a shared machine the CPU time is the
    closer measure of one core's work."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> int:
    p = book()
    assert len(p.legs) == len(COINS), [leg.symbol for leg in p.legs]
    b = pack_plan(p, DAYS)
    report: dict[str, object] = {"paths": PATHS, "days": DAYS, "assets": len(b.assets), "legs": len(p.legs)}
    for model in ("gbm", "garch", "bootstrap"):
        prm = params(model, b.assets)
        simulate(b, prm, paths=1_000, horizon_days=DAYS, seed=0)  # JIT warm-up
        wall, cpu = min(timed(lambda prm=prm: simulate(b, prm, paths=PATHS, horizon_days=DAYS, seed=1))
                        for _ in range(2))
        report[f"risk_{model}_s"] = round(wall, 3)
        report[f"risk_{model}_cpu_s"] = round(cpu, 3)
    report["risk_target_s"] = 2.0
    prm = params("bootstrap", b.assets)
    for paths in (20_000, 100_000):
        wall, cpu = timed(lambda paths=paths: size_book(p, b, prm, max_liquidation_prob=0.01, horizon_days=DAYS,
                                                        paths=paths, seed=1))
        report[f"size_{paths}_paths_s"] = round(wall, 3)
        report[f"size_{paths}_paths_cpu_s"] = round(cpu, 3)
    report["size_target_s"] = 10.0
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["memory_target_mb"] = 2048
    report["load_average_1m"] = round(os.getloadavg()[0], 2)
    report["cpus"] = os.cpu_count()
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
