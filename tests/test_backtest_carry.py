"""Issue 14: a hedge that switches between a perpetual and a dated future on carry.

The expected numbers of the synthetic tests come from plain loops written here (the rule as the
README states it: trailing funding APR vs annualised basis, hysteresis margin, a switch closes at
the old instrument's close and opens the new one at its close, fees on both legs, funding only
while on the perpetual), never from the engine's helpers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from hedgekit.backtest import Policy, align_market, run_backtest
from hedgekit.backtest.carry import CarryLeg, held_for, with_carry
from hedgekit.backtest.engine import AssetSpec, sweep
from hedgekit.errors import InputError
from hedgekit.instruments import ContractType, Instrument

# --------------------------------------------------------------------------- synthetic market
T = 14
INDEX = pd.date_range("2024-01-01", periods=T, freq="D", tz="UTC")  # 365 bars a year exactly
SPOT = np.array([100, 101, 103, 102, 104, 106, 105, 107, 108, 106, 109, 110, 108, 111], float)
PERP = SPOT + np.array([0.05 * (t % 3) for t in range(T)])  # perp a few cents off spot; P0 = S0
RATE = np.full(T, 0.0002)  # one settlement per bar: 0.02% -> 7.3% APR on 365 bars a year
EXPIRY_A, EXPIRY_B, ROLL_BAR = 8, 40, 5  # contract A held to the close of bar 5, then B
# annualised basis of the contract entered at each close (B from bar 5's close on)
BASIS = np.array([0, 0, 0, .15, .15, .15, .15, .15, .15, .07, .05, .20, .20, .20])
PERP_COST, DATED_COST, WINDOW, MARGIN = 0.0004, 0.0010, 2, 0.01


def _days(t: int, expiry: int) -> int:
    return expiry - t


def dated_prices(apr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Continuous dated closes and the roll price whose basis APR vs spot is ``apr[t]`` for the
    contract entered at each close: ``F = S * (1 + apr * days / 365)``."""
    close = np.array([SPOT[t] * (1 + apr[t] * _days(t, EXPIRY_A if t <= ROLL_BAR else EXPIRY_B) / 365)
                      for t in range(T)])
    roll_to = np.full(T, np.nan)
    roll_to[ROLL_BAR] = SPOT[ROLL_BAR] * (1 + apr[ROLL_BAR] * _days(ROLL_BAR, EXPIRY_B) / 365)
    return close, roll_to


DATED, ROLL_TO = dated_prices(BASIS)
# days to expiry of the contract a short entered at each close holds (B from the roll bar on)
DAYS = np.array([_days(t, EXPIRY_A if t < ROLL_BAR else EXPIRY_B) for t in range(T)], float)


def composite_spec(lot: float = 0.1, **changes) -> AssetSpec:
    inst = Instrument(symbol="PERP|FUT", contract_type=ContractType.LINEAR, contract_size=1.0,
                      base="BTC", quote="USD", lot_size=lot, funding_interval_hours=None)
    return AssetSpec(name="BTC", coins=1.0, instrument=inst, **{"mmr": 0.01, "fee": 0.0, **changes})


def synthetic(basis_apr: np.ndarray = BASIS, margin: float = MARGIN, lot: float = 0.1):
    """The composite asset and its market: dated columns via align_market, the carry leg by hand."""
    dated, roll_to = dated_prices(basis_apr)
    spec = composite_spec(lot)
    frame = pd.DataFrame({"open": dated, "high": dated * 1.01, "low": dated * 0.99, "close": dated},
                         index=INDEX)
    market = align_market([spec], spot={"BTC": pd.Series(SPOT, index=INDEX)}, hedge={"BTC": frame},
                          roll_to={"BTC": pd.Series(roll_to, index=INDEX)}, exchange_calendar=True)
    leg = CarryLeg(perp_close=PERP.copy(), perp_high=PERP * 1.01, perp_fund_lin=RATE * PERP,
                   perp_fund_inv=RATE / PERP,
                   perp_settlements=(np.arange(T), RATE.copy(), PERP.copy()),
                   dated_close=dated.copy(), dated_high=dated * 1.01, dated_roll_to=roll_to,
                   dated_days=DAYS.copy(), perp_cost=PERP_COST, dated_cost=DATED_COST,
                   window=WINDOW, margin=margin)
    return spec, with_carry(market, {"BTC": leg})


def expected_held(basis_apr=BASIS, margin=MARGIN) -> list[str]:
    """The rule, as the README states it, in a plain loop."""
    held, cur = [], "perp"
    roll_to = dated_prices(basis_apr)[1]
    for t in range(T):
        if t >= WINDOW - 1:
            perp_apr = sum(RATE[k] * PERP[k] / PERP[k] for k in range(t - WINDOW + 1, t + 1)) * 365 / WINDOW
            price = roll_to[t] if t == ROLL_BAR else SPOT[t] * (1 + basis_apr[t] * DAYS[t] / 365)
            dated_apr = (price / SPOT[t] - 1) * 365 / DAYS[t]
            if cur == "perp" and dated_apr > perp_apr + margin:
                cur = "dated"
            elif cur == "dated" and perp_apr > dated_apr + margin:
                cur = "perp"
        held.append(cur)
    return held


def simulate(held: list[str]) -> dict:
    """A 1-coin short opened at bar 0 and never resized (band 10, leverage 1): equity, funding,
    fees per bar, by hand."""
    price = {"perp": PERP, "dated": DATED}
    cost = {"perp": PERP_COST, "dated": DATED_COST}
    n = 1.0  # 1 coin x spot / hedge price at bar 0, which equals spot for both instruments
    entry = price[held[0]][0]
    fees, funding, hedge = [n * entry * cost[held[0]]], [0.0], 0.0
    equity = [SPOT[0] - fees[0]]
    switch_fees, roll_fees, switches = 0.0, 0.0, []
    for t in range(1, T):
        was, now = held[t - 1], held[t]
        close = price[was][t]
        hedge += -n * (close - entry)
        got = n * RATE[t] * PERP[t] if was == "perp" else 0.0
        fee = 0.0
        if now != was:
            new = PERP[t] if now == "perp" else (ROLL_TO[t] if t == ROLL_BAR else DATED[t])
            fee = n * close * cost[was] + n * new * cost[now]
            switch_fees += fee
            switches.append(t)
            entry = new
        elif now == "dated" and t == ROLL_BAR:
            fee = n * (close + ROLL_TO[t]) * DATED_COST
            roll_fees += fee
            entry = ROLL_TO[t]
        else:
            entry = close
        funding.append(funding[-1] + got)
        fees.append(fees[-1] + fee)
        equity.append(SPOT[t] + hedge + funding[-1] - fees[-1])
    return {"equity": np.array(equity), "funding": np.array(funding), "fees": np.array(fees),
            "switches": switches, "switch_fees": switch_fees, "roll_fees": roll_fees}


POLICY = {"ratio": 1.0, "band": 10.0, "leverage": 1.0}


def test_switch_bars_prices_funding_and_fees_match_a_hand_loop():
    held = expected_held()
    # the data were written for this path: on the dated future from bar 3 (15% > 7.3% + 1%),
    # back on the perpetual at bar 10 (5% + 1% < 7.3%; 7% at bar 9 is inside the margin), then
    # on the dated future again at bar 11 (20%)
    assert held == ["perp"] * 3 + ["dated"] * 7 + ["perp"] + ["dated"] * 3
    spec, market = synthetic()
    res = run_backtest([spec], market, [Policy(name=w, hedge_with=w, **POLICY)
                                        for w in ("carry", "perp", "dated")], reserve=1e6)
    for name, path in (("carry", held), ("perp", ["perp"] * T), ("dated", ["dated"] * T)):
        want = simulate(path)
        frame = res.to_frame(name)
        s = res[name]
        np.testing.assert_allclose(frame["equity_usd"] - 1e6, want["equity"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(frame["funding_usd"], want["funding"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(frame["fees_usd"], want["fees"], rtol=1e-9, atol=1e-12)
        assert s.switches == len(want["switches"])
        assert s.switch_cost_usd == pytest.approx(want["switch_fees"], rel=1e-9, abs=1e-12)
        assert s.roll_cost_usd == pytest.approx(want["roll_fees"], rel=1e-9, abs=1e-12)
        assert s.rolls == (1 if path[ROLL_BAR] == path[ROLL_BAR - 1] == "dated" else 0)
        assert s.liquidations == 0 and (frame["contracts_BTC"] == 1.0).all()
    assert simulate(held)["switches"] == [3, 10, 11]
    flags = res["carry"].flags[:, 0]
    assert [t for t in range(T) if flags[t] & 4] == [3, ROLL_BAR, 10, 11]  # switches + the roll
    # funding only while on the perpetual: bars 1-3 and 11 start on it
    assert res["carry"].funding_usd == pytest.approx(sum(RATE[t] * PERP[t] for t in (1, 2, 3, 11)),
                                                     rel=1e-12)


def test_no_switch_while_the_carry_gap_stays_inside_the_margin():
    # dated basis swings 4.8% .. 9.8% around the perpetual's 7.3%: never more than 2.5% apart
    swing = 0.073 + 0.025 * np.where(np.arange(T) % 2 == 0, 1.0, -1.0)
    spec, market = synthetic(basis_apr=swing, margin=0.03)
    assert expected_held(swing, 0.03) == ["perp"] * T
    res = run_backtest([spec], market, [Policy(name="c", **POLICY)], reserve=1e6)
    assert res["c"].switches == 0 and res["c"].rolls == 0
    # a margin narrower than the swing: on the dated future at bar 2 (9.8% > 7.3% + 2%), back
    # at bar 3 (7.3% > 4.8% + 2%), and so on every bar
    want = expected_held(swing, 0.02)
    assert [t for t in range(1, T) if want[t] != want[t - 1]] == list(range(2, T))
    spec, narrow = synthetic(basis_apr=swing, margin=0.02)
    held = held_for(narrow.carry["BTC"], "carry", narrow.spot[:, 0], narrow.bars_per_year)
    assert [("perp", "dated")[h] for h in held] == want
    assert run_backtest([spec], narrow, [Policy(name="c", **POLICY)], reserve=1e6)["c"].switches == T - 2
    # a policy may carry its own margin (and window) in place of the asset's: one run compares them
    res = run_backtest([spec], market, [Policy(name="asset 3%", **POLICY),
                                        Policy(name="own 2%", switch_margin=0.02, **POLICY),
                                        Policy(name="perp", hedge_with="perp", switch_margin=0.02, **POLICY)],
                       reserve=1e6)
    assert [res[n].switches for n in ("asset 3%", "own 2%", "perp")] == [0, T - 2, 0]
    # a window longer than the data leaves no funding APR: the perpetual throughout
    res = run_backtest([spec], narrow, [Policy(name="w", switch_window=T + 1, **POLICY)], reserve=1e6)
    assert res["w"].switches == 0 and res["w"].funding_usd > 0


def test_equal_fees_match_the_kernel_charging_them_itself():
    """With one fee for both hedges the kernel can charge it on the composite market itself (a
    switch is a roll to it): the fees charged after the run must give the same book, trades
    between the switches included (fine lot, 0.1% band)."""
    spec, market = synthetic(lot=0.001)
    leg = market.carry["BTC"]
    same = {"BTC": CarryLeg(**{**leg.__dict__, "dated_cost": PERP_COST})}
    carry_market = with_carry(market.__class__(**{**market.__dict__, "carry": None}), same)
    policy = [Policy(name="p", ratio=1.0, band=0.001)]
    a = run_backtest([spec], carry_market, policy, reserve=1e6)["p"]
    plain = market.__class__(**{**carry_market.__dict__, "carry": None})
    b = run_backtest([composite_spec(0.001, fee=PERP_COST)], plain, policy, reserve=1e6)["p"]
    np.testing.assert_allclose(a.series["equity"], b.series["equity"], rtol=1e-12)
    np.testing.assert_allclose(a.series["fees"], b.series["fees"], rtol=1e-12)
    assert a.rolls + a.switches == b.rolls and a.switches == 3
    assert a.roll_cost_usd + a.switch_cost_usd == pytest.approx(b.roll_cost_usd, rel=1e-12)
    assert a.rebalances == b.rebalances > 3


def test_exchange_calendar_funding_over_a_weekend_goes_to_the_next_trading_day():
    """Bars Fri, Mon, Tue (open times; each closes one day later): a settlement belongs to the
    first bar whose close comes after it, so Sat/Sun/Mon settlements are Monday's."""
    days = pd.DatetimeIndex(["2024-01-05", "2024-01-08", "2024-01-09"], tz="UTC")
    stamps = pd.date_range("2024-01-05", "2024-01-09 16:00", freq="8h", tz="UTC")
    rates = pd.Series(np.arange(1, len(stamps) + 1) * 1e-5, index=stamps)
    marks = pd.Series(100.0 + np.arange(len(stamps)), index=stamps)
    inst = Instrument(symbol="BTCUSDT", contract_type=ContractType.LINEAR, contract_size=1.0,
                      base="BTC", quote="USDT", lot_size=0.001)
    frame = pd.DataFrame({"open": 100.0, "high": 101.0, "close": 100.0}, index=days)
    m = align_market([AssetSpec(name="BTC", coins=1.0, instrument=inst)],
                     spot={"BTC": pd.Series(100.0, index=days)}, hedge={"BTC": frame},
                     funding={"BTC": rates}, funding_ref={"BTC": marks}, exchange_calendar=True)
    want = [0.0, 0.0, 0.0]
    for ts, rate in rates.items():
        bar = 0 if ts < days[0] + pd.Timedelta(days=1) else (1 if ts < days[1] + pd.Timedelta(days=1) else 2)
        want[bar] += rate * marks[ts]
    assert sum(1 for ts in stamps if days[0] + pd.Timedelta(days=1) <= ts < days[1] + pd.Timedelta(days=1)) == 9
    np.testing.assert_allclose(m.fund_lin[:, 0], want, rtol=1e-15)


def test_policy_hedge_with_is_checked_and_sweep_refuses_carry():
    with pytest.raises(InputError, match=r"policies\.x\.hedge_with: must be one of carry, perp, dated"):
        Policy(name="x", hedge_with="both")
    with pytest.raises(InputError, match=r"policies\.x\.switch_window: must be an integer >= 2"):
        Policy(name="x", switch_window=1)
    with pytest.raises(InputError, match=r"policies\.x\.switch_margin: must be <= 1"):
        Policy(name="x", switch_margin=2.0)
    spec, market = synthetic()
    with pytest.raises(InputError, match=r"sweep does not run hedges that switch"):
        sweep([spec], market, [Policy(name="p")])


# --------------------------------------------------------------------------- real data
START, END = "2021-05-03", "2024-12-31"  # MBT's first stored bar is 2021-05-02 (a Sunday)


@pytest.fixture(scope="module")
def carry_store(data_dir, tmp_path_factory):
    from hedgekit.data import Store, import_path

    path = tmp_path_factory.mktemp("carry")
    st = Store(path)
    for f in ("futures/cme_databento_MBT_micro_btc_futures_ohlcv-1d_2021-04_2026-02.csv.gz",
              "prices/binance_spot_daily_8coins_2020-01_2026-02/BTC_1D.json.gz",
              "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz",
              "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz"):
        import_path(data_dir / f, store=st)
    return path


def config(**hedge) -> dict:
    policy = {"ratio": 1.0, "band": 0.1, "leverage": 1.0, "topup": 0.3}
    return {
        "name": "carry", "start": START, "end": END, "reserve_usd": 200_000.0,
        "assets": [{"asset": "BTC", "coins": 1.0, "spot_venue": "binance",
                    "hedge": {"venue": "binance-usdm", "symbol": "BTCUSDT",
                              # MBT = 0.1 BTC per contract: https://www.cmegroup.com/markets/cryptocurrencies/bitcoin/micro-bitcoin.contractSpecs.html
                              "dated": {"root": "MBT", "roll_days": 5, "contract_size": 0.1,
                                        "fee": 0.0005, "mmr": 0.2},
                              "switch": {"window": 30, "margin": 0.05}, **hedge}}],
        "policies": [{"name": w, "hedge_with": w, **policy} for w in ("perp", "dated", "carry")],
    }


def test_real_btc_perp_vs_cme_mbt_three_policies_differ(carry_store):
    from hedgekit.backtest import run_config
    from hedgekit.backtest.config import parse_config

    res = run_config(parse_config(config()), data_dir=carry_store)
    perp, dated, carry = res["perp"], res["dated"], res["carry"]
    print(f"\nswitches {carry.switches}, funding perp {perp.funding_usd:,.0f} carry "
          f"{carry.funding_usd:,.0f}, final perp {perp.final_equity_usd:,.0f} dated "
          f"{dated.final_equity_usd:,.0f} carry {carry.final_equity_usd:,.0f}")
    assert carry.switches > 0 and perp.switches == dated.switches == 0
    assert len({perp.final_equity_usd, dated.final_equity_usd, carry.final_equity_usd}) == 3
    assert dated.funding_usd == 0.0 < carry.funding_usd < perp.funding_usd
    assert perp.rolls == 0 < carry.rolls < dated.rolls
    # CME trading days only: fewer bars than calendar days
    assert res.index[0] == pd.Timestamp(START, tz="UTC") and len(res.index) < 0.9 * 1339
    assert carry.switch_cost_usd > 0 and carry.fees_usd > carry.roll_cost_usd + carry.switch_cost_usd


def test_real_carry_composite_matches_the_reference_simulator(carry_store):
    """The switch-on-carry bars the kernel sees (a switch is a roll to the other instrument)
    replayed by the slow plain-Python twin (_reference.py): same equity, funding, contracts."""
    from dataclasses import replace

    from hedgekit.backtest.config import load_market, parse_config
    from tests.test_backtest_parity import assert_parity

    assets, market = load_market(parse_config(config()), data_dir=carry_store)
    assert np.isfinite(market.roll_to).sum() > 50  # switches and rolls
    free = [replace(a, fee=0.0, slippage=0.0) for a in assets]  # fees are charged after the kernel
    out, _ = assert_parity(free, market, Policy(name="p", ratio=1.0, band=0.05, leverage=1.0, topup=0.3),
                           reserve=200_000.0)
    assert (out["flags"][:, 0] & 4).sum() > 50


def test_real_always_dated_equals_a_dated_only_hedge(carry_store):
    """hedge_with: dated on the composite is the dated-only hedge of the same contract (same
    fee, same maintenance at this size), the kernel charging the fees itself there."""
    from hedgekit.backtest import run_config
    from hedgekit.backtest.config import parse_config

    both = run_config(parse_config(config()), data_dir=carry_store)["dated"]
    only = config()
    only["assets"][0]["hedge"] = {"venue": "cme", "fee": 0.0005, "mmr": 0.2,
                                  "dated": {"root": "MBT", "roll_days": 5, "contract_size": 0.1}}
    only["policies"] = [{"name": "dated", "ratio": 1.0, "band": 0.1, "leverage": 1.0, "topup": 0.3}]
    alone = run_config(parse_config(only), data_dir=carry_store)["dated"]
    np.testing.assert_allclose(both.series["equity"], alone.series["equity"], rtol=1e-9)
    assert both.rolls == alone.rolls > 30 and both.fees_usd == pytest.approx(alone.fees_usd, rel=1e-9)


def test_real_always_perp_funding_weekends_belong_to_the_next_trading_day(carry_store, data_dir):
    """A 1-coin short of the perpetual on CME trading days, opened at the first close and never
    resized, without fees: its funding summed here from the raw Binance file, each settlement
    paid by the position held at that time (a bar's close is its day's 00:00 UTC close, so
    a Saturday's settlements are paid on the next trading day's bar)."""
    import bisect

    from hedgekit.backtest import run_config
    from hedgekit.backtest.config import parse_config

    doc = config(fee=0.0)
    doc["policies"] = [{"name": "perp", "hedge_with": "perp", "ratio": 1.0, "band": 10.0,
                        "leverage": 1.0, "topup": 0.5}]
    doc["reserve_usd"] = 1e6
    res = run_config(parse_config(doc), data_dir=carry_store)
    s = res["perp"]
    held = s.contracts[:, 0]
    assert (held == 1.0).all() and s.liquidations == 0 and s.fees_usd == 0.0
    perp = pd.read_csv(data_dir / "futures/binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz")
    perp.index = pd.to_datetime(perp["open_time"], utc=True)
    raw = pd.read_csv(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz")
    when = pd.to_datetime(raw["funding_time"], utc=True, format="ISO8601").dt.floor("h")
    closes = [d + pd.Timedelta(days=1) for d in res.index]  # each bar closes at 00:00 UTC next day
    funding, weekend = 0.0, 0
    for ts, rate, mark in zip(when, raw["funding_rate"], raw["mark_price"], strict=True):
        t = bisect.bisect_right(closes, ts)  # the first bar closing after the settlement
        if t == 0 or t == len(closes):
            continue  # before the first close (no position yet) or after the last bar
        day = res.index[t]
        ref = mark if mark > 0 else (perp.loc[day, "open"] if ts == day else perp.loc[day, "close"])
        funding += 1.0 * rate * ref
        weekend += ts.day_of_week == 5
    assert weekend > 100  # Saturdays' settlements were counted, on the following bars
    assert s.funding_usd == pytest.approx(funding, rel=1e-12)
    # the perpetual's high over a bar: the highest daily high since the previous trading day
    from hedgekit.backtest.config import load_market

    _, market = load_market(parse_config(doc), data_dir=carry_store)
    leg = market.carry["BTC"]
    for t in range(1, len(market.index)):
        span = perp[(perp.index > market.index[t - 1]) & (perp.index <= market.index[t])]
        assert leg.perp_high[t] == span["high"].max()


def test_composite_contract_lot_and_maintenance(carry_store):
    """1 coin per contract, the coarser coin step (MBT 0.1 BTC vs BTCUSDT 0.001 BTC) as the lot,
    and maintenance never below either venue's at any notional."""
    from hedgekit.backtest.config import build_assets, parse_config
    from hedgekit.venues import get_venue

    (spec,) = build_assets(parse_config(config()))
    assert spec.instrument.contract_size == 1.0 and spec.instrument.lot_size == pytest.approx(0.1)
    assert spec.instrument.is_linear
    venue = get_venue("binance-usdm")
    perp_tiers = venue.maintenance(venue.instrument("BTCUSDT"))["tiers"]

    def mm(tiers, notional):
        for t in tiers:
            if notional < t.cap:
                return notional * t.mmr - t.cum
        return notional * tiers[-1].mmr - tiers[-1].cum

    for notional in np.geomspace(10, 1e9, 400):
        assert mm(spec.tiers, notional) >= max(mm(perp_tiers, notional), 0.2 * notional) * (1 - 1e-12)
    assert [t.mmr for t in spec.tiers] == [max(t.mmr, 0.2) for t in perp_tiers]


def test_cli_backtest_runs_the_carry_example(run_cli, carry_store, tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "backtest_carry.yaml"
    code, out, err = run_cli("backtest", str(example), "--json", "--data-dir", str(carry_store))
    assert code == 0, err
    by = {s["name"]: s for s in json.loads(out)["strategies"]}
    assert list(by) == ["always perp", "always dated", "switch on carry"]
    assert by["switch on carry"]["switches"] > 0 and by["always perp"]["switches"] == 0
    html = tmp_path / "carry.html"
    code, out, err = run_cli("backtest", str(example), "--data-dir", str(carry_store), "--html",
                             str(html))
    assert code == 0 and "perp/dated switches" in out and "perp/dated switches" in html.read_text()


# --------------------------------------------------------------------------- bad input
def _set(doc: dict, dotted: str, value) -> dict:
    node = doc
    *head, last = dotted.split(".")
    for key in head:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DROP:
        node.pop(last)
    else:
        node[last] = value
    return doc


_DROP = object()
H = "assets.0.hedge"
BAD = [
    (f"{H}.switch.window", 1, r"assets\[0\]\.hedge\.switch\.window: must be >= 2"),
    (f"{H}.switch.window", "x", r"assets\[0\]\.hedge\.switch\.window"),
    (f"{H}.switch.margin", -0.01, r"assets\[0\]\.hedge\.switch\.margin: must be >= 0"),
    (f"{H}.switch.margin", 2, r"assets\[0\]\.hedge\.switch\.margin: must be <= 1"),
    (f"{H}.switch.extra", 1, r"assets\[0\]\.hedge\.switch\.extra"),
    (f"{H}.dated.fee", 0.5, r"assets\[0\]\.hedge\.dated\.fee: must be < 0.05"),
    (f"{H}.dated.fee", _DROP, r"assets\[0\]\.hedge\.dated\.fee: a hedge with a perpetual and a "
                              r"dated future needs"),
    (f"{H}.dated.mmr", 1.5, r"assets\[0\]\.hedge\.dated\.mmr: must be < 1"),
    (f"{H}.dated.mmr", _DROP, r"assets\[0\]\.hedge\.dated\.mmr: a hedge with"),
    (f"{H}.dated.contract_size", 0.0015, r"assets\[0\]\.hedge\.dated\.lot_size: the coin steps of "
                                         r"the perpetual \(0.001\) and of the dated future "
                                         r"\(contract_size x lot_size = 0.0015\) must divide one "
                                         r"another$"),
    (f"{H}.maint_amount", 10.0, r"assets\[0\]\.hedge\.maint_amount: not used with a perpetual"),
    (f"{H}.symbol", "ETHUSDT", r"assets\[0\]\.hedge\.symbol: beside a dated future the perpetual "
                               r"must be a linear contract on BTC"),
    ("policies.2.switch_window", 1, r"policies\[2\]\.switch_window: must be >= 2"),
    ("policies.2.switch_margin", -0.5, r"policies\[2\]\.switch_margin: must be >= 0"),
    ("policies.2.switch_margin", 1.5, r"policies\[2\]\.switch_margin: must be <= 1"),
    ("policies.2.hedge_with", "both", r"policies\[2\]\.hedge_with: must be one of carry, perp or dated"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD, ids=[f"{f}={v!r}" for f, v, _ in BAD])
def test_bad_carry_fields_exit_2_with_one_line(run_cli, tmp_path, field, value, message):
    import re

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_set(config(), field, value)), encoding="utf-8")
    code, out, err = run_cli("backtest", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(message, err), err


ONLY = [  # carry-only fields on a hedge with one instrument
    ({"venue": "binance-usdm", "symbol": "BTCUSDT", "switch": {"window": 30}},
     r"assets\[0\]\.hedge\.switch: needs both a perpetual \(symbol\) and a dated future"),
    ({"venue": "cme", "fee": 0.0005, "mmr": 0.2,
      "dated": {"root": "MBT", "contract_size": 0.1, "venue": "cme"}},
     r"assets\[0\]\.hedge\.dated\.venue: only with a perpetual \(symbol\) beside it"),
    ({"venue": "cme", "fee": 0.0005, "mmr": 0.2,
      "dated": {"root": "MBT", "contract_size": 0.1, "fee": 0.001}},
     r"assets\[0\]\.hedge\.dated\.fee: only with a perpetual"),
    ({"venue": "cme", "fee": 0.0005, "mmr": 0.2,
      "dated": {"root": "MBT", "contract_size": 0.1, "mmr": 0.1}},
     r"assets\[0\]\.hedge\.dated\.mmr: only with a perpetual"),
]


@pytest.mark.parametrize(("hedge", "message"), ONLY)
def test_carry_fields_need_both_hedges(run_cli, tmp_path, hedge, message):
    import re

    doc = config()
    doc["assets"][0]["hedge"] = hedge
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, out, err = run_cli("backtest", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
