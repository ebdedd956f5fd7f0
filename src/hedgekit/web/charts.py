"""The dashboard's charts as plotly figure specs (plain dicts, drawn by plotly.js in the page)."""

from __future__ import annotations

from typing import Any

from hedgekit.reports.html import BAD, colour_of

__all__ = ["exposure_chart", "history_charts", "level", "liquidation_gauge", "plan_vs_actual_chart"]

_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 30, "b": 40}, "paper_bgcolor": "rgba(0,0,0,0)",
           "plot_bgcolor": "#fff", "font": {"size": 12}, "hovermode": "x unified",
           "legend": {"orientation": "h", "y": -0.2}}


def _layout(**extra: Any) -> dict[str, Any]:
    return {**_LAYOUT, **extra}


def liquidation_gauge(leg: dict[str, Any], warn_at: float = 0.25) -> dict[str, Any]:
    """A gauge of one leg's liquidation distance (% of the mark), red below ``warn_at / 2``,
    amber below ``warn_at``."""
    value = leg["liquidation_distance"]
    top = max(100.0, (value or 0.0) * 100 * 1.1)
    title = f"{leg['symbol']} @ {leg['venue']}"
    trace = {"type": "indicator", "mode": "gauge+number",
             "value": None if value is None else value * 100,
             "number": {"suffix": "%", "valueformat": ".1f"},
             "title": {"text": title, "font": {"size": 13}},
             "gauge": {"axis": {"range": [0, top], "ticksuffix": "%"},
                       "bar": {"color": "#0f172a"},
                       "steps": [{"range": [0, warn_at * 50], "color": "#fecaca"},
                                 {"range": [warn_at * 50, warn_at * 100], "color": "#fde68a"},
                                 {"range": [warn_at * 100, top], "color": "#bbf7d0"}]}}
    return {"data": [trace], "layout": _layout(height=220, margin={"l": 25, "r": 25, "t": 50, "b": 10})}


def exposure_chart(exposures: list[dict[str, Any]]) -> dict[str, Any]:
    """Per asset: exposure, the hedge held and the hedge targeted (USD)."""
    assets = [e["asset"] for e in exposures]
    bars = [("exposure", "delta_usd", "#94a3b8"), ("hedge held", "hedge_held_usd", colour_of(0)),
            ("hedge target", "hedge_target_usd", colour_of(1))]
    data = [{"type": "bar", "name": name, "x": assets, "y": [e[key] for e in exposures],
             "marker": {"color": colour}, "hovertemplate": "%{y:,.0f} USD"} for name, key, colour in bars]
    return {"data": data, "layout": _layout(barmode="group", height=280, hovermode="closest",
                                            yaxis={"tickformat": ",.0f", "title": {"text": "USD"}})}


def plan_vs_actual_chart(legs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per leg: target and held contracts (signed: short < 0)."""
    names = [f"{leg['symbol']} @ {leg['venue']}" for leg in legs]
    data = [{"type": "bar", "name": "target", "x": names, "y": [leg["target_contracts"] for leg in legs],
             "marker": {"color": colour_of(1)}},
            {"type": "bar", "name": "held", "x": names, "y": [leg["held_contracts"] for leg in legs],
             "marker": {"color": colour_of(0)}}]
    return {"data": data, "layout": _layout(barmode="group", height=280, hovermode="closest",
                                            yaxis={"tickformat": ",", "title": {"text": "contracts"}})}


def history_charts(rows: list[dict[str, Any]], band: float) -> list[dict[str, Any]]:
    """NAV, hedge ratio, funding received and drift over time, one chart each."""
    ts = [r["ts"] for r in rows]

    def line(key: str, name: str, colour: str, scale: float = 1.0) -> dict[str, Any]:
        return {"type": "scatter", "mode": "lines", "name": name, "x": ts,
                "y": [None if r[key] is None else r[key] * scale for r in rows],
                "line": {"color": colour, "width": 2}}

    nav = {"id": "chart-nav", "title": "NAV (USD)",
           "data": [line("nav_usd", "NAV USD", colour_of(0))],
           "layout": _layout(height=260, yaxis={"tickformat": ",.0f"})}
    ratio = {"id": "chart-hedge-ratio", "title": "hedge ratio (hedged / exposure)",
             "data": [line("hedge_ratio", "hedge ratio", colour_of(1), 100)],
             "layout": _layout(height=260, yaxis={"ticksuffix": "%", "tickformat": ".1f"})}
    funding = {"id": "chart-funding", "title": "funding received, cumulative (USD)",
               "data": [line("funding_accrued_usd", "funding USD", colour_of(2))],
               "layout": _layout(height=260, yaxis={"tickformat": ",.0f"})}
    drift_line = line("drift", "drift", colour_of(3), 100)
    band_lines = [{"type": "scatter", "mode": "lines", "name": name, "x": [ts[0], ts[-1]] if ts else [],
                   "y": [sign * band * 100] * (2 if ts else 0), "line": {"color": BAD, "dash": "dash", "width": 1},
                   "showlegend": sign > 0} for sign, name in ((1, "band"), (-1, "band (below)"))]
    drift = {"id": "chart-drift", "title": "drift of the hedge against its target",
             "data": [drift_line, *band_lines],
             "layout": _layout(height=260, yaxis={"ticksuffix": "%", "tickformat": ".1f"})}
    return [nav, ratio, funding, drift]


def level(value: float | None, warn: float, bad: float, higher_is_worse: bool = True) -> str:
    """``good`` / ``warn`` / ``bad`` class of a value against two thresholds."""
    if value is None:
        return ""
    v = value if higher_is_worse else -value
    w, b = (warn, bad) if higher_is_worse else (-warn, -bad)
    return "bad" if v >= b else ("warn" if v >= w else "good")

