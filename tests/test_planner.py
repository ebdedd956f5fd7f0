"""The hedge planner: sizing, rounding, margin, liquidation, carry and warnings (issue 3)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.errors import InputError
from hedgekit.instruments import Side
from hedgekit.margin import initial_margin, liquidation_price
from hedgekit.planner import plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.scenarios import run_scenarios
from hedgekit.venues import get_venue

# A CME-style 1-BTC linear future (lot 1 contract), priced with binance-usdm's fees and margin rate.
ONE_BTC = {"venue": "binance-usdm", "symbol": "BTC-1", "contract_type": "linear",
           "contract_size": 1, "base": "BTC", "lot_size": 1}


def book(holdings, prices, **hedge):
    return parse_portfolio({"holdings": holdings, "prices": prices, "hedge": hedge})


def codes(p):
    return [w.code for w in p.warnings]


# ----------------------------------------------------------------------------- worked examples
# Each of these is one of the issue 3 worked examples, taken from the articles hedgekit grew from.

def test_example_5_btc_full_hedge_nets_zero():
    # issue 3 worked examples / article: 5 BTC at 65,000, 1-BTC linear contracts, full hedge:
    # short 5; BTC -10%: spot -32,500, hedge +32,500, net 0.
    p = plan(book([{"asset": "BTC", "amount": 5}], {"BTC": 65_000}, instruments={"BTC": ONE_BTC},
                  default_funding_rate_8h=0.0))
    (leg,) = p.legs
    assert leg.side is Side.SHORT and leg.contracts == 5 and leg.contracts_exact == pytest.approx(5)
    assert leg.notional_usd == pytest.approx(325_000)
    (row,) = run_scenarios(p, [-10], horizon_days=0).rows
    assert row.spot_pnl_usd == pytest.approx(-32_500)
    assert row.hedge_pnl_usd == pytest.approx(32_500)
    assert row.net_usd == pytest.approx(0, abs=1e-6)


def test_example_btc_and_eth_exposure_855k():
    # issue 3 worked examples / article: 10 BTC at 68,000 and 50 ETH at 3,500: exposure 855,000;
    # the BTC leg is 10 contracts.
    p = plan(book([{"asset": "BTC", "amount": 10}, {"asset": "ETH", "amount": 50}],
                  {"BTC": 68_000, "ETH": 3_500}, venues=["binance-usdm"]))
    assert p.totals()["exposure_usd"] == pytest.approx(855_000)
    btc = next(leg for leg in p.legs if leg.asset == "BTC")
    assert btc.contracts == pytest.approx(10) and btc.symbol == "BTCUSDT"
    eth = next(leg for leg in p.legs if leg.asset == "ETH")
    assert eth.contracts == pytest.approx(50)


def test_example_altcoin_beta_rounding_alternatives():
    # issue 3 worked examples / article: a 50,000 USD altcoin book with beta 1.8 to BTC at
    # 65,000, 1-BTC contracts: 1.3846 contracts; the plan shows 1 (under-hedged) and 2
    # (over-hedged) with their residuals.
    p = plan(book([{"asset": "ALT", "amount": 50_000}], {"ALT": 1.0, "BTC": 65_000},
                  method="beta", betas={"ALT": 1.8}, proxies={"ALT": "BTC"},
                  instruments={"ALT": ONE_BTC}))
    (leg,) = p.legs
    assert leg.contracts_exact == pytest.approx(50_000 * 1.8 / 65_000)
    assert round(leg.contracts_exact, 4) == 1.3846
    down, up = leg.alternatives
    assert (down.contracts, up.contracts) == (1, 2)
    assert down.residual_usd == pytest.approx(90_000 - 65_000)      # under-hedged by 25,000
    assert up.residual_usd == pytest.approx(90_000 - 130_000)       # over-hedged by 40,000
    assert down.residual_pct == pytest.approx(100 * 25_000 / 90_000)
    assert leg.contracts == 1 and leg.residual_usd == pytest.approx(25_000)  # nearest
    assert "proxy-residual" in codes(p)


def test_example_half_hedge_halves_the_loss():
    # issue 3 worked examples / article: 10 BTC at 50,000, 50% hedge: short 5 BTC; -10%:
    # net -25,000 instead of -50,000.
    p = plan(book([{"asset": "BTC", "amount": 10}], {"BTC": 50_000}, ratio=0.5,
                  instruments={"BTC": ONE_BTC}, default_funding_rate_8h=0.0))
    (leg,) = p.legs
    assert leg.contracts == 5 and leg.hedge_ratio_effective == pytest.approx(0.5)
    (row,) = run_scenarios(p, [-10], horizon_days=0).rows
    assert row.spot_pnl_usd == pytest.approx(-50_000)
    assert row.net_usd == pytest.approx(-25_000)


def test_example_100k_usd_of_eth_is_33_33_eth_of_linear_contracts():
    # issue 3 worked examples / article: 100,000 USD of ETH at 3,000: 33.33 ETH of linear contracts.
    p = plan(book([{"asset": "ETH", "amount": 100_000 / 3_000}], {"ETH": 3_000},
                  venues=["binance-usdm"]))
    (leg,) = p.legs
    assert leg.contract_type.value == "linear"
    assert leg.contracts_exact == pytest.approx(33.3333, abs=1e-4)
    assert leg.notional_coin == pytest.approx(33.333, abs=1e-9)       # lot 0.001 ETH
    assert abs(leg.residual_usd) < 0.001 * 3_000


def test_example_inverse_hedge_both_views():
    # issue 3 worked examples / article: 100 ETH with an inverse ETH hedge of 50 ETH notional,
    # ETH -20%: spot -20 ETH-equivalent, hedge +12.5 ETH (worth 10 ETH at the old price).
    p = parse_portfolio({
        "holdings": [{"asset": "ETH", "amount": 100}], "prices": {"ETH": 3_000},
        "hedge": {"ratio": 0.5, "venues": ["binance-coinm"], "benchmark": "ETH",
                  "default_funding_rate_8h": 0.0}})
    hp = plan(p)
    (leg,) = hp.legs
    assert leg.contract_type.value == "inverse" and leg.settle == "ETH"
    assert leg.notional_usd == pytest.approx(150_000) and leg.contracts == 15_000  # 10 USD each
    (row,) = run_scenarios(hp, [-20], horizon_days=0).rows
    assert row.spot_pnl_coin_at_entry == pytest.approx(-20)
    assert row.legs[0].pnl_settle == pytest.approx(12.5)            # coin PnL, exact payoff
    assert row.hedge_pnl_coin == pytest.approx(12.5)
    assert row.hedge_pnl_coin_at_entry == pytest.approx(10)
    assert row.hedge_pnl_usd == pytest.approx(30_000)
    assert row.net_usd == pytest.approx(-30_000)


def test_example_one_contract_on_100_eth_is_a_1pct_hedge():
    # issue 3 worked examples / article: 100 ETH hedged with one 1-ETH contract is a 1% hedge,
    # not a full one; the plan says so.
    p = plan(book([{"asset": "ETH", "amount": 100}], {"ETH": 3_000},
                  instruments={"ETH": {"venue": "binance-usdm", "symbol": "ETHUSDT", "contracts": 1}}))
    (leg,) = p.legs
    assert leg.fixed and leg.contracts == 1
    assert leg.hedge_ratio_effective == pytest.approx(0.01)
    (tiny,) = [w for w in p.warnings if w.code == "tiny-hedge"]
    assert "1.0% hedge" in tiny.message and "100%" in tiny.message


# ----------------------------------------------------------------------------- leg mechanics
def test_leg_margin_liquidation_and_fees_match_margin_module():
    p = plan(book([{"asset": "BTC", "amount": 2}], {"BTC": 60_000}, venues=["binance-usdm"],
                  leverage=2))
    (leg,) = p.legs
    venue = get_venue("binance-usdm")
    inst = venue.instrument("BTCUSDT")
    im = initial_margin(inst, 2, 60_000, 2)
    assert im == pytest.approx(60_000)
    assert leg.initial_margin == pytest.approx(im)
    ref = liquidation_price(inst, "short", 2, 60_000, im, tiers=venue.tiers("BTCUSDT"),
                            convention=venue.convention)
    assert leg.liquidation_price == pytest.approx(ref.liquidation_price)
    # independent: linear short, MM at LP: LP = (W + cum + q*EP) / (q*MMR + q) (MECHANICS.md 1.3)
    tier = next(t for t in venue.tiers("BTCUSDT") if t.floor <= 2 * ref.liquidation_price < t.cap)
    assert leg.liquidation_price == pytest.approx((im + tier.cum + 2 * 60_000) / (2 * tier.mmr + 2))
    assert leg.liquidation_distance_pct == pytest.approx(100 * (leg.liquidation_price / 60_000 - 1))
    assert leg.fee_open == pytest.approx(120_000 * venue.taker_fee)
    assert leg.collateral_needed == pytest.approx(im + leg.fee_open)


def test_funding_carry_short_receives_positive_rate():
    p = plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 50_000}, venues=["binance-usdm"],
                  funding_rates={"BTC": 0.0001}))
    (leg,) = p.legs
    # 3 settlements a day x 50,000 x 0.01%, received by the short
    assert leg.funding_per_day_usd == pytest.approx(15.0)
    assert leg.funding_30d_usd == pytest.approx(450.0)
    assert not leg.funding_assumed
    paid = plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 50_000}, venues=["hyperliquid"],
                     funding_rates={"BTC": -0.0001})).legs[0]
    # hourly venue: the 8h rate is paid in eighths every hour -> same per day
    assert paid.funding_interval_hours == 1 and paid.funding_per_day_usd == pytest.approx(-15.0)


def test_inverse_1x_hedged_coin_has_no_liquidation_price():
    # MECHANICS.md 3: a 1x inverse short collateralised by the hedged coin cannot be liquidated
    p = plan(book([{"asset": "BTC", "amount": 3}], {"BTC": 60_000}, venues=["binance-coinm"],
                  leverage=1))
    (leg,) = p.legs
    assert leg.collateral.value == "hedged-coin" and leg.liquidation_price is None
    assert leg.initial_margin == pytest.approx(3.0)
    assert "coin-collateral-long" not in codes(p)


def test_inverse_with_separate_coin_collateral_warns_unhedged_long():
    p = plan(book([{"asset": "BTC", "amount": 3}], {"BTC": 60_000}, venues=["binance-coinm"],
                  leverage=2, collateral="coin", default_funding_rate_8h=0.0))
    (leg,) = p.legs
    assert leg.extra_coin_collateral == pytest.approx(1.5 + leg.fee_open)
    assert "coin-collateral-long" in codes(p)
    (row,) = run_scenarios(p, [-10], horizon_days=0).rows
    # the extra coins lose 10% too: net = collateral x dP
    assert row.net_usd == pytest.approx(leg.extra_coin_collateral * -6_000, rel=1e-9)


def test_inverse_with_stablecoin_collateral_is_rejected():
    with pytest.raises(InputError, match="^hedge.collateral: BTCUSD_PERP .* use hedged-coin or coin"):
        plan(book([{"asset": "BTC", "amount": 3}], {"BTC": 60_000}, venues=["binance-coinm"],
                  collateral="stablecoins"))


def test_max_share_per_venue_splits_legs():
    p = plan(book([{"asset": "BTC", "amount": 10}, {"asset": "ETH", "amount": 100}],
                  {"BTC": 60_000, "ETH": 3_000}, venues=["binance-usdm", "bybit-linear", "okx"],
                  max_share_per_venue=0.4))
    total = sum(leg.notional_usd for leg in p.legs)
    assert total == pytest.approx(900_000, rel=1e-3)
    per_venue = {}
    for leg in p.legs:
        per_venue[leg.venue] = per_venue.get(leg.venue, 0) + leg.notional_usd
    assert len(per_venue) == 3 and max(per_venue.values()) <= 0.4 * total * 1.005
    assert "venue-concentration" not in codes(p)
    single = plan(book([{"asset": "BTC", "amount": 10}], {"BTC": 60_000}))
    assert "venue-concentration" in codes(single)


def test_warnings_onchain_leverage_and_close_liquidation():
    p = plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}, venues=["hyperliquid"],
                  leverage=10))
    assert {"onchain-risk", "high-leverage", "liquidation-close"} <= set(codes(p))
    calm = plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}, leverage=2))
    assert not {"onchain-risk", "high-leverage", "liquidation-close"} & set(codes(calm))


def test_leverage_above_venue_max_is_an_input_error():
    with pytest.raises(InputError, match=r"^hedge.leverage: dydx allows at most 20x"):
        plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}, venues=["dydx"], leverage=50))


def test_asset_without_future_uses_benchmark_and_needs_beta():
    doc = book([{"asset": "JUP", "amount": 1000}], {"JUP": 1.0, "BTC": 60_000}, method="beta")
    with pytest.raises(InputError, match=r"^hedge.betas.JUP: method beta needs the beta of JUP on BTC"):
        plan(doc)
    p = plan(book([{"asset": "JUP", "amount": 1000}], {"JUP": 1.0, "BTC": 60_000}, method="beta",
                  betas={"JUP": 1.5}))
    (leg,) = p.legs
    assert leg.hedge_asset == "BTC" and leg.target_notional_usd == pytest.approx(1500)


def test_unknown_venue_and_symbol_name_the_field():
    with pytest.raises(InputError, match=r"^hedge.venues\[1\]: unknown venue"):
        plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 1}, venues=["okx", "ftx"]))
    with pytest.raises(InputError, match=r"^hedge.instruments.BTC\[0\].symbol: not listed for okx"):
        plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 1},
                  instruments={"BTC": {"venue": "okx", "symbol": "BTCUSDT"}}))


def test_shared_position_liquidation_uses_total_size():
    p = plan(book([{"asset": "BTC", "amount": 1}, {"asset": "JUP", "amount": 100_000}],
                  {"BTC": 60_000, "JUP": 0.6}, venues=["binance-usdm"]))
    assert {leg.symbol for leg in p.legs} == {"BTCUSDT"}
    assert len({leg.liquidation_price for leg in p.legs}) == 1
    assert any("share one BTCUSDT" in n for n in p.notes)


def test_to_dict_has_the_issue_keys():
    d = plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000})).to_dict()
    assert {"asset", "amount", "value_usd", "delta_coin"} <= set(d["exposures"][0])
    assert {"venue", "symbol", "contract_type", "side", "contracts", "contract_size", "notional_usd",
            "hedge_ratio_effective", "residual_usd", "initial_margin", "liquidation_price",
            "funding_30d_usd"} <= set(d["legs"][0])
    assert isinstance(d["warnings"], list)


# ----------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(amount=st.floats(min_value=0.01, max_value=1_000), price=st.floats(min_value=1, max_value=1e5),
       shock=st.floats(min_value=-90, max_value=90))
def test_full_linear_hedge_nets_zero_up_to_one_lot(amount, price, shock):
    p = plan(book([{"asset": "BTC", "amount": amount}], {"BTC": price}, leverage=1,
                  instruments={"BTC": {**ONE_BTC, "lot_size": 0.001}}))
    (row,) = run_scenarios(p, [shock], horizon_days=0).rows
    assert not row.liquidated
    # without funding the only residual is the rounding: at most half a lot x price change
    assert abs(row.net_usd) <= 0.0005 * abs(price * shock / 100) * (1 + 1e-9) + 1e-9 * amount * price


@settings(max_examples=60, deadline=None)
@given(amount=st.floats(min_value=0.1, max_value=1_000), price=st.floats(min_value=10, max_value=1e5),
       shock=st.floats(min_value=-95, max_value=500))
def test_inverse_1x_hedged_coin_keeps_usd_value_for_any_move(amount, price, shock):
    # MECHANICS.md 3: 1x inverse short with the hedged coin as collateral holds its USD value
    p = plan(book([{"asset": "BTC", "amount": amount}], {"BTC": price}, leverage=1,
                  instruments={"BTC": {"venue": "binance-coinm", "symbol": "BTC-1USD",
                                       "contract_type": "inverse", "contract_size": 1e-6,
                                       "base": "BTC"}}))
    (row,) = run_scenarios(p, [shock], horizon_days=0).rows
    assert not row.liquidated
    assert abs(row.net_usd) <= 1e-6 * abs(price * shock / 100) / price + 1e-9 * amount * price


@given(amount=st.floats(min_value=1e-4, max_value=1e4), price=st.floats(min_value=0.01, max_value=1e5),
       lot=st.sampled_from([0.001, 0.01, 0.1, 1.0, 100.0]), mode=st.sampled_from(["nearest", "down", "up"]))
@settings(max_examples=80, deadline=None)
def test_rounding_residual_below_one_lot(amount, price, lot, mode):
    p = plan(book([{"asset": "BTC", "amount": amount}], {"BTC": price}, rounding=mode,
                  instruments={"BTC": {**ONE_BTC, "lot_size": lot}}))
    (leg,) = p.legs
    lot_usd = lot * price
    assert abs(leg.contracts - leg.contracts_exact) < lot * (1 + 1e-9)
    assert abs(leg.residual_usd) < lot_usd * (1 + 1e-9)
    down, up = leg.alternatives
    # Instrument.round_contracts treats counts within 1e-9 (relative) of a lot boundary as on it
    slack = 1e-8 * leg.target_notional_usd
    assert down.residual_usd >= -slack and up.residual_usd <= slack
    assert math.isclose(up.contracts - down.contracts, 0, abs_tol=1e-9) or \
        math.isclose(up.contracts - down.contracts, lot, rel_tol=1e-6)


# ----------------------------------------------------------------------------- stored history
def test_missing_prices_and_betas_come_from_the_data_store(data_dir, tmp_path, monkeypatch):
    import numpy as np

    from hedgekit.data import import_path, load_prices
    from hedgekit.market import snapshot_for

    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path))
    folder = data_dir / "prices" / "binance_spot_daily_8coins_2020-01_2026-02"
    for coin in ("BTC", "AVAX"):
        import_path(folder / f"{coin}_1D.json.gz")
    doc = {"holdings": [{"asset": "AVAX", "amount": 1000}],
           "hedge": {"method": "beta", "lookback_days": 365}}
    book_ = parse_portfolio(doc)
    # plan() itself is pure: with a full store beside it, it still reads nothing
    with pytest.raises(InputError, match=r"^holdings\[0\].asset: no price for AVAX"):
        plan(book_)
    snap = snapshot_for(book_)
    assert {a: p.source for a, p in snap.prices.items()} == {"AVAX": "store", "BTC": "store"}
    p = plan(book_, snap)
    frame = load_prices(["AVAX", "BTC"], freq="1d").dropna()
    assert p.prices["AVAX"] == pytest.approx(frame["AVAX"].iloc[-1])
    assert p.prices["BTC"] == pytest.approx(frame["BTC"].iloc[-1])
    # independent OLS slope of AVAX log returns on BTC log returns over the last 365 days
    window = np.log(frame.iloc[-366:].to_numpy())
    r = np.diff(window, axis=0)
    beta = np.cov(r[:, 0], r[:, 1], ddof=1)[0, 1] / np.var(r[:, 1], ddof=1)
    (leg,) = p.legs
    assert leg.hedge_asset == "BTC" and leg.beta == pytest.approx(beta, rel=1e-9)
    assert any("estimated from 365 daily returns" in n for n in p.notes)
    assert any(n.startswith("AVAX: price") and "local data store" in n for n in p.notes)

    # the minimum-variance branch: h* = rho * sigma_spot / sigma_future on the same window
    doc["hedge"]["method"] = "minvar"
    book_mv = parse_portfolio(doc)
    (mv,) = plan(book_mv, snapshot_for(book_mv)).legs
    rho = np.corrcoef(r[:, 0], r[:, 1])[0, 1]
    h_star = rho * np.std(r[:, 0], ddof=1) / np.std(r[:, 1], ddof=1)
    assert mv.beta == pytest.approx(h_star, rel=1e-9)
    assert mv.target_notional_usd == pytest.approx(h_star * 1000 * frame["AVAX"].iloc[-1], rel=1e-9)


def test_quanto_hedge_warns_settle_coin_exposure():
    p = plan(book([{"asset": "ETH", "amount": 10}], {"ETH": 3_000, "BTC": 60_000},
                  instruments={"ETH": {"venue": "bitmex", "symbol": "ETHUSD"}}))
    (leg,) = p.legs
    # BitMEX quanto: contract value = multiplier x price x BTC price = 1e-6 x 3,000 x 60,000 = 180 USD
    assert leg.contracts_exact == pytest.approx(30_000 / 180)
    assert {"quanto-settle", "coin-collateral-long"} <= set(codes(p))


def test_tier_max_leverage_warning():
    # Binance BTCUSDT tier 5 (12M-70M notional) allows 25x (venues.py, Binance tiers JSON)
    p = plan(book([{"asset": "BTC", "amount": 300}], {"BTC": 60_000}, venues=["binance-usdm"],
                  leverage=30))
    assert "tier-leverage" in codes(p)
    assert "tier-leverage" not in codes(plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000},
                                                  venues=["binance-usdm"], leverage=30)))


def test_zero_ratio_builds_no_legs():
    p = plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}, ratio=0))
    assert p.legs == () and p.totals()["hedge_notional_usd"] == 0


def test_hand_picked_proxy_needs_its_price():
    with pytest.raises(InputError, match=r"^hedge.instruments.SOL: no price for BTC"):
        plan(book([{"asset": "SOL", "amount": 10}], {"SOL": 150},
                  instruments={"SOL": {"venue": "binance-usdm", "symbol": "BTCUSDT"}}))


def test_holdings_on_the_hedge_exchange_are_flagged():
    p = plan(book([{"asset": "BTC", "amount": 1, "venue": "Binance"}], {"BTC": 60_000},
                  venues=["binance-usdm"]))
    (w,) = [w for w in p.warnings if w.code == "same-counterparty"]
    assert "60,000 USD of holdings sit on binance" in w.message
    assert "same-counterparty" not in codes(plan(book([{"asset": "BTC", "amount": 1, "venue": "ledger"}],
                                                      {"BTC": 60_000}, venues=["binance-usdm"])))


def test_recent_funding_rate_from_the_data_store(data_dir, tmp_path, monkeypatch):
    import pandas as pd

    from hedgekit.data import import_path
    from hedgekit.market import snapshot_for

    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path))
    path = data_dir / "funding" / "binance_usdm_BTCUSDT_funding_8h_2021-2024.csv.gz"
    import_path(path)
    doc = book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}, venues=["binance-usdm"],
               recent_funding_days=30)
    assert plan(doc).legs[0].funding_assumed  # plan() alone reads no store
    p = plan(doc, snapshot_for(doc))
    (leg,) = p.legs
    # independent: the file's last 30 days of 8h settlements, averaged
    raw = pd.read_csv(path)
    ts = pd.to_datetime(raw["funding_time"], utc=True, format="ISO8601")
    last = raw["funding_rate"][ts > ts.max() - pd.Timedelta(days=30)]
    assert leg.funding_rate_8h == pytest.approx(last.mean(), rel=1e-9)
    assert not leg.funding_assumed
    assert leg.funding_per_day_usd == pytest.approx(3 * 60_000 * last.mean())
    eth = book([{"asset": "ETH", "amount": 1}], {"ETH": 3_000}, venues=["bybit-linear"],
               recent_funding_days=30)
    missing = plan(eth, snapshot_for(eth))
    assert missing.legs[0].funding_assumed
    assert any("no stored funding history" in n for n in missing.notes)


def test_to_frame_and_summary():
    p = plan(book([{"asset": "BTC", "amount": 1}, {"asset": "ETH", "amount": 10}],
                  {"BTC": 60_000, "ETH": 3_000}))
    frame = p.to_frame()
    assert list(frame["asset"]) == ["BTC", "ETH"]
    assert frame["notional_usd"].sum() == pytest.approx(p.totals()["hedge_notional_usd"])
    assert "BTC: short 1 x BTCUSDT" in p.summary()


def test_ratio_above_one_is_flagged_as_net_short():
    p = plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000}, ratio=1.5))
    assert "over-hedge" in codes(p) and p.legs[0].contracts == pytest.approx(1.5)
    assert "over-hedge" not in codes(plan(book([{"asset": "BTC", "amount": 1}], {"BTC": 60_000})))
