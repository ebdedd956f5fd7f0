"""Sending alerts through apprise (Telegram, Slack, Discord, e-mail, ntfy, a JSON webhook and the
rest, each by URL: https://github.com/caronc/apprise/wiki). hedgekit has no HTTP client of its
own for this.

URLs come from the book's ``alerts.notify`` and the environment variable ``HEDGEKIT_NOTIFY``
(space or comma separated). They carry tokens and passwords, so they never appear in output,
errors or the journal: only apprise's redacted form (``url(privacy=True)``) is recorded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hedgekit.errors import InputError

__all__ = ["NOTIFY_ENV", "Notifier", "notify_urls"]

NOTIFY_ENV = "HEDGEKIT_NOTIFY"

_KIND = {"fired": "failure", "recovered": "success"}


def notify_urls(book_urls: Sequence[str], environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(where, url)`` for every notification URL: the book's first, then the environment's."""
    env = os.environ if environ is None else environ
    out = [(f"alerts.notify[{i}]", u) for i, u in enumerate(book_urls)]
    extra = [u for u in re.split(r"[\s,]+", env.get(NOTIFY_ENV, "")) if u]
    out += [(NOTIFY_ENV, u) for u in extra]
    return out


@dataclass(frozen=True, slots=True)
class _Target:
    label: str        # apprise's redacted URL
    service: Any      # apprise.Apprise holding this one URL


class Notifier:
    """Sends one message to every target. Built from :func:`notify_urls`; a URL apprise does
    not understand is bad input naming where it came from (never the URL itself)."""

    def __init__(self, urls: Sequence[tuple[str, str]]) -> None:
        import apprise

        self._targets: list[_Target] = []
        for where, url in urls:
            service = apprise.Apprise()
            if not service.add(url):
                raise InputError(where, "not a notification URL apprise understands "
                                 "(see https://github.com/caronc/apprise/wiki)", show_value=False)
            label = next(iter(service)).url(privacy=True)
            self._targets.append(_Target(label=label, service=service))

    def __len__(self) -> int:
        return len(self._targets)

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self._targets]

    def send(self, title: str, body: str, state: str) -> dict[str, Any]:
        """Send to every target; what to record: ``{"delivered": all ok, "targets": [...]}``
        (``delivered`` is False when there is no target)."""
        results = []
        for t in self._targets:
            ok = bool(t.service.notify(body=body, title=title, notify_type=_KIND.get(state, "info")))
            results.append({"target": t.label, "ok": ok})
        return {"delivered": bool(results) and all(r["ok"] for r in results), "targets": results}
