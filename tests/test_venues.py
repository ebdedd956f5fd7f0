"""Venue presets: typed-in facts checked against the shared spec files, lookups and errors."""

from __future__ import annotations

import csv
import gzip
import json
import math
from datetime import UTC, datetime

import pytest

from hedgekit.errors import InputError
from hedgekit.instruments import ContractType, Instrument
from hedgekit.margin import LiquidationConvention, build_tiers
from hedgekit.venues import (
    FUNDING_SETTLEMENT_HOURS_UTC,
    funding_settlement_hours,
    get_venue,
    hyperliquid_mmr,
    unified_symbol,
    venue_names,
)

EXPECTED = ["binance-usdm", "binance-coinm", "bybit-linear", "bybit-inverse", "bitmex", "okx", "deribit",
            "hyperliquid", "dydx"]


def _binance_tiers(data_dir, symbol):
    path = data_dir / "specs" / "binance_usdm_leverage_tiers_ccxt_format_2024-10.json.gz"
    with gzip.open(path, "rt") as fh:
        return json.load(fh)[symbol]


def _spec_rows(data_dir):
    path = data_dir / "specs" / "ccxt_static_markets_key_perp_specs_TRANSCRIBED.csv"
    with path.open() as fh:
        return {(r["exchange"], r["exchange_id"]): r for r in csv.DictReader(fh)}


def test_venue_names_and_lookup():
    assert venue_names() == EXPECTED
    for name in EXPECTED:
        preset = get_venue(name.upper())
        assert preset.name == name
        assert preset.reference_price in ("mark", "oracle")
        assert preset.onchain == (preset.reference_price == "oracle")
        assert preset.find_instrument("BTC") is not None
        assert preset.find_instrument("ETH") is not None


def test_unknown_venue_names_valid_ones():
    with pytest.raises(InputError) as err:
        get_venue("ftx")
    assert "venue" in str(err.value) and "binance-usdm" in str(err.value) and "'ftx'" in str(err.value)


def test_unknown_symbol_lists_valid_ones():
    with pytest.raises(InputError, match="BTCUSDT"):
        get_venue("binance-usdm").instrument("DOGEUSDT")


@pytest.mark.parametrize("symbol, ccxt_symbol", [("BTCUSDT", "BTC/USDT:USDT"), ("ETHUSDT", "ETH/USDT:USDT"),
                                                 ("SOLUSDT", "SOL/USDT:USDT")])
def test_binance_typed_tiers_match_leverage_tier_file(data_dir, symbol, ccxt_symbol):
    typed = get_venue("binance-usdm").tiers(symbol)
    raw = _binance_tiers(data_dir, ccxt_symbol)
    assert len(typed) == len(raw)
    for tier, row in zip(typed, raw, strict=True):
        info = row["info"]
        assert tier.floor == float(info["notionalFloor"])
        assert tier.cap == float(info["notionalCap"])
        assert tier.mmr == float(info["maintMarginRatio"])
        assert tier.max_leverage == float(info["initialLeverage"])
        assert tier.cum == pytest.approx(float(info["cum"]), abs=1e-6)


def test_cum_recursion_reproduces_every_binance_table(data_dir):
    # MECHANICS.md 1.2: the recursion holds for all 349 contracts in the file
    path = data_dir / "specs" / "binance_usdm_leverage_tiers_ccxt_format_2024-10.json.gz"
    with gzip.open(path, "rt") as fh:
        table = json.load(fh)
    checked = 0
    for rows in table.values():
        infos = [r["info"] for r in rows]
        tiers = build_tiers((float(i["notionalFloor"]), float(i["notionalCap"]), float(i["maintMarginRatio"]),
                             float(i["initialLeverage"])) for i in infos)
        for tier, info in zip(tiers, infos, strict=True):
            assert tier.cum == pytest.approx(float(info["cum"]), rel=1e-9, abs=1e-6)
            checked += 1
    assert checked > 1000


@pytest.mark.parametrize("venue, exchange, symbol", [
    ("binance-usdm", "binance", "BTCUSDT"), ("binance-usdm", "binance", "ETHUSDT"),
    ("binance-coinm", "binance", "BTCUSD_PERP"), ("bybit-linear", "bybit", "BTCUSDT"),
    ("bybit-linear", "bybit", "ETHUSDT"), ("bybit-inverse", "bybit", "BTCUSD"), ("bitmex", "bitmex", "XBTUSD"),
    ("bitmex", "bitmex", "XBTUSDT"), ("bitmex", "bitmex", "ETHUSDT"),
])
def test_instruments_match_transcribed_specs(data_dir, venue, exchange, symbol):
    row = _spec_rows(data_dir)[(exchange, symbol)]
    inst = get_venue(venue).instrument(symbol)
    assert inst.tick_size == float(row["tick_size"])
    assert inst.lot_size == float(row["qty_step"])
    assert inst.is_inverse == (row["inverse"] == "true")
    if row["min_notional"]:
        assert inst.min_notional == float(row["min_notional"])
    if exchange == "bitmex" and inst.is_inverse:
        # ccxt's 100000000 is the satoshi multiplier: 1 USD per contract
        assert inst.contract_size == 1.0
    else:
        assert inst.contract_size == float(row["ccxt_contractSize"])
    preset = get_venue(venue)
    assert preset.taker_fee == float(row["taker_fee"])
    assert preset.maker_fee == float(row["maker_fee"])


def test_face_values_from_mechanics():
    # MECHANICS.md 2.2-2.6 and DESIGN.md: COIN-M BTC 100 USD / ETH 10 USD, Bybit inverse 1 USD,
    # BitMEX XBTUSD 1 USD inverse and ETHUSD quanto 0.000001 XBT/USD, Deribit BTC 10 USD, OKX 0.01 BTC / 100 USD.
    assert get_venue("binance-coinm").instrument("BTCUSD_PERP").contract_size == 100
    assert get_venue("binance-coinm").instrument("ETHUSD_PERP").contract_size == 10
    assert get_venue("bybit-inverse").instrument("BTCUSD").contract_size == 1
    ethusd = get_venue("bitmex").instrument("ETHUSD")
    assert ethusd.contract_type is ContractType.QUANTO and ethusd.settle == "BTC"
    assert ethusd.contract_size == 0.000001
    assert get_venue("deribit").instrument("BTC-PERPETUAL").contract_size == 10
    assert get_venue("okx").instrument("BTC-USDT-SWAP").contract_size == 0.01
    assert get_venue("okx").instrument("BTC-USD-SWAP").contract_size == 100
    for name in ("hyperliquid", "dydx"):
        for inst in get_venue(name).instruments.values():
            assert inst.is_linear and inst.settle == "USDC" and inst.funding_interval_hours == 1.0


def test_conventions_and_funding():
    assert get_venue("binance-usdm").convention is LiquidationConvention.MM_AT_LIQUIDATION
    assert get_venue("bybit-inverse").convention is LiquidationConvention.MM_AT_ENTRY
    assert get_venue("okx").convention is LiquidationConvention.FEE_IN_MMR
    assert get_venue("hyperliquid").convention is LiquidationConvention.HYPERLIQUID
    assert get_venue("dydx").convention is LiquidationConvention.DYDX
    assert get_venue("hyperliquid").funding_interval_hours == 1.0
    assert get_venue("bitmex").funding_interval_hours == 8.0


def test_hyperliquid_mmr_examples():
    # MECHANICS.md 2.7: MM = half of IM at max leverage: 40x -> 1.25%, 25x -> 2%, 3x -> 16.7%
    assert hyperliquid_mmr(40) == pytest.approx(0.0125)
    assert hyperliquid_mmr(25) == pytest.approx(0.02)
    assert round(hyperliquid_mmr(3), 3) == 0.167
    assert get_venue("hyperliquid").tiers("BTC")[0].mmr == pytest.approx(0.0125)


def test_deribit_size_margin_examples():
    # MECHANICS.md 2.6: 25 BTC -> IM 2.125%, MM 1.125%; 350 BTC -> IM 3.75%
    deribit = get_venue("deribit")
    assert deribit.margin_rates("BTC_USDC-PERPETUAL", 25) == pytest.approx((0.02125, 0.01125))
    assert deribit.margin_rates("BTC_USDC-PERPETUAL", 350)[0] == pytest.approx(0.0375)
    # Deribit "11 January 2022" (https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022):
    # ETH IM 2% + size_ETH*0.0004%, MM 1% + size_ETH*0.0004%. No worked ETH number is published; by hand,
    # 2,000 ETH -> IM 2% + 2,000*0.0004% = 2.8%, MM 1% + 0.8% = 1.8%.
    assert deribit.margin_rates("ETH-PERPETUAL", 2_000) == pytest.approx((0.028, 0.018))
    assert deribit.margin_rates("SOL_USDC-PERPETUAL", 6_000)[0] == pytest.approx(0.07)  # linear page: 6000 SOL -> 7%
    assert get_venue("binance-usdm").margin_rates("BTCUSDT", 25) is None  # no size-dependent margin there


def test_default_tier_is_open_ended():
    (tier,) = get_venue("bybit-inverse").tiers("BTCUSD")
    assert tier.floor == 0 and math.isinf(tier.cap) and tier.mmr == 0.005


# --------------------------------------------------------------------------- ccxt unified symbols
# ccxt Manual, "Contract naming conventions" (https://docs.ccxt.com/#/README?id=contract-naming-conventions):
# spot BASE/QUOTE; perpetual swap BASE/QUOTE:SETTLE ('BTC/USDT:USDT' linear, 'BTC/USDT:BTC' inverse);
# future BASE/QUOTE:SETTLE-YYMMDD ('BTC/USDT:USDT-211225' settles in USDT on 2021-12-25,
# 'ETH/USDT:ETH-210625' settles in ETH on 2021-06-25).
@pytest.mark.parametrize("args, expected", [
    (("BTC", "USDT"), "BTC/USDT"),
    (("BTC", "USDT", "USDT"), "BTC/USDT:USDT"),
    (("BTC", "USDT", "BTC"), "BTC/USDT:BTC"),
    (("ETH", "USDT", "ETH"), "ETH/USDT:ETH"),
    (("BTC", "USDT", "USDT", datetime(2021, 12, 25, 8, tzinfo=UTC)), "BTC/USDT:USDT-211225"),
    (("BTC", "USDT", "BTC", datetime(2021, 12, 25, 8, tzinfo=UTC)), "BTC/USDT:BTC-211225"),
    (("ETH", "USDT", "ETH", datetime(2021, 6, 25, 8, tzinfo=UTC)), "ETH/USDT:ETH-210625"),
])
def test_unified_symbol_follows_ccxt_manual(args, expected):
    assert unified_symbol(*args) == expected


def test_unified_symbol_refuses_an_expiry_without_settle_currency():
    with pytest.raises(ValueError, match="settle"):
        unified_symbol("BTC", "USDT", None, datetime(2021, 12, 25, tzinfo=UTC))


@pytest.mark.parametrize("venue, symbol, expected", [
    # Linear USDT perpetual settles in its quote.
    ("binance-usdm", "BTCUSDT", "BTC/USDT:USDT"),
    ("okx", "BTC-USDT-SWAP", "BTC/USDT:USDT"),
    # Inverse perpetuals are quoted in USD and settle in the coin (ccxt: 'BTC/USD:BTC').
    ("binance-coinm", "BTCUSD_PERP", "BTC/USD:BTC"),
    ("bitmex", "XBTUSD", "BTC/USD:BTC"),
    ("deribit", "BTC-PERPETUAL", "BTC/USD:BTC"),
    # BitMEX ETHUSD is a quanto: ETH quoted in USD, settled in BTC.
    ("bitmex", "ETHUSD", "ETH/USD:BTC"),
    # Hyperliquid's coin-named perps are linear USDC contracts.
    ("hyperliquid", "BTC", "BTC/USDC:USDC"),
])
def test_preset_ccxt_symbol(venue, symbol, expected):
    preset = get_venue(venue)
    assert preset.ccxt_symbol(preset.instrument(symbol)) == expected


def test_preset_ccxt_symbol_of_a_dated_future_carries_its_expiry():
    future = Instrument(symbol="BTCUSDT_211231", contract_type="linear", contract_size=1.0, base="BTC",
                        quote="USDT", expiry=datetime(2021, 12, 31, 8, tzinfo=UTC))
    assert get_venue("binance-usdm").ccxt_symbol(future) == "BTC/USDT:USDT-211231"


# --------------------------------------------------------------------------- funding settlement hours
@pytest.mark.parametrize("exchange, hours", [
    # Binance funding FAQ: "every 8 hours at 00:00 UTC; 08:00 UTC and 16:00 UTC"
    ("binance", (0, 8, 16)),
    # OKX help 360053909272: "every 8 hours ... at 00:00, 08:00, and 16:00 (UTC)"
    ("okx", (0, 8, 16)),
    # Bybit "Introduction to Funding Rate": 00:00, 08:00, 16:00 UTC
    ("bybit", (0, 8, 16)),
    # BitMEX perpetual contracts guide: funding every 8 hours at 04:00, 12:00 and 20:00 UTC
    ("bitmex", (4, 12, 20)),
    # KuCoin funding fees page: "once every 8 hours at UTC 04:00, 12:00, and 20:00"
    ("kucoin", (4, 12, 20)),
])
def test_funding_settlement_hours_from_venue_pages(exchange, hours):
    assert funding_settlement_hours(exchange) == hours
    assert funding_settlement_hours(exchange.upper()) == hours


def test_every_settlement_schedule_is_three_hours_eight_apart():
    for exchange, hours in FUNDING_SETTLEMENT_HOURS_UTC.items():
        assert len(hours) == 3 and list(hours) == sorted(hours), exchange
        assert {(h - hours[0]) for h in hours} == {0, 8, 16}, exchange
        assert all(0 <= h < 24 for h in hours), exchange


def test_no_schedule_for_continuous_or_hourly_venues():
    # Deribit accrues funding continuously; Hyperliquid and dYdX settle every hour: no 8h clock to check.
    for exchange in ("deribit", "hyperliquid", "dydx", "nowhere"):
        assert funding_settlement_hours(exchange) is None


def test_presets_with_a_settlement_schedule_fund_every_8_hours():
    for name in venue_names():
        preset = get_venue(name)
        if funding_settlement_hours(preset.exchange) is not None:
            assert preset.funding_interval_hours == 8.0, name


# --------------------------------------------------------------------------- listing_of / maintenance
def _btc_linear(symbol="BTC/USDT:USDT", size=1.0):
    return Instrument(symbol=symbol, contract_type="linear", contract_size=size, base="BTC", quote="USDT")


def test_listing_of_same_symbol_and_spec_is_the_listing():
    usdm = get_venue("binance-usdm")
    listed = usdm.instrument("BTCUSDT")
    assert usdm.listing_of(listed) is listed


def test_listing_of_another_name_for_the_same_contract():
    usdm = get_venue("binance-usdm")
    assert usdm.listing_of(_btc_linear()) is usdm.instrument("BTCUSDT")


def test_listing_of_a_contract_of_its_own_is_none():
    usdm = get_venue("binance-usdm")
    assert usdm.listing_of(_btc_linear(size=0.01)) is None  # another contract size
    inverse = Instrument(symbol="BTCUSD", contract_type="inverse", contract_size=100.0, base="BTC", quote="USD")
    assert usdm.listing_of(inverse) is None  # USD-M lists no inverse contract
    doge = Instrument(symbol="DOGEUSDT", contract_type="linear", contract_size=1.0, base="DOGE", quote="USDT")
    assert usdm.listing_of(doge) is None


def test_maintenance_of_a_listed_tiered_contract_is_its_tier_table():
    # Binance USD-M BTCUSDT leverage and margin table, bracket 1: notional 0-50,000 USDT at MMR 0.40%
    # (https://www.binance.com/en/futures/trading-rules/perpetual/leverage-margin). The size is
    # ignored: the tier is re-evaluated at the liquidation price, not fixed here.
    usdm = get_venue("binance-usdm")
    for size in (None, 10.0):
        rule = usdm.maintenance(_btc_linear(), size)
        (tiers,) = rule.values()
        assert list(rule) == ["tiers"]
        assert tiers[0].floor == 0 and tiers[0].cap == 50_000 and tiers[0].mmr == 0.004
        assert len(tiers) == 12


def test_maintenance_of_an_unlisted_contract_is_the_default_rate():
    usdm = get_venue("binance-usdm")
    assert usdm.maintenance(_btc_linear(size=0.01)) == {"mmr": usdm.default_mmr}
    assert usdm.default_mmr == 0.004


def test_maintenance_on_deribit_depends_on_size():
    # Deribit linear perpetual, standard margin
    # (https://support.deribit.com/hc/en-us/articles/25944738177565-Linear-Perpetual):
    # BTC maintenance margin = 1% + position size in BTC x 0.005%.
    # 25 BTC: 1% + 25 x 0.005% = 1% + 0.125% = 1.125%; 200 BTC: 1% + 1% = 2%; 0 BTC: 1%.
    deribit = get_venue("deribit")
    usdc = deribit.instrument("BTC_USDC-PERPETUAL")
    assert deribit.maintenance(usdc, 25.0)["mmr"] == pytest.approx(0.01125)
    assert deribit.maintenance(usdc, -200.0)["mmr"] == pytest.approx(0.02)  # a short counts by its size
    assert deribit.maintenance(usdc, 0.0)["mmr"] == pytest.approx(0.01)
    # Without a size the rule falls back to the zero-size rate as one open-ended tier.
    (tier,) = deribit.maintenance(usdc)["tiers"]
    assert tier.mmr == 0.01 and math.isinf(tier.cap)
