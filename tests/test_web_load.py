"""A short load smoke test on loopback: 10 concurrent clients for 2 s against ``/api/status``
and the main page, through a real uvicorn server. No timing assertion (speed is measured in
benchmarks/bench_dashboard.py); every answer must be a 200 with a body, and the plan must have
been computed from the cache, not once per request."""

from __future__ import annotations

import asyncio

from benchmarks.bench_dashboard import run_load
from tests.web_support import LIVE_BOOK, serving


def test_ten_clients_for_two_seconds_get_no_errors(tmp_path, monkeypatch):
    import hedgekit.web.app as web

    calls = []
    real = web.book_status
    monkeypatch.setattr(web, "book_status", lambda *a: calls.append(1) or real(*a))
    with serving(web.create_app(LIVE_BOOK, data_dir=tmp_path)) as url:
        result = asyncio.run(run_load(url, clients=10, seconds=2.0))
    assert result["errors"] == 0, result["first_errors"]
    assert result["requests"] >= 10
    # the status lives 2 s: a 2 s run (plus the first request) computes it at most twice
    assert 1 <= len(calls) <= 2 < result["requests"]


def test_hedgekit_serve_answers_on_loopback_and_stops_on_sigterm(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    from tests.web_support import free_port

    port = free_port()
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    env.pop("HEDGEKIT_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "hedgekit", "serve", str(LIVE_BOOK), "--port", str(port),
                             "--data-dir", str(tmp_path)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline, answer = time.monotonic() + 30, None
        while answer is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, proc.stderr and proc.poll()
        assert answer.json()["book"] == "live-book.yaml"
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
    # uvicorn shuts down gracefully, then ends by the signal it caught (or 0 on older versions)
    assert code in (0, -signal.SIGTERM)
    err = proc.stderr.read()
    assert f"http://127.0.0.1:{port}/" in err and "Traceback" not in err
