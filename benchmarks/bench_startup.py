"""Command-line wall clock, interpreter start included; prints one JSON object.

Each figure is the median of several runs of a fresh ``hedgekit`` process (min and max given):

1. ``hedgekit backtest examples/backtest.yaml --json`` warm (compiled kernels on disk): with the
   ahead-of-time kernels ``hedgekit selftest`` builds, and with numba's JIT cache only
   (``HEDGEKIT_JIT=1``). Target < 0.8 s.
2. After a fresh install (empty numba cache via ``NUMBA_CACHE_DIR``, no ahead-of-time build):
   ``hedgekit selftest`` (the README's install line runs it), then the first backtest; and the
   first backtest when selftest was skipped (numba compiles during the run). Target < 3 s.
3. ``hedgekit plan examples/portfolio.yaml`` (target < 0.5 s) and ``hedgekit analyze`` on 2
   pairs (target < 1 s).

The store holds the six Binance files the example needs, imported into a temporary folder.
Run: python benchmarks/bench_startup.py   (HEDGEKIT_TEST_DATA overrides ../shared/data)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("HEDGEKIT_TEST_DATA") or REPO.parent / "shared" / "data")
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
FILES = [f"futures/binance_spot_{c}USDT_1d_2021-2024.csv.gz" for c in ("BTC", "ETH")] + \
        [f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz" for c in ("BTC", "ETH")] + \
        [f"funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz" for c in ("BTC", "ETH")]


def cli() -> list[str]:
    exe = Path(sys.executable).with_name("hedgekit")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "hedgekit"]


def wall(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of one run."""
    before = os.times()
    t0 = time.perf_counter()
    done = subprocess.run([*cli(), *args], env=env, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return secs, cpu


def stats(samples: list[tuple[float, float]], target: float) -> dict:
    walls = [w for w, _ in samples]
    med = statistics.median(walls)
    return {"median_s": round(med, 3), "min_s": round(min(walls), 3), "max_s": round(max(walls), 3),
            "cpu_median_s": round(statistics.median(c for _, c in samples), 3), "runs": len(samples),
            "target_s": target, "met": med < target}


def repeat(args: list[str], env: dict[str, str], target: float, runs: int = RUNS) -> dict:
    wall(args, env)  # warm the OS file cache and compiled kernels
    return stats([wall(args, env) for _ in range(runs)], target)


def main() -> None:
    example = ["backtest", str(REPO / "examples" / "backtest.yaml"), "--json"]
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        base = {**os.environ, "HEDGEKIT_DATA_DIR": str(store)}
        for f in FILES:
            subprocess.run([*cli(), "data", "import", str(DATA / f)], env=base, check=True,
                           capture_output=True)
        result: dict = {}
        # a fresh install: nothing compiled anywhere
        fresh_runs, skip_runs, selftests = [], [], []
        for i in range(3):
            env = {**base, "HEDGEKIT_CACHE_DIR": str(Path(tmp) / f"cache{i}"),
                   "NUMBA_CACHE_DIR": str(Path(tmp) / f"numba{i}")}
            selftests.append(wall(["selftest"], env))
            fresh_runs.append(wall(example, env))
            env_skip = {**env, "HEDGEKIT_CACHE_DIR": str(Path(tmp) / f"skip{i}"),
                        "NUMBA_CACHE_DIR": str(Path(tmp) / f"numba_skip{i}")}
            skip_runs.append(wall(example, env_skip))
        warm_env = {**base, "HEDGEKIT_CACHE_DIR": str(Path(tmp) / "cache0"),
                    "NUMBA_CACHE_DIR": str(Path(tmp) / "numba0")}
        result["backtest_example_warm_aot"] = repeat(example, warm_env, 0.8)
        result["backtest_example_warm_jit_only"] = repeat(example, {**warm_env, "HEDGEKIT_JIT": "1"}, 0.8)
        result["backtest_example_first_run_after_install_and_selftest"] = stats(fresh_runs, 3.0)
        result["selftest_after_fresh_install"] = {**stats(selftests, 60.0), "note": "once, at install"}
        result["backtest_example_first_run_without_selftest"] = stats(skip_runs, 3.0)
        result["plan_portfolio"] = repeat(["plan", str(REPO / "examples" / "portfolio.yaml")], base, 0.5)
        result["analyze_2_pairs"] = repeat(
            ["analyze", "--assets", "BTC,ETH", "--against", "BTC-PERP", "--venue", "binance",
             "--start", "2021-01-01", "--end", "2024-12-31", "--json"], base, 1.0)
        shutil.rmtree(store, ignore_errors=True)
    result["cpu_count"] = os.cpu_count()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
