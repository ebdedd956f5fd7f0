"""What a monitor cycle records about a book (issue 12), on examples/live-book.yaml: 10 BTC,
150 staked ETH and 250,000 USDC at BTC 75,000 and ETH 2,400, hedged by a 6,800-contract
BTCUSD_PERP (100 USD face each) Binance COIN-M short opened at 68,000 and a 100 ETHUSDT short
opened at 2,600, at 2x. Every expected figure is derived in the test from those numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from hedgekit.market.sources import snapshot_for
from hedgekit.monitor.rules import evaluate
from hedgekit.monitor.state import measure
from hedgekit.planner import held_from_book, plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.portfolio.schema import AlertSettings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "live-book.yaml"
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _measure(prices=None, previous=None, now=NOW):
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    if prices is not None:
        doc["prices"] = prices
    book = parse_portfolio(doc)
    hedge = plan(book, snapshot_for(book, use_store=False), positions=held_from_book(book), now=now)
    return measure(book, hedge, hedge.market, now=now, previous=previous)


@pytest.fixture(scope="module")
def state():
    return _measure()


def test_nav_in_usd_and_in_coin(state):
    holdings = 10 * 75_000 + 150 * 2_400 + 250_000
    # inverse short PnL in BTC: N * (1/exit - 1/entry) * side ... = -680,000 * (1/68,000 - 1/75,000)
    btc_pnl_coin = -680_000 * (1 / 68_000 - 1 / 75_000)           # -0.9333 BTC
    eth_pnl = -100 * (2_400 - 2_600)                               # +20,000 USDT
    nav = holdings + btc_pnl_coin * 75_000 + eth_pnl               # 1,310,000
    assert state["nav_usd"] == pytest.approx(nav, rel=1e-12)
    assert state["nav_coin_unit"] == "BTC"                          # the book holds an inverse contract
    assert state["nav_coin"] == pytest.approx(nav / 75_000, rel=1e-12)


def test_hedge_per_coin_and_drift(state):
    # an inverse position keeps the delta of its entry: 680,000 / 68,000 = 10 BTC, the target
    btc, eth = state["coins"]["BTC"], state["coins"]["ETH"]
    assert (btc["held_coin"], btc["target_coin"], btc["drift"]) == pytest.approx((-10, -10, 0))
    assert (eth["held_coin"], eth["target_coin"]) == pytest.approx((-100, -150))
    assert eth["drift"] == pytest.approx(50 / 150)
    assert state["drift"] == pytest.approx(50 / 150)
    # hedged notional / risky exposure = (10 * 75,000 + 100 * 2,400) / (750,000 + 360,000)
    assert state["hedge_ratio"] == pytest.approx(990_000 / 1_110_000)
    assert {t["symbol"]: t["trade_contracts"] for t in state["targets"]} == {"BTCUSDT": 0, "ETHUSDT": -50}


def test_funding_per_leg_and_accrued(state):
    legs = {leg["symbol"]: leg for leg in state["legs"]}
    # no rate in the book: the default 0.01% per 8h, three settlements a day, shorts receive
    # inverse: face 680,000 USD * 0.0001 * 3 = 204 USD/day; linear 100 * 2,400 * 0.0001 * 3 = 72
    assert legs["BTCUSD_PERP"]["funding_per_day_usd"] == pytest.approx(204.0)
    assert legs["ETHUSDT"]["funding_per_day_usd"] == pytest.approx(72.0)
    assert legs["ETHUSDT"]["funding_apr"] == pytest.approx(0.0001 * 3 * 365)  # 10.95% a year received
    assert state["funding_per_day_usd"] == pytest.approx(276.0)
    assert state["funding_accrued_usd"] == 0.0                    # the first cycle
    # six hours later at the rate known then: 276 * 6 / 24 = 69 USD more
    later = _measure(previous={**state, "funding_accrued_usd": 10.0}, now=NOW + timedelta(hours=6))
    assert later["funding_accrued_usd"] == pytest.approx(10.0 + 69.0)


def test_margin_and_liquidation_of_typed_in_positions(state):
    legs = {leg["symbol"]: leg for leg in state["legs"]}
    for leg in legs.values():
        assert leg["liquidation_distance"] == pytest.approx(
            abs(leg["liquidation_price"] - leg["mark"]) / leg["mark"])
        assert 0 < leg["margin_ratio"] < 1
    # a 2x short's bankruptcy price: entry * (1 + 1/2) linear, entry * 2 inverse (all margin
    # gone); the liquidation price comes before it
    assert 2_600 < legs["ETHUSDT"]["liquidation_price"] < 3_900
    assert 68_000 < legs["BTCUSD_PERP"]["liquidation_price"] < 136_000
    assert state["liquidation_distance"] == min(leg["liquidation_distance"] for leg in legs.values())
    assert state["margin_ratio"] == max(leg["margin_ratio"] for leg in legs.values())


def test_at_the_liquidation_price_maintenance_margin_equals_equity(state):
    # two separate computations agree: the liquidation solver's price, and maintenance / equity
    # (equity = initial margin at entry + PnL at the mark) evaluated at that price
    liq = {leg["asset"]: leg["liquidation_price"] for leg in state["legs"]}
    at_liq = _measure(prices=liq)
    for leg in at_liq["legs"]:
        assert leg["margin_ratio"] == pytest.approx(1.0, rel=1e-9)
        assert leg["liquidation_distance"] == pytest.approx(0.0, abs=1e-12)


def test_an_account_holding_nothing_gets_the_whole_target_as_trades():
    # what the monitor plans on when a synced account holds no position: an empty held list
    # (the trade's account used to come from a variable bound only when something was held)
    book = parse_portfolio({"holdings": [{"asset": "ETH", "amount": 10}], "prices": {"ETH": 2400}})
    hedge = plan(book, snapshot_for(book, use_store=False), positions=[], now=NOW)
    # ratio 1, notional: short 10 ETH of ETHUSDT (1 ETH a contract) on the default binance-usdm
    assert [(t.account, t.symbol, t.side, t.contracts) for t in hedge.trades] == [
        (None, "ETHUSDT", "sell", 10.0)]


def test_basis_of_a_held_dated_future():
    from hedgekit.accounts.models import AccountState, MarketQuote, MarketState, Position
    from hedgekit.instruments import ContractType, Instrument, MarginMode, Side
    from hedgekit.live.book import LiveBook, held_positions, live_market

    expiry = NOW + timedelta(days=73)
    future = Instrument(symbol="BTCUSDT_261225", contract_type=ContractType.LINEAR, contract_size=1.0,
                        base="BTC", quote="USDT", lot_size=0.001, expiry=expiry)
    position = Position(account="main", venue="binance-usdm", symbol=future.symbol,
                        contract_type=ContractType.LINEAR, side=Side.SHORT, contracts=1.0,
                        contract_size=1.0, entry_price=99_000.0, mark_price=99_000.0,
                        notional_usd=99_000.0, unrealized_pnl=0.0, pnl_currency="USDT",
                        margin_mode=MarginMode.ISOLATED, leverage=2.0, liquidation_price_venue=None,
                        funding_rate=None, next_funding_time=None, as_of=NOW, collateral=49_500.0)
    market = MarketState(venue="binance-usdm", as_of=NOW, instruments={future.symbol: future},
                         quotes={future.symbol: MarketQuote(symbol=future.symbol, mark=99_000.0,
                                                            index=None, last=None, as_of=NOW)})
    live = LiveBook(accounts=(AccountState(account="main", venue="binance-usdm", as_of=NOW,
                                           positions=(position,)),),
                    markets={"binance-usdm": market})
    book = parse_portfolio({"holdings": [{"asset": "BTC", "amount": 1}], "prices": {"BTC": 100_000},
                            "accounts": [{"name": "main", "venue": "binance-usdm", "key_env": "X"}]})
    snap = live_market(live, snapshot_for(book, use_store=False))
    hedge = plan(book, snap, positions=held_positions(live), now=NOW)
    state = measure(book, hedge, hedge.market, now=NOW, live=live)
    (leg,) = state["legs"]
    # the future at 99,000 against spot 100,000: 1% below, 73 days to expiry, 365/73 = 5 a year:
    # -5% a year of backwardation, which the short pays as the future converges up to spot
    assert leg["basis_apr"] == pytest.approx((99_000 / 100_000 - 1) * 365 / 73)
    assert leg["funding_apr"] is None  # a dated future has no funding
    # the short sold at 99,000 and marked there: no PnL yet; isolated margin 49,500
    assert state["nav_usd"] == pytest.approx(100_000)
    assert state["coins"]["BTC"]["drift"] == pytest.approx(0.0)  # 1 BTC held short for 1 BTC
    conds = evaluate(state, AlertSettings(basis_apr_below=-0.04))
    assert [c.key for c in conds] == ["basis_apr_below:main BTCUSDT_261225@binance-usdm short"]
