"""Risk, size and funding forecasts on the stored Binance BTC/ETH history (issue 15): the
bootstrap against rolling windows of the real data, the CLI's JSON and its refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from hedgekit.planner import plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.risk import fit_model, pack_plan, simulate
from hedgekit.risk import kernels as K
from hedgekit.risk.inputs import funding_series, load_history

FUNDING = "funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz"


@pytest.fixture(scope="module")
def store_dir(data_dir, tmp_path_factory):
    from hedgekit.data import Store, import_path

    path = tmp_path_factory.mktemp("risk-store")
    st = Store(path)
    for c in ("BTC", "ETH"):
        import_path(data_dir / f"futures/binance_spot_{c}USDT_1d_2021-2024.csv.gz", store=st)
        import_path(data_dir / f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz", store=st)
        import_path(data_dir / FUNDING.format(c=c), store=st)
    return path


def klines(path) -> pd.DataFrame:
    """Binance daily klines straight from the file (header row; ``open_time`` in UTC)."""
    frame = pd.read_csv(path)
    frame.index = pd.to_datetime(frame["open_time"], utc=True, format="ISO8601")
    return frame[["open", "high", "low", "close"]].astype(float)


def batch_interval(flags: np.ndarray, size: int, stat) -> tuple[float, float]:
    """The 2.5%-97.5% range of ``stat`` over batches of ``size`` simulated 30-day windows: what a
    history with ``size`` independent windows could show, under the model."""
    batches = flags[: len(flags) // size * size].reshape(-1, size)
    values = np.array([stat(b) for b in batches])
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


@pytest.fixture(scope="module")
def btc_bootstrap(store_dir):
    from hedgekit.data import Store

    st = Store(store_dir)
    series = funding_series(st, "binance", "BTC")
    history = load_history(["BTC"], store=st, venues={"BTC": "binance"}, funding={"BTC": series})
    # the funding is left as stored: the shift that re-centres it is zero
    params = fit_model("bootstrap", history, [float(np.nanmean(history.funding))])
    return history, params


def test_bootstrap_liquidation_frequency_matches_rolling_windows_of_real_btc(btc_bootstrap, data_dir):
    history, params = btc_bootstrap
    p = plan(parse_portfolio({"holdings": [{"asset": "BTC", "amount": 1}], "prices": {"BTC": 40_000},
                              "hedge": {"leverage": 3, "venues": ["binance-usdm"]}}))
    (leg,) = p.legs
    ratio = leg.liquidation_price / leg.price  # about 1 + 1/3 - MMR: the short's distance
    assert 1.3 < ratio < 1.34
    book = pack_plan(p, 30, history.assets)
    (res,) = simulate(book, params.with_basis(np.zeros(1)), paths=40_000, horizon_days=30, seed=5)
    flags = res.legs[:, 0, K.L_LIQUIDATED]
    # counted directly on the real perpetual: a 30-day window starting at close t liquidates a
    # 3x short opened at that close when a daily high of the next 30 days reaches ratio * close_t
    perp = klines(data_dir / "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz")
    high, close = perp["high"].to_numpy(), perp["close"].to_numpy()
    windows = [high[t + 1:t + 31].max() >= ratio * close[t] for t in range(len(close) - 30)]
    real = float(np.mean(windows))
    lo, hi = batch_interval(flags, len(close) // 30, np.mean)
    assert 0 < real and lo <= real <= hi, (real, lo, hi, flags.mean())


def test_bootstrap_unhedged_var_matches_the_rolling_30_day_quantile(btc_bootstrap, data_dir):
    history, params = btc_bootstrap
    p = plan(parse_portfolio({"holdings": [{"asset": "BTC", "amount": 1}], "prices": {"BTC": 40_000},
                              "hedge": {"ratio": 0, "venues": ["binance-usdm"]}}))
    book = pack_plan(p, 30, history.assets)
    (res,) = simulate(book, params, paths=40_000, horizon_days=30, seed=6)
    pnl = res.out[:, K.O_UNHEDGED]
    spot = klines(data_dir / "futures/binance_spot_BTCUSDT_1d_2021-2024.csv.gz")["close"].to_numpy()
    real = np.array([40_000 * (spot[t + 30] / spot[t] - 1) for t in range(len(spot) - 30)])
    real_var = -float(np.percentile(real, 5))
    lo, hi = batch_interval(pnl, len(spot) // 30, lambda b: -np.percentile(b, 5))
    assert lo <= real_var <= hi, (real_var, lo, hi)


BOOK = """
prices: {BTC: 65000, ETH: 3500}
holdings:
  - {asset: BTC, amount: 2}
  - {asset: ETH, amount: 20, kind: staked, apy: 0.03}
  - {asset: USDC, amount: 50000}
hedge: {ratio: 1, leverage: 5, venues: [binance-usdm]}
"""

STATS = {"mean", "p01", "p05", "p50", "p95", "var_95", "cvar_95", "var_99", "cvar_99"}


@pytest.fixture
def book_file(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text(BOOK)
    return path


@pytest.mark.parametrize("model", ["bootstrap", "garch", "gbm"])
def test_risk_json_has_the_issue_keys_and_repeats_with_a_seed(run_cli, store_dir, book_file, model):
    args = ["risk", str(book_file), "--paths", "3000", "--model", model, "--seed", "4", "--json",
            "--data-dir", str(store_dir)]
    code, out, err = run_cli(*args)
    assert code == 0, err
    r = json.loads(out)
    assert set(r) == {"horizon_days", "paths", "model", "seed", "net_usd", "unhedged_usd", "net_coin",
                      "funding_usd", "legs", "funding_forecaster"}
    assert (r["horizon_days"], r["paths"], r["model"], r["seed"]) == (30, 3000, model, 4)
    assert set(r["net_usd"]) == set(r["unhedged_usd"]) == STATS and r["net_coin"] is None
    assert set(r["funding_usd"]) == {"mean", "p05", "p95"}
    assert [(leg["venue"], leg["symbol"]) for leg in r["legs"]] == [("binance-usdm", "BTCUSDT"),
                                                                  ("binance-usdm", "ETHUSDT")]
    for leg in r["legs"]:
        assert set(leg) == {"venue", "symbol", "p_liquidation", "p_topup", "topup_usd_p95", "liquidation_price"}
        assert 0 <= leg["p_liquidation"] <= leg["p_topup"] <= 1
    # the hedge takes most of the risk away
    assert r["net_usd"]["var_95"] < 0.5 * r["unhedged_usd"]["var_95"]
    assert r["funding_forecaster"].split()[0] in {"last", "mean", "ewma", "ar1", "predicted"}
    assert run_cli(*args)[1] == out


def test_size_json_frontier_and_limits(run_cli, store_dir, book_file):
    def size(limit: str) -> dict:
        code, out, err = run_cli("size", str(book_file), "--paths", "2000", "--model", "gbm",
                                 "--max-liquidation-prob", limit, "--json", "--data-dir", str(store_dir))
        assert code == 0, err
        return json.loads(out)

    tight, loose = size("0.01"), size("0.2")
    assert len(tight["frontier"]) == 100
    assert {tuple(sorted(p)) for p in tight["frontier"]} == {
        ("cvar_95_usd", "funding_usd", "leverage", "p_liquidation", "ratio", "std_usd")}
    for a, b in zip(tight["legs"], loose["legs"], strict=True):
        assert set(a) == {"venue", "symbol", "max_leverage", "min_collateral_usd", "p_liquidation"}
        assert a["p_liquidation"] <= 0.01 and b["p_liquidation"] <= 0.2
        assert a["max_leverage"] <= b["max_leverage"]
        assert a["min_collateral_usd"] >= b["min_collateral_usd"]
    rec = tight["recommended"]
    assert rec in tight["frontier"] and rec["p_liquidation"] <= 0.01
    # a higher leverage at the same ratio never lowers the chance of liquidation (same paths)
    for ratio in {p["ratio"] for p in tight["frontier"]}:
        row = sorted((p for p in tight["frontier"] if p["ratio"] == ratio), key=lambda p: p["leverage"])
        probs = [p["p_liquidation"] for p in row]
        assert probs == sorted(probs)


@pytest.mark.parametrize(("args", "needle"), [
    (["--paths", "0"], "--paths"), (["--paths", "-3"], "--paths"), (["--horizon-days", "0"], "--horizon-days"),
    (["--model", "heston"], "--model")])
def test_risk_bad_input_is_one_line_exit_2(run_cli, store_dir, book_file, args, needle):
    for cmd in ("risk", "size"):
        code, out, err = run_cli(cmd, str(book_file), *args, "--data-dir", str(store_dir))
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_risk_refuses_a_book_without_stored_history(run_cli, store_dir, tmp_path):
    path = tmp_path / "sol.yaml"
    path.write_text("prices: {SOL: 150}\nholdings: [{asset: SOL, amount: 100}]\n"
                    "hedge: {venues: [binance-usdm]}\n")
    code, out, err = run_cli("risk", str(path), "--paths", "100", "--data-dir", str(store_dir))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "SOL" in err and err.startswith("error:")


def test_analyze_funding_scores_every_stored_series(run_cli, store_dir, data_dir):
    code, out, err = run_cli("analyze", "funding", "--json", "--data-dir", str(store_dir))
    assert code == 0, err
    r = json.loads(out)
    assert {(s["venue"], s["symbol"]) for s in r["series"]} == {("binance", "BTC/USDT:USDT"),
                                                                ("binance", "ETH/USDT:USDT")}
    assert r["best"] in {"last", "mean", "ewma", "ar1"}
    btc = next(s for s in r["series"] if s["symbol"].startswith("BTC"))
    # independent: the last settled rate of each UTC day vs the mean of the next day's rates
    raw = pd.read_csv(data_dir / FUNDING.format(c="BTC"))
    ts = pd.to_datetime(raw["funding_time"], utc=True, format="ISO8601")
    rates = pd.Series(raw["funding_rate"].to_numpy(), index=ts.dt.floor("D"))
    by_day = rates.groupby(level=0)
    last, mean = by_day.last(), by_day.mean()
    first = last.index[0]
    errors, hits = [], []
    days = list(last.index)
    for i, d in enumerate(days[:-2]):  # the day after must be followed by one more settlement day
        nxt = d + pd.Timedelta(days=1)
        if (d - first).days < 90 or days[i + 1] != nxt:
            continue
        errors.append(abs(last[d] - mean[nxt]))
        hits.append((last[d] > 0) == (mean[nxt] > 0))
    got = btc["scores"]["last"]["1"]
    assert got["n"] == len(errors)
    assert got["mae"] == pytest.approx(float(np.mean(errors)), rel=1e-9)
    assert got["hit_rate"] == pytest.approx(float(np.mean(hits)), rel=1e-12)
    code, table, _ = run_cli("analyze", "funding", "--data-dir", str(store_dir))
    assert code == 0 and table.startswith("| forecaster |") and "ewma" in table
    assert math.isfinite(got["mae"])


def test_analyze_without_funding_still_analyzes(run_cli, store_dir):
    code, _, err = run_cli("analyze", "--assets", "ETH", "--against", "BTC", "--data-dir", str(store_dir),
                           "--json")
    assert code == 0, err


def test_plan_names_the_best_forecaster_only_when_it_reads_stored_funding(run_cli, store_dir, tmp_path):
    path = tmp_path / "recent.yaml"
    path.write_text("prices: {BTC: 65000}\nholdings: [{asset: BTC, amount: 1}]\n"
                    "hedge: {venues: [binance-usdm], recent_funding_days: 30}\n")
    code, out, err = run_cli("plan", str(path), "--json", "--data-dir", str(store_dir))
    assert code == 0, err
    plan_json = json.loads(out)
    (note,) = [n for n in plan_json["notes"] if "forecaster" in n]
    # the name is the one `analyze funding` finds best on the same (one) series at 30 days
    code, out, _ = run_cli("analyze", "funding", "--json", "--data-dir", str(store_dir))
    btc = [s for s in json.loads(out)["series"] if s["symbol"].startswith("BTC")]
    maes = {name: by_h["30"]["mae"] for name, by_h in btc[0]["scores"].items()}
    assert f"is {min(maes, key=maes.get)} " in note
    # the plan's rate is still the trailing mean (its default is unchanged)
    (leg,) = plan_json["legs"]
    assert not leg["funding_assumed"]
    path.write_text(path.read_text().replace(", recent_funding_days: 30", ""))
    code, out, err = run_cli("plan", str(path), "--json", "--data-dir", str(store_dir))
    assert code == 0 and not [n for n in json.loads(out)["notes"] if "forecaster" in n]


@pytest.mark.parametrize("limit", ["0", "1", "-0.1", "1.5"])
def test_size_refuses_a_limit_outside_0_1(run_cli, store_dir, book_file, limit):
    code, out, err = run_cli("size", str(book_file), "--max-liquidation-prob", limit, "--data-dir", str(store_dir))
    assert code == 2 and out == "" and err.count("\n") == 1 and "--max-liquidation-prob" in err
