"""``hedgekit monitor BOOK``: sync, measure, alert and record, every interval or once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

BookArg = Annotated[Path, typer.Argument(
    help="Book file (holdings, hedge policy, accounts or positions, alerts); see "
    "examples/live-book.yaml.", show_default=False)]
EveryOpt = Annotated[str, typer.Option(
    "--every", help="Time between cycles: 90s, 5m, 1h or seconds.")]
OnceOpt = Annotated[bool, typer.Option("--once", help="Run one cycle and exit (for cron).")]
RebalanceOpt = Annotated[bool, typer.Option(
    "--auto-rebalance", help="After each cycle, rebalance through 'hedgekit rebalance' and all "
    "its guards (needs the order executor).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print each cycle as one JSON line.")]
DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="Data directory (default: HEDGEKIT_DATA_DIR, else the user data dir).",
    show_default=False)]


def monitor_command(book: BookArg, every: EveryOpt = "60s", once: OnceOpt = False,
                    auto_rebalance: RebalanceOpt = False, json: JsonOpt = False,
                    data_dir: DataDirOpt = None) -> int:
    """Watch a book: sync, check the alert rules, record its state and alert, every interval."""
    from hedgekit._validation import duration_seconds
    from hedgekit.monitor.runner import Monitor, find_rebalancer

    seconds = duration_seconds("--every", every)
    rebalance = find_rebalancer() if auto_rebalance else None
    monitor = Monitor(book, data_dir=data_dir, every=seconds)
    monitor.rebalance = rebalance
    try:
        return monitor.run(once=once, as_json=json)
    finally:
        monitor.close()


def register(app: typer.Typer) -> None:
    app.command("monitor")(monitor_command)
