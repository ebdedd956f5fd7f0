"""``hedgekit calc``: JSON keys and values for each command, and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = ("--side", "long", "--contracts", "1", "--contract-size", "1")


def _json(run_cli, *args):
    code, out, err = run_cli("calc", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_pnl_inverse_bybit_example(run_cli):
    # Bybit inverse P&L page (MECHANICS.md 1.1): 1,000 contracts 5,000 -> 5,500 = 0.01819 BTC (exact 0.0181818)
    d = _json(run_cli, "pnl", "--type", "inverse", "--side", "long", "--contracts", "1000",
              "--contract-size", "1", "--entry", "5000", "--exit", "5500")
    assert set(d) == {"pnl", "currency", "pnl_usd"}
    assert d["pnl"] == pytest.approx(1000 * (1 / 5000 - 1 / 5500))
    assert d["pnl"] == pytest.approx(0.01819, abs=1e-5)
    assert d["currency"] == "BTC"
    assert d["pnl_usd"] == pytest.approx(d["pnl"] * 5500)


def test_pnl_linear_and_quanto(run_cli):
    d = _json(run_cli, "pnl", "--type", "linear", "--side", "short", "--contracts", "2",
              "--contract-size", "0.5", "--entry", "30000", "--exit", "27000")
    assert d == {"pnl": pytest.approx(3000.0), "currency": "USDT", "pnl_usd": pytest.approx(3000.0)}  # 1 BTC x 3,000
    # BitMEX quanto: (exit - entry) x multiplier x contracts in XBT; USD needs the XBT price
    d = _json(run_cli, "pnl", "--type", "quanto", "--side", "long", "--contracts", "1000",
              "--contract-size", "0.000001", "--entry", "500", "--exit", "550")
    assert d["pnl"] == pytest.approx(0.05) and d["currency"] == "BTC" and d["pnl_usd"] is None
    d = _json(run_cli, "pnl", "--type", "quanto", "--side", "long", "--contracts", "1000",
              "--contract-size", "0.000001", "--entry", "500", "--exit", "550", "--settle-price", "40000")
    assert d["pnl_usd"] == pytest.approx(2000.0)


def test_margin_coinm_example(run_cli):
    # MECHANICS.md 1.2: 100 BTCUSD contracts (100 USD) at mark 25,000 -> MM 0.0016 BTC; IM at 10x 0.04 BTC
    d = _json(run_cli, "margin", "--type", "inverse", "--side", "long", "--contracts", "100",
              "--contract-size", "100", "--entry", "25000", "--leverage", "10", "--mmr", "0.004")
    assert set(d) == {"initial_margin", "maintenance_margin", "currency"}
    assert d["initial_margin"] == pytest.approx(0.04)
    assert d["maintenance_margin"] == pytest.approx(0.0016)
    assert d["currency"] == "BTC"
    # same from the venue preset's default tier
    v = _json(run_cli, "margin", "--type", "inverse", "--side", "long", "--contracts", "100",
              "--contract-size", "100", "--entry", "25000", "--leverage", "10", "--venue", "binance-coinm")
    assert v == d


def test_margin_venue_tiers_and_mark(run_cli):
    # binance-usdm BTCUSDT tiers: 10 BTC at mark 30,000 = 300k USDT -> tier 2 (0.5%, cum 50) -> 1,450 USDT
    d = _json(run_cli, "margin", "--type", "linear", "--side", "long", "--contracts", "10",
              "--contract-size", "1", "--entry", "32000", "--mark", "30000", "--leverage", "20",
              "--venue", "binance-usdm")
    assert d["initial_margin"] == pytest.approx(16_000)
    assert d["maintenance_margin"] == pytest.approx(300_000 * 0.005 - 50)
    # explicit flags override the preset
    d = _json(run_cli, "margin", "--type", "linear", "--side", "long", "--contracts", "10",
              "--contract-size", "1", "--entry", "32000", "--mark", "30000", "--leverage", "20",
              "--venue", "binance-usdm", "--mmr", "0.01", "--maint-amount", "100")
    assert d["maintenance_margin"] == pytest.approx(2_900)


def test_margin_deribit_size_dependent(run_cli):
    # MECHANICS.md 2.6: 25 BTC at 100,000 USDC -> MM 1.125% = 28,125 USDC
    d = _json(run_cli, "margin", "--type", "linear", "--side", "long", "--contracts", "25000",
              "--contract-size", "0.001", "--entry", "100000", "--leverage", "10", "--venue", "deribit",
              "--settle", "USDC")
    assert d["maintenance_margin"] == pytest.approx(28_125)
    assert d["currency"] == "USDC"


def test_liquidation_bybit_usdt_example(run_cli):
    # MECHANICS.md 1.3 Bybit USDT isolated: 1 BTC @20,000, 50x (IM 400), MMR 0.5% -> 19,700
    d = _json(run_cli, "liquidation", "--type", "linear", *BASE, "--entry", "20000", "--margin-mode",
              "isolated", "--wallet", "400", "--venue", "bybit-linear", "--taker-fee", "0")
    assert d == {"liquidation_price": pytest.approx(19_700), "bankruptcy_price": pytest.approx(19_600)}


def test_liquidation_one_x_inverse_short_is_null(run_cli):
    # MECHANICS.md 1.3/3: 1x inverse short on coin collateral is never liquidated
    d = _json(run_cli, "liquidation", "--type", "inverse", "--side", "short", "--contracts", "500",
              "--contract-size", "100", "--entry", "50000", "--margin-mode", "isolated", "--wallet", "1",
              "--venue", "binance-coinm")
    assert d == {"liquidation_price": None, "bankruptcy_price": None}
    d = _json(run_cli, "liquidation", "--type", "inverse", "--side", "long", "--contracts", "500",
              "--contract-size", "100", "--entry", "50000", "--margin-mode", "isolated", "--wallet", "1",
              "--mmr", "0.004")
    assert d["liquidation_price"] == pytest.approx(25_100)


def test_liquidation_binance_cross_example(run_cli):
    # MECHANICS.md 1.4 Binance cross worked example -> LP(BTC) 26,316.89
    d = _json(run_cli, "liquidation", "--type", "linear", "--side", "long", "--contracts", "109.488",
              "--contract-size", "1", "--entry", "32481.98", "--margin-mode", "cross", "--wallet", "1535443.01",
              "--mmr", "0.025", "--maint-amount", "16300", "--other-maintenance", "356512.508",
              "--other-upnl", "-448192.885")
    assert round(d["liquidation_price"], 2) == 26_316.89


def test_liquidation_conventions_from_venue(run_cli):
    # MECHANICS.md 4.1: 60,000 USD @50,000, 10x, 0.5%: Bybit (entry MM) 45,662.10 vs LP-based 45,681.82
    args = ("liquidation", "--type", "inverse", "--side", "long", "--contracts", "60000", "--contract-size", "1",
            "--entry", "50000", "--margin-mode", "isolated", "--wallet", "0.12", "--mmr", "0.005")
    bybit = _json(run_cli, *args, "--venue", "bybit-inverse", "--taker-fee", "0")
    generic = _json(run_cli, *args)
    assert bybit["liquidation_price"] == pytest.approx(45_662.10, abs=0.005)
    assert generic["liquidation_price"] == pytest.approx(45_681.82, abs=0.005)
    d = _json(run_cli, "liquidation", "--type", "linear", "--side", "short", "--contracts", "1.5",
              "--contract-size", "1", "--entry", "3000", "--margin-mode", "cross", "--wallet", "1000",
              "--mmr", "0.05", "--other-maintenance", "175", "--venue", "dydx")
    assert d["liquidation_price"] == pytest.approx(3_380.95, abs=0.005)  # dYdX liquidations.mdx


def test_funding_json(run_cli):
    # Binance COIN-M: 100 x 100 USD at 25,000, 0.01% x 3 settlements; the short receives 0.00012 BTC
    d = _json(run_cli, "funding", "--type", "inverse", "--side", "short", "--contracts", "100",
              "--contract-size", "100", "--mark", "25000", "--rate", "0.0001", "--intervals", "3")
    assert set(d) == {"payment", "currency"}
    assert d["payment"] == pytest.approx(0.00012) and d["currency"] == "BTC"
    d = _json(run_cli, "funding", "--type", "linear", *BASE, "--mark", "50000", "--rate", "0.0001")
    assert d["payment"] == pytest.approx(-5.0) and d["currency"] == "USDT"


def test_text_output_is_a_table(run_cli):
    code, out, _ = run_cli("calc", "liquidation", "--type", "inverse", "--side", "short", "--contracts", "500",
                           "--contract-size", "100", "--entry", "50000", "--margin-mode", "isolated",
                           "--wallet", "1", "--mmr", "0.004")
    assert code == 0
    assert "liquidation price" in out and "none" in out


@pytest.mark.parametrize("args, flag, value", [
    (("pnl", "--type", "linear", *BASE, "--entry", "0", "--exit", "1"), "--entry", "0"),
    (("pnl", "--type", "linear", "--side", "long", "--contracts", "0", "--contract-size", "1", "--entry", "1",
      "--exit", "2"), "--contracts", "0"),
    (("pnl", "--type", "linear", *BASE, "--entry", "-5", "--exit", "1"), "--entry", "-5"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "0", "--mmr", "0.01"),
     "--leverage", "0"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "-2", "--mmr", "0.01"),
     "--leverage", "-2"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "5", "--mmr", "1"), "--mmr", "1"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "5", "--venue", "ftx"),
     "--venue", "ftx"),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--wallet", "10",
      "--mmr", "1.5"), "--mmr", "1.5"),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--wallet", "10",
      "--leverage", "0", "--mmr", "0.01"), "--leverage", "0"),
    (("funding", "--type", "linear", *BASE, "--mark", "0", "--rate", "0.0001"), "--mark", "0"),
    (("pnl", "--type", "linear", *BASE, "--exit", "1"), "--entry", None),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--mmr", "0.01"),
     "--wallet", None),
    (("pnl", "--type", "futures", *BASE, "--entry", "1", "--exit", "1"), "--type", "futures"),
])
def test_bad_input_one_line_exit_2(run_cli, args, flag, value):
    code, out, err = run_cli("calc", *args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert flag in lines[0]
    if value is not None:
        assert value in lines[0]
    assert "Traceback" not in err


# run_cli reads and resets capsys per call
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["linear", "inverse", "quanto"]), n=st.integers(1, 10_000),
       p0=st.floats(1, 1e5), p1=st.floats(1, 1e5))
def test_pnl_antisymmetric_through_the_cli(run_cli, kind, n, p0, p1):
    def pnl(side):
        return _json(run_cli, "pnl", "--type", kind, "--side", side, "--contracts", str(n),
                     "--contract-size", "1", "--entry", repr(p0), "--exit", repr(p1))["pnl"]

    assert pnl("long") == pytest.approx(-pnl("short"), rel=1e-12, abs=1e-12)
