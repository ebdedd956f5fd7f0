"""``hedgekit plan PORTFOLIO``: the hedge plan of a portfolio file (the main job).

Only parses, assembles the market snapshot (file, then data store), calls the pure
:func:`hedgekit.planner.plan` and renders; no pandas/numba/ccxt on this path.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer

PortfolioArg = Annotated[Path, typer.Argument(
    help="Portfolio YAML file (holdings, prices, hedge policy); see examples/portfolio.yaml.",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Refuse (exit 2) when a price is older than max_price_age or prices are "
    "further apart than it, instead of warning.")]
LiveOpt = Annotated[bool, typer.Option(
    "--live", help="Sync the book's accounts first (network); by default a book with accounts "
    "is planned on the last 'hedgekit sync'.")]
DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="Data directory (default: HEDGEKIT_DATA_DIR, else the user data dir).",
    show_default=False)]


def plan_command(portfolio: PortfolioArg, json: JsonOpt = False, strict: StrictOpt = False,
                 live: LiveOpt = False, data_dir: DataDirOpt = None) -> None:
    """Size the futures hedge of a portfolio: legs, rounding, margin, liquidation, carry, trades."""
    from datetime import datetime

    from hedgekit.cli._output import working
    from hedgekit.errors import InputError
    from hedgekit.planner import plan
    from hedgekit.portfolio import load_portfolio

    with working("reading the book"):  # a spinner on a terminal once it takes more than a second
        book = load_portfolio(portfolio)
    held, market = assemble(book, data_dir, live=live, quiet=json)
    with working("planning"):
        result = plan(book, market, positions=held, now=datetime.now(UTC))
    stale = [w for w in result.warnings if w.code == "stale-price"]
    if strict and stale:
        raise InputError("--strict", f"stale-price: {stale[0].message}", show_value=False)
    emit(result, json, "render_plan")


def assemble(book, data_dir: Path | None, *, live: bool = False, quiet: bool = False):
    """``(held positions, market snapshot)`` of ``book`` (:func:`hedgekit.market.sources.plan_inputs`),
    its live accounts synced first with ``live`` (progress on stderr)."""
    from hedgekit.market.sources import plan_inputs

    def sync(doc):
        from hedgekit.cli.live import run_sync

        run_sync(doc, data_dir, quiet=quiet)

    return plan_inputs(book, data_dir, sync=sync if live else None)


def store_at(data_dir: Path | None):
    """The data store at ``--data-dir`` (None: the default store, opened only if needed)."""
    if data_dir is None:
        return None
    from hedgekit.data import Store

    return Store(data_dir)


def emit(result: object, as_json: bool, renderer: str) -> None:
    """Print ``result`` as one JSON object, or with ``hedgekit.reports.plan.<renderer>``."""
    if as_json:
        from hedgekit.cli._output import print_json

        print_json(result)
        return
    from hedgekit.cli._output import console
    from hedgekit.reports import plan as reports

    getattr(reports, renderer)(result, console())


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
