"""``hedgekit serve BOOK``: the web dashboard of a book (FastAPI app run by uvicorn)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

TOKEN_ENV = "HEDGEKIT_TOKEN"


def serve(
    book: Annotated[Path, typer.Argument(help="Book (portfolio) YAML file, e.g. examples/live-book.yaml.",
                                         show_default=False)],
    host: Annotated[str, typer.Option("--host", help="Address to bind; anything but loopback needs "
                                      "HEDGEKIT_TOKEN.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8050,
    allow_actions: Annotated[bool, typer.Option(
        "--allow-actions", help="Show the rebalance and halt buttons (needs HEDGEKIT_TOKEN); they "
        "go through the order executor and its guards.")] = False,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="Data directory: sync cache, store, journal (default: HEDGEKIT_DATA_DIR, "
        "else the user data dir).", show_default=False)] = None,
    reports: Annotated[Path | None, typer.Option(
        "--reports", help="Folder of backtest HTML reports to list (default: <data dir>/reports).",
        show_default=False)] = None,
) -> None:
    """Serve the dashboard of a book: now, history, alerts and orders, plan vs actual, reports."""
    from hedgekit.errors import InputError
    from hedgekit.portfolio import load_portfolio
    from hedgekit.web.security import check_bind

    token = os.environ.get(TOKEN_ENV) or None
    check_bind(host, token, allow_actions)
    if not book.is_file():
        raise InputError("book", "no such file", str(book))
    load_portfolio(book)  # a bad book is refused here, with the field named, not on the first page
    import uvicorn

    from hedgekit.web.app import create_app

    app = create_app(book, data_dir=data_dir, allow_actions=allow_actions, token=token,
                     reports_dir=reports)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"hedgekit dashboard of {book.name} on http://{shown}:{port}/ "
               f"({'actions on' if allow_actions else 'read-only'}); Ctrl-C stops it", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
