"""The live book: sync accounts through :mod:`hedgekit.accounts`, keep what was read
(``cache``), and hand it to the planner as a market snapshot and held positions (``book``).

| module | owns |
|---|---|
| ``sync`` | :func:`sync_book`: read every account, report each, store the good ones |
| ``cache`` | the synced snapshots on disk (atomic JSON per account and per venue) |
| ``book`` | synced state -> :class:`~hedgekit.market.MarketSnapshot` + held positions |
| ``positions`` | the ``hedgekit positions`` report (venue figures beside hedgekit's own) |
"""

from hedgekit._lazy import lazy_exports

_EXPORTS = {
    "AccountSync": "hedgekit.live.sync",
    "LiveBook": "hedgekit.live.book",
    "SyncReport": "hedgekit.live.sync",
    "held_positions": "hedgekit.live.book",
    "live_market": "hedgekit.live.book",
    "load_live_book": "hedgekit.live.book",
    "positions_report": "hedgekit.live.positions",
    "sync_book": "hedgekit.live.sync",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
