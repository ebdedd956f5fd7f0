"""``hedgekit rebalance``, ``orders``, ``halt`` and ``resume``: placing the plan's trades.

``rebalance`` is a dry run unless ``--execute``; then it reconciles the order journal with the
venues, plans on what is held after that, applies the guards and (after a confirmation, or
``--yes``) sends through the executor. A halted book refuses ``--execute`` (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

BookArg = Annotated[Path, typer.Argument(
    help="Book file (holdings, hedge policy, accounts, execution); see examples/paper-book.yaml.",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="Data directory (default: HEDGEKIT_DATA_DIR, else the user data dir).",
    show_default=False)]
ExecuteOpt = Annotated[bool, typer.Option(
    "--execute", help="Send the orders (default: a dry run that only prints them).")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation before sending.")]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", help="Only orders created in the last DURATION (24h, 7d) or since an ISO date/time.",
    show_default=False)]


def book_key(path: Path) -> str:
    """The book's id in the journal: its file name and a digest of its absolute path."""
    from hedgekit.execution.ids import digest

    return f"{path.stem}-{digest(str(path.resolve()), length=6)}"


def rebalance_command(book: BookArg, execute: ExecuteOpt = False, yes: YesOpt = False,
                      json: JsonOpt = False, data_dir: DataDirOpt = None) -> int:
    """The trades that bring the hedge to target, as guarded orders; --execute sends them."""
    from datetime import UTC, datetime

    from hedgekit.cli.plan import assemble
    from hedgekit.errors import InputError
    from hedgekit.execution.executor import Executor
    from hedgekit.execution.guards import guard_orders
    from hedgekit.execution.journal import Journal
    from hedgekit.execution.venues import id_rules_for, open_venues
    from hedgekit.planner import plan
    from hedgekit.portfolio import load_portfolio

    doc = load_portfolio(book)
    key = book_key(book)
    settings = doc.execution
    journal = Journal(data_dir)
    halted = journal.halted(key)
    if execute and halted is not None:
        raise InputError("BOOK", f"{book} is halted since {halted['halted_at']} ({halted['reason']}); "
                         f"nothing is sent until 'hedgekit resume {book}'", show_value=False)
    held, market = assemble(doc, data_dir, quiet=json)
    executor = None
    if execute:
        now = datetime.now(UTC)
        executor = Executor(journal, open_venues(doc, market, data_dir=data_dir), key,
                            timeout_s=settings.timeout_s)
        for note in executor.reconcile():
            print(f"reconciled: {note}", file=sys.stderr)
        # what is held after reconciling (live accounts are synced again first)
        held, market = assemble(doc, data_dir, live=any(not a.is_paper for a in doc.accounts),
                                quiet=json)
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
        if not yes and not typer.confirm(f"send {len(orders)} order(s) for {book}?"):
            raise typer.Abort()
        orders = executor.execute(orders)
    journal.close()
    report = {"as_of": now.isoformat(), "dry_run": not execute,
              "orders": [o.to_dict() for o in orders],
              "skipped": [s.to_dict() for s in guarded.skipped]}
    if json:
        from hedgekit.cli._output import print_json

        print_json(report)
    else:
        _print_rebalance(report, book)
    failed = [o for o in orders if o.status in ("rejected", "unknown", "intent")]
    return 1 if failed else 0


def _print_rebalance(report: dict[str, Any], book: Path) -> None:
    orders = report["orders"]
    if report["dry_run"]:
        head = f"dry run: {len(orders)} order(s)" + (" (add --execute to send)" if orders else "")
    else:
        head = f"executed: {len(orders)} order(s)"
    if not orders:
        head = "no orders" + ("" if report["skipped"] else ": every leg is on target or within its band")
    print(head)
    for o in orders:
        price = f"limit {o['limit_price']:,.10g}" if o["limit_price"] is not None else "market"
        flags = " reduce-only" if o["reduce_only"] else ""
        fill = (f" {o['filled_contracts']:g} @ {o['average_price']:,.10g}, fee {o['fee']:.6g}"
                if o["filled_contracts"] else "")
        print(f"  {o['account']} {o['side']} {o['contracts']:g} {o['symbol']} ({o['venue']}) "
              f"{price}{flags} [{o['status']}{fill}] {o['client_order_id']}: {o['reason']}")
    for s in report["skipped"]:
        print(f"  skipped {s['account']} {s['symbol']}: {s['reason']}")


def orders_command(book: BookArg, json: JsonOpt = False, since: SinceOpt = None,
                   data_dir: DataDirOpt = None) -> None:
    """The book's orders in the journal: intent, venue answer, fills, fees, messages."""
    from hedgekit.execution.journal import Journal, journal_path
    from hedgekit.portfolio import load_portfolio

    load_portfolio(book)
    start = _since(since)
    rows: list[dict[str, Any]] = []
    if journal_path(data_dir).exists():
        journal = Journal(data_dir)
        rows = journal.orders(book_key(book), start)
        journal.close()
    if json:
        from hedgekit.cli._output import print_json

        print_json({"book": book_key(book), "orders": rows})
        return
    if not rows:
        print("no orders in the journal" + (f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""))
    for r in rows:
        price = "market" if r["limit_price"] is None else f"limit {r['limit_price']:,.10g}"
        fill = (f" {r['filled_contracts']:g} @ {r['average_price']:,.10g}, fee {r['fee']:.6g} "
                f"{r['fee_currency']}" if r["filled_contracts"] else "")
        msg = f" ({r['message']})" if r["message"] else ""
        print(f"{r['created_at'][:19]} {r['account']} {r['side']} {r['contracts']:g} {r['symbol']} "
              f"{price}{' reduce-only' if r['reduce_only'] else ''} {r['status']}{fill}{msg} "
              f"{r['client_order_id']}")


def _since(text: str | None):
    from datetime import UTC, datetime, timedelta

    from hedgekit._validation import duration_seconds
    from hedgekit.errors import InputError

    if text is None:
        return None
    if text.strip()[:1].isdigit() and text.strip()[-1:].lower() in "smhd" and "-" not in text:
        return datetime.now(UTC) - timedelta(seconds=duration_seconds("--since", text))
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError("--since", "must be a duration like 24h or 7d, or an ISO date/time",
                         text) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def halt_command(book: BookArg, data_dir: DataDirOpt = None) -> None:
    """The kill switch: nothing is sent for this book until 'resume'; its open orders are cancelled."""
    from datetime import UTC, datetime

    from hedgekit.execution.executor import Executor
    from hedgekit.execution.journal import Journal
    from hedgekit.execution.venues import open_venues
    from hedgekit.market.sources import snapshot_for
    from hedgekit.portfolio import load_portfolio

    doc = load_portfolio(book)
    key = book_key(book)
    journal = Journal(data_dir)
    journal.halt(key, datetime.now(UTC))
    print(f"halted {book}: nothing is sent until 'hedgekit resume {book}'")
    if journal.pending(key):
        venues = open_venues(doc, snapshot_for(doc, use_store=False), data_dir=data_dir)
        for line in Executor(journal, venues, key).cancel_open("halt"):
            print(f"  {line}")
    journal.close()


def resume_command(book: BookArg, data_dir: DataDirOpt = None) -> None:
    """Lift the kill switch of a book."""
    from hedgekit.execution.journal import Journal
    from hedgekit.portfolio import load_portfolio

    load_portfolio(book)
    journal = Journal(data_dir)
    was = journal.resume(book_key(book))
    journal.close()
    print(f"resumed {book}" if was else f"{book} was not halted")


def register(app: typer.Typer) -> None:
    app.command("rebalance")(rebalance_command)
    app.command("orders")(orders_command)
    app.command("halt")(halt_command)
    app.command("resume")(resume_command)
