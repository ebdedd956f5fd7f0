"""Bad input to the contract math names the field and the value, word for word.

The CLI prints these messages as its one-line errors (``error: <message>``, exit 2), so the exact
text is part of the interface: ``<field>: <rule> (got <value>)``. One row per check in
instruments, margin and funding.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

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
from hedgekit.instruments import Instrument, average_entry
from hedgekit.margin import (
    build_tiers,
    initial_margin,
    liquidation_price,
    maintenance_margin,
    tier_for,
)

LIN = Instrument(symbol="BTCUSDT", contract_type="linear", contract_size=1.0, base="BTC", quote="USDT")
INV = Instrument(symbol="BTCUSD", contract_type="inverse", contract_size=1.0, base="BTC")
QUANTO = Instrument(symbol="ETHUSD", contract_type="quanto", contract_size=0.000001, base="ETH",
                    settle="BTC")
DATED = Instrument(symbol="BTCUSDT_250328", contract_type="linear", contract_size=1.0, base="BTC",
                   quote="USDT", expiry=datetime(2025, 3, 28, 8, tzinfo=UTC))
DERIBIT = Instrument(symbol="BTC-PERPETUAL", contract_type="inverse", contract_size=10.0, base="BTC",
                     funding_interval_hours=0)


def inst(**overrides):
    spec = {"symbol": "X", "contract_type": "linear", "contract_size": 1.0, "base": "BTC"}
    return Instrument(**{**spec, **overrides})


def liq(**overrides):
    args = {"instrument": LIN, "side": "long", "contracts": 1.0, "entry": 100.0, "wallet": 10.0,
            "mmr": 0.01}
    args.update(overrides)
    return liquidation_price(**args)


CASES = [
    # instruments
    (lambda: inst(contract_type="perp"),
     "contract_type: must be one of linear, inverse, quanto (got 'perp')"),
    (lambda: inst(contract_size=0), "contract_size: must be > 0 (got 0)"),
    (lambda: inst(lot_size=-1), "lot_size: must be > 0 (got -1)"),
    (lambda: inst(tick_size=-0.5), "tick_size: must be >= 0 (got -0.5)"),
    (lambda: inst(min_notional=-5), "min_notional: must be >= 0 (got -5)"),
    (lambda: inst(contract_type="quanto"), "settle: a quanto contract needs its settle currency (got '')"),
    (lambda: QUANTO.notional_coin(1, 100),
     "contract_type: quanto coin exposure needs the settle price; use notional_usd(...)/price"),
    (lambda: QUANTO.notional_usd(1, 100),
     "settle_usd: a quanto contract needs the settle coin's USD price (got None)"),
    (lambda: QUANTO.settle_to_usd(1.0, 100),
     "settle_usd: a quanto contract needs the settle coin's USD price (got None)"),
    (lambda: LIN.round_contracts(1.5, "sideways"), "mode: must be one of down, up, nearest (got 'sideways')"),
    (lambda: average_entry(LIN, [(0, 100)]), "contracts: must be > 0 (got 0)"),
    (lambda: average_entry(LIN, [(1, -100)]), "price: must be > 0 (got -100)"),
    (lambda: average_entry(LIN, []), "fills: needs at least one fill"),
    # margin
    (lambda: build_tiers([(0, 10, 0.01)]), "tiers[0]: must be (floor, cap, mmr, max_leverage) (got (0, 10, 0.01))"),
    (lambda: build_tiers([(-1, 10, 0.01, 10)]), "tiers[0].floor: must be >= 0 (got -1.0)"),
    (lambda: build_tiers([(0, 10, 1.5, 10)]), "tiers[0].mmr: must be in [0, 1) (got 1.5)"),
    (lambda: build_tiers([(0, 10, 0.01, 0)]), "tiers[0].max_leverage: must be > 0 (got 0.0)"),
    (lambda: build_tiers([(0, 10, 0.01, 10), (10, 10, 0.02, 5)]), "tiers[1].cap: must be > floor (got 10.0)"),
    (lambda: build_tiers([(0, 10, 0.01, 10), (11, 20, 0.02, 5)]),
     "tiers[1].floor: must equal the previous tier's cap (got 11.0)"),
    (lambda: build_tiers([(0, 10, 0.02, 10), (10, 20, 0.01, 5)]),
     "tiers[1].mmr: must not be below the previous tier's (got 0.01)"),
    (lambda: build_tiers([]), "tiers: needs at least one tier"),
    (lambda: tier_for([], 1.0), "tiers: needs at least one tier"),
    (lambda: initial_margin(LIN, -1, 100, 10), "contracts: must be > 0 (got -1)"),
    (lambda: initial_margin(LIN, 1, 0, 10), "price: must be > 0 (got 0)"),
    (lambda: initial_margin(LIN, 1, 100, 0), "leverage: must be > 0 (got 0)"),
    (lambda: maintenance_margin(LIN, 0, 100, mmr=0.01), "contracts: must be > 0 (got 0)"),
    (lambda: maintenance_margin(LIN, 1, -100, mmr=0.01), "price: must be > 0 (got -100)"),
    (lambda: maintenance_margin(LIN, 1, 100, mmr=1.0), "mmr: must be in [0, 1) (got 1.0)"),
    (lambda: maintenance_margin(LIN, 1, 100, mmr=0.01, maint_amount=math.nan),
     "maint_amount: must be a finite number (got nan)"),
    (lambda: maintenance_margin(LIN, 1, 100), "mmr: give a maintenance-margin rate or tiers"),
    (lambda: liq(contracts=0), "contracts: must be > 0 (got 0)"),
    (lambda: liq(entry=-1), "entry: must be > 0 (got -1)"),
    (lambda: liq(taker_fee=1.0), "taker_fee: must be in [0, 1) (got 1.0)"),
    (lambda: liq(margin_mode="cross", other_maintenance=math.inf),
     "other_maintenance: must be a finite number (got inf)"),
    (lambda: liq(margin_mode="cross", other_upnl="x"), "other_upnl: must be a finite number (got 'x')"),
    (lambda: liq(wallet=None), "wallet: give the margin (wallet) or a leverage"),
    (lambda: liq(wallet=None, leverage=0), "leverage: must be > 0 (got 0)"),
    (lambda: liq(wallet=math.nan), "wallet: must be a finite number (got nan)"),
    (lambda: liq(leverage=-2), "leverage: must be > 0 (got -2)"),
    (lambda: liq(other_maintenance=1.0), "other_maintenance: applies to cross margin only (got 1.0)"),
    (lambda: liq(other_upnl=-1.0), "other_upnl: applies to cross margin only (got -1.0)"),
    (lambda: liq(mmr=-0.1), "mmr: must be in [0, 1) (got -0.1)"),
    (lambda: liq(maint_amount=math.inf), "maint_amount: must be a finite number (got inf)"),
    (lambda: liq(mmr=None), "mmr: give a maintenance-margin rate or tiers"),
    (lambda: liq(instrument=INV, convention="dydx"), "convention: applies to linear contracts only (got 'dydx')"),
    (lambda: liq(instrument=INV, convention="hyperliquid"),
     "convention: applies to linear contracts only (got 'hyperliquid')"),
    # funding
    (lambda: funding_payment(LIN, "short", 0, 100, 0.0001), "contracts: must be > 0 (got 0)"),
    (lambda: funding_payment(LIN, "short", 1, -100, 0.0001), "ref_price: must be > 0 (got -100)"),
    (lambda: funding_payment(LIN, "short", 1, 100, math.nan), "rate: must be a finite number (got nan)"),
    (lambda: annualize_rate(math.inf, 8), "rate: must be a finite number (got inf)"),
    (lambda: annualize_rate(0.0001, 0), "interval_hours: must be > 0 (got 0)"),
    (lambda: funding_carry(LIN, "short", 1, 100, 0.0001, days=-1), "days: must be >= 0 (got -1)"),
    (lambda: funding_carry(DATED, "short", 1, 100, 0.0001, days=1),
     "interval_hours: needs the funding interval of a perpetual (got None)"),
    (lambda: funding_carry(DERIBIT, "short", 1, 100, 0.0001, days=1),
     "interval_hours: needs the funding interval of a perpetual (got 0)"),
    (lambda: funding_carry(LIN, "short", 1, 100, 0.0001, days=1, interval_hours=-8),
     "interval_hours: must be > 0 (got -8)"),
    (lambda: basis(0, 100), "future: must be > 0 (got 0)"),
    (lambda: basis(100, -1), "spot: must be > 0 (got -1)"),
    (lambda: basis_pct(100, 0), "spot: must be > 0 (got 0)"),
    (lambda: annualized_basis(101, 100, 0), "days_to_expiry: must be > 0 (got 0)"),
    (lambda: roll_cost("long", 0, 100), "near_price: must be > 0 (got 0)"),
    (lambda: roll_cost("long", 100, -1), "far_price: must be > 0 (got -1)"),
    (lambda: roll_cost("long", 100, 101, fee_rate=-0.001), "fee_rate: must be >= 0 (got -0.001)"),
]


@pytest.mark.parametrize(("call", "message"), CASES, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(CASES)])
def test_bad_input_message_names_field_and_value(call, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == message
    assert info.value.field == message.split(":")[0]

