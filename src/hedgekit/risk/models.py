"""The joint daily history the models are fitted on, and the three models' parameters.

Pure functions of arrays (the history is loaded by :mod:`hedgekit.risk.inputs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hedgekit.errors import DataError
from hedgekit.risk.engine import ModelParams

__all__ = ["History", "fit_bootstrap", "fit_garch", "fit_gbm", "fit_model"]

MIN_DAYS = 60


@dataclass(frozen=True, kw_only=True)
class History:
    """Joint daily history, rows = days present for every asset, columns = ``assets``.

    ``returns``: daily log returns of the spot; ``basis``: the perpetual's ``F/S - 1`` at the
    close (NaN where none is stored); ``funding``: funding of the day, a fraction of the notional
    (the day's settlements summed; NaN where none is stored). ``sources`` names the series.
    """

    assets: tuple[str, ...]
    returns: np.ndarray
    basis: np.ndarray
    funding: np.ndarray
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return int(self.returns.shape[0])


def _check(history: History) -> None:
    if history.days < MIN_DAYS:
        raise DataError(f"{', '.join(history.assets)}: only {history.days} joint daily returns stored "
                        f"(the risk models need at least {MIN_DAYS}; import more history)")


def _fill(x: np.ndarray) -> np.ndarray:
    """Columns with their NaNs replaced by the column mean (0 when all are NaN)."""
    x = np.array(x, dtype=np.float64)
    for a in range(x.shape[1]):
        col = x[:, a]
        ok = np.isfinite(col)
        col[~ok] = col[ok].mean() if ok.any() else 0.0
    return x


def _corr(x: np.ndarray) -> np.ndarray:
    if x.shape[1] == 1:
        return np.ones((1, 1))
    c = np.corrcoef(x, rowvar=False)
    return np.where(np.isfinite(c), c, 0.0) + 0.0 * np.eye(x.shape[1])


def fit_gbm(history: History, fund_day: Sequence[float] | np.ndarray) -> ModelParams:
    """GBM: the sample daily volatility and correlation of the log returns, no drift."""
    _check(history)
    r = history.returns
    return ModelParams(model="gbm", assets=history.assets, sigma=r.std(axis=0, ddof=1), corr=_corr(r),
                       fund_day=np.asarray(fund_day, dtype=np.float64))


def fit_bootstrap(history: History, fund_day: Sequence[float] | np.ndarray, mean_block: float = 10.0) -> ModelParams:
    """Stationary bootstrap of whole history rows. The basis is drawn as its deviation from its
    mean (added to today's basis); the funding is re-centred on ``fund_day`` (the forecast),
    keeping its spikes and their co-movement with the returns."""
    _check(history)
    basis = _fill(history.basis)
    basis -= basis.mean(axis=0)
    funding = _fill(history.funding)
    fund = np.asarray(fund_day, dtype=np.float64)
    return ModelParams(model="bootstrap", assets=history.assets, sigma=history.returns.std(axis=0, ddof=1),
                       fund_day=fund - funding.mean(axis=0), hist_ret=np.ascontiguousarray(history.returns),
                       hist_basis=basis, hist_fund=funding, mean_block=float(mean_block))


def fit_garch(history: History, fund_day: Sequence[float] | np.ndarray) -> ModelParams:
    """GJR-GARCH(1,1) with Student-t innovations per asset (the ``arch`` package, on percent
    returns), joined by the correlation of the standardised residuals; the conditional variance
    starts at the fitted one-day-ahead forecast."""
    _check(history)
    from arch import arch_model

    rows = []
    resid = []
    notes = []
    for a, name in enumerate(history.assets):
        r = history.returns[:, a] * 100.0
        res = arch_model(r, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="t").fit(disp="off")
        prm = res.params
        h0 = float(res.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0])
        rows.append([prm["mu"] / 100.0, prm["omega"] / 1e4, prm["alpha[1]"], prm["gamma[1]"], prm["beta[1]"],
                     max(float(prm["nu"]), 2.05), h0 / 1e4])
        resid.append(np.asarray(res.std_resid, dtype=np.float64))
        if res.convergence_flag:
            notes.append(f"{name}: the GARCH fit did not converge (flag {res.convergence_flag})")
    z = np.column_stack(resid)
    z = z[np.all(np.isfinite(z), axis=1)]
    return ModelParams(model="garch", assets=history.assets, sigma=history.returns.std(axis=0, ddof=1),
                       corr=_corr(z), fund_day=np.asarray(fund_day, dtype=np.float64),
                       garch=np.array(rows, dtype=np.float64).T.copy(), notes=tuple(notes))


def fit_model(model: str, history: History, fund_day: Sequence[float] | np.ndarray) -> ModelParams:
    """The parameters of ``model`` (gbm, garch or bootstrap) fitted on ``history``."""
    if model == "gbm":
        return fit_gbm(history, fund_day)
    if model == "garch":
        return fit_garch(history, fund_day)
    return fit_bootstrap(history, fund_day)
