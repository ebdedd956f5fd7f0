"""Run every speed benchmark and print each figure next to its target.

    python benchmarks/run_all.py              # table on stdout, all raw JSON in benchmarks.json
    python benchmarks/run_all.py --markdown   # the README's speed table

Each benchmark script runs in its own process and prints one JSON object; this collects them,
names the machine (CPU model, cores, load average before and after) and prints one row per
figure: what, target, measured (median, with the range over the runs where there is one, and
for the command-line figures the median CPU time, user + sys, of the process), met. On a machine
shared with other jobs the wall clock stretches with the load; the CPU time much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(script: str) -> dict:
    done = subprocess.run([sys.executable, str(HERE / script)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def _s(x: float) -> str:
    return f"{x * 1e3:.0f} ms" if x < 1 else f"{x:.2f} s"


def _range(d: dict, key: str = "median_s") -> str:
    cpu = f"; CPU {_s(d['cpu_median_s'])}" if "cpu_median_s" in d else ""
    return f"{_s(d[key])} ({_s(d['min_s'])} - {_s(d['max_s'])}{cpu})"


def rows(res: dict) -> list[tuple[str, str, str, bool]]:
    st, bt, dt = res["bench_startup.py"], res["bench_backtest.py"], res["bench_data.py"]
    kt = bt["kernel_asset_bar_steps_per_s"]
    out = [
        ("`hedgekit backtest examples/backtest.yaml --json`, warm (ahead-of-time kernels from "
         "`hedgekit selftest`)", "< 0.8 s", _range(st["backtest_example_warm_aot"]),
         st["backtest_example_warm_aot"]["met"]),
        ("same, numba JIT cache only (`HEDGEKIT_JIT=1`, or selftest without a C compiler)", "< 0.8 s",
         _range(st["backtest_example_warm_jit_only"]), st["backtest_example_warm_jit_only"]["met"]),
        ("first backtest after a fresh install + `hedgekit selftest`", "< 3 s",
         _range(st["backtest_example_first_run_after_install_and_selftest"]),
         st["backtest_example_first_run_after_install_and_selftest"]["met"]),
        ("`hedgekit selftest` itself (once, at install: JIT + ahead-of-time build)", "-",
         _range(st["selftest_after_fresh_install"]), True),
        ("first backtest after a fresh install, selftest skipped (numba compiles in the run)", "< 3 s",
         _range(st["backtest_example_first_run_without_selftest"]),
         st["backtest_example_first_run_without_selftest"]["met"]),
        ("`hedgekit plan examples/portfolio.yaml`", "< 0.5 s", _range(st["plan_portfolio"]),
         st["plan_portfolio"]["met"]),
        ("`hedgekit analyze`, 2 pairs, 4 years daily, warm", "< 1 s", _range(st["analyze_2_pairs"]),
         st["analyze_2_pairs"]["met"]),
        ("load + align 10 assets x 4 years daily from the store (spot, perp OHLC, funding)", "< 50 ms",
         _range(bt["load_align_10_assets_4y_daily"], "seconds"), bt["load_align_10_assets_4y_daily"]["met"]),
        ("kernel, 1,000,000 bars x 10 assets, full mechanics, 5% band, per-bar outputs", ">= 95 M steps/s",
         f"{kt['steps_per_s'] / 1e6:.0f} M/s ({kt['steps_per_s_min'] / 1e6:.0f} - "
         f"{kt['steps_per_s_max'] / 1e6:.0f})", kt["met"]),
        ("same, per CPU second of the process (what the kernel costs whatever shares the machine)",
         ">= 95 M steps/s", f"{kt['cpu_time_steps_per_s'] / 1e6:.0f} M/s", kt["cpu_time_steps_per_s"] >= 95e6),
        ("same, metrics only", ">= 95 M steps/s", f"{kt['metrics_only_steps_per_s'] / 1e6:.0f} M/s",
         kt["metrics_only_steps_per_s"] >= 95e6),
        ("same with a 0.2% band and 5% staking "
         f"({kt['busy_rebalances']:,} trades)", "-", f"{kt['busy_0.2pct_band_steps_per_s'] / 1e6:.0f} M/s", True),
    ]
    for key, label in (("peak_memory_1m_x_10_metrics_only", "metrics only"),
                       ("peak_memory_1m_x_10_per_bar_outputs", "per-bar outputs")):
        out.append((f"peak memory, 1,000,000 x 10 run ({label}), inputs included", "< 1.5 GB",
                    f"{bt[key]['peak_rss_gb']:.2f} GB", bt[key]["met"]))
    two, e2e = bt["daily_4y_2_assets_per_call"], bt["daily_4y_10_assets_end_to_end"]
    sw = bt["sweep_1000_policies_4y_10_assets"]
    out += [
        ("4-year daily 2-asset `run_backtest` (policy + baseline + metrics), data loaded", "< 2 ms",
         f"{two['ms_per_call']:.2f} ms", two["met"]),
        ("4-year daily 10-asset end to end in-process (load, align, run, metrics)", "< 1 s",
         _range(e2e, "seconds"), e2e["met"]),
        (f"1,000-policy sweep, 4 years x 10 assets, {sw['threads']} threads", "< 5 s", _s(sw["seconds"]),
         sw["met"]),
        ("import all of the shared data into a store", "< 30 s", _s(dt["import_all_shared_data_s"]),
         dt["import_all_shared_data_s"] < dt["targets"]["import_s"]),
        ("`load_prices`, 10 assets x 4 years daily closes", "< 0.2 s",
         _s(dt["load_10_assets_4y_daily_median_s"]),
         dt["load_10_assets_4y_daily_median_s"] < dt["targets"]["load_s"]),
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the README's speed table")
    parser.add_argument("--json", default="benchmarks.json", help="where to write all raw results")
    opts = parser.parse_args()
    load_before = os.getloadavg()
    t0 = time.time()
    res = {name: run(name) for name in ("bench_startup.py", "bench_backtest.py", "bench_data.py")}
    res["machine"] = machine()
    res["load_average_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    res["minutes"] = round((time.time() - t0) / 60, 1)
    Path(opts.json).write_text(json.dumps(res, indent=2) + "\n")
    table = rows(res)
    la = res["load_average_before_after"]
    head = f"{res['machine']}; 1-min load average {la[0]} before, {la[1]} after"
    if opts.markdown:
        print(f"Measured on {head}.\n")
        print("| measure | target | measured: median wall (range; CPU) | met |\n|---|---|---|---|")
        for what, target, got, met in table:
            print(f"| {what} | {target} | {got} | {'yes' if met else '**no**'} |")
        return
    print(head)
    width = max(len(r[0]) for r in table)
    for what, target, got, met in table:
        print(f"{what:<{width}}  {target:>16}  {got:>26}  {'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
