"""`hedgekit sweep`: grid files, the product of the axes, and one table whatever runs it.

The table must be the same to the last bit in this process, on a Dask LocalCluster of 2 worker
processes and in any chunking (each row depends only on its policy and the market), and stay
complete and identical when a worker process dies mid-run. The cluster tests start their own
LocalCluster on 127.0.0.1 (no network beyond loopback) with timeouts.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hedgekit.backtest.engine import MAX_LEVERAGE, MAX_RATIO, Method, Policy
from hedgekit.errors import InputError
from hedgekit.sweep.grid import PARAMETERS, grid_policies, parse_grid
from hedgekit.sweep.runner import chunk_bounds, default_chunk_size, run_sweep
from tests.sweep_data import tiled_market
from tests.test_backtest_cli import EXAMPLE, store  # noqa: F401  (the BTC/ETH store fixture)

REPO = Path(__file__).resolve().parents[1]

GRID = {"base": {"leverage": 3, "topup": 0.2},
        "axes": {"method": ["static", "minvar", "trend", "ewma"], "ratio": [0.5, 1.0],
                 "band": [0.0, 0.05, 0.2]}}


def assert_bitwise_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, dtypes and every float's bit pattern (NaN included)."""
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if x.dtype == np.float64:
            assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), col
        else:
            assert list(x) == list(y), col


# --- grid files -------------------------------------------------------------------------------

def _grid_error(doc) -> str:
    with pytest.raises(InputError) as info:
        parse_grid(doc)
    return str(info.value)


def test_bad_grids_name_the_axis_and_value():
    assert _grid_error({"axes": {"ratio": []}}) == "axes.ratio: must list at least one value (got [])"
    assert _grid_error({"axes": {"colour": ["red"]}}).startswith(
        "axes.colour: unknown parameter (one of method, ratio, ")
    # the bounds of Policy: ratio <= MAX_RATIO, 0 < leverage <= MAX_LEVERAGE, window >= 2 bars
    assert _grid_error({"axes": {"ratio": [0.5, MAX_RATIO + 2]}}) == (
        f"axes.ratio[1]: must be <= {MAX_RATIO:g} (got {MAX_RATIO + 2})")
    assert _grid_error({"axes": {"leverage": [0]}}) == "axes.leverage[0]: must be > 0 (got 0)"
    assert _grid_error({"axes": {"leverage": [MAX_LEVERAGE * 2]}}).startswith("axes.leverage[0]: must be <=")
    assert _grid_error({"axes": {"window": [30, 1]}}) == "axes.window[1]: must be >= 2 (got 1)"
    assert _grid_error({"axes": {"window": [30.5]}}) == "axes.window[0]: must be a whole number (got 30.5)"
    assert _grid_error({"axes": {"method": ["static", "magic"]}}).startswith("axes.method[1]: must be one of")
    assert _grid_error({"axes": {"threshold": [float("inf")]}}).startswith("axes.threshold[0]: must be")
    assert _grid_error({"axes": {"band": [0.1, 0.1]}}) == "axes.band[1]: repeats an earlier value (got 0.1)"
    assert _grid_error({"base": {"band": -1}, "axes": {"ratio": [1]}}) == "base.band: must be >= 0 (got -1)"
    assert _grid_error({"base": {"ratio": 1}, "axes": {"ratio": [1]}}).startswith("axes.ratio: is also set in base")
    assert _grid_error({"axes": {}}) == "axes: must not be empty (got {})"
    assert _grid_error({"axes": {"ratio": [1]}, "colour": 1}) == "colour: unknown field (got 1)"
    assert _grid_error([1, 2]) == "grid: must be a YAML mapping with axes: (got 'list')"
    assert _grid_error({"axes": {"band": {"start": 0, "stop": -1, "num": 3}}}) == (
        "axes.band[1]: must be >= 0 (got -0.5)")


def test_every_policy_parameter_may_be_swept():
    policy_fields = [f for f in Policy.__dataclass_fields__ if f != "name"]
    assert sorted(PARAMETERS) == sorted(policy_fields)


def test_the_product_of_the_axes_last_axis_fastest():
    grid = parse_grid({"base": {"method": "minvar", "leverage": 2},
                       "axes": {"ratio": [0.5, 1], "band": [0, 0.1], "window": [30, 60, 90]}})
    policies = grid_policies(grid)
    expected = list(itertools.product([0.5, 1.0], [0.0, 0.1], [30, 60, 90]))
    assert [(p.ratio, p.band, p.window) for p in policies] == expected
    assert all(p.method is Method.MINVAR and p.leverage == 2.0 for p in policies)
    assert policies[0].name == "ratio=0.5 band=0 window=30"
    assert policies[-1].name == "ratio=1 band=0.1 window=90"
    assert len({p.name for p in policies}) == 12


def test_spans_are_evenly_spaced_with_both_ends():
    grid = parse_grid({"axes": {"window": {"start": 30, "stop": 180, "num": 6},
                                "band": {"start": 0, "stop": 0.2, "num": 3}}})
    policies = grid_policies(grid)
    assert sorted({p.window for p in policies}) == [30, 60, 90, 120, 150, 180]
    assert sorted({p.band for p in policies}) == [0.0, 0.1, 0.2]  # 0 + 1 * (0.2 - 0) / 2, then stop


def test_chunks_cover_every_run_once():
    for n, size in ((10, 3), (10, 10), (10, 100), (1, 1)):
        bounds = chunk_bounds(n, size)
        assert [i for lo, hi in bounds for i in range(lo, hi)] == list(range(n))
        assert all(hi - lo <= size for lo, hi in bounds)
    # 2 slots: about 4 chunks each; the memory cap (256 MiB of float64 equity) wins on long runs
    assert default_chunk_size(1000, 1461, slots=2) == 125
    assert default_chunk_size(10_000, 52_560, slots=1) == 256 * 2**20 // (8 * 52_560)


# --- the same table in-process, in any chunking, on a LocalCluster ------------------------------

@pytest.fixture(scope="module")
def small(data_dir):
    assets, market = tiled_market(data_dir, 6_000, 3)
    return assets, market, grid_policies(parse_grid(GRID))


def test_in_process_table_is_the_same_in_any_chunking(small):
    assets, market, policies = small
    whole = run_sweep(assets, market, policies, reserve=50_000.0)
    assert len(whole) == 24 and list(whole["run"]) == list(range(24))
    assert list(whole["name"]) == [p.name for p in policies]
    assert list(whole["method"]) == [p.method.value for p in policies]
    seen = []
    for size in (1, 5, 7, 24):
        table = run_sweep(assets, market, policies, reserve=50_000.0, chunk_size=size,
                          progress=lambda done, total: seen.append((done, total)))
        assert_bitwise_equal(table, whole)
    assert seen[-1] == (24, 24)
    # the metrics are the engine's, row for row
    from hedgekit.backtest.engine import sweep

    direct = sweep(assets, market, policies, reserve=50_000.0)
    for col in ("final_equity_usd", "hedge_effectiveness", "funding_usd", "fees_usd", "rebalances"):
        assert np.array_equal(whole[col].to_numpy(), direct[col].to_numpy())


@pytest.fixture(scope="module")
def client():
    """One LocalCluster for the module (a start costs seconds), as ``--scheduler local --workers 2``
    starts it: 2 worker processes of 1 thread, bound to 127.0.0.1, no dashboard."""
    pytest.importorskip("distributed")
    from hedgekit.sweep.cluster import connect

    with connect("local", workers=2, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
        info = client.scheduler_info()["workers"].values()
        assert [w["nthreads"] for w in info] == [1, 1]
        assert all(w["host"] == "127.0.0.1" for w in info)
        yield client


def test_local_cluster_gives_the_in_process_table(small, client):
    assets, market, policies = small
    expected = run_sweep(assets, market, policies, reserve=50_000.0)
    assert len(client.scheduler_info()["workers"]) == 2
    for size in (None, 5):
        table = run_sweep(assets, market, policies, reserve=50_000.0, chunk_size=size, client=client)
        assert_bitwise_equal(table, expected)


def test_a_worker_killed_mid_run_still_gives_the_complete_table(data_dir, client):
    """The test kills a worker process that is running a chunk; the scheduler reruns it (and the
    nanny starts a new worker). Runs after the other cluster test: it breaks a worker."""
    assets, market = tiled_market(data_dir, 80_000, 2)
    policies = [Policy(name=f"r{i}", method="minvar", ratio=0.25 + 0.05 * i, band=0.02, leverage=3.0,
                       topup=0.2) for i in range(12)]
    expected = run_sweep(assets, market, policies, reserve=50_000.0, chunk_size=7)
    killed: list[int] = []
    pids = client.run(os.getpid)  # worker address -> its process id

    def kill_a_busy_worker(done: int, total: int) -> None:
        if killed:
            return
        busy = [addr for addr, keys in client.processing().items() if keys]
        assert busy and done < total, "nothing left running to lose"
        os.kill(pids[busy[0]], signal.SIGKILL)
        killed.append(pids[busy[0]])

    result: dict = {}

    def go() -> None:
        result["table"] = run_sweep(assets, market, policies, reserve=50_000.0, chunk_size=1,
                                    client=client, progress=kill_a_busy_worker)

    runner = threading.Thread(target=go, daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert not runner.is_alive(), "the sweep did not finish within 120 s"
    assert killed, "no worker was killed"
    assert_bitwise_equal(result["table"], expected)


# --- the command line ---------------------------------------------------------------------------

def _write(tmp_path: Path, doc) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))  # the axes in the order written
    return path


@pytest.mark.parametrize("axes, message", [
    ({"ratio": []}, "error: axes.ratio: must list at least one value (got [])"),
    ({"ratio": [1], "colour": ["red"]}, "error: axes.colour: unknown parameter"),
    ({"leverage": [2, 500]}, f"error: axes.leverage[1]: must be <= {MAX_LEVERAGE:g} (got 500)"),
])
def test_bad_grid_is_one_line_exit_2_before_anything_starts(run_cli, tmp_path, monkeypatch, axes, message):
    import hedgekit.backtest.config as config
    import hedgekit.sweep.cluster as cluster

    started = []
    monkeypatch.setattr(config, "load_market", lambda *a, **k: started.append("data"))
    monkeypatch.setattr(cluster, "connect", lambda *a, **k: started.append("cluster"))
    code, out, err = run_cli("sweep", str(EXAMPLE), "--grid", str(_write(tmp_path, {"axes": axes})),
                             "--scheduler", "local", "--data-dir", str(tmp_path))
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith(message), err
    assert started == []


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "somewhere"], "error: --scheduler: must be local or a scheduler address"),
    (["--scheduler", "tcp://10.0.0.1:8786", "--workers", "2"], "error: --workers: only with --scheduler local"),
    (["--workers", "2"], "error: --workers: only with --scheduler local"),
    (["--out", "r.csv"], "error: --out: must end in .parquet (got 'r.csv')"),
    (["--chunk-size", "0"], "error: --chunk-size: must be an integer >= 1 (got 0)"),
])
def test_bad_flags_are_one_line(run_cli, tmp_path, args, message):
    code, _, err = run_cli("sweep", str(EXAMPLE), "--data-dir", str(tmp_path), *args)
    assert code == 2 and err.count("\n") == 1 and err.startswith(message), err


def test_sweep_json_and_parquet_hold_every_run(run_cli, store, tmp_path):  # noqa: F811
    grid = _write(tmp_path, {"base": {"method": "minvar", "leverage": 2},
                             "axes": {"ratio": [0.5, 1.0], "band": [0.0, 0.1, 0.2]}})
    out = tmp_path / "r.parquet"
    code, text, err = run_cli("sweep", str(EXAMPLE), "--grid", str(grid), "--data-dir", str(store),
                              "--json", "--out", str(out))
    assert code == 0, err
    doc = json.loads(text)
    assert doc["runs"] == 6 and doc["scheduler"] == "in-process" and doc["out"] == str(out)
    table = pd.read_parquet(out)
    assert list(table["name"]) == [r["name"] for r in doc["rows"]]
    assert list(table["ratio"]) == [0.5, 0.5, 0.5, 1.0, 1.0, 1.0]
    assert list(table["band"]) == [0.0, 0.1, 0.2] * 2
    assert np.array_equal(table["final_equity_usd"].to_numpy(), [r["final_equity_usd"] for r in doc["rows"]])
    assert not list(tmp_path.glob(".r.parquet.*"))  # written through a temporary file, renamed
    # without --grid, the config's own policies; the table output names the best runs
    code, text, err = run_cli("sweep", str(EXAMPLE), "--data-dir", str(store))
    assert code == 0, err
    assert "3 runs (in-process)" in text and "static 50%" in text and "no hedge" in text


def test_in_process_sweep_imports_no_dask(store):  # noqa: F811
    code = ("import sys; from hedgekit.cli import main; "
            f"rc = main(['sweep', {str(EXAMPLE)!r}, '--data-dir', {str(store)!r}, '--json']); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')); "
            "print(rc, bad, file=sys.stderr)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "src"),
                                                                    os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "0 []"


def test_example_grid_parses_to_its_stated_product():
    doc = yaml.safe_load((REPO / "examples" / "sweep_grid.yaml").read_text())
    policies = grid_policies(parse_grid(doc))
    assert len(policies) == 2 * 5 * 4 * 3  # the count its header states
    assert sorted({p.ratio for p in policies}) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])


def test_connect_errors_are_one_line(monkeypatch):
    from hedgekit.errors import HedgekitError
    from hedgekit.sweep.cluster import connect

    pytest.importorskip("distributed")
    with pytest.raises(HedgekitError, match=r"^--scheduler: cannot reach tcp://127\.0\.0\.1:9: "):
        with connect("tcp://127.0.0.1:9", timeout=2):  # port 9 (discard): nothing listens here
            pass
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    with pytest.raises(InputError, match=r"^--scheduler: needs Dask: pip install \"hedgekit\[dask\]\""):
        with connect("local"):
            pass
