"""Market state for the planner: :class:`MarketSnapshot` and the sources that build one.

``snapshot`` holds the immutable types; ``store`` fills a snapshot from the local data store;
``sources.snapshot_for`` assembles file + store for a book (what ``hedgekit plan`` does).
"""

from hedgekit._lazy import lazy_exports

_EXPORTS = {
    "BetaEstimate": "hedgekit.market.snapshot",
    "FundingPoint": "hedgekit.market.snapshot",
    "MarketNeeds": "hedgekit.market.snapshot",
    "MarketSnapshot": "hedgekit.market.snapshot",
    "PricePoint": "hedgekit.market.snapshot",
    "from_store": "hedgekit.market.store",
    "snapshot_for": "hedgekit.market.sources",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
