"""Monitor costs on examples/live-book.yaml (offline: file prices, typed-in positions); prints
one JSON object.

1. `hedgekit monitor examples/live-book.yaml --once`: wall time of the whole command, as cron
   would start it (a new Python process each time), median of 5.
2. one cycle in a running monitor (plan, measure, rules, one SQLite transaction): median and
   p95 over 300 cycles, and the journal's file's growth per cycle (bytes, after a WAL checkpoint).
3. one alert through apprise's json:// service to an HTTP sink on 127.0.0.1: median of 50.

Run: python benchmarks/bench_monitor.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
EXAMPLE = REPO / "examples" / "live-book.yaml"

from notify_sink import Sink  # noqa: E402

from hedgekit.monitor.notify import Notifier  # noqa: E402
from hedgekit.monitor.runner import Monitor  # noqa: E402


def once_wall_seconds(runs: int = 5) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        env["HEDGEKIT_DATA_DIR"] = tmp
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "hedgekit", "monitor", str(EXAMPLE), "--once"],
                           env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def cycle_costs(cycles: int = 300) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        mon = Monitor(EXAMPLE, data_dir=tmp, environ={})
        start = datetime.now(UTC)
        mon.cycle(start)  # warm-up (imports, first plan)
        journal = Path(tmp) / "journal.sqlite"
        mon._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size_before = journal.stat().st_size
        times = []
        for i in range(1, cycles + 1):
            t = time.perf_counter()
            mon.cycle(start + timedelta(seconds=60 * i))
            times.append(time.perf_counter() - t)
        mon._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        growth = journal.stat().st_size - size_before
        mon.close()
    times.sort()
    return {"cycle_ms_median": 1e3 * statistics.median(times),
            "cycle_ms_p95": 1e3 * times[int(0.95 * len(times)) - 1],
            "journal_bytes_per_cycle": growth / cycles}


def alert_ms(n: int = 50) -> float:
    with Sink(limit=n + 1) as sink:
        notifier = Notifier([("bench", f"json://127.0.0.1:{sink.port}/")])
        times = []
        for _ in range(n):
            t = time.perf_counter()
            assert notifier.send("hedgekit bench: drift fired", "ETH: drift 33.3%", "fired")["delivered"]
            times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


if __name__ == "__main__":
    print(json.dumps({"once_wall_s_median": round(once_wall_seconds(), 3),
                      **{k: round(v, 2) for k, v in cycle_costs().items()},
                      "apprise_json_loopback_ms_median": round(alert_ms(), 2)}, indent=1))
