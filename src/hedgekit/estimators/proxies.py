"""Portfolio betas and proxy choice: which instrument hedges an asset best, out of sample.

A cross (proxy) hedge leaves residual risk 1 - rho^2 even at the best ratio (Butterworth & Holmes
2001; Liu, Packham, Lu & Haerdle 2023: BTC futures hedge BTC well, other coins "mixed"), so the
ranking reports it beside the out-of-sample effectiveness.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hedgekit.errors import DataError, InputError, check_finite
from hedgekit.estimators import _core
from hedgekit.estimators.ratios import OLSBeta, align_returns
from hedgekit.estimators.rolling import walk_forward

__all__ = ["basket_returns", "book_regression", "common_sample", "portfolio_beta", "rank_proxies"]


def common_sample(returns: pd.DataFrame) -> pd.DataFrame:
    """Rows where every column has a return, after each column's own listing span.

    A NaN inside a column's history raises :class:`DataError` (a gap, never filled).
    """
    if returns.shape[1] == 0:
        raise InputError("returns", "needs at least one column", list(returns.columns))
    for col in returns.columns:
        present = returns[col].notna().to_numpy()
        ok = np.flatnonzero(present)
        if ok.size == 0:
            raise DataError(f"{col}: no returns")
        gap = np.flatnonzero(~present[ok[0]:ok[-1] + 1])
        if gap.size:
            raise DataError(f"{col}: missing return at {returns.index[ok[0] + gap[0]]} inside its history")
    out = returns.dropna(how="any")
    if len(out) < _core.MIN_OBS:
        raise DataError(f"{', '.join(map(str, returns.columns))}: only {len(out)} common date(s)")
    return out


def _weights(values: Mapping[str, float], columns) -> np.ndarray:
    missing = [c for c in values if c not in columns]
    if missing:
        raise InputError("values", f"no returns for {', '.join(map(str, missing))}", missing)
    v = np.array([check_finite(f"values[{k}]", x) for k, x in values.items()])
    total = float(v.sum())
    if not total > 0:
        raise InputError("values", "must sum to > 0 (the book's net value)", total)
    return v / total


def portfolio_beta(values: Mapping[str, float], betas: Mapping[str, float]) -> float:
    """Value-weighted book beta ``sum(v_i * beta_i) / sum(v_i)`` (values in USD, shorts negative).

    The USD hedge notional for the whole book is ``portfolio_beta * sum(v_i)``.
    """
    w = _weights(values, list(betas))
    b = np.array([check_finite(f"betas[{k}]", betas[k]) for k in values])
    return float(w @ b)


def basket_returns(returns: pd.DataFrame, weights: Mapping[str, float] | None = None,
                   name: str = "BASKET") -> pd.Series:
    """Returns of a fixed-weight basket (equal weights by default), rebalanced every period,
    on the dates all its members cover. Weights are normalised to sum to 1."""
    frame = common_sample(returns)
    w = (np.full(frame.shape[1], 1.0 / frame.shape[1]) if weights is None
         else _weights(weights, list(frame.columns)))
    cols = list(frame.columns) if weights is None else list(weights)
    return pd.Series(frame[cols].to_numpy(np.float64) @ w, index=frame.index, name=name)


def book_regression(asset_returns: pd.DataFrame, values: Mapping[str, float],
                    hedge_returns: pd.Series) -> OLSBeta:
    """Regress the whole book's returns (value-weighted, constant weights) on the hedge's returns.

    Use simple returns: the book return is then exactly the weighted sum. On a common sample the
    slope equals :func:`portfolio_beta` of the per-asset betas (OLS is linear in ``y``).
    """
    _weights(values, list(asset_returns.columns))  # names the missing assets, if any
    book = basket_returns(asset_returns[list(values)], values, name="book")
    return OLSBeta().fit(book, hedge_returns)


def rank_proxies(asset_returns: pd.Series, candidates: pd.DataFrame, *, window: int, step: int = 1,
                 method: str = "minvar", halflife: float | None = None,
                 same_sample: bool = True) -> pd.DataFrame:
    """Rank candidate hedge instruments for one asset, best first.

    For each column of ``candidates`` (e.g. the asset's own perp, BTC, ETH, a basket): full-sample
    MV ratio, correlation, residual risk 1 - rho^2, in-sample effectiveness (= rho^2) and the
    walk-forward out-of-sample effectiveness (``window``/``step``/``method`` as in
    :func:`walk_forward`). Sorted by out-of-sample effectiveness, then by residual risk.
    ``same_sample=True`` evaluates every candidate on the dates they all share with the asset, so
    the scores are comparable.
    """
    if not isinstance(candidates, pd.DataFrame) or candidates.shape[1] == 0:
        raise InputError("candidates", "must be a DataFrame with at least one column", type(candidates).__name__)
    name = asset_returns.name if asset_returns.name is not None else "asset"
    if same_sample:
        joined = common_sample(pd.concat([asset_returns.rename("__asset__"), candidates], axis=1))
        asset_returns, candidates = joined["__asset__"].rename(name), joined.drop(columns="__asset__")
    rows = []
    for col in candidates.columns:
        s, f, _ = align_returns(asset_returns, candidates[col], names=(str(name), str(col)))
        fit = OLSBeta().fit(s, f)
        wf = walk_forward(asset_returns, candidates[col], window=window, step=step, method=method,
                          halflife=halflife)
        rows.append({
            "candidate": str(col),
            "hedge_ratio": fit.beta_,
            "last_ratio": wf.last_ratio,
            "correlation": fit.correlation_,
            "residual_risk": 1.0 - fit.correlation_ ** 2,
            "effectiveness_in_sample": fit.effectiveness_,
            "effectiveness_out_of_sample": wf.effectiveness,
            "n_obs": fit.n_obs_,
            "n_oos": wf.n_oos,
        })
    table = pd.DataFrame(rows).set_index("candidate")
    return table.sort_values(["effectiveness_out_of_sample", "residual_risk"], ascending=[False, True])
