"""Data-layer speed: import all of the shared data; load 10 assets x 4 years daily from the store.

Prints one JSON object. Targets (DESIGN.md / issue 4): import < 30 s, load < 0.2 s.
The shared data folder is ``$HEDGEKIT_TEST_DATA`` or ``../shared/data`` beside the repo.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from hedgekit.data import Store, import_path, load_prices

ASSETS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "ADA", "AVAX", "LINK", "LTC"]


def main() -> None:
    repo = Path(__file__).resolve().parents[1]
    data = Path(os.environ.get("HEDGEKIT_TEST_DATA") or repo.parent / "shared" / "data")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = import_path(data, store=Store(tmp))
        import_s = time.perf_counter() - t0
        times = []
        for _ in range(15):  # a fresh Store each time: catalog read + 10 parquet reads + alignment
            t = time.perf_counter()
            df = load_prices(ASSETS, start="2021-01-01", end="2024-12-31", store=Store(tmp))
            times.append(time.perf_counter() - t)
        print(json.dumps({
            "import_all_shared_data_s": round(import_s, 3),
            "files": len(report.files),
            "files_imported": len(report.imported),
            "files_refused": len(report.refused),
            "rows_imported": report.rows,
            "series_stored": len(Store(tmp).catalog()),
            "load_10_assets_4y_daily_first_s": round(times[0], 4),
            "load_10_assets_4y_daily_median_s": round(statistics.median(times), 4),
            "load_shape": list(df.shape),
            "targets": {"import_s": 30.0, "load_s": 0.2},
        }))


if __name__ == "__main__":
    main()
