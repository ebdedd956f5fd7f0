"""Scenario edges: the -99% floor on beta x shock, through the public API with explicit prices."""

from __future__ import annotations

import pytest

import hedgekit

# 1 BTC at 50,000 and 100 SOL at 100 (10,000 USD); SOL moves twice as much as BTC in the grid.
BOOK = {"holdings": [{"asset": "BTC", "amount": 1}, {"asset": "SOL", "amount": 100}],
        "hedge": {"ratio": 0}, "scenario": {"betas": {"SOL": 2}}}
PRICES = {"BTC": 50_000, "SOL": 100}
CAP_NOTE = "SOL: beta x shock below -100% capped at -99%"


def scenarios(book: dict, shocks: list[float]):
    plan = hedgekit.plan(hedgekit.parse_portfolio(book), PRICES)
    return hedgekit.run_scenarios(plan, shocks, horizon_days=0)


def test_beta_times_shock_below_minus_100_is_capped_at_minus_99():
    # BTC -60%: SOL would move 2 x -60% = -120%, a negative price; it is floored at -99%.
    # Unhedged: BTC 1 x 50,000 x -0.60 = -30,000; SOL 100 x 100 x -0.99 = -9,900 -> -39,900.
    res = scenarios(BOOK, [-60])
    (row,) = res.rows
    assert row.moves["BTC"] == pytest.approx(-0.60)
    assert row.moves["SOL"] == -0.99
    assert row.spot_pnl_usd == pytest.approx(-39_900, rel=1e-12)
    assert row.net_usd == pytest.approx(-39_900, rel=1e-12)
    assert CAP_NOTE in res.notes


def test_exactly_minus_100_is_capped_and_a_move_above_the_floor_is_not():
    # BTC -50%: 2 x -50% = -100% exactly, capped to -99% (SOL keeps 1% of its price);
    # BTC -40%: 2 x -40% = -80%, above the floor, applied as is: 100 x 100 x -0.8 = -8,000.
    res = scenarios(BOOK, [-50, -40])
    capped, free = res.rows
    assert capped.moves["SOL"] == -0.99
    assert capped.spot_pnl_usd == pytest.approx(-25_000 - 9_900, rel=1e-12)
    assert free.moves["SOL"] == pytest.approx(-0.80)
    assert free.spot_pnl_usd == pytest.approx(-20_000 - 8_000, rel=1e-12)
    assert res.notes.count(CAP_NOTE) == 1  # one note however many rows hit the floor


def test_no_cap_no_note():
    res = scenarios(BOOK, [-40, 0, 50])
    assert CAP_NOTE not in res.notes


def test_a_full_hedge_still_nets_zero_at_the_floor():
    # Hedged 1:1 with BTCUSDT and SOLUSDT shorts (lot 0.001 BTC and 1 SOL: 1 and 100 contracts
    # exactly). The short SOL leg is priced at the capped SOL price too: 100 x (100 - 1) = +9,900,
    # BTC's 1 x (50,000 - 20,000) = +30,000; with no funding horizon the book nets to zero.
    book = {**BOOK, "hedge": {"ratio": 1, "venues": ["binance-usdm"]}}
    (row,) = scenarios(book, [-60]).rows
    assert row.hedge_pnl_usd == pytest.approx(39_900, rel=1e-12)
    assert row.net_usd == pytest.approx(0, abs=1e-6)
    assert not row.liquidated  # a short is not liquidated by a fall
