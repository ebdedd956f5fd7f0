"""Plan features users did by hand (issue 14): per-asset ratio and method, debt, downside beta.

Each expected number is derived in the test."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit.errors import InputError
from hedgekit.estimators import DownsideBeta
from hedgekit.market.snapshot import BetaEstimate, MarketSnapshot
from hedgekit.planner import plan
from hedgekit.portfolio import parse_portfolio


def test_per_asset_ratio_hedges_ten_percent_of_one_asset():
    # the articles' advice: start by hedging 10% of one asset, the rest fully
    doc = parse_portfolio({"prices": {"BTC": 60_000, "ETH": 3_000},
                           "holdings": [{"asset": "BTC", "amount": 2}, {"asset": "ETH", "amount": 100}],
                           "hedge": {"ratio": 1.0, "ratios": {"eth": 0.1}, "venues": ["binance-usdm"]}})
    legs = {leg.asset: leg for leg in plan(doc).legs}
    assert legs["ETH"].target_notional_usd == pytest.approx(0.1 * 100 * 3_000)   # 30,000 USD
    assert legs["ETH"].contracts == pytest.approx(10.0)                          # 10 ETHUSDT
    assert legs["BTC"].target_notional_usd == pytest.approx(2 * 60_000)


def test_per_asset_method_uses_its_own_beta():
    doc = parse_portfolio({"prices": {"BTC": 60_000, "SOL": 150},
                           "holdings": [{"asset": "BTC", "amount": 1}, {"asset": "SOL", "amount": 1000}],
                           "hedge": {"method": "notional", "methods": {"SOL": "beta"},
                                     "betas": {"SOL": 1.4}, "proxies": {"SOL": "BTC"},
                                     "venues": ["binance-usdm"]}})
    legs = {leg.asset: leg for leg in plan(doc).legs}
    assert legs["SOL"].beta == 1.4 and legs["SOL"].target_notional_usd == pytest.approx(1.4 * 150_000)
    assert legs["BTC"].beta == 1.0


def test_borrowed_coins_are_a_short_exposure_that_reduces_the_hedge():
    # 30 ETH held, 10 ETH borrowed at 4%/year: net delta 20 ETH -> hedge 20 ETH, and the
    # borrow cost 10 x 3,000 x 4% = 1,200 USD/year is taken off the yield
    doc = parse_portfolio({"prices": {"ETH": 3_000},
                           "holdings": [{"asset": "ETH", "amount": 30},
                                        {"kind": "borrowed", "asset": "ETH", "amount": 10, "apy": 0.04}],
                           "hedge": {"venues": ["binance-usdm"]}})
    p = plan(doc)
    (leg,) = p.legs
    assert p.exposure.get("ETH").delta_coin == 20 and leg.contracts == 20 and leg.side.value == "short"
    assert p.totals()["yield_per_year_usd"] == pytest.approx(-1_200)
    assert any("10 ETH borrowed" in n for n in p.exposure.unhedgeable)
    # more borrowed than held: a net short book is hedged with a long
    short = parse_portfolio({"prices": {"ETH": 3_000},
                             "holdings": [{"kind": "borrowed", "asset": "ETH", "amount": 5}],
                             "hedge": {"venues": ["binance-usdm"]}})
    (long_leg,) = plan(short).legs
    assert long_leg.side.value == "long" and long_leg.contracts == 5
    with pytest.raises(InputError, match=r"^holdings\[0\]\.amount: is required"):
        parse_portfolio({"prices": {"ETH": 1}, "holdings": [{"kind": "borrowed", "asset": "ETH"}]})


def test_downside_beta_of_the_articles_altcoin():
    # BTC moves -5%, -2.5%, +2.5%, +5% (repeated); the altcoin moves 4x BTC on down days
    # (-20% when BTC falls 5%) and 3x on up days (+15% when BTC rises 5%)
    btc = np.tile([-0.05, -0.025, 0.025, 0.05], 10)
    alt = np.where(btc < 0, 4 * btc, 3 * btc)
    fit = DownsideBeta().fit(alt, btc)
    assert fit.downside_beta_ == pytest.approx(4.0) and fit.upside_beta_ == pytest.approx(3.0)
    assert fit.hedge_ratio_ == fit.downside_beta_ and (fit.n_down_, fit.n_up_) == (20, 20)
    # the full-sample OLS slope mixes both: cov(alt, btc)/var(btc) = 3.5 here (symmetric moves)
    assert np.cov(alt, btc)[0, 1] / np.var(btc, ddof=1) == pytest.approx(3.5)


def test_method_downside_beta_sizes_with_the_snapshot_estimate():
    doc = parse_portfolio({"prices": {"BTC": 60_000, "JUP": 1.0},
                           "holdings": [{"asset": "JUP", "amount": 100_000}],
                           "hedge": {"method": "downside-beta", "venues": ["binance-usdm"]}})
    est = BetaEstimate(asset="JUP", hedge_asset="BTC", method="downside-beta", value=1.8,
                       correlation=0.7, n_obs=180)
    snap = MarketSnapshot.from_prices({"BTC": 60_000, "JUP": 1.0}).with_betas([est])
    (leg,) = plan(doc, snap).legs
    assert leg.beta == 1.8 and leg.target_notional_usd == pytest.approx(180_000)
    with pytest.raises(InputError, match="method downside-beta needs the beta of JUP on BTC"):
        plan(doc)


def test_bad_per_asset_values_name_the_field():
    base = {"prices": {"BTC": 1}, "holdings": [{"asset": "BTC", "amount": 1}]}
    with pytest.raises(InputError, match=r"^hedge.ratios.BTC: must be >= 0 \(got -1\)"):
        parse_portfolio({**base, "hedge": {"ratios": {"BTC": -1}}})
    with pytest.raises(InputError, match=r"^hedge.methods.BTC: must be one of notional, beta, minvar or downside-beta"):
        parse_portfolio({**base, "hedge": {"methods": {"BTC": "magic"}}})


def _dated_book(**hedge):
    return parse_portfolio({
        "prices": {"BTC": 60_000}, "holdings": [{"asset": "BTC", "amount": 10}],
        "hedge": {"leverage": 2, "instruments": {"BTC": {
            "venue": "binance-usdm", "symbol": "BTCUSDT_261225", "contract_type": "linear",
            "contract_size": 1, "base": "BTC", "lot_size": 0.001,
            "expiry": "2026-12-25T08:00:00Z", "price": 61_200}}, **hedge}})


def test_dated_future_leg_shows_basis_carry_and_the_perpetual_alternative():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 9, 26, 8, tzinfo=UTC)          # 90 days before expiry
    (leg,) = plan(_dated_book(), now=now).legs
    d = leg.dated
    # a linear future hedges 1 BTC per 1-BTC contract whatever its price: 10 contracts
    assert leg.contracts == 10 and leg.price == 61_200 and leg.funding_per_day == 0
    assert d.days_to_expiry == pytest.approx(90.0)
    assert d.basis == 1_200 and d.basis_pct == pytest.approx(0.02)
    assert d.basis_apr == pytest.approx(0.02 * 365 / 90)                 # 8.11% a year
    assert d.carry_to_expiry_usd == pytest.approx(10 * 1_200)            # the short earns the basis
    # a perpetual short of 10 BTC at the default 0.01%/8h: 10 x 60,000 x 0.0001 x 3 x 90 = 16,200
    assert d.perp_funding_usd == pytest.approx(16_200) and d.cheaper == "perpetual"
    assert d.roll_date == datetime(2026, 12, 22, 8, tzinfo=UTC)          # 3 days before expiry
    assert d.roll_fees_usd == pytest.approx(2 * 0.0004 * 10 * 60_000)
    # margin and fees at the future's own price: IM = 10 x 61,200 / 2
    assert leg.initial_margin == pytest.approx(306_000)
    # with funding at 0.001%/8h the perpetual earns only 1,620: the dated future is cheaper
    (cheap,) = plan(_dated_book(funding_rates={"BTC": 0.00001}), now=now).legs
    assert cheap.dated.cheaper == "dated"
    assert any("the dated future costs less by 10,380 USD" in n for n in plan(
        _dated_book(funding_rates={"BTC": 0.00001}), now=now).notes)
    # without a clock there is no time to expiry: the carry is not computed, never guessed
    assert plan(_dated_book()).legs[0].dated is None
    # after expiry it is named
    assert any("expired on 2026-12-25" in n for n in plan(_dated_book(), now=now + timedelta(days=91)).notes)


def test_inverse_dated_future_is_sized_on_delta_at_its_own_price():
    # 10 BTC hedged with an inverse quarterly of 100 USD face at 61,200: each contract hedges
    # 100/61,200 BTC, so 10 BTC need 10 x 61,200 / 100 = 6,120 contracts (not 6,000 at spot)
    doc = parse_portfolio({
        "prices": {"BTC": 60_000}, "holdings": [{"asset": "BTC", "amount": 10}],
        "hedge": {"leverage": 1, "instruments": {"BTC": {
            "venue": "binance-coinm", "symbol": "BTCUSD_261225", "contract_type": "inverse",
            "contract_size": 100, "base": "BTC", "expiry": "2026-12-25T08:00:00Z", "price": 61_200}}}})
    (leg,) = plan(doc).legs
    assert leg.contracts == 6_120


def test_yield_given_up_on_coins_posted_as_margin_and_gas_on_chain():
    # 100 staked ETH at 4%: an inverse 1x short margined with the hedged coin posts
    # 100 ETH (+ the opening fee) as margin: about 100 x 3,000 x 4% = 12,000 USD a year given up
    doc = parse_portfolio({"prices": {"ETH": 3_000},
                           "holdings": [{"asset": "ETH", "amount": 100, "kind": "staked", "apy": 0.04}],
                           "hedge": {"venues": ["binance-coinm"], "leverage": 1,
                                     "collateral": "hedged-coin"}})
    p = plan(doc)
    (leg,) = p.legs
    expected = leg.collateral_needed * 0.04 * 3_000
    assert expected == pytest.approx(12_000, rel=1e-3)
    assert p.totals()["yield_given_up_per_year_usd"] == pytest.approx(expected)
    assert "yield-given-up" in {w.code for w in p.warnings}
    # gas: 2 transactions (open, close) at the venue's gas per transaction
    onchain = parse_portfolio({"prices": {"ETH": 3_000}, "holdings": [{"asset": "ETH", "amount": 10}],
                               "hedge": {"venues": ["hyperliquid"], "gas_usd_per_tx": {"hyperliquid": 0.5}}})
    assert plan(onchain).totals()["gas_usd"] == pytest.approx(1.0)


def test_scenario_takes_data_dir(tmp_path, run_cli, data_dir, monkeypatch):
    from hedgekit.data import Store, import_path

    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "default-is-empty"))
    store = tmp_path / "mine"
    import_path(data_dir / "prices" / "binance_spot_daily_8coins_2020-01_2026-02" / "BTC_1D.json.gz",
                store=Store(store))
    path = tmp_path / "b.yaml"
    path.write_text("holdings: [{asset: BTC, amount: 1}]\n")
    code, out, err = run_cli("scenario", str(path))
    assert code == 2 and "no price for BTC" in err          # the default store is empty
    code, out, err = run_cli("scenario", str(path), "--data-dir", str(store), "--json")
    assert code == 0, err                                    # --data-dir's store has BTC
