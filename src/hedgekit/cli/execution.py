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


def rebalance_command(book: BookArg, execute: ExecuteOpt = False, yes: YesOpt = False,
                      json: JsonOpt = False, data_dir: DataDirOpt = None) -> int:
    """The trades that bring the hedge to target, as guarded orders; --execute sends them."""
    from hedgekit.operations import rebalance

    def sync(doc: Any) -> None:
        from hedgekit.cli.live import run_sync

        run_sync(doc, data_dir, quiet=json)

    def confirm(n: int) -> bool:
        if not typer.confirm(f"send {n} order(s) for {book}?"):
            raise typer.Abort()
        return True

    report = rebalance(book, execute=execute, data_dir=data_dir, confirm=None if yes else confirm,
                       sync=sync, on_note=lambda note: print(f"reconciled: {note}", file=sys.stderr))
    if json:
        from hedgekit.cli._output import print_json

        print_json(report)
    else:
        _print_rebalance(report, book)
    failed = [o for o in report["orders"] if o["status"] in ("rejected", "unknown", "intent")]
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
    from hedgekit.execution.ids import book_key
    from hedgekit.operations import order_history

    start = _since(since)
    rows = order_history(book, since=start, data_dir=data_dir)
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
    from hedgekit.operations import halt

    lines = halt(book, data_dir=data_dir)
    print(f"halted {book}: nothing is sent until 'hedgekit resume {book}'")
    for line in lines:
        print(f"  {line}")


def resume_command(book: BookArg, data_dir: DataDirOpt = None) -> None:
    """Lift the kill switch of a book."""
    from hedgekit.operations import resume

    print(f"resumed {book}" if resume(book, data_dir=data_dir) else f"{book} was not halted")


def register(app: typer.Typer) -> None:
    app.command("rebalance")(rebalance_command)
    app.command("orders")(orders_command)
    app.command("halt")(halt_command)
    app.command("resume")(resume_command)
