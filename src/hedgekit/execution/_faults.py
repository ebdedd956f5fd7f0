"""Fault injection for the crash tests: ``HEDGEKIT_FAULT=<point>`` kills the process with
SIGKILL (no cleanup, no flush, like a power cut) when execution reaches ``<point>``:

* ``after-intent``: the intent is committed to the journal, nothing was sent;
* ``after-accept``: the (paper) venue accepted the order, it has not filled yet;
* ``after-fill``: the venue filled the order, the journal does not know yet.

Unset (always, outside tests), :func:`crash_point` does nothing.
"""

from __future__ import annotations

import os
import signal

__all__ = ["FAULT_ENV", "crash_point"]

FAULT_ENV = "HEDGEKIT_FAULT"


def crash_point(name: str) -> None:
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
