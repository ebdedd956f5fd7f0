"""What the dashboard's buttons call. The dashboard never sends an order itself: a button calls
an action ``(book_path, data_dir) -> message``, which the executor provides (``hedgekit
rebalance`` / ``hedgekit halt``, with all their guards). Until an executor is installed the
actions raise :class:`ActionUnavailable`, and the page says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hedgekit.errors import HedgekitError

__all__ = ["ACTIONS", "Action", "ActionUnavailable", "default_actions"]

Action = Callable[[Path, Path], str]
ACTIONS = {"rebalance": "Rebalance to target", "halt": "Halt trading"}


class ActionUnavailable(HedgekitError):
    """The action has no executor behind it in this installation."""


def _unavailable(name: str) -> Action:
    def action(book: Path, data_dir: Path) -> str:
        raise ActionUnavailable(f"{name} is not available: this hedgekit has no order executor "
                                f"('hedgekit {name}'), so the dashboard cannot {name}")
    return action


def default_actions() -> dict[str, Action]:
    """One action per button; each says it is not available until an executor provides it."""
    return {name: _unavailable(name) for name in ACTIONS}
