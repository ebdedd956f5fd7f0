"""Fault injection for the crash tests: ``HEDGEKIT_FAULT=<point>`` kills the process with
SIGKILL (no cleanup, no flush, like a power cut) when execution reaches ``<point>``:

* ``after-intent``: the intent is committed to the journal, nothing was sent;
* ``after-accept``: the (paper) venue accepted the order, it has not filled yet;
* ``after-fill``: the venue filled the order, the journal does not know yet.

``<point>#<n>`` kills at the ``n``-th time execution reaches it (``after-intent#2``: the first
order went through, the second's intent is committed), for a kill between child orders.
Unset (always, outside tests), :func:`crash_point` does nothing.
"""

from __future__ import annotations

import os
import signal

__all__ = ["FAULT_ENV", "crash_point"]

FAULT_ENV = "HEDGEKIT_FAULT"


_reached: dict[str, int] = {}


def crash_point(name: str) -> None:
    fault = os.environ.get(FAULT_ENV)
    if not fault:
        return
    point, _, nth = fault.partition("#")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
