"""Assembling the market snapshot of a book from its sources, in order: the live venues (the
last ``hedgekit sync``), the book file, then the local data store for whatever is still
missing. An earlier source wins."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hedgekit.errors import InputError
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner import file_snapshot, market_needs
from hedgekit.portfolio import Portfolio

if TYPE_CHECKING:
    from pathlib import Path

    from hedgekit.live.book import LiveBook
    from hedgekit.planner import HeldPosition

__all__ = ["held_and_synced", "plan_inputs", "snapshot_for", "store_at"]


def held_and_synced(portfolio: Portfolio, data_dir: str | Path | None = None
                    ) -> tuple[list[HeldPosition] | None, LiveBook | None]:
    """What the book holds (its ``positions:``, every synced account's positions and what its
    paper accounts hold; None when none says) and the last synced state of its accounts (None
    for a book without any).
    Reads the sync cache only; accounts never synced are named in ``never_synced``."""
    from hedgekit.planner import held_from_book

    held = held_from_book(portfolio)
    if not portfolio.accounts:
        return held, None
    from hedgekit.execution.paper import held_positions as paper_held
    from hedgekit.live.book import held_positions, load_live_book

    synced = load_live_book(portfolio, data_dir)
    return [*(held or []), *held_positions(synced), *paper_held(portfolio, data_dir)], synced


def plan_inputs(portfolio: Portfolio, data_dir: str | Path | None = None, *,
                sync: Callable[[Portfolio], object] | None = None
                ) -> tuple[list[HeldPosition] | None, MarketSnapshot]:
    """``(held positions, market snapshot)`` a book is planned on: its ``positions:``, its
    accounts' last sync (``sync(book)`` is called first when given and the book has live
    accounts), its paper accounts, and the snapshot from those venues, the file and the store
    at ``data_dir``. An account never synced is an InputError: what it holds is unknown."""
    if sync is not None and any(not a.is_paper for a in portfolio.accounts):
        sync(portfolio)
    held, synced = held_and_synced(portfolio, data_dir)
    if synced is not None and synced.never_synced:
        name = synced.never_synced[0]
        index = next(i for i, a in enumerate(portfolio.accounts) if a.name == name)
        raise InputError(f"accounts[{index}]", f"account {name} has never been synced, so what "
                         "it holds is unknown: run 'hedgekit sync' first (or plan --live)",
                         show_value=False)
    return held, snapshot_for(portfolio, live=synced, store=store_at(data_dir))


def store_at(data_dir: str | Path | None):
    """The data store at ``data_dir`` (None: the user's default store, opened only if needed)."""
    if data_dir is None:
        return None
    from hedgekit.data import Store

    return Store(data_dir)


def snapshot_for(portfolio: Portfolio, *, use_store: bool = True, store=None,
                 live: LiveBook | None = None) -> MarketSnapshot:
    """The snapshot ``hedgekit plan`` plans on: the synced venues' marks, funding and market
    lists (``live``), the file's prices, then the data store (``store``, default the user's)
    for missing prices, betas to estimate and recent funding when ``use_store``."""
    snap = MarketSnapshot()
    if live is not None:
        from hedgekit.live.book import live_market

        snap = live_market(live, snap)
    snap = snap.with_prices(file_snapshot(portfolio).prices)
    if not use_store:
        return snap
    needs = market_needs(portfolio)
    if not (any(a not in snap.prices for a in needs.prices) or needs.betas or needs.funding):
        return snap
    from hedgekit.market.store import from_store

    return from_store(needs, snap, store=store)
