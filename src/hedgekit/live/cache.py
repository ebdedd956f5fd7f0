"""What ``hedgekit sync`` read, kept on disk so ``positions`` and ``plan`` work offline.

One JSON file per account (``live/accounts/<name>.json``: balances, positions, open orders)
and one per venue (``live/markets/<venue>.json``: contract specs, quotes, funding, tiers),
under the data directory. Each file is written atomically after its venue answered in full,
so a failed sync leaves the last good snapshot in place. Records go through the domain types
of :mod:`hedgekit.accounts.models` both ways.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from hedgekit._files import atomic_write_bytes
from hedgekit._paths import resolve_data_dir
from hedgekit.accounts.models import (
    AccountState,
    Balance,
    FundingInfo,
    MarketQuote,
    MarketState,
    OpenOrder,
    Position,
    SkippedRecord,
)
from hedgekit.errors import DataError
from hedgekit.instruments import ContractType, Instrument, MarginMode, Side
from hedgekit.margin import MarginTier

__all__ = ["load_account", "load_market", "save_account", "save_market", "snapshot_dir"]

FORMAT = 1
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def snapshot_dir(data_dir: str | Path | None = None) -> Path:
    """``<data dir>/live``: where synced accounts and markets are kept."""
    return resolve_data_dir(data_dir) / "live"


def _file(kind: str, name: str, data_dir: str | Path | None) -> Path:
    return snapshot_dir(data_dir) / kind / f"{_SAFE.sub('_', name)}.json"


def _dump(path: Path, doc: dict[str, Any]) -> None:
    atomic_write_bytes(path, json.dumps({"format": FORMAT, **doc}, indent=1, allow_nan=False,
                                        default=_plain).encode())


def _read(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: unreadable synced snapshot ({exc}); run hedgekit sync again") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DataError(f"{path}: not a hedgekit snapshot of format {FORMAT}; run hedgekit sync again")
    return doc


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isinf(value):
        return None
    if hasattr(value, "value"):  # StrEnum
        return value.value
    raise TypeError(f"cannot store {type(value).__name__}")


def _time(text: Any) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# ------------------------------------------------------------------ accounts
def save_account(state: AccountState, data_dir: str | Path | None = None) -> Path:
    """Write one account's state (replacing its previous snapshot atomically)."""
    path = _file("accounts", state.account, data_dir)
    _dump(path, state.to_dict())
    return path


def load_account(name: str, data_dir: str | Path | None = None) -> AccountState | None:
    """The last synced state of account ``name``, or None if it was never synced."""
    doc = _read(_file("accounts", name, data_dir))
    if doc is None:
        return None
    return AccountState(
        account=doc["account"], venue=doc["venue"], as_of=_time(doc["as_of"]) or datetime.min,
        balances=tuple(Balance(**b) for b in doc["balances"]),
        positions=tuple(_position(p) for p in doc["positions"]),
        open_orders=tuple(_order(o) for o in doc["open_orders"]),
        skipped=tuple(SkippedRecord(**s) for s in doc.get("skipped", ())))


def _position(d: Mapping[str, Any]) -> Position:
    d = dict(d)
    d["contract_type"] = ContractType(d["contract_type"])
    d["side"] = Side(d["side"])
    d["margin_mode"] = None if d.get("margin_mode") is None else MarginMode(d["margin_mode"])
    for key in ("next_funding_time", "as_of"):
        d[key] = _time(d.get(key))
    return Position(**d)


def _order(d: Mapping[str, Any]) -> OpenOrder:
    d = dict(d)
    d["side"] = Side(d["side"])
    d["as_of"] = _time(d.get("as_of"))
    return OpenOrder(**d)


# ------------------------------------------------------------------ markets
def save_market(state: MarketState, data_dir: str | Path | None = None) -> Path:
    """Write one venue's market state: every listed contract, and quotes/funding/tiers read."""
    path = _file("markets", state.venue, data_dir)
    _dump(path, {
        "venue": state.venue, "as_of": state.as_of,
        "instruments": {k: _instrument_doc(i) for k, i in state.instruments.items()},
        "quotes": {k: q.to_dict() for k, q in state.quotes.items()},
        "funding": {k: f.to_dict() for k, f in state.funding.items()},
        "tiers": {k: [_tier_doc(t) for t in ts] for k, ts in state.tiers.items()},
    })
    return path


def load_market(venue: str, data_dir: str | Path | None = None) -> MarketState | None:
    """The last synced market state of ``venue``, or None."""
    doc = _read(_file("markets", venue, data_dir))
    if doc is None:
        return None
    return MarketState(
        venue=doc["venue"], as_of=_time(doc["as_of"]) or datetime.min,
        instruments={k: _instrument(v) for k, v in doc["instruments"].items()},
        quotes={k: MarketQuote(**{**q, "as_of": _time(q.get("as_of"))}) for k, q in doc["quotes"].items()},
        funding={k: FundingInfo(**{**f, "next_time": _time(f.get("next_time")),
                                   "as_of": _time(f.get("as_of"))}) for k, f in doc["funding"].items()},
        tiers={k: tuple(_tier(t) for t in ts) for k, ts in doc["tiers"].items()})


_INSTRUMENT_FIELDS = ("symbol", "contract_type", "contract_size", "base", "quote", "settle",
                      "tick_size", "lot_size", "min_notional", "max_order_contracts", "expiry",
                      "funding_interval_hours")


def _instrument_doc(inst: Instrument) -> dict[str, Any]:
    return {name: getattr(inst, name) for name in _INSTRUMENT_FIELDS}


def _instrument(d: Mapping[str, Any]) -> Instrument:
    return Instrument(**{**d, "expiry": _time(d.get("expiry"))})


def _tier_doc(t: MarginTier) -> dict[str, Any]:
    return {"floor": t.floor, "cap": t.cap, "mmr": t.mmr, "max_leverage": t.max_leverage, "cum": t.cum}


def _tier(d: Mapping[str, Any]) -> MarginTier:
    return MarginTier(**{**d, "cap": math.inf if d["cap"] is None else d["cap"]})
