"""`hedgekit backtest` and its YAML config: field-named errors, JSON shape, reports, the example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hedgekit.backtest.config import load_config, parse_config
from hedgekit.errors import InputError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "backtest.yaml"
KEYS = {"name", "final_equity_usd", "total_return", "volatility", "max_drawdown", "cvar_95",
        "hedge_effectiveness", "funding_usd", "fees_usd", "rebalances", "liquidations"}


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    """A store holding the Binance BTC/ETH spot, perp and funding files the example uses."""
    from hedgekit.data import Store, import_path

    path = tmp_path_factory.mktemp("store")
    st = Store(path)
    for c in ("BTC", "ETH"):
        import_path(data_dir / f"futures/binance_spot_{c}USDT_1d_2021-2024.csv.gz", store=st)
        import_path(data_dir / f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz", store=st)
        import_path(data_dir / f"funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz", store=st)
    return path


def example(**changes) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.update(changes)
    return data


def test_example_runs_and_json_has_the_contract_keys(run_cli, store, tmp_path):
    html, png = tmp_path / "r.html", tmp_path / "r.png"
    code, out, err = run_cli("backtest", str(EXAMPLE), "--json", "--data-dir", str(store),
                             "--html", str(html), "--png", str(png))
    assert code == 0, err
    doc = json.loads(out)
    names = [s["name"] for s in doc["strategies"]]
    assert names == ["no hedge", "static 50%", "min-variance monthly, 10% band"]
    for s in doc["strategies"]:
        assert KEYS <= set(s)
    none, half, mv = doc["strategies"]
    assert none["hedge_effectiveness"] == 0.0 and none["funding_usd"] == 0.0
    assert mv["volatility"] < half["volatility"] < none["volatility"]
    assert half["funding_usd"] > 0  # shorts were paid funding over 2021-2024
    assert html.read_text().count("plotly") > 0 and png.read_bytes()[:4] == b"\x89PNG"


def test_table_output(run_cli, store):
    code, out, err = run_cli("backtest", str(EXAMPLE), "--data-dir", str(store))
    assert code == 0, err
    assert "hedge effectiveness" in out and "static 50%" in out


def test_config_errors_name_the_field(tmp_path):
    bad = example()
    bad["policies"][1]["band"] = -1
    assert _error(bad) == "policies[1].band: must be >= 0 (got -1)"
    bad = example()
    bad["assets"][0]["coins"] = "ten"
    assert _error(bad) == "assets[0].coins: must be a finite number (got 'ten')"
    bad = example()
    bad["policies"][0]["colour"] = "red"
    assert _error(bad) == "policies[0].colour: unknown field (got 'red')"
    bad = example()
    bad["policies"].append(dict(bad["policies"][0]))
    with pytest.raises(InputError, match=r"policies\[3\]\.name: must be unique"):
        parse_config(bad)
    bad = example()
    del bad["assets"]  # a missing field is named without echoing the whole config back
    assert _error(bad) == "assets: is required"
    path = tmp_path / "c.yaml"
    path.write_text("assets: [")
    with pytest.raises(InputError, match=r"^c\.yaml: invalid YAML at line 1, column "):
        load_config(path)
    with pytest.raises(InputError, match="^CONFIG: cannot read file"):
        load_config(tmp_path / "nope.yaml")


def _error(doc) -> str:
    with pytest.raises(InputError) as info:
        parse_config(doc)
    return str(info.value)


def test_config_and_path_errors_are_one_line(run_cli, tmp_path):
    # checked before any data is read: an empty store is enough
    code, _, err = run_cli("backtest", str(EXAMPLE), "--html", str(tmp_path / "x.txt"),
                           "--data-dir", str(tmp_path))
    assert code == 2 and err.strip() == f"error: --html: must end in .html (got '{tmp_path / 'x.txt'}')"
    cfg = example()
    cfg["assets"][0]["hedge"]["venue"] = "nowhere"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, _, err = run_cli("backtest", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and err.startswith("error: assets[0].hedge.venue:") and err.count("\n") == 1


def test_config_outside_the_stored_history_is_one_line(run_cli, store, tmp_path):
    path = tmp_path / "bad.yaml"
    cfg = example(start="2019-01-01")  # before the stored history: the funding check refuses
    path.write_text(yaml.safe_dump(cfg))
    code, _, err = run_cli("backtest", str(path), "--data-dir", str(store))
    assert code == 2 and err.startswith("error:")


def test_proxy_hedge_must_be_linear():
    cfg = example()
    cfg["assets"][1]["hedge"] = {"venue": "binance-coinm", "symbol": "BTCUSD_PERP"}
    from hedgekit.backtest.config import build_assets

    with pytest.raises(InputError, match=r"assets\[1\]\.hedge\.symbol: a proxy hedge must be linear"):
        build_assets(parse_config(cfg))


@pytest.fixture(scope="module")
def cme_store(data_dir, tmp_path_factory):
    from hedgekit.data import Store, import_path

    path = tmp_path_factory.mktemp("cme")
    st = Store(path)
    import_path(data_dir / "futures/cme_databento_MBT_micro_btc_futures_ohlcv-1d_2021-04_2026-02.csv.gz", store=st)
    import_path(data_dir / "prices/binance_spot_daily_8coins_2020-01_2026-02/BTC_1D.json.gz", store=st)
    return path


CME = {
    "start": "2022-01-03", "end": "2024-12-31", "reserve_usd": 200_000.0,
    "assets": [{"asset": "BTC", "coins": 1.0, "spot_venue": "binance",
                "hedge": {"venue": "cme", "fee": 0.0005, "mmr": 0.2,
                          # MBT = 0.1 BTC per contract (CME fact, futures/README.md)
                          "dated": {"root": "MBT", "roll_days": 5, "contract_size": 0.1}}}],
    "policies": [{"name": "full", "ratio": 1.0, "band": 0.1, "leverage": 1.0, "topup": 0.3}],
}


def test_dated_cme_hedge_rolls_before_expiry_and_matches_reference(cme_store):
    from hedgekit.backtest.config import load_market, policies_from
    from hedgekit.backtest.engine import run_backtest
    from hedgekit.data import Store, continuous_future
    from tests.test_backtest_parity import assert_parity

    cfg = parse_config(CME)
    assets, market = load_market(cfg, data_dir=cme_store)
    cont = continuous_future("cme", "MBT", roll_days_before_expiry=5, start="2022-01-03",
                             end="2024-12-31", store=Store(cme_store))
    # independent: every switch of contract after the first bar, priced from the store the bar before
    st = Store(cme_store)
    switches = [t for t in range(1, len(cont)) if cont["contract"].iloc[t] != cont["contract"].iloc[t - 1]]
    basis = []
    for t in switches:
        day = cont.index[t - 1]
        new = st.read("futures", "cme", cont["contract"].iloc[t], "1d", start=day, end=day)["close"].iloc[0]
        basis.append(new / cont["close"].iloc[t - 1] - 1.0)
    res = run_backtest(assets, market, policies_from(cfg), reserve=cfg.reserve_usd)
    s = res["full"]
    assert s.rolls == len(switches) > 30
    assert s.roll_basis == pytest.approx(float(np.mean(basis)), rel=1e-9)
    assert s.funding_usd == 0.0 and s.roll_cost_usd > 0
    # no position is ever held into an expiry: every roll bar is >= 5 days before it
    assert (cont["days_to_expiry"] > 5).all()
    assert_parity(assets, market, policies_from(cfg)[0], reserve=cfg.reserve_usd)


def test_mixing_dated_and_perpetual_hedges_is_refused():
    cfg = example()
    cfg["assets"][1]["hedge"] = CME["assets"][0]["hedge"]
    with pytest.raises(InputError, match=r"assets\[0\]\.hedge: cannot mix perpetual and dated"):
        parse_config(cfg)


def test_run_config_from_a_file_matches_an_independent_account(store, data_dir, tmp_path):
    """run_config on a YAML file: 1 BTC unhedged is buy-and-hold; 1 BTC shorted once at 1x without
    costs ends at spot + short PnL + funding, each summed here from the raw Binance files."""
    from hedgekit.backtest import run_config

    config = {
        "start": "2021-01-01", "end": "2024-12-31", "reserve_usd": 1_000_000.0,
        "assets": [{"asset": "BTC", "coins": 1.0, "spot_venue": "binance",
                    "hedge": {"venue": "binance-usdm", "symbol": "BTCUSDT", "fee": 0.0}}],
        "policies": [{"name": "none", "method": "none"},
                     # one short of 1 BTC at the first close, never traded again (band 1000%)
                     {"name": "short", "ratio": 1.0, "band": 10.0, "leverage": 1.0, "topup": 0.5}],
    }
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    res = run_config(path, data_dir=store)

    def klines(name):
        frame = pd.read_csv(data_dir / name)
        frame.index = pd.to_datetime(frame["open_time"], utc=True)
        return frame

    spot = klines("futures/binance_spot_BTCUSDT_1d_2021-2024.csv.gz")["close"]
    perp = klines("futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz")
    reserve = 1_000_000.0
    none = res.to_frame("none")["equity_usd"].to_numpy()
    np.testing.assert_allclose(none, spot.to_numpy() + reserve, rtol=1e-12)
    assert res["none"].total_return == pytest.approx(
        (spot.iloc[-1] + reserve) / (spot.iloc[0] + reserve) - 1.0, rel=1e-12)

    short = res["short"]
    held = short.contracts[:, 0]
    # 1 BTC x ratio 1 is a whole number of 0.001-BTC lots (BTCUSDT contract: 1 BTC, lot 0.001)
    assert (held == held[0]).all() and held[0] == pytest.approx(1.0)
    assert short.liquidations == 0 and short.fees_usd == 0.0
    # funding: every settlement paid by a position held from a previous close (from day 2 on);
    # reference = the file's mark price where it has one, else the perp open for the 00:00
    # settlement and the day's perp close for the others (daily bars carry no intrabar mark)
    raw = pd.read_csv(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz")
    when = pd.to_datetime(raw["funding_time"], utc=True, format="ISO8601").dt.floor("h")
    funding = 0.0
    for ts, rate, mark in zip(when, raw["funding_rate"], raw["mark_price"], strict=True):
        if ts < pd.Timestamp("2021-01-02", tz="UTC"):
            continue
        day = perp.loc[ts.floor("D")]
        ref = mark if mark > 0 else (day["open"] if ts.hour == 0 else day["close"])
        funding += held[0] * ref * rate  # a short receives rate x notional
    assert short.funding_usd == pytest.approx(funding, rel=1e-12)
    short_pnl = held[0] * (perp["close"].iloc[0] - perp["close"].iloc[-1])
    expected = spot.iloc[-1] + reserve + short_pnl + funding  # cash 0: the margin was borrowed
    assert short.final_equity_usd == pytest.approx(expected, rel=1e-12)


def test_contract_overrides_static_half_hedge_matches_a_pandas_loop(store, data_dir):
    """Issue 14: lot_size, contract_size, fee and tiers overridden per asset. With a tiny lot the
    static 50% hedge of 1 BTC + 20 ETH (Binance USD-M perps, 2021-2024, the example's taker fee
    0.0004 plus slippage 0.0002) is rebuilt here day by day from the raw files: short
    q_t = 0.5 x coins x spot_t / perp_t coins, rounded to the lot; each day earns
    q_(t-1) x (perp_(t-1) - perp_t) plus funding q_(t-1) x rate x reference on that day's
    settlements and pays |q_t - q_(t-1)| x perp_t x 0.0006. Margin moves between cash and the
    position, so they cancel in equity; equity = spot value + the sum of those amounts."""
    from hedgekit.backtest import run_config

    lot, cost, coins = 1e-9, 0.0004 + 0.0002, {"BTC": 1.0, "ETH": 20.0}
    tiers = [{"cap": 50_000.0, "mmr": 0.004}, {"cap": 500_000.0, "mmr": 0.005}, {"mmr": 0.01}]
    assets = [{"asset": c, "coins": n, "spot_venue": "binance",
               "hedge": {"venue": "binance-usdm", "symbol": f"{c}USDT", "lot_size": lot,
                         "contract_size": 1.0, "fee": 0.0004, "slippage": 0.0002, "tiers": tiers}}
              for c, n in coins.items()]
    cfg = parse_config({"start": "2021-01-01", "end": "2024-12-31", "assets": assets,
                        "policies": [{"name": "half", "ratio": 0.5, "leverage": 2.0}]})
    res = run_config(cfg, data_dir=store)
    got = res.to_frame("half")["equity_usd"]

    def klines(name):
        frame = pd.read_csv(data_dir / name)
        frame.index = pd.to_datetime(frame["open_time"], utc=True)
        return frame

    days = got.index
    equity = pd.Series(0.0, index=days)
    fees = funding = 0.0
    last = []  # contracts held after the last day, per asset
    for c, n in coins.items():
        spot = klines(f"futures/binance_spot_{c}USDT_1d_2021-2024.csv.gz")["close"].reindex(days)
        perp = klines(f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz").reindex(days)
        # a short is liquidated only ~50% above the last close at 2x; the days never came near
        assert (perp["high"].iloc[1:].to_numpy() / perp["close"].iloc[:-1].to_numpy()).max() < 1.4
        raw = pd.read_csv(data_dir / f"funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz")
        raw.index = pd.to_datetime(raw["funding_time"], utc=True, format="ISO8601").dt.floor("h")
        paid = pd.Series(0.0, index=days)  # per day: sum of rate x reference of its settlements
        for ts, row in raw.iterrows():
            day = ts.floor("D")
            if day not in paid.index:
                continue
            ref = row["mark_price"] if row["mark_price"] > 0 else (
                perp.loc[day, "open"] if ts.hour == 0 else perp.loc[day, "close"])
            paid[day] += row["funding_rate"] * ref
        held, account = 0.0, 0.0
        for t, day in enumerate(days):
            price = perp.loc[day, "close"]
            if t > 0:
                account += held * (perp["close"].iloc[t - 1] - price) + held * paid[day]
                funding += held * paid[day]
            goal = round(0.5 * n * spot[day] / price / lot) * lot
            fee = abs(goal - held) * price * cost
            account -= fee
            fees += fee
            held = goal
            equity[day] += n * spot[day] + account
        last.append(held)
    half = res["half"]
    assert half.liquidations == 0
    np.testing.assert_allclose(half.contracts[-1], last, rtol=0, atol=lot)
    assert half.fees_usd == pytest.approx(fees, abs=1e-6)
    assert half.funding_usd == pytest.approx(funding, abs=1e-6)
    np.testing.assert_allclose(got.to_numpy(), equity.to_numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize(("change", "message"), [
    ({"lot_size": 0}, "assets[0].hedge.lot_size: must be > 0 (got 0)"),
    ({"contract_size": -1}, "assets[0].hedge.contract_size: must be > 0 (got -1)"),
    ({"fee": 0.5}, "assets[0].hedge.fee: must be < 0.05 (got 0.5)"),
    ({"tiers": [{"mmr": 0.01}, {"mmr": 0.02}]},
     "assets[0].hedge.tiers[0].cap: only the last tier may leave out its cap"),
    ({"tiers": [{"cap": 100.0, "mmr": 0.02}, {"mmr": 0.01}]},
     "assets[0].hedge.tiers[1].mmr: must not be below the previous tier's (got 0.01)"),
    ({"tiers": [{"cap": 100.0, "mmr": 0.01}, {"cap": 50.0, "mmr": 0.02}]},
     "assets[0].hedge.tiers[1].cap: must be above the previous cap 100 (got 50.0)"),
    ({"mmr": 0.01, "tiers": [{"mmr": 0.01}]}, "assets[0].hedge.tiers: give either mmr or tiers, not both"),
])
def test_contract_override_errors_are_one_line_exit_2(run_cli, tmp_path, change, message):
    cfg = example()
    cfg["assets"][0]["hedge"].update(change)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, _, err = run_cli("backtest", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and err == f"error: {message}\n"


def test_funding_policy_fields_errors_name_the_field(run_cli, tmp_path):
    cfg = example()
    cfg["policies"][1].update(method="funding", threshold=0.05, threshold_off=0.1)
    assert _error(cfg) == "policies[1].threshold_off: must be <= threshold (0.05) (got 0.1)"
    cfg["policies"][1].update(threshold_off="low")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, _, err = run_cli("backtest", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and err == "error: policies[1].threshold_off: must be a finite number (got 'low')\n"


@pytest.mark.parametrize(("value", "message"), [
    ("fortnightly", "must be weekly, monthly or a whole number >= 1 (got 'fortnightly')"),
    (0, "must be >= 1 (got 0)"),
    (2.5, "must be weekly, monthly or a whole number >= 1 (got 2.5)"),
])
def test_calendar_reestimate_errors_are_one_line_exit_2(run_cli, tmp_path, value, message):
    cfg = example()
    cfg["policies"][2]["reestimate"] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, _, err = run_cli("backtest", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and err == f"error: policies[2].reestimate: {message}\n"


def test_calendar_reestimate_runs_from_the_config(store):
    from hedgekit.backtest import run_config

    cfg = example()
    cfg["policies"] = [dict(cfg["policies"][2], name=f"minvar {s}", reestimate=s)
                       for s in ("weekly", "monthly", 30)]
    res = run_config(parse_config(cfg), data_dir=store)
    ratios = {s.name: s.series["ratio"] for s in res.strategies}
    assert not np.allclose(ratios["minvar weekly"], ratios["minvar monthly"])
    assert not np.allclose(ratios["minvar monthly"], ratios["minvar 30"])


@pytest.mark.parametrize(("change", "message"), [
    ({"ratios": {"DOGE": 0.1}}, "policies[1].ratios.DOGE: names no asset of the book (got 'DOGE')"),
    ({"ratios": {"ETH": 9}}, "policies[1].ratios.ETH: must be <= 5"),
    ({"methods": {"BTC": "guess"}}, "policies[1].methods.BTC:"),
    ({"methods": {"SOL": "beta"}}, "policies[1].methods.SOL: names no asset of the book (got 'SOL')"),
])
def test_per_asset_policy_errors_are_one_line_exit_2(run_cli, tmp_path, change, message):
    assert_policy_error(run_cli, tmp_path, change, message)


def assert_policy_error(run_cli, tmp_path, change: dict, message: str) -> None:
    """The example with ``change`` in its second policy fails with one line, exit 2."""
    cfg = example()
    cfg["policies"][1].update(change)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, _, err = run_cli("backtest", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and err.startswith(f"error: {message}") and err.count("\n") == 1


def test_per_asset_ratio_runs_from_the_config(store):
    from hedgekit.backtest import run_config

    cfg = example()
    cfg["policies"] = [{"name": "eth 10%", "ratio": 0.5, "ratios": {"ETH": 0.1}},
                       {"name": "flat", "ratio": 0.5}]
    res = run_config(parse_config(cfg), data_dir=store)
    held = {s.name: np.asarray(s.contracts) for s in res.strategies}
    btc, eth = res.names.index("BTC"), res.names.index("ETH")
    np.testing.assert_array_equal(held["eth 10%"][:, btc], held["flat"][:, btc])
    assert (held["eth 10%"][:, eth] < held["flat"][:, eth]).all()
