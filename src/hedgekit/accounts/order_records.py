"""The records of the order seam (:mod:`hedgekit.accounts.orders`), in a module that imports
no ccxt: the executor, its journal and the paper venue use them without loading an exchange
library (``hedgekit plan`` on a book with a paper account stays fast)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hedgekit.accounts.errors import VenueError
from hedgekit.accounts.models import _Record

__all__ = ["ORDER_STATUSES", "REJECT_REASONS", "OrderNotFound", "OrderRejected", "OrderRequest",
           "OrderResult"]

REJECT_REASONS = ("insufficient-margin", "reduce-only", "price-band", "min-notional", "lot-size",
                  "duplicate-client-id", "other")
ORDER_STATUSES = ("open", "partially_filled", "filled", "canceled", "rejected", "expired")


# --------------------------------------------------------------------------- records
@dataclass(frozen=True, kw_only=True, slots=True)
class OrderRequest(_Record):
    """One order to send. ``contracts`` is a whole number of lots (> 0); ``limit_price`` is
    required for ``order_type="limit"``; ``client_order_id`` must satisfy
    :func:`client_order_id_rules` of the venue."""

    symbol: str
    side: str
    contracts: float
    order_type: str
    limit_price: float | None
    reduce_only: bool
    client_order_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderResult(_Record):
    """What the venue says of one order. ``status`` is one of :data:`ORDER_STATUSES`
    (``canceled`` with ``filled_contracts > 0`` is a partial fill whose rest was cancelled);
    ``fee`` is what was paid, in ``fee_currency``; ``message`` is the venue's reason for a
    rejection or cancel, secrets scrubbed."""

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


class OrderRejected(VenueError):
    """The venue refused the order; nothing was placed. ``reason`` is one of
    :data:`REJECT_REASONS`; ``code`` the venue's own error code (a string) when it gave one."""

    kind = "rejected"

    def __init__(self, account: str, venue: str, message: str, *, reason: str = "other",
                 code: str | None = None, call: str = ""):
        self.reason = reason if reason in REJECT_REASONS else "other"
        self.code = code
        super().__init__(account, venue, message, call=call)


class OrderNotFound(VenueError):
    """The venue knows no order with this client order id (raised by :func:`cancel_order`;
    :func:`fetch_order_by_client_id` returns None instead)."""

    kind = "order-not-found"
