"""The accounts: section of a book file and the keys it points to (no network)."""

from __future__ import annotations

import pytest

from hedgekit.accounts.config import AccountConfig, parse_accounts, validate_api_url
from hedgekit.accounts.credentials import (
    Redactor,
    Secret,
    credential_specs,
    redact,
    resolve_credentials,
)
from hedgekit.errors import InputError
from hedgekit.venues import venue_names


def _one(**kw):
    return parse_accounts([{"name": "main", "venue": "binance-usdm", "key_env": "BINANCE", **kw}])[0]


def test_issue_example_parses():
    accounts = parse_accounts([
        {"name": "main", "venue": "binance-usdm", "key_env": "BINANCE"},
        {"name": "coinm", "venue": "binance-coinm", "key_env": "BINANCE"},
        {"name": "by", "venue": "bybit-linear", "keyring": "hedgekit/bybit", "testnet": True},
        {"name": "gw", "venue": "okx", "key_env": "OKX", "api_url": "http://127.0.0.1:9000"},
    ])
    assert [a.name for a in accounts] == ["main", "coinm", "by", "gw"]
    assert accounts[2].testnet is True and accounts[2].keyring == "hedgekit/bybit"
    assert accounts[3].api_url == "http://127.0.0.1:9000"


def test_every_preset_venue_and_paper_are_accepted():
    for venue in venue_names():
        assert _one(venue=venue).venue == venue
    assert parse_accounts([{"name": "p", "venue": "paper"}])[0].is_paper


def test_unknown_venue_lists_the_valid_ones():
    with pytest.raises(InputError) as err:
        parse_accounts([{"name": "a", "venue": "binance-usdm", "key_env": "B"},
                        {"name": "b", "venue": "kraken", "key_env": "K"}])
    text = str(err.value)
    assert text.startswith("accounts[1].venue: unknown venue; one of ")
    assert "binance-usdm" in text and "paper" in text and "'kraken'" in text


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9000/fapi", "http://127.0.0.1:9000?x=1", "ftp://host", "127.0.0.1:9000",
    "http://host:99999", "http://host#frag", "http://", "https://bad host",
])
def test_malformed_api_url_names_the_entry(url):
    with pytest.raises(InputError) as err:
        parse_accounts([{"name": "a", "venue": "okx", "key_env": "OKX"},
                        {"name": "b", "venue": "okx", "key_env": "OKX", "api_url": url}])
    assert str(err.value).startswith("accounts[1].api_url: must be http(s)://host[:port] with nothing else")


def test_api_url_with_a_password_is_refused_without_echoing_it():
    with pytest.raises(InputError) as err:
        _one(api_url="http://user:hunter2@127.0.0.1:9000")
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(("url", "norm"), [
    ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ("https://gateway.example.com/", "https://gateway.example.com"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("HTTP://localhost", "http://localhost"),
])
def test_good_api_urls(url, norm):
    assert validate_api_url(url) == norm


def test_key_source_rules():
    with pytest.raises(InputError, match=r"^accounts\[0\]\.key_env: give key_env"):
        parse_accounts([{"name": "a", "venue": "okx"}])
    with pytest.raises(InputError, match=r"^accounts\[0\]\.keyring: give key_env or keyring, not both"):
        parse_accounts([{"name": "a", "venue": "okx", "key_env": "O", "keyring": "s"}])
    with pytest.raises(InputError, match=r"^accounts\[0\]\.key_env: must be an upper-case"):
        _one(key_env="binance")


def test_unknown_field_is_named_but_its_value_is_not_echoed():
    with pytest.raises(InputError) as err:
        _one(api_secret="s3cr3t-value")
    assert str(err.value).startswith("accounts[0].api_secret: unknown field")
    assert "s3cr3t-value" not in str(err.value)


def test_names_unique_and_required():
    with pytest.raises(InputError, match=r"^accounts\[1\]\.name: must be unique"):
        parse_accounts([{"name": "a", "venue": "okx", "key_env": "O"}, {"name": "a", "venue": "okx", "key_env": "O"}])
    with pytest.raises(InputError, match=r"^accounts\[0\]\.name: is required"):
        parse_accounts([{"venue": "okx", "key_env": "O"}])
    with pytest.raises(InputError, match=r"^accounts: must be a list"):
        parse_accounts({"name": "a"})
    assert parse_accounts(None) == ()


# ----------------------------------------------------------------------------- credentials
def test_env_keys_resolve_into_secrets():
    cfg = _one()
    creds = resolve_credentials(cfg, 0, environ={"BINANCE_API_KEY": "k-123", "BINANCE_API_SECRET": "s-456"})
    assert creds.ccxt_config() == {"apiKey": "k-123", "secret": "s-456"}  # password optional, absent
    assert "k-123" not in repr(creds) and "s-456" not in repr(creds)


def test_missing_key_variable_names_entry_field_and_variable():
    cfg = parse_accounts([{"name": "a", "venue": "okx", "key_env": "OKX"},
                          {"name": "b", "venue": "okx", "key_env": "OKX"},
                          {"name": "c", "venue": "binance-usdm", "key_env": "BINANCE"}])[2]
    with pytest.raises(InputError) as err:
        resolve_credentials(cfg, 2, environ={"BINANCE_API_SECRET": "x"})
    assert str(err.value) == "accounts[2].key_env: environment variable BINANCE_API_KEY is not set"


def test_okx_needs_its_passphrase_and_empty_values_count_as_missing():
    cfg = AccountConfig(name="o", venue="okx", key_env="OKX")
    env = {"OKX_API_KEY": "k", "OKX_API_SECRET": "s"}
    with pytest.raises(InputError, match="OKX_PASSWORD is not set"):
        resolve_credentials(cfg, 0, environ=env)
    with pytest.raises(InputError, match="OKX_PASSWORD is empty"):
        resolve_credentials(cfg, 0, environ={**env, "OKX_PASSWORD": "  "})
    assert resolve_credentials(cfg, 0, environ={**env, "OKX_PASSWORD": "p"}).ccxt_config()["password"] == "p"


def test_hyperliquid_reads_by_wallet_address():
    assert [s.ccxt_name for s in credential_specs("hyperliquid")] == ["walletAddress", "privateKey"]
    cfg = AccountConfig(name="h", venue="hyperliquid", key_env="HL")
    creds = resolve_credentials(cfg, 0, environ={"HL_WALLET_ADDRESS": "0xabc"})
    assert creds.ccxt_config() == {"walletAddress": "0xabc"}
    with pytest.raises(InputError, match="HL_WALLET_ADDRESS is not set"):
        resolve_credentials(cfg, 0, environ={"HL_PRIVATE_KEY": "0x1"})


def test_credential_table_matches_ccxt_required_credentials():
    ccxt = pytest.importorskip("ccxt")
    from hedgekit.venues import get_venue
    for venue in venue_names():
        cls = getattr(ccxt, get_venue(venue).ccxt_id, None)
        if cls is None or venue in ("hyperliquid", "dydx"):  # read by address; signing keys not needed
            continue
        needed = {k for k, v in cls().requiredCredentials.items() if v}
        ours = {s.ccxt_name for s in credential_specs(venue) if s.required}
        assert needed == ours, venue


def test_keyring_lookup_uses_service_and_user_names():
    cfg = AccountConfig(name="by", venue="bybit-linear", keyring="hedgekit/bybit")
    store = {("hedgekit/bybit", "api_key"): "KK", ("hedgekit/bybit", "api_secret"): "SS"}
    creds = resolve_credentials(cfg, 3, keyring_get=lambda s, u: store.get((s, u)))
    assert creds.ccxt_config() == {"apiKey": "KK", "secret": "SS"}
    with pytest.raises(InputError) as err:
        resolve_credentials(cfg, 3, keyring_get=lambda s, u: None)
    assert str(err.value) == "accounts[3].keyring: no 'api_key' entry in keyring service 'hedgekit/bybit'"


def test_keyring_package_missing_is_a_clear_error(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_keyring(name, *a, **k):
        if name == "keyring":
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_keyring)
    cfg = AccountConfig(name="by", venue="bybit-linear", keyring="hedgekit/bybit")
    with pytest.raises(InputError, match=r"accounts\[0\]\.keyring: the keyring package is not installed"):
        resolve_credentials(cfg, 0)


def test_secret_never_shows_its_value():
    s = Secret("tok-9f8e", "X_API_KEY")
    assert "tok-9f8e" not in repr(s) + str(s) + f"{s}" + f"{s!r}" + str([s]) + str({"k": s})
    assert s.reveal() == "tok-9f8e"
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(s)


def test_redactor_scrubs_raw_encoded_and_signature_forms():
    secret = "a+b/c=d&e"
    text = (f"GET https://x/y?apiKey={secret}&signature=0f04368b2d&timestamp=1 "
            f"body {{\"key\": \"{secret}\"}} enc a%2Bb%2Fc%3Dd%26e plus a%2Bb%2Fc%3Dd%26e "
            "headers {'X-MBX-APIKEY': 'HEADERVAL'}")
    out = Redactor([secret]).scrub(text)
    assert secret not in out and "a%2Bb%2Fc%3Dd%26e" not in out
    assert "0f04368b2d" not in out and "HEADERVAL" not in out
    assert "timestamp=1" in out  # the rest of the line stays readable
    assert redact("my key is KEY-1", ["KEY-1"]) == "my key is ***"
