"""The dashboard's rules of access, kept apart so they can be read (and tested) in one place.

* Without a token the server binds to loopback only (:func:`check_bind`) and is read-only.
* With a token (``HEDGEKIT_TOKEN``) every page asks for it once (``/login``); the browser then
  holds a session cookie that is an HMAC of the token with a per-process nonce (never the token
  itself, and void when the server restarts), HttpOnly and SameSite=Strict.
* An action (rebalance, halt) is a POST that must carry the session and a CSRF value derived
  from it, and come from the dashboard's own origin.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from hedgekit.errors import InputError

__all__ = ["MIN_TOKEN_LENGTH", "SESSION_COOKIE", "Guard", "check_bind", "is_loopback"]

SESSION_COOKIE = "hedgekit_session"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


MIN_TOKEN_LENGTH = 16


def check_bind(host: str, token: str | None, allow_actions: bool) -> None:
    """Refuse a non-loopback address without a token, actions without a token, and a token too
    short to resist guessing (the token itself is never echoed)."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise InputError("HEDGEKIT_TOKEN", f"must be at least {MIN_TOKEN_LENGTH} characters "
                         "(e.g. openssl rand -hex 24)", None, show_value=False)
    if not token and not is_loopback(host):
        raise InputError("--host", "binding to an address other than loopback (127.0.0.1, ::1, "
                         "localhost) needs a token: set HEDGEKIT_TOKEN", host)
    if allow_actions and not token:
        raise InputError("--allow-actions", "actions need a token: set HEDGEKIT_TOKEN", None,
                         show_value=False)


class Guard:
    """Session and CSRF values of one server process for ``token`` (None: open, read-only)."""

    def __init__(self, token: str | None) -> None:
        self.token = token or None
        self._nonce = secrets.token_bytes(32)

    @property
    def required(self) -> bool:
        return self.token is not None

    def _mac(self, *parts: str) -> str:
        assert self.token is not None
        msg = b"\x00".join([self._nonce, *(p.encode() for p in parts)])
        return hmac.new(self.token.encode(), msg, hashlib.sha256).hexdigest()

    def token_ok(self, given: str | None) -> bool:
        return self.token is not None and given is not None and hmac.compare_digest(
            given.encode(), self.token.encode())

    def new_session(self) -> str:
        return self._mac("session")

    def session_ok(self, cookie: str | None) -> bool:
        if self.token is None:
            return True
        return cookie is not None and hmac.compare_digest(cookie, self._mac("session"))

    def csrf_for(self, cookie: str | None) -> str:
        """The CSRF value a form of this session must send back ("" when there is no token)."""
        if self.token is None or cookie is None:
            return ""
        return self._mac("csrf", cookie)

    def csrf_ok(self, cookie: str | None, given: str | None) -> bool:
        if self.token is None or not cookie or not given:
            return False
        return hmac.compare_digest(given, self._mac("csrf", cookie))
