"""Trades are target minus held, in coins of delta: never a second full hedge (issue 10).

The inverse arithmetic is derived here: an inverse position of N USD face opened at E has a
USD PnL of s*N*(P/E - 1) at price P, so its delta is s*N/E coins at every price.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.instruments import Side
from hedgekit.planner import HeldPosition, plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.venues import get_venue


def book(venue: str, price: float, **hedge):
    return parse_portfolio({"prices": {"BTC": price}, "holdings": [{"asset": "BTC", "amount": 10}],
                            "hedge": {"venues": [venue], "leverage": 1, **hedge}})


def test_linear_hedge_held_at_68000_needs_no_trade_at_75000():
    # 10 short BTCUSDT (1 BTC each) opened at 68,000 hedge 10 BTC at any price
    held = [HeldPosition(venue="binance-usdm", symbol="BTCUSDT", side=Side.SHORT, contracts=10,
                         entry_price=68_000)]
    p = plan(book("binance-usdm", 75_000), positions=held)
    (leg,) = p.legs
    assert p.trades == () and leg.trade_contracts == 0 and leg.current_contracts == -10
    assert p.to_dict()["trades"] == []
    spot = 10 * (75_000 - 68_000)
    hedge = leg.instrument.pnl_usd(Side.SHORT, 10, 68_000, 75_000)
    assert spot + hedge == pytest.approx(0.0, abs=1e-6)


def test_inverse_hedge_held_at_68000_needs_no_trade_at_75000():
    # 680,000 USD of BTCUSD_PERP (100 USD face) = 6,800 contracts short opened at 68,000:
    # delta = 680,000 / 68,000 = 10 BTC, still neutral at 75,000
    held = [HeldPosition(venue="binance-coinm", symbol="BTCUSD_PERP", side=Side.SHORT,
                         contracts=6_800, entry_price=68_000, account="coinm")]
    p = plan(book("binance-coinm", 75_000), positions=held)
    (leg,) = p.legs
    assert p.trades == () and leg.trade_contracts == 0 and leg.current_contracts == -6_800
    # a fresh inverse plan at 75,000 would ask for 750,000 USD of face: 7,500 contracts
    (fresh,) = plan(book("binance-coinm", 75_000)).legs
    assert fresh.contracts == 7_500 and fresh.trade_contracts is None
    # over the move: spot +70,000 USD; the short's coin PnL -680,000*(1/68,000 - 1/75,000)
    # = -0.93333 BTC, worth -70,000 USD at 75,000
    coin = -680_000 * (1 / 68_000 - 1 / 75_000)
    assert leg.instrument.pnl(Side.SHORT, 6_800, 68_000, 75_000) == pytest.approx(coin, rel=1e-12)
    assert 10 * (75_000 - 68_000) + coin * 75_000 == pytest.approx(0.0, abs=1e-6)


def test_trade_is_the_difference_and_reductions_are_reduce_only():
    held = [HeldPosition(venue="binance-usdm", symbol="BTCUSDT", side=Side.SHORT, contracts=4,
                         entry_price=60_000, account="main")]
    p = plan(book("binance-usdm", 75_000), positions=held)
    (t,) = p.trades
    assert (t.side, t.contracts, t.reduce_only, t.account) == ("sell", 6, False, "main")
    over = [HeldPosition(venue="binance-usdm", symbol="BTCUSDT", side=Side.SHORT, contracts=12.5,
                         entry_price=60_000, account="main")]
    (t,) = plan(book("binance-usdm", 75_000), positions=over).trades
    assert (t.side, t.contracts, t.reduce_only) == ("buy", 2.5, True)


def test_a_position_on_a_contract_the_plan_does_not_use_counts_against_its_coin():
    # 5 BTC of delta held as a Deribit inverse short (10 USD face): 37,500 contracts at 75,000
    # = 375,000 USD / 75,000 = 5 BTC. The plan on binance-usdm then trades only the other 5.
    held = [HeldPosition(venue="deribit", symbol="BTC-PERPETUAL", side=Side.SHORT,
                         contracts=37_500, entry_price=75_000)]
    assert get_venue("deribit").instrument("BTC-PERPETUAL").contract_size == 10
    p = plan(book("binance-usdm", 75_000), positions=held)
    (t,) = p.trades
    assert (t.venue, t.symbol, t.side, t.contracts) == ("binance-usdm", "BTCUSDT", "sell", 5)


def test_a_position_on_a_coin_the_plan_does_not_hedge_is_closed():
    held = [HeldPosition(venue="binance-usdm", symbol="ETHUSDT", side=Side.SHORT, contracts=3,
                         entry_price=3_000)]
    p = plan(book("binance-usdm", 75_000), positions=held)
    closing = [t for t in p.trades if t.symbol == "ETHUSDT"]
    assert [(t.side, t.contracts, t.reduce_only) for t in closing] == [("buy", 3, True)]


@settings(max_examples=60, deadline=None)
@given(entry=st.floats(20_000, 150_000), now=st.floats(20_000, 150_000),
       coins=st.floats(0.5, 50))
def test_inverse_held_at_the_exact_target_delta_never_trades(entry, now, coins):
    # hold exactly `coins` of delta as an inverse short opened at `entry` (whole 100 USD contracts
    # when coins*entry is a multiple of 100), then re-plan at any later price: no trade
    contracts = round(coins * entry / 100)
    delta = contracts * 100 / entry
    doc = parse_portfolio({"prices": {"BTC": now}, "holdings": [{"asset": "BTC", "amount": delta}],
                           "hedge": {"venues": ["binance-coinm"], "leverage": 1}})
    held = [HeldPosition(venue="binance-coinm", symbol="BTCUSD_PERP", side=Side.SHORT,
                         contracts=contracts, entry_price=entry)]
    p = plan(doc, positions=held)
    assert p.trades == ()


def test_book_file_positions_reach_the_plan_cli(tmp_path, run_cli, monkeypatch):
    import json

    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "store"))
    path = tmp_path / "held.yaml"
    path.write_text("prices: {BTC: 75000}\n"
                    "holdings: [{asset: BTC, amount: 10}]\n"
                    "hedge: {venues: [binance-coinm], leverage: 1}\n"
                    "positions:\n"
                    "  - {venue: binance-coinm, symbol: BTCUSD_PERP, contracts: -6800, entry_price: 68000}\n")
    code, out, err = run_cli("plan", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["trades"] == []
    assert (doc["legs"][0]["current_contracts"], doc["legs"][0]["trade_contracts"]) == (-6800, 0)
    code, out, _ = run_cli("plan", str(path))
    assert code == 0 and "Trades: none" in out


@pytest.mark.parametrize(("extra", "message"), [
    ("max_price_age: -1\n", "error: max_price_age: must be a duration > 0 like 90s, 15m, 1h or 2d (got -1)"),
    ("positions: [{venue: ftx, symbol: BTCUSDT, contracts: -1}]\n", "error: positions[0].venue: unknown venue"),
    ("positions: [{venue: okx, symbol: NOPE, contracts: -1}]\n", "error: positions[0].symbol: not listed for okx"),
])
def test_bad_position_and_price_age_entries_name_the_field(tmp_path, run_cli, monkeypatch, extra, message):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "store"))
    path = tmp_path / "bad.yaml"
    path.write_text("prices: {BTC: 75000}\nholdings: [{asset: BTC, amount: 10}]\n" + extra)
    code, out, err = run_cli("plan", str(path))
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_a_leg_with_nothing_held_is_traded_by_its_venues_account_not_by_an_other_positions():
    # 10 BTC; 3,400 BTCUSD_PERP (100 USD face) short opened at 68,000 on account coinm hedge
    # 340,000 / 68,000 = 5 BTC; the planned BTCUSDT leg (nothing held there) trades the other 5
    # on the account that trades binance-usdm
    doc = parse_portfolio({
        "prices": {"BTC": 75000}, "holdings": [{"asset": "BTC", "amount": 10}],
        "hedge": {"venues": ["binance-usdm"], "leverage": 1},
        "accounts": [{"name": "main", "venue": "binance-usdm", "key_env": "B"},
                     {"name": "coinm", "venue": "binance-coinm", "key_env": "C"}]})
    held = [HeldPosition(venue="binance-coinm", symbol="BTCUSD_PERP", side=Side.SHORT,
                         contracts=3400, entry_price=68000, account="coinm")]
    (trade,) = plan(doc, positions=held).trades
    assert (trade.account, trade.symbol, trade.side, trade.contracts) == ("main", "BTCUSDT", "sell", 5.0)
