"""Monte Carlo risk engine (issue 15): kernels vs the plain-Python reference, the intrabar
barrier-crossing probability vs its closed form, VaR of a hedged book, seeds."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from hedgekit.planner import plan
from hedgekit.portfolio import load_portfolio, parse_portfolio
from hedgekit.risk import ModelParams, check_run, pack_plan, simulate, summarize
from hedgekit.risk import kernels as K
from hedgekit.risk._reference import evaluate_paths
from hedgekit.risk.engine import plan_assets

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "portfolio.yaml"
PHI = NormalDist().cdf


def one_btc_book(leverage: float, ratio: float = 1.0, funding: float = 0.0):
    """1 BTC at 60,000 hedged with BTCUSDT on binance-usdm (0.001 BTC lot: 1 BTC exactly)."""
    return plan(parse_portfolio({
        "holdings": [{"asset": "BTC", "amount": 1}], "prices": {"BTC": 60_000},
        "hedge": {"ratio": ratio, "leverage": leverage, "venues": ["binance-usdm"],
                  "default_funding_rate_8h": funding}}))


def gbm(assets, sigma, fund_day=0.0):
    n = len(assets)
    return ModelParams(model="gbm", assets=tuple(assets), sigma=np.full(n, sigma), corr=np.eye(n),
                       fund_day=np.full(n, fund_day))


def crossing_probability(barrier: float, sigma: float, days: int) -> float:
    """P(max_{s<=T} X_s >= b) for X_s = nu*s + sigma*W_s, nu = -sigma^2/2 (the log of a price
    with no drift), b > 0. Reflection principle for W plus a Girsanov change of drift
    (Shreve, Stochastic Calculus for Finance II, section 7.2.1, first-passage distribution of a
    drifted Brownian motion): P = Phi((nu T - b)/(sigma sqrt T)) + exp(2 nu b / sigma^2) *
    Phi((-b - nu T)/(sigma sqrt T))."""
    nu = -0.5 * sigma * sigma
    s = sigma * math.sqrt(days)
    return PHI((nu * days - barrier) / s) + math.exp(2 * nu * barrier / sigma**2) * PHI((-barrier - nu * days) / s)


@pytest.mark.parametrize("leverage", [3, 5, 10, 20])
def test_gbm_short_liquidation_matches_the_reflection_principle(leverage):
    p = one_btc_book(leverage)
    (leg,) = p.legs
    assert leg.contracts == 1 and leg.liquidation_price > leg.price
    sigma, days, paths = 0.035, 30, 40_000
    book = pack_plan(p, days)
    barrier = math.log(leg.liquidation_price / leg.price)
    expected = crossing_probability(barrier, sigma, days)
    (res,) = simulate(book, gbm(book.assets, sigma), paths=paths, horizon_days=days, seed=7)
    (closes,) = simulate(book, gbm(book.assets, sigma), paths=paths, horizon_days=days, seed=7, intrabar=False)
    se = math.sqrt(expected * (1 - expected) / paths)
    got = res.leg_liquidated[0]
    at_close = closes.leg_liquidated[0]
    assert abs(got - expected) < 3 * se, (got, expected, se)
    # counting closes only misses the crossings between two closes: measurably lower
    assert at_close < expected - 3 * se, (at_close, expected, se)


def test_kernel_matches_the_plain_python_reference_on_the_example_book():
    p = plan(load_portfolio(EXAMPLE))
    p_inv = plan(parse_portfolio({
        "holdings": [{"asset": "BTC", "amount": 2}, {"asset": "ETH", "amount": 30, "kind": "staked", "apy": 0.04},
                     {"kind": "lp", "pool": "ETH/BTC", "model": "concentrated", "liquidity": 40,
                      "lower": 0.04, "upper": 0.07}],
        "prices": {"BTC": 65_000, "ETH": 3_500},
        "hedge": {"leverage": 8, "venues": ["binance-coinm"], "contract_type": "inverse"}}))
    for pl in (p, p_inv):
        assets = plan_assets(pl)
        days, n = 12, 64
        book = pack_plan(pl, days, assets)
        params = gbm(assets, 0.06, fund_day=0.0004).with_basis(book.basis0)
        args = params.kernel_args()
        ends = np.empty((n, len(assets), K.N_ENDS))
        run = np.empty((K.N_RUN, n, days, len(assets)))
        raw = np.empty((n, days, len(assets), 5))
        K.draw_block(args[0], n, days, True, *args[1:], *params.random_block(11, 0, n, days), ends, run, True, raw)
        out = np.empty((n, K.N_OUT))
        legs = np.empty((n, len(book.legs.asset), K.N_LEG_OUT))
        K.evaluate_block(n, days, ends, run, *book.book_args(), *book.legs.args(), out, legs)
        ref = evaluate_paths(pl, assets, days, raw, n)
        # the paths cover liquidations, top-ups without liquidation and quiet legs
        assert any(any(r["liquidated"]) for r in ref)
        assert any(t and not g for r in ref for t, g in zip(r["topup"], r["liquidated"], strict=True))
        assert any(not t for r in ref for t in r["topup"])
        for i, r in enumerate(ref):
            assert out[i, K.O_NET] == pytest.approx(r["net"], rel=1e-9, abs=1e-6)
            assert out[i, K.O_UNHEDGED] == pytest.approx(r["unhedged"], rel=1e-9, abs=1e-6)
            assert out[i, K.O_FUNDING] == pytest.approx(r["funding"], rel=1e-9, abs=1e-6)
            assert list(legs[i, :, K.L_LIQUIDATED] == 1.0) == r["liquidated"]
            assert list(legs[i, :, K.L_TOPUP] == 1.0) == r["topup"]
            assert legs[i, :, K.L_TOPUP_USD] == pytest.approx(r["topup_usd"], rel=1e-9, abs=1e-6)


def test_fully_hedged_linear_book_has_var_near_zero():
    p = one_btc_book(leverage=1)  # 1x: the liquidation price is twice the entry, out of reach
    book = pack_plan(p, 30)
    unhedged_book = pack_plan(one_btc_book(leverage=1, ratio=0.0), 30)
    (res,) = simulate(book, gbm(book.assets, 0.02), paths=20_000, horizon_days=30, seed=3)
    (bare,) = simulate(unhedged_book, gbm(book.assets, 0.02), paths=20_000, horizon_days=30, seed=3)
    hedged = summarize(book, res, model="gbm", seed=3, horizon_days=30)
    alone = summarize(unhedged_book, bare, model="gbm", seed=3, horizon_days=30)
    assert res.leg_liquidated[0] == 0.0
    # the spot and the short move together, penny for penny, with no funding and no basis
    assert abs(hedged["net_usd"]["var_95"]) < 1e-6 * alone["net_usd"]["var_95"]
    assert abs(hedged["net_usd"]["cvar_99"]) < 1e-6 * alone["net_usd"]["cvar_99"]
    # ... and the unhedged run is the same paths: its VaR is the spot's
    assert alone["net_usd"] == alone["unhedged_usd"] == hedged["unhedged_usd"]
    # 5% quantile of a lognormal 30-day move, sigma 2%/day, no drift: 60,000*(exp(-s^2/2 + s*z05) - 1)
    s = 0.02 * math.sqrt(30)
    expected = -60_000 * (math.exp(-0.5 * s * s + s * NormalDist().inv_cdf(0.05)) - 1)
    se = math.sqrt(0.05 * 0.95 / 20_000) / NormalDist().pdf(NormalDist().inv_cdf(0.05)) * 60_000 * s
    assert alone["net_usd"]["var_95"] == pytest.approx(expected, abs=4 * se)


def test_same_seed_same_numbers_other_seed_within_error():
    p = one_btc_book(leverage=5, funding=0.0001)
    book = pack_plan(p, 30)
    model = gbm(book.assets, 0.035, fund_day=0.0003)
    a = summarize(book, simulate(book, model, paths=10_000, horizon_days=30, seed=1)[0],
                  model="gbm", seed=1, horizon_days=30)
    b = summarize(book, simulate(book, model, paths=10_000, horizon_days=30, seed=1)[0],
                  model="gbm", seed=1, horizon_days=30)
    c = summarize(book, simulate(book, model, paths=10_000, horizon_days=30, seed=2)[0],
                  model="gbm", seed=1, horizon_days=30)
    assert a == b
    assert a != c
    pa, pc = a["legs"][0]["p_liquidation"], c["legs"][0]["p_liquidation"]
    se = math.sqrt(pa * (1 - pa) / 10_000)
    assert 0 < abs(pa - pc) < 4 * math.sqrt(2) * se
    sd = 60_000 * 0.035 * math.sqrt(30)  # the unhedged P&L's spread, about
    assert abs(a["unhedged_usd"]["mean"] - c["unhedged_usd"]["mean"]) < 4 * math.sqrt(2) * sd / 100


def test_a_prefix_of_paths_is_the_same_paths():
    p = one_btc_book(leverage=5)
    book = pack_plan(p, 10)
    model = gbm(book.assets, 0.03)
    (short,) = simulate(book, model, paths=5_000, horizon_days=10, seed=9)
    (long_,) = simulate(book, model, paths=9_000, horizon_days=10, seed=9)
    assert np.array_equal(short.out, long_.out[:5_000])


@pytest.mark.parametrize(("paths", "days", "model", "flag"), [
    (0, 30, "gbm", "--paths"), (-5, 30, "gbm", "--paths"), (10, 0, "gbm", "--horizon-days"),
    (10, 30, "heston", "--model"), (20_000_000, 30, "gbm", "--paths")])
def test_bad_runs_name_the_flag(paths, days, model, flag):
    from hedgekit.errors import InputError

    with pytest.raises(InputError, match=flag):
        check_run(paths, days, model)
