"""Live accounts: the one package that talks to ccxt for private data (reads and orders).

``config`` validates the ``accounts:`` section of a book file; ``credentials`` resolves keys
from the environment or the OS keyring and scrubs them from every text; ``client`` builds the
ccxt exchange (testnet, ``api_url``, timeout) and classifies failures; ``fetch`` reads balances,
positions, orders, prices, funding, markets and tiers; ``parse`` turns ccxt's answers into the
records of ``models``; ``orders`` places, looks up (by client order id) and cancels orders and
reads fills, classifying rejections. Everything outside this package sees only those records.
"""

from __future__ import annotations

from hedgekit._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AccountClient": "hedgekit.accounts.client",
    "AccountConfig": "hedgekit.accounts.config",
    "AccountState": "hedgekit.accounts.models",
    "Balance": "hedgekit.accounts.models",
    "Credentials": "hedgekit.accounts.credentials",
    "FundingInfo": "hedgekit.accounts.models",
    "MarketQuote": "hedgekit.accounts.models",
    "MarketState": "hedgekit.accounts.models",
    "OpenOrder": "hedgekit.accounts.models",
    "OrderNotFound": "hedgekit.accounts.orders",
    "OrderRejected": "hedgekit.accounts.orders",
    "OrderRequest": "hedgekit.accounts.orders",
    "OrderResult": "hedgekit.accounts.orders",
    "Position": "hedgekit.accounts.models",
    "Redactor": "hedgekit.accounts.credentials",
    "Secret": "hedgekit.accounts.credentials",
    "SkippedRecord": "hedgekit.accounts.models",
    "UnknownSymbol": "hedgekit.accounts.errors",
    "VenueAuthError": "hedgekit.accounts.errors",
    "VenueError": "hedgekit.accounts.errors",
    "VenueRateLimited": "hedgekit.accounts.errors",
    "VenueTimeout": "hedgekit.accounts.errors",
    "VenueUnavailable": "hedgekit.accounts.errors",
    "cancel_order": "hedgekit.accounts.orders",
    "client_order_id_rules": "hedgekit.accounts.orders",
    "fetch_order_by_client_id": "hedgekit.accounts.orders",
    "fetch_recent_trades": "hedgekit.accounts.orders",
    "load_instruments": "hedgekit.accounts.fetch",
    "make_client": "hedgekit.accounts.client",
    "market_to_instrument": "hedgekit.accounts.parse",
    "parse_accounts": "hedgekit.accounts.config",
    "place_order": "hedgekit.accounts.orders",
    "read_account": "hedgekit.accounts.fetch",
    "read_balances": "hedgekit.accounts.fetch",
    "read_funding": "hedgekit.accounts.fetch",
    "read_market": "hedgekit.accounts.fetch",
    "read_open_orders": "hedgekit.accounts.fetch",
    "read_positions": "hedgekit.accounts.fetch",
    "read_quotes": "hedgekit.accounts.fetch",
    "read_tiers": "hedgekit.accounts.fetch",
    "redact": "hedgekit.accounts.credentials",
    "resolve_credentials": "hedgekit.accounts.credentials",
    "tiers_to_margin": "hedgekit.accounts.parse",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
