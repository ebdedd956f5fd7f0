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


def plan_command(portfolio: PortfolioArg, json: JsonOpt = False) -> None:
    """Size the futures hedge of a portfolio: legs, rounding, margin, liquidation, carry, warnings."""
    from hedgekit.market.sources import snapshot_for
    from hedgekit.planner import held_from_book, plan
    from hedgekit.portfolio import load_portfolio

    book = load_portfolio(portfolio)
    emit(plan(book, snapshot_for(book), positions=held_from_book(book)), json, "render_plan")


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
