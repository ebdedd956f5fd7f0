"""Edges of the contract and margin math that the worked examples do not reach.

Written against the surviving mutants of ``scripts/mutation.py``: each test pins a formula or a
boundary a plausible bug would change. Every expected value is worked out by hand in the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hedgekit.errors import InputError
from hedgekit.instruments import Instrument, average_entry
from hedgekit.margin import (
    LiquidationConvention,
    MarginTier,
    build_tiers,
    liquidation_price,
    tier_for,
)

# OKX U-margined BTC swap: 0.01 BTC a contract (face value per hedgekit.venues, OKX preset)
OKX_BTC = Instrument(symbol="BTC-USDT-SWAP", contract_type="linear", contract_size=0.01, base="BTC",
                     quote="USDT")
LINEAR = Instrument(symbol="BTCUSDT", contract_type="linear", contract_size=1.0, base="BTC", quote="USDT")
COINM_BTC = Instrument(symbol="BTCUSD_PERP", contract_type="inverse", contract_size=100.0, base="BTC")


# ----------------------------------------------------------------------------- instruments
def test_linear_contract_smaller_than_one_coin():
    # 100 contracts of 0.01 BTC = 1 BTC; at 50,000 that is 50,000 USDT of notional.
    assert OKX_BTC.notional_coin(100, 50_000) == pytest.approx(1.0, rel=1e-12)
    assert OKX_BTC.notional_usd(100, 50_000) == pytest.approx(50_000, rel=1e-12)
    assert OKX_BTC.notional_settle(100, 50_000) == pytest.approx(50_000, rel=1e-12)
    # long 50,000 -> 51,000: 1 BTC x 1,000 = 1,000 USDT; fee 0.05% of 50,000 = 25 USDT;
    # a short at +0.01% funding receives 50,000 x 0.0001 = 5 USDT.
    assert OKX_BTC.pnl("long", 100, 50_000, 51_000) == pytest.approx(1_000, rel=1e-12)
    assert OKX_BTC.fee(100, 50_000, 0.0005) == pytest.approx(25, rel=1e-12)
    assert OKX_BTC.funding("short", 100, 50_000, 0.0001) == pytest.approx(5, rel=1e-12)


def test_settle_currency_defaults_by_contract_kind():
    # linear settles in its quote (USDT), inverse in its base coin (the coin it is margined in);
    # built here, not at import, so the check runs inside the test
    linear = Instrument(symbol="ETHUSDT", contract_type="linear", contract_size=1.0, base="ETH", quote="USDT")
    inverse = Instrument(symbol="ETHUSD_PERP", contract_type="inverse", contract_size=10.0, base="ETH")
    assert (linear.settle, inverse.settle) == ("USDT", "ETH")


def test_a_dated_future_has_no_funding_interval():
    expiry = datetime(2025, 3, 28, 8, tzinfo=UTC)
    dated = Instrument(symbol="BTCUSDT_250328", contract_type="linear", contract_size=1.0, base="BTC",
                       quote="USDT", expiry=expiry, funding_interval_hours=8.0)
    assert dated.funding_interval_hours is None and not dated.is_perpetual
    assert LINEAR.funding_interval_hours == 8.0 and LINEAR.is_perpetual


def test_round_contracts_float_noise_and_the_relative_slack():
    tenth = Instrument(symbol="X", contract_type="linear", contract_size=1.0, base="BTC", lot_size=0.1)
    # 0.3 / 0.1 is 2.9999999999999996 in floats: three lots, not two
    assert tenth.round_contracts(0.3, "down") == pytest.approx(0.3)
    # the slack is relative: a 1e-10 relative excess over a million lots is still on the boundary
    milli = Instrument(symbol="X", contract_type="linear", contract_size=1.0, base="BTC", lot_size=0.001)
    assert milli.round_contracts(1000.0000001, "up") == pytest.approx(1000.0, abs=1e-12)
    # ... but it is 1e-9 of the count, no more: 1 + 1.5e-9 lots rounds up to 2, 1 + 0.5e-9 to 1
    one = Instrument(symbol="X", contract_type="linear", contract_size=1.0, base="BTC", lot_size=1.0)
    assert one.round_contracts(1 + 1.5e-9, "up") == 2
    assert one.round_contracts(1 + 0.5e-9, "up") == 1
    # without a mode the count is rounded down (never more hedge than asked)
    assert one.round_contracts(1.9) == 1


def test_average_entry_of_a_single_fill_is_its_price():
    assert average_entry(LINEAR, [(1, 100.0)]) == pytest.approx(100.0)
    assert average_entry(COINM_BTC, [(100, 50_000.0)]) == pytest.approx(50_000.0)


# ----------------------------------------------------------------------------- tiers
def test_tier_contains_its_bounds_with_a_relative_slack():
    tier = MarginTier(floor=1_000.0, cap=2_000.0, mmr=0.01, max_leverage=50.0)
    assert tier.contains(1_000.0) and tier.contains(1_500.0) and tier.contains(2_000.0)
    # the slack is 1e-9 of the bound, inclusive at its edge
    assert tier.contains(1_000.0 * (1 - 1e-9)) and tier.contains(2_000.0 * (1 + 1e-9))
    assert not tier.contains(1_000.0 * (1 - 2e-9)) and not tier.contains(2_000.0 * (1 + 2e-9))
    assert tier.to_dict() == {"floor": 1_000.0, "cap": 2_000.0, "mmr": 0.01, "max_leverage": 50.0,
                              "cum": 0.0}


def test_equal_rates_in_consecutive_tiers_are_allowed_and_keep_their_leverage():
    # the recursion adds floor x (MMR - previous MMR) = 10 x 0 = 0
    tiers = build_tiers([(0, 10, 0.01, 20), (10, 20, 0.01, 10)])
    assert [t.cum for t in tiers] == [0.0, 0.0]
    assert [t.max_leverage for t in tiers] == [20.0, 10.0]


def test_tier_floors_must_meet_the_previous_cap_to_1e_12():
    # contiguous within float noise (1e-12 relative) is accepted; a 1e-10 relative gap is not
    build_tiers([(0, 1e6, 0.01, 20), (1e6 * (1 + 1e-13), 2e6, 0.02, 10)])
    with pytest.raises(InputError, match=r"tiers\[1\]\.floor"):
        build_tiers([(0, 1e6, 0.01, 20), (1e6 * (1 + 1e-10), 2e6, 0.02, 10)])


def test_tier_for_above_the_last_cap_is_the_last_tier():
    tiers = build_tiers([(0, 10, 0.01, 50), (10, 20, 0.02, 25), (20, 40, 0.05, 10)])
    assert tier_for(tiers, 15) is tiers[1]
    assert tier_for(tiers, 1e9) is tiers[2]


# Three linear tiers; cum by the recursion: 0, 1,000 x (2% - 1%) = 10, 10 + 2,000 x (5% - 2%) = 70.
THREE = build_tiers([(0, 1_000, 0.01, 50), (1_000, 2_000, 0.02, 25), (2_000, 4_000, 0.05, 10)])


def _short_lp(wallet: float, entry: float, tier: MarginTier) -> float:
    # short q = 1: W - (P - EP) = P*MMR - cum  =>  P = (W + cum + EP) / (1 + MMR)
    return (wallet + tier.cum + entry) / (1 + tier.mmr)


def test_liquidation_in_the_last_tier():
    # 1x short at 1,500 (tier 2 at entry). Tier 2's root (1,500 + 10 + 1,500)/1.02 = 2,951 has a
    # notional above tier 2's cap; tier 3's (1,500 + 70 + 1,500)/1.05 = 2,924 lies in tier 3.
    assert THREE[2].cum == pytest.approx(70)
    res = liquidation_price(LINEAR, "short", 1, 1_500, 1_500, tiers=THREE)
    assert res.liquidation_price == pytest.approx(_short_lp(1_500, 1_500, THREE[2]), rel=1e-12)
    assert res.mmr == 0.05


def test_liquidation_beyond_the_last_cap_uses_the_last_tier():
    # with 3,000 of margin tier 3's root (3,000 + 70 + 1,500)/1.05 = 4,352 is above its 4,000 cap:
    # the venue has no higher tier, so the last one still defines the price
    res = liquidation_price(LINEAR, "short", 1, 1_500, 3_000, tiers=THREE)
    assert res.liquidation_price == pytest.approx(_short_lp(3_000, 1_500, THREE[2]), rel=1e-12)
    assert res.liquidation_price > 4_000


def test_no_liquidation_price_reports_the_entry_tier_in_coin():
    # 1x inverse short on coin collateral: 500 x 100 USD at 50,000 = 1 BTC of notional, 1 BTC of
    # margin -> no liquidation price; the tier reported is the one holding 1 BTC (coin tiers).
    tiers = build_tiers([(0, 5, 0.004, 125), (5, 10, 0.005, 100), (10, 20, 0.01, 50)])
    res = liquidation_price(COINM_BTC, "short", 500, 50_000, 1.0, tiers=tiers)
    assert res.liquidation_price is None
    assert res.mmr == 0.004


# ----------------------------------------------------------------------------- liquidation
def test_wallet_from_leverage_is_the_initial_margin():
    # Bybit USDT isolated example (MECHANICS.md 1.3): 1 BTC at 20,000, 50x -> IM 20,000/50 = 400,
    # MMR 0.5% -> LP 20,000 - (400 - 100) = 19,700; passing the leverage instead of the margin.
    res = liquidation_price(LINEAR, "long", 1, 20_000, None, leverage=50, mmr=0.005,
                            convention="mm-at-entry")
    assert res.liquidation_price == pytest.approx(19_700, rel=1e-12)
    assert res.margin == pytest.approx(400, rel=1e-12)


def test_mm_at_entry_subtracts_the_maintenance_amount():
    # long 10 BTC at 50,000 (500,000 USDT) with 50,000 of margin, MMR 0.5% and deduction 50:
    # MM = 500,000 x 0.5% - 50 = 2,450; LP = EP - (W - MM)/q = 50,000 - 47,550/10 = 45,245.
    res = liquidation_price(LINEAR, "long", 10, 50_000, 50_000, mmr=0.005, maint_amount=50,
                            convention="mm-at-entry")
    assert res.liquidation_price == pytest.approx(45_245, rel=1e-12)
    assert res.maint_amount == 50


def test_cross_result_records_convention_mode_and_equity():
    # dYdX cross example (liquidations.mdx): e = 1,000, other positions' MM 175 -> equity 825
    res = liquidation_price(LINEAR, "short", 1.5, 3_000, 1_000, margin_mode="cross", mmr=0.05,
                            other_maintenance=175, convention="dydx")
    assert res.convention is LiquidationConvention.DYDX
    assert res.margin_mode.value == "cross"
    assert res.margin == pytest.approx(825)
    assert res.to_dict() == {"liquidation_price": res.liquidation_price,
                             "bankruptcy_price": res.bankruptcy_price, "mmr": 0.05, "maint_amount": 0.0,
                             "convention": "dydx", "margin_mode": "cross", "margin": res.margin}


def test_cross_bankruptcy_counts_the_other_positions_pnl():
    # Binance cross example (MECHANICS.md 1.4): BTC long 109.488 at 32,481.98, wallet 1,535,443.01,
    # the ETH position's uPnL -448,192.885. Bankruptcy is zero cross equity:
    # WB + UPNL_eth + q(BP - EP) = 0  =>  BP = EP - (WB + UPNL_eth)/q
    q, ep, wb, upnl = 109.488, 32_481.98, 1_535_443.01, -448_192.885
    res = liquidation_price(LINEAR, "long", q, ep, wb, margin_mode="cross", mmr=0.025,
                            maint_amount=16_300, other_maintenance=356_512.508, other_upnl=upnl)
    assert res.bankruptcy_price == pytest.approx(ep - (wb + upnl) / q, rel=1e-12)


def test_dydx_liquidation_price_below_one_dollar():
    # a coin at 0.10: long 100,000 with e = 1,000, MMF 5%:
    # p' = (e - S*p)/(|S|*MMF - S) = (1,000 - 10,000)/(5,000 - 100,000) = 0.0947368...
    res = liquidation_price(LINEAR, "long", 100_000, 0.10, 1_000, mmr=0.05, convention="dydx")
    assert res.liquidation_price == pytest.approx(9_000 / 95_000, rel=1e-12)


def test_hyperliquid_long_covered_by_its_margin_has_no_liquidation_price():
    # margin 30,000 on a 20,000 long: LP = EP - (W - q*EP*MMR)/q/(1 - MMR)
    # = 20,000 - 29,750/0.9875 < 0: the price cannot get there
    res = liquidation_price(LINEAR, "long", 1, 20_000, 30_000, mmr=0.0125, convention="hyperliquid")
    assert res.liquidation_price is None
