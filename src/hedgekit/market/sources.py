"""Assembling the market snapshot of a book from its sources, in order: the book file, then
the local data store for whatever the file lacks."""

from __future__ import annotations

from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner import file_snapshot, market_needs
from hedgekit.portfolio import Portfolio

__all__ = ["snapshot_for"]


def snapshot_for(portfolio: Portfolio, *, use_store: bool = True, store=None) -> MarketSnapshot:
    """The snapshot ``hedgekit plan`` plans on: the file's prices, completed from the data
    store (``store``, default the user's) with missing prices, betas to estimate and recent
    funding when ``use_store``."""
    snap = file_snapshot(portfolio)
    if not use_store:
        return snap
    needs = market_needs(portfolio)
    if not (needs.prices or needs.betas or needs.funding):
        return snap
    from hedgekit.market.store import from_store

    return from_store(needs, snap, store=store)
