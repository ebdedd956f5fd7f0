"""``hedgekit monitor``: watch a book, record its state every cycle, alert when a rule fires.

| module | owns |
|---|---|
| ``state`` | :func:`measure`: one cycle's state of a book (per held leg and coin, NAV, funding) |
| ``rules`` | the alert rules (pure, over recorded states) and the fire / cool down / recover machine |
| ``store`` | the ``state_history`` and ``alerts`` tables in ``<data dir>/journal.sqlite`` |
| ``notify`` | sending through apprise |
| ``runner`` | :class:`Monitor`: the cycle, the loop, the lock, signals and back-off |
"""

from hedgekit.monitor.rules import RULES, Condition, Event, Memory, evaluate, step
from hedgekit.monitor.state import measure
from hedgekit.monitor.store import book_key, connect, ensure_tables

__all__ = ["RULES", "Condition", "Event", "Memory", "book_key", "connect", "ensure_tables",
           "evaluate", "measure", "step"]
