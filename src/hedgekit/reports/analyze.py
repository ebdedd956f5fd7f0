"""Terminal table for ``hedgekit analyze``."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["analysis_table", "render_analysis"]

LEGEND = (
    "beta: full-sample OLS of asset on hedge returns (± standard error); down/up: the same on the "
    "periods the hedge fell / rose. MV: minimum-variance ratio on "
    "the last {w} periods (the ratio to trade now). HE = 1 - Var(hedged)/Var(unhedged): in sample with "
    "beta (= ρ²); oos = walk-forward ({method}), re-estimated on the trailing {w} periods every {step} and applied "
    "to the next ones; 1:1 = naive hedge over the same periods. 1-ρ²: residual risk. Volatilities "
    "annualised; res vol = out-of-sample hedged."
)


def _num(x: float | None, fmt: str = ".3f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)


def _pct(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


def analysis_table(result: Any):
    """A rich Table with one row per (asset, hedge) pair of an :class:`AnalysisResult`."""
    from rich import box
    from rich.table import Table

    periods = sorted({(p.start, p.end) for p in result.pairs})
    span = f"{periods[0][0]} .. {periods[0][1]}, " if len(periods) == 1 else ""
    table = Table(title=f"Hedge ratios: {span}{result.freq} {result.returns} returns", box=box.SIMPLE_HEAD)
    table.add_column("asset", no_wrap=True)
    table.add_column("hedge", no_wrap=True)
    if len(periods) > 1:
        table.add_column("period", no_wrap=True)
    for name in ("n", "beta ± se", "down/up", "corr", "MV", "EWMA", "HE in", "HE oos", "HE 1:1", "1-ρ²", "vol",
                 "res vol"):
        table.add_column(name, justify="right", no_wrap=True)
    for p in result.pairs:
        row = [p.asset, p.against] + ([f"{p.start}..{p.end}"] if len(periods) > 1 else [])
        row += [str(p.n_obs), f"{_num(p.beta)} ± {_num(p.beta_stderr)}",
                f"{_num(p.beta_down, '.2f')}/{_num(p.beta_up, '.2f')}", _num(p.correlation),
                _num(p.mv_ratio), _num(p.ewma_ratio), _pct(p.effectiveness_in_sample),
                _pct(p.effectiveness_out_of_sample), _pct(p.effectiveness_naive_out_of_sample),
                _pct(p.residual_risk), _pct(p.vol_unhedged), _pct(p.residual_vol)]
        table.add_row(*row)
    return table


def render_analysis(result: Any, console: Any) -> None:
    """Print the analysis table and its legend on ``console``."""
    from hedgekit.reports._terminal import print_natural

    print_natural(console, [analysis_table(result)])
    best = result.best_hedges()
    if any(sum(p.asset == a for p in result.pairs) > 1 for a in best):
        console.print("best hedge out of sample: " + "; ".join(
            f"{a} -> {p.against} (HE {_pct(p.effectiveness_out_of_sample)}, residual risk {_pct(p.residual_risk)})"
            for a, p in best.items()))
    console.print(LEGEND.format(w=result.window, step=result.step, method=result.method), style="dim")
    if result.sources:
        console.print("sources: " + ", ".join(f"{k} = {v}" for k, v in result.sources.items()), style="dim")
