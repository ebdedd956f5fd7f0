"""The one place hedgekit builds a ccxt exchange for an account, and turns its failures into
hedgekit errors.

:func:`make_client` builds the sync ccxt client of an :class:`~hedgekit.accounts.config.AccountConfig`
(class from :func:`hedgekit.venues.get_venue`, linear/inverse market type, testnet through ccxt's
sandbox mode, ``api_url`` replacing scheme, host and port of every REST endpoint, a timeout).
:meth:`AccountClient.call` runs one ccxt method and classifies any failure as a
:class:`~hedgekit.accounts.errors.VenueError` whose one-line message has every secret scrubbed.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import ccxt  # type: ignore[import-untyped]

from hedgekit.accounts.config import AccountConfig, validate_api_url
from hedgekit.accounts.credentials import Credentials, Redactor, resolve_credentials
from hedgekit.accounts.errors import (
    UnknownSymbol,
    VenueAuthError,
    VenueError,
    VenueRateLimited,
    VenueTimeout,
    VenueUnavailable,
)
from hedgekit.errors import InputError
from hedgekit.venues import get_venue

__all__ = ["DEFAULT_TIMEOUT", "AccountClient", "classify_error", "make_client", "rewrite_api_urls"]

DEFAULT_TIMEOUT = 10.0  # seconds per HTTP request

_BINANCE = {
    "fetchMargins": False,  # margin pairs come from the spot API, which a futures key may not reach
    "warnOnFetchOpenOrdersWithoutSymbol": False,  # one call for all symbols is what we want
}

# ccxt options per hedgekit venue: the market type a preset trades (so positions, tickers and
# balances default to it) and the market lists load_markets fetches (only the preset's kind).
_OPTIONS: dict[str, dict[str, Any]] = {
    "binance-usdm": _BINANCE,
    "binance-coinm": _BINANCE,
    "bybit-linear": {"defaultType": "swap", "defaultSubType": "linear",
                     "fetchMarkets": {"types": ["linear"]}},
    "bybit-inverse": {"defaultType": "swap", "defaultSubType": "inverse",
                      "fetchMarkets": {"types": ["inverse"]}},
    "okx": {"defaultType": "swap", "fetchMarkets": {"types": ["swap", "future"]}},
    "deribit": {"defaultType": "swap"},
    "hyperliquid": {"defaultType": "swap", "fetchMarkets": {"types": ["swap"]}},
    "dydx": {"defaultType": "swap"},
    "bitmex": {"defaultType": "swap"},
}

_ONE_LINE = 240  # longest venue detail kept in a message


def rewrite_api_urls(urls: Any, base_url: str) -> Any:
    """``urls`` (ccxt ``exchange.urls['api']``: nested dicts/lists of strings) with the scheme,
    host and port of every ``http(s)://`` URL replaced by those of ``base_url``; paths, queries
    and non-HTTP entries (websockets) are kept.

    >>> rewrite_api_urls({"fapiPrivate": "https://fapi.binance.com/fapi/v1"}, "http://127.0.0.1:9000")
    {'fapiPrivate': 'http://127.0.0.1:9000/fapi/v1'}
    """
    base = urlsplit(validate_api_url(base_url))
    if isinstance(urls, Mapping):
        return {k: rewrite_api_urls(v, base_url) for k, v in urls.items()}
    if isinstance(urls, list | tuple):
        return type(urls)(rewrite_api_urls(v, base_url) for v in urls)
    if isinstance(urls, str) and urls.lower().startswith(("http://", "https://")):
        # ccxt templates such as "https://api.{hostname}/v5" split like any URL
        parts = urlsplit(urls)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
    return urls


class _ScrubLogs(logging.Filter):
    """Scrubs every registered client's secrets from log records: ccxt logs each request with
    its headers (the API key) at DEBUG, and urllib3 logs each URL."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._redactor = Redactor()

    def register(self, redactor: Redactor) -> None:
        with self._lock:
            self._redactor = self._redactor.merged(redactor)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = self._redactor.scrub(text)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


_LOG_SCRUBBER = _ScrubLogs()
for _name in ("ccxt.base.exchange", "ccxt", "urllib3.connectionpool"):
    logging.getLogger(_name).addFilter(_LOG_SCRUBBER)


def _detail(exc: BaseException, redactor: Redactor) -> str:
    text = " ".join(redactor.scrub(exc).split())
    return text if len(text) <= _ONE_LINE else text[: _ONE_LINE - 3] + "..."


def classify_error(exc: BaseException, *, account: str, venue: str, redactor: Redactor,
                   call: str = "", timeout: float | None = None) -> VenueError:
    """The hedgekit error for a failed ccxt call: timeout, rate limit, venue down, key refused,
    unknown symbol or a generic venue error; one line, secrets scrubbed."""
    detail = _detail(exc, redactor)
    kw = {"call": call}
    if isinstance(exc, ccxt.RequestTimeout):
        after = f" after {timeout:g} s" if timeout else ""
        return VenueTimeout(account, venue, f"timed out{after}; the venue is slow or unreachable", **kw)
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return VenueRateLimited(account, venue, "rate limit hit (HTTP 429); wait a minute and retry "
                                f"[{detail}]", **kw)
    if isinstance(exc, ccxt.AuthenticationError | ccxt.PermissionDenied | ccxt.AccountNotEnabled
                  | ccxt.AccountSuspended):
        return VenueAuthError(account, venue, "API key refused: check the key, secret, read "
                              f"permission and IP whitelist [{detail}]", **kw)
    if isinstance(exc, ccxt.BadSymbol):
        return UnknownSymbol(account, venue, f"unknown symbol [{detail}]", **kw)
    if isinstance(exc, ccxt.OnMaintenance | ccxt.ExchangeNotAvailable):
        return VenueUnavailable(account, venue, f"venue unavailable (HTTP 5xx or maintenance) [{detail}]",
                                **kw)
    if isinstance(exc, ccxt.NetworkError):
        return VenueUnavailable(account, venue, f"network error [{detail}]", **kw)
    if isinstance(exc, ccxt.BaseError):
        return VenueError(account, venue, f"venue error [{detail}]", **kw)
    return VenueError(account, venue, f"unexpected answer ({type(exc).__name__}: {detail})", **kw)


@dataclass(frozen=True, eq=False, slots=True)
class AccountClient:
    """A ccxt exchange bound to one account. ``call`` is the only way to use it."""

    config: AccountConfig
    index: int
    venue: str
    exchange: Any
    redactor: Redactor
    timeout: float = DEFAULT_TIMEOUT

    @property
    def account(self) -> str:
        return self.config.name

    def has(self, feature: str) -> bool:
        """Whether ccxt implements ``feature`` (e.g. ``fetchLeverageTiers``) for this venue."""
        return bool(self.exchange.has.get(feature))

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``exchange.<method>(*args, **kwargs)``; any failure raises a classified VenueError
        (raised outside the ``except`` block, so ccxt's unredacted exception is not chained)."""
        return self.call_refined(None, method, *args, **kwargs)

    def call_refined(self, refine: Callable[[BaseException], VenueError | None] | None, method: str,
                     *args: Any, **kwargs: Any) -> Any:
        """As :meth:`call`, but ``refine(exc)`` may first turn ccxt's exception into a more
        specific VenueError (an order rejection read off the venue's error code); when it
        returns None the generic classification applies."""
        fn = getattr(self.exchange, method)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - ccxt errors and parse failures on odd bodies alike
            error = (refine(exc) if refine is not None else None) or classify_error(
                exc, account=self.account, venue=self.venue, redactor=self.redactor, call=method,
                timeout=self.timeout)
        raise error

    def scrub(self, text: object) -> str:
        return self.redactor.scrub(text)

    def __repr__(self) -> str:
        return f"AccountClient(account={self.account!r}, venue={self.venue!r})"


def make_client(config: AccountConfig, *, index: int = 0, credentials: Credentials | None = None,
                environ: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                rate_limit: bool = True) -> AccountClient:
    """Build the ccxt client of ``config`` (entry ``index`` of the book's ``accounts:``).

    Keys come from ``credentials`` or are resolved from ``environ``/the keyring. Markets are not
    loaded here (that is network I/O; see :func:`hedgekit.accounts.fetch.load_instruments`).
    ``rate_limit`` keeps ccxt's own pacing between calls (weight-based on Binance: an all-symbol
    ticker call waits 2 s); turn it off only for a local server or a gateway that paces itself.
    Raises :class:`InputError` naming ``accounts[i].<field>`` for a missing key, a venue this
    ccxt lacks, or a testnet ccxt does not offer.
    """
    where = f"accounts[{index}]"
    if config.is_paper:
        raise InputError(f"{where}.venue", "paper accounts are not available yet", config.venue)
    if not timeout > 0:
        raise InputError("timeout", "must be > 0", timeout)
    preset = get_venue(config.venue)
    cls = getattr(ccxt, preset.ccxt_id, None)
    if cls is None:
        raise InputError(f"{where}.venue", f"ccxt {ccxt.__version__} has no exchange class "
                         f"{preset.ccxt_id!r}", config.venue)
    creds = credentials if credentials is not None else resolve_credentials(config, index, environ=environ)
    redactor = creds.redactor()
    _LOG_SCRUBBER.register(redactor)
    settings: dict[str, Any] = {
        **creds.ccxt_config(),
        "timeout": round(timeout * 1000),  # ccxt wants ms
        "enableRateLimit": rate_limit,
        "options": copy.deepcopy(_OPTIONS.get(preset.name, {})),
    }
    try:
        exchange = cls(settings)
    except Exception as exc:  # noqa: BLE001 - ccxt validates options its own way
        raise InputError(where, f"cannot build the ccxt client ({_detail(exc, redactor)})",
                         None, show_value=False) from None
    # Currencies are not needed to read positions, and some venues list them on a private
    # endpoint a read-only futures key may not reach.
    exchange.has["fetchCurrencies"] = False
    if config.testnet:
        try:
            exchange.set_sandbox_mode(True)
        except Exception as exc:  # noqa: BLE001 - NotSupported, or a KeyError where urls['test'] is missing
            raise InputError(f"{where}.testnet", f"{preset.ccxt_id} has no testnet in ccxt "
                             f"({_detail(exc, redactor)})", True) from None
    if config.api_url is not None:
        exchange.urls["api"] = rewrite_api_urls(exchange.urls["api"], config.api_url)
    return AccountClient(config=config, index=index, venue=preset.name, exchange=exchange,
                         redactor=redactor, timeout=timeout)
