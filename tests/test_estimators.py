"""Hedge-ratio estimators: known betas on simulated data, identities, look-ahead, errors, real data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.errors import DataError, InputError
from hedgekit.estimators import (
    EWMARatio,
    MinVarianceRatio,
    OLSBeta,
    _core,
    analyze_pairs,
    basket_returns,
    book_regression,
    hedge_effectiveness,
    periods_per_year,
    portfolio_beta,
    rank_proxies,
    rolling_ratio,
    to_returns,
    walk_forward,
)


def simulate(seed: int, n: int = 500, beta: float = 0.8, alpha: float = 0.0005,
             vol_f: float = 0.03, vol_e: float = 0.015):
    rng = np.random.default_rng(seed)
    f = rng.normal(0.0, vol_f, n)
    s = alpha + beta * f + rng.normal(0.0, vol_e, n)
    return s, f


# --- OLS beta recovers the true beta -------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_ols_recovers_known_beta_within_its_standard_error(seed):
    s, f = simulate(seed)
    fit = OLSBeta().fit(s, f)
    # a 4-sigma band: fails with probability ~6e-5 per seed if stderr is right
    assert abs(fit.beta_ - 0.8) < 4 * fit.stderr_
    # the standard error itself matches theory: vol_e / (vol_f * sqrt(n))
    assert fit.stderr_ == pytest.approx(0.015 / (0.03 * math.sqrt(500)), rel=0.25)


def test_ols_stderr_is_calibrated_across_seeds():
    # Over many samples, |beta_hat - beta| / stderr behaves like |t_{n-2}|: about 68% below 1.
    z = []
    for seed in range(200):
        s, f = simulate(1000 + seed, n=60)
        fit = OLSBeta().fit(s, f)
        z.append(abs(fit.beta_ - 0.8) / fit.stderr_)
    inside = np.mean(np.array(z) < 1.0)
    assert 0.58 < inside < 0.78


@settings(max_examples=40, deadline=None)
@given(beta=st.floats(-3, 3).filter(lambda b: abs(b) > 1e-3), alpha=st.floats(-0.01, 0.01), seed=st.integers(0, 10_000))
def test_ols_exact_on_noiseless_line(beta, alpha, seed):
    _, f = simulate(seed, n=50)
    fit = OLSBeta().fit(alpha + beta * f, f)
    assert fit.beta_ == pytest.approx(beta, abs=1e-9)
    assert fit.alpha_ == pytest.approx(alpha, abs=1e-10)
    assert fit.stderr_ == pytest.approx(0.0, abs=1e-8)


def test_ols_against_textbook_formulas():
    # Independent derivation with numpy's polyfit and the closed-form stderr.
    s, f = simulate(3, n=120)
    slope, intercept = np.polyfit(f, s, 1)
    resid = s - intercept - slope * f
    stderr = math.sqrt(resid @ resid / (len(s) - 2) / ((f - f.mean()) @ (f - f.mean())))
    fit = OLSBeta().fit(s, f)
    assert fit.beta_ == pytest.approx(slope, rel=1e-12)
    assert fit.alpha_ == pytest.approx(intercept, abs=1e-14)
    assert fit.stderr_ == pytest.approx(stderr, rel=1e-10)
    assert fit.correlation_ == pytest.approx(np.corrcoef(s, f)[0, 1], rel=1e-12)
    assert fit.r_squared_ == pytest.approx(fit.correlation_ ** 2, rel=1e-12)


# --- minimum variance = OLS slope; effectiveness -----------------------------------------------

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), beta=st.floats(-2, 2), n=st.integers(5, 300))
def test_minvar_ratio_equals_ols_beta(seed, beta, n):
    s, f = simulate(seed, n=n, beta=beta)
    mv = MinVarianceRatio().fit(s, f)
    assert mv.hedge_ratio_ == pytest.approx(OLSBeta().fit(s, f).beta_, rel=1e-9, abs=1e-12)
    # and rho * sigma_s / sigma_f (HEDGE_RATIOS_LITERATURE.md section 0)
    assert mv.hedge_ratio_ == pytest.approx(mv.correlation_ * s.std() / f.std(), rel=1e-9, abs=1e-12)


def test_minvar_ratio_minimises_hedged_variance():
    s, f = simulate(11)
    h = MinVarianceRatio().fit(s, f).hedge_ratio_
    var = lambda r: np.var(s - r * f)  # noqa: E731
    assert var(h) < var(h + 1e-3) and var(h) < var(h - 1e-3)


def test_effectiveness_formula_independent_derivation():
    # Var(s - h f) = Var(s) - 2 h Cov(s, f) + h^2 Var(f); HE = 1 - that / Var(s).
    s, f = simulate(5)
    for h in (0.0, 0.5, 1.0, 1.7):
        c = np.cov(s, f, ddof=0)
        expected = 1 - (c[0, 0] - 2 * h * c[0, 1] + h * h * c[1, 1]) / c[0, 0]
        assert hedge_effectiveness(s, f, h) == pytest.approx(expected, rel=1e-10, abs=1e-12)
    assert hedge_effectiveness(s, f, 0.0) == 0.0


def test_in_sample_effectiveness_of_minvar_is_rho_squared():
    # Ederington (1979): with the in-sample MV ratio, HE = rho^2 = R^2.
    s, f = simulate(7)
    mv = MinVarianceRatio().fit(s, f)
    assert mv.effectiveness_ == pytest.approx(mv.correlation_ ** 2, rel=1e-10)
    assert mv.residual_risk_ == pytest.approx(1 - mv.effectiveness_, rel=1e-9)


# --- EWMA ------------------------------------------------------------------------------------

def test_ewma_with_huge_halflife_is_the_minvar_ratio():
    s, f = simulate(2)
    assert EWMARatio(halflife=1e12).fit(s, f).hedge_ratio_ == pytest.approx(
        MinVarianceRatio().fit(s, f).hedge_ratio_, rel=1e-8)


def test_ewma_follows_a_beta_change_faster_than_minvar():
    s1, f1 = simulate(4, n=400, beta=0.5)
    s2, f2 = simulate(5, n=100, beta=1.5)
    s, f = np.r_[s1, s2], np.r_[f1, f2]
    ewma = EWMARatio(halflife=10).fit(s, f).hedge_ratio_
    assert abs(ewma - 1.5) < 0.2
    assert abs(MinVarianceRatio().fit(s, f).hedge_ratio_ - 1.5) > 0.6


def test_ewma_weights_by_hand():
    # Half-life 1: weights 1/4, 1/2, 1 (oldest first), normalised; RiskMetrics lambda 0.94 -> 11.2.
    np.testing.assert_allclose(_core.ewma_weights(3, 1.0), np.array([0.25, 0.5, 1.0]) / 1.75)
    assert _core.halflife_from_lambda(0.94) == pytest.approx(11.2, abs=0.01)
    s = np.array([0.01, -0.02, 0.03])
    f = np.array([0.02, -0.01, 0.02])
    w = np.array([0.25, 0.5, 1.0]) / 1.75
    ms, mf = w @ s, w @ f
    expected = (w @ ((s - ms) * (f - mf))) / (w @ ((f - mf) ** 2))
    assert EWMARatio(halflife=1.0).fit(s, f).hedge_ratio_ == pytest.approx(expected, rel=1e-12)
    zero_mean = (w @ (s * f)) / (w @ (f * f))
    assert EWMARatio(halflife=1.0, demean=False).fit(s, f).hedge_ratio_ == pytest.approx(zero_mean)


# --- rolling / expanding / walk-forward ------------------------------------------------------

@pytest.mark.parametrize("method,halflife", [("minvar", None), ("ewma", 15.0)])
@pytest.mark.parametrize("expanding", [False, True])
def test_rolling_matches_direct_estimate_on_each_window(method, halflife, expanding):
    s, f = simulate(8, n=200)
    r = rolling_ratio(s, f, 40, method=method, expanding=expanding, halflife=halflife)
    assert r.iloc[:39].isna().all()
    for t in (39, 40, 120, 199):
        lo = 0 if expanding else t - 39
        direct = (_core.ewma_ratio(s[lo:t + 1], f[lo:t + 1], halflife) if method == "ewma"
                  else _core.minvar_ratio(s[lo:t + 1], f[lo:t + 1]))
        assert r.iloc[t] == pytest.approx(direct, rel=1e-9)


def test_rolling_zero_mean_ewma_expanding():
    s, f = simulate(9, n=80)
    r = rolling_ratio(s, f, 10, method="ewma", expanding=True, halflife=5.0, demean=False)
    assert r.iloc[79] == pytest.approx(_core.ewma_ratio(s, f, 5.0, demean=False), rel=1e-10)


def _future_perturbation_leaks(estimate, n=300, cut=180, seed=13) -> bool:
    """True if any value dated <= cut changes when only returns after cut change."""
    s, f = simulate(seed, n=n)
    base = np.asarray(estimate(s, f), dtype=float)
    rng = np.random.default_rng(99)
    s2, f2 = s.copy(), f.copy()
    s2[cut + 1:] += rng.normal(0, 0.5, n - cut - 1)
    f2[cut + 1:] *= -3.0
    moved = np.asarray(estimate(s2, f2), dtype=float)
    return not np.array_equal(base[:cut + 1], moved[:cut + 1], equal_nan=True)


@pytest.mark.parametrize("kw", [
    {"method": "minvar"}, {"method": "ewma", "halflife": 20.0},
    {"method": "minvar", "expanding": True}, {"method": "ewma", "halflife": 20.0, "expanding": True},
])
def test_rolling_and_walk_forward_never_look_ahead(kw):
    assert not _future_perturbation_leaks(lambda s, f: rolling_ratio(s, f, 60, **kw))
    # the ratio applied to period t's return was estimated with data up to t - 1 at the latest:
    # perturbing returns from cut + 1 on leaves every applied ratio up to cut + 1 unchanged.
    assert not _future_perturbation_leaks(
        lambda s, f: walk_forward(s, f, window=60, step=7, **kw).applied.to_numpy()[1:])


def test_look_ahead_check_catches_a_leaky_estimator():
    # A centred window peeks 10 periods ahead; the check above must flag it.
    def centred(s, f):
        return pd.Series(s).rolling(41, center=True).cov(pd.Series(f)) / pd.Series(f).rolling(
            41, center=True).var()
    assert _future_perturbation_leaks(centred)
    # and a walk-forward that applied the ratio to its own estimation date would also be caught
    def same_day(s, f):
        return rolling_ratio(s, f, 60).to_numpy()[1:]  # ratio at t applied to return t
    assert _future_perturbation_leaks(lambda s, f: np.r_[same_day(s, f), np.nan][:-1])


def test_walk_forward_by_hand():
    s, f = simulate(21, n=130)
    wf = walk_forward(s, f, window=50, step=20)
    # rebalances at 49, 69, 89, 109 (129 is the last index: nothing left to apply to)
    assert list(wf.estimates.index) == [49, 69, 89, 109]
    assert wf.estimates.iloc[1] == pytest.approx(_core.minvar_ratio(s[20:70], f[20:70]))
    hedged = np.concatenate([s[t + 1:t + 21] - _core.minvar_ratio(s[t - 49:t + 1], f[t - 49:t + 1])
                             * f[t + 1:t + 21] for t in (49, 69, 89, 109)])
    unhedged = s[50:130]
    assert wf.n_oos == 80
    assert wf.effectiveness == pytest.approx(1 - hedged.var() / unhedged.var(), rel=1e-10)
    assert wf.effectiveness_naive == pytest.approx(1 - (s[50:] - f[50:]).var() / s[50:].var())
    assert set(wf.to_dict()) >= {"effectiveness_out_of_sample", "n_oos", "last_ratio"}
    assert list(wf.to_frame().columns) == ["ratio", "unhedged", "hedged"]


def test_out_of_sample_is_below_in_sample_on_stable_simulation():
    s, f = simulate(30, n=1000)
    wf = walk_forward(s, f, window=60)
    in_sample = MinVarianceRatio().fit(s, f).effectiveness_
    assert wf.effectiveness < in_sample  # estimation noise costs something out of sample
    assert wf.effectiveness > in_sample - 0.05


# --- pandas alignment, returns -----------------------------------------------------------------

def test_to_returns_log_and_simple():
    idx = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    p = pd.DataFrame({"A": [100.0, 110.0, 99.0, 99.0], "B": [np.nan, 10.0, 20.0, 10.0]}, index=idx)
    log = to_returns(p)
    simple = to_returns(p, "simple")
    assert log.index[0] == idx[1]
    assert log["A"].tolist() == pytest.approx([math.log(1.1), math.log(0.9), 0.0])
    assert simple["A"].tolist() == pytest.approx([0.1, -0.1, 0.0])
    assert math.isnan(simple["B"].iloc[0]) and simple["B"].iloc[1:].tolist() == pytest.approx([1.0, -0.5])
    assert to_returns(p["A"], "simple").name == "A"


def test_to_returns_rejects_gaps_and_bad_prices():
    idx = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    with pytest.raises(DataError, match=r"A: missing price at 2024-01-02"):
        to_returns(pd.DataFrame({"A": [1.0, np.nan, 1.0, 2.0]}, index=idx))
    with pytest.raises(DataError, match="non-positive"):
        to_returns(pd.DataFrame({"A": [1.0, 0.0, 1.0, 2.0]}, index=idx))
    with pytest.raises(InputError, match="kind"):
        to_returns(pd.DataFrame({"A": [1.0, 2.0]}), "pct")


def test_series_are_aligned_on_dates():
    s, f = simulate(1, n=100)
    idx = pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC")
    spot = pd.Series(s, index=idx)
    hedge = pd.Series(f, index=idx).iloc[::-1]  # order must not matter
    hedge = pd.concat([hedge, pd.Series([9.0], index=[idx[-1] + pd.Timedelta(days=1)])])
    fit = MinVarianceRatio().fit(spot, hedge)
    assert fit.n_obs_ == 100 and fit.hedge_ratio_ == pytest.approx(_core.minvar_ratio(s, f))
    assert fit.start_ == idx[0] and fit.end_ == idx[-1]
    with pytest.raises(DataError, match="hedge: missing return at"):
        MinVarianceRatio().fit(spot, pd.Series(np.r_[f[:50], np.nan, f[51:]], index=idx))


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("est", [OLSBeta(), MinVarianceRatio(), EWMARatio(10)])
def test_too_short_and_constant_series_raise(est):
    with pytest.raises(DataError, match="need at least"):
        est.fit([0.01, 0.02], [0.01, 0.03])
    with pytest.raises(DataError, match="hedge returns are constant|x returns are constant"):
        est.fit([0.01, 0.02, -0.01, 0.0], [0.01, 0.01, 0.01, 0.01])
    with pytest.raises(DataError, match="constant"):  # 0.1 is inexact: the mean differs in the last bit
        est.fit([0.01, 0.02, -0.01, 0.0, 0.03, 0.01, 0.02], [0.1] * 7)
    with pytest.raises(DataError, match="non-finite"):
        est.fit([0.01, np.nan, -0.01, 0.0], [0.01, 0.02, 0.01, 0.03])
    with pytest.raises(InputError, match="lengths differ"):
        est.fit([0.01, 0.02, -0.01, 0.0], [0.01, 0.02, 0.01])


def test_bad_settings_raise_input_error():
    s, f = simulate(0, n=50)
    with pytest.raises(InputError, match="halflife"):
        EWMARatio(halflife=0).fit(s, f)
    with pytest.raises(InputError, match="window"):
        rolling_ratio(s, f, 1)
    with pytest.raises(InputError, match="method"):
        rolling_ratio(s, f, 10, method="garch")
    with pytest.raises(InputError, match="halflife"):
        rolling_ratio(s, f, 10, method="ewma")
    with pytest.raises(InputError, match="step"):
        walk_forward(s, f, window=10, step=0)
    with pytest.raises(DataError, match="window \\+ 2"):
        walk_forward(s, f, window=49)
    with pytest.raises(DataError, match="constant"):
        hedge_effectiveness(np.zeros(10), f[:10], 1.0)
    with pytest.raises(InputError, match="ratio"):
        hedge_effectiveness(s, f, float("nan"))
    # a window whose hedge is constant has no ratio: NaN there, numbers elsewhere
    f_flat = f.copy()
    f_flat[10:30] = 0.02
    r = rolling_ratio(s, f_flat, 10)
    assert np.isnan(r.iloc[29]) and np.isfinite(r.iloc[30]) and np.isfinite(r.iloc[9]) and np.isnan(r.iloc[19])
    with pytest.raises(InputError, match="freq"):
        periods_per_year("daily")
    assert periods_per_year("8h") == 1095 and periods_per_year("1d") == 365


# --- book and proxies --------------------------------------------------------------------------

def _frame(seed=0, n=400):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=n, freq="D", tz="UTC")
    btc = rng.normal(0, 0.03, n)
    eth = 1.1 * btc + rng.normal(0, 0.015, n)
    sol = 0.6 * btc + 0.6 * eth + rng.normal(0, 0.02, n)
    perp = eth + rng.normal(0, 0.002, n)
    return pd.DataFrame({"BTC": btc, "ETH": eth, "SOL": sol, "ETH-PERP": perp}, index=idx)


def test_portfolio_beta_equals_book_regression():
    r = _frame()
    values = {"ETH": 30_000.0, "SOL": 10_000.0}
    betas = {k: OLSBeta().fit(r[k], r["BTC"]).beta_ for k in values}
    book = book_regression(r, values, r["BTC"])
    # OLS is linear in y: the slope of a weighted sum is the weighted sum of slopes.
    assert portfolio_beta(values, betas) == pytest.approx(book.beta_, rel=1e-12)
    assert portfolio_beta(values, betas) == pytest.approx(0.75 * betas["ETH"] + 0.25 * betas["SOL"])
    with pytest.raises(InputError, match="values"):
        portfolio_beta({"ETH": 1.0, "SOL": -1.0}, betas)
    with pytest.raises(InputError, match="no returns for DOGE"):
        book_regression(r, {"DOGE": 1.0}, r["BTC"])


def test_rank_proxies_prefers_own_perp_and_reports_residual_risk():
    r = _frame()
    cands = r[["ETH-PERP", "BTC"]].assign(BASKET=basket_returns(r[["BTC", "SOL"]]))
    table = rank_proxies(r["ETH"], cands, window=60)
    assert table.index[0] == "ETH-PERP"
    assert list(table["effectiveness_out_of_sample"]) == sorted(table["effectiveness_out_of_sample"],
                                                                reverse=True)
    np.testing.assert_allclose(table["residual_risk"], 1 - table["correlation"] ** 2)
    np.testing.assert_allclose(table["effectiveness_in_sample"], table["correlation"] ** 2)
    assert (table["n_obs"] == 400).all()
    assert basket_returns(r[["BTC", "SOL"]]).iloc[3] == pytest.approx(r[["BTC", "SOL"]].iloc[3].mean())


def test_analyze_pairs_skips_self_and_reports_windows():
    r = _frame(n=300)
    prices = np.exp(r.cumsum()) * 100
    res = analyze_pairs(prices[["ETH", "BTC"]], prices[["BTC", "ETH-PERP"]], window=60, step=5)
    pairs = {(p.asset, p.against): p for p in res.pairs}
    assert set(pairs) == {("ETH", "BTC"), ("ETH", "ETH-PERP"), ("BTC", "ETH-PERP")}
    p = pairs[("ETH", "BTC")]
    lr = to_returns(prices)
    assert p.n_obs == 299 and p.beta == pytest.approx(OLSBeta().fit(lr["ETH"], lr["BTC"]).beta_)
    assert p.mv_ratio == pytest.approx(_core.minvar_ratio(lr["ETH"].to_numpy()[-60:], lr["BTC"].to_numpy()[-60:]))
    assert p.effectiveness_in_sample == pytest.approx(p.correlation ** 2)
    assert p.vol_unhedged == pytest.approx(lr["ETH"].std() * math.sqrt(365))
    # the fair yardstick for the out-of-sample figure: in-sample fit over the same periods
    oos = slice(60, None)
    assert p.effectiveness_in_sample_oos_periods == pytest.approx(
        MinVarianceRatio().fit(lr["ETH"].iloc[oos], lr["BTC"].iloc[oos]).effectiveness_)
    assert p.effectiveness_out_of_sample <= p.effectiveness_in_sample_oos_periods  # constant true beta
    assert res.to_frame().shape[0] == 3
    eth_best = max((q for q in res.pairs if q.asset == "ETH"), key=lambda q: q.effectiveness_out_of_sample)
    assert res.to_dict()["best_hedge"] == {"ETH": eth_best.against, "BTC": "ETH-PERP"}
    assert eth_best.against == "ETH-PERP"  # its own perp beats the BTC proxy
    ew = analyze_pairs(prices[["ETH"]], prices[["BTC"]], window=60, method="ewma", halflife=10.0)
    assert ew.pairs[0].effectiveness_out_of_sample == pytest.approx(
        walk_forward(lr["ETH"], lr["BTC"], window=60, method="ewma", halflife=10.0).effectiveness)
    assert ew.to_dict()["settings"]["method"] == "ewma"


# --- real data (files read directly; the data layer has its own tests) ----------------------

def _binance_close(data_dir, name: str) -> pd.Series:
    df = pd.read_csv(data_dir / "futures" / name, compression="gzip")
    return pd.Series(df["close"].to_numpy(float), index=pd.to_datetime(df["open_time"], utc=True))


def _spot8(data_dir, asset: str) -> pd.Series:
    df = pd.read_json(data_dir / "prices" / "binance_spot_daily_8coins_2020-01_2026-02" / f"{asset}_1D.json.gz",
                      compression="gzip")
    return pd.Series(df["c"].to_numpy(float), index=pd.to_datetime(df["t"], utc=True), name=asset)


def test_real_btc_spot_vs_binance_perp_2021_2024(data_dir):
    spot = to_returns(_binance_close(data_dir, "binance_spot_BTCUSDT_1d_2021-2024.csv.gz"))
    perp = to_returns(_binance_close(data_dir, "binance_usdm_perp_BTCUSDT_1d_2021-2024.csv.gz"))
    mv = MinVarianceRatio().fit(spot, perp)
    assert mv.n_obs_ == 1460
    # HEDGE_RATIOS_LITERATURE.md section 5.2 sanity check: 24/7 perp vs spot, ratio near 1, HE > 0.9
    assert 0.97 < mv.hedge_ratio_ < 1.03
    assert mv.effectiveness_ > 0.99
    wf = walk_forward(spot, perp, window=90)
    assert wf.effectiveness > 0.99 and wf.n_oos == 1370


def test_real_alts_against_btc_are_partial_hedges(data_dir):
    # HEDGE_RATIOS_LITERATURE.md section 2: proxy hedges leave residual risk (Liu et al. 2023)
    r = to_returns(pd.concat([_spot8(data_dir, a) for a in ("BTC", "ETH", "SOL")], axis=1))
    table = rank_proxies(r["SOL"], r[["BTC", "ETH"]], window=90, step=7)
    assert (table["residual_risk"] > 0.2).all()
    assert (table["effectiveness_out_of_sample"] < table["effectiveness_in_sample"] + 0.05).all()
    eth = OLSBeta().fit(r["ETH"], r["BTC"])
    assert 0.9 < eth.beta_ < 1.4 and eth.correlation_ > 0.7
