"""Funding carry in the planner and the scenario goes through hedgekit.funding.funding_carry.

Derivations are written out here; the venue facts are the presets' (Hyperliquid funds hourly:
https://hyperliquid.gitbook.io/hyperliquid-docs/trading/funding).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hedgekit.funding import funding_carry
from hedgekit.instruments import Instrument, Side
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner import plan
from hedgekit.planner.legs import price_leg
from hedgekit.portfolio import parse_portfolio
from hedgekit.scenarios import run_scenarios
from hedgekit.venues import get_venue


def test_hourly_venue_planner_and_scenario_agree_with_funding_carry():
    # 2 BTC short on Hyperliquid at 60,000; the policy states funding per 8h: 0.01%.
    # Per hourly settlement the rate is 0.01%/8 = 0.00125%, paid on 2 x 60,000 = 120,000 USDC
    # of notional: 1.5 USDC received by the short; 24 settlements a day -> 36 USDC/day.
    book = parse_portfolio({"prices": {"BTC": 60_000},
                            "holdings": [{"asset": "BTC", "amount": 2}],
                            "hedge": {"venues": ["hyperliquid"], "leverage": 2,
                                      "funding_rates": {"BTC": 0.0001}}})
    (leg,) = plan(book).legs
    assert leg.funding_interval_hours == 1.0
    assert leg.funding_per_day == pytest.approx(36.0, rel=1e-12)
    assert leg.funding_30d_usd == pytest.approx(1080.0, rel=1e-12)
    per_day, total = funding_carry(leg.instrument, Side.SHORT, 2.0, 60_000, 0.0001 / 8, days=30)
    assert leg.funding_per_day == pytest.approx(per_day, rel=1e-12)
    # scenario at an unchanged price over 30 days: the same 1,080 USDC
    (row,) = run_scenarios(plan(book), [0.0], horizon_days=30).rows
    assert row.funding_usd == pytest.approx(total, rel=1e-12) == pytest.approx(1080.0)
    # and at +10%: funding is paid on the notional at the shocked price, 1,188
    (up,) = run_scenarios(plan(book), [10.0], horizon_days=30).rows
    assert up.funding_usd == pytest.approx(1080.0 * 1.1, rel=1e-12)


def test_funding_carry_of_a_zero_position_is_zero_but_bad_rates_still_fail():
    inst = get_venue("binance-usdm").instrument("BTCUSDT")
    assert funding_carry(inst, "short", 0.0, 60_000, 0.0001, days=30) == (0.0, 0.0)
    with pytest.raises(ValueError, match="contracts: must be >= 0"):
        funding_carry(inst, "short", -1.0, 60_000, 0.0001, days=30)
    with pytest.raises(ValueError, match="rate: must be a finite number"):
        funding_carry(inst, "short", 0.0, 60_000, float("nan"), days=30)


def test_a_leg_rounded_to_zero_contracts_carries_no_funding():
    # 0.0004 BTC at lot 0.001 rounds to 0 contracts: nothing is held, nothing is paid
    book = parse_portfolio({"prices": {"BTC": 60_000},
                            "holdings": [{"asset": "BTC", "amount": 0.0004}],
                            "hedge": {"venues": ["binance-usdm"], "rounding": "down"}})
    (leg,) = plan(book).legs
    assert leg.contracts == 0 and leg.funding_per_day == 0 and leg.funding_30d_usd == 0


def test_dated_future_leg_carries_no_funding():
    # A dated future has no funding: its carry is the basis, which converges at expiry.
    book = parse_portfolio({"prices": {"BTC": 60_000},
                            "holdings": [{"asset": "BTC", "amount": 1}],
                            "hedge": {"venues": ["binance-usdm"], "funding_rates": {"BTC": 0.0003}}})
    dated = Instrument(symbol="BTCUSDT_261225", contract_type="linear", contract_size=1.0,
                       base="BTC", quote="USDT", lot_size=0.001,
                       expiry=datetime(2026, 12, 25, 8, tzinfo=UTC))
    notes: list[str] = []
    leg = price_leg(asset="BTC", hedge_asset="BTC", venue=get_venue("binance-usdm"), inst=dated,
                    exposure_usd=60_000, beta=1.0, policy=book.hedge,
                    market=MarketSnapshot.from_prices({"BTC": 60_000}), prices={"BTC": 60_000.0},
                    fixed_contracts=None, where="hedge (BTC)", notes=notes)
    assert leg.contracts == 1.0
    assert leg.funding_interval_hours == 0 and leg.funding_per_day == 0 and leg.funding_30d_usd == 0
