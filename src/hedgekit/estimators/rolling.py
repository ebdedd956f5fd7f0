"""Rolling / expanding re-estimation and walk-forward (out-of-sample) hedge evaluation.

Look-ahead rule: the ratio dated ``t`` uses returns up to and including ``t``; in a walk-forward
it is first applied to the return of period ``t + 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.errors import DataError, InputError
from hedgekit.estimators import _core
from hedgekit.estimators.ratios import align_returns

__all__ = ["WalkForwardResult", "rolling_ratio", "walk_forward"]


def _check_window(window: Any) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
        raise InputError("window", "must be an integer >= 2", window)
    return int(window)


def rolling_ratio(spot_returns, hedge_returns, window: int, method: str = "minvar",
                  expanding: bool = False, *, halflife: float | None = None,
                  demean: bool = True) -> pd.Series:
    """Hedge ratio re-estimated at every date on the trailing ``window`` returns (or all returns
    so far with ``expanding=True``, ``window`` then being the minimum sample).

    The value dated ``t`` uses data up to and including ``t`` only; it is NaN until ``window``
    returns are available. ``method``: "minvar" (= "beta", the OLS slope) or "ewma" (needs ``halflife``).
    """
    window = _check_window(window)
    s, f, index = align_returns(spot_returns, hedge_returns)
    if expanding:
        out = _core.expanding_ratios(s, f, window, method=method, halflife=halflife, demean=demean)
    else:
        out = _core.rolling_ratios(s, f, window, method=method, halflife=halflife, demean=demean)
    return pd.Series(out, index=index, name="hedge_ratio")


@dataclass(frozen=True, kw_only=True, slots=True)
class WalkForwardResult:
    """Out-of-sample evaluation of a re-estimated hedge ratio.

    ``effectiveness`` = 1 - Var(hedged) / Var(unhedged) over the out-of-sample periods only
    (those after the first estimate took effect); ``effectiveness_naive`` is the 1:1 hedge over
    the same periods, for comparison.
    """

    method: str
    window: int
    step: int
    expanding: bool
    halflife: float | None
    estimates: pd.Series  # ratio at each rebalance date (estimated with data <= that date)
    applied: pd.Series  # ratio in force for each period's return (NaN before the first estimate)
    hedged: pd.Series  # out-of-sample hedged returns s - applied * f
    unhedged: pd.Series  # the spot returns over the same periods
    effectiveness: float
    effectiveness_naive: float
    n_oos: int

    @property
    def last_ratio(self) -> float:
        """The most recent estimate: the ratio to trade now."""
        return float(self.estimates.iloc[-1])

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "window": self.window,
            "step": self.step,
            "expanding": self.expanding,
            "halflife": self.halflife,
            "effectiveness_out_of_sample": self.effectiveness,
            "effectiveness_naive": self.effectiveness_naive,
            "n_oos": self.n_oos,
            "last_ratio": self.last_ratio,
            "mean_ratio": float(self.estimates.mean()),
            "std_ratio": float(self.estimates.std(ddof=1)) if self.estimates.size > 1 else math.nan,
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"ratio": self.applied.loc[self.hedged.index], "unhedged": self.unhedged,
                             "hedged": self.hedged})


def walk_forward(spot_returns, hedge_returns, *, window: int, step: int = 1, method: str = "minvar",
                 expanding: bool = False, halflife: float | None = None,
                 demean: bool = True) -> WalkForwardResult:
    """Estimate on the trailing ``window`` returns at every ``step``-th date, hold the ratio for the
    next ``step`` periods, and measure effectiveness on those (out-of-sample) periods only.

    Periods whose ratio could not be estimated (a window with constant hedge returns) are left out
    of the out-of-sample sample; ``n_oos`` counts the periods used.
    """
    window = _check_window(window)
    s, f, index = align_returns(spot_returns, hedge_returns)
    if s.size < window + 2:
        raise DataError(f"walk-forward needs at least window + 2 = {window + 2} returns, got {s.size}")
    reb, est, applied = _core.walk_forward_ratios(s, f, window, step, method=method, halflife=halflife,
                                                  expanding=expanding, demean=demean)
    if index is None:
        index = pd.RangeIndex(s.size)
    used = np.isfinite(applied)
    if used.sum() < 2:
        raise DataError("walk-forward: fewer than 2 out-of-sample periods with a usable estimate")
    hedged = s[used] - applied[used] * f[used]
    var_s = float(np.var(s[used]))
    if var_s == 0.0:
        raise DataError("walk-forward: spot returns are constant over the out-of-sample periods")
    oos_index = index[used]
    return WalkForwardResult(
        method=method, window=window, step=int(step), expanding=expanding, halflife=halflife,
        estimates=pd.Series(est, index=index[reb], name="hedge_ratio"),
        applied=pd.Series(applied, index=index, name="hedge_ratio"),
        hedged=pd.Series(hedged, index=oos_index, name="hedged"),
        unhedged=pd.Series(s[used], index=oos_index, name="unhedged"),
        effectiveness=1.0 - float(np.var(hedged)) / var_s,
        effectiveness_naive=1.0 - float(np.var(s[used] - f[used])) / var_s,
        n_oos=int(used.sum()),
    )
