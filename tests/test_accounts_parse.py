"""The pure parsers on hand-written ccxt unified structures (docs.ccxt.com "Unified API":
market, balance, position, order, ticker, funding-rate and leverage-tier structures)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from hedgekit.accounts.parse import (
    DECIMAL_PLACES,
    market_to_instrument,
    parse_balance,
    parse_funding_rate,
    parse_orders,
    parse_position,
    parse_positions,
    parse_quotes,
    tiers_to_margin,
    to_time,
    venue_symbol,
)
from hedgekit.errors import DataError, InputError
from hedgekit.instruments import ContractType, MarginMode, Side

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _market(**kw):
    base = {"id": "BTCUSDT", "symbol": "BTC/USDT:USDT", "base": "BTC", "quote": "USDT", "settle": "USDT",
            "type": "swap", "swap": True, "future": False, "option": False, "contract": True, "active": True,
            "linear": True, "inverse": False, "contractSize": 1.0, "expiry": None,
            "precision": {"amount": 0.001, "price": 0.1}, "limits": {"cost": {"min": 5.0}}, "info": {}}
    return {**base, **kw}


INVERSE = _market(id="BTCUSD_PERP", symbol="BTC/USD:BTC", quote="USD", settle="BTC", linear=False, inverse=True,
                  contractSize=100.0, precision={"amount": 1.0, "price": 0.1}, limits={})
QUANTO = _market(id="ETHUSD", symbol="ETH/USD:BTC", base="ETH", quote="USD", settle="BTC", linear=False,
                 inverse=False, contractSize=0.000001)
MARKETS = {m["symbol"]: m for m in (_market(), INVERSE, QUANTO)}


def test_market_to_instrument_kinds_and_steps():
    lin = market_to_instrument(_market())
    assert (lin.symbol, lin.contract_type, lin.lot_size, lin.tick_size, lin.min_notional) == (
        "BTCUSDT", ContractType.LINEAR, 0.001, 0.1, 5.0)
    inv = market_to_instrument(INVERSE)
    assert (inv.contract_type, inv.contract_size, inv.settle, inv.min_notional) == (
        ContractType.INVERSE, 100.0, "BTC", 0.0)
    qua = market_to_instrument(QUANTO)
    assert qua.contract_type is ContractType.QUANTO and qua.settle == "BTC"
    # decimal-places precision: 3 decimals -> 0.001
    dec = market_to_instrument(_market(precision={"amount": 3, "price": 1}), precision_mode=DECIMAL_PLACES)
    assert math.isclose(dec.lot_size, 0.001) and math.isclose(dec.tick_size, 0.1)
    dated = market_to_instrument(_market(swap=False, future=True, type="future", expiry=1608883200000))
    assert dated.expiry == datetime(2020, 12, 25, 8, tzinfo=UTC) and dated.funding_interval_hours is None
    with pytest.raises(InputError, match="not a futures contract"):
        market_to_instrument(_market(contract=False, type="spot"))


def test_venue_symbol_uses_the_coin_where_ccxt_ids_are_indexes():
    assert venue_symbol({"id": "0", "baseName": "BTC"}) == "BTC"  # Hyperliquid asset index 0
    assert venue_symbol({"id": "BTC-PERPETUAL"}) == "BTC-PERPETUAL"


def test_balance_drops_empty_currencies_and_fills_total():
    raw = {"total": {"USDT": 100.0, "BNB": 0.0}, "free": {"USDT": 60.0, "BNB": 0.0, "ETH": 2.0},
           "used": {"USDT": 40.0}}
    rows = parse_balance(raw, account="a")
    assert [(b.currency, b.total, b.free, b.used) for b in rows] == [
        ("ETH", 2.0, 2.0, None), ("USDT", 100.0, 60.0, 40.0)]


def _pos(**kw):
    base = {"symbol": "BTC/USDT:USDT", "contracts": 2.0, "contractSize": 1.0, "side": "long", "entryPrice": 100.0,
            "markPrice": 110.0, "unrealizedPnl": 20.0, "marginMode": "cross", "leverage": 5,
            "liquidationPrice": 0, "timestamp": None, "info": {}}
    return {**base, **kw}


def test_position_notional_per_contract_kind():
    lin = parse_position(_pos(), account="a", venue="v", market=_market(), as_of=NOW)
    assert lin.notional_usd == 2 * 1.0 * 110.0 and lin.liquidation_price_venue is None and lin.as_of == NOW
    inv = parse_position(_pos(symbol="BTC/USD:BTC", contractSize=100.0, contracts=7), account="a", venue="v",
                         market=INVERSE)
    assert inv.notional_usd == 700.0 and inv.pnl_currency == "BTC"  # face value, whatever the mark
    qua = parse_position(_pos(symbol="ETH/USD:BTC"), account="a", venue="v", market=QUANTO)
    assert qua.notional_usd is None  # needs the settle coin's price
    assert parse_position(_pos(contracts=0), account="a", venue="v", market=_market()) is None


@pytest.mark.parametrize(("info", "side"), [
    ({"positionSide": "SHORT"}, Side.SHORT),      # Binance hedge mode
    ({"posSide": "long"}, Side.LONG),             # OKX long/short mode
    ({"pos": "-3", "posSide": "net"}, Side.SHORT),  # OKX net mode
    ({"direction": "sell"}, Side.SHORT),          # Deribit
    ({"szi": "0.5"}, Side.LONG),                  # Hyperliquid
])
def test_side_falls_back_to_the_venue_fields(info, side):
    pos = parse_position(_pos(side=None, info=info), account="a", venue="v", market=_market())
    assert pos.side is side


@pytest.mark.parametrize(("raw", "mode"), [
    ({"marginMode": "isolated"}, MarginMode.ISOLATED),
    ({"marginMode": None, "info": {"tradeMode": 1}}, MarginMode.ISOLATED),   # Bybit
    ({"marginMode": None, "info": {"tradeMode": 0}}, MarginMode.CROSS),
    ({"marginMode": None, "info": {"mgnMode": "cross"}}, MarginMode.CROSS),  # OKX
    ({"marginMode": None, "info": {}}, None),
])
def test_margin_mode_falls_back_to_the_venue_fields(raw, mode):
    assert parse_position(_pos(**raw), account="a", venue="v", market=_market()).margin_mode is mode


def test_positions_record_what_they_cannot_parse():
    raws = [_pos(), _pos(side="long", positionSide="x", contracts=1),
            _pos(symbol="DELISTED/USDT:USDT", info={"symbol": "DELISTEDUSDT"}),
            _pos(side=None, info={}),
            _pos(symbol="GONE/USDT:USDT", contracts=0)]  # an empty slot of an unknown symbol: nothing held
    positions, skipped = parse_positions(raws, account="a", venue="v", markets=MARKETS, as_of=NOW)
    assert len(positions) == 2
    assert [(s.symbol, s.kind) for s in skipped] == [("DELISTEDUSDT", "position"), ("BTCUSDT", "position")]
    assert "market list" in skipped[0].reason and "no side" in skipped[1].reason


def test_deribit_amounts_are_size_units():
    market = _market(id="BTC-PERPETUAL", symbol="BTC/USD:BTC", quote="USD", settle="BTC", linear=False,
                     inverse=True, contractSize=10.0, precision={"amount": 10.0, "price": 0.5})
    pos = parse_position(_pos(symbol="BTC/USD:BTC", contracts=50, contractSize=10.0), account="a",
                         venue="deribit", market=market)
    assert pos.contracts == 5.0 and pos.notional_usd == 50.0
    assert market_to_instrument(market, amount_in_size_units=True).lot_size == 1.0
    orders, _ = parse_orders([{"symbol": "BTC/USD:BTC", "side": "sell", "amount": 30, "remaining": 20,
                               "price": 8000, "type": "limit", "id": "1"}],
                             account="a", markets={"BTC/USD:BTC": market}, venue="deribit")
    assert orders[0].contracts == 2.0 and orders[0].side is Side.SHORT


def test_quotes_prefer_the_mark_price_answer():
    tickers = {"BTC/USDT:USDT": {"last": 101.0, "markPrice": 99.0, "timestamp": 1000}}
    marks = {"BTC/USDT:USDT": {"markPrice": 100.0, "indexPrice": 100.5, "timestamp": 2000},
             "SPOT/USDT": {"markPrice": 1.0}}
    q = parse_quotes(tickers, markets=MARKETS, mark_prices=marks)
    assert list(q) == ["BTCUSDT"]
    assert (q["BTCUSDT"].mark, q["BTCUSDT"].index, q["BTCUSDT"].last) == (100.0, 100.5, 101.0)
    assert q["BTCUSDT"].as_of == to_time(2000)


def test_funding_interval_and_next_time():
    info = parse_funding_rate({"fundingRate": 0.0001, "interval": "4h", "fundingTimestamp": 1597392000000,
                               "nextFundingTimestamp": 1597406400000}, market=_market())
    assert (info.rate, info.interval_hours, info.next_time) == (0.0001, 4.0, datetime(2020, 8, 14, 8, tzinfo=UTC))
    assert parse_funding_rate({"fundingRate": None}, market=_market()) is None
    info = parse_funding_rate({"fundingRate": "0.0002"}, market=_market(), default_interval_hours=8.0)
    assert info.interval_hours == 8.0


def test_tiers_build_their_maintenance_amounts():
    tiers = tiers_to_margin([
        {"minNotional": 50000, "maxNotional": 250000, "maintenanceMarginRate": 0.005, "maxLeverage": 100},
        {"minNotional": 0, "maxNotional": 50000, "maintenanceMarginRate": 0.004, "maxLeverage": 125},
    ], symbol="BTCUSDT")
    # sorted by floor; cum_2 = 50,000*(0.005 - 0.004) = 50 (Binance leverage-bracket FAQ)
    assert [(t.floor, t.mmr) for t in tiers] == [(0.0, 0.004), (50000.0, 0.005)]
    assert tiers[1].cum == pytest.approx(50.0)
    # Bybit's docs quote rates in percent: IM 1 (%) at 100x -> MMR 0.5 means 0.5 %
    pct = tiers_to_margin([{"minNotional": 0, "maxNotional": 150, "maintenanceMarginRate": 0.5,
                            "maxLeverage": 100, "info": {"initialMargin": "1"}}])
    assert pct[0].mmr == 0.005
    with pytest.raises(DataError, match="leverage tiers of XYZ"):
        tiers_to_margin([{"minNotional": 0, "maxNotional": 10, "maintenanceMarginRate": 0.01, "maxLeverage": 10},
                         {"minNotional": 20, "maxNotional": 30, "maintenanceMarginRate": 0.02, "maxLeverage": 5}],
                        symbol="XYZ")


def test_position_record_carries_the_issue_json_fields():
    # `hedgekit positions --json` (issue 10); `liquidation_price` is hedgekit's own formula, added later
    wanted = ["account", "venue", "symbol", "contract_type", "side", "contracts", "contract_size", "entry_price",
              "mark_price", "notional_usd", "unrealized_pnl", "pnl_currency", "margin_mode", "leverage",
              "liquidation_price_venue", "funding_rate", "next_funding_time"]
    row = parse_position(_pos(), account="a", venue="v", market=_market(), as_of=NOW).to_dict()
    assert [k for k in row if k in wanted] == wanted
    assert row["side"] == "long" and row["contract_type"] == "linear" and row["as_of"] == NOW.isoformat()
    assert list(parse_balance({"total": {"USDT": 1.0}}, account="a")[0].to_dict()) == [
        "account", "currency", "total", "free", "used"]
