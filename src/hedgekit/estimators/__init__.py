"""Hedge ratios from history: OLS beta, minimum variance, EWMA, rolling and walk-forward, proxies.

Estimators follow the scikit-learn shape (``fit`` sets attributes ending in ``_`` and returns
``self``). The numbers come from :mod:`hedgekit.estimators._core`, pure functions over float64
numpy arrays that the backtest can call directly.

>>> import numpy as np
>>> from hedgekit.estimators import MinVarianceRatio
>>> f = np.array([0.01, -0.02, 0.015, 0.0, -0.01])
>>> round(MinVarianceRatio().fit(0.5 * f, f).hedge_ratio_, 12)
0.5
"""

from __future__ import annotations

from hedgekit.estimators.analysis import AnalysisResult, PairAnalysis, analyze_pairs
from hedgekit.estimators.proxies import (
    basket_returns,
    book_regression,
    common_sample,
    portfolio_beta,
    rank_proxies,
)
from hedgekit.estimators.ratios import (
    DownsideBeta,
    EWMARatio,
    MinVarianceRatio,
    OLSBeta,
    ReturnKind,
    align_returns,
    hedge_effectiveness,
    periods_per_year,
    to_returns,
)
from hedgekit.estimators.rolling import WalkForwardResult, rolling_ratio, walk_forward

__all__ = [
    "AnalysisResult",
    "DownsideBeta",
    "EWMARatio",
    "MinVarianceRatio",
    "OLSBeta",
    "PairAnalysis",
    "ReturnKind",
    "WalkForwardResult",
    "align_returns",
    "analyze_pairs",
    "basket_returns",
    "book_regression",
    "common_sample",
    "hedge_effectiveness",
    "periods_per_year",
    "portfolio_beta",
    "rank_proxies",
    "rolling_ratio",
    "to_returns",
    "walk_forward",
]
