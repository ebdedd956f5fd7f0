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
