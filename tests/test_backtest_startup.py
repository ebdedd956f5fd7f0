"""The fast paths of a backtest (issue 16) give the same answers as the slow ones.

* ``read_series`` (parquet columns straight to numpy) returns the frame ``Store.read`` returns;
* a metrics-only run keeps the equity curve and scalars of a detailed run;
* the kernel choice: the ahead-of-time build for short runs, the JIT for long ones or on request;
* ``hedgekit selftest`` builds the ahead-of-time kernels, which agree bit for bit with the JIT
  on real Binance data and run a backtest without importing numba.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgekit.backtest import _aot, kernels
from hedgekit.backtest import engine as eng
from hedgekit.backtest.engine import AssetSpec, Policy, _kernel_args, align_market, run_policy_arrays
from hedgekit.errors import DataError
from tests.test_backtest_parity import POLICIES, linear

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    from hedgekit.data import Store, import_path

    st = Store(tmp_path_factory.mktemp("store"))
    import_path(data_dir / "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz", store=st)
    import_path(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz", store=st)
    return st


@pytest.mark.parametrize("cut", [(None, None), ("2022-03-01", "2023-06-30 00:00"),
                                 ("2021-01-01 12:00", None), (None, "2020-01-01")])
def test_read_series_is_store_read(store, cut):
    from hedgekit.data.loaders import read_series
    from hedgekit.data.store import to_utc

    lo, hi = (None if c is None else to_utc(c) for c in cut)
    for info in store.catalog():
        want = store.read(info.kind, info.venue, info.symbol, info.freq, start=lo, end=hi)
        got = read_series(store, info, lo, hi)
        pd.testing.assert_frame_equal(got, want, check_freq=False)
        col = want.columns[0]
        pd.testing.assert_frame_equal(read_series(store, info, lo, hi, columns=[col]), want[[col]],
                                      check_freq=False)


@pytest.fixture(scope="module")
def binance(data_dir):
    from tests.test_backtest_parity import binance_inputs

    spot, hedge, funding = binance_inputs(data_dir)
    assets = [AssetSpec(name="BTC", coins=1.5, instrument=linear("BTC"), fee=0.0004, slippage=0.0002),
              AssetSpec(name="ETH", coins=20.0, instrument=linear("ETH", 0.01), fee=0.0004,
                        staking_apr=0.04)]
    return assets, align_market(assets, spot=spot, hedge=hedge, funding=funding)


def test_metrics_only_run_keeps_equity_and_scalars(binance):
    assets, market = binance
    args = _kernel_args(assets, market, 30_000.0, 20_000.0)
    policy = Policy(name="band", ratio=1.0, band=0.05, leverage=4.0, topup=0.15)
    full = run_policy_arrays(args, policy, market.bars_per_year)
    lean = run_policy_arrays(args, policy, market.bars_per_year, detail=False)
    np.testing.assert_array_equal(lean["equity"], full["equity"])
    np.testing.assert_array_equal(lean["scalars"], full["scalars"])
    assert lean["contracts"].shape == (1, 2) and lean["funding"].shape == (1,)
    assert full["scalars"][kernels.S_REBALANCES] > 0


def test_funding_settlements_are_arrays_summed_per_bar(binance):
    _, market = binance
    for j, (bars, rates, refs) in enumerate(market.settlements):
        assert bars.dtype == np.int64 and len(bars) == len(rates) == len(refs) > 3 * 1400
        assert np.all(np.diff(bars) >= 0)
        per_bar = np.zeros(len(market.index))
        for b, r, ref in zip(bars, rates, refs, strict=True):  # event by event, in time order
            per_bar[b] += r * ref
        np.testing.assert_array_equal(market.fund_lin[:, j], per_bar)


def test_a_bar_twice_is_a_data_error():
    index = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"], tz="UTC")
    close = pd.Series([1.0, 2.0, 2.0, 3.0], index=index)
    assets = [AssetSpec(name="X", coins=1.0, instrument=linear("X"))]
    with pytest.raises(DataError, match="spot X: bar 2024-01-02T00:00:00\\+00:00 appears twice"):
        align_market(assets, spot={"X": close}, hedge={"X": pd.DataFrame({"close": close, "high": close})})


def test_kernel_choice(monkeypatch):
    built = object()
    monkeypatch.setattr(_aot, "load", lambda: built)
    monkeypatch.delenv(eng.JIT_ENV, raising=False)
    assert eng.kernel_module(1461 * 2) is built
    assert eng.kernel_module(eng.AOT_MAX_STEPS + 1) is kernels  # long runs: the host-tuned JIT
    monkeypatch.setenv(eng.JIT_ENV, "1")
    assert eng.kernel_module(10) is kernels
    monkeypatch.delenv(eng.JIT_ENV)
    monkeypatch.setattr(_aot, "load", lambda: None)  # selftest never ran
    assert eng.kernel_module(10) is kernels


def test_selftest_without_aot_warms_the_jit(run_cli):
    code, out, err = run_cli("selftest", "--no-aot")
    assert code == 0, err
    assert out.startswith("JIT kernels compiled or loaded")


@pytest.mark.slow
def test_aot_build_matches_jit_and_skips_numba(run_cli, binance, tmp_path, monkeypatch):
    monkeypatch.setenv(_aot.CACHE_ENV, str(tmp_path))  # this test's build only
    code, out, err = run_cli("selftest")
    assert code == 0, err
    assert "agree bit for bit" in out
    module = _aot.load()
    assert module is not None and module is not kernels
    assets, market = binance
    args = _kernel_args(assets, market, 30_000.0, 0.0)
    for policy in POLICIES:
        jit = run_policy_arrays(args, policy, market.bars_per_year, kernels=kernels, names=market.names)
        aot = run_policy_arrays(args, policy, market.bars_per_year, kernels=module, names=market.names)
        for key in ("equity", "funding", "fees", "ratio", "contracts", "flags", "scalars"):
            np.testing.assert_array_equal(aot[key], jit[key], err_msg=f"{policy.name} {key}")
    # a backtest in a fresh interpreter uses the build and never imports numba
    probe = ("import sys; from hedgekit.backtest.engine import run_backtest, Policy; "
             "from hedgekit.cli.selftest import _synthetic_market; a, m = _synthetic_market(); "
             "r = run_backtest(a, m, [Policy(name='p', ratio=0.5, band=0.1)]); "
             "print(r['p'].rebalances > 0, 'numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert done.stdout.split() == ["True", "False"], done.stderr
