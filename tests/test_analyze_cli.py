"""``hedgekit analyze`` end to end on a temporary store built from real files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hedgekit.estimators import OLSBeta, to_returns, walk_forward

SPOT8 = "prices/binance_spot_daily_8coins_2020-01_2026-02/{}_1D.json.gz"
FILES = [
    "futures/binance_spot_BTCUSDT_1d_2021-2024.csv.gz",
    "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz",
    SPOT8.format("ETH"),
    SPOT8.format("SOL"),
]
PAIR_KEYS = {"asset", "against", "beta", "correlation", "mv_ratio", "effectiveness_in_sample",
             "effectiveness_out_of_sample", "n_obs"}


@pytest.fixture(scope="module")
def store_dir(data_dir, tmp_path_factory):
    from hedgekit.data import Store, import_path

    path = tmp_path_factory.mktemp("store")
    store = Store(path)
    for name in FILES:
        import_path(data_dir / name, store=store)
    return str(path)


def _kline_close(path) -> pd.Series:
    df = pd.read_csv(path, compression="gzip")
    return pd.Series(df["close"].to_numpy(float), index=pd.to_datetime(df["open_time"], utc=True))


def _json_close(path) -> pd.Series:
    df = pd.read_json(path, compression="gzip")
    return pd.Series(df["c"].to_numpy(float), index=pd.to_datetime(df["t"], utc=True))


def test_json_pairs_match_an_independent_computation(run_cli, store_dir, data_dir):
    code, out, err = run_cli("analyze", "--assets", "ETH,SOL", "--against", "BTC", "--window", "60",
                             "--start", "2022-01-01", "--end", "2022-12-31", "--json",
                             "--data-dir", store_dir)
    assert code == 0, err
    doc = json.loads(out)
    assert [(p["asset"], p["against"]) for p in doc["pairs"]] == [("ETH", "BTC"), ("SOL", "BTC")]
    for pair in doc["pairs"]:
        assert PAIR_KEYS <= set(pair)
    # the same numbers straight from the files, without the data layer
    btc = _kline_close(data_dir / FILES[0])
    sol = _json_close(data_dir / SPOT8.format("SOL"))
    prices = pd.concat([sol, btc], axis=1, keys=["SOL", "BTC"]).loc["2022-01-01":"2022-12-31"]
    r = to_returns(prices)
    fit = OLSBeta().fit(r["SOL"], r["BTC"])
    sol_pair = doc["pairs"][1]
    assert sol_pair["n_obs"] == fit.n_obs_ == 364
    assert sol_pair["beta"] == pytest.approx(fit.beta_, rel=1e-9)
    assert sol_pair["correlation"] == pytest.approx(fit.correlation_, rel=1e-9)
    assert sol_pair["effectiveness_in_sample"] == pytest.approx(fit.correlation_ ** 2, rel=1e-9)
    assert sol_pair["mv_ratio"] == pytest.approx(
        np.cov(r["SOL"].iloc[-60:], r["BTC"].iloc[-60:])[0, 1] / r["BTC"].iloc[-60:].var(), rel=1e-9)
    assert sol_pair["effectiveness_out_of_sample"] == pytest.approx(
        walk_forward(r["SOL"], r["BTC"], window=60).effectiveness, rel=1e-9)


def test_spot_against_its_perpetual_in_one_command(run_cli, store_dir):
    args = ("analyze", "--assets", "BTC", "--window", "90", "--venue", "binance", "--json",
            "--data-dir", store_dir)
    code, out, err = run_cli(*args, "--against", "BTC-PERP")
    assert code == 0, err
    (pair,) = json.loads(out)["pairs"]
    assert pair["against"] == "BTC-PERP" and pair["n_obs"] == 1460
    assert 0.97 < pair["mv_ratio"] < 1.03 and pair["effectiveness_out_of_sample"] > 0.99
    code, out2, _ = run_cli(*args, "--against", "BTC", "--hedge-kind", "futures")
    assert code == 0 and json.loads(out2)["pairs"] == [pair]


def test_basket_and_table_output(run_cli, store_dir, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    args = ("analyze", "--assets", "SOL", "--against", "BTC,ETH,BASKET", "--start", "2021-06-01",
            "--end", "2023-06-01", "--data-dir", store_dir)
    code, out, err = run_cli(*args)
    assert code == 0, err
    code, js, _ = run_cli(*args, "--json")
    pairs = json.loads(js)["pairs"]
    assert [p["against"] for p in pairs] == ["BTC", "ETH", "BASKET"]
    for p in pairs:  # the table shows the same numbers as the JSON
        assert f"{p['beta']:.3f} ± {p['beta_stderr']:.3f}" in out
        assert f"{100 * p['effectiveness_out_of_sample']:.1f}%" in out
    # an equal-weight basket of BTC and ETH tracks SOL better than the weaker of the two
    basket, btc, eth = pairs[2], pairs[0], pairs[1]
    assert basket["correlation"] > min(btc["correlation"], eth["correlation"])


def _bad_input(run_cli, store: str, args, flag):
    code, out, err = run_cli("analyze", *args, "--data-dir", store)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and flag in err


@pytest.mark.parametrize("args,flag", [
    (("--assets", "SOL", "--window", "1"), "--window"),
    (("--assets", " , "), "--assets"),
    (("--assets", "SOL", "--hedge-kind", "options"), "--hedge-kind"),
    (("--assets", "SOL", "--start", "yesterday-ish"), "--start"),
    (("--assets", "SOL", "--start", "2023-01-01", "--end", "2022-01-01"), "--end"),
    (("--assets", "SOL", "--returns", "pct"), "--returns"),
    (("--assets", "SOL", "--method", "garch"), "--method"),
    (("--assets", "SOL", "--freq", "daily"), "--freq"),
    (("--assets", "SOL", "--against", "BTC,BTC"), "--against"),
])
def test_bad_options_exit_2_before_reading_the_store(run_cli, tmp_path, args, flag):
    # the options are checked before any data is read: an empty store is enough
    _bad_input(run_cli, str(tmp_path), args, flag)


@pytest.mark.parametrize("args,flag", [
    (("--assets", "SOL", "--against", "BASKET"), "BASKET"),
    (("--assets", "DOGE"), "DOGE"),
    (("--assets", "SOL", "--start", "2022-01-01", "--end", "2022-02-01", "--window", "90"), "window"),
])
def test_inputs_the_stored_data_cannot_serve_exit_2(run_cli, store_dir, args, flag):
    _bad_input(run_cli, store_dir, args, flag)
