"""``hedgekit sync BOOK`` and ``hedgekit positions BOOK``: the live book, read-only.

Keys come from the environment or the OS keyring (``accounts:`` in the book names where) and
never appear in any output. ccxt is imported only by ``sync``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

BookArg = Annotated[Path, typer.Argument(
    help="Book file (holdings, hedge policy, accounts, positions); see examples/live-book.yaml.",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="Data directory (default: HEDGEKIT_DATA_DIR, else the user data dir).",
    show_default=False)]


def sync_command(book: BookArg, json: JsonOpt = False, data_dir: DataDirOpt = None) -> int:
    """Read balances, positions, orders, marks, funding, markets and tiers of every account."""
    from hedgekit.portfolio import load_portfolio

    doc = load_portfolio(book)
    report = run_sync(doc, data_dir, quiet=json)
    if json:
        from hedgekit.cli._output import print_json

        print_json(report)
    return 0 if report.ok else 1


def run_sync(doc: Any, data_dir: Path | None, *, quiet: bool) -> Any:
    """Sync every account of ``doc``, printing one progress line per account on stderr."""
    from hedgekit.errors import InputError
    from hedgekit.live.sync import sync_book

    if not doc.accounts:
        raise InputError("accounts", "the book has no accounts to sync; add an accounts: section",
                         show_value=False)

    def progress(result: Any) -> None:
        if quiet and not sys.stderr.isatty():
            return
        if result.ok:
            line = (f"{result.account} ({result.venue}): {result.positions} positions, "
                    f"{result.balances} balances, {result.open_orders} open orders")
        else:
            line = f"{result.account} ({result.venue}): FAILED, last good snapshot kept: {result.error}"
        print(line, file=sys.stderr)

    return sync_book(doc, data_dir=data_dir, progress=progress)


def positions_command(book: BookArg, json: JsonOpt = False, data_dir: DataDirOpt = None) -> None:
    """What every account holds (last sync), with hedgekit's liquidation price beside the venue's."""
    from hedgekit.live.book import load_live_book
    from hedgekit.live.positions import positions_report
    from hedgekit.market.sources import snapshot_for
    from hedgekit.portfolio import load_portfolio

    doc = load_portfolio(book)
    live = load_live_book(doc, data_dir)
    market = snapshot_for(doc, live=live, use_store=False)
    if any(a.is_paper for a in doc.accounts):
        from dataclasses import replace

        from hedgekit.execution.paper import account_states

        live = replace(live, accounts=live.accounts + account_states(doc, market, data_dir))
    report = positions_report(doc, live, market)
    if json:
        from hedgekit.cli._output import print_json

        print_json(report)
        return
    from hedgekit.cli._output import console
    from hedgekit.reports.live import render_positions

    render_positions(report, console())


def register(app: typer.Typer) -> None:
    app.command("sync")(sync_command)
    app.command("positions")(positions_command)
