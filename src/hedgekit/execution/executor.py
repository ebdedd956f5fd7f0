"""The executor: the only code that sends orders.

For each order: commit the intent to the journal, send it, record the venue's answer. On every
start, before anything is planned, :func:`reconcile` asks the venue about each order of the book
whose outcome the journal does not know (fetch by client order id): one the venue has is
adopted (its fills recorded), one it never saw is sent again *with the same id* (so a venue
that did receive it refuses the duplicate), unless it is older than ``timeout_s`` (then it is
dropped and the book re-planned). An order that times out after it was sent is fetched, never
resent blindly. Only calls that are safe to repeat (fetch and cancel by client order id) are
retried, with exponential back-off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from hedgekit.accounts.errors import VenueError, VenueRateLimited, VenueTimeout, VenueUnavailable
from hedgekit.errors import InputError
from hedgekit.execution._faults import crash_point
from hedgekit.execution._seam import FINAL, OrderRequest, OrderResult
from hedgekit.execution.guards import Order, with_attempt
from hedgekit.execution.journal import Journal

__all__ = ["RETRY_DELAYS", "Executor", "Venue"]

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # seconds between tries of a call that is safe to repeat
_TRANSIENT = (VenueTimeout, VenueUnavailable, VenueRateLimited)
_OUTCOME_UNKNOWN = (VenueTimeout, VenueUnavailable)


class Venue(Protocol):
    """What the executor needs of an account (paper or live)."""

    account: str
    name: str

    def id_rules(self) -> tuple[int, str]: ...
    def place(self, req: OrderRequest) -> OrderResult: ...
    def fetch(self, symbol: str, client_order_id: str) -> OrderResult | None: ...
    def cancel(self, symbol: str, client_order_id: str) -> OrderResult: ...


@dataclass
class Executor:
    """Sends a book's orders through ``venues`` (account name -> venue), journaling each step."""

    journal: Journal
    venues: Mapping[str, Venue]
    book: str
    timeout_s: float = 60.0
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep
    poll_s: float = 1.0

    # ------------------------------------------------------------ reconcile
    def reconcile(self) -> list[str]:
        """Settle every pending order of the book with its venue; one note per order touched."""
        notes = []
        for row in self.journal.pending(self.book):
            cid, venue = row["client_order_id"], self.venues.get(row["account"])
            if venue is None:
                notes.append(f"{cid}: account {row['account']} is no longer in the book; left pending")
                continue
            try:
                found = self._retry(partial(venue.fetch, row["symbol"], cid))
            except VenueError as exc:
                notes.append(f"{cid}: cannot reconcile now ({exc}); nothing sent for it")
                continue
            age = (self.clock() - datetime.fromisoformat(row["created_at"])).total_seconds()
            if found is None:
                if age > self.timeout_s:
                    self.journal.record(cid, self.clock(), status="expired",
                                        message=f"never reached the venue; not resent after "
                                                f"{self.timeout_s:g} s, the book is re-planned")
                    notes.append(f"{cid}: never reached the venue; expired")
                    continue
                notes.append(f"{cid}: never reached the venue; sent again with the same id")
                self._send(venue, _order_of(row))
                continue
            self.journal.record_result(found, self.clock())
            notes.append(f"{cid}: adopted from the venue ({found.status})")
            if found.status not in FINAL and age > self.timeout_s:
                self._cancel(venue, row["symbol"], cid, "timeout")
        return notes

    # ------------------------------------------------------------ execute
    def execute(self, orders: Iterable[Order]) -> list[Order]:
        """Send ``orders`` (each once: an id the journal already holds is reported, not resent),
        wait up to ``timeout_s`` for limit orders to fill, cancel the rest. Returns the orders
        with their final status."""
        sent: list[Order] = []
        for order in orders:
            venue = self.venues[order.account or ""]
            order, row = self._next_attempt(order, venue)
            if row is None:
                self.journal.write_intent(self.book, order, self.clock())
                crash_point("after-intent")
                self._send(venue, order)
            sent.append(order)
        self._wait(sent)
        return [self._report(o) for o in sent]

    def _next_attempt(self, order: Order, venue: Venue) -> tuple[Order, dict[str, Any] | None]:
        """``order`` with the id to use: the first attempt the journal has not seen, or one it
        has that filled or is still live (then that row, and nothing is sent)."""
        while True:
            row = self.journal.find(order.client_order_id)
            if row is None:
                return order, None
            if row["status"] not in FINAL or row["filled_contracts"] > 0:
                return order, row
            order = with_attempt(order, self.book, order.attempt + 1, venue.id_rules())

    def _send(self, venue: Venue, order: Order) -> None:
        req = OrderRequest(symbol=order.symbol, side=order.side, contracts=order.contracts,
                           order_type=order.order_type, limit_price=order.limit_price,
                           reduce_only=order.reduce_only, client_order_id=order.client_order_id)
        cid = order.client_order_id
        try:
            result = venue.place(req)
        except _OUTCOME_UNKNOWN as exc:
            # the request may have reached the venue: ask, never resend blindly
            self.journal.record(cid, self.clock(), status="unknown", message=str(exc))
            try:
                result = self._retry(lambda: venue.fetch(order.symbol, cid))
            except VenueError as again:
                self.journal.record(cid, self.clock(), status="unknown", message=str(again))
                return  # reconciled on the next start
            if result is None:
                return  # never reached: the next start sends it again with the same id
        except InputError as exc:  # refused before any request was made: nothing reached the venue
            self.journal.record(cid, self.clock(), status="rejected", message=f"not sent: {exc}")
            return
        except VenueError as exc:
            reason = getattr(exc, "reason", None)
            if reason == "duplicate-client-id":  # it did reach the venue earlier: adopt it
                try:
                    found = self._retry(partial(venue.fetch, order.symbol, cid))
                except VenueError:
                    found = None
                if found is not None:
                    self.journal.record_result(found, self.clock())
                    return
            if not exc.call:  # raised before any venue call (e.g. a venue without order support)
                self.journal.record(cid, self.clock(), status="rejected", message=f"not sent: {exc}")
                return
            if getattr(exc, "kind", "") == "rejected":
                self.journal.record(cid, self.clock(), status="rejected",
                                    message=f"{exc.detail}" + (f" ({reason})" if reason else ""))
            else:  # an answer we cannot read: the order may exist, reconcile on the next start
                self.journal.record(cid, self.clock(), status="unknown", message=str(exc))
            return
        crash_point("after-fill")
        self.journal.record_result(result, self.clock())

    def _wait(self, orders: list[Order]) -> None:
        """Poll live orders until they are final or ``timeout_s`` passed; cancel the rest."""
        start = self.clock()
        delay = self.poll_s
        while True:
            live = [o for o in orders if (row := self.journal.find(o.client_order_id)) is not None
                    and row["status"] in ("open", "partially_filled")]
            if not live:
                return
            if (self.clock() - start).total_seconds() >= self.timeout_s:
                for o in live:
                    self._cancel(self.venues[o.account or ""], o.symbol, o.client_order_id, "timeout")
                return
            self.sleep(delay)
            delay = min(delay * 2, 10.0)
            for o in live:
                try:
                    found = self._retry(partial(self.venues[o.account or ""].fetch, o.symbol,
                                                o.client_order_id))
                except VenueError:
                    continue
                if found is not None:
                    self.journal.record_result(found, self.clock())

    def _cancel(self, venue: Venue, symbol: str, cid: str, why: str) -> None:
        try:
            result = self._retry(lambda: venue.cancel(symbol, cid))
        except VenueError as exc:
            self.journal.record(cid, self.clock(), message=f"cancel ({why}) failed: {exc}")
            return
        self.journal.record_result(result, self.clock())
        if result.status == "canceled":
            self.journal.record(cid, self.clock(), message=result.message or f"canceled ({why})")

    def cancel_open(self, why: str = "halt") -> list[str]:
        """Cancel every order of the book the journal does not know to be final (the kill
        switch); an intent the venue never saw is closed in the journal. One line per order."""
        lines = []
        for row in self.journal.pending(self.book):
            cid, venue = row["client_order_id"], self.venues.get(row["account"])
            if venue is None:
                lines.append(f"{cid}: account {row['account']} is not in the book; not canceled")
                continue
            try:
                found = self._retry(partial(venue.fetch, row["symbol"], cid))
            except VenueError as exc:
                lines.append(f"{cid}: cannot reach the venue ({exc}); cancel it by hand")
                continue
            if found is None:
                self.journal.record(cid, self.clock(), status="canceled",
                                    message=f"{why}: canceled before it reached the venue")
            elif found.status in FINAL:
                self.journal.record_result(found, self.clock())
            else:
                self._cancel(venue, row["symbol"], cid, why)
            lines.append(f"{cid}: {row['symbol']} {row['side']} {row['contracts']:g}: "
                         f"{self.journal.find(cid)['status']}")  # type: ignore[index]
        return lines

    def _retry(self, call: Callable[[], Any]) -> Any:
        """``call()``, tried again after each delay of :data:`RETRY_DELAYS` when the venue is
        slow, down or rate-limiting. Only for calls that are safe to repeat."""
        for delay in RETRY_DELAYS:
            try:
                return call()
            except _TRANSIENT:
                self.sleep(delay)
        return call()

    def _report(self, order: Order) -> Order:
        row = self.journal.find(order.client_order_id)
        if row is None:  # pragma: no cover - every sent order has a row
            return order
        reason = order.reason + (f"; venue: {row['message']}" if row["message"] else "")
        return replace(order, status=row["status"], filled_contracts=row["filled_contracts"],
                       average_price=row["average_price"], fee=row["fee"], message=row["message"],
                       reason=reason)


def _order_of(row: Mapping[str, Any]) -> Order:
    """The journal row of an order as an :class:`Order` (to send it again, same id)."""
    return Order(account=row["account"], venue=row["venue"], symbol=row["symbol"], side=row["side"],
                 contracts=row["contracts"], reduce_only=bool(row["reduce_only"]),
                 order_type=row["order_type"], limit_price=row["limit_price"], mark=row["mark"],
                 notional_usd=row["notional_usd"], leg=row["leg"], child=row["child"],
                 plan_id=row["plan_id"], client_order_id=row["client_order_id"],
                 reason=row["reason"] or "", attempt=row["attempt"])
