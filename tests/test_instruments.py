"""Instrument payoff math against published worked examples (MECHANICS.md section 1.1)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hedgekit.errors import InputError
from hedgekit.instruments import ContractType, Instrument, Side, average_entry

XBTUSD = Instrument(symbol="XBTUSD", contract_type="inverse", contract_size=1.0, base="BTC", quote="USD")
DERIBIT = Instrument(symbol="BTC-PERPETUAL", contract_type="inverse", contract_size=10.0, base="BTC",
                     quote="USD", funding_interval_hours=0)
BTCUSDT = Instrument(symbol="BTCUSDT", contract_type="linear", contract_size=1.0, base="BTC", quote="USDT",
                     lot_size=0.001)
ETHUSD_Q = Instrument(symbol="ETHUSD", contract_type="quanto", contract_size=0.000001, base="ETH",
                      quote="USD", settle="BTC")


def test_deribit_inverse_pnl_example():
    # Deribit "example futures": long 1,000 USD at 600, exit 700 -> 1000/600 - 1000/700 = 0.238095 BTC
    pnl = DERIBIT.pnl(Side.LONG, 100, 600, 700)
    assert pnl == pytest.approx(0.238095, abs=1e-6)


def test_deribit_fee_example():
    # Deribit: 2 x 0.05% of 1,000 USD = 0.5/600 + 0.5/700, printed as 0.00154755 BTC.
    # Exact: 0.000833333 + 0.000714286 = 0.00154762; the page truncates each leg to 7 decimals.
    fee = DERIBIT.fee(100, 600, 0.0005) + DERIBIT.fee(100, 700, 0.0005)
    assert fee == pytest.approx(0.5 / 600 + 0.5 / 700, rel=1e-15)
    assert fee == pytest.approx(0.00154755, abs=1e-7)


def test_bitmex_inverse_future_example():
    # BitMEX inverse futures guide / nautilus: 100,000 contracts long at 10,000, exit 10,500 -> +0.47619048 XBT
    assert XBTUSD.pnl("long", 100_000, 10_000, 10_500) == pytest.approx(0.47619048, abs=1e-8)


def test_bybit_inverse_pnl_example_within_doc_rounding():
    # Bybit inverse P&L page: 1,000 contracts 5,000 -> 5,500 prints 0.01819 BTC (exact 0.0181818)
    assert XBTUSD.pnl("long", 1000, 5000, 5500) == pytest.approx(0.01819, abs=1e-5)


def test_quanto_value_bitmex_published_figures():
    # BitMEX published two worked figures for the ETHUSD quanto's XBT value (price x multiplier x
    # contracts); the contract value is what the PnL below is the change of.
    # 1. "Quanto for Speculators" (https://blog.bitmex.com/quanto-for-speculators/): multiplier
    #    0.000001 XBT per USD, 10,000 contracts at 500: "IM = 2% * $500 * 0.000001 XBT * 10,000
    #    = 0.10 XBT", so the position is worth 0.10 / 2% = 5 XBT.
    assert ETHUSD_Q.notional_settle(10_000, 500) == pytest.approx(0.10 / 0.02, rel=1e-12)
    # 2. ETHUSD series guide (https://www.bitmex.com/app/seriesGuide/ETHUSD): "50 XBT = $500 *
    #    0.0001 XBT * 1,000" (the example uses 0.0001 XBT per USD; the spec table says 0.000001),
    #    with .BXBT at 10,000 USD that is 500,000 USD.
    example = Instrument(symbol="ETHUSD", contract_type="quanto", contract_size=0.0001, base="ETH",
                         quote="USD", settle="BTC")
    assert example.notional_settle(1_000, 500) == pytest.approx(50.0, rel=1e-12)
    assert example.notional_usd(1_000, 500, settle_usd=10_000) == pytest.approx(500_000, rel=1e-12)


def test_quanto_pnl_bitmex_formula_worked_by_hand():
    # BitMEX quanto guides (https://bitmex.com/app/quantoPerpetualsGuide, ETHUSD series guide):
    # "Bitcoin PNL = (Exit Price - Entry Price) * Bitcoin Multiplier * # Contracts". BitMEX prints
    # no PnL figure, so by hand: long 1,000 ETHUSD at 500, exit 550: a 50 USD move pays
    # 0.000001 XBT per USD per contract: 50 x 0.000001 = 0.00005 XBT a contract, x 1,000 = 0.05 XBT.
    assert ETHUSD_Q.pnl("long", 1000, 500, 550) == pytest.approx(0.05, rel=1e-12)
    assert ETHUSD_Q.pnl("short", 1000, 500, 550) == pytest.approx(-0.05, rel=1e-12)
    # a fall by the same 50 USD mirrors it: the quanto payoff is linear in the price
    assert ETHUSD_Q.pnl("long", 1000, 550, 500) == pytest.approx(-0.05, rel=1e-12)
    # the same 0.05 XBT is the change of the position's XBT value, 0.55 - 0.50 XBT
    assert ETHUSD_Q.notional_settle(1000, 550) - ETHUSD_Q.notional_settle(1000, 500) == pytest.approx(0.05)
    # in USD the PnL is valued at the XBT price: 0.05 XBT x 10,000 USD/XBT = 500 USD
    assert ETHUSD_Q.pnl_usd("long", 1000, 500, 550, settle_usd=10_000) == pytest.approx(500, rel=1e-12)


def test_inverse_hedge_both_views():
    # 100 ETH; inverse short of 50 ETH notional at 3,000 (150,000 USD); ETH -20% -> +12.5 ETH
    eth_inv = Instrument(symbol="ETHUSD_PERP", contract_type="inverse", contract_size=10, base="ETH")
    coin = eth_inv.pnl("short", 15_000, 3000, 2400)
    assert coin == pytest.approx(12.5)
    assert eth_inv.pnl_usd("short", 15_000, 3000, 2400) == pytest.approx(30_000)


def test_average_entry_harmonic_for_inverse_arithmetic_for_linear():
    assert average_entry(XBTUSD, [(10_000, 10_000), (10_000, 20_000)]) == pytest.approx(20_000 / 1.5)
    assert average_entry(BTCUSDT, [(1, 10_000), (1, 20_000)]) == pytest.approx(15_000)


def test_funding_sign_positive_rate_longs_pay():
    assert BTCUSDT.funding("long", 2, 50_000, 0.0001) == pytest.approx(-10.0)
    assert BTCUSDT.funding("short", 2, 50_000, 0.0001) == pytest.approx(10.0)
    # inverse pays in coin on the coin notional at the reference price
    assert XBTUSD.funding("short", 50_000, 50_000, 0.0001) == pytest.approx(0.0001)


def test_round_contracts_snaps_float_noise():
    assert BTCUSDT.round_contracts(0.1 + 0.2, "down") == pytest.approx(0.3)
    assert BTCUSDT.round_contracts(1.3846, "down") == pytest.approx(1.384)
    inst = Instrument(symbol="X", contract_type=ContractType.LINEAR, contract_size=1, base="BTC")
    assert inst.round_contracts(1.3846, "up") == 2
    assert inst.round_contracts(1.3846, "down") == 1


def test_bad_specs_name_the_field():
    with pytest.raises(InputError, match="contract_size"):
        Instrument(symbol="X", contract_type="linear", contract_size=0, base="BTC")
    with pytest.raises(InputError, match="contract_type"):
        Instrument(symbol="X", contract_type="perp", contract_size=1, base="BTC")


prices = st.floats(min_value=1e-2, max_value=1e7, allow_nan=False)
sizes = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


@given(kind=st.sampled_from(["linear", "inverse"]), n=sizes, p0=prices, p1=prices)
def test_pnl_antisymmetric_long_short(kind, n, p0, p1):
    inst = Instrument(symbol="X", contract_type=kind, contract_size=1.0, base="BTC")
    long_, short = inst.pnl("long", n, p0, p1), inst.pnl("short", n, p0, p1)
    assert long_ == -short


@given(n=sizes, p=prices, face=st.sampled_from([1.0, 10.0, 100.0]))
def test_inverse_notional_times_price_is_face_value(n, p, face):
    inst = Instrument(symbol="X", contract_type="inverse", contract_size=face, base="BTC")
    assert math.isclose(inst.notional_coin(n, p) * p, n * face, rel_tol=1e-12)


@given(q=sizes, p0=prices, path=st.lists(prices, min_size=1, max_size=20))
def test_one_to_one_linear_hedge_keeps_usd_value(q, p0, path):
    for p in path:
        value = q * p + BTCUSDT.pnl("short", q, p0, p)
        # exact in real numbers; float error is a few ulps of the larger leg q*max(p, p0)
        assert math.isclose(value, q * p0, rel_tol=1e-9, abs_tol=1e-12 * q * max(p, p0))


@given(q=st.floats(min_value=1e-3, max_value=1e4), p0=prices, p=prices)
def test_coin_collateralised_inverse_short_holds_usd_value(q, p0, p):
    # MECHANICS.md section 3: q coins + inverse short of q*P0 USD -> q*P0/P coins, worth q*P0 USD
    coins = q + XBTUSD.pnl("short", q * p0, p0, p)
    assert math.isclose(coins * p, q * p0, rel_tol=1e-9, abs_tol=1e-12 * q * max(p, p0))
