"""Wall time of ``hedgekit plan examples/portfolio.yaml`` including interpreter start.

Target (issue 16): < 0.5 s wall on an offline portfolio. Also times the in-process
``plan()`` call and a 9-shock scenario grid, and lists heavy modules the plan path imported.
Prints one JSON object.
"""

from __future__ import annotations

import ast
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "portfolio.yaml"
RUNS = 7


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("hedgekit")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("hedgekit")
    return [found] if found else [sys.executable, "-m", "hedgekit"]


def main() -> None:
    cmd = [*_cli(), "plan", str(EXAMPLE)]
    walls = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
    json_walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([*cmd, "--json"], check=True, capture_output=True)
        json_walls.append(time.perf_counter() - t0)

    from hedgekit.planner import plan
    from hedgekit.portfolio import load_portfolio
    from hedgekit.scenarios import run_scenarios

    portfolio = load_portfolio(EXAMPLE)
    plan(portfolio)  # warm imports
    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        result = plan(portfolio)
    plan_ms = (time.perf_counter() - t0) / n * 1e3
    t0 = time.perf_counter()
    for _ in range(n):
        run_scenarios(result)
    scen_ms = (time.perf_counter() - t0) / n * 1e3

    probe = (f"import sys; from hedgekit.cli import main; main(['plan', {str(EXAMPLE)!r}]); "
             "print(sorted(m for m in ('pandas', 'numba', 'ccxt', 'plotly', 'scipy') if m in sys.modules),"
             " file=sys.stderr)")
    heavy = ast.literal_eval(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                            text=True, check=True).stderr.strip().splitlines()[-1])
    print(json.dumps({
        "benchmark": "hedgekit plan examples/portfolio.yaml",
        "runs": RUNS,
        "wall_s_min": round(min(walls), 3),
        "wall_s_median": round(statistics.median(walls), 3),
        "wall_s_max": round(max(walls), 3),
        "json_wall_s_median": round(statistics.median(json_walls), 3),
        "target_s": 0.5,
        "meets_target": statistics.median(walls) < 0.5,
        "plan_call_ms": round(plan_ms, 3),
        "scenario_9_shocks_ms": round(scen_ms, 3),
        "legs": len(result.legs),
        "heavy_modules_imported": heavy,
    }, indent=2))


if __name__ == "__main__":
    main()
