"""``hedgekit calc``: JSON keys and values for each command, and one-line errors for bad input."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = ("--side", "long", "--contracts", "1", "--contract-size", "1")
MARGIN_KEYS = {"initial_margin", "maintenance_margin", "notional", "fee_to_close", "funding_rate", "currency"}
LIQ_KEYS = {"liquidation_price", "bankruptcy_price", "convention", "fee_to_close", "funding_rate", "mmr",
            "maint_amount", "margin", "price_currency", "margin_currency"}


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
    assert set(d) == MARGIN_KEYS
    assert d["initial_margin"] == pytest.approx(0.04)
    assert d["notional"] == pytest.approx(0.4)  # 100 x 100 USD / 25,000
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
    assert set(d) == LIQ_KEYS
    assert d["liquidation_price"] == pytest.approx(19_700) and d["bankruptcy_price"] == pytest.approx(19_600)


def test_liquidation_one_x_inverse_short_is_null(run_cli):
    # MECHANICS.md 1.3/3: 1x inverse short on coin collateral is never liquidated
    d = _json(run_cli, "liquidation", "--type", "inverse", "--side", "short", "--contracts", "500",
              "--contract-size", "100", "--entry", "50000", "--margin-mode", "isolated", "--wallet", "1",
              "--venue", "binance-coinm")
    assert d["liquidation_price"] is None and d["bankruptcy_price"] is None
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


# ------------------------------------------------------------ venue presets, explicit flags (issue 14)
BYBIT_USDT_PAGE = "https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract"


@pytest.mark.parametrize("side, lp, bp", [("long", 19_700, 19_600), ("short", 20_300, 20_400)])
def test_bybit_linear_preset_reproduces_help_centre_example(run_cli, side, lp, bp):
    # Bybit USDT isolated (BYBIT_USDT_PAGE): 1 BTC @20,000, 50x, MMR 0.5% -> IM 400, MM 100, LP 19,700;
    # the short mirror EP + (IM - MM)/Q = 20,300. Only the example's inputs: the wallet comes from the
    # leverage, the MMR from the preset, and no fee is added unasked.
    d = _json(run_cli, "liquidation", "--type", "linear", "--side", side, "--contracts", "1", "--contract-size",
              "1", "--entry", "20000", "--margin-mode", "isolated", "--leverage", "50", "--venue", "bybit-linear")
    assert d["liquidation_price"] == pytest.approx(lp, abs=1e-6)
    assert d["bankruptcy_price"] == pytest.approx(bp, abs=1e-6)
    assert d["convention"] == "mm-at-entry" and d["fee_to_close"] == 0.0
    assert d["margin"] == pytest.approx(400) and d["mmr"] == pytest.approx(0.005)


def test_bybit_fee_to_close_is_an_explicit_flag(run_cli):
    args = ("liquidation", "--type", "linear", *BASE, "--entry", "20000", "--margin-mode", "isolated",
            "--leverage", "50", "--venue", "bybit-linear")
    d = _json(run_cli, *args, "--fee-to-close")
    # The preset's taker fee (0.06%) charged on the bankruptcy value, Bybit classic, derived by hand:
    # BP: 400 + (BP - 20,000) = 0.0006*BP -> BP = 19,600/0.9994; LP: 400 + (LP - 20,000) = 100 + 0.0006*BP.
    f = 0.0006
    bp = 19_600 / (1 - f)
    assert d["fee_to_close"] == f
    assert d["bankruptcy_price"] == pytest.approx(bp, rel=1e-10)
    assert d["liquidation_price"] == pytest.approx(20_000 - 400 + 100 + f * bp, rel=1e-10)
    assert round(d["liquidation_price"], 2) == 19_711.77
    # --taker-fee sets the rate (and implies the term)
    assert _json(run_cli, *args, "--taker-fee", "0.0006") == d
    code, out, _ = run_cli("calc", *args)
    assert code == 0 and "mm-at-entry" in out and "fee to close" in out


def test_bybit_inverse_preset_reproduces_help_centre_examples(run_cli):
    # Bybit classic inverse cross (MECHANICS.md 1.3/1.4): 10,000 contracts long @8,000, 0.5 BTC, MMR 0.5%, the
    # page's taker fee 0.075% -> BP 5,718.57; LP is the exact root of the page's equation, 5,739.08 (the page
    # prints 5,739.50, one 0.5 tick up; see tests/test_margin.py).
    d = _json(run_cli, "liquidation", "--type", "inverse", "--side", "long", "--contracts", "10000",
              "--contract-size", "1", "--entry", "8000", "--margin-mode", "cross", "--wallet", "0.5",
              "--venue", "bybit-inverse", "--taker-fee", "0.00075")
    assert d["bankruptcy_price"] == pytest.approx(5_718.57, abs=0.005)
    assert d["liquidation_price"] == pytest.approx(5_739.08, abs=0.005)
    assert d["fee_to_close"] == 0.00075 and d["convention"] == "mm-at-entry"
    # Bybit 2024 UTA isolated inverse (MECHANICS.md 1.3/4.1): 60,000 USD @50,000, 10x, MMR 0.5%:
    # LP_long = N/(PV + IM - MM) = 45,662.10, LP_short = N/(PV - IM + MM) = 55,248.62.
    for side, expected in (("long", 45_662.10), ("short", 55_248.62)):
        d = _json(run_cli, "liquidation", "--type", "inverse", "--side", side, "--contracts", "60000",
                  "--contract-size", "1", "--entry", "50000", "--margin-mode", "isolated", "--leverage", "10",
                  "--venue", "bybit-inverse")
        assert d["liquidation_price"] == pytest.approx(expected, abs=0.005)
        assert d["fee_to_close"] == 0.0


def test_maint_amount_overrides_the_preset_tiers(run_cli):
    # 10 BTC at 60,000 = 600,000 USDT: Binance BTCUSDT bracket 600k-3M, MMR 0.65%, cum 950 -> MM 2,950.
    args = ("margin", "--type", "linear", "--side", "short", "--contracts", "10", "--contract-size", "1",
            "--entry", "60000", "--leverage", "5", "--venue", "binance-usdm")
    assert _json(run_cli, *args)["maintenance_margin"] == pytest.approx(600_000 * 0.0065 - 950)
    # --maint-amount X keeps the venue's rate at this size and uses X: 3,900 - 1,000
    assert _json(run_cli, *args, "--maint-amount", "1000")["maintenance_margin"] == pytest.approx(2_900)
    assert _json(run_cli, *args, "--maint-amount", "0")["maintenance_margin"] == pytest.approx(3_900)
    # liquidation, linear long, MM at LP with the flat rate and X: LP = (W + X - q*EP)/(q*MMR - q)
    liq = ("liquidation", "--type", "linear", "--side", "long", "--contracts", "10", "--contract-size", "1",
           "--entry", "60000", "--margin-mode", "isolated", "--wallet", "120000", "--venue", "binance-usdm")
    d = _json(run_cli, *liq, "--maint-amount", "1000")
    assert d["liquidation_price"] == pytest.approx((120_000 + 1_000 - 600_000) / (10 * 0.0065 - 10))
    assert d["maint_amount"] == 1000.0 and d["mmr"] == pytest.approx(0.0065)


def test_leverage_without_wallet_is_the_isolated_initial_margin(run_cli):
    args = ("liquidation", "--type", "linear", "--side", "long", "--contracts", "2", "--contract-size", "1",
            "--entry", "30000", "--margin-mode", "isolated", "--venue", "binance-usdm")
    by_leverage = _json(run_cli, *args, "--leverage", "20")
    by_wallet = _json(run_cli, *args, "--wallet", "3000")  # 60,000 / 20
    assert by_leverage == by_wallet
    # MM at LP, tier 2 (0.5%, cum 50): LP = (3,000 + 50 - 60,000)/(2*0.005 - 2)
    assert by_leverage["liquidation_price"] == pytest.approx((3_000 + 50 - 60_000) / (2 * 0.005 - 2))


def test_margin_without_mmr_gives_initial_margin_and_notional(run_cli):
    # 0.5 BTC at 60,000, 20x: notional 30,000 USDT, IM 1,500 (notional / leverage); no rate -> MM null
    d = _json(run_cli, "margin", "--type", "linear", "--side", "long", "--contracts", "0.5", "--contract-size", "1",
              "--entry", "60000", "--leverage", "20")
    assert d["initial_margin"] == pytest.approx(1_500) and d["notional"] == pytest.approx(30_000)
    assert d["maintenance_margin"] is None
    code, out, _ = run_cli("calc", "margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "2")
    assert code == 0 and "none" in out


# BitMEX: no worked number is published. The formula is the one BitMEX support gave
# (https://www.reddit.com/r/BitMEX/comments/dgzniw/bitmex_support_again_fails_to_explain_essentials/):
# initMargin = 1/leverage + entry fee + exit fee, maintenanceMargin = 0.5% + exit fee + funding rate,
# long LP = EP/(1 + IM - MM), short LP = EP/(1 - IM + MM); the expected values below are those closed
# forms evaluated by hand. The funding term is what the position pays (support confirmed that positive
# funding moves a long's LP up and a short's away), so it enters a short's MM with a minus sign.
BITMEX_ARGS = ("--type", "inverse", "--contracts", "10000", "--contract-size", "1", "--entry", "10000",
               "--venue", "bitmex")


@pytest.mark.parametrize("side", ["long", "short"])
def test_bitmex_liquidation_with_fee_and_funding(run_cli, side):
    s = 1 if side == "long" else -1
    ep, lev, fee, funding, mmr = 10_000, 10, 0.00075, 0.0001, 0.005
    d = _json(run_cli, "liquidation", *BITMEX_ARGS, "--side", side, "--margin-mode", "isolated",
              "--leverage", str(lev), "--taker-fee", str(fee), "--funding-rate", str(funding))
    im = 1 / lev + 2 * fee
    mm = mmr + fee + s * funding
    expected = ep / (1 + s * (im - mm))
    assert d["liquidation_price"] == pytest.approx(expected, rel=1e-10)
    assert round(d["liquidation_price"], 2) == (9_127.00 if s == 1 else 11_060.11)
    assert d["margin"] == pytest.approx(im * 1.0)  # 10,000 USD at 10,000 = 1 XBT
    assert d["convention"] == "bitmex" and d["fee_to_close"] == fee and d["funding_rate"] == funding
    # without the flags: no fee, no funding -> EP/(1 + s*(1/L - MMR))
    plain = _json(run_cli, "liquidation", *BITMEX_ARGS, "--side", side, "--margin-mode", "isolated",
                  "--leverage", str(lev))
    assert plain["liquidation_price"] == pytest.approx(ep / (1 + s * (1 / lev - mmr)), rel=1e-10)


def test_bitmex_maintenance_margin_with_fee_and_funding(run_cli):
    # BitMEX on r/BitMEX (https://www.reddit.com/r/BitMEX/comments/fc6rui/is_maintenance_margin_factored_into_liquidation/):
    # MM = 0.5% * value + taker fee * value (+ funding): 1 XBT of XBTUSD, taker 0.075%, funding 0.01% ->
    # 1 x (0.005 + 0.00075 + 0.0001) = 0.00585 XBT for the long, 0.00565 for the short (receives funding).
    for side, mm in (("long", 0.00585), ("short", 0.00565)):
        d = _json(run_cli, "margin", *BITMEX_ARGS, "--side", side, "--leverage", "100", "--fee-to-close",
                  "--taker-fee", "0.00075", "--funding-rate", "0.0001")
        assert d["maintenance_margin"] == pytest.approx(mm, rel=1e-10)
        assert d["initial_margin"] == pytest.approx(0.01)


# Deribit standard margin, inverse BTC futures (https://test.deribit.com/pages/docs/futures):
# "25 BTC in size: initial margin is 2% + 25/100*0.5% = 2.125% (= 0.53125 BTC)", "350 BTC: 3.75% (= 13.125 BTC)";
# MM 1% + size_BTC*0.005% (https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022),
# 25 BTC -> 1.125% = 0.28125 BTC (the linear-perpetual page's BTC column, same rule).
@pytest.mark.parametrize("contracts, im, mm", [(100_000, 0.53125, 0.28125), (1_400_000, 13.125, None)])
def test_deribit_btc_futures_size_dependent_margin(run_cli, contracts, im, mm):
    # 10-USD contracts at 40,000: 100,000 -> 1,000,000 USD = 25 BTC; 1,400,000 -> 350 BTC
    d = _json(run_cli, "margin", "--type", "inverse", "--side", "long", "--contracts", str(contracts),
              "--contract-size", "10", "--entry", "40000", "--venue", "deribit")
    assert d["initial_margin"] == pytest.approx(im, rel=1e-10)
    if mm is not None:
        assert d["maintenance_margin"] == pytest.approx(mm, rel=1e-10)


def test_deribit_eth_futures_size_dependent_margin(run_cli):
    # Deribit "11 January 2022": ETH IM 2% + size_ETH*0.0004%, MM 1% + size_ETH*0.0004%. No worked ETH number
    # is published; by hand, 4,000,000 one-USD contracts at 2,000 = 2,000 ETH -> IM 2.8% = 56 ETH, MM 1.8% = 36 ETH.
    d = _json(run_cli, "margin", "--type", "inverse", "--side", "short", "--base", "ETH", "--contracts", "4000000",
              "--contract-size", "1", "--entry", "2000", "--venue", "deribit")
    assert d["initial_margin"] == pytest.approx(56, rel=1e-10)
    assert d["maintenance_margin"] == pytest.approx(36, rel=1e-10)
    # explicit --leverage wins over the size-dependent IM
    d = _json(run_cli, "margin", "--type", "inverse", "--side", "short", "--base", "ETH", "--contracts", "4000000",
              "--contract-size", "1", "--entry", "2000", "--venue", "deribit", "--leverage", "10")
    assert d["initial_margin"] == pytest.approx(200, rel=1e-10)


def test_deribit_inverse_liquidation_uses_the_size_at_the_liquidation_price(run_cli):
    # Deribit liquidates when equity < MM, MM rate 1% + size_BTC*0.005% on the size at that price. For an
    # inverse long of N USD the size at P is x = N/P coins, so with k = 0.00005:
    #   W + N/EP - x = x*(0.01 + k*x)  ->  k*x^2 + 1.01*x - (W + N/EP) = 0, LP = N/x (derived by hand).
    n, ep, w, k = 1_000_000.0, 40_000.0, 1.5, 0.00005
    c = w + n / ep
    x = (-1.01 + math.sqrt(1.01**2 + 4 * k * c)) / (2 * k)
    d = _json(run_cli, "liquidation", "--type", "inverse", "--side", "long", "--contracts", "100000",
              "--contract-size", "10", "--entry", "40000", "--margin-mode", "isolated", "--wallet", "1.5",
              "--venue", "deribit")
    assert d["liquidation_price"] == pytest.approx(n / x, rel=1e-10)
    assert d["mmr"] == pytest.approx(0.01 + k * x, rel=1e-10)
    # the rate frozen at the entry size (25 BTC, 1.125%) would give another price
    frozen = n * (1 + 0.01125) / (w + n / ep)
    assert abs(d["liquidation_price"] - frozen) > 1.0


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
    # flags added for issue 14
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--leverage", "5",
      "--mmr", "0.01", "--taker-fee", "1.5"), "--taker-fee", "1.5"),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--leverage", "5",
      "--mmr", "0.01", "--taker-fee", "-0.001"), "--taker-fee", "-0.001"),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--leverage", "5",
      "--mmr", "0.01", "--fee-to-close"), "--fee-to-close", None),
    (("liquidation", "--type", "inverse", *BASE, "--entry", "100", "--margin-mode", "isolated", "--leverage", "5",
      "--venue", "bitmex", "--funding-rate", "2"), "--funding-rate", "2"),
    (("liquidation", "--type", "inverse", *BASE, "--entry", "100", "--margin-mode", "isolated", "--leverage", "5",
      "--venue", "bybit-inverse", "--funding-rate", "0.0001"), "--funding-rate", "0.0001"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "5", "--venue", "okx",
      "--funding-rate", "0.0001"), "--funding-rate", "0.0001"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "5", "--venue", "binance-usdm",
      "--maint-amount", "-1e9"), "--maint-amount", "-1000000000"),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--leverage", "5",
      "--venue", "binance-usdm", "--maint-amount", "-5"), "--maint-amount", "-5"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "5", "--maint-amount", "3"),
     "--maint-amount", "3"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--leverage", "5", "--venue", "binance-usdm",
      "--maint-amount", "1000"), "--maint-amount", "1000"),
    (("margin", "--type", "linear", *BASE, "--entry", "100", "--mmr", "0.01"), "--leverage", None),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "cross", "--leverage", "5",
      "--mmr", "0.01"), "--wallet", None),
    (("liquidation", "--type", "linear", *BASE, "--entry", "100", "--margin-mode", "isolated", "--wallet", "0",
      "--mmr", "0.01"), "--wallet", "0"),
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
