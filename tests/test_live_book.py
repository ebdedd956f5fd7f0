"""The live book end to end (issue 10): ``hedgekit sync``, ``positions`` and ``plan`` against a
local HTTP server on 127.0.0.1 that speaks Binance USD-M's REST API with the bodies of
Binance's API documentation (``fixtures/venues/binance-usdm``, source page in each file).

Held there (positionRisk docs body): BTCUSDT long 0.001 and short 0.002 in hedge mode (cross),
ETHUSDT short 0.5 opened at 1,200 (isolated, wallet 120 USDT). Marks (premiumIndex body):
BTC 11,793.63104562, ETH 1,150.
"""

from __future__ import annotations

import json

import pytest
from test_accounts_client import _BinanceUSDM, local_binance  # noqa: F401  (the server fixture)

KEY, SECRET = "srv-key", "srv-secret"


@pytest.fixture
def book(tmp_path, local_binance, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SRV_API_KEY", KEY)
    monkeypatch.setenv("SRV_API_SECRET", SECRET)
    path = tmp_path / "book.yaml"
    path.write_text(
        "holdings:\n  - {asset: BTC, amount: 0.003}\n  - {asset: ETH, amount: 0.5}\n"
        "hedge: {venues: [binance-usdm], leverage: 2}\n"
        f"accounts:\n  - {{name: main, venue: binance-usdm, key_env: SRV, api_url: '{local_binance}'}}\n")
    return path


def test_sync_positions_and_plan_against_a_local_venue(book, run_cli):
    code, out, err = run_cli("sync", str(book), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and report["accounts"][0]["positions"] == 3
    assert {"/fapi/v3/account", "/fapi/v3/positionRisk", "/fapi/v1/premiumIndex"} <= set(_BinanceUSDM.seen)

    code, out, err = run_cli("positions", str(book), "--json")
    assert code == 0, err
    doc = json.loads(out)
    rows = {(p["symbol"], p["side"]): p for p in doc["positions"]}
    eth = rows[("ETHUSDT", "short")]
    assert (eth["contracts"], eth["entry_price"], eth["margin_mode"]) == (0.5, 1200.0, "isolated")
    # hedgekit's own LP, Binance USD-M isolated (MM at the liquidation price):
    # LP = (W + cum + q*EP) / (q*MMR + q) with W = isolatedWallet 120, q = 0.5, EP = 1,200 and
    # the ETHUSDT bracket 1 of the leverageBracket body (MMR 0.65%, cum 0; 715 USDT < 10,000 cap)
    assert eth["liquidation_price"] == pytest.approx((120 + 0 + 0.5 * 1200) / (0.5 * 0.0065 + 0.5), rel=1e-9)
    assert eth["liquidation_price_venue"] == 1420.15
    # the figure says how it was made: Binance's convention, no fee to close (hedge.fee_to_close off)
    assert (eth["liquidation_convention"], eth["liquidation_fee_to_close"]) == ("mm-at-liquidation", 0.0)
    # the docs body's figure is 0.74% away from the formula: reported, never silently replaced
    assert any("ETHUSDT short: hedgekit's liquidation price 1,430.70 differs from the venue's "
               "1,420.15 by +0.74% (mm-at-liquidation, fee to close 0)" in w for w in doc["warnings"])
    assert [(b["currency"], b["total"]) for b in doc["balances"]] == [("USDT", 23.72469206)]

    code, out, err = run_cli("plan", str(book), "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["price_sources"]["BTC"] == {"value": 11793.63104562, "source": "live:binance-usdm",
                                            "kind": "mark", "as_of": plan["price_sources"]["BTC"]["as_of"]}
    legs = {leg["symbol"]: leg for leg in plan["legs"]}
    # BTC: target short 0.003; held +0.001 - 0.002 = -0.001; trade: sell 0.002
    assert (legs["BTCUSDT"]["current_contracts"], legs["BTCUSDT"]["trade_contracts"]) == (-0.001, -0.002)
    # ETH: target short 0.5 = held: nothing to trade
    assert (legs["ETHUSDT"]["current_contracts"], legs["ETHUSDT"]["trade_contracts"]) == (-0.5, 0)
    assert plan["trades"] == [{"account": "main", "venue": "binance-usdm", "symbol": "BTCUSDT",
                               "side": "sell", "contracts": 0.002, "reduce_only": False}]
    # the docs bodies date from 2020: every live price is flagged stale
    assert "stale-price" in {w["code"] for w in plan["warnings"]}
    assert KEY not in out + err and SECRET not in out + err


def test_a_failing_venue_keeps_the_last_good_snapshot(book, run_cli, monkeypatch):
    code, _, err = run_cli("sync", str(book))
    assert code == 0, err
    monkeypatch.setenv("SRV_API_SECRET", "wrong-secret")  # the server now refuses every signed call
    code, out, err = run_cli("sync", str(book), "--json")
    assert code == 1
    report = json.loads(out)
    (acc,) = report["accounts"]
    assert not acc["ok"] and acc["error_kind"] == "auth" and "wrong-secret" not in out + err
    code, out, _ = run_cli("positions", str(book), "--json")  # the first sync is still there
    assert code == 0 and len(json.loads(out)["positions"]) == 3


def test_plan_refuses_an_account_never_synced(book, run_cli):
    code, out, err = run_cli("plan", str(book))
    assert code == 2 and out == ""
    assert err.startswith("error: accounts[0]: account main has never been synced")


@pytest.mark.parametrize(("account", "message"), [
    ("{name: x, venue: ftx, key_env: SRV}", "error: accounts[0].venue: unknown venue"),
    ("{name: x, venue: okx, key_env: NOPE}",
     "error: accounts[0].key_env: environment variable NOPE_API_KEY is not set"),
    ("{name: x, venue: okx, key_env: SRV, api_url: 'http://host/path'}", "error: accounts[0].api_url: must be http(s)://host[:port]"),
])
def test_bad_account_entries_name_the_field(tmp_path, run_cli, monkeypatch, account, message):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NOPE_API_KEY", raising=False)
    path = tmp_path / "bad.yaml"
    path.write_text(f"prices: {{BTC: 1}}\nholdings: [{{asset: BTC, amount: 1}}]\naccounts: [{account}]\n")
    code, out, err = run_cli("sync", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(message), err


def test_readme_live_section_runs_offline_as_written(run_cli, tmp_path, monkeypatch):
    import contextlib
    import io
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("<!-- BEGIN live -->"):readme.index("<!-- END live -->")]
    code, out, err = run_cli("plan", "examples/live-book.yaml", "--json")
    assert code == 0, err
    trades = json.loads(out)["trades"]
    shown = section[section.index('"trades": ['):]
    shown = json.loads(shown[len('"trades": '):shown.index("]") + 1])
    assert trades == shown
    code, out, err = run_cli("positions", "examples/live-book.yaml", "--json")
    assert code == 0, err
    assert [p["symbol"] for p in json.loads(out)["positions"]] == ["BTCUSD_PERP", "ETHUSDT"]
    snippet = section[section.index("```python") + len("```python"):]
    snippet = snippet[:snippet.index("```")]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "README live", "exec"), {})
    expected = snippet.rsplit("# ", 1)[1].strip()  # the comment after print(...) is its output
    assert printed.getvalue().strip() == expected
