"""``hedgekit sweep CONFIG``: a grid of policies on a backtest config's book and history, in
this process or on a Dask cluster, into one table (parquet)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hedgekit.errors import InputError

__all__ = ["register"]

_TOP = 10  # rows of the terminal table


def sweep(
    config: Annotated[str, typer.Argument(help="YAML backtest config: the book, hedges and period.")],
    grid: Annotated[str | None, typer.Option(
        "--grid", help="YAML grid of policy parameters (default: the config's policies).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="'local' (a Dask LocalCluster) or a scheduler address tcp://HOST:8786; "
        "default: in this process, no Dask.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes of --scheduler local (default: one per core).")] = None,
    chunk_size: Annotated[int | None, typer.Option(
        "--chunk-size", help="Policies per task (default: about four tasks per worker thread).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object with every run.")] = False,
    out: Annotated[str | None, typer.Option("--out", help="Write the table to this .parquet file.")] = None,
    data_dir: Annotated[str | None, typer.Option(
        "--data-dir", help="Store folder (default: $HEDGEKIT_DATA_DIR or the user data dir).")] = None,
) -> None:
    """Sweep a grid of hedge policies over stored history; one row of metrics per policy."""
    from pathlib import Path

    from hedgekit.cli.backtest import _check_out

    # everything the user can get wrong is checked before data is read or a cluster starts
    _check_out("--out", out, ".parquet")
    if data_dir is not None and not Path(data_dir).is_dir():
        raise InputError("--data-dir", "is not a folder", data_dir)
    if chunk_size is not None and chunk_size < 1:
        raise InputError("--chunk-size", "must be an integer >= 1", chunk_size)
    if scheduler is not None:
        from hedgekit.sweep.cluster import check_scheduler

        check_scheduler(scheduler, workers)
    elif workers is not None:
        raise InputError("--workers", "only with --scheduler local", workers)

    from hedgekit.backtest.config import load_config, load_market, policies_from
    from hedgekit.sweep.grid import grid_policies, load_grid
    from hedgekit.sweep.runner import run_sweep, write_parquet

    cfg = load_config(config)
    policies = grid_policies(load_grid(grid)) if grid is not None else policies_from(cfg)
    assets, market = load_market(cfg, data_dir=data_dir)  # data errors surface before any output

    def run(client=None, progress=None):
        return run_sweep(assets, market, policies, cash=cfg.cash_usd, reserve=cfg.reserve_usd,
                         chunk_size=chunk_size, client=client, progress=progress)

    def run_with_bar(client=None):
        if json or not sys.stderr.isatty():
            return run(client)
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("sweep", total=len(policies))
            return run(client, lambda done, total: bar.update(task, completed=done))

    if scheduler is None:
        table = run_with_bar()
    else:
        from hedgekit.sweep.cluster import connect

        with connect(scheduler, workers) as client:
            table = run_with_bar(client)
    if out:
        write_parquet(table, out)
    where = "in-process" if scheduler is None else scheduler
    if json:
        from hedgekit.cli._output import print_json

        print_json({"name": cfg.name, "runs": len(table), "scheduler": where, "out": out,
                    "rows": table.to_dict(orient="records")})
        return
    _print_table(table, cfg.name, where, out)


def _print_table(table, title: str, where: str, out: str | None) -> None:
    from rich.table import Table

    from hedgekit.cli._output import console

    best = table.sort_values(["hedge_effectiveness", "run"], ascending=[False, True]).head(_TOP)
    view = Table(title=title, caption=f"{len(table):,} runs ({where}); the {len(best)} with the highest "
                 "hedge effectiveness (HE)")
    view.add_column("run", justify="right", no_wrap=True)
    view.add_column("policy", overflow="fold", min_width=16)
    for head in ("HE", "return", "max DD", "funding USD", "liq."):
        view.add_column(head, justify="right", no_wrap=True)
    for row in best.itertuples(index=False):
        view.add_row(str(row.run), row.name, f"{row.hedge_effectiveness:.3f}", f"{row.total_return:.2%}",
                     f"{row.max_drawdown:.2%}", f"{row.funding_usd:,.0f}", str(row.liquidations))
    con = console()
    con.print(view)
    if out:
        con.print(f"wrote {out} ({len(table):,} rows)")


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
