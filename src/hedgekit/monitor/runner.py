"""``hedgekit monitor``: the cycle (sync, plan, measure, rules, alert, record) and the loop
around it (interval, back-off, lock, signals).

* One cycle is recorded in one transaction (its state row and its alert rows), after its
  alerts were sent; a cycle stopped by SIGINT/SIGTERM before that point is abandoned whole
  (nothing of it is written), one that reached it is finished. A second signal aborts at once;
  SQLite rolls the open transaction back, so the journal stays consistent either way.
* A venue that fails is retried with back-off (``every * 2**(failures-1)``, at most 15 minutes
  or ``every``, whichever is longer) while the other accounts keep syncing; its last good
  snapshot is used meanwhile, and ``alerts.sync_failures`` failed attempts in a row raise an
  alert. The failure counts live in the recorded state, so ``--once`` under cron counts too.
* Retention: every hour of cycle time (and on a process's first cycle, so ``--once`` under
  cron too), the cycle's transaction also deletes the book's ``state_history`` rows older than
  ``alerts.history_days`` before the cycle's time, at most ``PRUNE_BATCH`` of the oldest (a
  backlog goes batch by batch over the next cycles, so no cycle holds the journal's write lock
  for long); alerts and orders are never deleted.
* One monitor per book: a lock file per book in the data directory (``flock``; released by the
  kernel if the process dies); a second monitor of the same book exits with one line.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from hedgekit._paths import resolve_data_dir
from hedgekit.errors import HedgekitError, InputError
from hedgekit.monitor.notify import Notifier, notify_urls
from hedgekit.monitor.rules import Event, evaluate, step
from hedgekit.monitor.state import measure
from hedgekit.monitor.store import (
    book_key,
    connect,
    last_state,
    load_memory,
    prune_history,
    record_cycle,
)
from hedgekit.portfolio import Portfolio, load_portfolio

__all__ = ["BookLock", "CycleResult", "Monitor", "backoff_seconds", "needs_rebalance"]

MAX_BACKOFF = 900.0
PRUNE_EVERY = timedelta(hours=1)  # of cycle time; a prune with nothing to delete is one index probe
PRUNE_BATCH = 10_000  # rows one transaction deletes at most (~0.1 s; see benchmarks/bench_monitor.py)


class _Stopped(Exception):
    """Raised inside a cycle when a stop was asked for: the cycle is abandoned."""


def backoff_seconds(every: float, failures: int) -> float:
    """How long an account that failed ``failures`` times in a row waits before its next try."""
    return min(every * 2.0 ** max(failures - 1, 0), max(MAX_BACKOFF, every))


def needs_rebalance(state: Mapping[str, Any], band: float) -> bool:
    """Whether a recorded state calls for a rebalance: a coin's hedge drifted beyond the book's
    ``execution.band``, or futures are held on a coin the plan does not hedge. (The executor's
    guards decide again, order by order.)"""
    return any((c.get("drift") is not None and c["drift"] > band) or c.get("unplanned")
               for c in state.get("coins", {}).values())


class BookLock:
    """An exclusive, non-blocking lock on one book: ``<data dir>/monitor/<name>-<hash>.lock``."""

    def __init__(self, book_path: Path, data_dir: str | Path | None) -> None:
        import hashlib

        key = book_key(book_path)
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        self.path = resolve_data_dir(data_dir) / "monitor" / f"{Path(key).stem}-{digest}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            try:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            finally:
                os.close(fd)
            raise InputError("BOOK", f"another hedgekit monitor is running on this book (pid "
                             f"{holder}; lock {self.path})", show_value=False)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    def __enter__(self) -> BookLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class CycleResult:
    """What one recorded cycle measured and sent."""

    def __init__(self, state: dict[str, Any], events: list[tuple[Event, dict[str, Any]]],
                 sync_ok: bool, pruned: int = 0) -> None:
        self.state = state
        self.events = events
        self.sync_ok = sync_ok
        self.pruned = pruned  # state_history rows retention deleted in this cycle's transaction

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "alerts": [{**e.to_dict(), **d} for e, d in self.events],
                "sync_ok": self.sync_ok}


SyncFunction = Callable[..., Any]


def _default_sync(*args: Any, **kwargs: Any) -> Any:
    from hedgekit.live.sync import sync_book

    return sync_book(*args, **kwargs)


class Monitor:
    """Watches one book. ``sync`` is :func:`hedgekit.live.sync.sync_book` (tests pass a stub);
    ``notifier`` defaults to the book's and the environment's apprise URLs."""

    def __init__(self, book_path: str | Path, *, data_dir: str | Path | None = None,
                 every: float = 60.0, sync: SyncFunction | None = None,
                 notifier: Notifier | None = None, environ: Mapping[str, str] | None = None,
                 out: IO[str] | None = None, book: Portfolio | None = None) -> None:
        self.book_path = Path(book_path)
        self.book = book if book is not None else load_portfolio(book_path)
        self.key = book_key(book_path)
        self.data_dir = data_dir
        self.every = every
        self.sync = sync or _default_sync
        self.environ = environ
        self.notifier = notifier if notifier is not None else Notifier(
            notify_urls(self.book.alerts.notify, environ))
        self.out = out or sys.stdout
        self.stop = threading.Event()
        self.stop_reason: str | None = None
        self.rebalance: Callable[..., Any] | None = None
        self._conn = connect(data_dir)
        self._pruned_at: datetime | None = None

    def close(self) -> None:
        self._conn.close()

    # ------------------------------------------------------------------ one cycle
    def cycle(self, now: datetime | None = None) -> CycleResult | None:
        """Run one cycle at ``now``; None when a stop request abandoned it (nothing written)."""
        now = now or datetime.now(UTC)
        try:
            return self._cycle(now)
        except _Stopped:
            return None

    def _check_stop(self, *_: Any) -> None:
        if self.stop.is_set():
            raise _Stopped

    def _cycle(self, now: datetime) -> CycleResult:
        book = self.book
        previous = last_state(self._conn, self.key)
        accounts = self._sync(now, (previous or {}).get("accounts", {}))
        self._check_stop()
        from hedgekit.market.sources import held_and_synced, snapshot_for, store_at
        from hedgekit.planner import plan

        # the book's positions:, every synced account's and what its paper accounts hold
        held, live = held_and_synced(book, self.data_dir)
        if live is not None:
            for acct in live.accounts:
                accounts.setdefault(acct.account, {})["as_of"] = acct.as_of.isoformat()
        market = snapshot_for(book, live=live, store=store_at(self.data_dir))
        paper: tuple[Any, ...] = ()
        if any(a.is_paper for a in book.accounts):
            from hedgekit.execution.paper import account_states

            paper = account_states(book, market, self.data_dir, now)
        hedge = plan(book, market, positions=held, now=now)
        state = measure(book, hedge, hedge.market or market, now=now, live=live, paper=paper,
                        accounts=accounts, previous=previous)
        state["cycle"] = uuid.uuid4().hex
        conditions = evaluate(state, book.alerts, clear=True)
        events, _ = step(conditions, load_memory(self._conn, self.key), now, book.alerts.cooldown)
        self._check_stop()
        # past this point the cycle is finished even if a stop arrives: send, then record
        sent = []
        for e in events:
            title = f"hedgekit {self.book_path.stem}: {e.rule} {e.state}"
            delivery = (self.notifier.send(title, e.message, e.state) if len(self.notifier)
                        else {"delivered": False, "targets": []})
            sent.append((e, delivery))
        state["alerts"] = len(sent)
        before = self._prune_before(now)
        pruned = record_cycle(self._conn, self.key, state, sent, prune_before=before,
                              prune_limit=PRUNE_BATCH)
        if before is not None and pruned < PRUNE_BATCH:  # a full batch: more are due next cycle
            self._pruned_at = now
        sync_ok = all(a.get("ok", True) for a in accounts.values())
        return CycleResult(state, sent, sync_ok, pruned)

    # ------------------------------------------------------------------ retention
    def history_cutoff(self, now: datetime) -> str | None:
        """The ``ts`` before which the book's state rows are deleted at ``now`` (ISO), or None
        when ``alerts.history_days`` is null or 0 (keep everything)."""
        days = self.book.alerts.history_days
        return (now - timedelta(days=days)).isoformat() if days else None

    def _prune_before(self, now: datetime) -> str | None:
        """The cutoff when this cycle prunes (the process's first, then once per hour of cycle
        time), else None."""
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return None
        return self.history_cutoff(now)

    def prune(self, now: datetime | None = None) -> tuple[int, str | None]:
        """Delete the book's state rows older than ``alerts.history_days`` now, outside a
        cycle, oldest first in transactions of ``PRUNE_BATCH`` rows: (rows deleted, the
        cutoff), (0, None) when retention is off."""
        before = self.history_cutoff(now or datetime.now(UTC))
        if before is None:
            return 0, None
        total = 0
        while True:
            deleted = prune_history(self._conn, self.key, before, PRUNE_BATCH)
            total += deleted
            if deleted < PRUNE_BATCH:
                return total, before

    def _sync(self, now: datetime, before: Mapping[str, Any]) -> dict[str, Any]:
        """Sync the accounts due at ``now``; their status (failures, next attempt) after it."""
        book = self.book
        status = {name: dict(v) for name, v in before.items()
                  if any(a.name == name for a in book.accounts)}
        due = []
        for cfg in book.accounts:
            if cfg.is_paper:
                continue
            s = status.setdefault(cfg.name, {"ok": None, "failures": 0, "error": None})
            nxt = s.get("next_attempt")
            if nxt is None or datetime.fromisoformat(nxt) <= now:
                due.append(cfg)
            else:
                s["skipped"] = True
        if not due:
            return status
        subset = book.model_copy(update={"accounts": tuple(due)})
        report = self.sync(subset, data_dir=self.data_dir, environ=self.environ, now=now,
                           progress=self._check_stop)
        for r in report.accounts:
            s = status[r.account]
            s.pop("skipped", None)
            if r.ok:
                s.update(ok=True, failures=0, error=None, next_attempt=None)
            else:
                failures = int(s.get("failures") or 0) + 1
                wait = backoff_seconds(self.every, failures)
                s.update(ok=False, failures=failures, error=r.error, error_kind=r.error_kind,
                         next_attempt=(now + timedelta(seconds=wait)).isoformat())
        return status

    # ------------------------------------------------------------------ the loop
    def run(self, *, once: bool = False, as_json: bool = False,
            max_cycles: int | None = None) -> int:
        """Cycles every ``every`` seconds until SIGINT/SIGTERM (or one with ``once``). Exit code:
        0, or 1 when ``once`` and an account failed to sync."""
        lock = BookLock(self.book_path, self.data_dir)
        lock.acquire()
        restore = self._install_signals()
        cycles = 0
        code = 0
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    result = self.cycle()
                except (HedgekitError, sqlite3.OperationalError) as exc:
                    # a failed cycle wrote nothing (its transaction rolled back); the first one
                    # failing is a problem of the book or the setup: stop there
                    if once or cycles == 0:
                        raise
                    print(f"monitor: cycle failed, next one in {self.every:g}s: {exc}", file=sys.stderr)
                    result = None
                if result is not None:
                    cycles += 1
                    self._print(result, as_json)
                    code = 0 if result.sync_ok or not once else 1
                    if self.rebalance is not None and needs_rebalance(result.state, self.book.execution.band):
                        try:
                            self.rebalance(self.book_path, self.data_dir)
                        except HedgekitError as exc:  # a guard refused: the next cycle decides again
                            print(f"monitor: rebalance refused: {exc}", file=sys.stderr)
                if once or (max_cycles is not None and cycles >= max_cycles):
                    break
                self.stop.wait(max(0.0, self.every - (time.monotonic() - started)))
        except KeyboardInterrupt:  # a second signal: abort now (SQLite rolls back)
            print("monitor: aborted", file=sys.stderr)
            return 130
        finally:
            restore()
            lock.release()
        if self.stop_reason is not None:
            print(f"monitor: stopped ({self.stop_reason}) after {cycles} recorded cycles",
                  file=sys.stderr)
        return code

    def _install_signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum: int, _frame: Any) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt
            self.stop_reason = signal.Signals(signum).name
            self.stop.set()

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for s, h in old.items():
                signal.signal(s, h)

        return restore

    def _print(self, result: CycleResult, as_json: bool) -> None:
        if as_json:
            import json

            from hedgekit.monitor.store import _finite

            print(json.dumps(_finite(result.to_dict()), default=str), file=self.out, flush=True)
            return
        s = result.state
        parts = [f"NAV {s['nav_usd']:,.0f} USD"]
        if s.get("nav_coin") is not None:
            parts[0] += f" ({s['nav_coin']:,.4f} {s['nav_coin_unit']})"
        for label, name in (("hedge", "hedge_ratio"), ("drift", "drift"), ("margin", "margin_ratio"),
                            ("liq distance", "liquidation_distance")):
            v = s.get(name)
            parts.append(f"{label} {'-' if v is None else f'{v:.1%}'}")
        parts.append(f"funding {s['funding_per_day_usd']:+,.2f} USD/day")
        failed = [n for n, a in s["accounts"].items() if a.get("ok") is False]
        if failed:
            parts.append("sync failed: " + ", ".join(failed))
        print(f"{s['ts'][:19]}Z {self.book_path.stem}: " + ", ".join(parts), file=self.out, flush=True)
        for e, d in result.events:
            sent = "sent" if d.get("delivered") else ("not sent" if d.get("targets") else "no target")
            print(f"  {e.state.upper()} {e.severity} {e.rule}: {e.message} [{sent}]", file=self.out,
                  flush=True)

