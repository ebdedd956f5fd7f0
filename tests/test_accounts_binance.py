"""Binance USD-M through ccxt, with answers from Binance's API docs stubbed at the transport.

Bodies and their source pages: ``fixtures/venues/binance-usdm/*.json`` (``source`` field).
Expected values are read off those bodies and derived by hand in each test.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
import requests
import responses
from venue_stubs import body, stub_venue

from hedgekit.accounts import (
    UnknownSymbol,
    VenueAuthError,
    VenueRateLimited,
    VenueTimeout,
    VenueUnavailable,
    make_client,
    read_account,
    read_market,
    read_positions,
    read_quotes,
)
from hedgekit.accounts.config import AccountConfig
from hedgekit.instruments import ContractType, MarginMode, Side

ENV = {"BN_API_KEY": "bn-key-0001", "BN_API_SECRET": "bn-secret-0002"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _client(**kw):
    return make_client(AccountConfig(name="main", venue="binance-usdm", key_env="BN", **kw), environ=ENV,
                       rate_limit=False)  # ccxt pacing off: no real venue to spare


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def test_hedge_mode_cross_and_isolated_positions(rsps):
    stub_venue(rsps, "binance-usdm")
    state = read_account(_client(), now=NOW)
    # positionRisk body: BTCUSDT LONG 0.001 and SHORT -0.002 (hedge mode, cross), ETHUSDT SHORT
    # -0.5 isolated; the empty ETHUSDT LONG slot (0.000) holds nothing and is dropped.
    assert [(p.symbol, p.side, p.contracts) for p in state.positions] == [
        ("BTCUSDT", Side.LONG, 0.001), ("BTCUSDT", Side.SHORT, 0.002), ("ETHUSDT", Side.SHORT, 0.5)]
    long_, short, eth = state.positions
    assert state.position("BTCUSDT", "short") == (short,)
    assert long_.contract_type is ContractType.LINEAR and long_.contract_size == 1.0
    assert long_.margin_mode is MarginMode.CROSS and eth.margin_mode is MarginMode.ISOLATED
    assert long_.entry_price == 22185.2 and long_.mark_price == 21123.05052574
    # linear notional = contracts * size * mark: 0.001 * 21123.05052574; the docs' own
    # "notional" field says 21.12305052 (truncated to 8 decimals)
    assert long_.notional_usd == pytest.approx(0.001 * 21123.05052574, rel=1e-12)
    assert abs(long_.notional_usd - 21.12305052) < 1e-8
    assert long_.unrealized_pnl == -1.06214947 and long_.pnl_currency == "USDT"
    assert long_.leverage == 4.0 and long_.liquidation_price_venue == 19731.45529116
    assert short.liquidation_price_venue is None  # the venue reports "0": no figure
    assert eth.notional_usd == pytest.approx(0.5 * 1150.0) and eth.leverage == 5.0
    # funding from premiumIndex: BTCUSDT lastFundingRate 0.00038246, next 1597392000000 ms
    assert long_.funding_rate == 0.00038246
    assert long_.next_funding_time == datetime(2020, 8, 14, 8, 0, tzinfo=UTC)
    assert eth.funding_rate == -0.0001
    assert long_.as_of == datetime.fromtimestamp(1655217461579 / 1000, tz=UTC)


def test_balances_and_open_orders(rsps):
    stub_venue(rsps, "binance-usdm")
    state = read_account(_client(), now=NOW)
    # account body: USDT walletBalance 23.72469206, availableBalance 23.72469206, no margin in use;
    # the zero USDC row is dropped
    assert [(b.currency, b.total, b.free, b.used) for b in state.balances] == [
        ("USDT", 23.72469206, 23.72469206, 0.0)]
    # openOrders body: BUY 0.40 @ 19000 on BTCUSDT; reduce-only BUY 0.300 with 0.100 filled on ETHUSDT
    assert [(o.symbol, o.side, o.contracts, o.price, o.reduce_only) for o in state.open_orders] == [
        ("BTCUSDT", Side.LONG, 0.4, 19000.0, False), ("ETHUSDT", Side.LONG, pytest.approx(0.2), 1300.0, True)]
    assert state.as_of == NOW and state.skipped == ()
    row = state.to_dict()
    assert row["positions"][0]["side"] == "long" and row["positions"][0]["margin_mode"] == "cross"
    assert row["balances"][0] == {"account": "main", "currency": "USDT", "total": 23.72469206,
                                  "free": 23.72469206, "used": 0.0}


def test_markets_quotes_funding_and_tiers(rsps):
    stub_venue(rsps, "binance-usdm")
    market = read_market(_client(), ["BTCUSDT", "ETHUSDT"], now=NOW)
    btc = market.instruments["BTCUSDT"]
    # exchangeInfo: tickSize 0.10, stepSize 0.001, MIN_NOTIONAL 5, perpetual, USDT margined
    assert (btc.contract_type, btc.contract_size, btc.tick_size, btc.lot_size, btc.min_notional) == (
        ContractType.LINEAR, 1.0, 0.1, 0.001, 5.0)
    assert btc.settle == "USDT" and btc.is_perpetual and btc.funding_interval_hours == 8.0
    assert market.instruments["BLZUSDT"].lot_size == 1.0  # docs example entry, stepSize 1
    q = market.quotes["BTCUSDT"]
    # premiumIndex markPrice / indexPrice, ticker lastPrice
    assert (q.mark, q.index, q.last) == (11793.63104562, 11781.8049597, 4.000002)
    assert market.funding["BTCUSDT"].rate == 0.00038246 and market.funding["BTCUSDT"].interval_hours == 8.0
    eth = market.tiers["ETHUSDT"]
    # leverageBracket ETHUSDT: [0, 10000) 0.65% 75x, [10000, 100000) 1% 50x; the second
    # tier's cum is 10000*(0.01 - 0.0065) = 35, as the venue's own "cum" field
    assert [(t.floor, t.cap, t.mmr, t.max_leverage) for t in eth] == [
        (0.0, 10000.0, 0.0065, 75.0), (10000.0, 100000.0, 0.01, 50.0)]
    assert eth[1].cum == pytest.approx(body("binance-usdm", "leverageBracket.json")[0]["brackets"][1]["cum"])


def test_api_url_rewrites_every_rest_endpoint(rsps):
    # Registered with the full local URL: a request to any other host would not match.
    stub_venue(rsps, "binance-usdm", host="http://127.0.0.1:9000")
    client = _client(api_url="http://127.0.0.1:9000")
    read_account(client, now=NOW)
    read_quotes(client, ["BTCUSDT"])
    urls = [c.request.url for c in rsps.calls]
    assert any(u.startswith("http://127.0.0.1:9000/fapi/v3/positionRisk?") for u in urls)
    assert any(u.startswith("http://127.0.0.1:9000/fapi/v1/exchangeInfo") for u in urls)
    assert all(u.startswith("http://127.0.0.1:9000/fapi/") for u in urls)
    api = client.exchange.urls["api"]
    assert api["fapiPrivateV3"] == "http://127.0.0.1:9000/fapi/v3"
    assert api["dapiPublic"] == "http://127.0.0.1:9000/dapi/v1"


def test_testnet_uses_ccxt_sandbox_urls():
    client = _client(testnet=True)
    test_urls = client.exchange.urls["test"]
    assert client.exchange.urls["api"]["fapiPrivate"] == test_urls["fapiPrivate"]
    assert "fapi.binance.com" not in client.exchange.urls["api"]["fapiPrivate"]


def test_unknown_symbol_position_is_recorded_not_a_crash(rsps):
    rows = body("binance-usdm", "positionRisk.json") + [
        {**body("binance-usdm", "positionRisk.json")[0], "symbol": "NOTLISTEDUSDT", "positionAmt": "3"}]
    stub_venue(rsps, "binance-usdm", skip=("/fapi/v3/positionRisk",))
    rsps.add("GET", "https://fapi.binance.com/fapi/v3/positionRisk", json=rows)
    positions, skipped = read_positions(_client(), now=NOW)
    assert len(positions) == 3
    assert [(s.kind, s.symbol) for s in skipped] == [("position", "NOTLISTEDUSDT")]
    assert "not in the venue's market list" in skipped[0].reason
    with pytest.raises(UnknownSymbol, match="NOTLISTEDUSDT is not listed"):
        read_quotes(_client(), ["NOTLISTEDUSDT"])


def _failing(rsps, **answer):
    stub_venue(rsps, "binance-usdm", skip=("/fapi/v3/account",))
    rsps.add("GET", "https://fapi.binance.com/fapi/v3/account", **answer)


def test_timeout_is_classified(rsps):
    _failing(rsps, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(VenueTimeout) as err:
        read_account(_client())
    assert str(err.value) == ("account main (binance-usdm): fetch_balance: timed out after 10 s; "
                              "the venue is slow or unreachable")
    assert err.value.kind == "timeout" and err.value.__cause__ is None and err.value.__context__ is None


def test_rate_limit_is_classified(rsps):
    # Binance error body for too many requests: code -1003 (General info, error codes page)
    _failing(rsps, status=429, json={"code": -1003, "msg": "Too many requests; current limit is 2400 "
                                     "requests per minute."})
    with pytest.raises(VenueRateLimited, match=r"^account main \(binance-usdm\): fetch_balance: rate limit hit"):
        read_account(_client())


@pytest.mark.parametrize("status", [500, 502, 503])
def test_venue_down_is_classified(rsps, status):
    _failing(rsps, status=status, body="<html>Service Unavailable</html>")
    with pytest.raises(VenueUnavailable) as err:
        read_account(_client())
    assert "\n" not in str(err.value) and err.value.kind == "unavailable"


def test_gateway_timeout_504_is_a_timeout(rsps):
    _failing(rsps, status=504, body="<html>Gateway Time-out</html>")
    with pytest.raises(VenueTimeout):
        read_account(_client())


def test_auth_error_is_classified(rsps):
    # Binance error -2015 (Error Codes page): "Invalid API-key, IP, or permissions for action."
    _failing(rsps, status=401, json={"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
    with pytest.raises(VenueAuthError) as err:
        read_account(_client())
    assert "API key refused" in str(err.value) and err.value.kind == "auth"


def test_instrument_tiers_feed_hedgekit_margin(rsps):
    """The converted tiers give the Binance maintenance margin: MM = notional*MMR - cum."""
    from hedgekit.margin import maintenance_margin
    stub_venue(rsps, "binance-usdm")
    market = read_market(_client(), ["ETHUSDT"], now=NOW)
    inst = market.instruments["ETHUSDT"]
    # 20 ETH at 1000 = 20,000 USDT notional: tier 2, MM = 20000*0.01 - 35 = 165
    mm = maintenance_margin(inst, 20, 1000.0, tiers=market.tiers["ETHUSDT"])
    assert math.isclose(mm, 20000 * 0.01 - 35, rel_tol=1e-12)


def test_ccxt_pacing_and_timeout_are_set_by_default():
    client = make_client(AccountConfig(name="main", venue="binance-usdm", key_env="BN"), environ=ENV, timeout=2.5)
    assert client.exchange.enableRateLimit is True and client.exchange.timeout == 2500


def test_funding_failure_is_recorded_and_positions_still_count(rsps):
    stub_venue(rsps, "binance-usdm", skip=("/fapi/v1/premiumIndex",))
    rsps.add("GET", "https://fapi.binance.com/fapi/v1/premiumIndex", status=503, body="busy")
    positions, skipped = read_positions(_client(), now=NOW)
    assert len(positions) == 3 and all(p.funding_rate is None for p in positions)
    assert [(s.kind, s.symbol) for s in skipped] == [("funding", "BTCUSDT,ETHUSDT")]
    assert "fetch_funding_rates: venue unavailable" in skipped[0].reason
