"""Numba kernels of the backtest: one pass over bars x assets per policy.

Pure functions over float64 / int64 arrays (no pandas, no objects). The object layer
(:mod:`hedgekit.backtest.engine`) validates, aligns and packs the inputs; the slow twin
(:mod:`hedgekit.backtest._reference`) replays the same rules with :class:`Instrument` and must
agree to ~1e-9 relative (tests/test_backtest_parity.py).

Conventions (all hedges are shorts, ``s = -1``; ``n`` contracts, ``C`` contract size):

* linear:  PnL ``-n*C*(F - E)`` quote (USD), funding received ``n*C*sum(rate*ref)``,
  fee ``|dn|*C*F*(fee+slip)``; margin in USD.
* inverse: PnL ``-n*C*(1/E - 1/F)`` coin, funding ``n*C*sum(rate/ref)`` coin,
  fee ``|dn|*C/F*(fee+slip)`` coin; margin in coin, taken from (and returned to) the spot coins.
  Coin amounts are valued in USD at the spot price of the bar.
* quanto: the linear formulas with ``C`` in settle coin per USD point (BitMEX quanto guide,
  https://www.bitmex.com/app/quantoPerpetualsGuide), amounts in the settle coin valued at its USD
  price ``X`` of the bar; margin bought with (and sold back to) the USD cash at ``X``.

Every settle-currency amount becomes USD times :func:`_settle_usd`: 1 (linear), the spot price
(inverse) or ``X`` (quanto). The hot path of a linear leg never reads it (no extra work per step).

Bar ``t`` (bar 0 only opens the initial hedge at its close):
  1. staking yield on the spot coins; 2. liquidation if the bar's high reaches the isolated
  liquidation price of the position held since the previous close (Binance USD-M and
  COIN-M liquidation FAQs, maintenance margin evaluated at the liquidation price), closed at the
  bankruptcy price; in cross margin, every leg of a pool (one per settle currency) when the pool's
  equity with every leg at its bar high is at or below the sum of their maintenance margins there;
  3. funding settled during the bar; 4. at the close: roll a dated future, re-estimate or read the
  signal, rebalance on the band / calendar, re-set the position's margin to its initial margin
  (notional / leverage), optional top-up from the reserve; 5. mark to market.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from hedgekit.backtest._layout import (  # noqa: F401  (re-exported: kernels.S_FUNDING etc.)
    F_BAND,
    F_BARS_PER_YEAR,
    F_HALFLIFE,
    F_LEVERAGE,
    F_MAX_RATIO,
    F_RATIO_OFF,
    F_RATIO_ON,
    F_THRESHOLD,
    F_THRESHOLD_OFF,
    F_TOPUP,
    I_CALENDAR,
    I_MARGIN,
    I_METHOD,
    I_REEST_CALENDAR,
    I_REESTIMATE,
    I_SIGNAL_N,
    I_WINDOW,
    INVERSE,
    LINEAR,
    M_BETA,
    M_EWMA,
    M_FUNDING,
    M_MINVAR,
    M_NONE,
    M_RSI,
    M_STATIC,
    M_TREND,
    M_VOL,
    MARGIN_CROSS,
    MET_CVAR_95,
    MET_HEDGE_EFFECTIVENESS,
    MET_MAX_DRAWDOWN,
    MET_TOTAL_RETURN,
    MET_VOLATILITY,
    N_METRICS,
    N_PF,
    N_PI,
    N_SCALARS,
    QUANTO,
    REEST_BARS,
    REEST_WEEKLY,
    S_FEES,
    S_FUNDING,
    S_LIQUIDATIONS,
    S_MARGIN_LOST,
    S_REBALANCES,
    S_ROLL_BASIS,
    S_ROLL_COST,
    S_ROLLS,
    S_TOPUP_USD,
    S_TOPUPS,
)

_LOT_EPS = 1e-9


@njit(cache=True)
def round_lots(x, lot):
    """Nearest whole number of lots (Instrument.round_contracts mode 'nearest')."""
    lots = x / lot
    return round(lots) * lot


@njit(cache=True)
def liquidation_price(kind, side, contracts, csize, entry, wallet, mmr, maint):
    """Isolated liquidation price, maintenance margin evaluated at the liquidation price.

    linear  ``LP = (W + cum - s*Q*E) / (Q*MMR - s*Q)``;
    inverse ``LP = N*(MMR + s) / (W + cum + s*N/E)`` (Binance COIN-M FAQ). Returns ``inf`` (short)
    or ``0`` (long) when no liquidation price exists. ``mmr = maint = 0`` gives the bankruptcy price.
    """
    none = math.inf if side < 0 else 0.0
    if contracts <= 0.0:
        return none
    if kind == INVERSE:
        n = contracts * csize
        den = wallet + maint + side * n / entry
        num = n * (mmr + side)
        if den == 0.0:
            return none
        lp = num / den
        return lp if lp > 0.0 else none
    q = contracts * csize
    lp = (wallet + maint - side * q * entry) / (q * mmr - side * q)
    if lp <= 0.0:
        return none
    return lp


_BOUND_EPS = 1e-9  # as hedgekit.margin: slack when a price's notional is checked against a tier


@njit(cache=True)
def liquidation_price_tiered(kind, side, contracts, csize, entry, wallet, tiers, ntiers):
    """:func:`liquidation_price` with maintenance tiers re-evaluated at the liquidation price.

    ``tiers`` (K, 4) rows ``floor, cap, mmr, cum`` (settle-currency notional), first ``ntiers`` used.
    Each tier's root is kept only if its notional lies inside that tier (Binance: the tier at the
    liquidation price; the same search as ``hedgekit.margin``). The entry tier is tried first.
    """
    none = math.inf if side < 0 else 0.0
    if contracts <= 0.0:
        return none
    size = contracts * csize
    first = 0
    entry_notional = _notional(kind, contracts, csize, entry)
    for i in range(ntiers):
        first = i
        if entry_notional < tiers[i, 1]:
            break
    for j in range(ntiers):
        i = (first + j) % ntiers
        lp = liquidation_price(kind, side, contracts, csize, entry, wallet, tiers[i, 2], tiers[i, 3])
        if lp == none:
            continue
        notional = size / lp if kind == INVERSE else size * lp
        if (i == 0 or notional >= tiers[i, 0] * (1.0 - _BOUND_EPS)) and (
                i == ntiers - 1 or notional <= tiers[i, 1] * (1.0 + _BOUND_EPS)):
            return lp
    return none


@njit(cache=True)
def _upnl(kind, n, csize, entry, price):
    """PnL of a short of ``n`` contracts in the settle currency."""
    if n <= 0.0:
        return 0.0
    if kind == INVERSE:
        return -n * csize * (1.0 / entry - 1.0 / price)
    return -n * csize * (price - entry)


@njit(cache=True)
def _notional(kind, n, csize, price):
    if kind == INVERSE:
        return n * csize / price
    return n * csize * price


@njit(cache=True)
def _minvar(ret_s, ret_f, t, a, window):
    """Cov/Var of the ``window`` returns ending at ``t`` (two-pass, as estimators._core.minvar_ratio)."""
    ms = 0.0
    mf = 0.0
    for k in range(t - window + 1, t + 1):
        ms += ret_s[k, a]
        mf += ret_f[k, a]
    ms /= window
    mf /= window
    sff = 0.0
    sfs = 0.0
    for k in range(t - window + 1, t + 1):
        df = ret_f[k, a] - mf
        sff += df * df
        sfs += df * (ret_s[k, a] - ms)
    if sff <= 0.0:
        return math.nan
    return sfs / sff


@njit(cache=True)
def _ewma(ret_s, ret_f, t, a, window, halflife):
    """Weighted Cov/Var over the ``window`` returns ending at ``t``, weights halving every
    ``halflife`` bars, weighted means removed (as estimators._core.weighted_ratio / EWMARatio)."""
    lam = math.log(0.5) / halflife
    wsum = 0.0
    for k in range(window):
        wsum += math.exp((window - 1 - k) * lam)
    ms = 0.0
    mf = 0.0
    for k in range(window):
        w = math.exp((window - 1 - k) * lam) / wsum
        ms += w * ret_s[t - window + 1 + k, a]
        mf += w * ret_f[t - window + 1 + k, a]
    cff = 0.0
    csf = 0.0
    for k in range(window):
        w = math.exp((window - 1 - k) * lam) / wsum
        df = ret_f[t - window + 1 + k, a] - mf
        cff += w * df * df
        csf += w * df * (ret_s[t - window + 1 + k, a] - ms)
    if cff <= 0.0:
        return math.nan
    return csf / cff


@njit(cache=True)
def _signal_on(method, spot, ret_s, t, a, n, threshold, bars_per_year):
    """Signal state at the close of ``t`` from data up to ``t``: 1 on, 0 off, -1 not enough data."""
    if method == M_TREND:
        if t < n - 1:
            return -1
        acc = 0.0
        for k in range(t - n + 1, t + 1):
            acc += spot[k, a]
        return 1 if spot[t, a] < acc / n else 0
    if method == M_RSI:  # Cutler's RSI: simple means of the last n gains and losses
        if t < n:
            return -1
        up = 0.0
        down = 0.0
        for k in range(t - n + 1, t + 1):
            d = spot[k, a] - spot[k - 1, a]
            if d > 0.0:
                up += d
            else:
                down -= d
        rsi = 100.0 if down == 0.0 else 100.0 - 100.0 / (1.0 + up / down)
        return 1 if rsi > threshold else 0
    # M_VOL: annualised sample volatility of the last n returns
    if t < n:
        return -1
    m = 0.0
    for k in range(t - n + 1, t + 1):
        m += ret_s[k, a]
    m /= n
    v = 0.0
    for k in range(t - n + 1, t + 1):
        d = ret_s[k, a] - m
        v += d * d
    vol = math.sqrt(v / (n - 1) * bars_per_year)
    return 1 if vol > threshold else 0


@njit(cache=True)
def _period(day, schedule):
    """The calendar period of UTC day ``day`` (days since 1970-01-01, a Thursday): Monday-based
    week number, or ``12 * year + month`` from the proleptic Gregorian civil date."""
    d = int(math.floor(day + 1e-6))  # elapsed days are sums of bar lengths: float noise only
    if schedule == REEST_WEEKLY:
        return (d + 3) // 7
    z = d + 719468  # days since 0000-03-01 (Hinnant's civil_from_days)
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return 12 * year + month


@njit(cache=True)
def _funding_apr(fut, fund_lin, fund_inv, t, a, kind, n, bars_per_year):
    """Funding a short received over bars ``t-n+1 .. t`` per unit of hedge notional at each bar's
    close, annualised: ``sum(fund_lin / fut)`` (linear) or ``sum(fund_inv * fut)`` (inverse)
    times ``bars_per_year / n``."""
    acc = 0.0
    for k in range(t - n + 1, t + 1):
        if kind == INVERSE:
            acc += fund_inv[k, a] * fut[k, a]
        else:
            acc += fund_lin[k, a] / fut[k, a]
    return acc * bars_per_year / n


@njit(cache=True)
def _settle_usd(kind, s_px, settle, t, a):
    """USD per unit of a leg's settle currency at bar ``t``."""
    if kind == INVERSE:
        return s_px
    if kind == QUANTO:  # the engine passes settle prices whenever an asset is quanto
        return settle[t, a]
    return 1.0


@njit(cache=True, error_model="numpy")
def _maint(kind, nc, price, tiers, a, ntiers):
    """Maintenance margin (settle currency) of a short of size ``nc = n * C`` at ``price``."""
    notional = nc / price if kind == INVERSE else nc * price
    i = 0
    while i < ntiers - 1 and notional >= tiers[a, i, 1]:
        i += 1
    return notional * tiers[a, i, 2] - tiers[a, i, 3]


@njit(cache=True, error_model="numpy")
def _breached(kind, nc, entry, wallet, price, tiers, a, ntiers):
    """:func:`_short_breached` for a short of size ``nc = n * C`` on asset ``a``'s tiers (A, K, 4).

    The tier search of :func:`_maint` is written out here on purpose: calling ``_maint`` from this
    hot-loop test measured about 10% fewer steps per second (best CPU time of 40 runs, 1M x 10).
    """
    if kind == INVERSE:
        notional = nc / price
        pnl = -nc * (1.0 / entry - 1.0 / price)
    else:
        notional = nc * price
        pnl = -nc * (price - entry)
    i = 0
    while i < ntiers - 1 and notional >= tiers[a, i, 1]:
        i += 1
    return wallet + pnl <= notional * tiers[a, i, 2] - tiers[a, i, 3]


@njit(cache=True, error_model="numpy")
def _pools_breached(kind, n, csize, entry, wallet, high, tiers, ntiers, pool, reserve, breached):
    """Cross margin: flag each pool whose equity at the bar's adverse extreme is at or below its
    maintenance margin.

    A pool's equity is the sum of its legs' wallets plus each leg's PnL at its own bar high (every
    leg at its worst at once: conservative) plus, for pool 0 (USD-settled legs), the ``reserve``;
    its maintenance is the sum of the legs' maintenance margins at those highs (Binance USD-M
    liquidation FAQ, https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93: in
    cross mode the wallet backs every position, less the other positions' maintenance margin plus
    their unrealised PnL; COIN-M positions share only their own coin's wallet). A pool with no open
    leg is never flagged.
    """
    breached[:] = False
    P = breached.shape[0]
    eq = np.zeros(P)
    mm = np.zeros(P)
    open_legs = np.zeros(P, dtype=np.int64)
    eq[0] = reserve
    for a in range(n.shape[0]):
        if n[a] <= 0.0:
            continue
        p = pool[a]
        nc = n[a] * csize[a]
        eq[p] += wallet[a] + _upnl(kind[a], n[a], csize[a], entry[a], high[a])
        mm[p] += _maint(kind[a], nc, high[a], tiers, a, ntiers[a])
        open_legs[p] += 1
    for p in range(P):
        breached[p] = open_legs[p] > 0 and eq[p] <= mm[p]


@njit(cache=True)
def _short_breached(kind, n, csize, entry, wallet, price, tiers, ntiers):
    """True when a short's margin + PnL at ``price`` is at or below its maintenance margin there.

    For a short, ``margin + PnL - MM`` falls as the price rises (MM continuous in the notional,
    slope MMR < 1), so this equals ``price >= liquidation_price_tiered(...)`` without solving for
    the price: a few multiplications per asset-bar in the hot loop. ``tiers`` (K, 4) as in
    :func:`liquidation_price_tiered`.
    """
    return _breached(kind, n * csize, entry, wallet, price, tiers.reshape((1, tiers.shape[0], 4)), 0,
                     ntiers)


@njit(cache=True, error_model="numpy")
def run_policy(spot, fut, fut_high, ret_s, ret_f, fund_lin, fund_inv, roll_to, settle,
               coins0, days, stake_day, kind, csize, lot, tiers, ntiers, cost, pool, cash0, reserve0,
               pf, pi,
               equity, spot_pnl, hedge_pnl, funding, fees, ratio,
               contracts, flags, scalars):
    """Simulate one policy. Writes per-bar outputs and ``scalars`` in place.

    Market (T, A): ``spot`` close USD, ``fut`` hedge close (mark proxy), ``fut_high`` hedge high,
    ``ret_s``/``ret_f`` returns for the estimators (row 0 unused), ``fund_lin`` sum of
    rate*ref and ``fund_inv`` sum of rate/ref over the funding settlements inside the bar,
    ``roll_to`` the next contract's price on a roll bar (NaN otherwise), or shape (0, A) when no
    asset rolls; ``settle`` the USD price of a quanto hedge's settle coin, or shape (0, A) when no
    asset has one. ``days`` (T,) elapsed days of each bar, except ``days[0]``: the first bar's open
    in days since 1970-01-01 UTC (the clock of calendar re-estimation); ``stake_day`` (A,)
    staking APR / 365.
    Assets (A,): ``coins0`` spot coins, ``kind`` LINEAR/INVERSE/QUANTO,
    ``csize``, ``lot``, ``ntiers``, ``cost`` fee + slippage rate; ``tiers`` (A, K, 4)
    maintenance tiers ``floor, cap, mmr, cum`` in the settle currency; ``pool`` the cross-margin
    pool of each leg (0: USD-settled, shared with the reserve; 1..: one per settle coin), used when
    ``pi[I_MARGIN]`` is MARGIN_CROSS: a breached pool closes every leg in it and its whole
    collateral (legs' wallets, and the reserve for pool 0) is lost, as an isolated leg closed at
    its bankruptcy price loses its wallet.
    Outputs: ``equity`` (T,) USD; cumulative spot PnL, hedge PnL, funding (received), fees
    (paid) and the book hedge ratio, each (T,) when detailed, else (1,) scratch (metrics-only
    runs); ``contracts`` and ``flags`` (T, A) when detailed, else (1, A) scratch.
    flags bits: 1 rebalance, 2 liquidation, 4 roll, 8 top-up.
    ``pf`` / ``pi`` may carry ``A`` more slots after ``N_PF`` / ``N_PI``: each asset's on-ratio and
    method (a policy's per-asset ``ratios`` / ``methods``); without them every asset takes the
    policy's ``F_RATIO_ON`` / ``I_METHOD``.

    Hot-loop layout: bars outer, assets inner over row-major (T, A) arrays (one cache line per
    bar); each asset's state sits in locals during its step. A bar with no trade does no
    division: the drift band is tested as ``|n*cv - target*exposure| > band*target*exposure``
    (the same inequality as ``|actual - target| / target > band`` with ``actual = n*cv /
    exposure``, exposure > 0) and the lot-rounded goal is computed only when a trade is due.
    """
    T, A = spot.shape
    detail = contracts.shape[0] == T
    series = spot_pnl.shape[0] == T
    rolls_on = roll_to.shape[0] == T
    method = pi[I_METHOD]
    calendar = pi[I_CALENDAR]
    window = pi[I_WINDOW]
    reest = pi[I_REESTIMATE]
    schedule = pi[I_REEST_CALENDAR]
    clock = days[0]  # the first bar's open in days since 1970-01-01 (see _kernel_args)
    period = _period(clock, schedule) if schedule != REEST_BARS else 0
    sig_n = pi[I_SIGNAL_N]
    ratio_on = pf[F_RATIO_ON]
    ratio_off = pf[F_RATIO_OFF]
    band = pf[F_BAND]
    lev = pf[F_LEVERAGE]
    topup = pf[F_TOPUP]
    up = 1.0 + topup
    cross = pi[I_MARGIN] == MARGIN_CROSS
    n_pools = 1
    for a in range(A):
        n_pools = max(n_pools, pool[a] + 1)
    pool_hit = np.zeros(n_pools, dtype=np.bool_)
    cross_fl = np.zeros(A, dtype=np.int64)  # legs a cross pool liquidated on this bar (flag 2)
    # per-asset method and on-ratio (Policy.methods / ratios) in the slots after N_PI / N_PF
    methods = np.full(A, method)
    ratios_on = np.full(A, ratio_on)
    if pi.shape[0] >= N_PI + A:
        methods[:] = pi[N_PI:N_PI + A]
    if pf.shape[0] >= N_PF + A:
        ratios_on[:] = pf[N_PF:N_PF + A]

    n = np.zeros(A)
    entry = np.zeros(A)
    wallet = np.zeros(A)
    coins = coins0.copy()
    target = np.zeros(A)
    for a in range(A):
        m = methods[a]
        if (m >= M_TREND and m <= M_VOL) or m == M_FUNDING:
            target[a] = ratio_off
        elif m != M_NONE:
            target[a] = ratios_on[a]
    cash = cash0
    reserve = reserve0
    liquidations = 0.0
    margin_lost = 0.0
    rebalances = 0.0
    n_rolls = 0.0
    roll_basis = 0.0
    roll_cost = 0.0
    topups = 0.0
    topup_usd = 0.0
    cum_spot = 0.0
    cum_fund = 0.0
    cum_fee = 0.0
    cum_hedge = 0.0
    prev_eq = 0.0

    for t in range(T):
        bar_fund = 0.0
        bar_fee = 0.0
        bar_spot = 0.0
        hedged_usd = 0.0
        expo_usd = 0.0
        eq = 0.0
        row = t if detail else 0
        cal_due = t == 0 or (calendar > 0 and t % calendar == 0)
        if schedule == REEST_BARS:
            reest_due = t >= window and (t - window) % reest == 0
        else:
            new_period = False
            if t > 0:
                clock += days[t]
                now = _period(clock, schedule)
                new_period = now != period
                period = now
            reest_due = t >= window and (t == window or new_period)
        if cross and t > 0:  # 2. (cross) liquidate breached pools before the legs' steps
            _pools_breached(kind, n, csize, entry, wallet, fut_high[t], tiers, ntiers, pool, reserve,
                            pool_hit)
            if pool_hit[0] and reserve > 0.0:  # the reserve was collateral of the USD pool
                margin_lost += reserve
                reserve = 0.0
            for a in range(A):
                cross_fl[a] = 0
                if n[a] > 0.0 and pool_hit[pool[a]]:  # closed, the whole wallet lost with the pool
                    margin_lost += wallet[a] * _settle_usd(kind[a], spot[t, a], settle, t, a)
                    wallet[a] = 0.0
                    n[a] = 0.0
                    entry[a] = 0.0
                    liquidations += 1.0
                    cross_fl[a] = 2
        for a in range(A):
            s_px = spot[t, a]
            f_px = fut[t, a]
            k_a = kind[a]
            c_a = csize[a]
            n_a = n[a]
            e_a = entry[a]
            w_a = wallet[a]
            coin_a = coins[a]
            fl = 0
            # USD per unit of the settle currency
            if t > 0:
                # 1. spot and staking
                s_prev = spot[t - 1, a]
                earned = coin_a * (days[t] * stake_day[a])
                bar_spot += coin_a * (s_px - s_prev) + earned * s_px
                coin_a += earned
                if n_a > 0.0:
                    # 2. liquidation on the adverse intrabar extreme
                    if not cross and _breached(k_a, n_a * c_a, e_a, w_a, fut_high[t, a], tiers, a,
                                                 ntiers[a]):
                        bp = liquidation_price(k_a, -1.0, n_a, c_a, e_a, w_a, 0.0, 0.0)
                        lost = w_a
                        w_a += _upnl(k_a, n_a, c_a, e_a, bp)
                        lost -= w_a
                        ps = _settle_usd(k_a, s_px, settle, t, a)
                        margin_lost += lost * ps
                        if k_a == INVERSE:
                            coin_a += w_a
                        else:
                            cash += w_a * ps
                        w_a = 0.0
                        n_a = 0.0
                        e_a = 0.0
                        liquidations += 1.0
                        fl |= 2
                    elif k_a == INVERSE:  # one array read per step: the loop is memory-bound
                        # 3. funding settled inside the bar (positive rate: the short receives)
                        got = n_a * c_a * fund_inv[t, a]
                        w_a += got
                        bar_fund += got * s_px
                    else:
                        got = n_a * c_a * fund_lin[t, a]
                        w_a += got
                        bar_fund += got if k_a == LINEAR else got * settle[t, a]

            # 4. decisions at the close
            trade_fee = 0.0
            if rolls_on and not math.isnan(roll_to[t, a]):
                new_px = roll_to[t, a]
                if n_a > 0.0:
                    fee_old = _notional(k_a, n_a, c_a, f_px) * cost[a]
                    fee_new = _notional(k_a, n_a, c_a, new_px) * cost[a]
                    w_a += _upnl(k_a, n_a, c_a, e_a, f_px) - fee_old - fee_new
                    e_a = new_px
                    trade_fee += fee_old + fee_new
                    n_rolls += 1.0
                    roll_basis += (new_px - f_px) / f_px
                    roll_cost += (fee_old + fee_new) * _settle_usd(k_a, s_px, settle, t, a)
                    fl |= 4
                f_px = new_px

            m_a = methods[a]
            if reest_due and (m_a == M_MINVAR or m_a == M_BETA or m_a == M_EWMA):
                if m_a == M_EWMA:
                    h = _ewma(ret_s, ret_f, t, a, window, pf[F_HALFLIFE])
                else:
                    h = _minvar(ret_s, ret_f, t, a, window)
                if not math.isnan(h):
                    target[a] = min(max(h, 0.0), pf[F_MAX_RATIO])
            elif m_a >= M_TREND and m_a <= M_VOL:
                on = _signal_on(m_a, spot, ret_s, t, a, sig_n, pf[F_THRESHOLD], pf[F_BARS_PER_YEAR])
                if on >= 0:
                    target[a] = ratios_on[a] if on == 1 else ratio_off
            elif m_a == M_FUNDING and t >= sig_n - 1:
                apr = _funding_apr(fut, fund_lin, fund_inv, t, a, k_a, sig_n, pf[F_BARS_PER_YEAR])
                if apr > pf[F_THRESHOLD]:
                    target[a] = ratios_on[a]
                elif apr < pf[F_THRESHOLD_OFF]:  # between the two thresholds: keep the state
                    target[a] = ratio_off
            tg = target[a]

            pos_eq = w_a + _upnl(k_a, n_a, c_a, e_a, f_px)
            expo_coin = coin_a + (pos_eq if k_a == INVERSE else 0.0)
            exposure = expo_coin * s_px
            # USD per contract
            if k_a == LINEAR:
                cv = c_a * f_px
            elif k_a == INVERSE:
                cv = c_a
            else:
                cv = c_a * f_px * settle[t, a]
            due = cal_due
            if band > 0.0:
                if tg <= 0.0:
                    due = due or n_a > 0.0
                elif exposure > 0.0:
                    if abs(n_a * cv - tg * exposure) > band * tg * exposure:
                        due = True
                elif band < 1.0:  # no exposure: actual 0, |0 - target| / target = 1
                    due = True
            elif calendar == 0:
                due = True
            if due:
                goal = round_lots(tg * exposure / cv, lot[a]) if exposure > 0.0 else 0.0
                if goal != n_a:
                    dn = goal - n_a
                    fee = _notional(k_a, abs(dn), c_a, f_px) * cost[a]
                    if dn < 0.0:
                        w_a += _upnl(k_a, -dn, c_a, e_a, f_px)
                        if goal <= 0.0:
                            e_a = 0.0
                    elif n_a <= 0.0:
                        e_a = f_px
                    elif k_a == INVERSE:  # harmonic average entry
                        e_a = (n_a + dn) / (n_a / e_a + dn / f_px)
                    else:
                        e_a = (n_a * e_a + dn * f_px) / (n_a + dn)
                    n_a = goal
                    w_a -= fee
                    trade_fee += fee
                    rebalances += 1.0
                    fl |= 1
            if fl & 5:
                # re-set the isolated margin to the initial margin at this price
                pos_eq = w_a + _upnl(k_a, n_a, c_a, e_a, f_px)
                move = (_notional(k_a, n_a, c_a, f_px) / lev if n_a > 0.0 else 0.0) - pos_eq
                w_a += move
                if k_a == INVERSE:
                    coin_a -= move
                else:
                    cash -= move * _settle_usd(k_a, s_px, settle, t, a)
            if topup > 0.0 and n_a > 0.0:  # never in cross margin (Policy refuses topup there)
                if _breached(k_a, n_a * c_a, e_a, w_a, f_px * up, tiers, a, ntiers[a]):
                    pos_eq = w_a + _upnl(k_a, n_a, c_a, e_a, f_px)
                    need = _notional(k_a, n_a, c_a, f_px) / lev - pos_eq
                    ps = _settle_usd(k_a, s_px, settle, t, a)
                    add = min(need, reserve / ps)
                    if add > 0.0:
                        w_a += add
                        reserve -= add * ps
                        topups += 1.0
                        topup_usd += add * ps
                        fl |= 8

            # 5. mark to market
            if fl != 0:
                pos_eq = w_a + _upnl(k_a, n_a, c_a, e_a, f_px)
            if k_a == INVERSE:
                bar_fee += trade_fee * s_px
                eq += (coin_a + pos_eq) * s_px
                hedged_usd += n_a * c_a
                expo_usd += (coin_a + pos_eq) * s_px
            elif k_a == LINEAR:  # ps = 1: the same sums without the multiplications
                bar_fee += trade_fee
                eq += coin_a * s_px + pos_eq
                hedged_usd += n_a * c_a * f_px
                expo_usd += coin_a * s_px
            else:
                ps = settle[t, a]
                bar_fee += trade_fee * ps
                eq += coin_a * s_px + pos_eq * ps
                hedged_usd += n_a * c_a * f_px * ps
                expo_usd += coin_a * s_px
            n[a] = n_a
            entry[a] = e_a
            wallet[a] = w_a
            coins[a] = coin_a
            contracts[row, a] = n_a
            flags[row, a] = fl

        if cross and t > 0:  # the legs the pools lost (outside the step: no cost to isolated runs)
            for a in range(A):
                flags[row, a] |= cross_fl[a]
        eq += cash + reserve  # after this bar's margin transfers
        cum_spot += bar_spot
        cum_fund += bar_fund
        cum_fee += bar_fee
        if t > 0:
            cum_hedge += (eq - prev_eq) - bar_spot - bar_fund + bar_fee
        prev_eq = eq
        equity[t] = eq
        if series:
            spot_pnl[t] = cum_spot
            hedge_pnl[t] = cum_hedge
            funding[t] = cum_fund
            fees[t] = cum_fee
            ratio[t] = hedged_usd / expo_usd if expo_usd > 0.0 else 0.0
    scalars[S_FUNDING] = cum_fund
    scalars[S_FEES] = cum_fee
    scalars[S_REBALANCES] = rebalances
    scalars[S_LIQUIDATIONS] = liquidations
    scalars[S_ROLLS] = n_rolls
    scalars[S_ROLL_COST] = roll_cost
    scalars[S_ROLL_BASIS] = roll_basis
    scalars[S_TOPUPS] = topups
    scalars[S_TOPUP_USD] = topup_usd
    scalars[S_MARGIN_LOST] = margin_lost


@njit(cache=True, parallel=True, error_model="numpy")
def run_sweep(spot, fut, fut_high, ret_s, ret_f, fund_lin, fund_inv, roll_to, settle,
              coins0, days, stake_day, kind, csize, lot, tiers, ntiers, cost, pool, cash0, reserve0,
              pf, pi, equity, scalars):
    """Run ``P`` policies (rows of ``pf`` (P, N_PF) and ``pi`` (P, N_PI)) in parallel.

    Writes ``equity`` (P, T) and ``scalars`` (P, N_SCALARS); per-bar detail is not kept.
    """
    P = pf.shape[0]
    A = spot.shape[1]
    for p in prange(P):
        tmp = np.empty(1)
        c = np.empty((1, A))
        fl = np.empty((1, A), dtype=np.int64)
        run_policy(spot, fut, fut_high, ret_s, ret_f, fund_lin, fund_inv, roll_to, settle,
                   coins0, days, stake_day, kind, csize, lot, tiers, ntiers, cost, pool, cash0, reserve0,
                   pf[p], pi[p], equity[p], tmp, tmp, tmp, tmp, tmp, c, fl, scalars[p])


@njit(cache=True)
def equity_metrics(equity, base, initial, bars_per_year, out):
    """Metrics of one equity curve; ``base`` is the unhedged curve for hedge effectiveness.

    ``initial`` is the book's value before the first trade (fees of the opening trade count).

    ``out`` (N_METRICS) is written at the MET_* positions: total return, volatility
    (annualised, sample), max drawdown (> 0, fraction of the peak), CVaR 95 (> 0, mean loss of
    the worst 5% bar returns), hedge effectiveness (1 - Var(hedged) / Var(unhedged) returns).
    """
    T = equity.shape[0]
    out[MET_TOTAL_RETURN] = equity[T - 1] / initial - 1.0
    m = T - 1
    r = np.empty(m)
    rb = np.empty(m)
    peak = initial
    mdd = max(0.0, 1.0 - equity[0] / initial)
    for t in range(1, T):
        r[t - 1] = equity[t] / equity[t - 1] - 1.0
        rb[t - 1] = base[t] / base[t - 1] - 1.0
        if equity[t] > peak:
            peak = equity[t]
        dd = 1.0 - equity[t] / peak
        if dd > mdd:
            mdd = dd
    if m < 2:
        out[MET_VOLATILITY] = math.nan
        out[MET_CVAR_95] = math.nan
        out[MET_HEDGE_EFFECTIVENESS] = math.nan
        out[MET_MAX_DRAWDOWN] = mdd
        return
    v = np.var(r) * m / (m - 1)
    vb = np.var(rb) * m / (m - 1)
    out[MET_VOLATILITY] = math.sqrt(v * bars_per_year)
    out[MET_MAX_DRAWDOWN] = mdd
    srt = np.sort(r)
    k = max(1, int(math.ceil(0.05 * m)))
    out[MET_CVAR_95] = -np.mean(srt[:k])
    out[MET_HEDGE_EFFECTIVENESS] = 1.0 - v / vb if vb > 0.0 else math.nan


@njit(cache=True, parallel=True)
def sweep_metrics(equity, base, initial, bars_per_year, out):
    """:func:`equity_metrics` for every row of ``equity`` (P, T) into ``out`` (P, N_METRICS)."""
    for p in prange(equity.shape[0]):
        equity_metrics(equity[p], base, initial, bars_per_year, out[p])
