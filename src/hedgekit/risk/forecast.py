"""Funding forecasters and their walk-forward, out-of-sample evaluation (pure numpy).

Rates are per funding interval; they are first put on one scale, the rate per 8 hours
(``rate * 8 / interval_hours``), so 1h, 4h and 8h venues compare. A forecast made at the last
settlement of a day is the mean 8h rate over the next ``h`` days; the realised value is the mean
of the settlements in those days. Forecasters (each uses only settlements up to the forecast time):

* ``last``: the last settled rate;
* ``mean``: the mean of the last ``MEAN_DAYS`` days;
* ``ewma``: exponentially weighted mean, half-life ``EWMA_HALFLIFE_DAYS`` days;
* ``ar1``: ``r_{t+1} = c + phi r_t + e`` fitted by least squares on the last ``AR_DAYS`` days;
  the mean of its ``k``-step forecasts is ``mu + (r_t - mu) phi (1 - phi^k) / (k (1 - phi))``
  with ``mu = c / (1 - phi)`` (``|phi| < 1`` enforced);
* ``predicted``: the venue's own predicted next rate, where the stored series carries one.

Scores per horizon: mean absolute error (per 8h) and the hit rate of the sign (forecast and
realised both > 0 or both <= 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["FORECASTERS", "HORIZONS", "best_forecaster", "forecast", "walk_forward"]

FORECASTERS = ("last", "mean", "ewma", "ar1", "predicted")
HORIZONS = (1, 7, 30)
MEAN_DAYS = 30
EWMA_HALFLIFE_DAYS = 7
AR_DAYS = 90
WARMUP_DAYS = 90


def _ar1(window: np.ndarray) -> tuple[float, float]:
    x, y = window[:-1], window[1:]
    vx = x.var()
    if len(x) < 3 or vx <= 0:
        return float(window.mean()), 0.0
    phi = float(((x - x.mean()) * (y - y.mean())).mean() / vx)
    phi = min(max(phi, -0.999), 0.999)
    c = y.mean() - phi * x.mean()
    return float(c / (1 - phi)), phi


def forecast(name: str, rates: np.ndarray, per_day: float, steps: int,
             predicted: np.ndarray | None = None) -> float:
    """The ``name`` forecast, made after the last element of ``rates`` (per 8h), of the mean
    rate over the next ``steps`` settlements (``per_day`` settlements a day)."""
    last = float(rates[-1])
    if name == "last":
        return last
    if name == "mean":
        return float(rates[-max(int(MEAN_DAYS * per_day), 1):].mean())
    if name == "ewma":
        n = min(len(rates), int(10 * EWMA_HALFLIFE_DAYS * per_day) + 1)
        lam = 0.5 ** (1.0 / (EWMA_HALFLIFE_DAYS * per_day))
        w = lam ** np.arange(n)[::-1]
        return float((w * rates[-n:]).sum() / w.sum())
    if name == "ar1":
        mu, phi = _ar1(rates[-max(int(AR_DAYS * per_day), 3):])
        k = max(steps, 1)
        avg = phi * (1 - phi ** k) / (k * (1 - phi)) if phi != 0 else 0.0
        return mu + (last - mu) * avg
    if name == "predicted":
        if predicted is None or not np.isfinite(predicted[-1]):
            return float("nan")
        return float(predicted[-1])
    raise ValueError(name)


def walk_forward(ts_days: np.ndarray, rates: np.ndarray, interval_hours: np.ndarray | float,
                 predicted: np.ndarray | None = None, horizons: Sequence[int] = HORIZONS,
                 ) -> dict[str, dict[int, dict[str, float]]]:
    """Out-of-sample scores of every forecaster on one series.

    ``ts_days``: settlement times in days (float, e.g. epoch seconds / 86400), increasing;
    ``rates``: per-interval rates; ``interval_hours``: scalar or per row. Forecasts are made at
    the last settlement of each day after ``WARMUP_DAYS`` days. Returns
    ``{forecaster: {h: {"mae", "hit_rate", "n"}}}`` (forecasters without data are left out).
    """
    r8 = np.asarray(rates, dtype=np.float64) * 8.0 / np.asarray(interval_hours, dtype=np.float64)
    ts = np.asarray(ts_days, dtype=np.float64)
    ok = np.isfinite(r8) & np.isfinite(ts)
    r8, ts = r8[ok], ts[ok]
    pred = None if predicted is None else np.asarray(predicted, dtype=np.float64)[ok]
    out: dict[str, dict[int, dict[str, float]]] = {}
    if len(r8) < 10:
        return out
    day = np.floor(ts).astype(np.int64)
    per_day = len(r8) / max(day[-1] - day[0] + 1, 1)
    ends = np.flatnonzero(np.r_[day[1:] != day[:-1], True])  # last settlement of each day
    names = [f for f in FORECASTERS if f != "predicted" or (pred is not None and np.isfinite(pred).any())]
    for h in horizons:
        errs: dict[str, list[float]] = {f: [] for f in names}
        hits: dict[str, list[float]] = {f: [] for f in names}
        for i in ends:
            if day[i] - day[0] < WARMUP_DAYS:
                continue
            hi = np.searchsorted(day, day[i] + h, side="right")
            if hi > len(day) - 1 or day[hi - 1] != day[i] + h:  # the horizon is not fully stored
                continue
            target = float(r8[i + 1:hi].mean())
            steps = hi - i - 1
            for f in names:
                fc = forecast(f, r8[:i + 1], per_day, steps, None if pred is None else pred[:i + 1])
                if not np.isfinite(fc):
                    continue
                errs[f].append(abs(fc - target))
                hits[f].append(float((fc > 0) == (target > 0)))
        for f in names:
            if errs[f]:
                out.setdefault(f, {})[h] = {"mae": float(np.mean(errs[f])), "hit_rate": float(np.mean(hits[f])),
                                            "n": len(errs[f])}
    return out


def best_forecaster(scores: Sequence[dict[str, dict[int, dict[str, float]]]], horizon: int) -> str:
    """The forecaster with the lowest mean MAE over ``scores`` (one entry per series) at the
    evaluated horizon closest to ``horizon`` days; ``mean`` when nothing could be scored."""
    totals: dict[str, list[float]] = {}
    for per_series in scores:
        for name, by_h in per_series.items():
            if not by_h:
                continue
            h = min(by_h, key=lambda x: (abs(x - horizon), x))
            totals.setdefault(name, []).append(by_h[h]["mae"])
    if not totals:
        return "mean"
    n_max = max(len(v) for v in totals.values())
    full = {k: float(np.mean(v)) for k, v in totals.items() if len(v) == n_max}
    return min(full, key=lambda k: (full[k], FORECASTERS.index(k)))
