"""Backtest speed on real data; prints one JSON object with each number next to its target
(issue 16). Times are medians of several runs (min and max given).

1. kernel throughput (the numba JIT kernel): 1,000,000 bars x 10 assets, one policy with
   funding, fees, margin, liquidation checks, top-up checks and a 5% band; with per-bar outputs
   and metrics-only. The bars are real daily returns of 8 Binance coins, BTC/ETH perp bases,
   intrabar highs and 8h funding, played forward then mirrored back (so prices stay bounded) and
   repeated to 1M bars. Peak memory of that run (inputs built, kernel run) in a fresh process.
2. 4-year daily 2-asset backtest (Binance BTC/ETH spot + perps + funding), inputs loaded:
   time per `run_backtest` call (baseline, policy, metrics, result) after warm-up.
3. 4-year daily 10-asset: load + align from the store (target 50 ms), and end to end (load,
   align, run one policy + baseline, metrics; no report). Import is done once beforehand.
4. 1,000-policy sweep (10 ratios x 10 bands x 10 estimator windows, min-variance) over the same
   10-asset data, numba prange on the machine's cores.

Run: python benchmarks/bench_backtest.py   (HEDGEKIT_TEST_DATA overrides ../shared/data)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
DATA = Path(os.environ.get("HEDGEKIT_TEST_DATA", REPO.parent / "shared" / "data"))

from hedgekit.backtest import kernels as k  # noqa: E402
from hedgekit.backtest.config import parse_config, run_config  # noqa: E402
from hedgekit.backtest.engine import (  # noqa: E402
    AssetSpec,
    Policy,
    _kernel_args,
    align_market,
    run_backtest,
    run_policy_arrays,
    sweep,
)
from hedgekit.instruments import Instrument  # noqa: E402

COINS8 = ("ADA", "AVAX", "BNB", "BTC", "DOGE", "ETH", "SOL", "XRP")


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def best(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls (the name is historical)."""
    return statistics.median(timed(fn, repeat))


def read_klines(path) -> pd.DataFrame:
    f = pd.read_csv(path)
    f.index = pd.to_datetime(f["open_time"], utc=True)
    return f


def read_funding(path) -> pd.Series:
    f = pd.read_csv(path)
    ts = pd.to_datetime(f["funding_time"], utc=True, format="ISO8601").dt.floor("h")
    return pd.Series(f["funding_rate"].to_numpy(float), index=pd.DatetimeIndex(ts))


def million_bar_inputs(n_bars: int = 1_000_000, n_assets: int = 10):
    closes = []
    for coin in COINS8:
        path = DATA / f"prices/binance_spot_daily_8coins_2020-01_2026-02/{coin}_1D.json.gz"
        rows = json.loads(pd.io.common.get_handle(path, "r", compression="gzip").handle.read())
        closes.append(np.array([float(r["c"]) for r in rows[-1900:]]))
    r = np.stack([np.diff(np.log(c)) for c in closes], axis=1)  # (1899, 8)
    r = np.concatenate([r, r[:, :2]], axis=1)[:, :n_assets]  # 10 columns
    cycle = np.concatenate([r, -r[::-1]])  # forward then back: bounded path
    reps = n_bars // len(cycle) + 1
    logp = np.cumsum(np.tile(cycle, (reps, 1))[:n_bars], axis=0)
    spot = 100.0 * np.exp(logp)
    perp = read_klines(DATA / "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz")
    sp = read_klines(DATA / "futures/binance_spot_BTCUSDT_1d_2021-2024.csv.gz")
    basis = (perp["close"].to_numpy() / sp["close"].to_numpy())
    up = (perp["high"].to_numpy() / perp["close"].to_numpy())
    idx = np.arange(n_bars) % len(basis)
    fut = spot * basis[idx][:, None]
    high = fut * up[idx][:, None]
    rate = read_funding(DATA / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz")
    daily = rate.groupby(rate.index.floor("D")).sum().to_numpy()
    fund_lin = fut * daily[np.arange(n_bars) % len(daily)][:, None]
    fund_inv = daily[np.arange(n_bars) % len(daily)][:, None] / fut
    ret_s = np.zeros_like(spot)
    ret_s[1:] = spot[1:] / spot[:-1] - 1
    ret_f = np.zeros_like(fut)
    ret_f[1:] = fut[1:] / fut[:-1] - 1
    A = n_assets
    roll = np.empty((0, A))  # no rolls (what _kernel_args passes when roll_to is all NaN)
    flat_tiers = np.tile(np.array([[0.0, np.inf, 0.004, 0.0]]), (A, 1, 1))
    days = np.ones(n_bars)
    days[0] = 0.0
    settle = np.empty((0, A))  # no quanto hedge
    pools = np.zeros(A, dtype=np.int64)  # every leg linear: the USD pool (used by cross margin only)
    return (spot, fut, high, ret_s, ret_f, fund_lin, fund_inv, roll, settle,
            np.full(A, 100.0), days, np.zeros(A), np.zeros(A, dtype=np.int64), np.ones(A),
            np.full(A, 1e-3), flat_tiers, np.ones(A, dtype=np.int64), np.full(A, 0.0006), pools, 0.0, 1e7)


def kernel_throughput() -> dict:
    args = million_bar_inputs()
    T, A = args[0].shape
    policy = Policy(name="band", ratio=1.0, band=0.05, leverage=3.0, topup=0.2)
    run_policy_arrays(args, policy, 365.0, kernels=k)  # JIT / cache load
    out = {}
    times = timed(lambda: out.update(run_policy_arrays(args, policy, 365.0, kernels=k)), 5)
    secs = statistics.median(times)
    lean = timed(lambda: run_policy_arrays(args, policy, 365.0, kernels=k, detail=False), 5)
    cpu = []  # process CPU time: what the kernel costs whatever else shares the machine
    for _ in range(5):
        c0 = time.process_time()
        run_policy_arrays(args, policy, 365.0, kernels=k)
        cpu.append(time.process_time() - c0)
    sc = out["scalars"]
    # the same with a 0.2% band and ETH-style staking, so the book really trades (drift)
    busy_policy = Policy(name="busy", ratio=1.0, band=0.002, leverage=3.0, topup=0.2)
    stake = 11  # the position of stake_day: 9 market arrays (spot .. settle), coins0, days
    busy_args = args[:stake] + (np.full(A, 0.05 / 365),) + args[stake + 1:]
    run_policy_arrays(busy_args, busy_policy, 365.0, kernels=k)
    busy = {}
    busy_secs = best(lambda: busy.update(run_policy_arrays(busy_args, busy_policy, 365.0, kernels=k)), 3)
    return {"steps_per_s": T * A / secs, "steps_per_s_min": T * A / max(times),
            "steps_per_s_max": T * A / min(times), "seconds": secs,
            "metrics_only_steps_per_s": T * A / statistics.median(lean),
            "cpu_time_steps_per_s": T * A / statistics.median(cpu), "bars": T, "assets": A,
            "rebalances": int(sc[k.S_REBALANCES]), "liquidations": int(sc[k.S_LIQUIDATIONS]),
            "topups": int(sc[k.S_TOPUPS]), "target_steps_per_s": 95e6,
            "busy_0.2pct_band_steps_per_s": T * A / busy_secs,
            "busy_rebalances": int(busy["scalars"][k.S_REBALANCES])}


def peak_memory(detail: bool) -> dict:
    """Peak resident memory of a fresh process that builds the 1M x 10 inputs and runs them."""
    here = str(REPO / "benchmarks")
    code = (f"import sys, resource; sys.path.insert(0, {here!r}); import bench_backtest as b; "
            "from hedgekit.backtest.engine import Policy, run_policy_arrays; "
            "from hedgekit.backtest import kernels as k; args = b.million_bar_inputs(); "
            "run_policy_arrays(args, Policy(name='band', ratio=1.0, band=0.05, leverage=3.0, topup=0.2), "
            f"365.0, kernels=k, detail={detail!r}); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {"peak_rss_gb": int(done.stdout.split()[-1]) * 1024 / 1e9, "per_bar_outputs": detail,
            "target_gb": 1.5}


def two_asset_call() -> dict:
    coins = ("BTC", "ETH")
    spot = {c: read_klines(DATA / f"futures/binance_spot_{c}USDT_1d_2021-2024.csv.gz") for c in coins}
    hedge = {c: read_klines(DATA / f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz") for c in coins}
    funding = {c: read_funding(DATA / f"funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz") for c in coins}
    assets = [AssetSpec(name=c, coins=q, instrument=Instrument(symbol=f"{c}USDT", contract_type="linear",
                        contract_size=1.0, base=c, quote="USDT", lot_size=0.001))
              for c, q in (("BTC", 1.0), ("ETH", 10.0))]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    policy = [Policy(name="minvar", method="minvar", band=0.1, window=90, reestimate=30)]
    run_backtest(assets, market, policy, cash=20_000.0)
    n = 50
    full = best(lambda: [run_backtest(assets, market, policy, cash=20_000.0) for _ in range(n)], 3) / n
    args = _kernel_args(assets, market, 20_000.0, 0.0)
    kern = best(lambda: [run_policy_arrays(args, policy[0], 365.0) for _ in range(n)], 3) / n
    return {"ms_per_call": full * 1e3, "kernel_only_ms": kern * 1e3, "bars": len(market.index),
            "target_ms": 2.0}


TEN = [("BTC", 1.0, "BTCUSDT", None), ("ETH", 10.0, "ETHUSDT", None), ("SOL", 100.0, "ETHUSDT", None),
       ("BNB", 20.0, "ETHUSDT", None), ("ADA", 10_000.0, "ETHUSDT", None), ("XRP", 10_000.0, "BTCUSDT", None),
       ("DOGE", 50_000.0, "BTCUSDT", None), ("AVAX", 200.0, "ETHUSDT", None), ("LINK", 300.0, "ETHUSDT", "yahoo"),
       ("LTC", 50.0, "BTCUSDT", "yahoo")]


def ten_asset_config() -> dict:
    return {
        "name": "10-asset book", "start": "2021-01-01", "end": "2024-12-31", "cash_usd": 0.0,
        "reserve_usd": 200_000.0,
        "assets": [{"asset": a, "coins": q, "spot_venue": v or "binance",
                    "hedge": {"venue": "binance-usdm", "symbol": s}} for a, q, s, v in TEN],
        "policies": [{"name": "minvar", "method": "minvar", "band": 0.1, "window": 90, "reestimate": 30,
                      "leverage": 2, "topup": 0.25}],
    }


def import_ten(store_dir: Path) -> None:
    from hedgekit.data import Store, import_path

    store = Store(store_dir)
    import_path(DATA / "prices/binance_spot_daily_8coins_2020-01_2026-02", store=store)
    for coin in ("LINK", "LTC"):
        import_path(DATA / f"prices/yahoo_daily_hourly_28coins_to_2025-02/1d/{coin}-USD_1d.csv.gz", store=store)
    for c in ("BTC", "ETH"):
        import_path(DATA / f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz", store=store)
        import_path(DATA / f"funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz", store=store)


def end_to_end_and_sweep() -> tuple[dict, dict]:
    from hedgekit.backtest.config import load_market

    with tempfile.TemporaryDirectory() as tmp:
        import_ten(Path(tmp))
        cfg = parse_config(ten_asset_config())
        run_config(cfg, data_dir=tmp)  # warm-up (JIT cache, imports)
        e2e = timed(lambda: run_config(cfg, data_dir=tmp), 5)
        loads = timed(lambda: load_market(cfg, data_dir=tmp), 15)
        assets, market = load_market(cfg, data_dir=tmp)
    grid = [Policy(name=f"r{r:.2f} b{b:.2f} w{w}", method="minvar", ratio=r, band=b, window=w,
                   reestimate=30, leverage=2.0, topup=0.25)
            for r in np.linspace(0.1, 1.0, 10) for b in np.linspace(0.0, 0.45, 10)
            for w in range(30, 330, 30)]
    sweep(assets, market, grid[:4], reserve=200_000.0)  # JIT
    frame = None

    def go():
        nonlocal frame
        frame = sweep(assets, market, grid, reserve=200_000.0)

    secs = best(go, 3)
    return ({"seconds": statistics.median(e2e), "min_s": min(e2e), "max_s": max(e2e),
             "load_align_s": statistics.median(loads), "load_align_min_s": min(loads),
             "load_align_max_s": max(loads), "load_align_target_s": 0.05,
             "bars": len(market.index), "assets": len(assets), "target_s": 1.0},
            {"seconds": secs, "policies": len(grid), "bars": len(market.index), "assets": len(assets),
             "threads": int(__import__("numba").get_num_threads()), "target_s": 5.0,
             "best_hedge_effectiveness": float(frame["hedge_effectiveness"].max())})


def main() -> None:
    mem = peak_memory(False)
    mem_detail = peak_memory(True)
    kt = kernel_throughput()
    two = two_asset_call()
    e2e, sw = end_to_end_and_sweep()
    result = {
        "kernel_asset_bar_steps_per_s": {**kt, "met": kt["steps_per_s"] >= kt["target_steps_per_s"]},
        "peak_memory_1m_x_10_metrics_only": {**mem, "met": mem["peak_rss_gb"] < mem["target_gb"]},
        "peak_memory_1m_x_10_per_bar_outputs": {**mem_detail,
                                                "met": mem_detail["peak_rss_gb"] < mem_detail["target_gb"]},
        "load_align_10_assets_4y_daily": {
            "seconds": e2e["load_align_s"], "min_s": e2e["load_align_min_s"],
            "max_s": e2e["load_align_max_s"], "target_s": 0.05,
            "met": e2e["load_align_s"] < 0.05},
        "daily_4y_2_assets_per_call": {**two, "met": two["ms_per_call"] < two["target_ms"]},
        "daily_4y_10_assets_end_to_end": {**e2e, "met": e2e["seconds"] < e2e["target_s"]},
        "sweep_1000_policies_4y_10_assets": {**sw, "met": sw["seconds"] < sw["target_s"]},
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
