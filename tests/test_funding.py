"""Funding payments, carry, basis and roll cost (MECHANICS.md 1.5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hedgekit.errors import InputError
from hedgekit.funding import (
    annualize_rate,
    annualized_basis,
    basis,
    basis_pct,
    funding_carry,
    funding_payment,
    roll_cost,
)
from hedgekit.instruments import Instrument
from hedgekit.venues import get_venue

BTCUSDT = Instrument(symbol="BTCUSDT", contract_type="linear", contract_size=1.0, base="BTC", quote="USDT")
COINM = get_venue("binance-coinm").instrument("BTCUSD_PERP")
ETHUSD_Q = get_venue("bitmex").instrument("ETHUSD")


def test_linear_funding_freqtrade_convention():
    # MECHANICS.md 1.5, freqtrade Exchange.calculate_funding_fees: sum rate x mark x amount, negated for longs
    rates_marks = [(0.0001, 30_000.0), (-0.00005, 31_000.0), (0.0002, 29_500.0)]
    amount = 0.5
    long_total = sum(funding_payment(BTCUSDT, "long", amount, m, r) for r, m in rates_marks)
    assert long_total == pytest.approx(-sum(r * m * amount for r, m in rates_marks))
    short_total = sum(funding_payment(BTCUSDT, "short", amount, m, r) for r, m in rates_marks)
    assert short_total == pytest.approx(-long_total)


def test_inverse_funding_in_coin_binance_coinm():
    # MECHANICS.md 2.2: Funding amount = multiplier x contracts / mark x rate (coin)
    # 100 BTCUSD_PERP x 100 USD at mark 25,000, rate 0.01%: 0.4 BTC x 0.0001 = 0.00004 BTC, paid by the long
    assert funding_payment(COINM, "long", 100, 25_000, 0.0001) == pytest.approx(-0.00004)
    assert funding_payment(COINM, "short", 100, 25_000, 0.0001) == pytest.approx(0.00004)
    # MECHANICS.md 1.5: its USD value at the reference price is rate x N
    assert funding_payment(COINM, "short", 100, 25_000, 0.0001) * 25_000 == pytest.approx(0.0001 * 10_000)


def test_quanto_funding_in_settle_coin():
    # MECHANICS.md 1.5: quanto s*n*M*P_ref*rate in XBT; 1,000 ETHUSD x 0.000001 at 2,000 -> 2 XBT notional
    assert funding_payment(ETHUSD_Q, "long", 1_000, 2_000, 0.0001) == pytest.approx(-0.0002)


def test_annualize_uses_the_venue_interval():
    # MECHANICS.md 4.12: annualisation must use the venue's interval
    assert annualize_rate(0.0001, 8) == pytest.approx(0.1095)
    assert annualize_rate(0.0001, 1) == pytest.approx(0.876)
    hl = get_venue("hyperliquid")
    assert annualize_rate(0.0001 / 8, hl.funding_interval_hours) == pytest.approx(0.1095)


def test_funding_carry_per_day_and_total():
    per_day, total = funding_carry(BTCUSDT, "short", 2, 50_000, 0.0001, days=30)
    assert per_day == pytest.approx(2 * 50_000 * 0.0001 * 3)  # three 8h settlements a day
    assert total == pytest.approx(per_day * 30)
    hourly = get_venue("hyperliquid").instrument("BTC")
    per_day_h, _ = funding_carry(hourly, "short", 2, 50_000, 0.0001 / 8, days=1)
    assert per_day_h == pytest.approx(per_day)
    with pytest.raises(InputError, match="interval_hours"):
        funding_carry(BTCUSDT, "short", 1, 1, 0.0001, days=1, interval_hours=0)


def test_basis_and_annualized_basis():
    assert basis(51_000, 50_000) == pytest.approx(1_000)
    assert basis_pct(51_000, 50_000) == pytest.approx(0.02)
    # 2% over 73 days -> 10% a year (simple)
    assert annualized_basis(51_000, 50_000, 73) == pytest.approx(0.10)
    with pytest.raises(InputError, match="days_to_expiry"):
        annualized_basis(51_000, 50_000, 0)


def test_roll_cost_sign():
    # contango 50,000 -> 50,500: a long pays 1%, a short earns it; fees on both legs
    assert roll_cost("long", 50_000, 50_500) == pytest.approx(0.01)
    assert roll_cost("short", 50_000, 50_500, fee_rate=0.0005) == pytest.approx(-0.01 + 0.001)


@given(kind=st.sampled_from(["linear", "inverse", "quanto"]), n=st.floats(1, 1e6),
       p=st.floats(1, 1e6), r=st.floats(-0.01, 0.01))
def test_funding_is_zero_sum_and_longs_pay_on_positive_rate(kind, n, p, r):
    inst = {"linear": BTCUSDT, "inverse": COINM, "quanto": ETHUSD_Q}[kind]
    long_, short = funding_payment(inst, "long", n, p, r), funding_payment(inst, "short", n, p, r)
    assert long_ == pytest.approx(-short)
    if r > 1e-300:  # a subnormal rate underflows the payment to 0: no sign to check
        assert long_ < 0 < short
