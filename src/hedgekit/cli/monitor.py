"""``hedgekit monitor BOOK``: sync, measure, alert and record, every interval or once."""

from __future__ import annotations

from functools import partial
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
    "--auto-rebalance", help="After a cycle whose drift is beyond execution.band, run "
    "'hedgekit rebalance --execute --yes' with all its guards.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print each cycle as one JSON line.")]
DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="Data directory (default: HEDGEKIT_DATA_DIR, else the user data dir).",
    show_default=False)]


def monitor_command(book: BookArg, every: EveryOpt = "60s", once: OnceOpt = False,
                    auto_rebalance: RebalanceOpt = False, json: JsonOpt = False,
                    data_dir: DataDirOpt = None) -> int:
    """Watch a book: sync, check the alert rules, record its state and alert, every interval."""
    from hedgekit._validation import duration_seconds
    from hedgekit.monitor.runner import Monitor

    seconds = duration_seconds("--every", every)
    monitor = Monitor(book, data_dir=data_dir, every=seconds)
    if auto_rebalance:
        monitor.rebalance = partial(_rebalance, as_json=json)
    try:
        return monitor.run(once=once, as_json=json)
    finally:
        monitor.close()


def _rebalance(book: Path, data_dir: Path | None, *, as_json: bool) -> None:
    """``hedgekit rebalance BOOK --execute --yes``, every guard included (band, kill switch,
    limits, the journal reconciled first); its report printed under the cycle's lines."""
    import contextlib
    import io

    from hedgekit.cli.execution import rebalance_command

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rebalance_command(book, execute=True, yes=True, json=as_json, data_dir=data_dir)
    if as_json:
        import json

        print(json.dumps({"rebalance": json.loads(out.getvalue())}), flush=True)
        return
    for line in out.getvalue().splitlines():
        print(f"  rebalance: {line.strip()}", flush=True)


def register(app: typer.Typer) -> None:
    app.command("monitor")(monitor_command)
