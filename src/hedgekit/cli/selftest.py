"""``hedgekit selftest``: compile the backtest kernels once, after install, and check them.

A fresh install has no compiled kernels: the first backtest would spend seconds in numba's JIT.
This command (the README's install line runs it) fills numba's on-disk cache, builds the
ahead-of-time kernels (:mod:`hedgekit.backtest._aot`) that let short backtests skip numba
entirely, and checks both give the same numbers, bit for bit, on a small synthetic book.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

__all__ = ["register"]


def _synthetic_market():
    """Three assets (a linear, an inverse and a quanto perpetual settled in BTC) over 400 daily
    bars, funding every 8h."""
    import numpy as np
    import pandas as pd

    from hedgekit.backtest.engine import AssetSpec, align_market
    from hedgekit.instruments import Instrument

    index = pd.date_range("2024-01-01", periods=400, freq="D", tz="UTC")
    t = np.arange(400.0)
    closes = {"BTC": 40_000.0 * (1.0 + 0.3 * np.sin(t / 37.0)), "ETH": 2_000.0 * (1.0 + 0.4 * np.sin(t / 23.0)),
              "SOL": 100.0 * (1.0 + 0.5 * np.sin(t / 17.0))}
    stamps = pd.date_range("2024-01-01", periods=1200, freq="8h", tz="UTC")
    rates = pd.Series(np.where(np.arange(1200) % 7 == 0, -0.0002, 0.0001), index=stamps)
    assets = [
        AssetSpec(name="BTC", coins=2.0, instrument=Instrument(
            symbol="BTCUSDT", contract_type="linear", contract_size=1.0, base="BTC", quote="USDT",
            lot_size=0.001)),
        AssetSpec(name="ETH", coins=30.0, staking_apr=0.03, instrument=Instrument(
            symbol="ETHUSD_PERP", contract_type="inverse", contract_size=10.0, base="ETH")),
        AssetSpec(name="SOL", coins=400.0, instrument=Instrument(
            symbol="SOLUSD", contract_type="quanto", contract_size=0.0001, base="SOL", quote="USD",
            settle="BTC")),
    ]
    spot = {k: pd.Series(v, index=index) for k, v in closes.items()}
    hedge = {k: pd.DataFrame({"open": v, "high": v * 1.02, "close": v * 1.0005}, index=index)
             for k, v in closes.items()}
    return assets, align_market(assets, spot=spot, hedge=hedge, funding=dict.fromkeys(closes, rates),
                                settle_price={"SOL": spot["BTC"]})


def selftest(
    aot: Annotated[bool, typer.Option("--aot/--no-aot", help="Also build the ahead-of-time kernels "
                                      "(needs a C compiler).")] = True,
) -> None:
    """Compile the backtest kernels (once, after install) and check them on a synthetic book."""
    import numpy as np

    from hedgekit.backtest import _aot, kernels
    from hedgekit.backtest.engine import Method, Policy, _kernel_args, run_policy_arrays

    assets, market = _synthetic_market()
    args = _kernel_args(assets, market, 10_000.0, 50_000.0)
    policies = [Policy(name="band", ratio=0.8, band=0.05, leverage=3.0, topup=0.2),
                Policy(name="minvar", method=Method.MINVAR, window=60, reestimate=20, band=0.1),
                Policy(name="cross", ratio=1.0, calendar=30, leverage=6.0, margin="cross")]
    t0 = time.perf_counter()
    jit = [run_policy_arrays(args, p, 365.0, kernels=kernels) for p in policies]
    metrics = np.empty(kernels.N_METRICS)
    kernels.equity_metrics(jit[0]["equity"], jit[1]["equity"], 100_000.0, 365.0, metrics)
    print(f"JIT kernels compiled or loaded from numba's cache: {time.perf_counter() - t0:.1f} s")
    if not aot:
        return
    t0 = time.perf_counter()
    try:
        path = _aot.build()
    except Exception as exc:  # noqa: BLE001  (no C compiler, a linker error: the JIT serves every run)
        print(f"ahead-of-time kernels not built ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''});"
              " backtests use the JIT (about 1 s more per run)")
        return
    module = _aot.load()
    if module is None:
        print(f"ahead-of-time kernels built in {path} but not loadable; backtests use the JIT")
        return
    print(f"ahead-of-time kernels built in {time.perf_counter() - t0:.1f} s: {path}")
    for policy, want in zip(policies, jit, strict=True):
        got = run_policy_arrays(args, policy, 365.0, kernels=module)
        for key in ("equity", "contracts", "scalars"):
            if not np.array_equal(got[key], want[key]):
                _aot.clear()
                print(f"error: ahead-of-time and JIT kernels disagree on {policy.name} ({key}); "
                      "build removed, backtests use the JIT")
                raise typer.Exit(1)
    print("check: ahead-of-time and JIT kernels agree bit for bit on a synthetic linear, inverse and "
          "quanto book, isolated and cross")


def register(app: typer.Typer) -> None:
    app.command("selftest")(selftest)
