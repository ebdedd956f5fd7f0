"""Risk before it happens: Monte Carlo paths of a hedged book, liquidation probability,
liquidation-aware sizing and funding forecasts (issue 15).

| module | owns |
|---|---|
| ``kernels`` | numba: path generation (GBM, GJR-GARCH, stationary bootstrap), intrabar bridge, leg mechanics |
| ``_reference`` | the slow plain-Python twin of the leg mechanics, for the parity test |
| ``engine`` | a plan packed into arrays, paths streamed in blocks, VaR/CVaR summaries |
| ``models`` | the joint daily history and the fitted model parameters |
| ``sizing`` | per-leg max leverage / min collateral, the ratio x leverage frontier |
| ``forecast`` | funding forecasters and their walk-forward evaluation |
| ``inputs`` | the only module that reads the data store (through :mod:`hedgekit.data`) |

Nothing in this package reads a clock; only ``inputs`` reads the disk.
"""

from hedgekit.risk.engine import BookArrays, ModelParams, PathOutputs, check_run, pack_plan, simulate, summarize
from hedgekit.risk.models import History, fit_model

__all__ = ["BookArrays", "History", "ModelParams", "PathOutputs", "check_run", "fit_model", "pack_plan",
           "simulate", "summarize"]
