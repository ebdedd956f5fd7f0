"""API keys: where they come from, how they are held, and how they are kept out of every text.

Keys are read from the environment (``key_env: BINANCE`` -> ``BINANCE_API_KEY``,
``BINANCE_API_SECRET``, ``BINANCE_PASSWORD``) or from the OS keyring (``keyring: hedgekit/bybit``
-> entries ``api_key``, ``api_secret``, ``password`` of that service; needs the optional
``keyring`` package: ``pip install 'hedgekit[live]'``). A value is wrapped in :class:`Secret`,
whose ``repr``/``str`` never show it, and every text that leaves :mod:`hedgekit.accounts`
passes through a :class:`Redactor` that scrubs each known secret (raw, URL-encoded and
JSON-escaped) and any signature or key header, because ccxt's errors can echo signed URLs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from hedgekit.accounts.config import AccountConfig
from hedgekit.errors import InputError

__all__ = [
    "REDACTED",
    "CredentialSpec",
    "Credentials",
    "Redactor",
    "Secret",
    "credential_specs",
    "redact",
    "resolve_credentials",
]

REDACTED = "***"


class Secret:
    """A credential value whose ``repr``/``str`` are redacted; :meth:`reveal` gives the value."""

    __slots__ = ("_value", "label")

    def __init__(self, value: str, label: str = "secret"):
        self._value = str(value)
        self.label = label  # where it came from, e.g. BINANCE_API_KEY (never the value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.label!r}, {REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, slots=True)
class CredentialSpec:
    """One credential a venue takes: ccxt's name for it, the env suffix / keyring user name,
    and whether reading the account needs it."""

    ccxt_name: str   # apiKey, secret, password, walletAddress, privateKey
    suffix: str      # API_KEY -> env PREFIX_API_KEY, keyring user "api_key"
    required: bool

    @property
    def keyring_user(self) -> str:
        return self.suffix.lower()


_KEY = CredentialSpec("apiKey", "API_KEY", True)
_SECRET = CredentialSpec("secret", "API_SECRET", True)
_PASSWORD = CredentialSpec("password", "PASSWORD", False)
_WALLET = (CredentialSpec("walletAddress", "WALLET_ADDRESS", True),
           # reading needs the address only; the key is for signing orders (not done here)
           CredentialSpec("privateKey", "PRIVATE_KEY", False))

_VENUE_SPECS: dict[str, tuple[CredentialSpec, ...]] = {
    "okx": (_KEY, _SECRET, CredentialSpec("password", "PASSWORD", True)),  # OKX API passphrase
    "hyperliquid": _WALLET,
    "dydx": _WALLET,
    "paper": (),
}


def credential_specs(venue: str) -> tuple[CredentialSpec, ...]:
    """The credentials of ``venue`` (a preset name): API key + secret (+ optional password) for
    key-signed venues, the passphrase required on OKX, a wallet address on Hyperliquid and dYdX."""
    return _VENUE_SPECS.get(venue, (_KEY, _SECRET, _PASSWORD))


@dataclass(frozen=True, slots=True)
class Credentials:
    """The resolved credentials of one account: ccxt name -> :class:`Secret`."""

    account: str
    values: Mapping[str, Secret] = field(default_factory=dict)

    def ccxt_config(self) -> dict[str, str]:
        """``{"apiKey": ..., "secret": ...}`` for the ccxt constructor (the only place values are revealed)."""
        return {name: s.reveal() for name, s in self.values.items()}

    def redactor(self) -> Redactor:
        return Redactor(s.reveal() for s in self.values.values())

    def __repr__(self) -> str:
        return f"Credentials(account={self.account!r}, names={sorted(self.values)!r})"


# A signature or key in a query string, a header or a JSON body: keep the name, drop the value.
_SIGNED = re.compile(
    r"(?i)((?:signature|sign|api[-_]?key|apikey|x-mbx-apikey|x-bapi-api-key|x-bapi-sign|ok-access-key|"
    r"ok-access-sign|ok-access-passphrase|passphrase|secret|private[-_]?key|access[-_]?token)"
    r"[\"']?\s*[=:]\s*[\"']?)([^&\s\"',;}]+)")


class Redactor:
    """Scrubs known secrets from text: each secret raw, URL-encoded and JSON-escaped, plus any
    ``signature=...``/key header value, replaced by ``***``."""

    def __init__(self, secrets: Iterable[str] = ()):
        forms: set[str] = set()
        for s in secrets:
            s = str(s)
            if not s:
                continue
            forms.update({s, quote(s, safe=""), quote_plus(s), json.dumps(s)[1:-1]})
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: object) -> str:
        return self.scrub(text)

    def scrub(self, text: object) -> str:
        out = str(text)
        for form in self._forms:
            out = out.replace(form, REDACTED)
        return _SIGNED.sub(lambda m: m.group(1) + REDACTED, out)

    def merged(self, other: Redactor) -> Redactor:
        both = Redactor()
        both._forms = sorted(set(self._forms) | set(other._forms), key=len, reverse=True)
        return both


def redact(text: object, secrets: Iterable[str | Secret] = ()) -> str:
    """``text`` with every secret in ``secrets`` (and any signature/key value) replaced by ``***``."""
    return Redactor(s.reveal() if isinstance(s, Secret) else s for s in secrets).scrub(text)


def _keyring_get(service: str, user: str, where: str) -> str | None:
    try:
        import keyring  # type: ignore[import-not-found]  # optional extra "live"
    except ImportError:
        raise InputError(where, "the keyring package is not installed (pip install 'hedgekit[live]')",
                         None, show_value=False) from None
    try:
        return keyring.get_password(service, user)
    except Exception as exc:  # noqa: BLE001 - a keyring backend error (locked, no backend): never includes a value
        raise InputError(where, f"keyring lookup failed ({type(exc).__name__})", None,
                         show_value=False) from None


def resolve_credentials(config: AccountConfig, index: int = 0, *,
                        environ: Mapping[str, str] | None = None,
                        keyring_get: Any = None) -> Credentials:
    """Read the keys of ``config`` (entry ``index`` of ``accounts:``) from the environment or keyring.

    ``environ`` defaults to ``os.environ``; ``keyring_get(service, user)`` defaults to the
    ``keyring`` package. A required value that is missing raises :class:`InputError` naming the
    entry, field and variable (``accounts[2].key_env: environment variable BINANCE_API_KEY is
    not set``); an optional one (``PASSWORD``) is skipped. Values are never part of a message.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Secret] = {}
    for spec in credential_specs(config.venue):
        if config.key_env is not None:
            where = f"accounts[{index}].key_env"
            var = f"{config.key_env}_{spec.suffix}"
            raw = env.get(var)
            label, missing = var, f"environment variable {var} is not set"
            if raw is not None and not raw.strip():
                missing = f"environment variable {var} is empty"
                raw = None
        else:
            where = f"accounts[{index}].keyring"
            service = str(config.keyring)
            raw = (keyring_get(service, spec.keyring_user) if keyring_get is not None
                   else _keyring_get(service, spec.keyring_user, where))
            label, missing = f"{service}:{spec.keyring_user}", (
                f"no {spec.keyring_user!r} entry in keyring service {service!r}")
            if raw is not None and not str(raw).strip():
                raw = None
        if raw is None:
            if spec.required:
                raise InputError(where, missing, None, show_value=False)
            continue
        values[spec.ccxt_name] = Secret(str(raw).strip(), label)
    return Credentials(account=config.name, values=values)
