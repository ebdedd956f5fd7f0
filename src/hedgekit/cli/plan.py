"""``hedgekit plan PORTFOLIO``: the hedge plan of a portfolio file (the main job).

Only parses, assembles the market snapshot (file, then data store), calls the pure
:func:`hedgekit.planner.plan` and renders; no pandas/numba/ccxt on this path.
"""

from __future__ import annotations

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


def plan_command(portfolio: PortfolioArg, json: JsonOpt = False, strict: StrictOpt = False) -> None:
    """Size the futures hedge of a portfolio: legs, rounding, margin, liquidation, carry, warnings."""
    from datetime import datetime, timezone

    from hedgekit.cli._output import working
    from hedgekit.errors import InputError
    from hedgekit.market.sources import snapshot_for
    from hedgekit.planner import held_from_book, plan
    from hedgekit.portfolio import load_portfolio

    with working("planning"):  # a spinner on a terminal once it takes more than a second
        book = load_portfolio(portfolio)
        result = plan(book, snapshot_for(book), positions=held_from_book(book),
                      now=datetime.now(timezone.utc))
    stale = [w for w in result.warnings if w.code == "stale-price"]
    if strict and stale:
        raise InputError("--strict", f"stale-price: {stale[0].message}", show_value=False)
    emit(result, json, "render_plan")


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
