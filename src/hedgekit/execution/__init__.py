"""Placing the hedge's trades safely: ``plan -> trades -> orders = guards(trades) -> executor``.

``guards`` turns a plan's trades into orders (pure: band, lots, minimum notional, child orders,
daily limit, slippage-bounded limit price, the kill switch); ``executor`` is the only code that
sends, through the ``journal`` (SQLite, WAL: intent committed before anything is sent,
reconciled with the venue on every start); ``paper`` is a venue that fills against the market
snapshot; ``venues`` opens the paper and live accounts of a book.
"""

from __future__ import annotations

from hedgekit._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Executor": "hedgekit.execution.executor",
    "GuardedOrders": "hedgekit.execution.guards",
    "Journal": "hedgekit.execution.journal",
    "Order": "hedgekit.execution.guards",
    "PaperVenue": "hedgekit.execution.paper",
    "Skipped": "hedgekit.execution.guards",
    "client_order_id": "hedgekit.execution.ids",
    "guard_orders": "hedgekit.execution.guards",
    "open_venues": "hedgekit.execution.venues",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
