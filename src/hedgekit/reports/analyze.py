"""Terminal table for ``hedgekit analyze``."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["analysis_table", "render_analysis"]


def _num(x: float, fmt: str = ".3f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)


def _pct(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


def analysis_table(result: Any):
    """A rich Table with one row per (asset, hedge) pair of an :class:`AnalysisResult`."""
    from rich.table import Table

    w = result.window
    table = Table(title=f"Hedge ratios ({result.returns} returns, {result.freq}; walk-forward window {w}, "
                        f"step {result.step}; EWMA half-life {result.halflife:g})")
    for name, justify in [("asset", "left"), ("hedge", "left"), ("from", "left"), ("to", "left"),
                          ("n", "right"), ("beta ± se", "right"), ("corr", "right"),
                          (f"MV ratio\n(last {w})", "right"), ("EWMA\nratio", "right"),
                          ("HE in\nsample", "right"), ("HE out of\nsample", "right"),
                          ("HE 1:1\nout", "right"), ("residual\nrisk 1-ρ²", "right"),
                          ("vol\nunhedged", "right"), ("residual\nvol (oos)", "right")]:
        table.add_column(name, justify=justify)
    for p in result.pairs:
        table.add_row(p.asset, p.against, p.start, p.end, str(p.n_obs),
                      f"{_num(p.beta)} ± {_num(p.beta_stderr)}", _num(p.correlation),
                      _num(p.mv_ratio), _num(p.ewma_ratio), _pct(p.effectiveness_in_sample),
                      _pct(p.effectiveness_out_of_sample), _pct(p.effectiveness_naive_out_of_sample),
                      _pct(p.residual_risk), _pct(p.vol_unhedged), _pct(p.residual_vol))
    return table


def render_analysis(result: Any, console: Any) -> None:
    """Print the analysis table and a one-line legend on ``console``."""
    console.print(analysis_table(result))
    console.print("HE = 1 - Var(hedged)/Var(unhedged). Out of sample: ratio re-estimated on the trailing "
                  "window, applied to the next periods. Volatilities annualised.")
