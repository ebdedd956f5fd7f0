"""Cross margin in the backtest: one collateral pool per settle currency.

Every expected number below is derived by hand in the test from the rules (a short of q coins at
entry E with wallet W is worth ``W - q*(P - E)`` at price P; its maintenance margin is
``q*P*MMR``; isolated margin liquidates a leg when its own equity at the bar high is at or below
its maintenance margin, cross margin liquidates a pool when the sum over its legs is; Binance
USD-M liquidation FAQ https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93,
and COIN-M positions share only their own coin's wallet).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.backtest.engine import AssetSpec, Policy, align_market, margin_pools, run_backtest
from hedgekit.errors import InputError
from tests import test_backtest_cli
from tests.test_backtest_cli import assert_policy_error, example
from tests.test_backtest_parity import inverse, linear

MMR = 0.005
store = test_backtest_cli.store  # the fixture: a store with the Binance BTC/ETH files


def _bars(n):
    return pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")


def _two_leg_book(btc, eth):
    """1 BTC and 1 ETH hedged 1:1 with linear shorts; each leg given as (close, high) per bar."""
    assets = [AssetSpec(name=c, coins=1.0, instrument=linear(c, 1e-6), fee=0.0, mmr=MMR)
              for c in ("BTC", "ETH")]
    spot, hedge = {}, {}
    for name, rows in (("BTC", btc), ("ETH", eth)):
        close = np.array([r[0] for r in rows], float)
        high = np.array([r[1] for r in rows], float)
        spot[name] = pd.Series(close, index=_bars(len(rows)))
        hedge[name] = pd.DataFrame({"open": close, "high": high, "close": close}, index=_bars(len(rows)))
    return assets, align_market(assets, spot=spot, hedge=hedge)


def _policies():
    # 1:1 at 2x (wallet = notional / 2 = 50 per leg at 100), a band so wide no bar after the first trades
    return [Policy(name=m, ratio=1.0, leverage=2.0, band=10.0, margin=m) for m in ("isolated", "cross")]


# bar 0: both at 100. bar 1: BTC spikes to a high of 160 and closes 155, ETH falls to 90.
BTC = [(100.0, 100.0), (155.0, 160.0), (155.0, 155.0)]
ETH = [(100.0, 100.0), (90.0, 100.0), (90.0, 90.0)]


def test_isolated_liquidates_a_leg_that_cross_margin_carries():
    assets, market = _two_leg_book(BTC, ETH)
    res = run_backtest(assets, market, _policies(), cash=1_000.0)
    iso, cross = res["isolated"], res["cross"]
    # isolated BTC at its high: 50 - (160 - 100) = -10 <= 160 * 0.5% = 0.8 -> liquidated on bar 1,
    # closed at its bankruptcy price (50 - (P - 100) = 0 -> P = 150): the 50 of margin is gone
    assert iso.liquidations == 1 and iso.margin_lost_usd == pytest.approx(50.0, rel=1e-12)
    ev = res.events()
    liq = ev[(ev.strategy == "isolated") & (ev.event == "liquidation")]
    assert list(zip(liq.time, liq.asset, strict=True)) == [(market.index[1], "BTC")]
    # cross: both wallets and both legs at their highs: 50 + 50 - 60 + 0 = 40 > 0.8 + 0.5 -> no liquidation
    assert cross.liquidations == 0 and cross.margin_lost_usd == 0.0
    # and the book stays hedged 1:1: equity = cash 1,000 + 100 + 100 at every bar
    np.testing.assert_allclose(res.to_frame("cross")["equity_usd"], 1_200.0, rtol=1e-12)
    # isolated after the liquidation: cash 900 + coins 155 + 90 + ETH leg 50 + 10 = 1,205
    assert res.to_frame("isolated")["equity_usd"].iloc[1] == pytest.approx(1_205.0, rel=1e-12)


def test_cross_margin_lets_one_leg_take_the_other_down():
    """The reverse: the pool that carried BTC's loss is thin, and ETH's move then liquidates both
    legs, losing both wallets; isolated lost only BTC's margin and keeps the ETH hedge."""
    btc = BTC[:2] + [(165.0, 170.0)]
    eth = ETH[:2] + [(130.0, 135.0)]
    assets, market = _two_leg_book(btc, eth)
    res = run_backtest(assets, market, _policies(), cash=1_000.0)
    iso, cross = res["isolated"], res["cross"]
    # cross bar 2: 100 - (170 - 100) - (135 - 100) = -5 <= 0.85 + 0.675 -> both legs closed, 100 lost
    assert cross.liquidations == 2 and cross.margin_lost_usd == pytest.approx(100.0, rel=1e-12)
    assert list(cross.contracts[-1]) == [0.0, 0.0]
    # equity at the close: cash 900 + coins 165 + 130, nothing left in the pool
    assert res.to_frame("cross")["equity_usd"].iloc[-1] == pytest.approx(1_195.0, rel=1e-12)
    # isolated ETH at its bar-2 high: 50 - 35 = 15 > 0.675: still hedged, only BTC's 50 lost
    assert iso.liquidations == 1 and iso.margin_lost_usd == pytest.approx(50.0, rel=1e-12)
    assert list(iso.contracts[-1]) == [0.0, 1.0]
    # cash 900 + coins 165 + 130 + ETH leg 50 - 30
    assert res.to_frame("isolated")["equity_usd"].iloc[-1] == pytest.approx(1_215.0, rel=1e-12)


def test_the_reserve_is_collateral_of_the_usd_pool_and_lost_with_it():
    # the same spike with a reserve of 20: cross at bar 2: -5 + 20 = 15 > 1.525 -> survives
    btc = BTC[:2] + [(165.0, 170.0)]
    eth = ETH[:2] + [(130.0, 135.0)]
    assets, market = _two_leg_book(btc, eth)
    res = run_backtest(assets, market, _policies()[1:], cash=1_000.0, reserve=20.0)
    assert res["cross"].liquidations == 0
    # a reserve of 5: -5 + 5 = 0 <= 1.525 -> liquidated, and the reserve goes with the pool
    res = run_backtest(assets, market, _policies()[1:], cash=1_000.0, reserve=5.0)
    assert res["cross"].liquidations == 2
    assert res["cross"].margin_lost_usd == pytest.approx(105.0, rel=1e-12)
    assert res.to_frame("cross")["equity_usd"].iloc[-1] == pytest.approx(1_195.0, rel=1e-12)


def test_an_inverse_leg_is_its_own_coin_pool():
    """A COIN-M short is backed by its coin's wallet only: a rich USD pool does not save it."""
    close = np.array([100.0, 190.0, 190.0])
    high = np.array([100.0, 210.0, 190.0])
    idx = _bars(3)
    spot = {c: pd.Series(close, index=idx) for c in ("BTC", "ETH")}
    flat = pd.DataFrame({"open": 100.0, "high": 100.0, "close": 100.0}, index=idx)
    hedge = {"BTC": pd.DataFrame({"open": close, "high": high, "close": close}, index=idx), "ETH": flat}
    spot["ETH"] = pd.Series(100.0, index=idx)
    policy = [Policy(name="cross", ratio=1.0, leverage=2.0, band=10.0, margin="cross")]
    for btc_inst, liquidated in ((inverse("BTC", 1.0), True), (linear("BTC", 1e-6), False)):
        assets = [AssetSpec(name="BTC", coins=1.0, instrument=btc_inst, fee=0.0, mmr=MMR),
                  AssetSpec(name="ETH", coins=1.0, instrument=linear("ETH", 1e-6), fee=0.0, mmr=MMR)]
        market = align_market(assets, spot=spot, hedge=hedge)
        res = run_backtest(assets, market, policy, cash=1_000.0, reserve=10_000.0)
        # inverse: 100 contracts of 1 USD, wallet (100/100)/2 = 0.5 BTC; at P: 0.5 - 100*(1/100 - 1/P)
        # vs 100/P * 0.5%: liquidated from P = 99.5 / 0.5 = 199, and the high is 210.
        # linear: the same leg sits in the USD pool with the 10,000 reserve and survives.
        assert (res["cross"].liquidations == 1) is liquidated
        assert res["cross"].contracts[-1, 1] == 1.0  # the ETH leg is never touched
    assert list(margin_pools([AssetSpec(name="BTC", coins=1.0, instrument=inverse("BTC")),
                              AssetSpec(name="ETH", coins=1.0, instrument=linear("ETH")),
                              AssetSpec(name="E2", coins=1.0, instrument=inverse("ETH", 10.0)),
                              AssetSpec(name="B2", coins=1.0, instrument=inverse("BTC"))])) == [1, 0, 2, 1]


@settings(max_examples=40, deadline=None)
@given(moves=st.lists(st.floats(-0.25, 0.3), min_size=3, max_size=30),
       spikes=st.lists(st.floats(0.0, 0.4), min_size=31, max_size=31),
       leverage=st.floats(1.5, 20.0))
def test_one_leg_without_reserve_cross_equals_isolated(moves, spikes, leverage):
    """A pool of one leg and no reserve is an isolated wallet: same liquidations, same equity."""
    close = 100.0 * np.cumprod(np.r_[1.0, 1.0 + np.array(moves)])
    high = close * (1.0 + np.array(spikes[:len(close)]))
    idx = _bars(len(close))
    assets = [AssetSpec(name="X", coins=3.0, instrument=linear("X", 1e-6), fee=0.0004, mmr=MMR)]
    market = align_market(assets, spot={"X": pd.Series(close, index=idx)},
                          hedge={"X": pd.DataFrame({"open": close, "high": high, "close": close}, index=idx)})
    res = run_backtest(assets, market, [Policy(name=m, ratio=1.0, leverage=leverage, band=0.05, margin=m)
                                        for m in ("isolated", "cross")], cash=500.0)
    iso, cross = res["isolated"], res["cross"]
    assert iso.liquidations == cross.liquidations
    np.testing.assert_array_equal(iso.flags, cross.flags)
    # isolated closes at the bankruptcy price (wallet ~0 returned), cross loses the wallet: equal to rounding
    np.testing.assert_allclose(iso.series["equity"], cross.series["equity"], rtol=1e-9)


def test_policy_margin_errors_name_the_field():
    with pytest.raises(InputError, match=r"policies.p.margin: must be isolated or cross \(got 'both'\)"):
        Policy(name="p", margin="both")
    with pytest.raises(InputError, match=r"policies.p.topup: top-ups are for isolated margin"):
        Policy(name="p", margin="cross", topup=0.2)


@pytest.mark.parametrize(("change", "message"), [
    ({"margin": "both"}, "policies[1].margin: "),
    ({"margin": "cross", "topup": 0.2}, "policies[1].topup: top-ups are for isolated margin"),
])
def test_margin_config_errors_are_one_line_exit_2(run_cli, tmp_path, change, message):
    assert_policy_error(run_cli, tmp_path, change, message)


def test_cross_margin_runs_from_the_config(run_cli, store, tmp_path):
    """The YAML field reaches the kernel: on 2021-2024 Binance data a 6x book liquidates
    differently with one pool than with two wallets."""
    cfg = example()
    cfg["policies"] = [{"name": f"{m} 6x", "ratio": 1.0, "leverage": 6.0, "calendar": 30, "margin": m}
                       for m in ("isolated", "cross")]
    path = tmp_path / "cross.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, out, err = run_cli("backtest", str(path), "--json", "--data-dir", str(store))
    assert code == 0, err
    iso, cross = json.loads(out)["strategies"]
    assert iso["liquidations"] > 0
    assert (iso["liquidations"], iso["final_equity_usd"]) != (cross["liquidations"], cross["final_equity_usd"])
