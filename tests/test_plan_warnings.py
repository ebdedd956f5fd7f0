"""Plan warnings through the public API: ``hedgekit.plan(portfolio, prices)`` with explicit prices.

Every portfolio is written out here and every price is passed in, so no plan reads the local data
store. The numbers each message must show are worked out by hand in the test from the venue facts
(binance-usdm: BTCUSDT/ETHUSDT lot 0.001 and minimum notional 5 USDT, taker fee 0.04%;
binance-coinm: ETHUSD_PERP 10 USD a contract, taker fee 0.05%; hedgekit.venues cites each).
"""

from __future__ import annotations

import pytest

import hedgekit


def book(holdings: list[dict], **hedge) -> hedgekit.Portfolio:
    return hedgekit.parse_portfolio({"holdings": holdings, "hedge": hedge})


def only(plan, code: str) -> hedgekit.PlanWarning:
    found = [w for w in plan.warnings if w.code == code]
    assert len(found) == 1, [w.to_dict() for w in plan.warnings]
    return found[0]


def codes(plan) -> list[str]:
    return [w.code for w in plan.warnings]


def test_zero_contracts_when_the_exposure_is_under_half_a_lot():
    # 0.0004 BTC at 60,000 = 24 USD; one BTCUSDT contract is 1 BTC = 60,000 USD, so the exact count
    # is 24 / 60,000 = 0.0004 contracts: under half the 0.001 lot, nearest rounding gives 0.
    p = hedgekit.plan(book([{"asset": "BTC", "amount": 0.0004}]), {"BTC": 60_000})
    (leg,) = p.legs
    assert leg.contracts == 0
    w = only(p, "zero-contracts")
    assert w.asset == "BTC"
    assert w.message == ("BTC BTCUSDT@binance-usdm: 0.0004 contracts round to 0 at lot 0.001: "
                         "nothing is hedged")
    assert "below-min-notional" not in codes(p)  # nothing is traded, so no minimum applies


def test_below_min_notional_for_one_lot_of_eth():
    # 0.0012 ETH at 3,000: exact 0.0012 contracts, nearest lot 0.001 ETH; its notional is
    # 0.001 x 3,000 = 3.00 USDT, under Binance's 5 USDT minimum order.
    p = hedgekit.plan(book([{"asset": "ETH", "amount": 0.0012}]), {"ETH": 3_000})
    (leg,) = p.legs
    assert leg.contracts == pytest.approx(0.001)
    w = only(p, "below-min-notional")
    assert w.asset == "ETH"
    assert w.message == "ETH ETHUSDT@binance-usdm: notional 3.00 is below the venue minimum 5"


def test_one_lot_at_the_minimum_notional_is_not_flagged():
    # 0.001 ETH at 5,000 = 5.00 USDT: exactly the minimum, which is allowed
    p = hedgekit.plan(book([{"asset": "ETH", "amount": 0.001}]), {"ETH": 5_000})
    assert "below-min-notional" not in codes(p)


@pytest.mark.parametrize(("venue", "symbol", "interval_hours"),
                         [("binance-usdm", "BTCUSDT", 8), ("hyperliquid", "BTC", 1)])
def test_funding_paid_by_a_short_at_a_negative_rate(venue, symbol, interval_hours):
    # A short of 1 BTC at 50,000 with funding -0.03% per 8h: shorts pay longs when the rate is
    # negative. Per 8h: 50,000 x 0.0003 = 15 USD paid, whether settled 3 times a day at 0.03%
    # (Binance) or 24 times at 0.03%/8 = 0.00375% (Hyperliquid): 45 USD a day, 1,350 per 30 days.
    p = hedgekit.plan(book([{"asset": "BTC", "amount": 1}], venues=[venue],
                           funding_rates={"BTC": -0.0003}), {"BTC": 50_000})
    (leg,) = p.legs
    assert (leg.symbol, leg.funding_interval_hours) == (symbol, interval_hours)
    assert leg.funding_per_day_usd == pytest.approx(-45.0, rel=1e-12)
    w = only(p, "funding-paid")
    assert w.asset == "BTC"
    assert w.message == (f"BTC {symbol}@{venue}: pays funding at -0.0300%/8h: "
                         "-1,350 USD per 30 days")


def test_funding_received_is_not_a_warning():
    p = hedgekit.plan(book([{"asset": "BTC", "amount": 1}], funding_rates={"BTC": 0.0003}),
                      {"BTC": 50_000})
    assert "funding-paid" not in codes(p)


def test_collateral_short_of_free_stablecoins():
    # 1 BTC at 50,000 hedged 1:1 with BTCUSDT at 2x: initial margin 50,000 / 2 = 25,000 USDT plus
    # the opening fee 50,000 x 0.04% = 20 -> 25,020 USD of stablecoin margin. The book holds
    # 1,000 USDT free and 5,000 USDC lent with a 30-day unlock, which cannot be posted: 1,000.
    p = hedgekit.plan(book([{"asset": "BTC", "amount": 1},
                            {"kind": "cash", "asset": "USDT", "amount": 1_000},
                            {"kind": "lent", "asset": "USDC", "amount": 5_000, "unlock_days": 30}],
                           leverage=2),
                      {"BTC": 50_000})
    w = only(p, "collateral-short")
    assert w.asset is None
    assert w.message == ("the linear legs need 25,020 USD of stablecoin margin; the book holds "
                         "1,000 USD of free stablecoins (outside pools)")


def test_enough_free_stablecoins_is_not_short():
    p = hedgekit.plan(book([{"asset": "BTC", "amount": 1},
                            {"kind": "cash", "asset": "USDT", "amount": 30_000}], leverage=2),
                      {"BTC": 50_000})
    assert "collateral-short" not in codes(p)


def test_collateral_short_of_free_hedged_coins():
    # 10 ETH at 2,500 = 25,000 USD hedged with ETHUSD_PERP (10 USD a contract): 2,500 contracts,
    # a coin notional of 25,000 / 2,500 = 10 ETH. At 2x the margin is 5 ETH, plus the opening fee
    # 10 ETH x 0.05% = 0.005 ETH -> 5.005 ETH, taken from the hedged ETH itself (hedged-coin).
    # 8 of the 10 ETH are staked with a 5-day unlock, so only 2 ETH can move.
    p = hedgekit.plan(book([{"asset": "ETH", "amount": 2},
                            {"kind": "staked", "asset": "ETH", "amount": 8, "apy": 0.03,
                             "unlock_days": 5}],
                           venues=["binance-coinm"], benchmark="ETH", leverage=2),
                      {"ETH": 2_500})
    (leg,) = p.legs
    assert leg.contracts == 2_500 and leg.collateral.value == "hedged-coin"
    w = only(p, "collateral-short")
    assert w.asset == "ETH"
    assert w.message == ("the inverse legs need 5.005 ETH of margin; only 2 ETH of the book is free "
                         "to move (staked with an unlock or in pools is not)")


def test_venue_cap_when_no_other_venue_lists_the_coin(tmp_path):
    # BTC 1 at 60,000 and SOL 400 at 100 = 40,000: 100,000 USD to hedge, at most 50% a venue, so
    # 50,000 USD per venue. BTC (the larger target) goes first: 50,000 on binance-usdm, 10,000 on
    # bitmex. SOL is listed on binance-usdm only, which is full: all 40,000 USD are left over and
    # put on binance-usdm anyway.
    path = tmp_path / "book.yaml"
    path.write_text("holdings:\n"
                    "  - {asset: BTC, amount: 1}\n"
                    "  - {asset: SOL, amount: 400}\n"
                    "hedge:\n"
                    "  venues: [binance-usdm, bitmex]\n"
                    "  max_share_per_venue: 0.5\n")
    p = hedgekit.plan(hedgekit.load_portfolio(path), {"BTC": 60_000, "SOL": 100})
    w = only(p, "venue-cap")
    assert w.asset == "SOL"
    assert w.message == ("SOL: 40,000 USD could not be placed within max_share_per_venue 50% on the "
                         "venues that list a hedge for it; put on binance-usdm (add venues to "
                         "hedge.venues)")
    sol = [leg for leg in p.legs if leg.asset == "SOL"]
    assert [(leg.venue, leg.contracts) for leg in sol] == [("binance-usdm", 400)]
    btc = {leg.venue: leg.target_notional_usd for leg in p.legs if leg.asset == "BTC"}
    assert btc == pytest.approx({"binance-usdm": 50_000, "bitmex": 10_000})


def test_venue_cap_met_leaves_no_warning():
    # the same cap with BTC alone: 30,000 USD on each of two venues that both list BTC
    p = hedgekit.plan(book([{"asset": "BTC", "amount": 1}], venues=["binance-usdm", "bitmex"],
                           max_share_per_venue=0.5), {"BTC": 60_000})
    assert "venue-cap" not in codes(p)
    assert sorted(leg.target_notional_usd for leg in p.legs) == pytest.approx([30_000, 30_000])
