"""Orders through ccxt (create, fetch by client id, cancel, fills), with answers from the
venues' API docs stubbed at the HTTP transport, and the pure helpers on hand-written structures.

Bodies and their source pages: ``fixtures/venues/<venue>/order-*.json``, ``userTrades.json``,
``execution-list.json``, ``fills-history.json`` (``source`` and ``note`` fields). Expected values
are read off those bodies; derived numbers are worked out in the test.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import ccxt
import pytest
import requests
import responses
from responses import matchers
from venue_stubs import body, stub_venue

from hedgekit.accounts import VenueError, VenueTimeout, VenueUnavailable, make_client
from hedgekit.accounts.config import AccountConfig
from hedgekit.accounts.credentials import Redactor
from hedgekit.accounts.orders import (
    OrderNotFound,
    OrderRejected,
    OrderRequest,
    cancel_order,
    check_client_order_id,
    classify_rejection,
    client_order_id_rules,
    fetch_order_by_client_id,
    fetch_recent_trades,
    order_result,
    order_status,
    place_order,
    venue_error_code,
)
from hedgekit.errors import InputError

CID = "hk7a2c0leg0"  # the client order id the fixtures echo
ENV = {"V_API_KEY": "venue-key-1", "V_API_SECRET": "venue-secret-2", "V_PASSWORD": "venue-pass-3"}
SECRETS = ("venue-key-1", "venue-secret-2", "venue-pass-3")


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def _client(venue):
    return make_client(AccountConfig(name="acct", venue=venue, key_env="V"), environ=ENV, rate_limit=False)


def _url(path):
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def _add(rsps, venue, method, path, name, *, key=None, status=200, query=None):
    answer = body(venue, name) if key is None else body(venue, name)[key]
    match = [matchers.query_param_matcher(query, strict_match=False)] if query else []
    rsps.add(method, _url(path), json=answer, status=status, match=match)


def _sent(rsps, method, path):
    """Parameters of the requests made to ``path``: query string and form/JSON body merged."""
    out = []
    for call in rsps.calls:
        req = call.request
        if req.method != method or urlsplit(req.url).path != path:
            continue
        params = {k: v[-1] for k, v in parse_qs(urlsplit(req.url).query).items()}
        raw = req.body.decode() if isinstance(req.body, bytes) else (req.body or "")
        if raw.startswith(("{", "[")):
            doc = json.loads(raw)
            params.update(doc[0] if isinstance(doc, list) else doc)
        elif raw:
            params.update({k: v[-1] for k, v in parse_qs(raw).items()})
        out.append(params)
    return out


def _no_secrets(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text)


def _limit(symbol, contracts, price=30000.0, cid=CID, side="buy", reduce_only=True):
    return OrderRequest(symbol=symbol, side=side, contracts=contracts, order_type="limit", limit_price=price,
                        reduce_only=reduce_only, client_order_id=cid)


def _market(symbol, contracts, cid="hk7a2c0leg1", side="sell"):
    return OrderRequest(symbol=symbol, side=side, contracts=contracts, order_type="market", limit_price=None,
                        reduce_only=False, client_order_id=cid)


def _ms(ms):
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# =========================================================================== Binance USD-M / COIN-M
BINANCE = {  # venue: (order path, trades path, symbol, limit size, market size)
    "binance-usdm": ("/fapi/v1/order", "/fapi/v1/userTrades", "BTCUSDT", 0.01, 0.005),
    "binance-coinm": ("/dapi/v1/order", "/dapi/v1/userTrades", "BTCUSD_PERP", 10.0, 3.0),
}


@pytest.mark.parametrize("venue", sorted(BINANCE))
def test_binance_limit_reduce_only_carries_the_client_id(rsps, venue):
    path, _, symbol, size, _ = BINANCE[venue]
    stub_venue(rsps, venue)
    _add(rsps, venue, "POST", path, "order-new-limit.json")
    result = place_order(_client(venue), _limit(symbol, size))
    (sent,) = _sent(rsps, "POST", path)
    # the venue's own parameter names: newClientOrderId, reduceOnly, LIMIT GTC at the price
    assert sent["newClientOrderId"] == CID and sent["reduceOnly"] == "true"
    assert (sent["type"], sent["side"], sent["timeInForce"], float(sent["price"])) == ("LIMIT", "BUY", "GTC", 30000.0)
    assert float(sent["quantity"]) == size
    # the answer: status NEW, nothing filled, orderId 22542179
    assert (result.status, result.client_order_id, result.venue_order_id) == ("open", CID, "22542179")
    assert (result.symbol, result.side, result.contracts, result.filled_contracts) == (symbol, "buy", size, 0.0)
    assert result.average_price is None and result.as_of == _ms(1566818724722)


@pytest.mark.parametrize("venue", sorted(BINANCE))
def test_binance_market_order_filled_at_once(rsps, venue):
    path, _, symbol, _, size = BINANCE[venue]
    stub_venue(rsps, venue)
    _add(rsps, venue, "POST", path, "order-new-market.json")
    result = place_order(_client(venue), _market(symbol, size))
    (sent,) = _sent(rsps, "POST", path)
    assert sent["type"] == "MARKET" and "price" not in sent and "reduceOnly" not in sent
    assert sent["newClientOrderId"] == "hk7a2c0leg1"
    answer = body(venue, "order-new-market.json")
    # status FILLED with executedQty == origQty
    assert result.status == "filled" and result.filled_contracts == result.contracts == float(answer["executedQty"])
    assert result.average_price == float(answer["avgPrice"])


@pytest.mark.parametrize("venue", sorted(BINANCE))
def test_binance_fetch_by_client_id_partial_fill(rsps, venue):
    path, _, symbol, size, _ = BINANCE[venue]
    stub_venue(rsps, venue)
    _add(rsps, venue, "GET", path, "order-query-partial.json", query={"origClientOrderId": CID})
    found = fetch_order_by_client_id(_client(venue), symbol, CID)
    answer = body(venue, "order-query-partial.json")
    assert found is not None and found.status == "partially_filled"
    assert (found.contracts, found.filled_contracts) == (size, float(answer["executedQty"]))
    assert found.average_price == 30000.0 and found.client_order_id == CID
    assert _sent(rsps, "GET", path)[0]["origClientOrderId"] == CID


def test_binance_fetch_by_client_id_not_found_is_none(rsps):
    stub_venue(rsps, "binance-usdm")
    _add(rsps, "binance-usdm", "GET", "/fapi/v1/order", "order-errors.json", key="-2013", status=400)
    assert fetch_order_by_client_id(_client("binance-usdm"), "BTCUSDT", CID) is None


@pytest.mark.parametrize("venue", sorted(BINANCE))
def test_binance_cancel_by_client_id(rsps, venue):
    path, _, symbol, size, _ = BINANCE[venue]
    stub_venue(rsps, venue)
    _add(rsps, venue, "DELETE", path, "order-cancel.json")
    result = cancel_order(_client(venue), symbol, CID)
    answer = body(venue, "order-cancel.json")
    assert result.status == "canceled" and result.filled_contracts == float(answer["executedQty"])
    assert result.contracts == size
    (sent,) = _sent(rsps, "DELETE", path)
    assert sent["origClientOrderId"] == CID and "orderId" not in sent


def test_binance_cancel_of_an_order_the_venue_never_saw(rsps):
    stub_venue(rsps, "binance-usdm")
    _add(rsps, "binance-usdm", "DELETE", "/fapi/v1/order", "order-errors.json", key="-2011", status=400)
    _add(rsps, "binance-usdm", "GET", "/fapi/v1/order", "order-errors.json", key="-2013", status=400)
    with pytest.raises(OrderNotFound) as err:
        cancel_order(_client("binance-usdm"), "BTCUSDT", CID)
    assert err.value.kind == "order-not-found"


def test_binance_cancel_of_an_order_already_done_returns_its_state(rsps):
    # -2011 "Unknown order sent." for an order that is no longer open: its state is read back
    stub_venue(rsps, "binance-usdm")
    _add(rsps, "binance-usdm", "DELETE", "/fapi/v1/order", "order-errors.json", key="-2011", status=400)
    _add(rsps, "binance-usdm", "GET", "/fapi/v1/order", "order-query-partial.json")
    result = cancel_order(_client("binance-usdm"), "BTCUSDT", CID)
    assert result.status == "partially_filled" and result.filled_contracts == 0.004


@pytest.mark.parametrize("venue", sorted(BINANCE))
def test_binance_recent_trades(rsps, venue):
    _, path, symbol, _, _ = BINANCE[venue]
    stub_venue(rsps, venue)
    _add(rsps, venue, "GET", path, "userTrades.json")
    (fill,) = fetch_recent_trades(_client(venue), symbol, since=_ms(1569514978000))
    (row,) = body(venue, "userTrades.json")
    assert (fill["symbol"], fill["side"], fill["contracts"], fill["price"]) == (
        symbol, "sell", float(row["qty"]), float(row["price"]))
    assert fill["trade_id"] == str(row["id"]) and fill["venue_order_id"] == str(row["orderId"])
    assert fill["client_order_id"] is None  # Binance fills do not carry it
    assert fill["fee_currency"] == row["commissionAsset"] and fill["fee"] == float(row["commission"])  # as reported
    assert fill["as_of"] == _ms(row["time"])
    assert _sent(rsps, "GET", path)[0]["startTime"] == "1569514978000"


BINANCE_REJECTIONS = [
    ("binance-usdm", "-2019", "insufficient-margin"),
    ("binance-usdm", "-2022", "reduce-only"),
    ("binance-usdm", "-4131", "price-band"),
    ("binance-usdm", "-4164", "min-notional"),
    ("binance-usdm", "-4023", "lot-size"),
    ("binance-usdm", "-4116", "duplicate-client-id"),
    ("binance-coinm", "-2019", "insufficient-margin"),
    ("binance-coinm", "-2022", "reduce-only"),
    ("binance-coinm", "-4116", "duplicate-client-id"),
]


@pytest.mark.parametrize(("venue", "code", "reason"), BINANCE_REJECTIONS)
def test_binance_rejections_are_classified(rsps, venue, code, reason):
    path, _, symbol, size, _ = BINANCE[venue]
    stub_venue(rsps, venue)
    _add(rsps, venue, "POST", path, "order-errors.json", key=code, status=400)
    with pytest.raises(OrderRejected) as err:
        place_order(_client(venue), _limit(symbol, size))
    msg = body(venue, "order-errors.json")[code]["msg"]
    assert (err.value.kind, err.value.reason, err.value.code) == ("rejected", reason, code)
    assert str(err.value) == f"account acct ({venue}): create_order: order rejected ({reason}) [{code}: {msg}]"
    assert err.value.__cause__ is None and err.value.__context__ is None
    _no_secrets(err.value)


def test_binance_status_unknown_answer_is_a_timeout_not_a_rejection(rsps):
    # -1007 "... Send status unknown; execution status unknown."
    stub_venue(rsps, "binance-usdm")
    _add(rsps, "binance-usdm", "POST", "/fapi/v1/order", "order-errors.json", key="-1007", status=400)
    with pytest.raises(VenueTimeout) as err:
        place_order(_client("binance-usdm"), _limit("BTCUSDT", 0.01))
    assert not isinstance(err.value, OrderRejected) and err.value.kind == "timeout"


def test_timeout_after_send_then_retry_finds_the_first_order(rsps, caplog):
    """The request times out (it may have reached the venue); the retry with the same client
    id is refused as a duplicate, which proves the first send arrived; the order is found."""
    caplog.set_level(logging.DEBUG)
    stub_venue(rsps, "binance-usdm")
    rsps.add("POST", _url("/fapi/v1/order"), body=requests.exceptions.ReadTimeout("read timed out"))
    _add(rsps, "binance-usdm", "POST", "/fapi/v1/order", "order-errors.json", key="-4116", status=400)
    _add(rsps, "binance-usdm", "GET", "/fapi/v1/order", "order-query-partial.json", query={"origClientOrderId": CID})
    client = _client("binance-usdm")
    with pytest.raises(VenueTimeout) as first:
        place_order(client, _limit("BTCUSDT", 0.01))
    assert first.value.kind == "timeout" and not isinstance(first.value, OrderRejected)
    with pytest.raises(OrderRejected) as again:
        place_order(client, _limit("BTCUSDT", 0.01))
    assert again.value.reason == "duplicate-client-id"
    found = fetch_order_by_client_id(client, "BTCUSDT", CID)
    assert found is not None and found.client_order_id == CID and found.venue_order_id == "22542179"
    sends = _sent(rsps, "POST", "/fapi/v1/order")
    assert [s["newClientOrderId"] for s in sends] == [CID, CID]  # the same id both times
    _no_secrets(first.value, again.value, found, caplog.text)


@pytest.mark.parametrize("status", [502, 503])
def test_venue_down_on_send_is_unavailable_not_rejected(rsps, status):
    stub_venue(rsps, "binance-usdm")
    rsps.add("POST", _url("/fapi/v1/order"), status=status, body="<html>Service Unavailable</html>")
    with pytest.raises(VenueUnavailable):
        place_order(_client("binance-usdm"), _limit("BTCUSDT", 0.01))


# =========================================================================== Bybit
@pytest.mark.parametrize(("venue", "symbol", "size", "qty"), [
    ("bybit-linear", "BTCUSDT", 0.01, "0.01"),
    ("bybit-inverse", "BTCUSD", 300, "300"),  # inverse: 300 contracts of 1 USD
])
def test_bybit_limit_reduce_only_carries_the_order_link_id(rsps, venue, symbol, size, qty):
    stub_venue(rsps, venue)
    _add(rsps, venue, "POST", "/v5/order/create", "order-create.json")
    result = place_order(_client(venue), _limit(symbol, size))
    (sent,) = _sent(rsps, "POST", "/v5/order/create")
    assert sent["orderLinkId"] == CID and sent["reduceOnly"] is True
    assert (sent["category"], sent["symbol"], sent["orderType"], sent["side"], sent["qty"], sent["price"]) == (
        venue.split("-")[1], symbol, "Limit", "Buy", qty, "30000")
    # the answer only acknowledges: id and client id; size and side are the request's
    assert (result.status, result.venue_order_id, result.client_order_id) == ("open", "1321003749386327552", CID)
    assert (result.side, result.contracts, result.filled_contracts) == ("buy", size, 0.0)


def test_bybit_market_order(rsps):
    stub_venue(rsps, "bybit-linear")
    _add(rsps, "bybit-linear", "POST", "/v5/order/create", "order-create.json")
    place_order(_client("bybit-linear"), _market("BTCUSDT", 0.005))
    (sent,) = _sent(rsps, "POST", "/v5/order/create")
    assert sent["orderType"] == "Market" and "price" not in sent and "reduceOnly" not in sent
    assert sent["orderLinkId"] == "hk7a2c0leg1"


def test_bybit_fetch_by_client_id_open_partial(rsps):
    stub_venue(rsps, "bybit-linear", skip=("/v5/order/realtime",))
    _add(rsps, "bybit-linear", "GET", "/v5/order/realtime", "order-realtime-partial.json", query={"orderLinkId": CID})
    found = fetch_order_by_client_id(_client("bybit-linear"), "BTCUSDT", CID)
    # qty 0.010, cumExecQty 0.004, avgPrice 30000, PartiallyFilled
    assert found is not None and found.status == "partially_filled"
    assert (found.contracts, found.filled_contracts, found.average_price) == (0.01, 0.004, 30000.0)
    assert (found.fee, found.fee_currency) == (0.066, "USDT")
    assert _sent(rsps, "GET", "/v5/order/realtime")[0]["orderLinkId"] == CID


def test_bybit_fetch_by_client_id_closed_and_not_found(rsps):
    stub_venue(rsps, "bybit-linear", skip=("/v5/order/realtime",))
    _add(rsps, "bybit-linear", "GET", "/v5/order/realtime", "order-realtime-empty.json")
    _add(rsps, "bybit-linear", "GET", "/v5/order/history", "order-history-filled.json", query={"orderLinkId": CID})
    _add(rsps, "bybit-linear", "GET", "/v5/order/history", "order-history-empty.json")
    client = _client("bybit-linear")
    found = fetch_order_by_client_id(client, "BTCUSDT", CID)
    assert found is not None and (found.status, found.filled_contracts) == ("filled", 0.01)
    assert fetch_order_by_client_id(client, "BTCUSDT", "hk7a2c0leg9") is None
    assert [s["orderLinkId"] for s in _sent(rsps, "GET", "/v5/order/history")] == [CID, "hk7a2c0leg9"]


def test_bybit_cancel_reads_back_the_final_state(rsps):
    stub_venue(rsps, "bybit-linear", skip=("/v5/order/realtime",))
    _add(rsps, "bybit-linear", "POST", "/v5/order/cancel", "order-cancel.json")
    _add(rsps, "bybit-linear", "GET", "/v5/order/realtime", "order-realtime-empty.json")
    _add(rsps, "bybit-linear", "GET", "/v5/order/history", "order-history-canceled.json")
    result = cancel_order(_client("bybit-linear"), "BTCUSDT", CID)
    # Cancelled after 0.004 of 0.010 filled
    assert (result.status, result.contracts, result.filled_contracts) == ("canceled", 0.01, 0.004)
    (sent,) = _sent(rsps, "POST", "/v5/order/cancel")
    assert sent == {"symbol": "BTCUSDT", "category": "linear", "orderLinkId": CID}


def test_bybit_recent_trades_carry_the_order_link_id(rsps):
    stub_venue(rsps, "bybit-linear")
    _add(rsps, "bybit-linear", "GET", "/v5/execution/list", "execution-list.json")
    (fill,) = fetch_recent_trades(_client("bybit-linear"), "BTCUSDT")
    assert (fill["client_order_id"], fill["side"], fill["contracts"], fill["price"]) == (CID, "buy", 0.1, 1190.15)
    assert fill["fee"] == 0.071409 and fill["as_of"] == _ms(1672282722429)


@pytest.mark.parametrize(("code", "reason"), [
    ("110007", "insufficient-margin"),
    ("110017", "reduce-only"),
    ("110003", "price-band"),
    ("110094", "min-notional"),
    ("110072", "duplicate-client-id"),
])
def test_bybit_rejections_are_classified(rsps, code, reason):
    stub_venue(rsps, "bybit-linear")
    _add(rsps, "bybit-linear", "POST", "/v5/order/create", "order-errors.json", key=code)
    with pytest.raises(OrderRejected) as err:
        place_order(_client("bybit-linear"), _limit("BTCUSDT", 0.01))
    assert (err.value.reason, err.value.code) == (reason, code)
    assert body("bybit-linear", "order-errors.json")[code]["retMsg"] in str(err.value)
    _no_secrets(err.value)


def test_bybit_server_timeout_code_is_a_timeout(rsps):
    stub_venue(rsps, "bybit-linear")
    _add(rsps, "bybit-linear", "POST", "/v5/order/create", "order-errors.json", key="10000")
    with pytest.raises(VenueTimeout):
        place_order(_client("bybit-linear"), _limit("BTCUSDT", 0.01))


# =========================================================================== OKX
def test_okx_limit_reduce_only_carries_the_cl_ord_id(rsps):
    stub_venue(rsps, "okx")
    _add(rsps, "okx", "POST", "/api/v5/trade/batch-orders", "order-batch.json")
    result = place_order(_client("okx"), _limit("BTC-USDT-SWAP", 2))
    (sent,) = _sent(rsps, "POST", "/api/v5/trade/batch-orders")
    assert sent["clOrdId"] == CID and sent["reduceOnly"] is True
    assert (sent["instId"], sent["ordType"], sent["side"], sent["sz"], sent["px"]) == (
        "BTC-USDT-SWAP", "limit", "buy", "2", "30000")
    assert (result.status, result.venue_order_id, result.client_order_id, result.contracts) == (
        "open", "680800019749904384", CID, 2.0)


def test_okx_market_order(rsps):
    stub_venue(rsps, "okx")
    _add(rsps, "okx", "POST", "/api/v5/trade/batch-orders", "order-batch.json")
    place_order(_client("okx"), _market("BTC-USDT-SWAP", 1, cid="hk7a2c0leg1"))
    (sent,) = _sent(rsps, "POST", "/api/v5/trade/batch-orders")
    assert sent["ordType"] == "market" and "px" not in sent and "reduceOnly" not in sent


def test_okx_fetch_by_client_id_partial_and_not_found(rsps):
    stub_venue(rsps, "okx")
    _add(rsps, "okx", "GET", "/api/v5/trade/order", "order-details-partial.json", query={"clOrdId": CID})
    _add(rsps, "okx", "GET", "/api/v5/trade/order", "order-errors.json", key="51603")
    client = _client("okx")
    found = fetch_order_by_client_id(client, "BTC-USDT-SWAP", CID)
    # sz 2, accFillSz 1, avgPx 30000, state partially_filled; fee -0.15 USDT is a charge of 0.15
    assert found is not None and found.status == "partially_filled"
    assert (found.contracts, found.filled_contracts, found.average_price) == (2.0, 1.0, 30000.0)
    assert found.fee == pytest.approx(0.15) and found.fee_currency == "USDT"
    assert fetch_order_by_client_id(client, "BTC-USDT-SWAP", "hk7a2c0leg9") is None


def test_okx_cancel_reads_back_the_final_state(rsps):
    stub_venue(rsps, "okx")
    _add(rsps, "okx", "POST", "/api/v5/trade/cancel-order", "order-cancel.json")
    _add(rsps, "okx", "GET", "/api/v5/trade/order", "order-details-canceled.json")
    result = cancel_order(_client("okx"), "BTC-USDT-SWAP", CID)
    assert (result.status, result.contracts, result.filled_contracts) == ("canceled", 2.0, 1.0)
    (sent,) = _sent(rsps, "POST", "/api/v5/trade/cancel-order")
    assert sent == {"instId": "BTC-USDT-SWAP", "clOrdId": CID}


def test_okx_recent_trades(rsps):
    stub_venue(rsps, "okx")
    _add(rsps, "okx", "GET", "/api/v5/trade/fills-history", "fills-history.json")
    (fill,) = fetch_recent_trades(_client("okx"), "BTC-USDT-SWAP")
    assert (fill["client_order_id"], fill["side"], fill["contracts"], fill["price"]) == (CID, "buy", 1.0, 30000.0)
    assert fill["fee"] == pytest.approx(0.15) and fill["fee_currency"] == "USDT"


@pytest.mark.parametrize(("code", "reason"), [
    ("51008", "insufficient-margin"),
    ("51169", "reduce-only"),
    ("51006", "price-band"),
    ("51121", "lot-size"),
    ("51016", "duplicate-client-id"),
])
def test_okx_rejections_are_classified(rsps, code, reason):
    stub_venue(rsps, "okx")
    _add(rsps, "okx", "POST", "/api/v5/trade/batch-orders", "order-errors.json", key=code)
    with pytest.raises(OrderRejected) as err:
        place_order(_client("okx"), _limit("BTC-USDT-SWAP", 2))
    assert (err.value.reason, err.value.code) == (reason, code)
    assert body("okx", "order-errors.json")[code]["data"][0]["sMsg"] in str(err.value)
    _no_secrets(err.value)


def test_okx_endpoint_timeout_is_a_timeout(rsps):
    # 50004 "API endpoint request timeout (does not mean that the request was successful or failed ...)"
    stub_venue(rsps, "okx")
    _add(rsps, "okx", "POST", "/api/v5/trade/batch-orders", "order-errors.json", key="50004")
    with pytest.raises(VenueTimeout):
        place_order(_client("okx"), _limit("BTC-USDT-SWAP", 2))


# =========================================================================== Deribit
# BTC-PERPETUAL: amounts in USD, 10 USD per contract (the existing get_instruments fixture), so
# 5 contracts are sent as amount 50 and a fill of 20 USD is 2 contracts.
def _deribit_open(rsps, name="get_open_orders_by_instrument.json"):
    stub_venue(rsps, "deribit")
    _add(rsps, "deribit", "GET", "/api/v2/private/get_open_orders_by_instrument", name)
    _add(rsps, "deribit", "GET", "/api/v2/private/get_order_history_by_instrument",
         "get_order_history_by_instrument.json")


def test_deribit_limit_reduce_only_carries_the_label(rsps):
    stub_venue(rsps, "deribit")
    _add(rsps, "deribit", "GET", "/api/v2/private/buy", "buy.json")
    result = place_order(_client("deribit"), _limit("BTC-PERPETUAL", 5))
    (sent,) = _sent(rsps, "GET", "/api/v2/private/buy")
    assert (sent["label"], sent["reduce_only"], sent["type"], sent["amount"], sent["price"]) == (
        CID, "true", "limit", "50", "30000")
    assert (result.status, result.venue_order_id, result.client_order_id) == ("open", "3016537401", CID)
    assert (result.contracts, result.filled_contracts) == (5.0, 0.0)


def test_deribit_fetch_by_label_scans_open_then_closed_orders(rsps):
    _deribit_open(rsps)
    client = _client("deribit")
    found = fetch_order_by_client_id(client, "BTC-PERPETUAL", CID)
    # the labelled order, not the unlabelled one beside it: 20 of 50 USD filled = 2 of 5 contracts
    assert found is not None and (found.status, found.contracts, found.filled_contracts) == (
        "partially_filled", 5.0, 2.0)
    assert found.venue_order_id == "3016537401" and found.average_price == 30000.0
    assert fetch_order_by_client_id(client, "BTC-PERPETUAL", "hk7a2c0leg9") is None


def test_deribit_fetch_by_label_finds_a_filled_order_in_the_history(rsps):
    _deribit_open(rsps, "get_open_orders_by_instrument-empty.json")
    found = fetch_order_by_client_id(_client("deribit"), "BTC-PERPETUAL", CID)
    assert found is not None and (found.status, found.filled_contracts) == ("filled", 5.0)


def test_deribit_cancel_looks_up_the_order_id_by_label(rsps):
    _deribit_open(rsps)
    _add(rsps, "deribit", "GET", "/api/v2/private/cancel", "cancel.json")
    result = cancel_order(_client("deribit"), "BTC-PERPETUAL", CID)
    assert (result.status, result.contracts, result.filled_contracts) == ("canceled", 5.0, 2.0)
    assert _sent(rsps, "GET", "/api/v2/private/cancel")[0]["order_id"] == "3016537401"


def test_deribit_cancel_of_a_filled_order_returns_it_without_a_cancel(rsps):
    _deribit_open(rsps, "get_open_orders_by_instrument-empty.json")
    result = cancel_order(_client("deribit"), "BTC-PERPETUAL", CID)
    assert result.status == "filled" and _sent(rsps, "GET", "/api/v2/private/cancel") == []
    with pytest.raises(OrderNotFound):
        cancel_order(_client("deribit"), "BTC-PERPETUAL", "hk7a2c0leg9")


def test_deribit_recent_trades_carry_the_label(rsps):
    stub_venue(rsps, "deribit")
    _add(rsps, "deribit", "GET", "/api/v2/private/get_user_trades_by_instrument", "get_user_trades_by_instrument.json")
    (fill,) = fetch_recent_trades(_client("deribit"), "BTC-PERPETUAL")
    assert (fill["client_order_id"], fill["side"], fill["contracts"], fill["price"]) == (CID, "buy", 2.0, 30000.0)
    assert (fill["fee"], fill["fee_currency"]) == (0.00000033, "BTC")


@pytest.mark.parametrize(("code", "reason"), [
    ("10009", "insufficient-margin"),
    ("10007", "price-band"),
    ("10032", "min-notional"),
    ("10002", "lot-size"),
])
def test_deribit_rejections_are_classified(rsps, code, reason):
    stub_venue(rsps, "deribit")
    _add(rsps, "deribit", "GET", "/api/v2/private/buy", "order-errors.json", key=code, status=400)
    with pytest.raises(OrderRejected) as err:
        place_order(_client("deribit"), _limit("BTC-PERPETUAL", 5))
    assert (err.value.reason, err.value.code) == (reason, code)
    assert body("deribit", "order-errors.json")[code]["error"]["message"] in str(err.value)


# =========================================================================== request checks
def test_bad_requests_are_refused_before_anything_is_sent(rsps):
    stub_venue(rsps, "okx")
    client = _client("okx")
    with pytest.raises(InputError, match=r"^client_order_id: must be 1-32 characters"):
        place_order(client, _limit("BTC-USDT-SWAP", 2, cid="hk-7a2c"))  # OKX: no dashes
    with pytest.raises(InputError, match=r"^limit_price: a limit order needs a price > 0"):
        place_order(client, _limit("BTC-USDT-SWAP", 2, price=None))
    with pytest.raises(InputError, match=r"^contracts: must be > 0"):
        place_order(client, _limit("BTC-USDT-SWAP", 0))
    assert _sent(rsps, "POST", "/api/v5/trade/batch-orders") == []


def test_venue_without_order_support_says_so():
    env = {**ENV, "V_WALLET_ADDRESS": "0x" + "ab" * 20}
    client = make_client(AccountConfig(name="acct", venue="hyperliquid", key_env="V"), environ=env)
    with pytest.raises(VenueError, match="placing orders is not supported on this venue yet"):
        place_order(client, _limit("BTC", 1, cid="0x" + "0" * 32))


# =========================================================================== pure helpers
def test_client_order_id_rules_per_venue():
    # Binance ^[\.A-Z\:/a-z0-9_-]{1,36}$; Bybit 36 of letters, digits, - and _; OKX 32 alphanumerics
    assert client_order_id_rules("binance-usdm")[0] == client_order_id_rules("binance-coinm")[0] == 36
    assert check_client_order_id("binance-usdm", "a.b:c/d_e-F9") == "a.b:c/d_e-F9"
    assert check_client_order_id("bybit-linear", "x" * 36) == "x" * 36
    for venue, bad in [("bybit-linear", "x" * 37), ("bybit-inverse", "a.b"), ("okx", "a_b"), ("okx", "a" * 33),
                       ("binance-usdm", "a b"), ("hyperliquid", "0x123"), ("binance-usdm", "")]:
        with pytest.raises(InputError):
            check_client_order_id(venue, bad)
    assert check_client_order_id("hyperliquid", "0x" + "0123456789abcdef" * 2)
    with pytest.raises(InputError, match="^venue: no client order id rules"):
        client_order_id_rules("nowhere")


@pytest.mark.parametrize(("raw", "status"), [
    ({"status": "open", "amount": 2, "filled": 0}, "open"),
    ({"status": "open", "amount": 2, "filled": 1}, "partially_filled"),
    ({"status": "closed", "amount": 2, "filled": 2}, "filled"),
    ({"status": "closed", "amount": 0.3, "filled": 0.1 + 0.2}, "filled"),  # 0.30000000000000004
    ({"status": "closed", "amount": 2, "filled": 1}, "canceled"),  # Bybit PartiallyFilledCanceled
    ({"status": "canceled", "amount": 2, "filled": 1}, "canceled"),
    ({"status": "expired", "amount": 2, "filled": 0}, "expired"),
    ({"status": "rejected", "amount": 2, "filled": 0}, "rejected"),
    ({"status": None, "amount": None, "filled": None}, "open"),  # an acknowledgement
])
def test_order_status_mapping(raw, status):
    assert order_status(raw) == status


def test_order_result_from_an_acknowledgement_and_in_size_units():
    req = _limit("BTC-PERPETUAL", 5, cid="hk-1")
    ack = order_result({"id": "77", "status": None, "amount": None, "info": {}}, symbol="BTC-PERPETUAL", request=req)
    assert (ack.status, ack.contracts, ack.side, ack.client_order_id, ack.venue_order_id) == (
        "open", 5, "buy", "hk-1", "77")
    # an amount of 50 (USD) at 10 USD per contract is 5 contracts, 20 filled = 2 contracts
    raw = {"id": "9", "status": "open", "amount": 50, "filled": 20, "side": "sell", "clientOrderId": "hk-2",
           "fee": {"cost": 0.0001, "currency": "BTC"}, "timestamp": 1700000000000,
           "info": {"rejectReason": "EC_NoError", "cancelSourceReason": ""}}
    res = order_result(raw, symbol="BTC-PERPETUAL", size_unit=10.0)
    assert (res.contracts, res.filled_contracts, res.status, res.side) == (5.0, 2.0, "partially_filled", "sell")
    assert (res.fee, res.fee_currency, res.message, res.as_of) == (0.0001, "BTC", None, _ms(1700000000000))
    why = order_result({"id": "9", "status": "canceled", "amount": 1, "filled": 0,
                        "info": {"cancelSourceReason": "Order canceled by system: key venue-key-1"}},
                       symbol="X", redactor=Redactor(["venue-key-1"]))
    assert why.message is not None and "venue-key-1" not in why.message and why.to_dict()["status"] == "canceled"


@pytest.mark.parametrize(("text", "expected"), [
    ('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}', ("-2019", "Margin is insufficient.")),
    ('bybit {"retCode":110017,"retMsg":"Reduce-only rule not satisfied","result":{}}',
     ("110017", "Reduce-only rule not satisfied")),
    ('okx {"code":"1","msg":"All operations failed","data":[{"sCode":"51008","sMsg":"Insufficient"}]}',
     ("51008", "Insufficient")),
    ('okx {"code":"51603","msg":"Order does not exist","data":[]}', ("51603", "Order does not exist")),
    ('deribit {"jsonrpc":"2.0","error":{"message":"not_enough_funds","code":10009}}', ("10009", "not_enough_funds")),
    ("binanceusdm GET https://fapi.binance.com/fapi/v1/order", (None, None)),
    ("hyperliquid {not json", (None, None)),
])
def test_venue_error_code(text, expected):
    assert venue_error_code(text) == expected


def _classify(exc, venue="binance-usdm"):
    return classify_rejection(exc, account="a", venue=venue, redactor=Redactor(["venue-key-1"]))


def test_classify_rejection_on_hand_written_exceptions():
    # Binance -1013 names the failed filter in its message
    minimum = _classify(ccxt.BadRequest('binanceusdm {"code":-1013,"msg":"Filter failure: MIN_NOTIONAL"}'))
    assert isinstance(minimum, OrderRejected) and minimum.reason == "min-notional"
    lot = _classify(ccxt.BadRequest('binanceusdm {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'))
    assert lot.reason == "lot-size"
    # Hyperliquid answers with the documented text only
    hl = _classify(ccxt.ExchangeError("hyperliquid Reduce only order would increase position."), "hyperliquid")
    assert isinstance(hl, OrderRejected) and hl.reason == "reduce-only" and hl.code is None
    hl_margin = _classify(ccxt.ExchangeError("hyperliquid Insufficient margin to place order."), "hyperliquid")
    assert hl_margin.reason == "insufficient-margin"
    # ccxt's class where the code is unknown to the tables
    assert _classify(ccxt.InsufficientFunds("x {}")).reason == "insufficient-margin"
    assert _classify(ccxt.InvalidOrder("binanceusdm amount must be greater than minimum")).reason == "other"
    # the key never reaches the message
    leak = _classify(ccxt.InvalidOrder('binanceusdm {"code":-2010,"msg":"rejected for venue-key-1"}'))
    assert "venue-key-1" not in str(leak) and leak.reason == "other"


@pytest.mark.parametrize("exc", [
    ccxt.RequestTimeout("binanceusdm POST https://fapi.binance.com/fapi/v1/order timed out"),
    ccxt.NetworkError('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}'),  # transport: unknown
    ccxt.ExchangeNotAvailable("okx 503"),
    ccxt.OrderNotFound('binanceusdm {"code":-2013,"msg":"Order does not exist."}'),
    ccxt.AuthenticationError('binanceusdm {"code":-2015,"msg":"Invalid API-key"}'),
    ccxt.ExchangeError("bybit something else"),
    ValueError("not a ccxt error"),
])
def test_transport_and_other_failures_are_never_rejections(exc):
    assert _classify(exc) is None


def test_unknown_outcome_codes_become_timeouts():
    for venue, text in [("binance-coinm", 'binancecoinm {"code":-1006,"msg":"Execution status unknown."}'),
                        ("bybit-inverse", 'bybit {"retCode":10016,"retMsg":"Server error"}')]:
        out = _classify(ccxt.ExchangeError(text), venue)
        assert isinstance(out, VenueTimeout) and not isinstance(out, OrderRejected)


def test_key_in_environment_never_appears_in_order_output(monkeypatch, caplog, capsys):
    key, secret = "LEAKCHECK-key-3f9e21", "LEAKCHECK-secret-8a7b6c"
    monkeypatch.setenv("LEAK_API_KEY", key)
    monkeypatch.setenv("LEAK_API_SECRET", secret)
    caplog.set_level(logging.DEBUG)  # ccxt logs every request with its headers (the key) at DEBUG
    client = make_client(AccountConfig(name="main", venue="binance-usdm", key_env="LEAK"), rate_limit=False)
    texts: list[str] = []
    # venues echo what they were sent: the key in a rejection text, the secret in a body dump
    answers = [
        {"status": 400, "json": {"code": -2019, "msg": f"Margin is insufficient. key {key}"}},
        {"status": 400, "json": {"code": -1007, "msg": f"Timeout waiting for response {secret}"}},
        {"status": 400, "json": {"code": -2010, "msg": f"Order would trigger immediately. {key}"}},
        {"status": 503, "body": f"upstream {secret} X-MBX-APIKEY: {key}"},
        {"body": requests.exceptions.ReadTimeout(f"timeout {key}")},
    ]
    for answer in answers:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            stub_venue(rsps, "binance-usdm")
            rsps.add("POST", _url("/fapi/v1/order"), **answer)
            with pytest.raises(VenueError) as err:
                place_order(client, _limit("BTCUSDT", 0.01))
            texts += [str(err.value), repr(err.value), str(err.value.args), err.value.detail]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, "binance-usdm")
        _add(rsps, "binance-usdm", "DELETE", "/fapi/v1/order", "order-cancel.json")
        result = cancel_order(client, "BTCUSDT", CID)
        texts += [repr(result), json.dumps(result.to_dict())]
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text] + [r.getMessage() for r in caplog.records]
    blob = "\n".join(texts)
    assert key not in blob and secret not in blob
    assert "***" in blob  # the scrubbing did happen (the venue echoed the key)
