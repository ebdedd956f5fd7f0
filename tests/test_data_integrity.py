"""The data store keeps what it is given, whole, under concurrent and damaged use (issue 13):
writers lock, a file is imported whole or not at all, wrong rows are screened, changing stored
rows needs --replace, a damaged parquet file is named and repaired by re-importing."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgekit.data import Store, import_path
from hedgekit.data.quality import SPIKE_FACTOR, find_outliers

REPO = Path(__file__).resolve().parents[1]
DAY_MS = 86_400_000
T0 = 1_640_995_200_000  # 2022-01-01T00:00:00Z in ms


def _klines(days: int = 30, start_ms: int = T0, edit=None) -> str:
    """A Binance kline CSV (open_time in ms, OHLCV): open 100, high 110, low 90, close 105."""
    rows = []
    for i in range(days):
        row = [start_ms + i * DAY_MS, 100.0, 110.0, 90.0, 105.0, 1.0, start_ms + (i + 1) * DAY_MS - 1]
        if edit:
            edit(i, row)
        rows.append(",".join(str(v) for v in row))
    return "open_time,open,high,low,close,volume,close_time\n" + "\n".join(rows) + "\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ------------------------------------------------------------------ one file, whole or nothing
def test_multi_venue_file_with_a_bad_second_venue_writes_nothing(tmp_path):
    rows = "".join(f"2022-01-{d:02d},{v},BTC,100,110,90,105,1\n" for v in ("binance", "bad/venue") for d in range(1, 6))
    path = _write(tmp_path / "daily.csv", "date,exchange,symbol,open,high,low,close,volume\n" + rows)
    store = Store(tmp_path / "store")
    report = import_path(path, store=store)
    assert [f.status for f in report.files] == ["refused"]
    assert "bad/venue" in report.files[0].reason
    assert Store(tmp_path / "store").catalog() == []
    assert not list((tmp_path / "store").rglob("*.parquet"))


@pytest.mark.parametrize("damage", ["truncate", "bitflip"])
def test_damaged_gzip_is_refused_with_one_line(tmp_path, run_cli, damage):
    data = bytearray(gzip.compress(_klines().encode()))
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0x10
    path = tmp_path / "BTCUSDT-1d-2022-01.csv.gz"
    path.write_bytes(bytes(data))
    code, _, err = run_cli("data", "import", str(path), "--data-dir", str(tmp_path / "store"))
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"error: {path}: refused: ")


def test_bad_data_dir_and_long_venue_are_one_line(tmp_path, run_cli):
    path = _write(tmp_path / "BTCUSDT-1d-2022-01.csv", _klines())
    afile = _write(tmp_path / "afile", "x")
    code, _, err = run_cli("data", "import", str(path), "--data-dir", str(afile))
    assert (code, err) == (2, f"error: --data-dir: is not a folder (got '{afile}')\n")
    code, _, err = run_cli("data", "import", str(path), "--data-dir", str(afile / "sub"))
    assert code == 2 and err.startswith("error: --data-dir: ")
    code, _, err = run_cli("data", "import", str(path), "--venue", "v" * 300, "--data-dir", str(tmp_path / "s"))
    assert code == 2 and err.startswith("error: --venue: must be at most 64 characters")
    code, _, err = run_cli("data", "import", str(path), "--format", "yahoo-csv", "--data-dir", str(tmp_path / "s"))
    assert code == 2 and err.count("\n") == 1


# ------------------------------------------------------------------ rows that cannot be data
def _edit_rows(i, row):
    if i == 3:
        row[2] = 110.0 * 1000  # a x1000 high
    if i == 5:
        row[4] = "inf"
    if i == 7:
        row[2], row[3] = 80.0, 90.0  # high < low
    if i == 9:
        row[1] = 1e300


def test_wrong_rows_are_rejected_counted_and_kept_on_request(tmp_path):
    path = _write(tmp_path / "BTCUSDT-1d-2022-01.csv", _klines(edit=_edit_rows))
    report = import_path(path, store=Store(tmp_path / "a"))
    f = report.files[0]
    assert f.status == "imported" and f.series[0]["rows"] == 26
    note = next(n for n in f.notes if "look wrong" in n)
    assert "rejected 4 row(s)" in note and "2022-01-04T00:00:00: high 110000 is a x100 spike" in note
    stored = Store(tmp_path / "a").read("price", "binance", "BTC/USDT", "1d")
    assert np.isfinite(stored.to_numpy()).all() and (stored["high"] >= stored["low"]).all()
    kept = import_path(path, store=Store(tmp_path / "b"), accept_outliers=True).files[0]
    assert kept.series[0]["rows"] == 30 and any("kept 4 row(s)" in n for n in kept.notes)


def test_dates_far_outside_crypto_history_are_rejected(tmp_path):
    far = T0 + 68 * 365 * DAY_MS  # 2090
    text = _klines(days=5) + f"{far},100,110,90,105,1,{far + DAY_MS - 1}\n"
    f = import_path(_write(tmp_path / "BTCUSDT-1d-2022-01.csv", text), store=Store(tmp_path / "s")).files[0]
    assert f.series[0]["rows"] == 5 and any("date outside 2009-01-03 .. tomorrow" in n for n in f.notes)
    old = _klines(days=5, start_ms=-2_208_988_800_000)  # 1900-01-01
    f = import_path(_write(tmp_path / "ETHUSDT-1d-1900-01.csv", old), store=Store(tmp_path / "t")).files[0]
    assert f.status == "refused" and "every row looks wrong" in f.reason


def test_spike_rule_spares_a_crash_that_stays_down():
    # LUNA-style: 80 -> 0.0001 in two bars and it stays there: a move, not a slip
    close = [80, 79, 60, 0.5, 0.0001, 0.00012, 0.0001, 0.00011]
    frame = pd.DataFrame({"close": close}, index=pd.date_range("2022-05-06", periods=len(close), tz="UTC"))
    assert find_outliers(frame).count == 0
    spiked = frame.assign(close=[80, 79, 78, 78 * SPIKE_FACTOR * 10, 77, 76, 75, 74])
    assert find_outliers(spiked).mask.tolist() == [False, False, False, True, False, False, False, False]


def test_half_hour_offset_on_daily_bars_is_refused(tmp_path, run_cli):
    path = _write(tmp_path / "BTCUSDT-1d-2022-01.csv", _klines())
    code, _, err = run_cli("data", "import", str(path), "--tz-offset", "0.5", "--data-dir", str(tmp_path / "s"))
    assert code == 2 and "--tz-offset 0.5 is not a whole number of hours: 1d bars" in err


# ------------------------------------------------------------------ replacing stored rows
def test_changing_stored_rows_needs_replace_and_is_reported(tmp_path):
    store_dir = tmp_path / "s"
    import_path(_write(tmp_path / "BTCUSDT-1d-2022-01.csv", _klines()), store=Store(store_dir))

    def bump(i, row):
        if i == 2:
            row[4] = 106.0
    changed = _write(tmp_path / "BTCUSDT-1d-2022-01b.csv", _klines(edit=bump))
    f = import_path(changed, store=Store(store_dir)).files[0]
    assert f.status == "refused"
    assert "would change 1 stored row(s)" in f.reason and "2022-01-03T00:00:00+00:00 close 105 -> 106" in f.reason
    assert Store(store_dir).read("price", "binance", "BTC/USDT", "1d")["close"].iloc[2] == 105.0
    f = import_path(changed, store=Store(store_dir), replace=True).files[0]
    assert f.status == "imported" and any("replaced 1 stored row(s)" in n for n in f.notes)
    assert Store(store_dir).read("price", "binance", "BTC/USDT", "1d")["close"].iloc[2] == 106.0


def test_completing_the_last_stored_bar_is_an_update(tmp_path):
    store_dir = tmp_path / "s"
    import_path(_write(tmp_path / "BTCUSDT-1d-2022-01.csv", _klines(days=10)), store=Store(store_dir))

    def later(i, row):
        if i == 9:
            row[4] = 107.0  # the bar was still forming when the first file was saved
    f = import_path(_write(tmp_path / "BTCUSDT-1d-2022-01b.csv", _klines(days=12, edit=later)),
                    store=Store(store_dir)).files[0]
    assert f.status == "imported" and any("updated the last stored bar" in n for n in f.notes)


# ------------------------------------------------------------------ damaged parquet
def test_truncated_parquet_is_named_by_check_and_repaired_by_reimport(tmp_path, run_cli):
    store_dir = tmp_path / "s"
    source = _write(tmp_path / "BTCUSDT-1d-2022-01.csv", _klines())
    import_path(source, store=Store(store_dir))
    import_path(_write(tmp_path / "ETHUSDT-1d-2022-01.csv", _klines()), store=Store(store_dir))
    info = Store(store_dir).info("price", "binance", "BTC/USDT")
    damaged = store_dir / info.file
    damaged.write_bytes(damaged.read_bytes()[:100])
    code, out, err = run_cli("data", "check", "--data-dir", str(store_dir))
    assert code == 0, err
    assert f"price/binance/BTC/USDT/1d: unreadable=1; first: unreadable 2022-01-01 price/binance/BTC/USDT/1d: " \
           f"the stored file {damaged} is damaged" in out
    assert "ETH/USDT/1d: unreadable" not in out  # the other series is still checked
    code, _, err = run_cli("analyze", "--assets", "BTC", "--against", "ETH", "--venue", "binance",
                           "--data-dir", str(store_dir))
    assert code == 2 and "is damaged" in err and err.count("\n") == 1
    f = import_path(source, store=Store(store_dir)).files[0]
    assert f.status == "imported" and any("rebuilt from this file" in n for n in f.notes)
    assert len(Store(store_dir).read("price", "binance", "BTC/USDT", "1d")) == 30


# ------------------------------------------------------------------ two writers at once
_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {src!r})
    from hedgekit.data import Store, import_path
    report = import_path(sys.argv[1], store=Store(sys.argv[2]))
    assert not report.refused, [f.reason for f in report.refused]
""")


def test_two_processes_importing_at_once_lose_nothing(tmp_path):
    """Each process imports 12 files (one series each) into the same store at the same time;
    without the lock one process's catalog overwrote the other's (series lost)."""
    store_dir = tmp_path / "store"
    coins = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOT", "LTC", "BNB", "DOGE", "AVAX", "LINK", "ATOM",
             "UNI", "AAVE", "NEAR", "FIL", "ETC", "XLM", "TRX", "EOS", "SUI", "APT", "ARB", "OP"]
    folders = []
    for k in range(2):
        folder = tmp_path / f"in{k}"
        folder.mkdir()
        for coin in coins[k::2]:
            _write(folder / f"{coin}USDT-1d-2022-01.csv", _klines(days=60))
        folders.append(folder)
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(src=str(REPO / "src")))
    procs = [subprocess.Popen([sys.executable, str(script), str(f), str(store_dir)], stderr=subprocess.PIPE)
             for f in folders]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]
    store = Store(store_dir)
    assert sorted(s.symbol for s in store.catalog()) == sorted(f"{c}/USDT" for c in coins)
    for s in store.catalog():
        assert len(store.read(s.kind, s.venue, s.symbol, s.freq)) == 60
    catalog = json.loads((store_dir / "catalog.json").read_text())
    assert len(catalog["series"]) == len(coins)
    assert not [p for p in store_dir.rglob("*.tmp")]


def test_writers_hold_an_exclusive_lock(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    store = Store(tmp_path / "s")
    with store.batch():
        fd = os.open(tmp_path / "s" / ".lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    fd = os.open(tmp_path / "s" / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released after the batch
    finally:
        os.close(fd)


def test_a_store_that_cannot_take_a_file_is_one_line(tmp_path, run_cli):
    store_dir = tmp_path / "s"
    store_dir.mkdir()
    (store_dir / "series").write_text("a file where the series folder goes")
    path = _write(tmp_path / "BTCUSDT-1d-2022-01.csv", _klines())
    code, _, err = run_cli("data", "import", str(path), "--data-dir", str(store_dir))
    assert code == 2 and err.count("\n") == 1 and "Not a directory" in err
    assert not (store_dir / "catalog.json").exists()
