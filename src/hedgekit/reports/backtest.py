"""Backtest renderers: a rich terminal table, an interactive HTML report (plotly) and a PNG
(matplotlib). They only draw what :class:`hedgekit.backtest.BacktestResult` holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hedgekit._files import atomic_write_bytes  # temp file + rename: nothing half-written

__all__ = ["backtest_html", "backtest_table", "write_html", "write_png"]

_COLUMNS = (
    ("final equity $", "final_equity_usd", "{:,.0f}"),
    ("total return", "total_return", "{:+.1%}"),
    ("volatility (ann.)", "volatility", "{:.1%}"),
    ("max drawdown", "max_drawdown", "{:.1%}"),
    ("CVaR 95% (1 bar)", "cvar_95", "{:.2%}"),
    ("hedge effectiveness", "hedge_effectiveness", "{:.3f}"),
    ("funding received $", "funding_usd", "{:+,.0f}"),
    ("fees paid $", "fees_usd", "{:,.0f}"),
    ("rebalances", "rebalances", "{:d}"),
    ("liquidations", "liquidations", "{:d}"),
    ("margin top-ups $", "topup_usd", "{:,.0f}"),
)


def _columns(rows: list[dict[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    """The summary rows, plus the switch count when the hedges switch perpetual <-> dated."""
    if rows and all("switches" in row for row in rows):
        return (*_COLUMNS, ("perp/dated switches", "switches", "{:d}"))
    return _COLUMNS


def _fmt(fmt: str, value: Any) -> str:
    if isinstance(value, float) and value != value:
        return "-"
    return fmt.format(value)


def backtest_table(result: Any, title: str | None = None):
    """A rich Table. Up to four strategies are columns (fits 80 columns), more are rows."""
    from rich.table import Table

    start, end = result.index[0].date(), result.index[-1].date()
    caption = f"{start} .. {end}, {len(result.index)} bars, {', '.join(result.names)}"
    table = Table(title=title or "backtest", caption=caption)
    rows = [s.to_dict() for s in result.strategies]
    columns = _columns(rows)
    if len(rows) <= 4:
        table.add_column("metric", no_wrap=True)
        for s in result.strategies:
            table.add_column(s.name, justify="right", max_width=24)
        for head, key, fmt in columns:
            table.add_row(head, *(_fmt(fmt, row[key]) for row in rows))
        return table
    table.add_column("strategy", max_width=24)
    for head, _, _ in columns:
        table.add_column(head, justify="right")
    for s, row in zip(result.strategies, rows, strict=True):
        table.add_row(s.name, *(_fmt(fmt, row[key]) for _, key, fmt in columns))
    return table


def _curves(result: Any) -> dict[str, Any]:
    """Per-strategy frames with the drawdown column added."""
    out = {}
    for s in result.strategies:
        f = result.to_frame(s.name)
        f["drawdown"] = f["equity_usd"] / f["equity_usd"].cummax().clip(lower=result.initial_usd) - 1.0
        out[s.name] = f
    return out


def write_html(result: Any, path: str | Path, title: str = "hedgekit backtest") -> None:
    """Self-contained interactive HTML (plotly.js inlined, so it opens offline): the summary
    table with formatted numbers, then equity hedged vs unhedged, drawdown, hedge ratio and
    cumulative funding, each policy in the same colour in every chart."""
    atomic_write_bytes(Path(path), backtest_html(result, title).encode())


def backtest_html(result: Any, title: str = "hedgekit backtest") -> str:
    """The page :func:`write_html` writes, as a string."""
    import html

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from hedgekit.reports.html import STYLE, UNHEDGED_COLOUR, colour_of, plotly_js

    curves = _curves(result)
    colours = {name: colour_of(i) for i, name in enumerate(curves)}
    coins = [c for c, _ in result.settle_coins]
    titles = ("equity (USD)", *(f"equity ({c}): the book valued in {c}" for c in coins), "drawdown",
              "hedge ratio (hedged USD / exposure USD)", "cumulative funding received (USD)")
    fig = make_subplots(rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=titles)
    first = next(iter(curves.values()))
    for row, (column, hover) in enumerate((("unhedged_usd", "%{y:,.0f} USD"),
                                           *((f"unhedged_{c}", f"%{{y:,.4f}} {c}") for c in coins)),
                                          start=1):
        fig.add_trace(go.Scatter(x=first.index, y=first[column], name="unhedged", legendgroup="unhedged",
                                 showlegend=row == 1, line={"color": UNHEDGED_COLOUR, "dash": "dot"},
                                 hovertemplate=hover), row=row, col=1)
    panels = (("equity_usd", "%{y:,.0f} USD"), *((f"equity_{c}", f"%{{y:,.4f}} {c}") for c in coins),
              ("drawdown", "%{y:.1%}"), ("hedge_ratio", "%{y:.3f}"), ("funding_usd", "%{y:+,.0f} USD"))
    for name, f in curves.items():
        for row, (column, hover) in enumerate(panels, start=1):
            fig.add_trace(go.Scatter(x=f.index, y=f[column], name=name, legendgroup=name,
                                     showlegend=row == 1, line={"color": colours[name], "width": 1.6},
                                     hovertemplate=hover), row=row, col=1)
    events = result.events()
    liq = events[events.event == "liquidation"] if len(events) else events
    for name, f in curves.items():
        hits = liq[liq.strategy == name]
        if len(hits):
            fig.add_trace(go.Scatter(x=hits.time, y=f.loc[hits.time, "equity_usd"], mode="markers",
                                     marker={"symbol": "x", "size": 11, "color": colours[name],
                                             "line": {"width": 1, "color": "#000"}},
                                     legendgroup=name, name=f"{name}: liquidation"), row=1, col=1)
    fig.update_yaxes(tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=2 + len(coins), col=1)
    fig.update_yaxes(tickformat=",.0f", row=4 + len(coins), col=1)
    fig.update_layout(height=1100 + 260 * len(coins), hovermode="x unified", paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="#fff", margin={"l": 70, "r": 20, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": 1.04})
    start, end = result.index[0].date(), result.index[-1].date()
    head = "".join(f'<th><span class="swatch" style="background:{colours[s.name]}"></span>'
                   f"{html.escape(s.name)}</th>" for s in result.strategies)
    rows = [s.to_dict() for s in result.strategies]
    body = "".join(f"<tr><td>{html.escape(label)}</td>" + "".join(
        f"<td>{html.escape(_fmt(fmt, row[key]))}</td>" for row in rows) + "</tr>"
        for label, key, fmt in _columns(rows))
    figure = fig.to_json().replace("</", "<\\/")
    script = plotly_js().decode().replace("</script", "<\\/script")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><link rel="icon" href="data:,">
<style>{STYLE}
.swatch {{ display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }}</style>
<script>{script}</script></head>
<body><header><span class="brand">hedgekit</span><span class="meta">backtest report</span></header>
<main><h1>{html.escape(title)}</h1>
<p class="muted">{start} .. {end}, {len(result.index):,} bars. HE = 1 - Var(hedged) / Var(unhedged) of bar
returns; max drawdown and CVaR 95% are losses; funding &gt; 0 = received.</p>
<div class="card" id="summary"><h2>summary</h2><div class="scroll"><table>
<thead><tr><th>metric</th>{head}</tr></thead><tbody>{body}</tbody></table></div></div>
<div class="card"><div id="charts" class="chart"></div></div></main>
<script>var fig = {figure};
Plotly.newPlot("charts", fig.data, fig.layout, {{displaylogo: false, responsive: true}});</script>
</body></html>
"""


def _plain(text: str) -> str:
    """A label matplotlib prints as written: ``$`` would start math text (and an unbalanced one
    fails the whole figure), a leading ``_`` would hide the legend entry."""
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def write_png(result: Any, path: str | Path, title: str = "hedgekit backtest") -> None:
    """The same panels as a static PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    curves = _curves(result)
    coins = [c for c, _ in result.settle_coins]
    columns = ["equity_usd", *(f"equity_{c}" for c in coins), "drawdown", "hedge_ratio", "funding_usd"]
    labels = ["equity (USD)", *(f"equity ({c})" for c in coins), "drawdown (%)", "hedge ratio",
              "cum. funding (USD)"]
    fig, axes = plt.subplots(len(columns), 1, figsize=(11, 13 + 3 * len(coins)), sharex=True)
    first = next(iter(curves.values()))
    axes[0].plot(first.index, first["unhedged_usd"], "k:", label="unhedged")
    for k, c in enumerate(coins, start=1):
        axes[k].plot(first.index, first[f"unhedged_{c}"], "k:")
    for name, f in curves.items():
        label = _plain(name)
        for ax, column in zip(axes, columns, strict=True):
            ax.plot(f.index, f[column] * (100 if column == "drawdown" else 1), label=label)
    for ax, label in zip(axes, labels, strict=True):
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8)
    axes[0].set_title(_plain(title))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())
