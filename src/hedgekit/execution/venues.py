"""The accounts a book sends to: paper accounts (:class:`~hedgekit.execution.paper.PaperVenue`)
and live ones, through the order functions of :mod:`hedgekit.accounts.orders` (the one module
that places, fetches and cancels orders with ccxt). Nothing here is called on a dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from hedgekit.execution._seam import OrderRequest, OrderResult
from hedgekit.execution.ids import ANY_ID
from hedgekit.market.snapshot import MarketSnapshot

__all__ = ["CcxtVenue", "id_rules_for", "open_venues"]


def _orders() -> ModuleType:
    import importlib

    return importlib.import_module("hedgekit.accounts.orders")


class CcxtVenue:
    """A live account: every call goes through ``hedgekit.accounts.orders``."""

    def __init__(self, client: Any):
        self.client = client
        self.account: str = client.account
        self.name: str = client.venue

    def id_rules(self) -> tuple[int, str]:
        return _orders().client_order_id_rules(self.name)

    def place(self, req: OrderRequest) -> OrderResult:
        return _orders().place_order(self.client, req)

    def fetch(self, symbol: str, client_order_id: str) -> OrderResult | None:
        return _orders().fetch_order_by_client_id(self.client, symbol, client_order_id)

    def cancel(self, symbol: str, client_order_id: str) -> OrderResult:
        return _orders().cancel_order(self.client, symbol, client_order_id)


def id_rules_for(book: Any) -> Callable[[str | None], tuple[int, str]]:
    """``account name -> (max length, regex)`` of its client order ids, without any network:
    any id for a paper account, the venue's documented rule for a live one."""
    venues = {cfg.name: cfg for cfg in book.accounts}

    def rules(account: str | None) -> tuple[int, str]:
        cfg = venues.get(account or "")
        if cfg is None or cfg.is_paper:
            return ANY_ID
        return _orders().client_order_id_rules(cfg.venue)

    return rules


def open_venues(book: Any, market: MarketSnapshot, *, data_dir: str | Path | None = None,
                journal_file: Path | None = None, now: Callable[[], datetime] | None = None,
                client_factory: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Account name -> venue for every account of ``book`` (live ones need their keys)."""
    from hedgekit.execution.paper import PaperVenue, paper_accounts

    venues: dict[str, Any] = {}
    paper = {cfg.name for _, cfg in paper_accounts(book)}
    for i, cfg in enumerate(book.accounts):
        if cfg.name in paper:
            venues[cfg.name] = PaperVenue(cfg, market, leverage=book.hedge.leverage,
                                          default_funding_8h=book.hedge.default_funding_rate_8h,
                                          path=journal_file, data_dir=data_dir, now=now)
        else:
            if client_factory is None:
                from hedgekit.accounts.client import make_client

                client_factory = make_client
            venues[cfg.name] = CcxtVenue(client_factory(cfg, index=i))
    return venues
