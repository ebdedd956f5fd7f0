"""The ccxt seam: api_url rewriting, error classification, secrets kept out of every text,
and one run against a real local HTTP server speaking Binance USD-M's REST API."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from venue_stubs import body, routes, stub_venue

from hedgekit.accounts import (
    VenueError,
    make_client,
    read_account,
    read_market,
    read_positions,
)
from hedgekit.accounts.client import rewrite_api_urls
from hedgekit.accounts.config import AccountConfig
from hedgekit.errors import InputError

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_rewrite_keeps_paths_and_non_http_entries():
    urls = {"rest": "https://{hostname}", "fapi": "https://fapi.binance.com/fapi/v1?x=1",
            "nested": {"a": ["https://api.bybit.com/v5", "wss://stream.bybit.com/v5"]}, "n": 3}
    out = rewrite_api_urls(urls, "http://127.0.0.1:9000/")
    assert out == {"rest": "http://127.0.0.1:9000", "fapi": "http://127.0.0.1:9000/fapi/v1?x=1",
                   "nested": {"a": ["http://127.0.0.1:9000/v5", "wss://stream.bybit.com/v5"]}, "n": 3}


@pytest.mark.parametrize("venue", ["binance-usdm", "binance-coinm", "bybit-linear", "bybit-inverse", "okx",
                                   "deribit", "hyperliquid"])
def test_api_url_reaches_every_rest_endpoint_of_each_venue(venue):
    env = {"K_API_KEY": "k", "K_API_SECRET": "s", "K_PASSWORD": "p", "K_WALLET_ADDRESS": "0x" + "1" * 40}
    client = make_client(AccountConfig(name="a", venue=venue, key_env="K", api_url="https://gw.local:8443"),
                         environ=env)

    def leaves(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from leaves(v)
        elif isinstance(x, str) and x.startswith("http"):
            yield x

    found = list(leaves(client.exchange.urls["api"]))
    assert found and all(u.startswith("https://gw.local:8443") for u in found)


def test_unavailable_venue_class_and_paper_are_input_errors():
    with pytest.raises(InputError, match=r"^accounts\[4\]\.venue: paper accounts are not available yet"):
        make_client(AccountConfig(name="p", venue="paper"), index=4)
    with pytest.raises(InputError, match=r"^accounts\[0\]\.key_env: environment variable NOPE_API_KEY"):
        make_client(AccountConfig(name="a", venue="okx", key_env="NOPE"), environ={})


# ------------------------------------------------------------------ secrets never leak
def test_key_in_environment_never_appears_in_any_output(monkeypatch, caplog, capsys):
    key, secret = "LEAKCHECK-key-7d1c9a", "LEAKCHECK-secret-55e0b3"
    monkeypatch.setenv("LEAK_API_KEY", key)
    monkeypatch.setenv("LEAK_API_SECRET", secret)
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    cfg = AccountConfig(name="main", venue="binance-usdm", key_env="LEAK", api_url="http://127.0.0.1:9000")
    client = make_client(cfg, rate_limit=False)
    texts += [repr(client), repr(cfg), str(cfg.model_dump())]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, "binance-usdm", host="http://127.0.0.1:9000")
        state = read_account(client, now=NOW)
        texts += [repr(state), json.dumps(state.to_dict())]
    # venues echo what they were sent: the key in the error text, the secret in a header dump
    answers = [
        {"status": 401, "json": {"code": -2015, "msg": f"Invalid API-key {key}, IP, or permissions"}},
        {"status": 429, "json": {"code": -1003, "msg": f"Too many requests for {key}"}},
        {"status": 503, "body": f"upstream {secret} X-MBX-APIKEY: {key}"},
        {"status": 400, "json": {"code": -1022, "msg": f"Signature for this request is not valid. {secret}"}},
        {"body": requests.exceptions.ConnectionError(f"refused https://x/?apiKey={key}&sig={secret}")},
        {"body": requests.exceptions.ReadTimeout(f"timeout {key}")},
    ]
    for answer in answers:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            stub_venue(rsps, "binance-usdm", host="http://127.0.0.1:9000", skip=("/fapi/v3/positionRisk",))
            rsps.add("GET", "http://127.0.0.1:9000/fapi/v3/positionRisk", **answer)
            with pytest.raises(VenueError) as err:
                read_positions(client, now=NOW)
            texts += [str(err.value), repr(err.value), str(err.value.args), err.value.detail]
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text] + [r.getMessage() for r in caplog.records]
    blob = "\n".join(texts)
    assert key not in blob and secret not in blob
    assert "***" in blob  # the scrubbing did happen (the venue echoed the key)


# ------------------------------------------------------------ a real local HTTP server
class _BinanceUSDM(BaseHTTPRequestHandler):
    """Serves the Binance USD-M docs bodies; signed endpoints check the key header and the
    HMAC-SHA256 signature of the query string (Binance 'SIGNED endpoint security' docs)."""

    key = "srv-key"
    secret = "srv-secret"
    signed = frozenset({"/fapi/v3/account", "/fapi/v3/positionRisk", "/fapi/v1/leverageBracket",
                        "/fapi/v1/openOrders"})
    seen: ClassVar[list[str]] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        parts = urlsplit(self.path)
        self.seen.append(parts.path)
        files = {r["path"]: r["file"] for r in routes("binance-usdm")}
        if parts.path not in files:
            return self._send(404, {"code": -1, "msg": "not found"})
        if parts.path in self.signed:
            query = dict(parse_qsl(parts.query))
            payload = parts.query.rsplit("&signature=", 1)[0]
            want = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
            if self.headers.get("X-MBX-APIKEY") != self.key or query.get("signature") != want:
                return self._send(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
        return self._send(200, body("binance-usdm", files[parts.path]))

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def local_binance():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BinanceUSDM)  # port 0: a free port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(30.0, server.shutdown)  # stops by itself if a test hangs
    watchdog.daemon = True
    watchdog.start()
    _BinanceUSDM.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_local_server_through_api_url(local_binance):
    cfg = AccountConfig(name="local", venue="binance-usdm", key_env="SRV", api_url=local_binance)
    client = make_client(cfg, environ={"SRV_API_KEY": "srv-key", "SRV_API_SECRET": "srv-secret"}, timeout=5,
                         rate_limit=False)
    state = read_account(client, now=NOW)
    # the same docs bodies as the stubbed tests: two BTCUSDT hedge legs and one ETHUSDT short
    assert [(p.symbol, p.side.value, p.contracts) for p in state.positions] == [
        ("BTCUSDT", "long", 0.001), ("BTCUSDT", "short", 0.002), ("ETHUSDT", "short", 0.5)]
    assert [(b.currency, b.total) for b in state.balances] == [("USDT", 23.72469206)]
    market = read_market(client, ["BTCUSDT"], now=NOW)
    assert market.quotes["BTCUSDT"].mark == 11793.63104562
    assert {"/fapi/v1/exchangeInfo", "/fapi/v3/account", "/fapi/v3/positionRisk"} <= set(_BinanceUSDM.seen)


def test_local_server_refuses_a_wrong_secret(local_binance):
    from hedgekit.accounts import VenueAuthError
    cfg = AccountConfig(name="local", venue="binance-usdm", key_env="SRV", api_url=local_binance)
    client = make_client(cfg, environ={"SRV_API_KEY": "srv-key", "SRV_API_SECRET": "wrong-secret"}, timeout=5,
                         rate_limit=False)
    with pytest.raises(VenueAuthError) as err:
        read_account(client, now=NOW)
    assert "wrong-secret" not in str(err.value)


# ccxt's load_markets, recorded call by call: only the preset's own market lists are fetched
# (no private currency lists a read-only futures key may not reach).
@pytest.mark.parametrize(("venue", "expected"), [
    ("binance-usdm", ["GET /fapi/v1/exchangeInfo"]),
    ("binance-coinm", ["GET /dapi/v1/exchangeInfo"]),
    ("bybit-linear", ["GET /v5/market/instruments-info?category=linear&limit=1000",
                      "GET /v5/market/instruments-info?category=linear&limit=1000&status=PreLaunch"]),
    ("bybit-inverse", ["GET /v5/market/instruments-info?category=inverse&limit=1000",
                       "GET /v5/market/instruments-info?category=inverse&limit=1000&status=PreLaunch"]),
    ("okx", ["GET /api/v5/public/instruments?instType=SWAP", "GET /api/v5/public/instruments?instType=FUTURES"]),
    ("deribit", ["GET /api/v2/public/get_instruments"]),
    ("hyperliquid", ['POST /info {"type":"metaAndAssetCtxs"}']),
])
def test_load_markets_endpoints_per_venue(venue, expected):
    from hedgekit.accounts import load_instruments
    env = {"K_API_KEY": "k", "K_API_SECRET": "s", "K_PASSWORD": "p", "K_WALLET_ADDRESS": "0x" + "1" * 40}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, venue)
        client = make_client(AccountConfig(name="a", venue=venue, key_env="K"), environ=env, rate_limit=False)
        instruments = load_instruments(client)
        seen = []
        for call in rsps.calls:
            parts = urlsplit(call.request.url)
            line = f"{call.request.method} {parts.path}" + (f"?{parts.query}" if parts.query else "")
            if call.request.body:
                body_text = call.request.body.decode() if isinstance(call.request.body, bytes) else call.request.body
                line += " " + body_text.replace(" ", "")
            seen.append(line)
    assert seen == expected
    assert instruments  # every venue's list parsed into at least one Instrument


def test_a_venue_this_ccxt_lacks_is_named():
    ccxt = pytest.importorskip("ccxt")
    if hasattr(ccxt, "bitmex"):
        pytest.skip("this ccxt ships bitmex")
    with pytest.raises(InputError, match=r"^accounts\[1\]\.venue: ccxt .* has no exchange class 'bitmex'"):
        make_client(AccountConfig(name="b", venue="bitmex", key_env="K"), index=1,
                    environ={"K_API_KEY": "k", "K_API_SECRET": "s"})
