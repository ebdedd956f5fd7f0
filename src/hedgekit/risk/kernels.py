"""Numba kernels of the Monte Carlo risk engine: path generation and leg mechanics.

Pure functions over float64 / int64 arrays (no pandas, no objects). :mod:`hedgekit.risk.engine`
packs a :class:`~hedgekit.planner.HedgePlan` into arrays and streams paths through these in
blocks; :mod:`hedgekit.risk._reference` replays :func:`evaluate_block` in plain Python with
:mod:`hedgekit.margin` and :mod:`hedgekit.portfolio.pools` (tests/test_risk.py checks they agree).

Per path, step ``t`` (one day) and asset ``a``, :func:`draw_block` draws the spot's
``ln(S_t / S_0)``, the perpetual's mark ``ln(F_t / F_0)`` (the spot times its basis), the day's
funding (a fraction of the notional, > 0: longs pay shorts) and the highest / lowest
``ln(F / F_0)`` inside the step: between two closes ``x0, x1`` the log price is a Brownian bridge
with variance ``v`` over the step, whose maximum is drawn exactly as
``(x0 + x1 + sqrt((x1 - x0)^2 - 2 v ln U)) / 2`` (``U`` uniform); it gives
``P(max >= b) = exp(-2 (b - x0)(b - x1) / v)`` for ``b >= max(x0, x1)``, the bridge's
barrier-crossing probability (Glasserman, Monte Carlo Methods in Financial Engineering, 2003,
ch. 6, Brownian interpolation of extremes); the minimum mirrors it. Without the intrabar
correction the extremes are the closes'. It keeps only what the legs need: the values at the
horizon and, per step, running extremes and running funding sums (``R_*``), so a leg is valued
with comparisons and lookups, whatever the number of candidate legs :mod:`hedgekit.risk.sizing`
tries on the same paths.

Models: ``GBM`` (correlated normal log returns, ``-sigma^2/2`` drift so the price has none),
``GARCH`` (GJR-GARCH(1,1) per asset, Student-t innovations ``z * sqrt((nu - 2) / chi2_nu)`` over
normals ``z`` correlated by the Cholesky factor of the standardised residuals' correlation),
``BOOTSTRAP`` (Politis & Romano 1994 stationary bootstrap of whole history rows: returns, basis
and funding of every asset from the same day; a block continues with probability
``1 - 1/mean_block`` and wraps around the history's end).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

GBM = 0
GARCH = 1
BOOTSTRAP = 2

LINEAR = 0
INVERSE = 1

# per-path outputs of evaluate_block (columns of ``out``)
O_NET = 0        # change of the book's USD value over the horizon, hedge included
O_UNHEDGED = 1   # the same without the hedge legs
O_FUNDING = 2    # funding received (> 0) or paid by the legs, USD
O_END_VALUE = 3  # book value at the horizon (USD), to express it in coins
N_OUT = 4

# per-path, per-leg outputs (last axis of ``leg_out``)
L_LIQUIDATED = 0  # 1.0 when the leg was liquidated
L_TOPUP = 1       # 1.0 when a close came within the warning distance of the liquidation price
L_TOPUP_USD = 2   # USD that restores the leg's initial margin at its worst close
N_LEG_OUT = 3


# per-path, per-asset summaries drawn by draw_block (last axis of ``ends``)
E_LOG_S = 0  # ln(S_T / S_0)
E_LOG_F = 1  # ln(F_T / F_0)
N_ENDS = 2

# per-path, per-step, per-asset running summaries (first axis of ``run``), each up to step t
R_HI = 0        # running max of the intrabar highs of ln(F / F_0)
R_LO = 1        # running min of the intrabar lows
R_CLOSE_HI = 2  # running max of the closes of ln(F / F_0)
R_CLOSE_LO = 3  # running min of the closes
R_FUND_LIN = 4  # sum of fund_u * F_u / F_0 (linear funding per coin of F_0 notional)
R_FUND_INV = 5  # sum of fund_u * F_0 / F_u (inverse funding per coin of F_0 notional)
N_RUN = 6


@njit(cache=True)
def draw_block(model: int, n: int, horizon: int, intrabar: bool,
               sigma: np.ndarray, chol: np.ndarray, fund_day: np.ndarray,
               g_mu: np.ndarray, g_omega: np.ndarray, g_alpha: np.ndarray, g_gamma: np.ndarray,
               g_beta: np.ndarray, g_nu: np.ndarray, g_h0: np.ndarray,
               h_ret: np.ndarray, h_basis: np.ndarray, h_fund: np.ndarray,
               basis0: np.ndarray, normal: np.ndarray, chi2: np.ndarray, uniform: np.ndarray,
               jump: np.ndarray, pick: np.ndarray, ends: np.ndarray, run: np.ndarray,
               keep_raw: bool, raw: np.ndarray) -> None:
    """Draw ``n`` paths: ``ends[p, a, E_*]``, ``run[R_*, p, t, a]`` and, with ``keep_raw``, the
    per-step ``raw[p, t, a, :]`` = ``ln(S_t/S_0), ln(F_t/F_0)``, the step's intrabar high and low
    of ``ln(F/F_0)`` and the day's funding (for the plain-Python reference).

    ``sigma`` is the daily volatility of the log price (GBM; the bridge's volatility in the
    bootstrap); ``fund_day`` the daily funding forecast (GBM, GARCH) or the shift that centres
    the bootstrapped funding on it; ``basis0`` the current basis ``F_0 / S_0 - 1``.

    The random numbers come in (drawn by the caller with numpy's generator, so a seed gives the
    same paths everywhere): ``normal[p, t, a]`` standard normals (GBM, GARCH), ``chi2[p, t, a]``
    chi-square draws with the asset's ``nu`` degrees of freedom (GARCH), ``uniform[p, t, a]``
    in (0, 1] for the bridge (one per asset and step draws its high and low: each is exact on
    its own, a long and a short on the same asset see the symmetric range), and for the
    bootstrap ``jump[p, t]`` (start a new block) and ``pick[p, t]`` (the history row it starts at).
    """
    n_assets = sigma.shape[0]
    z = np.empty(n_assets)
    e = np.empty(n_assets)
    var = np.empty(n_assets)
    h = np.empty(n_assets)
    s_prev = np.empty(n_assets)
    f_prev = np.empty(n_assets)
    for p in range(n):
        for a in range(n_assets):
            h[a] = g_h0[a]
            s_prev[a] = 0.0
            f_prev[a] = 0.0
        idx = 0
        for t in range(horizon):
            if model == BOOTSTRAP:
                if t == 0 or jump[p, t]:
                    idx = pick[p, t]
                else:
                    idx = (idx + 1) % h_ret.shape[0]
                for a in range(n_assets):
                    e[a] = h_ret[idx, a]
                    var[a] = sigma[a] * sigma[a]
            else:
                for a in range(n_assets):
                    z[a] = normal[p, t, a]
                for a in range(n_assets):
                    acc = 0.0
                    for b in range(a + 1):
                        acc += chol[a, b] * z[b]
                    e[a] = acc
                if model == GBM:
                    for a in range(n_assets):
                        var[a] = sigma[a] * sigma[a]
                        e[a] = sigma[a] * e[a] - 0.5 * var[a]
                else:
                    for a in range(n_assets):
                        nu = g_nu[a]
                        shock = e[a] * math.sqrt((nu - 2.0) / chi2[p, t, a]) * math.sqrt(h[a])
                        var[a] = h[a]
                        e[a] = g_mu[a] + shock
                        lev = g_gamma[a] if shock < 0.0 else 0.0
                        h[a] = g_omega[a] + (g_alpha[a] + lev) * shock * shock + g_beta[a] * h[a]
            for a in range(n_assets):
                s_now = s_prev[a] + e[a]
                if model == BOOTSTRAP:
                    ratio = (1.0 + basis0[a] + h_basis[idx, a]) / (1.0 + basis0[a])
                    f_now = s_now + math.log(ratio if ratio > 1e-9 else 1e-9)
                    f_day = h_fund[idx, a] + fund_day[a]
                else:
                    f_now = s_now
                    f_day = fund_day[a]
                x0 = f_prev[a]
                hi = f_now if f_now > x0 else x0
                lo = f_now if f_now < x0 else x0
                u = uniform[p, t, a]
                if intrabar and var[a] > 0.0:
                    d = f_now - x0
                    half = 0.5 * math.sqrt(d * d - 2.0 * var[a] * math.log(u))
                    hi = 0.5 * (x0 + f_now) + half
                    lo = 0.5 * (x0 + f_now) - half
                growth = math.exp(f_now)
                if t == 0:
                    run[R_HI, p, t, a] = hi
                    run[R_LO, p, t, a] = lo
                    run[R_CLOSE_HI, p, t, a] = f_now
                    run[R_CLOSE_LO, p, t, a] = f_now
                    run[R_FUND_LIN, p, t, a] = f_day * growth
                    run[R_FUND_INV, p, t, a] = f_day / growth
                else:
                    run[R_HI, p, t, a] = max(hi, run[R_HI, p, t - 1, a])
                    run[R_LO, p, t, a] = min(lo, run[R_LO, p, t - 1, a])
                    run[R_CLOSE_HI, p, t, a] = max(f_now, run[R_CLOSE_HI, p, t - 1, a])
                    run[R_CLOSE_LO, p, t, a] = min(f_now, run[R_CLOSE_LO, p, t - 1, a])
                    run[R_FUND_LIN, p, t, a] = run[R_FUND_LIN, p, t - 1, a] + f_day * growth
                    run[R_FUND_INV, p, t, a] = run[R_FUND_INV, p, t - 1, a] + f_day / growth
                if keep_raw:
                    raw[p, t, a, 0] = s_now
                    raw[p, t, a, 1] = f_now
                    raw[p, t, a, 2] = hi
                    raw[p, t, a, 3] = lo
                    raw[p, t, a, 4] = f_day
                s_prev[a] = s_now
                f_prev[a] = f_now
            if t == horizon - 1:
                for a in range(n_assets):
                    ends[p, a, E_LOG_S] = s_prev[a]
                    ends[p, a, E_LOG_F] = f_prev[a]


@njit(cache=True, inline="always")
def _pool_value(model: int, liq: float, lower: float, upper: float, price: float) -> float:
    """Value in quote units of a pool position at ``price`` (hedgekit.portfolio.pools.lp_value)."""
    sp = math.sqrt(price)
    if model == 0:
        return 2.0 * liq * sp
    sa = math.sqrt(lower)
    sb = math.sqrt(upper)
    if price <= lower:
        return liq * (1.0 / sa - 1.0 / sb) * price
    if price >= upper:
        return liq * (sb - sa)
    return liq * (1.0 / sp - 1.0 / sb) * price + liq * (sp - sa)


@njit(cache=True)
def evaluate_block(n: int, horizon: int, ends: np.ndarray, run: np.ndarray,
                   s0: np.ndarray, spot_coins: np.ndarray, spot_coins0: np.ndarray, cash_usd: float,
                   cash0: float,
                   pool_base: np.ndarray, pool_quote: np.ndarray, pool_model: np.ndarray,
                   pool_liq: np.ndarray, pool_lower: np.ndarray, pool_upper: np.ndarray,
                   leg_asset: np.ndarray, leg_kind: np.ndarray, leg_sign: np.ndarray,
                   leg_size: np.ndarray, leg_f0: np.ndarray, leg_lp: np.ndarray, leg_bp: np.ndarray,
                   leg_settle_usd: np.ndarray, leg_margin: np.ndarray, leg_funded: np.ndarray,
                   leg_warn: np.ndarray, leg_scale: np.ndarray,
                   out: np.ndarray, leg_out: np.ndarray) -> None:
    """Value the book on the first ``n`` drawn paths (see :func:`draw_block` for the arrays).

    ``spot_coins`` are the coins held outside pools at the horizon (yield accrued), ``spot_coins0``
    now; ``cash_usd`` / ``cash0`` the stablecoins (USD) at the horizon / now. Pools:
    ``pool_quote`` is an asset index or -1 for a stablecoin. Legs: ``leg_size`` is ``q`` coins
    (linear) or ``N`` USD face (inverse), times ``leg_scale``; ``leg_lp``/``leg_bp`` the
    liquidation and bankruptcy mark prices (0: none); ``leg_margin`` the isolated margin in the
    settle currency (the bankruptcy price loses exactly it); ``leg_warn`` the fraction of the
    price within which a close counts as a top-up.

    A leg is liquidated at the first step ``tau`` whose intrabar extreme reaches its liquidation
    price (the first ``t`` where the running high / low crosses); it is closed at its bankruptcy
    price and earns the funding of the steps before ``tau`` only. Linear PnL ``s*q*(F - F_0)``
    in the settle coin (valued at ``settle_usd``), funding received ``-s*q*sum(f_t*F_t)``;
    inverse ``s*N*(1/F_0 - 1/F)`` and ``-s*N*sum(f_t/F_t)`` coins, valued at the coin's spot at
    the horizon. The top-up is the unrealised loss at the worst close before ``tau`` (the cash
    that restores the leg's initial margin), counted when a close came within ``leg_warn`` of
    the liquidation price; the loss is monotone in the mark, so the running extreme gives it.
    """
    n_assets = s0.shape[0]
    n_pools = pool_base.shape[0]
    n_legs = leg_asset.shape[0]
    v0 = cash0
    for a in range(n_assets):
        v0 += spot_coins0[a] * s0[a]
    for k in range(n_pools):
        qp = 1.0 if pool_quote[k] < 0 else s0[pool_quote[k]]
        v0 += _pool_value(pool_model[k], pool_liq[k], pool_lower[k], pool_upper[k], s0[pool_base[k]] / qp) * qp
    last = horizon - 1
    barrier = np.zeros(n_legs)
    warn_level = np.zeros(n_legs)
    for j in range(n_legs):
        if leg_lp[j] > 0.0:
            barrier[j] = math.log(leg_lp[j] / leg_f0[j])
            w = leg_warn[j]
            if leg_sign[j] < 0.0:
                warn_level[j] = math.log(leg_lp[j] / (1.0 + w) / leg_f0[j])
            else:
                warn_level[j] = math.log(leg_lp[j] / (1.0 - w) / leg_f0[j]) if w < 1.0 else math.inf
    for p in range(n):
        value = cash_usd
        for a in range(n_assets):
            value += spot_coins[a] * s0[a] * math.exp(ends[p, a, E_LOG_S])
        for k in range(n_pools):
            pb = s0[pool_base[k]] * math.exp(ends[p, pool_base[k], E_LOG_S])
            qp = 1.0
            if pool_quote[k] >= 0:
                qp = s0[pool_quote[k]] * math.exp(ends[p, pool_quote[k], E_LOG_S])
            value += _pool_value(pool_model[k], pool_liq[k], pool_lower[k], pool_upper[k], pb / qp) * qp
        unhedged = value - v0
        hedge = 0.0
        funding = 0.0
        for j in range(n_legs):
            a = leg_asset[j]
            s = leg_sign[j]
            size = leg_size[j] * leg_scale[j]
            f0 = leg_f0[j]
            inverse = leg_kind[j] == INVERSE
            spot_end = s0[a] * math.exp(ends[p, a, E_LOG_S])
            to_usd = spot_end if inverse else leg_settle_usd[j]
            tau = horizon
            if leg_lp[j] > 0.0:
                if s < 0.0:
                    if run[R_HI, p, last, a] >= barrier[j]:
                        tau = 0
                        while run[R_HI, p, tau, a] < barrier[j]:
                            tau += 1
                elif run[R_LO, p, last, a] <= barrier[j]:
                    tau = 0
                    while run[R_LO, p, tau, a] > barrier[j]:
                        tau += 1
            liquidated = tau < horizon
            leg_funding = 0.0
            if leg_funded[j] and tau > 0:
                if inverse:
                    leg_funding = -s * size / f0 * run[R_FUND_INV, p, tau - 1, a] * to_usd
                else:
                    leg_funding = -s * size * f0 * run[R_FUND_LIN, p, tau - 1, a] * to_usd
            topup = False
            worst = 0.0
            if leg_lp[j] > 0.0 and tau > 0:
                if s < 0.0:
                    extreme = run[R_CLOSE_HI, p, tau - 1, a]
                    topup = extreme >= warn_level[j]
                else:
                    extreme = run[R_CLOSE_LO, p, tau - 1, a]
                    topup = extreme <= warn_level[j]
                mark = f0 * math.exp(extreme)
                loss = -s * size * ((1.0 / f0 - 1.0 / mark) if inverse else (mark - f0)) * to_usd
                if loss > 0.0:
                    worst = loss
            if liquidated:
                exit_price = leg_bp[j] if leg_bp[j] > 0.0 else leg_lp[j]
            else:
                exit_price = f0 * math.exp(ends[p, a, E_LOG_F])
            if inverse:
                pnl = s * size * (1.0 / f0 - 1.0 / exit_price) * to_usd
            else:
                pnl = s * size * (exit_price - f0) * to_usd
            hedge += pnl + leg_funding
            funding += leg_funding
            leg_out[p, j, L_LIQUIDATED] = 1.0 if liquidated else 0.0
            leg_out[p, j, L_TOPUP] = 1.0 if (topup or liquidated) else 0.0
            leg_out[p, j, L_TOPUP_USD] = worst if (topup or liquidated) else 0.0
        out[p, O_NET] = unhedged + hedge
        out[p, O_UNHEDGED] = unhedged
        out[p, O_FUNDING] = funding
        out[p, O_END_VALUE] = value + hedge
