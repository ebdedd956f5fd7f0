"""Pairwise hedge analysis of assets against hedge instruments: what ``hedgekit analyze`` reports."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.errors import DataError, InputError
from hedgekit.estimators import _core
from hedgekit.estimators.ratios import (
    DownsideBeta,
    MinVarianceRatio,
    OLSBeta,
    align_returns,
    periods_per_year,
    to_returns,
)
from hedgekit.estimators.rolling import walk_forward

__all__ = ["AnalysisResult", "PairAnalysis", "analyze_pairs"]

JSON_KEYS = ("asset", "against", "beta", "correlation", "mv_ratio", "effectiveness_in_sample",
             "effectiveness_out_of_sample", "n_obs")


@dataclass(frozen=True, kw_only=True, slots=True)
class PairAnalysis:
    """One asset against one hedge instrument.

    ``beta``/``beta_stderr``/``correlation``/``r_squared``: full-sample OLS of the asset's returns
    on the hedge's returns (the full-sample minimum-variance ratio is the same number);
    ``beta_down``/``beta_up``: the same slope on the periods the hedge fell / rose
    (:class:`~hedgekit.estimators.DownsideBeta`; None with fewer than 10 of either).
    ``mv_ratio``: the minimum-variance ratio on the trailing ``window`` returns, i.e. the ratio to
    trade now; ``ewma_ratio``: the EWMA ratio at the last date. ``effectiveness_in_sample`` =
    1 - Var(s - beta f)/Var(s) (= R^2); ``effectiveness_out_of_sample``: walk-forward, re-estimated
    on the trailing window every ``step`` periods and applied to the next ones.
    Volatilities are annualised (sqrt of periods per year); ``residual_vol`` is the volatility of
    the out-of-sample hedged returns.
    """

    asset: str
    against: str
    beta: float
    beta_stderr: float
    beta_down: float | None
    beta_up: float | None
    correlation: float
    r_squared: float
    mv_ratio: float
    ewma_ratio: float
    effectiveness_in_sample: float
    effectiveness_out_of_sample: float
    effectiveness_naive_out_of_sample: float
    effectiveness_in_sample_oos_periods: float
    residual_risk: float
    vol_unhedged: float
    residual_vol: float
    n_obs: int
    n_oos: int
    start: str
    end: str

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, kw_only=True, slots=True)
class AnalysisResult:
    pairs: tuple[PairAnalysis, ...]
    window: int
    step: int
    method: str
    halflife: float
    freq: str
    returns: str
    sources: Mapping[str, str] = field(default_factory=dict)  # column -> stored series it came from

    def best_hedges(self) -> dict[str, PairAnalysis]:
        """Per asset, the pair with the highest out-of-sample effectiveness (ties: lower residual risk)."""
        best: dict[str, PairAnalysis] = {}
        for p in self.pairs:
            cur = best.get(p.asset)
            if cur is None or (p.effectiveness_out_of_sample, -p.residual_risk) > (
                    cur.effectiveness_out_of_sample, -cur.residual_risk):
                best[p.asset] = p
        return best

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": [p.to_dict() for p in self.pairs],
            "best_hedge": {asset: p.against for asset, p in self.best_hedges().items()},
            "settings": {"window": self.window, "step": self.step, "method": self.method,
                         "halflife": self.halflife,
                         "freq": self.freq, "returns": self.returns},
            "sources": dict(self.sources),
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.to_dict() for p in self.pairs]).set_index(["asset", "against"])


def _pair(asset: str, against: str, s_ret: pd.Series, f_ret: pd.Series, *, window: int, step: int,
          method: str, halflife: float, ann: float) -> PairAnalysis:
    s, f, index = align_returns(s_ret, f_ret, names=(asset, against))
    fit = OLSBeta().fit(s, f)
    try:
        split = DownsideBeta().fit(s, f)
        updown: tuple[float | None, float | None] = (split.downside_beta_, split.upside_beta_)
    except DataError:  # too few down or up periods: reported as missing, not as a number
        updown = (None, None)
    wf = walk_forward(pd.Series(s, index=index), pd.Series(f, index=index), window=window, step=step,
                      method=method, halflife=halflife if method == "ewma" else None)
    oos_f = pd.Series(f, index=index).loc[wf.hedged.index].to_numpy()
    tail = slice(s.size - window, s.size)
    return PairAnalysis(
        asset=asset, against=against,
        beta=fit.beta_, beta_stderr=fit.stderr_, beta_down=updown[0], beta_up=updown[1],
        correlation=fit.correlation_, r_squared=fit.r_squared_,
        mv_ratio=_core.minvar_ratio(s[tail], f[tail]),
        ewma_ratio=_core.ewma_ratio(s, f, halflife),
        effectiveness_in_sample=fit.effectiveness_,
        effectiveness_out_of_sample=wf.effectiveness,
        effectiveness_naive_out_of_sample=wf.effectiveness_naive,
        effectiveness_in_sample_oos_periods=MinVarianceRatio().fit(wf.unhedged.to_numpy(), oos_f).effectiveness_,
        residual_risk=fit.residual_risk_,
        vol_unhedged=float(np.std(s, ddof=1)) * math.sqrt(ann),
        residual_vol=float(wf.hedged.std(ddof=1)) * math.sqrt(ann),
        n_obs=fit.n_obs_, n_oos=wf.n_oos,
        start=str(index[0].date()) if hasattr(index[0], "date") else str(index[0]),
        end=str(index[-1].date()) if hasattr(index[-1], "date") else str(index[-1]),
    )


def analyze_pairs(spot_prices: pd.DataFrame, hedge_prices: pd.DataFrame, *, window: int = 90,
                  step: int = 1, method: str = "minvar", halflife: float = 30.0, returns: str = "log",
                  freq: str = "1d", sources: Mapping[str, str] | None = None) -> AnalysisResult:
    """Every column of ``spot_prices`` (assets) against every column of ``hedge_prices`` (hedge
    instruments, e.g. "BTC" spot or "BTC-PERP"), on the dates each pair shares.

    ``method`` ("minvar" or "ewma" with ``halflife``) is the walk-forward estimator; the EWMA column
    always uses ``halflife``. A pair of a series with itself is skipped. Prices are turned into ``returns`` ("log" or
    "simple") first; gaps raise :class:`hedgekit.errors.DataError`.
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
        raise InputError("window", "must be an integer >= 2", window)
    ann = periods_per_year(freq)
    s_ret = to_returns(spot_prices, returns)
    f_ret = to_returns(hedge_prices, returns)
    pairs = []
    for asset in s_ret.columns:
        for against in f_ret.columns:
            if str(asset) == str(against):
                continue
            pairs.append(_pair(str(asset), str(against), s_ret[asset], f_ret[against], window=window,
                               step=step, method=method, halflife=halflife, ann=ann))
    if not pairs:
        raise InputError("against", "every pair compares a series with itself", list(f_ret.columns))
    return AnalysisResult(pairs=tuple(pairs), window=int(window), step=int(step), method=method,
                          halflife=float(halflife), freq=freq, returns=returns, sources=dict(sources or {}))
