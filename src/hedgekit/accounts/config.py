"""The ``accounts:`` section of a book file: which venue accounts to read, and where their keys are.

API keys never live in the book file: ``key_env: BINANCE`` reads ``BINANCE_API_KEY`` /
``BINANCE_API_SECRET`` (/ ``BINANCE_PASSWORD``) from the environment, ``keyring: hedgekit/bybit``
reads them from the OS keyring (see :mod:`hedgekit.accounts.credentials`). Errors name the entry
and the field: ``accounts[2].api_url: must be http(s)://host[:port] with nothing else``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)

from hedgekit._validation import from_validation_error
from hedgekit.errors import InputError
from hedgekit.venues import venue_names

__all__ = ["PAPER_VENUE", "AccountConfig", "parse_accounts", "validate_api_url"]

PAPER_VENUE = "paper"  # the executor's simulated venue (hedgekit.execution.paper); no keys

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENV_PREFIX = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")
_URL_RULE = "must be http(s)://host[:port] with nothing else"


def validate_api_url(url: str) -> str:
    """``url`` as ``scheme://host[:port]`` (a trailing ``/`` is dropped); ValueError otherwise.

    Anything beyond scheme, host and port (a path, query, fragment or user name) is refused:
    ``api_url`` replaces only those three parts of every REST endpoint and keeps the paths.
    """
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError:
        raise ValueError(_URL_RULE) from None
    host = parts.hostname or ""
    bracketed = parts.netloc.rsplit("@", 1)[-1].startswith("[")
    ok = (parts.scheme in ("http", "https") and host and parts.username is None
          and parts.path in ("", "/") and not parts.query and not parts.fragment
          and "?" not in text and "#" not in text
          and (bracketed or _HOST.match(host)))
    if not ok:
        raise ValueError(_URL_RULE)
    netloc = f"[{host}]" if bracketed else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


class AccountConfig(BaseModel):
    """One venue account, read-only.

    Attributes:
        name: unique label of the account in the book (``main``).
        venue: a :mod:`hedgekit.venues` preset name (``binance-usdm``, ``okx``...) or ``paper``.
        key_env: environment-variable prefix: ``PREFIX_API_KEY``, ``PREFIX_API_SECRET`` and, where
            the venue needs one, ``PREFIX_PASSWORD`` (OKX passphrase). Hyperliquid and dYdX are
            read by wallet address: ``PREFIX_WALLET_ADDRESS`` (``PREFIX_PRIVATE_KEY`` optional).
        keyring: OS-keyring service holding the same entries under the user names ``api_key``,
            ``api_secret``, ``password``, ``wallet_address``, ``private_key``.
        testnet: use the venue's testnet (ccxt sandbox mode).
        api_url: ``http(s)://host[:port]`` replacing scheme, host and port of every REST endpoint
            of the venue (a gateway, a proxy, a local test server); paths are kept.
        base: paper accounts only: the venue preset whose contracts, fees, lots and limits the
            paper venue simulates (``binance-usdm``).
        cash: paper accounts only: the starting balances, ``{USDT: 100000}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    venue: str
    key_env: str | None = None
    keyring: str | None = None
    testnet: bool = False
    api_url: str | None = None
    base: str | None = None
    cash: dict[str, float] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise InputError("", "must be letters, digits, '_', '.' or '-' (no spaces)", v)
        return v

    @field_validator("venue")
    @classmethod
    def _venue(cls, v: str) -> str:
        key = v.strip().lower()
        valid = [*venue_names(), PAPER_VENUE]
        if key not in valid:
            raise InputError("", f"unknown venue; one of {', '.join(valid)}", v)
        return key

    @field_validator("key_env")
    @classmethod
    def _key_env(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_PREFIX.match(v):
            raise InputError("", "must be an upper-case environment-variable prefix such as BINANCE", v)
        return v

    @field_validator("keyring")
    @classmethod
    def _keyring(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise InputError("", "must name a keyring service such as hedgekit/bybit", v)
        return v

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            return validate_api_url(v)
        except ValueError as exc:  # a URL may carry user:password@: never echo it
            raise InputError("", str(exc), v, show_value="@" not in str(v)) from None

    @field_validator("base")
    @classmethod
    def _base(cls, v: str | None) -> str | None:
        if v is None:
            return None
        key = v.strip().lower()
        if key not in venue_names():
            raise InputError("", f"unknown venue; one of {', '.join(venue_names())}", v)
        return key

    @field_validator("cash")
    @classmethod
    def _cash(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return None
        for currency, amount in v.items():
            if not amount >= 0 or amount == float("inf"):
                raise InputError(str(currency), "must be a finite amount >= 0", amount)
        return {str(k).strip().upper(): float(a) for k, a in v.items()}

    @model_validator(mode="after")
    def _one_key_source(self) -> AccountConfig:
        if self.venue == PAPER_VENUE:
            return self  # base is checked when the paper venue is used (hedgekit rebalance)
        for name in ("base", "cash"):
            if getattr(self, name) is not None:
                raise InputError(name, f"only paper accounts (venue: paper) take {name}",
                                 show_value=False)
        if self.key_env is None and self.keyring is None:
            raise InputError("key_env", "give key_env (environment-variable prefix) or keyring",
                             show_value=False)
        if self.key_env is not None and self.keyring is not None:
            raise InputError("keyring", "give key_env or keyring, not both", show_value=False)
        return self

    @property
    def is_paper(self) -> bool:
        return self.venue == PAPER_VENUE

    @property
    def trading_venue(self) -> str:
        """The venue preset whose contracts this account trades (a paper account's ``base``)."""
        return self.base if self.is_paper and self.base is not None else self.venue


def _error(exc: ValidationError, index: int) -> InputError:
    """The first problem of entry ``index`` in the one wording of :mod:`hedgekit._validation`;
    the value of an unknown field is never echoed (a key pasted into the book file must not
    reach the terminal)."""
    error = from_validation_error(exc, f"accounts[{index}]")
    if exc.errors(include_url=False)[0]["type"] == "extra_forbidden":
        return InputError(error.field, "unknown field (keys go in the environment or the keyring)",
                          show_value=False)
    return error


def parse_accounts(data: Any) -> tuple[AccountConfig, ...]:
    """Validate the ``accounts:`` list of a book file (``None`` = no accounts).

    The first problem raises :class:`InputError` naming ``accounts[i].field``; account names
    must be unique.
    """
    if data is None:
        return ()
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise InputError("accounts", "must be a list of accounts", data)
    out: list[AccountConfig] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise InputError(f"accounts[{i}]", "must be a mapping with name and venue", entry)
        try:
            out.append(AccountConfig.model_validate(entry))
        except ValidationError as exc:
            raise _error(exc, i) from None
    names = [a.name for a in out]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise InputError(f"accounts[{i}].name", "must be unique", name)
    return tuple(out)
