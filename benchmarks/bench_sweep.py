"""Sweep speed in-process and on a Dask LocalCluster; prints one JSON object.

1. Overhead: the 1,000-policy sweep of bench_backtest.py (10 ratios x 10 bands x 10 estimator
   windows, min-variance, 10 assets, 4 years daily, imported from the stored files) in this
   process (numba threads over the policies) and on a 2-worker LocalCluster (2 processes x 1
   thread, market scattered once, tasks of ~125 policies). Workers are started and warmed up
   (imports, cached kernels) before timing; the cold first run is reported too. Target: the
   cluster within 1.5x of in-process.
2. Scaling: a 10 ratios x 10 bands x 10 windows x 10 leverages grid (10,000 policies) over
   10 assets x 52,560 hourly bars (6 years; tests/sweep_data.py tiles the stored daily Binance
   BTC/ETH history onto an hourly clock), on LocalClusters of 1 and 2 workers. ``--policies N``
   runs the first N policies of that grid (the per-policy cost is what scales).

Run: python benchmarks/bench_sweep.py [--policies 10000] [--skip-scaling]
(HEDGEKIT_TEST_DATA overrides ../shared/data; needs the dask extra.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
DATA = Path(os.environ.get("HEDGEKIT_TEST_DATA", REPO.parent / "shared" / "data"))

from bench_backtest import best, import_ten, ten_asset_config  # noqa: E402


def cluster(n_workers: int):
    from distributed import Client, LocalCluster

    c = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None, silence_logs=40)
    return c, Client(c)


def overhead() -> dict:
    from hedgekit.backtest.config import load_market, parse_config
    from hedgekit.backtest.engine import Policy
    from hedgekit.sweep.runner import run_sweep

    with tempfile.TemporaryDirectory() as tmp:
        import_ten(Path(tmp))
        cfg = parse_config(ten_asset_config())
        assets, market = load_market(cfg, data_dir=tmp)
    grid = [Policy(name=f"r{r:.2f} b{b:.2f} w{w}", method="minvar", ratio=r, band=b, window=w,
                   reestimate=30, leverage=2.0, topup=0.25)
            for r in np.linspace(0.1, 1.0, 10) for b in np.linspace(0.0, 0.45, 10)
            for w in range(30, 330, 30)]
    kw = {"reserve": 200_000.0}
    run_sweep(assets, market, grid[:4], **kw)  # JIT / cache load
    local = best(lambda: run_sweep(assets, market, grid, **kw), 5)
    expected = run_sweep(assets, market, grid, **kw)
    t0 = time.perf_counter()
    c, client = cluster(2)
    started = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        first = run_sweep(assets, market, grid, client=client, **kw)
        cold = time.perf_counter() - t0
        warm = best(lambda: run_sweep(assets, market, grid, client=client, **kw), 5)
        identical = first.equals(expected)
    finally:
        client.close()
        c.close()
    return {"policies": len(grid), "assets": len(assets), "bars": len(market.index),
            "in_process_s": local, "in_process_threads": int(__import__("numba").get_num_threads()),
            "cluster_2_workers_s": warm, "ratio": warm / local, "target_ratio": 1.5,
            "met": warm / local <= 1.5, "cluster_start_s": started, "cluster_first_run_s": cold,
            "identical_table": bool(identical)}


def scaling(n_policies: int) -> dict:
    from hedgekit.backtest.engine import Policy
    from hedgekit.sweep.runner import run_sweep
    from tests.sweep_data import tiled_market

    assets, market = tiled_market(DATA, 52_560, 10)
    grid = [Policy(name=f"r{r:.1f} b{b:.2f} w{w} L{lev}", method="minvar", ratio=r, band=b, window=w,
                   reestimate=24, leverage=float(lev), topup=0.25)
            for r in np.linspace(0.1, 1.0, 10) for b in np.linspace(0.0, 0.45, 10)
            for w in range(24, 264, 24) for lev in range(1, 11)][:n_policies]
    T, A = market.spot.shape
    out: dict = {"policies": len(grid), "assets": A, "bars": T, "asset_bar_steps": len(grid) * T * A}
    tables = []
    for n in (1, 2):
        c, client = cluster(n)
        try:
            run_sweep(assets, market, grid[:2 * n], client=client, reserve=1e6)  # warm the workers
            t0 = time.perf_counter()
            tables.append(run_sweep(assets, market, grid, client=client, reserve=1e6))
            secs = time.perf_counter() - t0
        finally:
            client.close()
            c.close()
        out[f"{n}_worker"] = {"seconds": secs, "core_seconds_per_policy": secs * n / len(grid),
                              "asset_bar_steps_per_core_s": len(grid) * T * A / (secs * n)}
    out["speedup_2_over_1"] = out["1_worker"]["seconds"] / out["2_worker"]["seconds"]
    out["identical_table"] = bool(tables[0].equals(tables[1]))
    per_policy = out["1_worker"]["core_seconds_per_policy"]
    efficiency = out["speedup_2_over_1"] / 2
    out["extrapolated_10000_policies_64_cores_s"] = 10_000 * per_policy / (64 * efficiency)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--skip-scaling", action="store_true")
    args = parser.parse_args()
    result = {"sweep_1000_policies_cluster_vs_in_process": overhead()}
    if not args.skip_scaling:
        result["scaling_hourly_6y_10_assets"] = scaling(args.policies)
    result["cpu_count"] = os.cpu_count()
    result["load_average_1m_at_end"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
