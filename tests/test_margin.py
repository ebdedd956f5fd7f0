"""Margin, tiers, liquidation and bankruptcy prices against the worked examples in MECHANICS.md."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hedgekit.errors import InputError
from hedgekit.instruments import Instrument
from hedgekit.margin import (
    LiquidationConvention,
    MarginTier,
    build_tiers,
    initial_margin,
    liquidation_price,
    maintenance_margin,
    size_scaled_rate,
    tier_for,
)

LINEAR = Instrument(symbol="BTCUSDT", contract_type="linear", contract_size=1.0, base="BTC", quote="USDT")
INVERSE_1USD = Instrument(symbol="BTCUSD", contract_type="inverse", contract_size=1.0, base="BTC")
COINM_BTC = Instrument(symbol="BTCUSD_PERP", contract_type="inverse", contract_size=100.0, base="BTC")
QUANTO = Instrument(symbol="ETHUSD", contract_type="quanto", contract_size=0.000001, base="ETH",
                    settle="BTC")


def lp(*args, **kwargs):
    return liquidation_price(*args, **kwargs).liquidation_price


def bp(*args, **kwargs):
    return liquidation_price(*args, **kwargs).bankruptcy_price


# ----------------------------------------------------------------------------- tiers (1.2)
def test_cum_recursion_binance_usdm_level3_example():
    # MECHANICS.md 1.2, Binance USD-M leverage FAQ: level 3 cum = 250,000 x (1% - 0.5%) + 50 = 1,300 USDT.
    # The FAQ gives level 2's cum (50) and level 3's floor/MMRs; a level-2 floor of 50,000 at 0.4% -> 0.5%
    # reproduces cum_2 = 50.
    tiers = build_tiers([(0, 50_000, 0.004, 125), (50_000, 250_000, 0.005, 100),
                         (250_000, 1_000_000, 0.01, 50)])
    assert tiers[1].cum == pytest.approx(50.0)
    assert tiers[2].cum == pytest.approx(1_300.0)


def test_cum_recursion_binance_coinm_level5_example():
    # MECHANICS.md 1.2, Binance COIN-M FAQ (older version): level 5 cum = 50 BTC x (5% - 2.5%) + 0.56 = 1.81 BTC.
    # Only the level-4 cum (0.56) and the level-5 floor/MMRs are given, so the earlier levels are
    # chosen to reproduce cum_4 = 0.56: 0.5% -> 1% at 5 BTC (0.025), 1% -> 2.5% at 35.67 BTC (0.535).
    tiers = build_tiers([(0, 5, 0.005, 125), (5, 35.666666666666664, 0.01, 100),
                         (35.666666666666664, 50, 0.025, 50), (50, 100, 0.05, 20)])
    assert tiers[2].cum == pytest.approx(0.56)
    assert tiers[3].cum == pytest.approx(1.81)


def test_freqtrade_binance_btcusdt_brackets_satisfy_recursion():
    # MECHANICS.md 1.2: freqtrade-bundled table 0-300k 0.4%/0; 300k-800k 0.5%/300; 800k-3M 0.65%/1500; 3M-12M 1%/12000
    tiers = build_tiers([(0, 300e3, 0.004, 125), (300e3, 800e3, 0.005, 100), (800e3, 3e6, 0.0065, 50),
                         (3e6, 12e6, 0.01, 20)])
    assert [t.cum for t in tiers] == pytest.approx([0, 300, 1500, 12000])


def test_build_tiers_rejects_gaps_and_falling_mmr():
    with pytest.raises(InputError, match="previous tier's cap"):
        build_tiers([(0, 10, 0.01, 10), (11, 20, 0.02, 5)])
    with pytest.raises(InputError, match="previous tier's"):
        build_tiers([(0, 10, 0.02, 10), (10, 20, 0.01, 5)])
    with pytest.raises(InputError, match="mmr"):
        build_tiers([(0, 10, 1.0, 10)])


def test_tier_for_edges():
    tiers = build_tiers([(0, 10, 0.01, 10), (10, 20, 0.02, 5)])
    assert tier_for(tiers, 0) is tiers[0]
    assert tier_for(tiers, 10) is tiers[1]
    assert tier_for(tiers, 1e9) is tiers[-1]


@given(st.lists(st.floats(0.0005, 0.05), min_size=2, max_size=8),
       st.lists(st.floats(1.2, 5.0), min_size=8, max_size=8), st.floats(0.0, 1.0))
def test_mm_continuous_across_tier_boundaries(increments, widths, frac):
    # Property: with the cum recursion, MM = N*MMR - cum is continuous at every tier floor.
    rows, floor, mmr = [], 0.0, 0.0
    for inc, width in zip(increments, widths, strict=False):
        cap = (floor or 1000.0) * width
        mmr = min(mmr + inc, 0.99)
        rows.append((floor, cap, mmr, 10.0))
        floor = cap
    tiers = build_tiers(rows)
    for lo, hi in zip(tiers, tiers[1:], strict=False):
        below = hi.floor * lo.mmr - lo.cum
        above = hi.floor * hi.mmr - hi.cum
        assert above == pytest.approx(below, rel=1e-9, abs=1e-9)
    # and maintenance_margin picks the tier that holds the notional
    x = tiers[0].cap * (1 + frac)
    t = tier_for(tiers, x)
    inst = Instrument(symbol="L", contract_type="linear", contract_size=1.0, base="BTC", quote="USDT")
    assert maintenance_margin(inst, x, 1.0, tiers=tiers) == pytest.approx(x * t.mmr - t.cum)


# ----------------------------------------------------------------------------- margin (1.2)
def test_coinm_maintenance_margin_example():
    # MECHANICS.md 1.2: 100 BTCUSD contracts (100 USD) at mark 25,000 -> 0.4 BTC, MM = 0.4 x 0.4% = 0.0016 BTC
    assert maintenance_margin(COINM_BTC, 100, 25_000, mmr=0.004) == pytest.approx(0.0016)
    tiers = (MarginTier(floor=0, cap=5, mmr=0.004, max_leverage=125),)
    assert maintenance_margin(COINM_BTC, 100, 25_000, tiers=tiers) == pytest.approx(0.0016)


def test_initial_margin_bybit_example_and_bitmex_inverse():
    # MECHANICS.md 1.3 Bybit USDT isolated: 1 BTC @ 20,000, 50x -> IM 400, MM (0.5%) 100
    assert initial_margin(LINEAR, 1, 20_000, 50) == pytest.approx(400)
    assert maintenance_margin(LINEAR, 1, 20_000, mmr=0.005) == pytest.approx(100)
    # MECHANICS.md 2.4 BitMEX: 10 XBT at 10,000 = 100,000 contracts, IM 0.1 XBT at 100x
    assert initial_margin(INVERSE_1USD, 100_000, 10_000, 100) == pytest.approx(0.1)


def test_deribit_size_dependent_margin_examples():
    # MECHANICS.md 2.6 Deribit standard margin at 100,000 USDC: 25 BTC -> IM 2.125% = 53,125, MM 1.125% = 28,125;
    # 350 BTC -> IM 3.75% = 1,312,500 USDC.
    im25 = size_scaled_rate(0.02, 0.00005, 25)
    mm25 = size_scaled_rate(0.01, 0.00005, 25)
    assert im25 == pytest.approx(0.02125)
    assert mm25 == pytest.approx(0.01125)
    assert initial_margin(LINEAR, 25, 100_000, 1 / im25) == pytest.approx(53_125)
    assert maintenance_margin(LINEAR, 25, 100_000, mmr=mm25) == pytest.approx(28_125)
    im350 = size_scaled_rate(0.02, 0.00005, 350)
    assert im350 == pytest.approx(0.0375)
    assert initial_margin(LINEAR, 350, 100_000, 1 / im350) == pytest.approx(1_312_500)


def test_margin_input_errors():
    with pytest.raises(InputError, match="leverage"):
        initial_margin(LINEAR, 1, 100, 0)
    with pytest.raises(InputError, match="mmr"):
        maintenance_margin(LINEAR, 1, 100, mmr=1.0)
    with pytest.raises(InputError, match="mmr"):
        maintenance_margin(LINEAR, 1, 100)


# ------------------------------------------------------------------- isolated linear (1.3)
def test_bybit_usdt_isolated_example_mm_at_entry():
    # MECHANICS.md 1.3, Bybit "Liquidation Price (USDT Contract)": 1 BTC @20,000, 50x, MMR 0.5% -> LP 19,700
    res = liquidation_price(LINEAR, "long", 1, 20_000, 400, mmr=0.005, convention="mm-at-entry")
    assert res.liquidation_price == pytest.approx(19_700)
    assert res.bankruptcy_price == pytest.approx(19_600)  # zero margin: 20,000 - 400
    # the short mirror of the same formula: EP + (IM - MM)/Q
    assert lp(LINEAR, "short", 1, 20_000, 400, mmr=0.005, convention="mm-at-entry") == pytest.approx(20_300)


def test_binance_isolated_example_with_cum():
    # MECHANICS.md 4.7 / freqtrade test_liquidation_price: isolated BTC 109.488 @32,481.98, WB 1,535,443.01,
    # MMR 2.5%, cum 16,300 -> 18,778.73 (ccxt's cum-less formula gives 18,931.42)
    res = liquidation_price(LINEAR, "long", 109.488, 32_481.98, 1_535_443.01, mmr=0.025, maint_amount=16_300)
    assert round(res.liquidation_price, 2) == 18_778.73
    assert round(lp(LINEAR, "long", 109.488, 32_481.98, 1_535_443.01, mmr=0.025), 2) == 18_931.42
    # freqtrade's ETH isolated case of the same example: 3,683.979 @1,456.84, MMR 10%, cum 135,365 -> 1,114.78
    assert round(lp(LINEAR, "long", 3683.979, 1456.84, 1_535_443.01, mmr=0.10,
                    maint_amount=135_365), 2) == 1_114.78


def test_leverage_one_corner_cases():
    # MECHANICS.md 1.3 (ccxt Binance formula, MMR 0.4%)
    assert lp(COINM_BTC, "long", 500, 50_000, 1.0, mmr=0.004) == pytest.approx(25_100)  # EP(1+MMR)/2
    # short 1x: equity WB - Q(LP - EP) = Q*LP*MMR -> LP = (WB + Q*EP)/(Q(1 + MMR)) = 40,000/1.004
    assert lp(LINEAR, "short", 1, 20_000, 20_000, mmr=0.004) == pytest.approx(39_840.6, abs=0.05)
    assert lp(LINEAR, "long", 1, 20_000, 20_000, mmr=0.004) is None  # "LP = 0": never reached
    res = liquidation_price(COINM_BTC, "short", 500, 50_000, 1.0, mmr=0.004)  # 1x, coin collateral
    assert res.liquidation_price is None
    assert res.bankruptcy_price is None
    # The entry-frozen MM convention must not invent a price for fully collateralised positions either
    # (its formula alone would give EP/MMR for the short and EP*MMR for the long).
    assert lp(COINM_BTC, "short", 500, 50_000, 1.0, mmr=0.004, convention="mm-at-entry") is None
    assert lp(LINEAR, "long", 1, 20_000, 20_000, mmr=0.004, convention="mm-at-entry") is None


def test_popular_article_formula_is_not_ours():
    # MECHANICS.md 4.11: correct isolated linear with WB = IM, cum 0 is EP(1 - 1/L)/(1 - MMR): 10x, 0.4% -> 0.90361 EP
    assert lp(LINEAR, "long", 1, 1.0, 0.1, mmr=0.004) == pytest.approx(0.90361, abs=5e-6)


def test_hyperliquid_formula_equals_generic():
    # MECHANICS.md 1.3: Hyperliquid's formula is algebraically the MM-at-LP equation with cum = 0.
    for side in ("long", "short"):
        hl = lp(LINEAR, side, 2.5, 60_000, 4_000, mmr=0.0125, convention="hyperliquid")
        gen = lp(LINEAR, side, 2.5, 60_000, 4_000, mmr=0.0125)
        assert hl == pytest.approx(gen, rel=1e-12)


def test_dydx_isolated_example():
    # dydxprotocol/v4-documentation liquidations.mdx: e = 1,000, short 3 ETH @3,000, MMF 5% -> 3,174.60
    assert lp(LINEAR, "short", 3, 3_000, 1_000, mmr=0.05, convention="dydx") == pytest.approx(3_174.60, abs=0.005)


def test_fee_in_mmr_gate_style():
    # MECHANICS.md 1.3: LP = (EP - s*WB/Q) / (1 - s*(MMR + taker)), written out independently here
    ep, wb, q, m, f = 2.0, 5.0, 10.0, 0.01, 0.0006
    assert lp(LINEAR, "long", q, ep, wb, mmr=m, taker_fee=f, convention="fee-in-mmr") == pytest.approx(
        (ep - wb / q) / (1 - (m + f)))
    assert lp(LINEAR, "short", q, ep, wb, mmr=m, taker_fee=f, convention="fee-in-mmr") == pytest.approx(
        (ep + wb / q) / (1 + (m + f)))


def test_quanto_uses_linear_algebra_in_settle_coin():
    # BitMEX quanto: PnL = s*n*M*(P - EP) in XBT, so LP solves W + s*n*M*(LP - EP) = n*M*LP*MMR.
    n, ep, w, m = 10_000, 2_000.0, 0.002, 0.01
    q = n * QUANTO.contract_size
    expected = (w - q * ep) / (q * m - q)
    assert lp(QUANTO, "long", n, ep, w, mmr=m) == pytest.approx(expected)


# ------------------------------------------------------------------- isolated inverse (1.3)
def test_mycoinstory_inverse_entry_vs_lp_convention():
    # MECHANICS.md 1.3/4.1, blog.mycoinstory.com: 10,000 @10x, MMR 0.5%: entry-based 9,132.42, LP-based 9,136.36
    n, ep = 10_000, 10_000
    wallet = n / ep / 10
    assert lp(INVERSE_1USD, "long", n, ep, wallet, mmr=0.005, convention="mm-at-entry") == pytest.approx(
        9_132.42, abs=0.005)
    assert lp(INVERSE_1USD, "long", n, ep, wallet, mmr=0.005) == pytest.approx(9_136.36, abs=0.005)


def test_inverse_conventions_disagree_60k_example():
    # MECHANICS.md 1.3/4.1: 60,000 USD @50,000, 10x, MMR 0.5%: long 45,662.10 (entry) vs 45,681.82 (LP);
    # short 55,248.62 vs 55,277.78
    w = 60_000 / 50_000 / 10
    assert lp(INVERSE_1USD, "long", 60_000, 50_000, w, mmr=0.005, convention="mm-at-entry") == pytest.approx(
        45_662.10, abs=0.005)
    assert lp(INVERSE_1USD, "long", 60_000, 50_000, w, mmr=0.005) == pytest.approx(45_681.82, abs=0.005)
    assert lp(INVERSE_1USD, "short", 60_000, 50_000, w, mmr=0.005, convention="mm-at-entry") == pytest.approx(
        55_248.62, abs=0.005)
    assert lp(INVERSE_1USD, "short", 60_000, 50_000, w, mmr=0.005) == pytest.approx(55_277.78, abs=0.005)


def test_bybit_classic_inverse_cross_example():
    # MECHANICS.md 1.3/1.4/4.2, Bybit "How to calculate Liquidation Price (Inverse Contract)": 10,000
    # contracts long @8,000, 0.5 BTC available, MMR 0.5%, taker 0.075%.
    res = liquidation_price(INVERSE_1USD, "long", 10_000, 8_000, 0.5, margin_mode="cross", mmr=0.005,
                            taker_fee=0.00075, convention="mm-at-entry")
    # BP = (1 + fee) N / (N/EP + AB) = 5,718.57 (matches the page)
    assert res.bankruptcy_price == pytest.approx(5_718.57, abs=0.005)
    # The page prints LP 5,739.50, but its own equation
    # N(1/EP - 1/LP) = -(AB - N/EP*MMR - N*0.00075/BP) solves to 5,739.08 (MECHANICS.md 4.2). We test the
    # exact solution of the printed equation, written out independently here ...
    bp_ = res.bankruptcy_price
    rhs = -(0.5 - 10_000 / 8_000 * 0.005 - 10_000 * 0.00075 / bp_)
    exact = 10_000 / (10_000 / 8_000 - rhs)
    assert res.liquidation_price == pytest.approx(exact, rel=1e-12)
    assert res.liquidation_price == pytest.approx(5_739.08, abs=0.005)
    # ... and record that the printed 5,739.50 is the next 0.5 tick up (an undocumented rounding hypothesis).
    assert math.ceil(res.liquidation_price / 0.5) * 0.5 == 5_739.50


# --------------------------------------------------------------------------------- cross (1.4)
# Binance USD-M cross worked example (MECHANICS.md 1.4, values as pinned by freqtrade's tests):
WB = 1_535_443.01
BTC_POS = dict(q=109.488, ep=32_481.98, mark=31_967.27, mmr=0.025, cum=16_300.0)
ETH_POS = dict(q=3_683.979, ep=1_456.84, mark=1_335.18, mmr=0.10, cum=135_365.0)


def _mm_upnl(pos):
    return pos["q"] * pos["mark"] * pos["mmr"] - pos["cum"], pos["q"] * (pos["mark"] - pos["ep"])


def test_binance_cross_example_btc_and_eth():
    eth_mm, eth_upnl = _mm_upnl(ETH_POS)
    assert eth_mm == pytest.approx(356_512.508, abs=1e-3)  # "TMM(ETH) = 4,918,775.081 x 10% - 135,365"
    assert eth_upnl == pytest.approx(-448_192.885, abs=1e-3)
    lp_btc = lp(LINEAR, "long", BTC_POS["q"], BTC_POS["ep"], WB, margin_mode="cross", mmr=BTC_POS["mmr"],
                maint_amount=BTC_POS["cum"], other_maintenance=eth_mm, other_upnl=eth_upnl)
    assert round(lp_btc, 2) == 26_316.89
    btc_mm, btc_upnl = _mm_upnl(BTC_POS)
    # Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts"
    # (https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93):
    # "Maintenance Margin of BTCUSDT = 71200.81144 (3500032.458 * 2.50% - 16300)"
    assert BTC_POS["q"] * BTC_POS["mark"] == pytest.approx(3_500_032.458, abs=1e-3)
    assert btc_mm == pytest.approx(71_200.81144, abs=1e-4)
    # by hand: 109.488 x (31,967.27 - 32,481.98) = 109.488 x -514.71 = -56,354.568...
    assert btc_upnl == pytest.approx(-56_354.57, abs=0.005)
    lp_eth = lp(LINEAR, "long", ETH_POS["q"], ETH_POS["ep"], WB, margin_mode="cross", mmr=ETH_POS["mmr"],
                maint_amount=ETH_POS["cum"], other_maintenance=btc_mm, other_upnl=btc_upnl)
    assert round(lp_eth, 2) == 1_153.26


def test_binance_cross_scraped_upnl_variant():
    # MECHANICS.md 4.8: with the scraped UPNL -447,482.100 the LP would be 26,310.23
    eth_mm, _ = _mm_upnl(ETH_POS)
    lp_btc = lp(LINEAR, "long", BTC_POS["q"], BTC_POS["ep"], WB, margin_mode="cross", mmr=0.025,
                maint_amount=16_300, other_maintenance=eth_mm, other_upnl=-447_482.100)
    assert round(lp_btc, 2) == 26_310.23


def test_dydx_cross_example():
    # dYdX liquidations.mdx: e = 1,000, short 1.5 ETH @3,000 (MMF 5%) + long 1,000 STRK @1.75 (MMF 10%)
    # MMR_o = 1,000 x 1.75 x 0.10 = 175 -> p' = (1000 + 4500 - 175)/1.575 = 3,380.95
    mmr_o = maintenance_margin(LINEAR, 1_000, 1.75, mmr=0.10)
    assert mmr_o == pytest.approx(175)
    res = liquidation_price(LINEAR, "short", 1.5, 3_000, 1_000, margin_mode="cross", mmr=0.05,
                            other_maintenance=mmr_o, convention="dydx")
    assert res.liquidation_price == pytest.approx(3_380.95, abs=0.005)
    # bankruptcy is zero equity: the other position's maintenance margin is not subtracted
    assert res.bankruptcy_price == pytest.approx(3_000 + 1_000 / 1.5)


def test_cross_terms_rejected_in_isolated_mode():
    with pytest.raises(InputError, match="other_maintenance"):
        liquidation_price(LINEAR, "long", 1, 100, 10, mmr=0.01, other_maintenance=1.0)


def test_inverse_only_conventions_reject_inverse():
    with pytest.raises(InputError, match="linear"):
        liquidation_price(INVERSE_1USD, "long", 100, 100, 1, mmr=0.01, convention="dydx")


# ------------------------------------------------------------------- tier re-evaluation
def test_tier_reevaluated_at_liquidation_price():
    # Binance FAQ note (MECHANICS.md 1.2): use the tier at the LP. A 1x short of 40 BTC at 20,000 sits in
    # the 600k-3M tier at entry (800k USDT) but liquidates near 40,000 (1.6M USDT): still tier 3 here; a
    # 1x short of 100 BTC at 5,000 (500k, tier 2) liquidates near 10,000 (1M, tier 3).
    tiers = build_tiers([(0, 50_000, 0.004, 125), (50_000, 600_000, 0.005, 100),
                         (600_000, 3_000_000, 0.0065, 75), (3_000_000, 12_000_000, 0.01, 50)])
    res = liquidation_price(LINEAR, "short", 100, 5_000, 500_000, tiers=tiers)
    # tier 3's maintenance amount by the cum recursion written out (Binance USD-M leverage FAQ,
    # MECHANICS.md 1.2: cum_i = cum_(i-1) + floor_i x (MMR_i - MMR_(i-1))):
    # tier 2: 0 + 50,000 x (0.5% - 0.4%) = 50; tier 3: 50 + 600,000 x (0.65% - 0.5%) = 950
    assert res.mmr == 0.0065 and res.maint_amount == pytest.approx(950)
    t3 = tiers[2]
    assert res.liquidation_price == pytest.approx((500_000 + t3.cum + 100 * 5_000) / (100 * t3.mmr + 100))
    notional = 100 * res.liquidation_price
    assert t3.floor <= notional < t3.cap
    # the MM at the LP equals the equity there (the defining equation)
    equity = 500_000 - 100 * (res.liquidation_price - 5_000)
    assert maintenance_margin(LINEAR, 100, res.liquidation_price, tiers=tiers) == pytest.approx(equity)


# ------------------------------------------------------------------------------ properties
sides = st.sampled_from(["long", "short"])
prices = st.floats(100.0, 200_000.0)
leverages = st.floats(1.05, 100.0)
mmrs = st.floats(0.001, 0.05)
conventions = st.sampled_from(["mm-at-liquidation", "mm-at-entry", "fee-in-mmr"])


@given(side=sides, entry=prices, lev=leverages, mmr=mmrs, conv=conventions,
       inverse=st.booleans(), extra=st.floats(1.0, 3.0))
def test_lp_on_losing_side_and_moves_away_as_wallet_grows(side, entry, lev, mmr, conv, inverse, extra):
    inst = INVERSE_1USD if inverse else LINEAR
    n = 50_000.0 if inverse else 1.0
    assume(mmr < 0.5 / lev)  # the initial margin covers the maintenance margin
    wallet = initial_margin(inst, n, entry, lev)
    a = lp(inst, side, n, entry, wallet, mmr=mmr, taker_fee=0.0005, convention=conv)
    b = lp(inst, side, n, entry, wallet * extra, mmr=mmr, taker_fee=0.0005, convention=conv)
    s = 1 if side == "long" else -1
    assert a is not None
    assert s * (entry - a) > 0
    if b is not None:
        assert s * (a - b) >= -1e-9 * entry
    else:
        assert side == "long" and not inverse or side == "short" and inverse


@given(side=sides, entry=prices, lev=leverages, mmr=mmrs, conv=conventions, inverse=st.booleans())
def test_bankruptcy_beyond_liquidation(side, entry, lev, mmr, conv, inverse):
    inst = INVERSE_1USD if inverse else LINEAR
    n = 50_000.0 if inverse else 1.0
    assume(mmr < 0.5 / lev)
    wallet = initial_margin(inst, n, entry, lev)
    res = liquidation_price(inst, side, n, entry, wallet, mmr=mmr, taker_fee=0.0005, convention=conv)
    s = 1 if side == "long" else -1
    assert res.liquidation_price is not None and res.bankruptcy_price is not None
    assert s * (res.liquidation_price - res.bankruptcy_price) > 0


@given(entry=prices, n=st.integers(1, 10_000_000), mmr=st.floats(0.0, 0.5), conv=conventions,
       extra=st.floats(1.0, 10.0))
def test_one_x_inverse_short_backed_by_coin_never_liquidated(entry, n, mmr, conv, extra):
    # MECHANICS.md 3: collateral = the hedged coins (N/EP) or more -> no liquidation price exists
    wallet = n / entry * extra
    res = liquidation_price(INVERSE_1USD, "short", n, entry, wallet, mmr=mmr, convention=conv)
    assert res.liquidation_price is None
    assert res.bankruptcy_price is None


@given(side=sides, entry=prices, lev=leverages, mmr=mmrs, inverse=st.booleans())
def test_lp_satisfies_its_defining_equation(side, entry, lev, mmr, inverse):
    # equity at the LP equals the maintenance margin at the LP (mm-at-liquidation)
    inst = INVERSE_1USD if inverse else LINEAR
    n = 50_000.0 if inverse else 1.0
    assume(mmr < 0.5 / lev)
    wallet = initial_margin(inst, n, entry, lev)
    price = lp(inst, side, n, entry, wallet, mmr=mmr)
    equity = wallet + inst.pnl(side, n, entry, price)
    assert equity == pytest.approx(maintenance_margin(inst, n, price, mmr=mmr), rel=1e-7, abs=1e-12)


def test_result_to_dict_has_null_for_missing_price():
    d = liquidation_price(COINM_BTC, "short", 500, 50_000, 1.0, mmr=0.004).to_dict()
    assert d["liquidation_price"] is None and d["convention"] == LiquidationConvention.MM_AT_LIQUIDATION.value


def test_inverse_tier_reevaluated_in_coin_notional():
    # Inverse tiers are in coin: a long's coin notional N/P grows as the price falls. 240,000 USD at 50,000
    # is 4.8 BTC (tier 1) at entry but about 5.26 BTC at the LP (tier 2), so tier 2's MMR and cum apply.
    tiers = build_tiers([(0, 5, 0.005, 125), (5, 10, 0.01, 50), (10, 20, 0.025, 20)])
    inst = Instrument(symbol="BTCUSD_PERP", contract_type="inverse", contract_size=100.0, base="BTC")
    wallet = 0.48
    res = liquidation_price(inst, "long", 2_400, 50_000, wallet, tiers=tiers)
    # tier 2's maintenance amount by the cum recursion (MECHANICS.md 1.2), in coin:
    # 0 + 5 BTC x (1% - 0.5%) = 0.025 BTC
    assert res.mmr == 0.01 and res.maint_amount == pytest.approx(0.025)
    assert 5 <= 240_000 / res.liquidation_price < 10
    equity = wallet + inst.pnl("long", 2_400, 50_000, res.liquidation_price)
    assert equity == pytest.approx(maintenance_margin(inst, 2_400, res.liquidation_price, tiers=tiers))
    # tier 1 alone would have put the LP at a price whose notional is outside tier 1
    flat = lp(inst, "long", 2_400, 50_000, wallet, mmr=0.005)
    assert 240_000 / flat > 5


# ------------------------------------------------------------------------------ BitMEX convention
# No worked number is published by BitMEX. Expected values are BitMEX support's closed form
# (https://www.reddit.com/r/BitMEX/comments/dgzniw/bitmex_support_again_fails_to_explain_essentials/):
# IM = 1/L + entry fee + exit fee, MM = 0.5% + exit fee + funding, long LP = EP/(1 + IM - MM),
# short LP = EP/(1 - IM + MM), evaluated by hand; funding enters as what the position pays (s*rate).
@pytest.mark.parametrize("side, s", [("long", 1), ("short", -1)])
def test_bitmex_convention_inverse_closed_form(side, s):
    n, ep, lev, fee, funding = 25_000, 8_000.0, 25, 0.00075, -0.0003
    res = liquidation_price(INVERSE_1USD, side, n, ep, None, leverage=lev, mmr=0.005, taker_fee=fee,
                            funding_rate=funding, convention="bitmex")
    im = 1 / lev + 2 * fee
    mm = 0.005 + fee + s * funding
    assert res.liquidation_price == pytest.approx(ep / (1 + s * (im - mm)), rel=1e-12)
    assert res.margin == pytest.approx(n / ep * im, rel=1e-12)  # fees reserved with the margin
    assert res.bankruptcy_price == pytest.approx(ep / (1 + s * im), rel=1e-12)  # BitMEX: EP/(1 +/- IM)


def test_bitmex_convention_without_fee_is_mm_at_entry():
    # With no fee and no funding BitMEX's closed form EP/(1 + 1/L - MMR) is the entry-MM formula
    # (MyCoinStory 10,000 @10x, 0.5% -> 9,132.42, MECHANICS.md 1.3).
    assert lp(INVERSE_1USD, "long", 10_000, 10_000, 0.1, mmr=0.005, convention="bitmex") == pytest.approx(
        9_132.42, abs=0.005)
    # linear: W + s*q*(LP - EP) = q*EP*(MMR + fee) -> LP = EP - s*(W - q*EP*(MMR + fee))/q
    got = lp(LINEAR, "short", 2, 30_000, 6_000, mmr=0.005, taker_fee=0.0005, convention="bitmex")
    assert got == pytest.approx(30_000 + (6_000 - 60_000 * 0.0055) / 2, rel=1e-12)


def test_funding_rate_only_for_bitmex():
    with pytest.raises(InputError, match="funding_rate"):
        liquidation_price(LINEAR, "long", 1, 100, 10, mmr=0.01, funding_rate=0.0001)
    assert lp(LINEAR, "long", 1, 100, 10, mmr=0.01, funding_rate=0.0) == lp(LINEAR, "long", 1, 100, 10, mmr=0.01)


def test_maintenance_margin_extra_rate():
    # BitMEX MM = value * (0.5% + taker + funding): 1 BTC of XBTUSD at 10,000 -> 0.00585 XBT (by hand)
    assert maintenance_margin(INVERSE_1USD, 10_000, 10_000, mmr=0.005, extra_rate=0.00085) == pytest.approx(0.00585)
    assert maintenance_margin(INVERSE_1USD, 10_000, 10_000, mmr=0.005) == pytest.approx(0.005)
