"""Returns, alignment and the hedge-ratio estimators (scikit-learn shape).

``__init__`` stores settings; ``fit(spot_returns, hedge_returns)`` sets attributes ending in ``_``
and returns ``self``. Inputs are pandas Series (aligned on their index) or plain arrays of equal
length. The numbers come from :mod:`hedgekit.estimators._core` (pure numpy).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from hedgekit.errors import DataError, InputError, check_finite, check_positive
from hedgekit.estimators import _core

__all__ = [
    "DownsideBeta",
    "EWMARatio",
    "MinVarianceRatio",
    "OLSBeta",
    "ReturnKind",
    "align_returns",
    "hedge_effectiveness",
    "periods_per_year",
    "to_returns",
]


class ReturnKind(StrEnum):
    LOG = "log"
    SIMPLE = "simple"


def to_returns(prices: pd.DataFrame | pd.Series, kind: str = "log") -> pd.DataFrame | pd.Series:
    """Period returns of a price Series or DataFrame: ``log(p_t / p_{t-1})`` or ``p_t / p_{t-1} - 1``.

    Leading and trailing missing prices (a coin listed later) are allowed and stay NaN; a missing
    price inside a column's history, or a price <= 0, raises :class:`DataError` naming the column
    and timestamp. The first row (no previous price) is dropped.
    """
    try:
        kind = ReturnKind(kind)
    except ValueError:
        raise InputError("kind", "must be 'log' or 'simple'", kind) from None
    frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
    values = frame.to_numpy(dtype=np.float64)
    for j, col in enumerate(frame.columns):
        v = values[:, j]
        ok = np.flatnonzero(np.isfinite(v))
        if ok.size == 0:
            raise DataError(f"{col}: no prices")
        inner = v[ok[0]:ok[-1] + 1]
        gap = np.flatnonzero(~np.isfinite(inner))
        if gap.size:
            raise DataError(f"{col}: missing price at {frame.index[ok[0] + gap[0]]} inside its history")
        bad = np.flatnonzero(inner <= 0)
        if bad.size:
            raise DataError(f"{col}: non-positive price {inner[bad[0]]} at {frame.index[ok[0] + bad[0]]}")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values[1:] / values[:-1]
        out = np.log(ratio) if kind is ReturnKind.LOG else ratio - 1.0
    result = pd.DataFrame(out, index=frame.index[1:], columns=frame.columns)
    return result.iloc[:, 0].rename(prices.name) if isinstance(prices, pd.Series) else result


def _trim(series: pd.Series) -> pd.Series:
    ok = np.flatnonzero(series.notna().to_numpy())
    return series.iloc[ok[0]:ok[-1] + 1] if ok.size else series.iloc[:0]


def align_returns(spot, hedge, *, names: tuple[str, str] = ("spot", "hedge")):
    """Align two return series on their common dates; return ``(spot, hedge, index)``.

    pandas inputs are trimmed of leading/trailing NaN (different listing dates) and inner-joined
    on the index; a NaN left inside the overlap raises :class:`DataError` (gaps are never filled).
    Plain arrays must already have equal length; the index is then ``None``.
    """
    if isinstance(spot, pd.Series) and isinstance(hedge, pd.Series):
        s, f = _trim(spot), _trim(hedge)
        common = s.index.intersection(f.index)
        s, f = s.loc[common], f.loc[common]
        for name, ser in zip(names, (s, f), strict=True):
            nan = ser.isna().to_numpy()
            if nan.any():
                raise DataError(f"{name}: missing return at {ser.index[np.argmax(nan)]} inside the overlap")
        sa, fa = _core.as_pair(s.to_numpy(np.float64), f.to_numpy(np.float64), names=names)
        return sa, fa, common
    sa, fa = _core.as_pair(spot, hedge, names=names)
    return sa, fa, None


def periods_per_year(freq: str) -> float:
    """Periods per year of a bar frequency such as ``1d``, ``8h``, ``1h``, ``1w`` (crypto: 365 days)."""
    units = {"m": 365 * 24 * 60, "h": 365 * 24, "d": 365, "w": 365 / 7}
    text = str(freq).strip().lower()
    num, unit = text[:-1], text[-1:]
    if unit not in units or not num.isdigit() or int(num) == 0:
        raise InputError("freq", "must look like 1d, 8h, 1h, 15m or 1w", freq)
    return units[unit] / int(num)


def hedge_effectiveness(spot_returns, hedge_returns, ratio: float) -> float:
    """Ederington hedge effectiveness ``1 - Var(s - ratio * f) / Var(s)`` over the aligned sample."""
    ratio = check_finite("ratio", ratio)
    s, f, _ = align_returns(spot_returns, hedge_returns)
    return _core.effectiveness(s, f, ratio)


class _RatioEstimator:
    """Shared fit bookkeeping: alignment, sample dates, effectiveness of the fitted ratio."""

    hedge_ratio_: float
    correlation_: float

    def _fit_common(self, spot_returns, hedge_returns):
        s, f, index = align_returns(spot_returns, hedge_returns)
        self.n_obs_ = int(s.size)
        self.start_ = index[0] if index is not None else None
        self.end_ = index[-1] if index is not None else None
        return s, f

    def _finish(self, s: np.ndarray, f: np.ndarray) -> None:
        self.effectiveness_ = _core.effectiveness(s, f, self.hedge_ratio_)
        self.residual_risk_ = 1.0 - self.correlation_ ** 2

    def predict_hedged(self, spot_returns, hedge_returns):
        """Hedged returns ``s - hedge_ratio_ * f`` (same type as the spot input when pandas)."""
        s, f, index = align_returns(spot_returns, hedge_returns)
        out = s - self.hedge_ratio_ * f
        return pd.Series(out, index=index, name="hedged") if index is not None else out


class OLSBeta(_RatioEstimator):
    """OLS regression ``y = alpha + beta * x + e`` of asset returns on hedge (or market) returns.

    After ``fit``: ``beta_``, ``alpha_`` (per period), ``stderr_`` (standard error of beta),
    ``r_squared_``, ``correlation_``, ``residual_std_`` (per period), ``n_obs_``; ``hedge_ratio_``
    is ``beta_`` and ``effectiveness_`` equals ``r_squared_`` (Ederington 1979).
    """

    def fit(self, y, x) -> OLSBeta:
        s, f = self._fit_common(y, x)
        res = _core.ols(s, f)
        self.beta_ = self.hedge_ratio_ = res.beta
        self.alpha_ = res.alpha
        self.stderr_ = res.stderr
        self.r_squared_ = res.r_squared
        self.correlation_ = res.correlation
        self.residual_std_ = float(np.std(s - res.alpha - res.beta * f, ddof=2))
        self._finish(s, f)
        return self


class DownsideBeta(_RatioEstimator):
    """Beta measured separately on the periods the hedge instrument fell and rose.

    ``downside_beta_`` is the OLS slope of asset returns on hedge returns over the periods with
    a hedge return below 0, ``upside_beta_`` over those above 0; ``hedge_ratio_`` is the
    downside one (what a hedge must cover in a sell-off). An altcoin that rises 15% when BTC
    rises 5% but falls 20% when BTC falls 5% has an upside beta of 3 and a downside beta of 4.
    After ``fit`` also: ``n_down_``, ``n_up_``, ``correlation_`` (down periods), ``n_obs_``.
    """

    def __init__(self, min_obs: int = 10):
        self.min_obs = min_obs

    def fit(self, spot_returns, hedge_returns) -> DownsideBeta:
        s, f = self._fit_common(spot_returns, hedge_returns)
        down, up = f < 0, f > 0
        self.n_down_, self.n_up_ = int(down.sum()), int(up.sum())
        for name, n in (("down", self.n_down_), ("up", self.n_up_)):
            if n < self.min_obs:
                raise DataError(f"only {n} {name} periods of the hedge; downside beta needs "
                                f"{self.min_obs} of each")
        d = _core.ols(s[down], f[down])
        self.downside_beta_ = self.hedge_ratio_ = d.beta
        self.upside_beta_ = _core.ols(s[up], f[up]).beta
        self.correlation_ = d.correlation
        self._finish(s, f)
        return self


class MinVarianceRatio(_RatioEstimator):
    """Minimum-variance hedge ratio ``h* = Cov(s, f) / Var(f)`` on the instrument actually traded.

    After ``fit``: ``hedge_ratio_``, ``correlation_``, ``effectiveness_`` (in sample, = rho^2),
    ``residual_risk_`` (1 - rho^2), ``n_obs_``.
    """

    def fit(self, spot_returns, hedge_returns) -> MinVarianceRatio:
        s, f = self._fit_common(spot_returns, hedge_returns)
        self.hedge_ratio_ = _core.minvar_ratio(s, f)
        self.correlation_ = float(np.corrcoef(s, f)[0, 1])
        self._finish(s, f)
        return self


class EWMARatio(_RatioEstimator):
    """EWMA covariance ratio ``Cov_w(s, f) / Var_w(f)``, weights halving every ``halflife`` periods.

    ``halflife`` in periods of the return series (RiskMetrics daily lambda 0.94 = 11.2 days; see
    :func:`hedgekit.estimators._core.halflife_from_lambda`). ``demean=False`` assumes zero-mean
    returns as RiskMetrics does. As ``halflife`` grows the ratio tends to the minimum-variance ratio.
    After ``fit``: ``hedge_ratio_``, ``correlation_`` (weighted), ``effectiveness_`` (unweighted, in
    sample), ``residual_risk_``, ``n_obs_``.
    """

    def __init__(self, halflife: float = 30.0, *, demean: bool = True):
        self.halflife = halflife
        self.demean = demean

    def fit(self, spot_returns, hedge_returns) -> EWMARatio:
        halflife = check_positive("halflife", self.halflife)
        s, f = self._fit_common(spot_returns, hedge_returns)
        w = _core.ewma_weights(s.size, halflife)
        self.hedge_ratio_, self.correlation_ = _core.weighted_ratio(s, f, w, demean=self.demean)
        self._finish(s, f)
        return self

