"""``hedgekit data`` through the in-process CLI runner."""

from __future__ import annotations

import json

import pytest

EIGHT = "prices/binance_spot_daily_8coins_2020-01_2026-02"


def test_import_then_list_json(run_cli, data_dir, tmp_path):
    code, out, err = run_cli("data", "import", str(data_dir / EIGHT), "--data-dir", str(tmp_path), "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["imported"] == 8 and rep["refused"] == 0
    code, out, _ = run_cli("data", "list", "--json", "--data-dir", str(tmp_path))
    doc = json.loads(out)
    assert code == 0 and len(doc["series"]) == 8
    btc = next(s for s in doc["series"] if s["symbol"] == "BTC/USDT")
    assert set(btc) == {"kind", "venue", "symbol", "freq", "start", "end", "rows", "gaps"}
    assert (btc["kind"], btc["venue"], btc["freq"], btc["gaps"]) == ("price", "binance", "1d", 0)
    assert btc["start"].startswith("2020-01-01") and btc["rows"] == 2244


def test_list_table_and_env_data_dir(run_cli, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path))
    run_cli("data", "import", str(data_dir / EIGHT / "ETH_1D.json.gz"))
    code, out, _ = run_cli("data", "list")
    assert code == 0 and "ETH/USDT" in out and "2,244" in out


def test_import_folder_reports_refusals(run_cli, data_dir, tmp_path):
    code, out, _ = run_cli("data", "import", str(data_dir / "futures/cme_databento_meta"), "--data-dir", str(tmp_path))
    assert code == 0 and out.count("refused") >= 4 and "Databento job metadata" in out


def test_tz_offset_option(run_cli, data_dir, tmp_path):
    f = (data_dir / "funding/multi_exchange_usdt_perp_2020-2024"
         / "ETH-USDT_bybit_2021-01-01_2024-01-01_funding_history.csv.gz")
    code, _, err = run_cli("data", "import", str(f), "--data-dir", str(tmp_path))
    assert code == 2 and "pass --tz-offset -3" in err and err.count("\n") == 1
    code, out, err = run_cli("data", "import", str(f), "--tz-offset", "-3", "--data-dir", str(tmp_path), "--json")
    assert code == 0, err
    assert json.loads(out)["files"][0]["series"][0]["symbol"] == "ETH/USDT:USDT"


def _bad_input(run_cli, args, needle):
    code, _, err = run_cli(*args)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("data", "import", "/no/such/path"), "no such file"),
        (("data", "import", "{tmp}", "--format", "excel"), "--format: unknown format"),
        (("data", "import", "{tmp}", "--tz-offset", "30"), "--tz-offset"),
        (("data", "fetch", "--venue", "binance", "--symbols", "BTC/USDT", "--kind", "trades"), "--kind"),
        (("data", "fetch", "--venue", "nosuchvenue", "--symbols", "BTC/USDT", "--since", "2024-01-01"), "--venue"),
        (("data", "fetch", "--venue", "binance", "--symbols", " , ", "--since", "2024-01-01"), "--symbols"),
        (("data", "import"), "Missing argument"),
    ],
)
def test_bad_input_exit_2_one_line(run_cli, tmp_path, args, needle):
    # options are checked before any file is read: an empty folder stands in for the data
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args) + ("--data-dir", str(tmp_path / "store"))
    _bad_input(run_cli, args, needle)


def test_documentation_file_is_refused_with_exit_2(run_cli, data_dir, tmp_path):
    _bad_input(run_cli, ("data", "import", str(data_dir / "PROVENANCE.md"), "--data-dir", str(tmp_path)),
               "refused: documentation")
