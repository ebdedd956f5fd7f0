"""Data-quality checks: gaps, duplicates, non-positive or absurd prices, stale series.

Checks only report. Nothing here fills, drops or edits data; the caller decides (importers
drop rows with non-positive prices and list them in the import report, loaders apply an
explicit gap policy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Outliers",
    "QualityIssue",
    "QualityReport",
    "check_quality",
    "count_gaps",
    "find_gaps",
    "find_outliers",
    "freq_step",
]

_FREQ_RE = re.compile(r"^(\d+)([smhdwM])$")
_UNIT_NS = {"s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}

PRICE_COLUMNS = ("open", "high", "low", "close")
# One bar moving more than x10 or less than /10 is treated as absurd (a units or decimal error,
# not a market move); crypto's largest daily moves on listed majors are well inside this.
ABSURD_FACTOR = 10.0
# This many identical closes in a row mark a stale (frozen) feed.
STALE_RUN = 7


def freq_step(freq: str) -> int | None:
    """Bar length in ns for ccxt-style timeframes (``1m`` minute, ``8h``, ``1d``, ``1w``);
    ``None`` for months (``1M``), which have no fixed length. Unknown strings raise ValueError."""
    m = _FREQ_RE.match(freq)
    if not m:
        raise ValueError(f"unknown frequency {freq!r} (expected e.g. 1m, 1h, 8h, 1d, 1w, 1M)")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "M":
        return None
    return n * _UNIT_NS[unit]


def _hole_mask(index: pd.DatetimeIndex, freq: str, interval_hours: np.ndarray | None,
               weekdays: bool = False) -> np.ndarray:
    """Boolean per step i -> i+1: True where the step is longer than expected. ``weekdays``:
    a daily series that trades Monday-Friday (CME) only has a hole when a weekday is missing."""
    ts = index.as_unit("ns").asi8
    if len(ts) < 2:
        return np.zeros(0, dtype=bool)
    diffs = np.diff(ts)
    if weekdays and freq == "1d":
        days = ts // (86400 * 10**9)
        return np.busday_count((days[:-1] + 1).astype("datetime64[D]"), days[1:].astype("datetime64[D]")) > 0
    day_ns = 86400 * 10**9
    coarse = freq_step(freq)
    if interval_hours is not None and (coarse is None or coarse < day_ns):  # settlement series, not an aggregate
        expected = np.nan_to_num(interval_hours[1:], nan=0.0) * 3600e9
        return diffs > expected * 1.5
    step = freq_step(freq)
    if step is None:  # monthly: consecutive rows must be in consecutive months
        months = index.year * 12 + index.month
        return np.diff(np.asarray(months)) > 1
    return diffs > step * 1.5


def count_gaps(frame: pd.DataFrame, freq: str, *, weekdays: bool = False) -> int:
    """Number of holes (steps longer than one bar / one funding interval)."""
    try:
        return len(find_gaps(frame, freq, weekdays=weekdays))
    except ValueError:
        return 0


def find_gaps(frame: pd.DataFrame, freq: str, *, weekdays: bool = False) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(last timestamp before, first timestamp after) of each hole."""
    iv = frame["interval_hours"].to_numpy() if "interval_hours" in frame.columns else None
    mask = _hole_mask(frame.index, freq, iv, weekdays)
    where = np.flatnonzero(mask)
    return [(frame.index[i], frame.index[i + 1]) for i in where]


@dataclass(frozen=True, kw_only=True, slots=True)
class QualityIssue:
    """One finding. ``check`` is gap | irregular | duplicate | non_positive | absurd |
    ohlc_inconsistent | stale, or unreadable (``data check``: the stored file is damaged)."""

    check: str
    start: str
    end: str
    rows: int
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "start": self.start, "end": self.end, "rows": self.rows, "detail": self.detail}


@dataclass(frozen=True, kw_only=True, slots=True)
class QualityReport:
    series: str
    rows: int
    issues: tuple[QualityIssue, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.issues

    def by_check(self, check: str) -> list[QualityIssue]:
        return [i for i in self.issues if i.check == check]

    def to_dict(self) -> dict[str, Any]:
        return {"series": self.series, "rows": self.rows, "ok": self.ok, "issues": [i.to_dict() for i in self.issues]}


def _iso(ts: Any) -> str:
    return ts.isoformat() if hasattr(ts, "isoformat") else str(ts)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of each run of True."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _irregular_steps(frame: pd.DataFrame, freq: str) -> list[QualityIssue]:
    """Steps that are neither one bar/interval nor a hole (off-schedule rows, e.g. an extra
    funding print at 21:00 in an 8-hourly series)."""
    if len(frame) < 2:
        return []
    if "interval_hours" in frame.columns:
        expected = np.nan_to_num(frame["interval_hours"].to_numpy()[1:], nan=0.0) * 3600e9
    else:
        step = freq_step(freq)
        if step is None:
            return []
        expected = np.full(len(frame) - 1, float(step))
    diffs = np.diff(frame.index.as_unit("ns").asi8).astype("float64")
    odd = (diffs != expected) & (diffs <= expected * 1.5) & (expected > 0)
    return [
        QualityIssue(check="irregular", start=_iso(frame.index[i]), end=_iso(frame.index[i + 1]), rows=1,
                     detail=f"step of {diffs[i] / 3600e9:g} h instead of {expected[i] / 3600e9:g} h")
        for i in np.flatnonzero(odd)
    ]


def check_quality(frame: pd.DataFrame, freq: str, *, series: str = "", kind: str = "price",
                  weekdays: bool = False) -> QualityReport:
    """Report gaps, duplicate timestamps, non-positive/absurd prices, OHLC inconsistencies and
    stale runs of a frame (an unsorted, raw frame is fine: duplicates are looked for first).

    Funding frames (``kind="funding"``) are only checked for gaps and duplicates: rates may be
    zero or negative.
    """
    issues: list[QualityIssue] = []
    idx = frame.index
    dup = idx.duplicated(keep=False)
    if dup.any():
        d = idx[dup]
        issues.append(
            QualityIssue(check="duplicate", start=_iso(d.min()), end=_iso(d.max()), rows=int(dup.sum()),
                         detail=f"{int(idx.duplicated().sum())} repeated timestamps")
        )
        frame = frame[~idx.duplicated(keep="last")]
    frame = frame.sort_index()
    for before, after in find_gaps(frame, freq, weekdays=weekdays):
        issues.append(QualityIssue(check="gap", start=_iso(before), end=_iso(after), rows=0,
                                   detail=f"no data between {_iso(before)} and {_iso(after)}"))
    if not weekdays:
        issues.extend(_irregular_steps(frame, freq))
    if kind != "funding":
        cols = [c for c in PRICE_COLUMNS if c in frame.columns]
        values = frame[cols].to_numpy(dtype="float64")
        bad = (values <= 0).any(axis=1) | (np.isnan(values).any(axis=1) if len(cols) else False)
        for a, b in _runs(bad):
            sub = frame.iloc[a : b + 1][cols]
            first = sub.iloc[0].to_dict()
            issues.append(QualityIssue(check="non_positive", start=_iso(frame.index[a]), end=_iso(frame.index[b]),
                                       rows=int(b - a + 1), detail=f"missing or <= 0 price; first row {first}"))
        if "close" in frame.columns:
            close = frame["close"].to_numpy(dtype="float64")
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = close[1:] / close[:-1]
            jump = (ratio > ABSURD_FACTOR) | (ratio < 1.0 / ABSURD_FACTOR)
            jump &= (close[1:] > 0) & (close[:-1] > 0)
            for i in np.flatnonzero(jump):
                issues.append(QualityIssue(check="absurd", start=_iso(frame.index[i]), end=_iso(frame.index[i + 1]),
                                           rows=1, detail=f"close jumps x{ratio[i]:.4g} "
                                                          f"({close[i]:.6g} -> {close[i + 1]:.6g})"))
            same = np.concatenate([[False], close[1:] == close[:-1]])
            for a, b in _runs(same):
                if b - a + 2 >= STALE_RUN:
                    issues.append(QualityIssue(check="stale", start=_iso(frame.index[a - 1]), end=_iso(frame.index[b]),
                                               rows=int(b - a + 2), detail=f"close unchanged at {close[b]:.6g}"))
        if {"high", "low", "close"} <= set(frame.columns):
            h, lo, c = (frame[k].to_numpy(dtype="float64") for k in ("high", "low", "close"))
            incons = (h < lo) | (c > h * (1 + 1e-9)) | (c < lo * (1 - 1e-9))
            for a, b in _runs(incons & ~bad):
                issues.append(QualityIssue(check="ohlc_inconsistent", start=_iso(frame.index[a]),
                                           end=_iso(frame.index[b]), rows=int(b - a + 1),
                                           detail="close outside [low, high] or high < low"))
    return QualityReport(series=series, rows=len(frame), issues=tuple(issues))


# Import screening: rows no market produces. Prices outside (0, MAX_PRICE] USD, funding
# rates beyond +-100% per interval, high < low, a single bar x100 away from both neighbours
# (a units or decimal slip, e.g. a x1000 spike) and timestamps before Bitcoin's first block
# (2009-01-03, https://en.bitcoin.it/wiki/Genesis_block) or after tomorrow.
MAX_PRICE = 1e12
MAX_VOLUME = 1e20
SPIKE_FACTOR = 100.0
EARLIEST = "2009-01-03"


@dataclass(frozen=True, kw_only=True, slots=True)
class Outliers:
    """Rows of a frame that cannot be market data: ``mask`` marks them, ``examples`` describes
    the first few (``2022-01-05: high 90 < low 100``)."""

    mask: np.ndarray
    examples: tuple[str, ...]

    @property
    def count(self) -> int:
        return int(self.mask.sum())


def _spikes(x: np.ndarray) -> np.ndarray:
    """Single values x``SPIKE_FACTOR`` away from both neighbours while the neighbours agree
    (within x10): a slip, not a crash (a crash stays at its new level)."""
    out = np.zeros(len(x), dtype=bool)
    if len(x) < 3:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        prev, cur, nxt = x[:-2], x[1:-1], x[2:]
        up = (cur > SPIKE_FACTOR * prev) & (cur > SPIKE_FACTOR * nxt)
        down = (cur * SPIKE_FACTOR < prev) & (cur * SPIKE_FACTOR < nxt)
        agree = (np.maximum(prev, nxt) <= 10 * np.minimum(prev, nxt))
    out[1:-1] = (up | down) & agree
    return out


def find_outliers(frame: pd.DataFrame, kind: str = "price", *, now: Any = None) -> Outliers:
    """Rows of an imported frame that look wrong (see the constants above). Only reports;
    the importer drops them unless asked to keep them."""
    import pandas as pd

    n = len(frame)
    reasons: list[list[str]] = [[] for _ in range(n)]
    mask = np.zeros(n, dtype=bool)

    def flag(bad: np.ndarray, why) -> None:  # why(i) -> text
        nonlocal mask
        for i in np.flatnonzero(bad & ~mask)[:3]:
            reasons[i].append(why(i))
        mask |= bad

    idx = frame.index
    lo_ts = pd.Timestamp(EARLIEST, tz="UTC")
    hi_ts = (pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)) + pd.Timedelta(days=1)
    flag(np.asarray((idx < lo_ts) | (idx > hi_ts)), lambda i: f"date outside {EARLIEST} .. tomorrow")
    if kind == "funding":
        if "rate" in frame.columns:
            r = frame["rate"].to_numpy(dtype="float64")
            flag(~np.isfinite(r) | (np.abs(r) > 1.0), lambda i: f"funding rate {r[i]:.6g} beyond +-100%")
        if "interval_hours" in frame.columns:
            iv = frame["interval_hours"].to_numpy(dtype="float64")
            flag(np.isinf(iv) | (iv <= 0) | (iv > 168), lambda i: f"funding interval {iv[i]:.6g} h outside (0, 168]")
        cols = [c for c in ("mark_price", "index_price") if c in frame.columns]
    else:
        cols = [c for c in PRICE_COLUMNS if c in frame.columns]
    for c in cols:
        v = frame[c].to_numpy(dtype="float64")
        flag(np.isinf(v) | (v > MAX_PRICE), lambda i, v=v, c=c: f"{c} {v[i]:.6g} is not a price")
        flag(_spikes(np.where(v > 0, v, np.nan)), lambda i, v=v, c=c: f"{c} {v[i]:.6g} is a x{SPIKE_FACTOR:g} spike")
    if "volume" in frame.columns:
        v = frame["volume"].to_numpy(dtype="float64")
        flag(np.isinf(v) | (np.abs(v) > MAX_VOLUME), lambda i: f"volume {v[i]:.6g}")
    if kind != "funding" and {"high", "low"} <= set(frame.columns):
        h, lo = frame["high"].to_numpy(dtype="float64"), frame["low"].to_numpy(dtype="float64")
        flag(h < lo, lambda i: f"high {h[i]:.6g} < low {lo[i]:.6g}")
    described = [i for i in np.flatnonzero(mask) if reasons[i]][:3]
    examples = tuple(f"{idx[i].isoformat()[:19]}: {'; '.join(reasons[i])}" for i in described)
    return Outliers(mask=mask, examples=examples)
