"""What the dashboard's buttons call. The dashboard never sends an order itself: a button calls
an action ``(book_path, data_dir) -> message``, which goes through :mod:`hedgekit.operations`
(the same ``rebalance`` and ``halt`` as the CLI, with every guard of the executor, the halt
switch and the journal). Buttons exist only with ``--allow-actions`` and a token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hedgekit.errors import HedgekitError

__all__ = ["ACTIONS", "Action", "ActionUnavailable", "default_actions"]

Action = Callable[[Path, Path], str]
ACTIONS = {"rebalance": "Rebalance to target", "halt": "Halt trading"}


class ActionUnavailable(HedgekitError):
    """The action has no executor behind it in this installation."""


def _rebalance(book: Path, data_dir: Path) -> str:
    from hedgekit.operations import rebalance

    report = rebalance(book, execute=True, data_dir=data_dir)
    orders = report["orders"]
    if not orders:
        return "rebalance: no orders (every leg is on target, within its band, or skipped by a guard)"
    done = ", ".join(f"{o['side']} {o['contracts']:g} {o['symbol']} [{o['status']}]" for o in orders)
    return f"rebalance: {len(orders)} order(s): {done}"


def _halt(book: Path, data_dir: Path) -> str:
    from hedgekit.operations import halt

    cancelled = halt(book, data_dir=data_dir, reason="halt from the dashboard")
    return f"halted: nothing is sent until resume; {len(cancelled)} open order(s) cancelled"


def default_actions() -> dict[str, Action]:
    """The buttons' actions: rebalance (executes, with every guard) and halt."""
    return {"rebalance": _rebalance, "halt": _halt}
