"""Venue presets: typed-in facts checked against the shared spec files, lookups and errors."""

from __future__ import annotations

import csv
import gzip
import json
import math

import pytest

from hedgekit.errors import InputError
from hedgekit.instruments import ContractType
from hedgekit.margin import LiquidationConvention, build_tiers
from hedgekit.venues import get_venue, hyperliquid_mmr, venue_names

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
    assert deribit.margin_rates("ETH-PERPETUAL", 1) is None


def test_default_tier_is_open_ended():
    (tier,) = get_venue("bybit-inverse").tiers("BTCUSD")
    assert tier.floor == 0 and math.isinf(tier.cap) and tier.mmr == 0.005
