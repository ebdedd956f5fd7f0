"""Deterministic client order ids: the same (book, plan, leg, child, attempt) always gives the
same id, so a restarted run finds at the venue what an earlier run sent instead of sending it
again.

Each venue restricts the id: Binance ``newClientOrderId`` ``^[\\.A-Z\\:/a-z0-9_-]{1,36}$``
(https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api),
OKX ``clOrdId`` letters and digits, 1-32 characters
(https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order), Hyperliquid a
128-bit hex ``cloid`` (``0x`` + 32 hex digits). :func:`client_order_id` takes the venue's
``(max length, allowed-characters regex)`` and returns the first of a few deterministic forms
that satisfies it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["ANY_ID", "book_key", "client_order_id", "digest"]

ANY_ID: tuple[int, str] = (64, r"[A-Za-z0-9_-]+")  # the paper venue takes any such id


def digest(*parts: object, length: int = 8) -> str:
    """``length`` hex digits of SHA-256 over ``parts`` (joined by ``|``)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:length]


def book_key(path: str | Path) -> str:
    """A book's id in the journal: its file name and a digest of its absolute path
    (``hedge-3f9a1c``), the same from any working directory."""
    p = Path(path)
    return f"{p.stem}-{digest(str(p.resolve()), length=6)}"


def client_order_id(book_id: str, plan_id: str, leg: int, child: int, attempt: int,
                    rules: tuple[int, str] = ANY_ID) -> str:
    """The id of child ``child`` of leg ``leg`` of plan ``plan_id`` of book ``book_id``, sent
    for the ``attempt``-th time (0 first), in a form the venue accepts.

    Raises ValueError when no form fits ``rules`` (a venue rule hedgekit does not know).
    """
    max_len, pattern = rules
    key = digest(book_id, plan_id, leg, child, attempt, length=64)
    readable = f"hk{digest(book_id, length=6)}{plan_id[:8]}l{leg}c{child}a{attempt}"
    forms = (readable, "hk" + key[:30], key[:32], "0x" + key[:32], str(int(key[:8], 16)))
    for form in forms:
        if len(form) <= max_len and re.fullmatch(pattern, form):
            return form
    raise ValueError(f"no client order id form fits length <= {max_len} and {pattern!r}")
