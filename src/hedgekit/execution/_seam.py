"""The order seam to live venues (``hedgekit.accounts.orders``, see its module docstring).

The executor is written against that module's records and functions. Until it is installed
this module provides stand-ins with the same fields, so the paper venue and the journal work
on their own; nothing here talks to a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hedgekit.accounts.errors import VenueError

__all__ = ["FINAL", "OrderRejected", "OrderRequest", "OrderResult"]

# statuses after which a venue never changes an order again
FINAL = frozenset({"filled", "canceled", "rejected", "expired"})

try:  # the agreed records, once hedgekit.accounts.orders exists
    from hedgekit.accounts.orders import (  # type: ignore[import-not-found,unused-ignore]
        OrderRejected,
        OrderRequest,
        OrderResult,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - depends on what is installed
    if exc.name != "hedgekit.accounts.orders":
        raise

    @dataclass(frozen=True, kw_only=True, slots=True)
    class OrderRequest:  # type: ignore[no-redef]
        symbol: str
        side: str
        contracts: float
        order_type: str
        limit_price: float | None
        reduce_only: bool
        client_order_id: str

    @dataclass(frozen=True, kw_only=True, slots=True)
    class OrderResult:  # type: ignore[no-redef]
        client_order_id: str
        venue_order_id: str | None
        symbol: str
        side: str
        status: str
        contracts: float
        filled_contracts: float
        average_price: float | None
        fee: float | None
        fee_currency: str | None
        message: str | None
        as_of: datetime | None

    class OrderRejected(VenueError):  # type: ignore[no-redef]
        """The venue refused the order; ``reason`` is a stable tag."""

        kind = "rejected"

        def __init__(self, account: str, venue: str, message: str, *, reason: str = "other",
                     call: str = ""):
            super().__init__(account, venue, message, call=call)
            self.reason = reason
