"""Pure-numpy numeric core of the hedge-ratio estimators.

Every function takes 1-D float64 arrays of *returns* (spot ``s``, hedge instrument ``f``) of
equal length, oldest first, and returns floats or arrays. No pandas, no objects: the backtest
may call these directly. Index ``t`` of every rolling output uses ``s[:t+1]``, ``f[:t+1]`` only.

Definitions (HEDGE_RATIOS_LITERATURE.md section 0):

* minimum-variance ratio  h* = Cov(s, f) / Var(f) = rho * sigma_s / sigma_f, the OLS slope of s on f
  (Johnson 1960, Ederington 1979);
* hedge effectiveness     HE = 1 - Var(s - h f) / Var(s) (Ederington 1979); with the in-sample
  OLS ratio HE = rho^2 = R^2;
* EWMA ratio              the same ratio with exponentially decaying weights w_i ~ 0.5**(age_i / halflife)
  (RiskMetrics 1996 uses lambda = 0.94 daily, i.e. a half-life of ln 0.5 / ln 0.94 = 11.2 periods).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from hedgekit.errors import DataError, InputError

__all__ = [
    "METHODS",
    "OLSFit",
    "as_pair",
    "effectiveness",
    "ewma_ratio",
    "ewma_weights",
    "expanding_ratios",
    "halflife_from_lambda",
    "minvar_ratio",
    "ols",
    "rolling_ratios",
    "walk_forward_ratios",
    "weighted_ratio",
]

METHODS = ("minvar", "beta", "ewma")
MIN_OBS = 3  # a slope with a standard error needs n - 2 >= 1 degrees of freedom
_REL_TINY = 1e-12  # variance below this fraction of the mean square counts as constant


class OLSFit(NamedTuple):
    """Result of :func:`ols`: ``y = alpha + beta * x + e``."""

    alpha: float
    beta: float
    stderr: float  # standard error of beta, sqrt(s^2 / Sxx) with s^2 = SSE / (n - 2)
    r_squared: float
    correlation: float
    n_obs: int


def as_pair(s, f, *, min_obs: int = MIN_OBS, names: tuple[str, str] = ("spot", "hedge")):
    """Return ``s``, ``f`` as 1-D float64 arrays after checking length, finiteness and size."""
    s = np.asarray(s, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    for name, a in zip(names, (s, f), strict=True):
        if a.ndim != 1:
            raise InputError(f"{name} returns", "must be one-dimensional", a.shape)
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise DataError(
                f"{name} returns: {bad.size} non-finite value(s), first at position {bad[0]}"
            )
    if s.size != f.size:
        raise InputError("returns", f"{names[0]} and {names[1]} lengths differ", (s.size, f.size))
    if s.size < min_obs:
        raise DataError(
            f"{names[0]}/{names[1]}: {s.size} aligned return(s), need at least {min_obs}"
        )
    return s, f


def _is_constant(ss: float, a: np.ndarray) -> bool:
    scale = float(np.dot(a, a)) / a.size
    return ss <= _REL_TINY * max(scale, 1e-300) * a.size


def _check_varies(name: str, ss: float, a: np.ndarray) -> None:
    if _is_constant(ss, a):
        raise DataError(f"{name} returns are constant over {a.size} observations; no ratio exists")


def ols(y, x) -> OLSFit:
    """OLS of ``y`` on ``x`` with an intercept: slope, its standard error, R^2 and correlation.

    >>> round(ols([0.0, 2.0, 4.1], [0.0, 1.0, 2.0]).beta, 2)
    2.05
    """
    y, x = as_pair(y, x, names=("y", "x"))
    n = y.size
    dx = x - x.mean()
    dy = y - y.mean()
    sxx = float(dx @ dx)
    syy = float(dy @ dy)
    _check_varies("x", sxx, x)
    _check_varies("y", syy, y)
    sxy = float(dx @ dy)
    beta = sxy / sxx
    alpha = float(y.mean() - beta * x.mean())
    resid = dy - beta * dx
    sse = float(resid @ resid)
    stderr = math.sqrt(sse / (n - 2) / sxx)
    corr = sxy / math.sqrt(sxx * syy)
    return OLSFit(alpha, beta, stderr, 1.0 - sse / syy, corr, n)


def minvar_ratio(s, f) -> float:
    """Minimum-variance hedge ratio Cov(s, f) / Var(f) (identical to the OLS slope of s on f)."""
    s, f = as_pair(s, f, min_obs=2)
    df = f - f.mean()
    sff = float(df @ df)
    _check_varies("hedge", sff, f)
    return float(df @ (s - s.mean())) / sff


def effectiveness(s, f, ratio: float) -> float:
    """Hedge effectiveness 1 - Var(s - ratio * f) / Var(s) (Ederington 1979).

    1 means all variance removed, 0 no reduction, negative a hedge that adds risk.
    """
    s, f = as_pair(s, f, min_obs=2)
    var_s = float(np.var(s))
    _check_varies("spot", var_s * s.size, s)
    return 1.0 - float(np.var(s - ratio * f)) / var_s


def halflife_from_lambda(lam: float) -> float:
    """Half-life (periods) of an EWMA decay factor: 0.94 -> 11.2 (RiskMetrics daily)."""
    if not 0.0 < lam < 1.0:
        raise InputError("lambda", "must be in (0, 1)", lam)
    return math.log(0.5) / math.log(lam)


def ewma_weights(n: int, halflife: float) -> np.ndarray:
    """Normalised weights for ``n`` observations, oldest first: w_i ~ 0.5**((n - 1 - i) / halflife)."""
    if not halflife > 0:
        raise InputError("halflife", "must be > 0", halflife)
    age = np.arange(n - 1, -1, -1, dtype=np.float64)
    w = np.exp(age * (math.log(0.5) / halflife))
    return w / w.sum()


def weighted_ratio(s, f, w, *, demean: bool = True) -> tuple[float, float]:
    """Weighted ratio Cov_w(s, f) / Var_w(f) and weighted correlation, for weights ``w`` summing to 1.

    ``demean=False`` assumes zero mean returns (the RiskMetrics convention).
    """
    s, f = as_pair(s, f, min_obs=2)
    w = np.asarray(w, dtype=np.float64)
    scale = float(w @ (f * f))  # raw mean square: the yardstick for "constant"
    if demean:
        s = s - w @ s
        f = f - w @ f
    cff = float(w @ (f * f))
    css = float(w @ (s * s))
    if cff <= _REL_TINY * max(scale, 1e-300):
        raise DataError(f"hedge returns are constant over {f.size} observations; no ratio exists")
    csf = float(w @ (s * f))
    corr = csf / math.sqrt(cff * css) if css > 0 else math.nan
    return csf / cff, corr


def ewma_ratio(s, f, halflife: float, *, demean: bool = True) -> float:
    """EWMA hedge ratio with the given half-life in periods (newest observation weighs most)."""
    s, f = as_pair(s, f, min_obs=2)
    return weighted_ratio(s, f, ewma_weights(s.size, halflife), demean=demean)[0]


def _check_method(method: str, halflife: float | None) -> None:
    if method not in METHODS:
        raise InputError("method", f"must be one of {', '.join(METHODS)}", method)
    if method == "ewma" and (halflife is None or not halflife > 0):
        raise InputError("halflife", "must be > 0 for method 'ewma'", halflife)


def _window_ratios(sw: np.ndarray, fw: np.ndarray, w: np.ndarray | None, demean: bool) -> np.ndarray:
    """Ratio per row of windowed 2-D arrays (rows = windows); NaN where the hedge is constant."""
    if w is None:
        w = np.full(sw.shape[1], 1.0 / sw.shape[1])
    scale = (fw * fw) @ w  # raw mean square: the yardstick for "constant"
    if demean:
        sw = sw - (sw @ w)[:, None]
        fw = fw - (fw @ w)[:, None]
    cff = (fw * fw) @ w
    csf = (sw * fw) @ w
    out = np.full(sw.shape[0], np.nan)
    ok = cff > _REL_TINY * np.maximum(scale, 1e-300)
    out[ok] = csf[ok] / cff[ok]
    return out


def rolling_ratios(s, f, window: int, *, method: str = "minvar", halflife: float | None = None,
                   demean: bool = True) -> np.ndarray:
    """Ratio estimated at every index ``t`` on the trailing ``window`` returns ``[t-window+1, t]``.

    Entries before ``window - 1`` are NaN; so are windows whose hedge returns are constant.
    ``method`` "minvar" and "beta" are the same number (OLS slope); "ewma" weights the window
    with half-life ``halflife``.
    """
    _check_method(method, halflife)
    window = int(window)
    s, f = as_pair(s, f, min_obs=max(window, 2))
    if window < 2:
        raise InputError("window", "must be >= 2", window)
    view = np.lib.stride_tricks.sliding_window_view
    w = ewma_weights(window, halflife) if method == "ewma" and halflife is not None else None
    out = np.full(s.size, np.nan)
    out[window - 1:] = _window_ratios(view(s, window), view(f, window), w,
                                      demean if method == "ewma" else True)
    return out


def expanding_ratios(s, f, min_obs: int = 30, *, method: str = "minvar",
                     halflife: float | None = None, demean: bool = True) -> np.ndarray:
    """Ratio at every index ``t`` on all returns up to and including ``t`` (NaN before ``min_obs``).

    Sums are shifted by the first observation, so the value at ``t`` never depends on data after ``t``
    (not even through rounding).
    """
    _check_method(method, halflife)
    min_obs = int(min_obs)
    if min_obs < 2:
        raise InputError("min_obs", "must be >= 2", min_obs)
    s, f = as_pair(s, f, min_obs=min_obs)
    lam = 1.0 if method != "ewma" or halflife is None else 0.5 ** (1.0 / halflife)
    if method == "ewma" and not demean:
        return _zero_mean_expanding(s, f, lam, min_obs)
    x = f - f[0]
    y = s - s[0]
    n = s.size
    out = np.full(n, np.nan)
    w0 = sx = sy = sxx = sxy = 0.0
    for t in range(n):  # decayed running sums; lam == 1 gives plain cumulative sums
        w0 = lam * w0 + 1.0
        sx = lam * sx + x[t]
        sy = lam * sy + y[t]
        sxx = lam * sxx + x[t] * x[t]
        sxy = lam * sxy + x[t] * y[t]
        if t + 1 < min_obs:
            continue
        cxx = sxx / w0 - (sx / w0) ** 2
        if cxx > _REL_TINY * max(sxx / w0, 1e-300):
            out[t] = (sxy / w0 - (sx / w0) * (sy / w0)) / cxx
    return out


def _zero_mean_expanding(s: np.ndarray, f: np.ndarray, lam: float, min_obs: int) -> np.ndarray:
    out = np.full(s.size, np.nan)
    sff = ssf = 0.0
    for t in range(s.size):
        sff = lam * sff + f[t] * f[t]
        ssf = lam * ssf + f[t] * s[t]
        if t + 1 >= min_obs and sff > 0:
            out[t] = ssf / sff
    return out


def walk_forward_ratios(s, f, window: int, step: int = 1, *, method: str = "minvar",
                        halflife: float | None = None, expanding: bool = False,
                        demean: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk-forward hedge: estimate at rebalance index ``t`` on data ``<= t``, apply to ``t+1 .. t+step``.

    Returns ``(rebalance_index, estimate, applied)``: the rebalance positions (``window - 1``,
    ``window - 1 + step``, ...), the ratio estimated at each, and for every index the ratio in force
    for that period's return (NaN before the first rebalance has taken effect). The out-of-sample
    hedged return at ``j`` is ``s[j] - applied[j] * f[j]``.
    """
    step = int(step)
    if step < 1:
        raise InputError("step", "must be >= 1", step)
    if expanding:
        est = expanding_ratios(s, f, window, method=method, halflife=halflife, demean=demean)
    else:
        est = rolling_ratios(s, f, window, method=method, halflife=halflife, demean=demean)
    n = est.size
    reb = np.arange(int(window) - 1, n - 1, step)
    applied = np.full(n, np.nan)
    for t in reb:
        applied[t + 1:min(t + 1 + step, n)] = est[t]
    return reb, est[reb], applied
