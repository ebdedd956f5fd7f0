"""Backtest hedge policies on real history: funding, fees, margin, liquidation, rolls.

Public API: :func:`run_backtest`, :func:`sweep`, :func:`align_market`, :class:`AssetSpec`,
:class:`Policy`, :class:`Method`, :class:`BacktestResult`, :func:`load_config`,
:func:`run_config`. Kernels live in :mod:`hedgekit.backtest.kernels`; the slow reference twin in
:mod:`hedgekit.backtest._reference`.
"""

from __future__ import annotations

from hedgekit._lazy import lazy_exports

_EXPORTS = {
    "AssetSpec": "hedgekit.backtest.engine",
    "BacktestConfig": "hedgekit.backtest.config",
    "BacktestResult": "hedgekit.backtest.result",
    "Market": "hedgekit.backtest.engine",
    "Method": "hedgekit.backtest.engine",
    "Policy": "hedgekit.backtest.engine",
    "StrategyResult": "hedgekit.backtest.result",
    "align_market": "hedgekit.backtest.engine",
    "load_config": "hedgekit.backtest.config",
    "run_backtest": "hedgekit.backtest.engine",
    "run_config": "hedgekit.backtest.config",
    "sweep": "hedgekit.backtest.engine",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
