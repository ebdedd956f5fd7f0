"""Shifted clocks in funding files: an 8-hourly series must settle at the venue's published
hours (:func:`hedgekit.venues.funding_settlement_hours`); a file off by some hours is refused
with the ``--tz-offset`` that fits."""

from __future__ import annotations

import numpy as np

from hedgekit.data.importers.series import ParsedSeries, Refused
from hedgekit.venues import funding_settlement_hours


def check_funding_phase(series: ParsedSeries, tz_offset_hours: float | None) -> bool:
    """Refuse an 8-hourly funding series whose settlement hours do not match the venue's
    schedule (the tell-tale of a shifted clock), naming the offset that would fit. Returns
    whether the clock could be checked (False: no known 8h schedule for these rows)."""
    settles = funding_settlement_hours(series.venue)
    if settles is None or series.kind != "funding":
        return False
    phase = settles[0] % 8
    f = series.frame
    rows = f.index[f["interval_hours"].to_numpy() == 8.0]
    if len(rows) < 3:
        return False
    offsets = (rows.hour.to_numpy() - phase) % 8
    vals, counts = np.unique(offsets, return_counts=True)
    modal = int(vals[np.argmax(counts)])
    if modal == 0 or counts.max() < 0.5 * len(rows):
        return True
    fix = -modal if modal <= 4 else 8 - modal
    applied = tz_offset_hours or 0
    hint = f"pass --tz-offset {applied + fix:g}" if applied + fix != 0 else "import without --tz-offset"
    hours = sorted({(phase + modal + 8 * k) % 24 for k in range(3)})
    expected = sorted(settles)
    raise Refused(
        f"{series.venue} {series.symbol}: funding settles at "
        f"{'/'.join(f'{h:02d}' for h in hours)} h in this file"
        + (f" after --tz-offset {applied:g}" if applied else "")
        + f", but {series.venue} settles at {'/'.join(f'{h:02d}' for h in expected)} UTC: "
        f"the clock is shifted by {-fix:+g} h; {hint}"
    )
