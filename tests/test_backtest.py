"""Backtest behaviour: buy-and-hold, perfect hedges, funding totals, liquidation, inverse coin
accounting, trailing-only estimation, liquidation math vs hedgekit.margin."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.backtest import kernels
from hedgekit.backtest.engine import AssetSpec, Policy, align_market, run_backtest, sweep
from hedgekit.errors import DataError, InputError
from hedgekit.instruments import Instrument
from hedgekit.margin import liquidation_price
from tests.test_backtest_parity import binance_inputs, inverse, linear


def bars(values, start="2024-01-01"):
    return pd.DatetimeIndex(pd.date_range(start, periods=len(values), freq="D", tz="UTC"))


def ohlc(close, high=None):
    close = np.asarray(close, dtype=float)
    high = close if high is None else np.asarray(high, dtype=float)
    return pd.DataFrame({"open": close, "high": high, "close": close}, index=bars(close))


@pytest.fixture(scope="module")
def real(data_dir):
    return binance_inputs(data_dir)


def test_no_hedge_equals_buy_and_hold(real):
    spot, hedge, funding = real
    assets = [AssetSpec(name="BTC", coins=1.25, instrument=linear("BTC")),
              AssetSpec(name="ETH", coins=14.0, instrument=linear("ETH"))]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    res = run_backtest(assets, market, [Policy(name="none", method="none")], cash=5_000.0)
    hold = 5_000.0 + 1.25 * spot["BTC"]["close"].to_numpy() + 14.0 * spot["ETH"]["close"].to_numpy()
    np.testing.assert_allclose(res.to_frame("none")["equity_usd"].to_numpy(), hold, rtol=1e-12)
    s = res["none"]
    assert s.fees_usd == s.funding_usd == s.rebalances == s.liquidations == 0
    assert s.total_return == pytest.approx(hold[-1] / hold[0] - 1.0, rel=1e-12)


def test_one_to_one_linear_hedge_without_costs_has_no_pnl(real):
    # spot = future (the real BTC spot close), zero fees and funding: equity is flat on any path
    close = real[0]["BTC"]["close"]
    assets = [AssetSpec(name="BTC", coins=2.0, instrument=linear("BTC", 1e-6), fee=0.0)]
    frame = pd.DataFrame({"close": close, "high": real[0]["BTC"]["high"]})
    market = align_market(assets, spot={"BTC": close}, hedge={"BTC": frame})
    # BTC rose 3.4x: a 1x short left alone is liquidated near 2x entry, so margin is topped up
    policy = Policy(name="1:1", ratio=1.0, leverage=1.0, topup=0.5)
    res = run_backtest(assets, market, [policy], cash=0.0, reserve=500_000.0)
    eq = res.to_frame("1:1")["equity_usd"].to_numpy()
    assert res["1:1"].liquidations == 0 and res["1:1"].topups > 0
    assert np.std(np.diff(eq)) < 1e-8 * eq[0]
    assert res["1:1"].hedge_effectiveness == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-0.2, 0.2), min_size=5, max_size=40), st.floats(0.5, 5.0))
def test_linear_hedge_property_any_path(moves, coins):
    """STYLE.md 10: a 1:1 linear hedge has zero PnL on any path (1x margin, never liquidated)."""
    close = 100.0 * np.cumprod(1.0 + np.asarray([0.0, *moves]))
    assets = [AssetSpec(name="X", coins=coins, instrument=linear("X", 1e-9), fee=0.0)]
    market = align_market(assets, spot={"X": pd.Series(close, index=bars(close))}, hedge={"X": ohlc(close)})
    reserve = 1e3 * coins * close.max()  # margin top-ups keep the short alive on any path
    res = run_backtest(assets, market, [Policy(name="h", ratio=1.0, leverage=1.0, topup=0.5)],
                       reserve=reserve)
    eq = res.to_frame("h")["equity_usd"].to_numpy()
    assert res["h"].liquidations == 0
    np.testing.assert_allclose(eq, coins * close[0] + reserve, rtol=1e-12)


def test_funding_total_equals_independent_sum(real, data_dir):
    spot, hedge, funding = real
    lot = 0.001
    assets = [AssetSpec(name="BTC", coins=1.0, instrument=linear("BTC", lot), fee=0.0)]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    # open 1 BTC short at the first close and never trade again (band 1000%)
    res = run_backtest(assets, market, [Policy(name="h", ratio=1.0, band=10.0, leverage=1.0, topup=0.5)],
                       reserve=1e6)
    held = res["h"].contracts[:, 0]
    assert (held == held[0]).all() and held[0] > 0
    # independent: every settlement after the first bar's close (i.e. from 2021-01-02 00:00 on);
    # reference price = perp open for the 00:00 settlement, else the day's perp close
    raw = pd.read_csv(data_dir / "funding/binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz")
    when = pd.to_datetime(raw["funding_time"], utc=True, format="ISO8601").dt.floor("h")
    perp = hedge["BTC"]
    total = 0.0
    for ts, rate in zip(when, raw["funding_rate"], strict=True):
        if ts < pd.Timestamp("2021-01-02", tz="UTC"):
            continue
        day = perp.loc[ts.floor("D")]
        ref = day["open"] if ts.hour == 0 else day["close"]
        total += held[0] * ref * rate  # short receives rate x notional
    assert res["h"].funding_usd == pytest.approx(total, rel=1e-12)
    assert res["h"].funding_usd > 0  # 2021-2024 funding was mostly positive: shorts were paid


def test_spike_liquidates_leveraged_short_once_at_the_right_bar():
    close = np.full(20, 100.0)
    high = close.copy()
    high[12] = 125.0  # intrabar spike, closes back at 100
    inst = linear("X", 0.01)
    assets = [AssetSpec(name="X", coins=10.0, instrument=inst, fee=0.0, mmr=0.005)]
    market = align_market(assets, spot={"X": pd.Series(close, index=bars(close))}, hedge={"X": ohlc(close, high)})
    res = run_backtest(assets, market, [Policy(name="5x", ratio=1.0, leverage=5.0, band=0.5)], cash=1_000.0)
    s = res["5x"]
    ev = res.events()
    liq = ev[ev.event == "liquidation"]
    assert s.liquidations == 1 and list(liq.time) == [market.index[12]]
    # 10 contracts at 100, 5x: margin 200; LP = (W + Q*EP)/(Q*(1 + MMR)) = 1200/10.05 = 119.40
    lp = liquidation_price(inst, "short", 10.0, 100.0, 200.0, mmr=0.005).liquidation_price
    assert lp == pytest.approx(1200.0 / 10.05)
    assert s.margin_lost_usd == pytest.approx(200.0, rel=1e-12)
    eq = res.to_frame("5x")["equity_usd"].to_numpy()
    assert eq[11] - eq[12] == pytest.approx(200.0, rel=1e-12)  # the whole isolated margin is lost
    # a spike that stops just below the liquidation price does nothing
    high[12] = lp * (1 - 1e-9)
    market = align_market(assets, spot={"X": pd.Series(close, index=bars(close))}, hedge={"X": ohlc(close, high)})
    assert run_backtest(assets, market, [Policy(name="5x", ratio=1.0, leverage=5.0, band=0.5)])["5x"].liquidations == 0


def test_inverse_short_collateralised_by_the_coin_holds_usd_value(real):
    """MECHANICS.md 3: a 1x inverse short on the hedged coins keeps q*P0 USD at every price and is
    never liquidated; in coin the book is q*P0/P."""
    close = real[0]["BTC"]["close"]
    frame = pd.DataFrame({"close": close, "high": real[0]["BTC"]["high"] * 3})  # absurd highs: no liquidation
    inst = Instrument(symbol="BTCUSD", contract_type="inverse", contract_size=1.0, base="BTC",
                      lot_size=1e-6)
    assets = [AssetSpec(name="BTC", coins=3.0, instrument=inst, fee=0.0)]
    market = align_market(assets, spot={"BTC": close}, hedge={"BTC": frame})
    res = run_backtest(assets, market, [Policy(name="inv", ratio=1.0, leverage=1.0)])
    f = res.to_frame("inv")
    p0 = close.iloc[0]
    np.testing.assert_allclose(f["equity_usd"], 3.0 * p0, rtol=1e-8)
    np.testing.assert_allclose(f["equity_BTC"], 3.0 * p0 / close.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(f["unhedged_BTC"], 3.0, rtol=1e-12)  # the coins, untouched
    doc = res.to_dict()
    assert doc["initial_coin"] == {"BTC": pytest.approx(3.0, rel=1e-12)}
    assert doc["strategies"][0]["final_equity_coin"] == {
        "BTC": pytest.approx(3.0 * p0 / close.iloc[-1], rel=1e-8)}
    assert res["inv"].liquidations == 0
    assert res["inv"].rebalances == 1


def test_estimation_uses_trailing_data_only(real):
    spot, hedge, funding = real
    assets = [AssetSpec(name="BTC", coins=1.0, instrument=linear("BTC"))]
    cut = 700
    bumped_spot = spot["BTC"].copy()
    bumped_hedge = hedge["BTC"].copy()
    rng = np.random.default_rng(7)
    noise = 1.0 + 0.3 * rng.standard_normal(len(bumped_spot) - cut - 1).clip(-2, 2)
    for frame in (bumped_spot, bumped_hedge):
        frame.iloc[cut + 1:, :] = frame.iloc[cut + 1:, :].mul(noise, axis=0).to_numpy()
    policies = [Policy(name="mv", method="minvar", window=60, reestimate=20, band=0.05),
                Policy(name="trend", method="trend", signal_n=30, band=0.05),
                Policy(name="vol", method="vol", signal_n=20, threshold=0.5)]
    a = run_backtest(assets, align_market(assets, spot=spot, hedge=hedge, funding=funding), policies)
    b = run_backtest(assets, align_market(assets, spot={"BTC": bumped_spot}, hedge={"BTC": bumped_hedge},
                                          funding=funding), policies)
    for p in policies:
        fa, fb = a.to_frame(p.name), b.to_frame(p.name)
        pd.testing.assert_frame_equal(fa.iloc[:cut + 1], fb.iloc[:cut + 1])
        assert not fa.iloc[cut + 1:].equals(fb.iloc[cut + 1:])


def test_kernel_minvar_equals_estimators_minvariance_ratio(real):
    from hedgekit.estimators import EWMARatio, MinVarianceRatio

    spot, hedge, funding = real
    assets = [AssetSpec(name="BTC", coins=1.0, instrument=linear("BTC"))]
    m = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    for t in (60, 400, 1200):
        h = kernels._minvar(m.ret_s, m.ret_f, t, 0, 60)
        est = MinVarianceRatio().fit(m.ret_s[t - 59:t + 1, 0], m.ret_f[t - 59:t + 1, 0])
        assert h == pytest.approx(est.hedge_ratio_, rel=1e-12)
        h = kernels._ewma(m.ret_s, m.ret_f, t, 0, 60, 15.0)
        est = EWMARatio(halflife=15.0).fit(m.ret_s[t - 59:t + 1, 0], m.ret_f[t - 59:t + 1, 0])
        assert h == pytest.approx(est.hedge_ratio_, rel=1e-10)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["linear", "inverse"]), side=st.sampled_from([-1.0, 1.0]),
       contracts=st.floats(1, 1e4), entry=st.floats(100, 1e5), lev=st.floats(1.0, 100.0),
       mmr=st.floats(0.0, 0.1), maint=st.floats(0.0, 10.0))
def test_kernel_liquidation_price_agrees_with_margin_module(kind, side, contracts, entry, lev, mmr, maint):
    inst = linear("X") if kind == "linear" else inverse("X")
    wallet = inst.notional_settle(contracts, entry) / lev
    if kind == "inverse":
        maint = maint * 1e-4  # the amount is in coin
    got = kernels.liquidation_price(int(inst.is_inverse), side, contracts, inst.contract_size, entry,
                                    wallet, mmr, maint)
    want = liquidation_price(inst, "short" if side < 0 else "long", contracts, entry, wallet,
                             mmr=mmr, maint_amount=maint).liquidation_price
    if want is None:
        assert (math.isinf(got) and side < 0) or (got == 0.0 and side > 0)
    else:
        assert got == pytest.approx(want, rel=1e-9)


def test_gappy_data_raises_data_error(real):
    spot, hedge, funding = real
    assets = [AssetSpec(name="BTC", coins=1.0, instrument=linear("BTC"))]
    holed = spot["BTC"].drop(spot["BTC"].index[100])
    with pytest.raises(DataError, match="2021-04-10"):
        align_market(assets, spot={"BTC": holed}, hedge=hedge, funding=funding)
    sparse = funding["BTC"].drop(funding["BTC"].index[300:310])
    with pytest.raises(DataError, match="funding BTC"):
        align_market(assets, spot=spot, hedge=hedge, funding={"BTC": sparse})


def test_bad_policy_names_the_field():
    with pytest.raises(InputError, match="policies.p.band: must be >= 0"):
        Policy(name="p", band=-0.1)
    with pytest.raises(InputError, match="policies.p.method"):
        Policy(name="p", method="magic")


# a policy's bounds, each with a value just outside and the bound itself (allowed)
BOUNDS = [("ratio", 5.5, 5.0), ("ratio_off", 6.0, 5.0), ("leverage", 126.0, 125.0),
          ("leverage", 0.0, 0.01), ("band", -0.1, 0.0), ("calendar", -1, 0), ("window", 1, 2),
          ("reestimate", 0, 1), ("signal_n", 1, 2)]


@pytest.mark.parametrize(("name", "bad", "edge"), BOUNDS)
def test_policy_and_its_config_model_have_the_same_bounds(name, bad, edge):
    from hedgekit.backtest.config import parse_config

    def config(value) -> dict:
        return {"assets": [{"asset": "BTC", "coins": 1.0,
                            "hedge": {"venue": "binance-usdm", "symbol": "BTCUSDT"}}],
                "policies": [{"name": "p", name: value}]}

    with pytest.raises(InputError) as direct:
        Policy(name="p", **{name: bad})
    with pytest.raises(InputError) as from_yaml:
        parse_config(config(bad))
    assert direct.value.field == f"policies.p.{name}" and direct.value.value == bad
    assert from_yaml.value.field == f"policies[0].{name}" and from_yaml.value.value == bad
    assert getattr(Policy(name="p", **{name: edge}), name) == edge
    assert getattr(parse_config(config(edge)).policies[0], name) == edge


def test_components_add_up_and_sweep_matches_single_runs(real):
    spot, hedge, funding = real
    assets = [AssetSpec(name="BTC", coins=1.0, instrument=linear("BTC"), staking_apr=0.02, slippage=0.001),
              AssetSpec(name="ETH", coins=12.0, instrument=linear("ETH"), fee=0.0004)]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    policies = [Policy(name="mv", method="minvar", window=60, band=0.1, leverage=3.0, topup=0.2),
                Policy(name="half", ratio=0.5, calendar=30, leverage=1.0),
                Policy(name="rsi", method="rsi", signal_n=14, threshold=65.0, band=0.05)]
    res = run_backtest(assets, market, policies, cash=10_000.0, reserve=30_000.0)
    for p in policies:
        f = res.to_frame(p.name)
        rebuilt = res.initial_usd + f.spot_pnl_usd + f.hedge_pnl_usd + f.funding_usd - f.fees_usd
        np.testing.assert_allclose(f.equity_usd.iloc[1:], rebuilt.iloc[1:], rtol=1e-9)
    table = sweep(assets, market, policies, cash=10_000.0, reserve=30_000.0)
    for p in policies:
        single = res[p.name].to_dict()
        for key in ("final_equity_usd", "total_return", "volatility", "max_drawdown", "cvar_95",
                    "hedge_effectiveness", "funding_usd", "fees_usd", "rebalances", "liquidations"):
            assert table.loc[p.name, key] == pytest.approx(single[key], rel=1e-12, abs=1e-12), key


@settings(max_examples=200, deadline=None)
@given(side=st.sampled_from([-1.0, 1.0]), contracts=st.floats(0.01, 500.0),
       entry=st.floats(1_000, 150_000), lev=st.floats(1.0, 50.0))
def test_tiered_liquidation_price_agrees_with_margin_module(side, contracts, entry, lev):
    from hedgekit.backtest.engine import tier_array
    from hedgekit.venues import get_venue

    venue = get_venue("binance-usdm")
    inst, tiers = venue.instrument("BTCUSDT"), venue.tiers("BTCUSDT")
    spec = AssetSpec(name="BTC", coins=1.0, instrument=inst, tiers=tiers)
    arr = tier_array([spec])[0]
    wallet = inst.notional_settle(contracts, entry) / lev
    got = kernels.liquidation_price_tiered(0, side, contracts, 1.0, entry, wallet, arr, len(tiers))
    want = liquidation_price(inst, "short" if side < 0 else "long", contracts, entry, wallet,
                             tiers=tiers).liquidation_price
    if want is None:
        assert (math.isinf(got) and side < 0) or (got == 0.0 and side > 0)
    else:
        assert got == pytest.approx(want, rel=1e-9)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from([0, 1]), contracts=st.floats(0.01, 5_000.0), entry=st.floats(1_000, 150_000),
       lev=st.floats(1.0, 50.0), move=st.floats(-0.5, 3.0))
def test_hot_loop_breach_check_equals_price_at_or_above_liquidation_price(kind, contracts, entry, lev, move):
    """The kernel tests `margin + PnL <= MM` at the bar high instead of solving for the price;
    by monotonicity that is `high >= liquidation price` (away from float ties at the boundary)."""
    from hedgekit.backtest.engine import tier_array
    from hedgekit.venues import get_venue

    venue = get_venue("binance-usdm" if kind == 0 else "binance-coinm")
    symbol = "BTCUSDT" if kind == 0 else "BTCUSD_PERP"
    inst, tiers = venue.instrument(symbol), venue.tiers(symbol)
    arr = tier_array([AssetSpec(name="BTC", coins=1.0, instrument=inst, tiers=tiers)])[0]
    wallet = inst.notional_settle(contracts, entry) / lev
    lp = kernels.liquidation_price_tiered(kind, -1.0, contracts, inst.contract_size, entry, wallet, arr, len(tiers))
    price = entry * (1.0 + move)
    if abs(price - lp) <= 1e-9 * lp:
        return
    hit = kernels._short_breached(kind, contracts, inst.contract_size, entry, wallet, price, arr, len(tiers))
    assert hit == (price >= lp)


@pytest.mark.parametrize(("threshold_off", "expected"), [
    # trailing 2-day APRs: -, 20%, 14%, 8%, 4%, 4%, 14%, 20%
    (0.05, [0.25, 1, 1, 1, 0.25, 0.25, 1, 1]),  # 8% is between 5% and 10%: stays on
    (None, [0.25, 1, 1, 0.25, 0.25, 0.25, 1, 1]),  # no hysteresis: 8% < 10% turns it off
])
def test_funding_policy_by_hand(threshold_off, expected):
    """Daily settlements at 00:00 with rates APR/365 on a flat 100 USD price: the short receives
    rate x 100 per coin, i.e. the rate per unit of notional, so the 2-bar trailing APR at day t is
    (APR_(t-1) + APR_t) / 2 over 365 bars a year. On above 10%, off below threshold_off."""
    aprs = [0.20, 0.20, 0.08, 0.08, 0.00, 0.08, 0.20, 0.20]
    inst = Instrument(symbol="XUSDT", contract_type="linear", contract_size=1.0, base="X", quote="USDT",
                      lot_size=1e-6, funding_interval_hours=24.0)
    asset = AssetSpec(name="X", coins=1.0, instrument=inst, fee=0.0)
    flat = ohlc([100.0] * 8)
    market = align_market([asset], spot={"X": flat["close"]}, hedge={"X": flat},
                          funding={"X": pd.Series([a / 365 for a in aprs], index=flat.index)})
    assert market.bars_per_year == pytest.approx(365.0)
    policy = Policy(name="f", method="funding", signal_n=2, threshold=0.10, threshold_off=threshold_off,
                    ratio=1.0, ratio_off=0.25)
    res = run_backtest([asset], market, [policy])
    np.testing.assert_allclose(res["f"].contracts[:, 0], expected, rtol=0, atol=1e-12)
    # funding received: each day's rate x 100 on the coins held from the previous close
    got = sum(expected[t - 1] * 100.0 * aprs[t] / 365 for t in range(1, 8))
    assert res["f"].funding_usd == pytest.approx(got, rel=1e-12)


def test_funding_policy_threshold_off_above_threshold_is_refused():
    with pytest.raises(InputError, match=r"policies\.f\.threshold_off: must be <= threshold"):
        Policy(name="f", method="funding", threshold=0.05, threshold_off=0.1)


@pytest.mark.parametrize(("schedule", "starts_period"), [
    ("weekly", lambda d: d.weekday() == 0),  # ISO weeks start on Monday
    ("monthly", lambda d: d.day == 1),
])
def test_calendar_reestimation_matches_a_numpy_ols(real, schedule, starts_period):
    """A min-variance hedge re-estimated on the calendar holds, from each re-estimation on, the
    OLS slope Cov(s, f) / Var(f) of the last `window` daily returns (computed here with numpy),
    re-estimated at the first full window and on the first bar of each week / month after it;
    before that, the prior ratio. A 1e-9 lot and band 0 make the book ratio the target."""
    spot, hedge, funding = real
    asset = AssetSpec(name="BTC", coins=1.0, instrument=linear("BTC", 1e-9), fee=0.0004)
    market = align_market([asset], spot={"BTC": spot["BTC"]}, hedge={"BTC": hedge["BTC"]},
                          funding={"BTC": funding["BTC"]})
    window = 60
    policy = Policy(name="cal", method="minvar", window=window, reestimate=schedule, ratio=0.7,
                    leverage=1.0)
    res = run_backtest([asset], market, [policy])
    s = spot["BTC"]["close"].reindex(market.index).to_numpy()
    f = hedge["BTC"]["close"].reindex(market.index).to_numpy()
    rs, rf = s[1:] / s[:-1] - 1.0, f[1:] / f[:-1] - 1.0  # rs[t - 1] is the return into bar t
    expected, target = [], 0.7
    for t, day in enumerate(market.index):
        if t == window or (t > window and starts_period(day)):
            x, y = rf[t - window:t], rs[t - window:t]
            target = min(max(np.cov(x, y)[0, 1] / np.var(x, ddof=1), 0.0), 2.0)
        expected.append(target)
    np.testing.assert_allclose(res["cal"].series["ratio"], expected, rtol=0, atol=1e-8)
