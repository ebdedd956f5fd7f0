"""``hedgekit plan`` and ``hedgekit scenario`` through the CLI (issue 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "portfolio.yaml")


@pytest.fixture(autouse=True)
def _empty_data_store(monkeypatch, tmp_path_factory):
    # plans fall back to the local data store for missing prices/betas: keep it empty here
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path_factory.mktemp("store")))


def test_plan_example_json_keys(run_cli):
    code, out, err = run_cli("plan", EXAMPLE, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert {e["asset"] for e in d["exposures"]} >= {"BTC", "ETH", "SOL", "USDC"}
    assert {"asset", "amount", "value_usd", "delta_coin"} <= set(d["exposures"][0])
    leg_keys = {"venue", "symbol", "contract_type", "side", "contracts", "contract_size", "notional_usd",
                "hedge_ratio_effective", "residual_usd", "initial_margin", "liquidation_price",
                "funding_30d_usd"}
    assert d["legs"] and all(leg_keys <= set(leg) for leg in d["legs"])
    assert isinstance(d["warnings"], list) and d["unhedgeable"]


def test_plan_example_table(run_cli):
    code, out, err = run_cli("plan", EXAMPLE)
    assert code == 0, err
    for title in ("Exposures", "Hedge legs", "Rounding to the lot", "Margin, liquidation",
                  "Totals:", "What a futures hedge cannot remove"):
        assert title in out


def test_scenario_json(run_cli):
    code, out, err = run_cli("scenario", EXAMPLE, "--shocks", "-30,0,25", "--horizon-days", "7",
                             "--asset-shock", "SOL=-40", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert [r["shock"] for r in d["rows"]] == [-30, 0, 25]
    assert {"shock", "spot_pnl_usd", "hedge_pnl_usd", "hedge_pnl_coin", "funding_usd", "net_usd",
            "liquidated"} <= set(d["rows"][0])
    assert all(r["moves_pct"]["SOL"] == pytest.approx(-40) for r in d["rows"])
    assert d["horizon_days"] == 7


def test_scenario_table(run_cli):
    code, out, err = run_cli("scenario", EXAMPLE, "--shocks", "-10,10")
    assert code == 0, err
    assert "Shocks to BTC" in out and "Where each leg is liquidated" in out


MALFORMED = [
    ("holdings:\n  - {asset: BTC, amount: 1\n", "p.yaml: invalid YAML at line"),
    ("holdings:\n  - {asset: BTC, amount: 1}\n  - {asset: ETH, amount: -5}\nprices: {BTC: 1, ETH: 1}\n",
     "holdings[1].amount: must be >= 0 (got -5)"),
    ("holdings:\n  - {asset: BTC, amount: 1, kind: option}\n", "holdings[0].kind: must be one of"),
    ("holdings:\n  - {asset: BTC, amount: 1}\n  - {asset: SOL, amount: 2}\nprices: {BTC: 1}\n",
     "holdings[1].asset: no price for SOL"),
    ("holdings:\n  - {asset: BTC, amount: 1}\nprices: {BTC: 1}\nhedge: {ratio: -1}\n",
     "hedge.ratio: must be >= 0 (got -1)"),
    ("holdings:\n  - {asset: BTC, amount: 1}\nprices: {BTC: 1}\nhedge: {leverage: 0}\n",
     "hedge.leverage: must be > 0 (got 0)"),
    ("- just\n- a list\n", "portfolio: must be a mapping"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
@pytest.mark.parametrize("command", ["plan", "scenario"])
def test_malformed_file_one_line_exit_2_nothing_written(run_cli, tmp_path, text, message, command):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    code, out, err = run_cli(command, str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: " + message)
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize(("flags", "message"), [
    (["--shocks", "-50,abc"], "error: --shocks: must be a finite number (got 'abc')"),
    (["--shocks", "-100"], "error: --shocks: each shock must be > -100 (%) (got '-100')"),
    (["--asset-shock", "SOL"], "error: --asset-shock: must look like ASSET=PCT"),
    (["--horizon-days", "-3"], "error: --horizon-days: must be >= 0 (got -3.0)"),
])
def test_bad_flags_name_the_flag(run_cli, flags, message):
    code, out, err = run_cli("scenario", EXAMPLE, *flags)
    assert code == 2 and err.startswith(message) and err.count("\n") == 1


def test_plan_path_imports_no_heavy_modules():
    # the < 1.5 s start-up target (measured in benchmarks/bench_plan.py) needs these left out
    code = (f"import sys; from hedgekit.cli import main; main(['plan', {EXAMPLE!r}]); "
            "print(sorted(m for m in ('pandas', 'numba', 'ccxt', 'plotly', 'scipy') if m in sys.modules),"
            " file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_readme_portfolio_snippet_plans(run_cli, tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Portfolio file"):]
    snippet = section[section.index("```yaml") + len("```yaml"):]
    snippet = snippet[:snippet.index("```")]
    path = tmp_path / "readme.yaml"
    path.write_text(snippet, encoding="utf-8")
    code, out, err = run_cli("plan", str(path), "--json")
    assert code == 0, err
    assert {leg["asset"] for leg in json.loads(out)["legs"]} == {"BTC", "ETH", "JUP"}
