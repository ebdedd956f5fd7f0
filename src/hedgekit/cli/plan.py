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
    from hedgekit.errors import InputError

    result = build_plan(portfolio, data_dir, live=live, quiet=json)
    if result.policy.recent_funding_days:  # the store is read for funding anyway: name the best forecaster
        result = _with_forecaster_note(result, data_dir)
    stale = [w for w in result.warnings if w.code == "stale-price"]
    if strict and stale:
        raise InputError("--strict", f"stale-price: {stale[0].message}", show_value=False)
    emit(result, json, "render_plan")


def _with_forecaster_note(result, data_dir: Path | None):
    """The plan with a note naming the funding forecaster that scores best out of sample on the
    legs' stored funding (``hedgekit analyze funding``); the plan's rates stay as they are."""
    from dataclasses import replace

    from hedgekit.cli.risk import funding_forecaster
    from hedgekit.data import Store

    _, series, _, name = funding_forecaster(result, Store(data_dir), 30)
    if name is None:
        return result
    note = (f"funding: the {result.policy.recent_funding_days}-day mean is used (recent_funding_days); "
            f"out of sample the best 30-day forecaster on the legs' stored funding is {name} "
            "(hedgekit analyze funding; hedgekit risk uses it)")
    return replace(result, notes=(*result.notes, note))


def build_plan(portfolio: Path, data_dir: Path | None, *, live: bool = False, quiet: bool = False):
    """The plan of the book at ``portfolio`` as ``hedgekit plan`` makes it (:func:`assemble`),
    with a spinner on a terminal once reading or planning takes more than a second."""
    from datetime import datetime

    from hedgekit.cli._output import working
    from hedgekit.planner import plan
    from hedgekit.portfolio import load_portfolio

    with working("reading the book"):
        book = load_portfolio(portfolio)
    held, market = assemble(book, data_dir, live=live, quiet=quiet)
    with working("planning"):
        return plan(book, market, positions=held, now=datetime.now(UTC))


def assemble(book, data_dir: Path | None, *, live: bool = False, quiet: bool = False):
    """``(held positions, market snapshot)`` of ``book`` (:func:`hedgekit.market.sources.plan_inputs`),
    its live accounts synced first with ``live`` (progress on stderr)."""
    from hedgekit.market.sources import plan_inputs

    def sync(doc):
        from hedgekit.cli.live import run_sync

        run_sync(doc, data_dir, quiet=quiet)

    return plan_inputs(book, data_dir, sync=sync if live else None)


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
