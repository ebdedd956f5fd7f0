"""`hedgekit backtest` and its YAML config: field-named errors, JSON shape, reports, the example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hedgekit.backtest.config import load_config, parse_config
from hedgekit.errors import InputError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "backtest.yaml"
KEYS = {"name", "final_equity_usd", "total_return", "volatility", "max_drawdown", "cvar_95",
        "hedge_effectiveness", "funding_usd", "fees_usd", "rebalances", "liquidations"}


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    """A store holding the Binance BTC/ETH spot, perp and funding files the example uses."""
    from hedgekit.data import Store, import_path

    path = tmp_path_factory.mktemp("store")
    st = Store(path)
    for c in ("BTC", "ETH"):
        import_path(data_dir / f"futures/binance_spot_{c}USDT_1d_2021-2024.csv.gz", store=st)
        import_path(data_dir / f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz", store=st)
        import_path(data_dir / f"funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz", store=st)
    return path


def example(**changes) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.update(changes)
    return data


def test_example_runs_and_json_has_the_contract_keys(run_cli, store, tmp_path):
    html, png = tmp_path / "r.html", tmp_path / "r.png"
    code, out, err = run_cli("backtest", str(EXAMPLE), "--json", "--data-dir", str(store),
                             "--html", str(html), "--png", str(png))
    assert code == 0, err
    doc = json.loads(out)
    names = [s["name"] for s in doc["strategies"]]
    assert names == ["no hedge", "static 50%", "min-variance monthly, 10% band"]
    for s in doc["strategies"]:
        assert KEYS <= set(s)
    none, half, mv = doc["strategies"]
    assert none["hedge_effectiveness"] == 0.0 and none["funding_usd"] == 0.0
    assert mv["volatility"] < half["volatility"] < none["volatility"]
    assert half["funding_usd"] > 0  # shorts were paid funding over 2021-2024
    assert html.read_text().count("plotly") > 0 and png.read_bytes()[:4] == b"\x89PNG"


def test_table_output(run_cli, store):
    code, out, err = run_cli("backtest", str(EXAMPLE), "--data-dir", str(store))
    assert code == 0, err
    assert "hedge effectiveness" in out and "static 50%" in out


def test_config_errors_name_the_field(tmp_path):
    bad = example()
    bad["policies"][1]["band"] = -1
    with pytest.raises(InputError, match=r"policies\[1\]\.band: input should be greater than or equal to 0"):
        parse_config(bad)
    bad = example()
    bad["assets"][0]["coins"] = "ten"
    with pytest.raises(InputError, match=r"assets\[0\]\.coins"):
        parse_config(bad)
    bad = example()
    bad["policies"][0]["colour"] = "red"
    with pytest.raises(InputError, match=r"policies\[0\]\.colour: extra inputs are not permitted"):
        parse_config(bad)
    bad = example()
    bad["policies"].append(dict(bad["policies"][0]))
    with pytest.raises(InputError, match=r"policies\[3\]\.name: must be unique"):
        parse_config(bad)
    path = tmp_path / "c.yaml"
    path.write_text("assets: [")
    with pytest.raises(InputError, match="config: not valid YAML"):
        load_config(path)


def test_cli_errors_are_one_line(run_cli, store, tmp_path):
    code, out, err = run_cli("backtest", str(EXAMPLE), "--html", str(tmp_path / "x.txt"))
    assert code == 2 and err.strip() == f"error: --html: must end in .html (got '{tmp_path / 'x.txt'}')"
    cfg = example()
    cfg["assets"][0]["hedge"]["venue"] = "nowhere"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, out, err = run_cli("backtest", str(path), "--data-dir", str(store))
    assert code == 2 and err.startswith("error: assets[0].hedge.venue:") and err.count("\n") == 1
    cfg = example(start="2019-01-01")  # before the stored history: the funding check refuses
    path.write_text(yaml.safe_dump(cfg))
    code, out, err = run_cli("backtest", str(path), "--data-dir", str(store))
    assert code == 2 and err.startswith("error:")


def test_proxy_hedge_must_be_linear():
    cfg = example()
    cfg["assets"][1]["hedge"] = {"venue": "binance-coinm", "symbol": "BTCUSD_PERP"}
    from hedgekit.backtest.config import build_assets

    with pytest.raises(InputError, match=r"assets\[1\]\.hedge\.symbol: a proxy hedge must be linear"):
        build_assets(parse_config(cfg))
