"""The fee to close in a liquidation price is the user's choice (issue 14): ``hedge.fee_to_close``
(default false) for the plan and everything priced from the book (risk sizing, the monitor,
``hedgekit positions``), as ``hedgekit calc liquidation --fee-to-close`` for the calculator.

Worked example: Bybit's USDT isolated liquidation page
(https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract; the UTA
isolated page https://www.bybit.com/en/help-center/article/Liquidation-Price-Calculation-under-Isolated-Mode-Unified-Trading-Account
uses the same formula): 1 BTC at 20,000, 50x, MMR 0.5% -> long LP 19,700, short LP 20,300.
Every expected figure below is derived in the test from those inputs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hedgekit.accounts.models import Position
from hedgekit.instruments import ContractType, MarginMode, Side
from hedgekit.live.positions import own_liquidation_price
from hedgekit.market.sources import snapshot_for
from hedgekit.monitor.state import measure
from hedgekit.planner import held_from_book, plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.risk.sizing import leg_margin
from hedgekit.venues import get_venue

ENTRY, LEVERAGE, MMR = 20_000.0, 50.0, 0.005   # Bybit's example (MMR = the bybit-linear preset's)
BYBIT_FEE = get_venue("bybit-linear").taker_fee  # the preset's taker fee, 0.06%
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _raw(venue="bybit-linear", **hedge):
    return {"prices": {"BTC": ENTRY}, "holdings": [{"asset": "BTC", "amount": 1}],
            "hedge": {"venues": [venue], "leverage": LEVERAGE, "default_funding_rate_8h": 0.0, **hedge}}


def _leg(venue="bybit-linear", **hedge):
    (leg,) = plan(parse_portfolio(_raw(venue, **hedge))).legs
    return leg


# --- independent derivation (linear USDT isolated, MM on the entry value, q = 1 BTC short) ---
# IM = q*EP/L = 400; MM = q*EP*MMR = 100; the short is liquidated when IM - q*(LP - EP) = MM:
#   LP = EP + (IM - MM)/q = EP*(1 + 1/L - MMR) = 20,300; bankruptcy (MM = 0): EP*(1 + 1/L) = 20,400.
IM = ENTRY / LEVERAGE
LP_NO_FEE = ENTRY * (1 + 1 / LEVERAGE - MMR)
BP_NO_FEE = ENTRY * (1 + 1 / LEVERAGE)
# With a fee to close f charged on the bankruptcy value (Bybit classic):
#   BP: IM - q*(BP - EP) = f*q*BP       ->  BP = (IM + q*EP) / (q*(1 + f)) = 20,400/(1 + f)
#   LP: IM - q*(LP - EP) = MM + f*q*BP  ->  LP = 20,300 - f*BP: the LP moves down by f*BP.
BP_FEE = (IM + ENTRY) / (1 + BYBIT_FEE)
LP_FEE = LP_NO_FEE - BYBIT_FEE * BP_FEE


def test_the_derivation_is_bybits_example():
    # Bybit's own numbers for the mirrored short of its 19,700 long
    assert (IM, LP_NO_FEE, BP_NO_FEE) == pytest.approx((400, 20_300, 20_400), rel=1e-12)
    assert LP_NO_FEE - LP_FEE == pytest.approx(0.0006 * 20_400 / 1.0006, rel=1e-12)  # 12.23 USDT


def test_plan_bybit_linear_short_has_no_hidden_fee():
    leg = _leg()
    assert (leg.side, leg.contracts, leg.mmr) == (Side.SHORT, 1.0, MMR)
    assert leg.initial_margin == pytest.approx(IM, rel=1e-12)
    assert leg.liquidation_price == pytest.approx(LP_NO_FEE, rel=1e-12)
    assert leg.bankruptcy_price == pytest.approx(BP_NO_FEE, rel=1e-12)
    assert leg.liquidation_convention.value == "mm-at-entry" and leg.liquidation_fee_to_close == 0.0
    # the trading fees of the plan are unchanged: the taker fee to open and to close
    assert leg.fee_rate == BYBIT_FEE and leg.fee_open == pytest.approx(BYBIT_FEE * ENTRY)


def test_plan_fee_to_close_moves_the_liquidation_price_by_the_derived_amount():
    off, on = _leg(), _leg(fee_to_close=True)
    assert on.liquidation_fee_to_close == BYBIT_FEE
    assert on.bankruptcy_price == pytest.approx(BP_FEE, rel=1e-12)
    assert on.liquidation_price == pytest.approx(LP_FEE, rel=1e-12)
    assert off.liquidation_price - on.liquidation_price == pytest.approx(BYBIT_FEE * BP_FEE, rel=1e-9)
    assert on.liquidation_distance_pct == pytest.approx(100 * (LP_FEE / ENTRY - 1), rel=1e-12)


def test_a_convention_without_a_fee_term_ignores_the_flag():
    # binance-usdm evaluates MM at the LP and has no fee term: the flag changes nothing and the
    # plan says the fee used is 0. Linear short, tier 1 (cum 0): IM + q*(EP - LP) = q*LP*MMR_1
    # -> LP = (IM + q*EP) / (q*(1 + MMR_1)).
    off, on = _leg("binance-usdm"), _leg("binance-usdm", fee_to_close=True)
    mmr = get_venue("binance-usdm").tiers("BTCUSDT")[0].mmr
    assert off.liquidation_price == pytest.approx((IM + ENTRY) / (1 + mmr), rel=1e-12)
    assert on.liquidation_price == off.liquidation_price
    assert (on.liquidation_convention.value, on.liquidation_fee_to_close) == ("mm-at-liquidation", 0.0)


def test_risk_sizing_prices_candidates_with_the_books_choice():
    for hedge, lp in (({}, LP_NO_FEE), ({"fee_to_close": True}, LP_FEE)):
        p = plan(parse_portfolio(_raw(**hedge)))
        im, liq, _, _ = leg_margin(p, p.legs[0], 1.0, LEVERAGE)
        assert im == pytest.approx(IM) and liq == pytest.approx(lp, rel=1e-12)


def test_monitor_typed_in_position_uses_the_books_choice():
    for hedge, lp in (({}, LP_NO_FEE), ({"fee_to_close": True}, LP_FEE)):
        raw = _raw(**hedge)
        raw["positions"] = [{"venue": "bybit-linear", "symbol": "BTCUSDT", "contracts": -1,
                             "entry_price": ENTRY}]
        book = parse_portfolio(raw)
        hedge_plan = plan(book, snapshot_for(book, use_store=False), positions=held_from_book(book), now=NOW)
        (row,) = measure(book, hedge_plan, hedge_plan.market, now=NOW)["legs"]
        assert row["liquidation_price"] == pytest.approx(lp, rel=1e-12)


def test_positions_own_liquidation_price_adds_the_fee_only_when_asked():
    # an isolated 1 BTC short synced from Bybit at the mark = entry: its margin is the IM
    p = Position(account="by", venue="bybit-linear", symbol="BTCUSDT", contract_type=ContractType.LINEAR,
                 side=Side.SHORT, contracts=1.0, contract_size=1.0, entry_price=ENTRY, mark_price=ENTRY,
                 notional_usd=ENTRY, unrealized_pnl=0.0, pnl_currency="USDT",
                 margin_mode=MarginMode.ISOLATED, leverage=LEVERAGE, liquidation_price_venue=None,
                 funding_rate=None, next_funding_time=None, as_of=NOW, collateral=IM)
    book = parse_portfolio(_raw())
    market = snapshot_for(book, use_store=False)
    inst = get_venue("bybit-linear").instrument("BTCUSDT")
    assert own_liquidation_price(p, inst, (p,), (), market) == pytest.approx(LP_NO_FEE, rel=1e-12)
    assert own_liquidation_price(p, inst, (p,), (), market, fee_to_close=True) == pytest.approx(
        LP_FEE, rel=1e-12)


@pytest.fixture
def _empty_store(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path_factory.mktemp("store")))


def _write(tmp_path, fee_line=""):
    path = tmp_path / "book.yaml"
    path.write_text("prices: {BTC: 20000}\nholdings:\n  - {asset: BTC, amount: 1}\n"
                    "hedge:\n  venues: [bybit-linear]\n  leverage: 50\n" + fee_line, encoding="utf-8")
    return str(path)


@pytest.mark.usefixtures("_empty_store")
@pytest.mark.parametrize(("fee_line", "asked", "fee", "lp"), [
    ("", False, 0.0, LP_NO_FEE), ("  fee_to_close: false\n", False, 0.0, LP_NO_FEE),
    ("  fee_to_close: true\n", True, BYBIT_FEE, LP_FEE)])
def test_plan_json_states_the_convention_and_the_fee(run_cli, tmp_path, fee_line, asked, fee, lp):
    code, out, err = run_cli("plan", _write(tmp_path, fee_line), "--json")
    assert code == 0, err
    d = json.loads(out)
    (leg,) = d["legs"]
    assert leg["liquidation_convention"] == "mm-at-entry"
    assert leg["liquidation_fee_to_close"] == fee
    assert leg["liquidation_price"] == pytest.approx(lp, rel=1e-12)
    assert d["policy"]["fee_to_close"] is asked


@pytest.mark.usefixtures("_empty_store")
def test_plan_table_states_the_convention_and_the_fee(run_cli, tmp_path):
    code, out, err = run_cli("plan", _write(tmp_path))
    assert code == 0, err
    out = " ".join(out.split())  # the terminal wraps long lines
    assert "Liquidation prices: bybit-linear mm-at-entry, no fee to close (hedge.fee_to_close: false)" in out
    assert "20,300.00" in out
    code, out, err = run_cli("plan", _write(tmp_path, "  fee_to_close: true\n"))
    assert code == 0, err
    out = " ".join(out.split())
    assert "bybit-linear mm-at-entry, fee to close 0.0600% (hedge.fee_to_close: true)" in out
    assert f"{LP_FEE:,.2f}" in out


@pytest.mark.usefixtures("_empty_store")
@pytest.mark.parametrize("value", ["maybe", "1", "yes", "0.0006", "[true]"])
@pytest.mark.parametrize("command", ["plan", "scenario"])
def test_a_bad_fee_to_close_is_one_line_naming_the_field(run_cli, tmp_path, value, command):
    code, out, err = run_cli(command, _write(tmp_path, f"  fee_to_close: {value}\n"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: hedge.fee_to_close: ")
