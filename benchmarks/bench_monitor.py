"""Monitor costs on examples/live-book.yaml (offline: file prices, typed-in positions); prints
one JSON object.

1. `hedgekit monitor examples/live-book.yaml --once`: wall time of the whole command, as cron
   would start it (a new Python process each time), median of 5.
2. one cycle in a running monitor (plan, measure, rules, one SQLite transaction): median and
   p95 over 300 cycles, and the journal's file's growth per cycle (bytes, after a WAL checkpoint).
3. one alert through apprise's json:// service to an HTTP sink on 127.0.0.1: median of 50.
4. retention on a 500,000-row history (one row a minute for ~347 days, each with the example's
   own ~2 KB data_json): a cycle with ``alerts.history_days`` off, with 90 days pruning once an
   hour (the monitor's behaviour) and pruning every cycle. With 90 days the 370,400 rows older
   than that are a backlog the first cycles delete PRUNE_BATCH at a time: their count and the
   slowest of them, apart from the median of the 200 cycles after; and the same backlog
   deleted in one transaction, for comparison.

Run: python benchmarks/bench_monitor.py
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
EXAMPLE = REPO / "examples" / "live-book.yaml"

from notify_sink import Sink  # noqa: E402

from hedgekit.execution.journal import journal_path  # noqa: E402
from hedgekit.monitor.notify import Notifier  # noqa: E402
from hedgekit.monitor.runner import PRUNE_BATCH, Monitor  # noqa: E402
from hedgekit.monitor.store import book_key, connect, prune_history  # noqa: E402
from hedgekit.portfolio import load_portfolio  # noqa: E402


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
        journal = journal_path(tmp)
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


def _seed_history(data: Path, rows: int, start: datetime) -> None:
    """``rows`` state rows of the example book, one a minute up to ``start``, each a copy of
    a real cycle's row (its ~2 KB data_json included)."""
    mon = Monitor(EXAMPLE, data_dir=data, environ={})
    mon.cycle(start - timedelta(minutes=rows + 1))
    conn = mon._conn
    (row,) = conn.execute("SELECT * FROM state_history").fetchall()
    conn.execute("DELETE FROM state_history")
    marks = ", ".join("?" for _ in row)
    conn.executemany(f"INSERT INTO state_history VALUES ({marks})",
                     ((row[0], (start - timedelta(minutes=rows - i)).isoformat(), *row[2:])
                      for i in range(rows)))
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    mon.close()


def history_costs(rows: int = 500_000, cycles: int = 200) -> dict[str, float]:
    start = datetime(2026, 12, 2, tzinfo=UTC)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed"
        _seed_history(seed, rows, start)
        book = load_portfolio(EXAMPLE)
        for name, days, every_cycle in (("off", None, False), ("90d_hourly", 90, False),
                                        ("90d_every_cycle", 90, True)):
            data = Path(tmp) / name
            shutil.copytree(seed, data)
            settings = book.alerts.model_copy(update={"history_days": days})
            mon = Monitor(EXAMPLE, data_dir=data, environ={},
                          book=book.model_copy(update={"alerts": settings}))
            minute = 0
            backlog = []  # the first cycle and, with a backlog, those deleting a full batch
            while True:
                t = time.perf_counter()
                result = mon.cycle(start + timedelta(minutes=minute))
                backlog.append(time.perf_counter() - t)
                minute += 1
                assert result is not None
                if result.pruned < PRUNE_BATCH:
                    break
            out[f"history_{name}_backlog_cycles"] = len(backlog)
            out[f"history_{name}_backlog_cycle_ms_max"] = 1e3 * max(backlog)
            out[f"history_{name}_backlog_cycle_ms_median"] = 1e3 * statistics.median(backlog)
            times = []
            for i in range(minute, minute + cycles):
                if every_cycle:
                    mon._pruned_at = None  # as if the hour had passed each time
                t = time.perf_counter()
                mon.cycle(start + timedelta(minutes=i))
                times.append(time.perf_counter() - t)
            out[f"history_{name}_cycle_ms_median"] = 1e3 * statistics.median(times)
            out[f"history_{name}_rows_left"] = mon._conn.execute(
                "SELECT count(*) FROM state_history").fetchone()[0]
            mon.close()
            shutil.rmtree(data)
        # the same backlog deleted in one transaction (what the batches avoid)
        data = Path(tmp) / "one"
        shutil.copytree(seed, data)
        conn = connect(data)
        t = time.perf_counter()
        deleted = prune_history(conn, book_key(EXAMPLE), (start - timedelta(days=90)).isoformat())
        out["history_90d_unbatched_delete_ms"] = 1e3 * (time.perf_counter() - t)
        out["history_90d_unbatched_rows_deleted"] = deleted
        conn.close()
    return out


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
                      "apprise_json_loopback_ms_median": round(alert_ms(), 2),
                      **{k: round(v, 2) for k, v in history_costs().items()}}, indent=1))
