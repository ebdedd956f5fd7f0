"""Each venue through ccxt, with answers from the venue's API docs stubbed at the transport.

Bodies and their source pages: ``fixtures/venues/<venue>/*.json`` (``source`` and ``note``
fields). Expected values are read off those bodies; derived numbers are worked out in the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses
from venue_stubs import stub_venue

from hedgekit.accounts import make_client, read_account, read_market
from hedgekit.accounts.config import AccountConfig
from hedgekit.instruments import ContractType, MarginMode, Side

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ENV = {"V_API_KEY": "venue-key-1", "V_API_SECRET": "venue-secret-2", "V_PASSWORD": "venue-pass-3",
       "V_WALLET_ADDRESS": "0x" + "ab" * 20}


def _read(venue, symbols):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, venue)
        client = make_client(AccountConfig(name="acct", venue=venue, key_env="V"), environ=ENV,
                             rate_limit=False)
        state = read_account(client, now=NOW)
        market = read_market(client, symbols, now=NOW)
        calls = [c.request.url for c in rsps.calls]
    return state, market, calls


def _ms(ms):
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# --------------------------------------------------------------------------- Binance COIN-M
def test_binance_coinm_inverse_positions_balances_and_market():
    state, market, _ = _read("binance-coinm", ["BTCUSD_PERP"])
    by_symbol = {p.symbol: p for p in state.positions}
    assert sorted(by_symbol) == ["BTCUSD_201225", "BTCUSD_PERP"]  # the two empty hedge slots dropped
    q = by_symbol["BTCUSD_201225"]
    # docs hedge-mode row: LONG 1 contract (the rows carry no notionalValue, so ccxt leaves the
    # side empty; it comes from positionSide), cross, 125x
    assert (q.side, q.contracts, q.margin_mode, q.leverage) == (Side.LONG, 1.0, MarginMode.CROSS, 125.0)
    assert q.contract_type is ContractType.INVERSE and q.contract_size == 100.0 and q.pnl_currency == "BTC"
    # inverse PnL = n*C*(1/entry - 1/mark) = 100*(1/11707.70000003 - 1/11788.66626667) = 5.866e-05 BTC,
    # the docs' unRealizedProfit (independent check of the body)
    assert 100 * (1 / 11707.70000003 - 1 / 11788.66626667) == pytest.approx(q.unrealized_pnl, abs=5e-9)
    assert q.notional_usd == 100.0  # inverse notional is the USD face: 1 x 100 USD
    perp = by_symbol["BTCUSD_PERP"]
    # 6800 contracts of 100 USD = 680,000 USD face; sized at 68,000 that is 10 BTC of cover
    assert (perp.side, perp.contracts, perp.margin_mode) == (Side.SHORT, 6800.0, MarginMode.ISOLATED)
    assert perp.notional_usd == 680_000.0 and perp.notional_usd / perp.entry_price == pytest.approx(10.0)
    assert perp.funding_rate == 0.00071003 and perp.next_funding_time == _ms(1596096000000)
    assert q.funding_rate is None  # a quarterly future has no funding
    assert [(b.currency, b.total) for b in state.balances] == [("BTC", 0.00241969)]
    inst = market.instruments["BTCUSD_PERP"]
    assert (inst.contract_type, inst.contract_size, inst.settle, inst.tick_size, inst.lot_size) == (
        ContractType.INVERSE, 100.0, "BTC", 0.1, 1.0)
    quarterly = market.instruments["BTCUSD_201225"]
    assert quarterly.expiry == _ms(1608883200000) and quarterly.funding_interval_hours is None
    assert (market.quotes["BTCUSD_PERP"].mark, market.quotes["BTCUSD_PERP"].last) == (11029.69574559, 9651.6)
    # COIN-M brackets are in coin: [0, 50] BTC at 0.4%, [50, 100] at 0.5%, cum 50*(0.005-0.004)
    tiers = market.tiers["BTCUSD_PERP"]
    assert [(t.floor, t.cap, t.mmr) for t in tiers] == [(0.0, 50.0, 0.004), (50.0, 100.0, 0.005)]
    assert tiers[1].cum == pytest.approx(0.05)


# --------------------------------------------------------------------------- Bybit
def test_bybit_linear_hedge_mode_cross_and_isolated():
    state, market, calls = _read("bybit-linear", ["BTCUSDT"])
    long_, short = state.positions
    # positionIdx 1 Buy 0.5 @ 27000 cross (tradeMode 0); positionIdx 2 Sell 0.2 @ 28000 isolated
    assert (long_.side, long_.contracts, long_.entry_price, long_.margin_mode) == (
        Side.LONG, 0.5, 27000.0, MarginMode.CROSS)
    assert (short.side, short.contracts, short.entry_price, short.margin_mode) == (
        Side.SHORT, 0.2, 28000.0, MarginMode.ISOLATED)
    assert long_.notional_usd == pytest.approx(0.5 * 28224.50) and short.notional_usd == pytest.approx(0.2 * 28224.50)
    assert long_.liquidation_price_venue == 24500.10 and short.leverage == 5.0
    assert long_.funding_rate == 0.0001 and long_.next_funding_time == _ms(1760371200000)
    # wallet: USDT walletBalance 10000.5, availableToWithdraw 7223.28; the zero BTC row dropped
    assert [(b.currency, b.total, b.free) for b in state.balances] == [("USDT", 10000.5, 7223.28)]
    assert [(o.symbol, o.side, o.contracts, o.price) for o in state.open_orders] == [
        ("ETHUSDT", Side.LONG, 0.1, 1600.0)]
    inst = market.instruments["BTCUSDT"]
    assert (inst.tick_size, inst.lot_size, inst.min_notional) == (0.1, 0.001, 5.0)
    q = market.quotes["BTCUSDT"]
    assert (q.mark, q.index, q.last) == (28224.50, 28220.10, 28230.00)
    # risk limits: 0.5% to 2,000,000 USDT, then 1%; the maintenance amount of tier 2 is
    # 2,000,000*(1% - 0.5%) = 10,000, the venue's own mmDeduction
    tiers = market.tiers["BTCUSDT"]
    assert [(t.cap, t.mmr) for t in tiers] == [(2_000_000.0, 0.005), (4_000_000.0, 0.01)]
    assert tiers[1].cum == pytest.approx(10_000.0)
    assert any("category=linear" in u for u in calls) and not any("category=inverse" in u for u in calls)


def test_bybit_inverse_short_from_the_docs_example():
    state, market, calls = _read("bybit-inverse", ["BTCUSD"])
    (pos,) = state.positions
    assert (pos.symbol, pos.side, pos.contracts, pos.contract_type) == ("BTCUSD", Side.SHORT, 300.0,
                                                                         ContractType.INVERSE)
    # inverse: 300 contracts of 1 USD; uPnL = -300*(1/27464.50441675 - 1/28224.50) = -0.00029413 BTC,
    # the docs' unrealisedPnl
    assert pos.notional_usd == 300.0 and pos.pnl_currency == "BTC"
    assert -300 * (1 / 27464.50441675 - 1 / 28224.50) == pytest.approx(pos.unrealized_pnl, abs=5e-9)
    assert pos.margin_mode is MarginMode.CROSS and pos.liquidation_price_venue is None  # liqPrice ""
    assert [(b.currency, b.total) for b in state.balances] == [("BTC", 0.0125)]
    assert state.open_orders == ()
    assert market.instruments["BTCUSD"].settle == "BTC" and market.instruments["BTCUSD"].lot_size == 1.0
    q = market.quotes["BTCUSD"]
    assert (q.mark, q.index, q.last) == (114898.43, 114890.92, 120635.50)
    assert market.funding["BTCUSD"].interval_hours == 8.0
    tiers = market.tiers["BTCUSD"]
    assert [(t.cap, t.mmr, t.max_leverage) for t in tiers] == [(150.0, 0.005, 100.0), (300.0, 0.01, 66.67)]
    assert tiers[1].cum == pytest.approx(0.75)  # the venue's mmDeduction
    assert any("category=inverse" in u for u in calls)


# --------------------------------------------------------------------------- OKX
def test_okx_long_short_mode_and_an_inverse_net_position():
    state, market, calls = _read("okx", ["BTC-USDT-SWAP", "BTC-USD-SWAP"])
    long_, short, inv = state.positions
    # posSide long 10 contracts cross, short 5 isolated (long/short mode); face 0.01 BTC each
    assert (long_.symbol, long_.side, long_.contracts, long_.contract_size, long_.margin_mode) == (
        "BTC-USDT-SWAP", Side.LONG, 10.0, 0.01, MarginMode.CROSS)
    assert (short.side, short.contracts, short.margin_mode) == (Side.SHORT, 5.0, MarginMode.ISOLATED)
    # linear notional = 10 * 0.01 BTC * mark 62891.9
    assert long_.notional_usd == pytest.approx(10 * 0.01 * 62891.9)
    assert long_.unrealized_pnl == pytest.approx(10 * 0.01 * (62891.9 - 62961.4))
    # net mode: pos -3 is a short of 3 contracts of 100 USD, settled in BTC
    assert (inv.symbol, inv.side, inv.contracts, inv.contract_type) == (
        "BTC-USD-SWAP", Side.SHORT, 3.0, ContractType.INVERSE)
    assert inv.notional_usd == 300.0 and inv.pnl_currency == "BTC"
    assert inv.unrealized_pnl == pytest.approx(-300 * (1 / 60000 - 1 / 62891.9), abs=1e-10)
    assert inv.funding_rate == -0.00005 and long_.next_funding_time == _ms(1724745600000)
    assert [(b.currency, b.total, b.free, b.used) for b in state.balances] == [("USDT", 1000.5, 800.25, 200.25)]
    assert [(o.symbol, o.side, o.contracts, o.reduce_only) for o in state.open_orders] == [
        ("BTC-USDT-SWAP", Side.LONG, 2.0, True)]
    assert market.instruments["BTC-USDT-SWAP"].contract_size == 0.01
    assert market.instruments["BTC-USD-SWAP"].contract_type is ContractType.INVERSE
    assert market.quotes["BTC-USDT-SWAP"].mark == 62891.9 and market.quotes["BTC-USDT-SWAP"].last == 62892.9
    assert market.tiers == {}  # OKX tiers are by contract count (fetchMarketLeverageTiers): not converted
    assert any("instType=SWAP" in u for u in calls)


# --------------------------------------------------------------------------- Deribit
def test_deribit_inverse_perpetual_sized_in_usd():
    state, market, _ = _read("deribit", ["BTC-PERPETUAL"])
    (pos,) = state.positions
    # docs: size 50 (USD) = 5 contracts of 10 USD; ccxt reports the 50 as "contracts"
    assert (pos.symbol, pos.side, pos.contracts, pos.contract_size) == ("BTC-PERPETUAL", Side.LONG, 5.0, 10.0)
    assert pos.notional_usd == 50.0  # the docs' size; size_currency 0.006687487 BTC x index 7476.65 ~ 50
    assert 0.006687487 * 7476.65 == pytest.approx(pos.notional_usd, rel=1e-3)
    assert (pos.entry_price, pos.mark_price, pos.leverage, pos.liquidation_price_venue) == (
        7440.18, 7476.65, 34.0, 1.74)
    assert pos.as_of == NOW  # the venue gives no time: the fetch time
    assert pos.funding_rate == pytest.approx(-0.00025056853702101664)
    # account summary: equity 302.61869214 BTC, available 301.38059622
    (bal,) = state.balances
    assert (bal.currency, bal.total, bal.free) == ("BTC", 302.61869214, 301.38059622)
    inst = market.instruments["BTC-PERPETUAL"]
    # a perpetual (ccxt gives it a year-3000 expiry); lot = min_trade_amount 10 USD = 1 contract
    assert inst.is_perpetual and inst.lot_size == 1.0 and inst.tick_size == 0.5
    assert market.quotes["BTC-PERPETUAL"].mark == 7476.65 and "ETH-22FEB19-140-P" not in market.quotes


# --------------------------------------------------------------------------- Hyperliquid
def test_hyperliquid_isolated_long_and_cross_short():
    state, market, _ = _read("hyperliquid", ["BTC", "ETH"])
    eth, btc = state.positions
    # docs: ETH szi 0.0335 @ 2986.3, isolated 20x, positionValue 100.02765
    assert (eth.symbol, eth.side, eth.contracts, eth.margin_mode, eth.leverage) == (
        "ETH", Side.LONG, 0.0335, MarginMode.ISOLATED, 20.0)
    assert eth.notional_usd == pytest.approx(100.02765) and eth.pnl_currency == "USDC"
    assert (btc.side, btc.contracts, btc.margin_mode) == (Side.SHORT, 0.5, MarginMode.CROSS)
    # the mark is positionValue / size: 21625 / 0.5 = 43250; uPnL -0.5*(43250-43000) = -125
    assert btc.mark_price == pytest.approx(43250.0) and btc.unrealized_pnl == -125.0
    assert btc.funding_rate == 0.0000125
    # hourly funding (the preset's 1 h interval): the next settlement is on the next whole hour
    assert btc.next_funding_time is not None and btc.next_funding_time.minute == 0
    (bal,) = state.balances
    assert (bal.currency, bal.total, bal.free) == ("USDC", 13109.482328, 13104.514502)
    assert [(o.symbol, o.side, o.contracts, o.price, o.reduce_only) for o in state.open_orders] == [
        ("BTC", Side.LONG, 0.1, 40000.0, True)]
    inst = market.instruments["BTC"]
    assert (inst.contract_size, inst.lot_size, inst.settle, inst.funding_interval_hours) == (1.0, 1e-05, "USDC", 1.0)
    q = market.quotes["BTC"]
    assert (q.mark, q.index, q.last) == (14.3161, 14.32, 14.314)  # markPx, oraclePx, midPx of the docs example


# Bybit v5 error codes (https://bybit-exchange.github.io/docs/v5/error): 10003 "API key is
# invalid", 10006 "Too many visits. Exceeded the API Rate Limit." - answered with HTTP 200.
@pytest.mark.parametrize(("code", "msg", "kind"), [
    (10003, "API key is invalid.", "auth"),
    (10006, "Too many visits. Exceeded the API Rate Limit.", "rate-limit"),
])
def test_bybit_error_codes_are_classified(code, msg, kind):
    from hedgekit.accounts import VenueError, read_positions
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, "bybit-linear", skip=("/v5/position/list",))
        rsps.add("GET", "https://api.bybit.com/v5/position/list",
                 json={"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": 1672211918471})
        client = make_client(AccountConfig(name="acct", venue="bybit-linear", key_env="V"), environ=ENV,
                             rate_limit=False)
        with pytest.raises(VenueError) as err:
            read_positions(client, now=NOW)
    assert err.value.kind == kind and str(err.value).startswith("account acct (bybit-linear): fetch_positions: ")
    assert "venue-key-1" not in str(err.value) and "venue-secret-2" not in str(err.value)
