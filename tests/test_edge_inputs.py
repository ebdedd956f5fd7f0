"""Edge inputs of plan, scenario, backtest, analyze and calc (issue 13): each is one error line
with exit code 2, or a correct result."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BACKTEST = REPO / "examples" / "backtest.yaml"
BOOK = {"prices": {"BTC": 65000, "ETH": 3500},
        "holdings": [{"asset": "BTC", "amount": 2.5}, {"asset": "ETH", "amount": 40}],
        "hedge": {"venues": ["binance-usdm"]}}


@pytest.fixture(autouse=True)
def _empty_data_store(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path_factory.mktemp("empty")))


def _one_line(run_cli, *args) -> str:
    code, out, err = run_cli(*args)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err.strip()


def _book(tmp_path, change) -> str:
    doc = yaml.safe_load(yaml.safe_dump(BOOK))
    change(doc)
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["hedge"].update(instruments={"BTC": []}), "hedge.instruments.BTC: must not be empty (got [])"),
    (lambda d: d["hedge"].update(recent_funding_days=200000), "hedge.recent_funding_days: must be <= 10000"),
    (lambda d: d["prices"].update(BTC=1e-310), "prices.BTC: must be >= 1e-12 (got 1e-310)"),
    (lambda d: d["prices"].update(BTC=5e-324), "prices.BTC: must be >= 1e-12 (got 5e-324)"),
    (lambda d: d["holdings"][0].update(amount=1.7e308), "holdings[0].amount: must be <= 1e+18 (got 1.7e+308)"),
    (lambda d: d["hedge"].update(leverage=1e-300), "hedge.leverage: must be >= 0.01 (got 1e-300)"),
    (lambda d: d["hedge"].update(funding_rates={"BTC": 1e300}), "hedge.funding_rates.BTC: must be <= 1"),
    (lambda d: d["hedge"].update(ratio=1e308), "hedge.ratio: must be <= 10"),
])
@pytest.mark.parametrize("command", ["plan", "scenario"])
def test_book_edges_are_one_line(tmp_path, run_cli, command, change, expected):
    assert _one_line(run_cli, command, _book(tmp_path, change)).startswith(f"error: {expected}")


def _floats(obj):
    if isinstance(obj, float):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _floats(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _floats(v)


def test_a_book_at_the_bounds_plans_finite_numbers():
    # the largest amount and smallest price allowed: every number of the plan stays finite
    from hedgekit import parse_portfolio, plan

    doc = yaml.safe_load(yaml.safe_dump(BOOK))
    doc["prices"]["ETH"] = 1e-12
    doc["holdings"][1]["amount"] = 1e18
    result = plan(parse_portfolio(doc)).to_dict()
    values = list(_floats(result))
    assert values and all(math.isfinite(v) for v in values)


def _config(tmp_path, change) -> str:
    doc = yaml.safe_load(BACKTEST.read_text())
    change(doc)
    path = tmp_path / "bt.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["policies"][1].update(leverage=1e-300), "policies[1].leverage: must be >= 0.01"),
    (lambda d: d["policies"][1].update(calendar=10**30), "policies[1].calendar: must be <= 100000"),
    (lambda d: d["assets"][0].update(coins=1e308), "assets[0].coins: must be <= 1e+18"),
    (lambda d: d.update(cash_usd=1e308), "cash_usd: must be <= 1e+15"),
])
def test_backtest_config_edges_are_one_line(tmp_path, run_cli, change, expected):
    line = _one_line(run_cli, "backtest", _config(tmp_path, change), "--data-dir", str(tmp_path))
    assert line.startswith(f"error: {expected}")


def test_report_paths_that_cannot_be_written_are_one_line(tmp_path, run_cli):
    folder = tmp_path / "r.html"
    folder.mkdir()
    line = _one_line(run_cli, "backtest", str(BACKTEST), "--html", str(folder), "--data-dir", str(tmp_path))
    assert line == f"error: --html: is a folder, not a file (got '{folder}')"
    missing = tmp_path / "no" / "r.png"
    line = _one_line(run_cli, "backtest", str(BACKTEST), "--png", str(missing), "--data-dir", str(tmp_path))
    assert line == f"error: --png: its folder does not exist (got '{missing}')"


def test_policy_names_matplotlib_would_read_as_math_are_drawn_as_written(tmp_path, run_cli, data_dir):
    from hedgekit.data import Store, import_path

    store = Store(tmp_path / "store")
    import_path(data_dir / "futures/binance_spot_BTCUSDT_1d_2021-2024.csv.gz", store=store)
    import_path(data_dir / "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz", store=store)
    import_path(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz", store=store)

    def change(d):
        d["assets"] = d["assets"][:1]
        d["policies"] = d["policies"][:2]
        d["policies"][0]["name"] = "$x^{2$"  # an unbalanced math group: matplotlib raised
        d["name"] = "<b>$a"
        d["start"], d["end"] = "2023-01-01", "2023-06-30"
    png, html = tmp_path / "r.png", tmp_path / "r.html"
    code, out, err = run_cli("backtest", _config(tmp_path, change), "--png", str(png), "--html", str(html),
                             "--data-dir", str(store.path), "--json")
    assert code == 0, err
    assert png.stat().st_size > 1000 and json.loads(out)["strategies"][0]["name"] == "$x^{2$"
    assert "<h1>&lt;b&gt;$a</h1>" in html.read_text()  # the title is escaped, not read as markup


@pytest.mark.parametrize(("flag", "value", "expected"), [
    ("--start", "-1", "--start: must be a date like 2021-01-01"),
    ("--end", "0", "--end: must be a date like 2021-01-01"),
    ("--step", "99999999999999999999", "--step: must be between 1 and 100,000"),
    ("--window", "9223372036854775807", "--window: must be between 2 and 100,000"),
])
def test_analyze_edges_are_one_line(tmp_path, run_cli, flag, value, expected):
    line = _one_line(run_cli, "analyze", "--assets", "ETH", "--against", "BTC", flag, value,
                     "--data-dir", str(tmp_path))
    assert expected in line


def test_liquidation_table_labels_price_and_margin_currencies(run_cli):
    # inverse BTCUSD: prices in USD, margin in BTC (the table said "currency BTC" beside USD prices)
    code, out, err = run_cli("calc", "liquidation", "--type", "inverse", "--side", "short", "--contracts", "10",
                             "--contract-size", "100", "--entry", "60000", "--margin-mode", "isolated",
                             "--wallet", "0.01", "--mmr", "0.005")
    assert code == 0, err
    rows = {" ".join(cells.split()) for line in out.splitlines() for cells in [line.strip("│┃ ")]}
    assert any(r.startswith("price currency") and r.endswith("USD") for r in rows)
    assert any(r.startswith("margin currency") and r.endswith("BTC") for r in rows)
