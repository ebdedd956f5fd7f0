"""The alert rules: pure functions over a recorded state (:func:`hedgekit.monitor.state.measure`)
and a small state machine that turns conditions into messages.

Each rule returns the conditions that hold now, one per subject (a leg, a coin, a price, an
account), keyed ``rule:subject``. :func:`step` then decides, per key:

* a condition that holds and was not sent within ``cooldown`` is sent (``fired``); while it
  keeps holding it is sent again at most once per ``cooldown``;
* a condition that was sent and no longer holds is sent once as ``recovered``;
* a condition that comes back within ``cooldown`` of its last message stays silent (and so
  does its recovery), so a value flapping around its threshold sends one alert per cooldown.

What :func:`step` needs of the past per key (when it last fired, whether the user was last told
"fired") is read back from the alerts table, so a ``--once`` run under cron behaves the same
as a long-running monitor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

__all__ = ["RULES", "Condition", "Event", "Memory", "evaluate", "step"]

CRITICAL = ("liquidation_distance", "margin_ratio")


@dataclass(frozen=True, kw_only=True, slots=True)
class Condition:
    """A rule evaluated on one subject: ``holds`` when it is beyond its threshold; ``value``
    and ``message`` say where it stands either way (a recovery quotes them)."""

    rule: str
    subject: str
    value: float | None
    threshold: float
    message: str
    holds: bool = True

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Memory:
    """What the alert history says of one key: when it last fired, and whether the last
    message sent for it was ``fired`` (so a recovery is owed)."""

    last_fired: datetime | None = None
    notified: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """One alert to send and record: ``state`` is ``fired`` or ``recovered``."""

    key: str
    rule: str
    subject: str
    state: str
    severity: str
    message: str
    value: float | None
    threshold: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "rule": self.rule, "subject": self.subject, "state": self.state,
                "severity": self.severity, "message": self.message, "value": self.value,
                "threshold": self.threshold}


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _leg_name(leg: Mapping[str, Any]) -> str:
    who = f"{leg['account']} " if leg.get("account") else ""
    return f"{who}{leg['symbol']}@{leg['venue']} {leg['side']}"


def liquidation_distance(state: Mapping[str, Any], threshold: float) -> list[Condition]:
    """A held leg whose liquidation price is within ``threshold`` of its mark."""
    out = []
    for leg in state.get("legs", ()):
        d = leg.get("liquidation_distance")
        if d is not None:
            out.append(Condition(rule="liquidation_distance", subject=_leg_name(leg), value=d,
                                 threshold=threshold, holds=d < threshold, message=(
                f"{_leg_name(leg)}: liquidation price {leg['liquidation_price']:,.2f} is "
                f"{_pct(d)} from the mark {leg['mark']:,.2f} (alert below {_pct(threshold)})")))
    return out


def margin_ratio(state: Mapping[str, Any], threshold: float) -> list[Condition]:
    """A held leg (its isolated margin, or its account's cross margin) whose maintenance margin
    is above ``threshold`` of its equity."""
    out = []
    for leg in state.get("legs", ()):
        r = leg.get("margin_ratio")
        if r is not None:
            out.append(Condition(rule="margin_ratio", subject=_leg_name(leg), value=r,
                                 threshold=threshold, holds=r > threshold, message=(
                f"{_leg_name(leg)}: maintenance margin is {_pct(r)} of equity "
                f"(alert above {_pct(threshold)}; 100% is liquidation)")))
    return out


def drift(state: Mapping[str, Any], threshold: float) -> list[Condition]:
    """A coin whose held hedge is further than ``threshold`` from the plan's target, or is
    held although the plan hedges none of it."""
    out = []
    for coin, c in sorted(state.get("coins", {}).items()):
        d = c.get("drift")
        if d is not None:
            msg = (f"{coin}: hedge held {c['held_coin']:+,.6g} {coin} against a target of "
                   f"{c['target_coin']:+,.6g} (drift {_pct(d)}, alert above {_pct(threshold)})")
        elif c.get("unplanned"):
            msg = (f"{coin}: {c['held_coin']:+,.6g} {coin} of futures held, but the plan hedges "
                   f"none of it")
        else:
            continue
        holds = bool(c.get("unplanned")) or (d is not None and d > threshold)
        out.append(Condition(rule="drift", subject=coin, value=d, threshold=threshold, holds=holds,
                             message=msg))
    return out


def funding_apr_below(state: Mapping[str, Any], threshold: float) -> list[Condition]:
    """A held perpetual whose funding, as a yearly rate received by the position, is below
    ``threshold`` (e.g. -0.10: the hedge pays more than 10% a year)."""
    out = []
    for leg in state.get("legs", ()):
        apr = leg.get("funding_apr")
        if apr is not None:
            out.append(Condition(rule="funding_apr_below", subject=_leg_name(leg), value=apr,
                                 threshold=threshold, holds=apr < threshold, message=(
                f"{_leg_name(leg)}: funding {apr:+.1%} a year for this position "
                f"({leg['funding_per_day_usd']:+,.2f} USD/day; alert below {threshold:+.1%})")))
    return out


def basis_apr_below(state: Mapping[str, Any], threshold: float) -> list[Condition]:
    """A held dated future whose annualised basis, as earned by the position, is below
    ``threshold`` (a short hedge in backwardation pays the basis as the future converges)."""
    out = []
    for leg in state.get("legs", ()):
        apr = leg.get("basis_apr")
        if apr is not None:
            out.append(Condition(rule="basis_apr_below", subject=_leg_name(leg), value=apr,
                                 threshold=threshold, holds=apr < threshold, message=(
                f"{_leg_name(leg)}: basis {apr:+.1%} a year for this position until "
                f"{leg.get('expiry', '?')[:10]} (alert below {threshold:+.1%})")))
    return out


def stale_after(state: Mapping[str, Any], threshold: float) -> list[Condition]:
    """A price, or an account's last good snapshot, older than ``threshold`` seconds at the
    state's time. Prices typed into the book have no time and are never stale."""
    now = datetime.fromisoformat(state["ts"])
    out = []
    items = [(f"price {a}", p.get("as_of"), p.get("source")) for a, p in
             sorted(state.get("prices", {}).items())]
    items += [(f"account {n}", a.get("as_of"), None) for n, a in sorted(state.get("accounts", {}).items())]
    for subject, as_of, source in items:
        if not as_of:
            continue
        age = (now - datetime.fromisoformat(as_of)).total_seconds()
        src = f" ({source})" if source else ""
        out.append(Condition(rule="stale_after", subject=subject, value=age, threshold=threshold,
                             holds=age > threshold,
                             message=f"{subject}{src} is {_age(age)} old (alert after {_age(threshold)})"))
    return out


def sync_failures(state: Mapping[str, Any], threshold: float) -> list[Condition]:
    """An account that failed to sync ``threshold`` times in a row (its last good snapshot is
    what the cycle used)."""
    out = []
    for name, a in sorted(state.get("accounts", {}).items()):
        n = a.get("failures") or 0
        if n:
            msg = (f"account {name}: {n} syncs in a row failed ({a.get('error') or 'no answer'}); "
                   f"the last good snapshot ({a.get('as_of') or 'none'}) is used")
        else:
            msg = f"account {name}: synced ({a.get('as_of') or 'no snapshot'})"
        out.append(Condition(rule="sync_failures", subject=f"account {name}", value=float(n),
                             threshold=threshold, holds=n >= threshold, message=msg))
    return out


def _age(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h"
    if seconds >= 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"


# rule name -> (check, the alerts: field holding its threshold)
RULES: dict[str, Callable[[Mapping[str, Any], float], list[Condition]]] = {
    "liquidation_distance": liquidation_distance,
    "margin_ratio": margin_ratio,
    "drift": drift,
    "funding_apr_below": funding_apr_below,
    "basis_apr_below": basis_apr_below,
    "stale_after": stale_after,
    "sync_failures": sync_failures,
}


def evaluate(state: Mapping[str, Any], settings: Any, *, clear: bool = False) -> list[Condition]:
    """Every condition that holds in ``state`` under ``settings`` (the book's ``alerts:``
    section; a rule whose threshold is None is off); with ``clear``, also those that do not
    (what a recovery message quotes)."""
    out = []
    for name, check in RULES.items():
        threshold = getattr(settings, name)
        if threshold is not None:
            out += [c for c in check(state, threshold) if clear or c.holds]
    return out


def step(conditions: list[Condition], memory: Mapping[str, Memory], now: datetime,
         cooldown: float) -> tuple[list[Event], dict[str, Memory]]:
    """The messages due at ``now`` and the memory after them (see the module docstring)."""
    events: list[Event] = []
    new = dict(memory)
    active = {c.key: c for c in conditions if c.holds}
    cleared = {c.key: c for c in conditions if not c.holds}
    for key, c in active.items():
        m = memory.get(key, Memory())
        if m.last_fired is None or (now - m.last_fired).total_seconds() >= cooldown:
            events.append(Event(key=key, rule=c.rule, subject=c.subject, state="fired",
                                severity="critical" if c.rule in CRITICAL else "warning",
                                message=c.message, value=c.value, threshold=c.threshold))
            new[key] = Memory(last_fired=now, notified=True)
    for key, m in memory.items():
        if key in active or not m.notified:
            continue
        rule, _, subject = key.partition(":")
        now_c = cleared.get(key)  # None when the subject is gone (a position closed)
        message = (f"recovered: {now_c.message}" if now_c is not None else
                   f"recovered: {subject}: no longer held or measured")
        events.append(Event(key=key, rule=rule, subject=subject, state="recovered", severity="info",
                            message=message, value=None if now_c is None else now_c.value,
                            threshold=None if now_c is None else now_c.threshold))
        new[key] = replace(m, notified=False)
    return events, new
