"""What every hedgekit HTML page shares: the look (one style sheet), the number formats, one
colour per policy, and plotly.js taken from the installed ``plotly`` package (never a CDN), so
pages work offline."""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["PALETTE", "STYLE", "colour_of", "fmt_num", "fmt_pct", "fmt_usd", "plotly_js"]

# one colour per policy / leg, in order; the unhedged reference is always grey and dotted
PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#db2777", "#ca8a04",
           "#4b5563", "#dc2626", "#65a30d")
UNHEDGED_COLOUR = "#6b7280"
GOOD, WARN, BAD = "#16a34a", "#d97706", "#dc2626"

STYLE = """
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#fff; --accent:#2563eb;
        --good:#16a34a; --warn:#d97706; --bad:#dc2626; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color:var(--fg); background:var(--bg); }
header { background:#0f172a; color:#e2e8f0; padding:10px 24px; display:flex; align-items:center; gap:24px; }
header .brand { font-weight:700; letter-spacing:.02em; }
header nav a { color:#cbd5e1; text-decoration:none; margin-right:16px; padding:4px 0; }
header nav a.active { color:#fff; border-bottom:2px solid #60a5fa; }
header .meta { margin-left:auto; font-size:12px; color:#94a3b8; }
main { padding:16px 24px 40px; max-width:1400px; margin:0 auto; }
h1 { font-size:20px; margin:8px 0 16px; } h2 { font-size:15px; margin:0 0 10px; color:#334155; }
.grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap:12px; margin-bottom:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px;
        margin-bottom:16px; }
.kpi .label { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
.kpi .value { font-size:22px; font-weight:600; font-variant-numeric: tabular-nums; }
.kpi .sub { font-size:12px; color:var(--muted); }
table { border-collapse:collapse; width:100%; font-variant-numeric: tabular-nums; }
th, td { padding:6px 8px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th { font-size:12px; color:var(--muted); font-weight:600; background:#f1f5f9; }
th:first-child, td:first-child, td.text, th.text { text-align:left; }
.good { color:var(--good); } .warn { color:var(--warn); } .bad { color:var(--bad); }
.pill { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; background:#e2e8f0; }
.pill.good { background:#dcfce7; } .pill.warn { background:#fef3c7; } .pill.bad { background:#fee2e2; }
.notice { padding:10px 14px; border-radius:8px; background:#eff6ff; border:1px solid #bfdbfe; margin-bottom:16px; }
.notice.error { background:#fef2f2; border-color:#fecaca; }
.empty { color:var(--muted); font-style:italic; padding:12px 0; }
.gauges { display:grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap:8px; }
.chart { width:100%; }
button { background:var(--accent); color:#fff; border:0; border-radius:6px; padding:8px 14px; cursor:pointer; }
button.danger { background:var(--bad); }
form.inline { display:inline-block; margin-right:8px; }
input[type=password] { padding:7px; border:1px solid var(--line); border-radius:6px; }
.muted { color:var(--muted); font-size:12px; }
.scroll { overflow-x:auto; }
.kpi .value { white-space:nowrap; }
"""


def colour_of(index: int) -> str:
    """The colour of the ``index``-th policy or leg, the same in every chart of a page."""
    return PALETTE[index % len(PALETTE)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def fmt_usd(value: Any, signed: bool = False, digits: int = 0) -> str:
    """``1,234,567 USD`` style: separators, no exponent; ``-`` when missing."""
    if _missing(value):
        return "-"
    if round(value, digits) == 0:
        value = 0.0  # no "+0" or "-0"
        signed = False
    return f"{value:{'+' if signed else ''},.{digits}f}"


def fmt_pct(value: Any, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: 0.0523 -> ``5.2%``; ``-`` when missing."""
    if _missing(value):
        return "-"
    if round(value * 100, digits) == 0:
        value, signed = 0.0, False
    return f"{value * 100:{'+' if signed else ''}.{digits}f}%"


def fmt_num(value: Any, digits: int = 4) -> str:
    """A plain number with separators and at most ``digits`` decimals (trailing zeros cut)."""
    if _missing(value):
        return "-"
    if isinstance(value, int):
        return f"{value:,d}"
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@cache
def plotly_js() -> bytes:
    """plotly.js as bundled in the installed ``plotly`` package (package data)."""
    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
