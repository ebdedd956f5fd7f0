"""The operator's actions on a book, as functions the CLI and the dashboard both call:
:func:`rebalance` (dry run by default), :func:`halt`, :func:`resume`, :func:`order_history`.

Each one reads the book file, assembles what is held and the market
(:func:`hedgekit.market.sources.plan_inputs`), and goes through the executor with all its
guards; nothing here sends an order any other way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hedgekit.errors import InputError

__all__ = ["halt", "order_history", "rebalance", "resume"]


def rebalance(book: str | Path, *, execute: bool = False, data_dir: str | Path | None = None,
              confirm: Callable[[int], bool] | None = None,
              sync: Callable[[Any], object] | None = None,
              on_note: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The plan's trades as guarded orders; with ``execute`` they are sent.

    Returns ``{"as_of", "dry_run", "orders": [...], "skipped": [...]}``. A halted book refuses
    ``execute`` (InputError). ``confirm(n)`` is asked before ``n`` orders are sent (None: no
    question); ``sync(book)`` re-reads live accounts after reconciling; ``on_note`` receives
    what reconciliation found.
    """
    from hedgekit.execution.executor import Executor
    from hedgekit.execution.guards import guard_orders
    from hedgekit.execution.ids import book_key
    from hedgekit.execution.journal import Journal
    from hedgekit.execution.venues import id_rules_for, open_venues
    from hedgekit.market.sources import plan_inputs
    from hedgekit.planner import plan
    from hedgekit.portfolio import load_portfolio

    path = Path(book)
    doc = load_portfolio(path)
    key = book_key(path)
    settings = doc.execution
    journal = Journal(data_dir)
    try:
        halted = journal.halted(key)
        if execute and halted is not None:
            raise InputError("BOOK", f"{path} is halted since {halted['halted_at']} "
                             f"({halted['reason']}); nothing is sent until 'hedgekit resume {path}'",
                             show_value=False)
        held, market = plan_inputs(doc, data_dir)
        executor = None
        if execute:
            executor = Executor(journal, open_venues(doc, market, data_dir=data_dir), key,
                                timeout_s=settings.timeout_s)
            for note in executor.reconcile():
                if on_note is not None:
                    on_note(note)
            # what is held after reconciling (live accounts are read again first)
            held, market = plan_inputs(doc, data_dir, sync=sync)
            for venue in executor.venues.values():
                if hasattr(venue, "market"):
                    venue.market = market
        now = datetime.now(UTC)
        result = plan(doc, market, positions=held, now=now)
        guarded = guard_orders(
            result, settings, book_id=key,
            halted=None if halted is None else f"since {halted['halted_at']}",
            daily_used={a.name: journal.sent_usd(a.name, now) for a in doc.accounts},
            id_rules=id_rules_for(doc))
        orders = list(guarded.orders)
        if executor is not None and orders:
            if confirm is not None and not confirm(len(orders)):
                raise InputError("--execute", "not confirmed: nothing was sent", show_value=False)
            orders = executor.execute(orders)
    finally:
        journal.close()
    return {"as_of": now.isoformat(), "dry_run": not execute,
            "orders": [o.to_dict() for o in orders],
            "skipped": [s.to_dict() for s in guarded.skipped]}


def halt(book: str | Path, *, data_dir: str | Path | None = None, reason: str = "halt"
         ) -> list[str]:
    """The kill switch: nothing is sent for ``book`` until :func:`resume`; the book's open
    orders are cancelled on every account. Returns one line per cancelled order."""
    from hedgekit.execution.executor import Executor
    from hedgekit.execution.ids import book_key
    from hedgekit.execution.journal import Journal
    from hedgekit.execution.venues import open_venues
    from hedgekit.market.sources import snapshot_for
    from hedgekit.portfolio import load_portfolio

    path = Path(book)
    doc = load_portfolio(path)
    key = book_key(path)
    journal = Journal(data_dir)
    try:
        journal.halt(key, datetime.now(UTC))
        if not journal.pending(key):
            return []
        venues = open_venues(doc, snapshot_for(doc, use_store=False), data_dir=data_dir)
        return list(Executor(journal, venues, key).cancel_open(reason))
    finally:
        journal.close()


def resume(book: str | Path, *, data_dir: str | Path | None = None) -> bool:
    """Lift the kill switch of ``book``; False when it was not halted."""
    from hedgekit.execution.ids import book_key
    from hedgekit.execution.journal import Journal
    from hedgekit.portfolio import load_portfolio

    load_portfolio(book)
    journal = Journal(data_dir)
    try:
        return bool(journal.resume(book_key(Path(book))))
    finally:
        journal.close()


def order_history(book: str | Path, *, since: datetime | None = None,
                  data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """The book's orders in the journal (intent, venue answer, fills, fees, messages)."""
    from hedgekit.execution.ids import book_key
    from hedgekit.execution.journal import Journal, journal_path
    from hedgekit.portfolio import load_portfolio

    load_portfolio(book)
    if not journal_path(data_dir).exists():
        return []
    journal = Journal(data_dir)
    try:
        return journal.orders(book_key(Path(book)), since)
    finally:
        journal.close()
