"""``hedgekit sync``: read every account of a book and keep what was read.

Keys are resolved for every account before any venue is called (a missing key is bad input:
one line, nothing fetched). Then each account is read on its own: a venue that times out,
rate-limits, fails or refuses the key is reported with its error and keeps its last good
snapshot; the others still sync. Nothing is written for an account until both its account
state and its venue's market state were read in full.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hedgekit.accounts.client import AccountClient, make_client
from hedgekit.accounts.errors import VenueError
from hedgekit.accounts.fetch import load_instruments, read_account, read_market
from hedgekit.errors import DataError
from hedgekit.live.cache import save_account, save_market
from hedgekit.portfolio import STABLECOINS, Portfolio

__all__ = ["AccountSync", "SyncReport", "sync_book"]


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountSync:
    """How one account's sync went; ``error`` (secrets scrubbed) when it failed."""

    account: str
    venue: str
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    positions: int = 0
    balances: int = 0
    open_orders: int = 0
    skipped: tuple[str, ...] = ()
    as_of: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "venue": self.venue, "ok": self.ok, "error": self.error,
                "error_kind": self.error_kind, "positions": self.positions,
                "balances": self.balances, "open_orders": self.open_orders,
                "skipped": list(self.skipped),
                "as_of": None if self.as_of is None else self.as_of.isoformat()}


@dataclass(frozen=True, kw_only=True, slots=True)
class SyncReport:
    as_of: datetime
    accounts: tuple[AccountSync, ...]

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.accounts)

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "ok": self.ok,
                "accounts": [a.to_dict() for a in self.accounts]}


ClientFactory = Callable[..., AccountClient]


def sync_book(book: Portfolio, *, data_dir: str | Path | None = None,
              environ: Mapping[str, str] | None = None, now: datetime | None = None,
              client_factory: ClientFactory = make_client,
              progress: Callable[[AccountSync], None] | None = None) -> SyncReport:
    """Read balances, positions, open orders and the venue's market state (contract specs,
    marks, funding, tiers) of every account in ``book`` and store them (see
    :mod:`hedgekit.live.cache`). ``progress`` is called after each account."""
    as_of = now or datetime.now(UTC)
    live = [(i, cfg) for i, cfg in enumerate(book.accounts) if not cfg.is_paper]
    # keys first: a missing key is the user's input error, before any venue is called
    clients = [client_factory(cfg, index=i, environ=environ) for i, cfg in live]
    results = []
    for client in clients:
        result = _sync_one(client, book, as_of, data_dir)
        results.append(result)
        if progress is not None:
            progress(result)
    return SyncReport(as_of=as_of, accounts=tuple(results))


def _sync_one(client: AccountClient, book: Portfolio, as_of: datetime,
              data_dir: str | Path | None) -> AccountSync:
    base: dict[str, Any] = {"account": client.account, "venue": client.venue}
    try:
        state = read_account(client, now=as_of)
        instruments = load_instruments(client)
        market = read_market(client, _symbols(book, state, instruments), now=as_of)
    except VenueError as exc:
        return AccountSync(**base, ok=False, error=str(exc), error_kind=exc.kind)
    except DataError as exc:  # an answer that does not parse: never half-written
        return AccountSync(**base, ok=False, error=client.scrub(exc), error_kind="error")
    save_market(market, data_dir)
    save_account(state, data_dir)
    return AccountSync(**base, ok=True, positions=len(state.positions),
                       balances=len(state.balances), open_orders=len(state.open_orders),
                       skipped=tuple(f"{s.kind} {s.symbol}: {s.reason}" for s in state.skipped),
                       as_of=state.as_of)


def _symbols(book: Portfolio, state: Any, instruments: Mapping[str, Any]) -> list[str]:
    """Venue symbols whose marks, funding and tiers the book needs: what is held, and every
    listed perpetual on a coin the book holds or hedges with."""
    coins = {a for a in book.assets() if a not in STABLECOINS}
    coins |= set(book.hedge.proxies.values()) | {book.hedge.benchmark}
    wanted = {p.symbol for p in state.positions}
    wanted |= {sym for sym, inst in instruments.items() if inst.base in coins and inst.is_perpetual}
    return sorted(s for s in wanted if s in instruments)
