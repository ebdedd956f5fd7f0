"""Load on the dashboard over loopback: CLIENTS concurrent clients for SECONDS seconds, each
requesting ``/api/status`` and the main page in turn as fast as answers come back.

Target (shared/DESIGN.md): 50 clients, no errors, p99 < 200 ms, memory flat. The server is
``hedgekit serve examples/live-book.yaml`` in its own process (an empty data dir, so nothing
outside the repo is read); its resident memory is read from /proc after a warm-up and at the
end. Prints one JSON object. ``python benchmarks/bench_dashboard.py [CLIENTS] [SECONDS]``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "examples" / "live-book.yaml"
PATHS = ("/api/status", "/")


async def _client(base: str, stop_at: float, latencies: list[float], errors: list[str]) -> None:
    """One client: its own keep-alive connection, one request at a time, until ``stop_at``."""
    import httpx

    async with httpx.AsyncClient(timeout=10.0) as http:
        await _loop(http, base, stop_at, latencies, errors)


async def _loop(http, base: str, stop_at: float, latencies: list[float], errors: list[str]) -> None:
    i = 0
    while time.monotonic() < stop_at:
        path = PATHS[i % len(PATHS)]
        i += 1
        t0 = time.perf_counter()
        try:
            r = await http.get(base + path)
            ok = r.status_code == 200 and len(r.content) > 0
            if not ok:
                errors.append(f"{path}: HTTP {r.status_code}")
        except Exception as exc:  # noqa: BLE001 - every failure is counted, whatever it is
            errors.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - t0)


async def run_load(base: str, clients: int, seconds: float) -> dict:
    """``clients`` concurrent loops for ``seconds`` (a bounded loop: it stops by itself).
    Returns request count, errors and latency percentiles in milliseconds."""
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(base, stop_at, latencies, errors) for _ in range(clients)))
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(q: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) if latencies else None

    return {"clients": clients, "seconds": round(wall, 2), "requests": len(latencies) + len(errors),
            "requests_per_s": round(len(latencies) / wall, 1), "errors": len(errors),
            "first_errors": errors[:5], "p50_ms": pct(0.50), "p90_ms": pct(0.90),
            "p99_ms": pct(0.99), "max_ms": round(latencies[-1] * 1000, 1) if latencies else None}


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(base: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/api/status", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def main() -> None:
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                                     os.environ.get("PYTHONPATH")]))}
    env.pop("HEDGEKIT_TOKEN", None)
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen([sys.executable, "-m", "hedgekit", "serve", str(BOOK), "--port", str(port),
                                 "--data-dir", data], env=env, stderr=subprocess.DEVNULL)
        try:
            _wait_up(base, proc)
            asyncio.run(run_load(base, clients, 3.0))  # warm-up: imports, first plan, buffers
            rss_start, cpu_server = _rss_kib(proc.pid), _cpu_seconds(proc.pid)
            cpu_client = time.process_time()
            result = asyncio.run(run_load(base, clients, seconds))
            rss_end = _rss_kib(proc.pid)
            cpu_server = _cpu_seconds(proc.pid) - cpu_server
            cpu_client = time.process_time() - cpu_client
        finally:
            proc.terminate()
            proc.wait(10)
    result.update({"target_p99_ms": 200, "rss_start_mib": round(rss_start / 1024, 1),
                   "rss_end_mib": round(rss_end / 1024, 1),
                   "rss_growth_pct": round((rss_end / rss_start - 1) * 100, 1),
                   "server_cpu_ms_per_request": round(cpu_server / result["requests"] * 1000, 3),
                   "client_cpu_ms_per_request": round(cpu_client / result["requests"] * 1000, 3),
                   "load_average_1min": round(os.getloadavg()[0], 2),
                   "cpus": os.cpu_count(), "paths": list(PATHS)})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
