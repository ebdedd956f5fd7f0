"""The backtest HTML report: self-contained (plotly.js inlined, nothing loaded from the
network), numbers formatted for reading, one colour per policy in every chart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import pytest

from hedgekit.backtest.engine import AssetSpec, Policy, align_market, run_backtest
from hedgekit.reports.backtest import backtest_html, write_html
from tests.test_backtest_parity import linear

POLICIES = ("static 50%", "full 1x", "5x, liquidated")


@pytest.fixture(scope="module")
def result():
    """60 days of a coin drifting from 100 to about 160 with one intrabar spike to 125 on day 12
    that liquidates the 5x short (its liquidation price is about 119.40, see test_backtest)."""
    close = 100.0 * np.exp(np.linspace(0.0, 0.47, 60))
    close[12] = 100.0
    high = close.copy()
    high[12] = 125.0
    index = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
    inst = linear("X", 0.01)
    assets = [AssetSpec(name="X", coins=10.0, instrument=inst, fee=0.0004, mmr=0.005)]
    market = align_market(assets, spot={"X": pd.Series(close, index=index)},
                          hedge={"X": pd.DataFrame({"open": close, "high": high, "close": close}, index=index)})
    policies = [Policy(name=POLICIES[0], ratio=0.5, leverage=2.0, band=0.1),
                Policy(name=POLICIES[1], ratio=1.0, leverage=1.0, band=0.1),
                Policy(name=POLICIES[2], ratio=1.0, leverage=5.0, band=0.5)]
    return run_backtest(assets, market, policies, cash=1_000.0)


def _figure(page: str) -> dict:
    return json.loads(re.search(r"var fig = (\{.*?\});\nPlotly.newPlot", page, re.S).group(1))


def test_report_is_self_contained(result, tmp_path):
    path = tmp_path / "r.html"
    write_html(result, path, title="offline <check>")
    page = path.read_text()
    bundled = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    assert bundled[:2000] in page and bundled[-2000:] in page
    rest = page.replace(bundled, "")  # the bundle names plotly's CDN for map data it never loads here
    assert not re.search(r"<script[^>]+src=", rest)
    assert "cdn.plot.ly" not in rest and "http" not in rest
    # the only link is an inline (empty) icon, so the browser asks no server for /favicon.ico
    assert re.findall(r"<link[^>]*>", rest) == ['<link rel="icon" href="data:,">']
    assert "offline &lt;check&gt;" in page and "<check>" not in page


def test_table_numbers_are_formatted(result):
    page = backtest_html(result)
    table = page[page.index('id="summary"'):page.index("</table>")]
    rows = {m.group(1): re.findall(r"<td>([^<]*)</td>", m.group(2))
            for m in re.finditer(r"<tr><td>([^<]*)</td>(.*?)</tr>", table)}
    assert "e+0" not in table and "e-0" not in table
    usd = re.compile(r"^[+-]?\d{1,3}(,\d{3})*$")
    pct = re.compile(r"^[+-]?\d+\.\d{1,2}%$")
    for label in ("final equity $", "funding received $", "fees paid $", "margin top-ups $"):
        assert len(rows[label]) == 3 and all(usd.match(v) for v in rows[label]), rows[label]
    for label in ("total return", "volatility (ann.)", "max drawdown", "CVaR 95% (1 bar)"):
        assert all(pct.match(v) for v in rows[label]), rows[label]
    for s, cell in zip(result.strategies, rows["final equity $"], strict=True):
        assert cell == f"{round(s.final_equity_usd):,d}"
    assert rows["liquidations"] == [f"{s.liquidations:d}" for s in result.strategies]


def test_one_colour_per_policy_in_every_chart(result):
    page = backtest_html(result)
    fig = _figure(page)
    colours: dict[str, set[str]] = {}
    axes: dict[str, set[str]] = {}
    for trace in fig["data"]:
        name = trace["name"]
        if name == "unhedged":
            continue
        if trace.get("mode") == "markers":  # liquidation marks wear their policy's colour
            policy = name.split(": ")[0]
            colours.setdefault(policy, set()).add(trace["marker"]["color"])
            continue
        colours.setdefault(name, set()).add(trace["line"]["color"])
        axes.setdefault(name, set()).add(trace.get("yaxis", "y"))
    assert set(colours) == set(POLICIES)
    assert all(len(c) == 1 for c in colours.values())
    assert len({next(iter(c)) for c in colours.values()}) == 3
    assert all(a == {"y", "y2", "y3", "y4"} for a in axes.values())
    # the swatch beside each policy in the table has its charts' colour
    for policy, colour in colours.items():
        assert f'background:{next(iter(colour))}"></span>{policy}' in page
