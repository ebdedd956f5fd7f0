"""The order seam to venues, as the executor uses it: the records of
:mod:`hedgekit.accounts.orders` (from its ccxt-free :mod:`hedgekit.accounts.order_records`, so
a dry run or ``hedgekit plan`` never loads an exchange library) and the final statuses."""

from __future__ import annotations

from hedgekit.accounts.order_records import OrderRejected, OrderRequest, OrderResult

__all__ = ["FINAL", "OrderRejected", "OrderRequest", "OrderResult"]

# statuses after which a venue never changes an order again
FINAL = frozenset({"filled", "canceled", "rejected", "expired"})
