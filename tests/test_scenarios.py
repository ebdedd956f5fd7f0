"""Shock grids on the hedged book (issue 3, ``hedgekit scenario``)."""

from __future__ import annotations

import math

import pytest

from hedgekit.errors import InputError
from hedgekit.planner import plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.scenarios import DEFAULT_SHOCKS, run_scenarios


def hedged(holdings, prices, scenario=None, **hedge):
    doc = {"holdings": holdings, "prices": prices, "hedge": hedge}
    if scenario:
        doc["scenario"] = scenario
    return plan(parse_portfolio(doc))


def test_default_grid_and_keys():
    r = run_scenarios(hedged([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}))
    assert [row.shock for row in r.rows] == list(DEFAULT_SHOCKS)
    keys = set(r.to_dict()["rows"][0])
    assert {"shock", "spot_pnl_usd", "hedge_pnl_usd", "hedge_pnl_coin", "funding_usd", "net_usd",
            "liquidated"} <= keys


def test_other_assets_move_by_beta_and_cash_stays():
    p = hedged([{"asset": "BTC", "amount": 1}, {"asset": "SOL", "amount": 100},
                {"asset": "USDC", "amount": 1000}], {"BTC": 60_000, "SOL": 100},
               scenario={"betas": {"SOL": 1.5}}, ratio=0)
    (row,) = run_scenarios(p, [-20], horizon_days=0).rows
    assert row.moves["SOL"] == pytest.approx(-0.30) and row.moves["USDC"] == 0
    assert row.spot_pnl_usd == pytest.approx(-12_000 - 3_000)
    (fixed,) = run_scenarios(p, [-20], horizon_days=0, asset_shocks={"SOL": -0.5}).rows
    assert fixed.spot_pnl_usd == pytest.approx(-12_000 - 5_000)


def test_funding_over_horizon_at_shocked_price():
    p = hedged([{"asset": "BTC", "amount": 2}], {"BTC": 50_000}, funding_rates={"BTC": 0.0001},
               venues=["binance-usdm"], leverage=1)
    (row,) = run_scenarios(p, [10], horizon_days=30).rows
    # short receives 0.01% x 2 x 55,000 x 3 per day x 30 days
    assert row.funding_usd == pytest.approx(0.0001 * 2 * 55_000 * 3 * 30)
    assert row.net_usd == pytest.approx(row.funding_usd, abs=1e-6)


def test_yield_accrues_in_coin_at_shocked_price():
    p = hedged([{"asset": "ETH", "amount": 100, "kind": "staked", "apy": 0.0365}], {"ETH": 2_000},
               ratio=0, benchmark="ETH")
    (row,) = run_scenarios(p, [-50], horizon_days=10).rows
    assert row.yield_usd == pytest.approx(100 * 0.0365 * 10 / 365 * 1_000)


def test_liquidation_row_loses_margin_and_shock_is_reported():
    p = hedged([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}, venues=["binance-usdm"], leverage=5,
               default_funding_rate_8h=0.0)
    (leg,) = p.legs
    r = run_scenarios(p, [10, 30], horizon_days=0)
    calm, crash = r.rows
    assert not calm.liquidated and calm.margin_ratio < 1
    assert crash.liquidated and crash.hedge_pnl_usd == pytest.approx(-leg.initial_margin)
    (ls,) = r.liquidation_shocks
    assert ls.liquidation_price == pytest.approx(leg.liquidation_price)
    assert ls.benchmark_shock_pct == pytest.approx(100 * (leg.liquidation_price / 60_000 - 1))
    # just below / above the reported shock
    below, above = run_scenarios(p, [ls.benchmark_shock_pct - 1e-5, ls.benchmark_shock_pct + 1e-5],
                                 horizon_days=0).rows
    assert not below.liquidated and above.liquidated
    # margin ratio reaches ~100% at the liquidation price (MM at LP convention on Binance)
    assert below.margin_ratio == pytest.approx(1.0, rel=2e-3)


def test_proxy_leg_liquidation_shock_scales_by_beta():
    p = hedged([{"asset": "ETH", "amount": 10}], {"ETH": 3_000, "BTC": 60_000}, venues=["binance-usdm"],
               proxies={"ETH": "BTC"}, scenario={"benchmark": "ETH", "betas": {"BTC": 0.5}},
               leverage=4)
    r = run_scenarios(p, [0], horizon_days=0)
    (ls,) = r.liquidation_shocks
    assert r.benchmark == "ETH"
    assert ls.benchmark_shock_pct == pytest.approx(ls.move_pct / 0.5)


def test_lp_pool_is_revalued_with_its_model():
    p = hedged([{"kind": "lp", "pool": "ETH/USDC", "model": "constant-product", "liquidity": 1000}],
               {"ETH": 2_500}, ratio=0, benchmark="ETH")
    (row,) = run_scenarios(p, [44], horizon_days=0).rows
    # constant product value 2 L sqrt(P): 2*1000*(sqrt(3600) - sqrt(2500)) = 20,000
    assert row.spot_pnl_usd == pytest.approx(20_000)


def test_net_coin_is_change_of_book_value_in_benchmark_coins():
    p = hedged([{"asset": "ETH", "amount": 100}], {"ETH": 3_000}, ratio=0, benchmark="ETH")
    (row,) = run_scenarios(p, [-20], horizon_days=0).rows
    assert row.net_coin == pytest.approx(0.0, abs=1e-9)          # unhedged coin holder: flat in ETH
    p2 = hedged([{"asset": "ETH", "amount": 100}], {"ETH": 3_000}, benchmark="ETH",
                venues=["binance-usdm"], leverage=1, default_funding_rate_8h=0.0)
    (row2,) = run_scenarios(p2, [-20], horizon_days=0).rows
    # fully hedged in USD: 300,000 USD is 125 ETH at 2,400 -> +25 ETH
    assert row2.net_coin == pytest.approx(300_000 / 2_400 - 100, rel=1e-6)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"shocks": [-100]}, "--shocks: each shock must be > -100"),
    ({"shocks": [math.nan]}, "--shocks: must be a finite number"),
    ({"horizon_days": -1}, "--horizon-days: must be >= 0"),
    ({"benchmark": "DOGE"}, "--benchmark: no price for DOGE"),
])
def test_bad_arguments(kwargs, message):
    p = hedged([{"asset": "BTC", "amount": 1}], {"BTC": 60_000})
    with pytest.raises(InputError, match="^" + message.replace("(", r"\(")):
        run_scenarios(p, **kwargs)


def test_default_benchmark_falls_back_to_largest_exposure():
    p = hedged([{"asset": "ETH", "amount": 10}, {"asset": "SOL", "amount": 10}],
               {"ETH": 3_000, "SOL": 100}, venues=["binance-usdm"])
    r = run_scenarios(p, [-10], horizon_days=0)
    assert r.benchmark == "ETH" and r.rows[0].moves["ETH"] == pytest.approx(-0.1)
    assert any("largest exposure" in n for n in r.notes)


@pytest.mark.parametrize("shock", [-20, 20])
def test_delta_hedged_pool_keeps_exactly_its_impermanent_loss(shock):
    # a pool hedged 1:1 in delta loses what the plan says a futures hedge cannot remove
    p = hedged([{"kind": "lp", "pool": "ETH/USDC", "model": "concentrated", "liquidity": 5000,
                 "lower": 3000, "upper": 4000}], {"ETH": 3500}, benchmark="ETH", leverage=1,
               default_funding_rate_8h=0.0,
               instruments={"ETH": {"venue": "binance-usdm", "symbol": "ETH-TINY", "contract_type": "linear",
                                    "contract_size": 1, "base": "ETH", "lot_size": 1e-9}})
    (row,) = run_scenarios(p, [shock], horizon_days=0).rows
    pool = p.exposure.pools[0]
    assert row.net_usd == pytest.approx(pool.gamma_loss(shock / 100), abs=1e-5)
    assert row.net_usd < 0
