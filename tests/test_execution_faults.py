"""Crash safety of ``hedgekit rebalance --execute`` (issue 11): the process is killed with a
real SIGKILL (``kill -9``: no cleanup, no flush) after the intent is committed, after the
venue accepted the order, and after it filled but before the journal knew. A restart and a
second rebalance must leave exactly one order per leg at the (paper) venue and the book on
target; a third run sends nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hedgekit.execution._faults import FAULT_ENV

BOOK = """
prices: {BTC: 75000, ETH: 2400}
holdings:
  - {asset: BTC, amount: 2.5}
  - {asset: ETH, amount: 40}
hedge: {venues: [binance-usdm], leverage: 3}
accounts:
  - {name: paper, venue: paper, base: binance-usdm, cash: {USDT: 100000}}
execution: {band: 0.05, max_order_usd: 1000000}
"""

SRC = Path(__file__).resolve().parents[1] / "src"


def crash(book: Path, data: Path, fault: str) -> subprocess.CompletedProcess:
    """``hedgekit rebalance --execute`` in a subprocess that kills itself at ``fault``."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "HEDGEKIT_DATA_DIR": str(data), FAULT_ENV: fault}
    return subprocess.run([sys.executable, "-m", "hedgekit", "rebalance", str(book), "--execute",
                           "--yes", "--json"], env=env, capture_output=True, text=True, timeout=60)


def venue_orders(data: Path) -> list[tuple[str, str, float, str]]:
    with sqlite3.connect(data / "execution" / "journal.sqlite3") as c:
        return c.execute("SELECT symbol, side, contracts, status FROM paper_orders ORDER BY symbol").fetchall()


def positions(data: Path) -> dict[str, float]:
    with sqlite3.connect(data / "execution" / "journal.sqlite3") as c:
        return dict(c.execute("SELECT symbol, contracts FROM paper_positions").fetchall())


@pytest.mark.parametrize("fault", ["after-intent", "after-accept", "after-fill"])
def test_a_kill_at_any_point_never_doubles_an_order(tmp_path, fault, run_cli, monkeypatch):
    book = tmp_path / "book.yaml"
    book.write_text(BOOK)
    data = tmp_path / "data"
    crashed = crash(book, data, fault)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert crashed.stdout == ""  # killed before it could report
    monkeypatch.delenv(FAULT_ENV, raising=False)
    # the restart (this process: a new executor, nothing in memory from the killed one)
    code, out, err = run_cli("rebalance", str(book), "--execute", "--yes", "--json", "--data-dir", str(data))
    assert code == 0, err
    assert "reconciled:" in err
    # one order per leg at the venue, and the book on target (short 2.5 BTC, 40 ETH)
    assert venue_orders(data) == [("BTCUSDT", "sell", 2.5, "filled"), ("ETHUSDT", "sell", 40.0, "filled")]
    assert positions(data) == {"BTCUSDT": -2.5, "ETHUSDT": -40.0}
    code, out, err = run_cli("rebalance", str(book), "--execute", "--yes", "--json", "--data-dir", str(data))
    assert code == 0 and json.loads(out)["orders"] == [], err
    assert len(venue_orders(data)) == 2
