"""``hedgekit scenario PORTFOLIO``: stress the planned hedge under a grid of benchmark shocks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hedgekit.cli.plan import DataDirOpt, emit
from hedgekit.errors import InputError, check_finite

PortfolioArg = Annotated[Path, typer.Argument(
    help="Portfolio YAML file (holdings, prices, hedge policy); see examples/portfolio.yaml.",
    show_default=False)]
ShocksOpt = Annotated[str, typer.Option(
    "--shocks", help="Comma-separated benchmark moves in %, e.g. -50,-20,0,20,100.")]
HorizonOpt = Annotated[float, typer.Option("--horizon-days", help="Days of funding and yield.")]
BenchOpt = Annotated[str | None, typer.Option(
    "--benchmark", help="Asset whose shock drives the grid (default: the file's, else BTC).")]
AssetShockOpt = Annotated[list[str] | None, typer.Option(
    "--asset-shock", help="Fix one asset's move in every row, ASSET=PCT (e.g. SOL=-40); repeatable.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def parse_shocks(text: str) -> list[float]:
    """``"-50,-30,0,20"`` -> ``[-50.0, -30.0, 0.0, 20.0]``; each must be a number > -100."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise InputError("--shocks", "needs at least one number", text)
    out = []
    for p in parts:
        x = check_finite("--shocks", p.removesuffix("%"))
        if x <= -100:
            raise InputError("--shocks", "each shock must be > -100 (%)", p)
        out.append(x)
    return out


def parse_asset_shocks(items: list[str] | None) -> dict[str, float]:
    out = {}
    for item in items or []:
        asset, sep, value = item.partition("=")
        if not sep or not asset.strip():
            raise InputError("--asset-shock", "must look like ASSET=PCT, e.g. SOL=-40", item)
        pct = check_finite("--asset-shock", value.strip().removesuffix("%"))
        if pct <= -100:
            raise InputError("--asset-shock", "must be > -100 (%)", item)
        out[asset.strip().upper()] = pct / 100.0
    return out


def scenario_command(portfolio: PortfolioArg,
                     shocks: ShocksOpt = "-50,-30,-20,-10,0,10,20,50,100",
                     horizon_days: HorizonOpt = 30.0, benchmark: BenchOpt = None,
                     asset_shock: AssetShockOpt = None, json: JsonOpt = False,
                     data_dir: DataDirOpt = None) -> None:
    """Stress the hedged book: spot, hedge (exact payoff), funding, net, margin, liquidation."""
    grid = parse_shocks(shocks)
    fixed = parse_asset_shocks(asset_shock)
    if horizon_days < 0:
        raise InputError("--horizon-days", "must be >= 0", horizon_days)
    from hedgekit.cli._output import working
    from hedgekit.market.sources import snapshot_for, store_at
    from hedgekit.planner import plan
    from hedgekit.portfolio import load_portfolio
    from hedgekit.scenarios import run_scenarios

    with working("stress-testing"):  # a spinner on a terminal once it takes more than a second
        book = load_portfolio(portfolio)
        result = run_scenarios(plan(book, snapshot_for(book, store=store_at(data_dir))), grid,
                               horizon_days=horizon_days, benchmark=benchmark, asset_shocks=fixed)
    emit(result, json, "render_scenarios")


def register(app: typer.Typer) -> None:
    app.command("scenario")(scenario_command)
