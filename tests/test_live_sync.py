"""``sync_book`` over several accounts: one venue failing never stops the others, and an account
whose reads did not all succeed writes nothing (issue 10). Venue answers are the docs' bodies
stubbed at the HTTP transport (tests/fixtures/venues); no network."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
import responses
from venue_stubs import stub_venue

from hedgekit.accounts.client import make_client
from hedgekit.live.cache import load_account, load_market, snapshot_dir
from hedgekit.live.sync import sync_book
from hedgekit.portfolio import parse_portfolio

ENV = {"BN_API_KEY": "bn-key-0001", "BN_API_SECRET": "bn-secret-0002",
       "BY_API_KEY": "by-key-0003", "BY_API_SECRET": "by-secret-0004"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def book():
    return parse_portfolio({
        "holdings": [{"asset": "BTC", "amount": 1}], "prices": {"BTC": 60_000},
        "accounts": [{"name": "main", "venue": "binance-usdm", "key_env": "BN"},
                     {"name": "by", "venue": "bybit-linear", "key_env": "BY"}]})


def factory(cfg, *, index, environ):
    return make_client(cfg, index=index, environ=environ, rate_limit=False, timeout=2)


@pytest.mark.parametrize(("failure", "kind"), [
    (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
    (503, "unavailable"),
    (429, "rate-limit"),
])
def test_a_failing_venue_is_reported_and_the_others_still_sync(tmp_path, failure, kind):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, "binance-usdm")
        anything_bybit = re.compile(r"^https?://[^/]*bybit[^/]*/.*$")
        if isinstance(failure, Exception):
            rsps.add(responses.GET, anything_bybit, body=failure)
        else:
            rsps.add(responses.GET, anything_bybit, status=failure, body="<html>unavailable</html>")
        seen = []
        report = sync_book(book(), data_dir=tmp_path, environ=ENV, now=NOW, client_factory=factory,
                           progress=seen.append)
    main, by = report.accounts
    assert main.ok and main.positions == 3 and not report.ok
    assert not by.ok and by.error_kind == kind and by.error.startswith("account by (bybit-linear)")
    assert [r.account for r in seen] == ["main", "by"]  # progress per account, in book order
    assert load_account("main", tmp_path) is not None and load_market("binance-usdm", tmp_path) is not None
    assert load_account("by", tmp_path) is None  # nothing written for the failed account
    for secret in ENV.values():
        assert secret not in repr(report.to_dict())


def test_an_account_whose_market_read_fails_writes_nothing(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, "binance-usdm", skip=("/fapi/v1/premiumIndex",))
        rsps.add(responses.GET, re.compile(r".*/fapi/v1/premiumIndex.*"), status=502, body="bad gateway")
        report = sync_book(book().model_copy(update={"accounts": book().accounts[:1]}),
                           data_dir=tmp_path, environ=ENV, now=NOW, client_factory=factory)
    (main,) = report.accounts
    assert not main.ok
    assert not (snapshot_dir(tmp_path) / "accounts").exists()  # the account read was not kept alone


def test_a_missing_key_stops_before_any_venue_is_called(tmp_path):
    env = {k: v for k, v in ENV.items() if not k.startswith("BY_")}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_venue(rsps, "binance-usdm")
        with pytest.raises(Exception, match=r"^accounts\[1\]\.key_env: environment variable BY_API_KEY"):
            sync_book(book(), data_dir=tmp_path, environ=env, now=NOW, client_factory=factory)
        assert len(rsps.calls) == 0
