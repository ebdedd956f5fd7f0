"""``hedgekit backtest CONFIG``: run the policies of a YAML config on stored history."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from hedgekit.errors import InputError

__all__ = ["register"]


def _check_out(flag: str, path: str | None, suffix: str) -> None:
    if path is None:
        return
    import os

    p = Path(path)
    if p.suffix.lower() != suffix:
        raise InputError(flag, f"must end in {suffix}", path)
    if not p.parent.exists():
        raise InputError(flag, "its folder does not exist", path)
    if p.is_dir():
        raise InputError(flag, "is a folder, not a file", path)
    if not os.access(p.parent, os.W_OK):
        raise InputError(flag, "its folder is not writable", path)


def _write(flag: str, writer, result, path: str, title: str) -> None:
    """Write a report; a failure (disk full, a read-only file system) is one line on ``flag``."""
    try:
        writer(result, path, title=title)
    except OSError as exc:
        raise InputError(flag, f"cannot write the file: {exc.strerror or exc}", path) from None


def backtest(
    config: Annotated[str, typer.Argument(help="YAML config (see examples/backtest.yaml).")],
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    html: Annotated[str | None, typer.Option("--html", help="Write an interactive HTML report.")] = None,
    png: Annotated[str | None, typer.Option("--png", help="Write the charts as a PNG.")] = None,
    data_dir: Annotated[str | None, typer.Option(
        "--data-dir", help="Store folder (default: $HEDGEKIT_DATA_DIR or the user data dir).")] = None,
) -> None:
    """Backtest hedge policies with funding, fees, margin and liquidation on real history."""
    _check_out("--html", html, ".html")
    _check_out("--png", png, ".png")
    if data_dir is not None and not Path(data_dir).is_dir():
        raise InputError("--data-dir", "is not a folder", data_dir)

    from hedgekit.backtest.config import load_config, load_market, policies_from
    from hedgekit.backtest.engine import run_backtest
    from hedgekit.cli._output import console, print_json

    cfg = load_config(config)
    assets, market = load_market(cfg, data_dir=data_dir)  # data errors surface before any output
    policies = policies_from(cfg)
    run = partial(run_backtest, assets, market, policies, cash=cfg.cash_usd, reserve=cfg.reserve_usd)
    if json or not sys.stderr.isatty():
        result = run()
    else:
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("backtest", total=len(policies))
            result = run(progress=lambda done, total: bar.update(task, completed=done))
    from hedgekit.reports.backtest import backtest_table, write_html, write_png

    if html:
        _write("--html", write_html, result, html, cfg.name)
    if png:
        _write("--png", write_png, result, png, cfg.name)
    if json:
        print_json(result.to_dict())
        return
    out = console()
    out.print(backtest_table(result, title=cfg.name))
    out.print("HE = 1 - Var(hedged) / Var(unhedged) of bar returns; max DD and CVaR95 are losses; "
              "funding > 0 = received.")
    for path in (html, png):
        if path:
            out.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)
