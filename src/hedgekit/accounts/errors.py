"""Failures of a live venue, classified so callers can react (retry later, fix the key, skip).

Every message is one line that names the account and venue, says what happened and, where it
helps, what to do; secrets are scrubbed before the text is built (see
:class:`hedgekit.accounts.credentials.Redactor`).
"""

from __future__ import annotations

from hedgekit.errors import HedgekitError

__all__ = [
    "UnknownSymbol",
    "VenueAuthError",
    "VenueError",
    "VenueRateLimited",
    "VenueTimeout",
    "VenueUnavailable",
]


class VenueError(HedgekitError):
    """A venue call failed. ``kind`` is a stable tag for reports: ``error``, ``timeout``,
    ``rate-limit``, ``unavailable``, ``auth``, ``unknown-symbol``."""

    kind = "error"

    def __init__(self, account: str, venue: str, message: str, *, call: str = ""):
        self.account = account
        self.venue = venue
        self.call = call
        self.detail = message
        where = f"{call}: " if call else ""
        super().__init__(f"account {account} ({venue}): {where}{message}")


class VenueTimeout(VenueError):
    kind = "timeout"


class VenueRateLimited(VenueError):
    kind = "rate-limit"


class VenueUnavailable(VenueError):
    """The venue is down, in maintenance, or unreachable (5xx, connection refused)."""

    kind = "unavailable"


class VenueAuthError(VenueError):
    """The key was refused: wrong key or secret, missing permission, IP not whitelisted."""

    kind = "auth"


class UnknownSymbol(VenueError):
    """A symbol the venue's market list does not know."""

    kind = "unknown-symbol"
