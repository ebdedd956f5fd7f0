"""``hedgekit monitor BOOK``: sync, measure, alert and record, every interval or once."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hedgekit.monitor.runner import Monitor

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
PruneOpt = Annotated[bool, typer.Option(
    "--prune", help="Delete this book's state history older than alerts.history_days now, "
    "print how many rows, and exit (no cycle; alerts and orders are kept).")]
DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="Data directory (default: HEDGEKIT_DATA_DIR, else the user data dir).",
    show_default=False)]


def monitor_command(book: BookArg, every: EveryOpt = "60s", once: OnceOpt = False,
                    auto_rebalance: RebalanceOpt = False, json: JsonOpt = False,
                    data_dir: DataDirOpt = None, prune: PruneOpt = False) -> int:
    """Watch a book: sync, check the alert rules, record its state and alert, every interval."""
    from hedgekit._validation import duration_seconds
    from hedgekit.monitor.runner import Monitor

    seconds = duration_seconds("--every", every)
    monitor = Monitor(book, data_dir=data_dir, every=seconds)
    if auto_rebalance:
        monitor.rebalance = partial(_rebalance, as_json=json)
    try:
        if prune:
            return _prune(monitor, book, as_json=json)
        return monitor.run(once=once, as_json=json)
    finally:
        monitor.close()


def _prune(monitor: Monitor, book: Path, *, as_json: bool) -> int:
    """``--prune``: retention now, one line (or one JSON object) saying what went."""
    deleted, before = monitor.prune()
    if as_json:
        import json

        print(json.dumps({"pruned": deleted, "before": before}), flush=True)
    elif before is None:
        print(f"monitor: {book.stem}: alerts.history_days is off, the whole history is kept", flush=True)
    else:
        print(f"monitor: {book.stem}: deleted {deleted} state_history rows older than {before[:19]}Z",
              flush=True)
    return 0


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
