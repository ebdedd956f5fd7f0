"""Backtest renderers: a rich terminal table, an interactive HTML report (plotly) and a PNG
(matplotlib). They only draw what :class:`hedgekit.backtest.BacktestResult` holds."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from hedgekit._files import atomic_write_bytes  # temp file + rename: nothing half-written

__all__ = ["backtest_table", "write_html", "write_png"]

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
    if len(rows) <= 4:
        table.add_column("metric", no_wrap=True)
        for s in result.strategies:
            table.add_column(s.name, justify="right", max_width=24)
        for head, key, fmt in _COLUMNS:
            table.add_row(head, *(_fmt(fmt, row[key]) for row in rows))
        return table
    table.add_column("strategy", max_width=24)
    for head, _, _ in _COLUMNS:
        table.add_column(head, justify="right")
    for s, row in zip(result.strategies, rows):
        table.add_row(s.name, *(_fmt(fmt, row[key]) for _, key, fmt in _COLUMNS))
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
    """Interactive HTML: equity hedged vs unhedged, drawdown, hedge ratio, cumulative funding."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    curves = _curves(result)
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=("equity (USD)", "drawdown", "hedge ratio (hedged USD / exposure USD)",
                                        "cumulative funding received (USD)"))
    first = next(iter(curves.values()))
    fig.add_trace(go.Scatter(x=first.index, y=first["unhedged_usd"], name="unhedged",
                             line={"color": "black", "dash": "dot"}), row=1, col=1)
    for name, f in curves.items():
        group = {"legendgroup": name}
        fig.add_trace(go.Scatter(x=f.index, y=f["equity_usd"], name=name, **group), row=1, col=1)
        fig.add_trace(go.Scatter(x=f.index, y=f["drawdown"], name=name, showlegend=False, **group), row=2, col=1)
        fig.add_trace(go.Scatter(x=f.index, y=f["hedge_ratio"], name=name, showlegend=False, **group), row=3, col=1)
        fig.add_trace(go.Scatter(x=f.index, y=f["funding_usd"], name=name, showlegend=False, **group), row=4, col=1)
    events = result.events()
    liq = events[events.event == "liquidation"] if len(events) else events
    for name, f in curves.items():
        hits = liq[liq.strategy == name]
        if len(hits):
            fig.add_trace(go.Scatter(x=hits.time, y=f.loc[hits.time, "equity_usd"], mode="markers",
                                     marker={"symbol": "x", "size": 10, "color": "red"},
                                     name=f"{name}: liquidation"), row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    fig.update_layout(title=title, height=1100, hovermode="x unified")
    summary = result.summary()[[key for _, key, _ in _COLUMNS]].to_html(float_format=lambda x: f"{x:,.4g}")
    html = fig.to_html(full_html=True, include_plotlyjs="cdn")
    html = html.replace("<body>", f"<body><h2>{escape(title)}</h2>{summary}", 1)
    atomic_write_bytes(Path(path), html.encode())


def _plain(text: str) -> str:
    """A label matplotlib prints as written: ``$`` would start math text (and an unbalanced one
    fails the whole figure), a leading ``_`` would hide the legend entry."""
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def write_png(result: Any, path: str | Path, title: str = "hedgekit backtest") -> None:
    """The same four panels as a static PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    curves = _curves(result)
    fig, axes = plt.subplots(4, 1, figsize=(11, 13), sharex=True)
    first = next(iter(curves.values()))
    axes[0].plot(first.index, first["unhedged_usd"], "k:", label="unhedged")
    for name, f in curves.items():
        label = _plain(name)
        axes[0].plot(f.index, f["equity_usd"], label=label)
        axes[1].plot(f.index, f["drawdown"] * 100, label=label)
        axes[2].plot(f.index, f["hedge_ratio"], label=label)
        axes[3].plot(f.index, f["funding_usd"], label=label)
    for ax, label in zip(axes, ("equity (USD)", "drawdown (%)", "hedge ratio", "cum. funding (USD)")):
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8)
    axes[0].set_title(_plain(title))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())
