"""Slow, obviously correct twin of :func:`hedgekit.backtest.kernels.run_policy`.

Plain Python over lists, one bar and one asset at a time, with every money step delegated to the
domain objects: :meth:`Instrument.pnl`, :meth:`Instrument.funding` per settlement event,
:meth:`Instrument.fee`, :meth:`Instrument.round_contracts`, :func:`average_entry` and
:func:`hedgekit.margin.liquidation_price`. It exists to be read and to check the kernel
(tests/test_backtest_parity.py), never to be fast.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from hedgekit.instruments import Instrument, Side, average_entry
from hedgekit.margin import liquidation_price, maintenance_margin

SHORT = Side.SHORT


@dataclass(kw_only=True)
class RefAsset:
    """One hedged holding: spot prices, hedge prices, funding events and the contract."""

    instrument: Instrument
    coins: float
    spot: Sequence[float]
    fut: Sequence[float]
    fut_high: Sequence[float]
    ret_s: Sequence[float]
    ret_f: Sequence[float]
    funding: Sequence[Sequence[tuple[float, float]]]  # per bar: [(rate, ref_price), ...]
    roll_to: Sequence[float]  # next contract price on a roll bar, NaN otherwise
    stake_per_bar: Sequence[float] = ()  # staking yield of each bar (empty = none)
    mmr: float = 0.004
    maint_amount: float = 0.0
    tiers: tuple = ()  # hedgekit.margin.MarginTier rows; replace mmr / maint_amount when given
    cost: float = 0.0  # fee + slippage rate per trade
    settle_px: Sequence[float] = ()  # quanto only: the settle coin's USD price at each close


@dataclass(kw_only=True)
class RefPolicy:
    method: str = "static"  # none, static, minvar, beta, trend, rsi, vol
    ratio_on: float = 1.0
    ratio_off: float = 0.0
    band: float = 0.0
    calendar: int = 0
    window: int = 60
    reestimate: int | str = 30  # bars, or "weekly" / "monthly" (needs simulate(dates=...))
    signal_n: int = 20
    threshold: float = 0.0
    threshold_off: float | None = None  # funding: None = threshold (no hysteresis)
    leverage: float = 1.0
    topup: float = 0.0
    bars_per_year: float = 365.0
    max_ratio: float = 2.0
    halflife: float = 30.0
    margin: str = "isolated"  # or "cross": one pool per settle currency (USD for linear legs)
    ratios: dict[int, float] = field(default_factory=dict)  # by asset index, in place of ratio_on
    methods: dict[int, str] = field(default_factory=dict)  # by asset index, in place of method


@dataclass(kw_only=True)
class RefResult:
    equity: list[float] = field(default_factory=list)
    funding: list[float] = field(default_factory=list)  # cumulative USD received
    fees: list[float] = field(default_factory=list)  # cumulative USD paid
    ratio: list[float] = field(default_factory=list)
    contracts: list[list[float]] = field(default_factory=list)
    liquidations: list[tuple[int, int]] = field(default_factory=list)  # (bar, asset)
    rebalances: int = 0
    rolls: int = 0
    topups: int = 0


@dataclass(kw_only=True)
class _Position:
    contracts: float = 0.0
    entry: float = 0.0
    wallet: float = 0.0  # settle currency


def _maintenance(a: RefAsset) -> dict:
    return {"tiers": a.tiers} if a.tiers else {"mmr": a.mmr, "maint_amount": a.maint_amount}


def _settle_usd(a: RefAsset, t: int) -> float | None:
    return a.settle_px[t] if a.instrument.is_quanto else None


def _usd(a: RefAsset, amount: float, t: int) -> float:
    """Settle-currency amount in USD at bar ``t``: inverse coin at the spot price, quanto settle
    coin at its own price (:meth:`Instrument.settle_to_usd`)."""
    return a.instrument.settle_to_usd(amount, a.spot[t], _settle_usd(a, t))


def _equity_settle(inst: Instrument, pos: _Position, price: float) -> float:
    if pos.contracts == 0:
        return pos.wallet
    return pos.wallet + inst.pnl(SHORT, pos.contracts, pos.entry, price)


def _pool(inst: Instrument) -> str:
    """Cross-margin pool: every linear leg settles in a USD stablecoin, an inverse leg in its coin."""
    return "USD" if inst.is_linear else inst.settle.upper()


def _breached_pools(assets: Sequence[RefAsset], pos: Sequence[_Position], t: int,
                    reserve: float) -> set[str]:
    """Pools whose equity with every leg at its bar high is at or below their maintenance margin
    there; the reserve is collateral of the USD pool."""
    equity: dict[str, float] = {}
    maint: dict[str, float] = {}
    for a, p in zip(assets, pos, strict=True):
        if p.contracts <= 0:
            continue
        key, high = _pool(a.instrument), a.fut_high[t]
        equity[key] = (equity.get(key, reserve if key == "USD" else 0.0)
                       + _equity_settle(a.instrument, p, high))
        maint[key] = maint.get(key, 0.0) + maintenance_margin(a.instrument, p.contracts, high,
                                                              **_maintenance(a))
    return {key for key in equity if equity[key] <= maint[key]}


def _signal(policy: RefPolicy, a: RefAsset, t: int) -> int | None:
    n = policy.signal_n
    if policy.method == "trend":
        if t < n - 1:
            return None
        return int(a.spot[t] < statistics.fmean(a.spot[t - n + 1:t + 1]))
    if t < n:
        return None
    if policy.method == "rsi":
        moves = [a.spot[k] - a.spot[k - 1] for k in range(t - n + 1, t + 1)]
        up = sum(m for m in moves if m > 0)
        down = -sum(m for m in moves if m <= 0)
        rsi = 100.0 if down == 0 else 100.0 - 100.0 / (1.0 + up / down)
        return int(rsi > policy.threshold)
    vol = statistics.stdev(a.ret_s[t - n + 1:t + 1]) * math.sqrt(policy.bars_per_year)
    return int(vol > policy.threshold)


def _funding_apr(policy: RefPolicy, a: RefAsset, t: int) -> float | None:
    """Funding received per unit of short notional (at each bar's hedge close) over the last
    ``signal_n`` bars, annualised; each settlement taken from the instrument's own funding rule."""
    n = policy.signal_n
    if t < n - 1:
        return None
    per_unit = []
    for k in range(t - n + 1, t + 1):
        one = a.instrument.notional_settle(1.0, a.fut[k])  # one contract's notional
        got = sum(a.instrument.funding(SHORT, 1.0, ref, rate) for rate, ref in a.funding[k])
        per_unit.append(got / one)
    return sum(per_unit) * policy.bars_per_year / n


def _minvar(a: RefAsset, t: int, window: int) -> float | None:
    s = a.ret_s[t - window + 1:t + 1]
    f = a.ret_f[t - window + 1:t + 1]
    ms, mf = statistics.fmean(s), statistics.fmean(f)
    var_f = sum((x - mf) ** 2 for x in f)
    if var_f <= 0:
        return None
    return sum((x - mf) * (y - ms) for x, y in zip(f, s, strict=True)) / var_f


def _ewma(a: RefAsset, t: int, window: int, halflife: float) -> float | None:
    raw = [0.5 ** ((window - 1 - k) / halflife) for k in range(window)]
    w = [x / sum(raw) for x in raw]
    s = a.ret_s[t - window + 1:t + 1]
    f = a.ret_f[t - window + 1:t + 1]
    ms = sum(wi * x for wi, x in zip(w, s, strict=True))
    mf = sum(wi * x for wi, x in zip(w, f, strict=True))
    var_f = sum(wi * (x - mf) ** 2 for wi, x in zip(w, f, strict=True))
    if var_f <= 0:
        return None
    return sum(wi * (x - mf) * (y - ms) for wi, x, y in zip(w, f, s, strict=True)) / var_f


def _reestimate_due(policy: RefPolicy, t: int, dates: Sequence[date]) -> bool:
    """Bars: every ``reestimate`` bars from ``window``. Calendar: at ``window``, then on the first
    bar of each ISO week / calendar month (UTC dates of the bar opens)."""
    if t < policy.window:
        return False
    if not isinstance(policy.reestimate, str):
        return (t - policy.window) % policy.reestimate == 0
    if t == policy.window:
        return True
    key = ((lambda d: d.isocalendar()[:2]) if policy.reestimate == "weekly"
           else (lambda d: (d.year, d.month)))
    return key(dates[t]) != key(dates[t - 1])


def simulate(assets: Sequence[RefAsset], policy: RefPolicy, *, cash: float = 0.0,
             reserve: float = 0.0, dates: Sequence[date] = ()) -> RefResult:
    """Replay ``policy`` bar by bar; see :mod:`hedgekit.backtest.kernels` for the rules.
    ``dates`` (the UTC date of each bar's open) is needed for calendar re-estimation only."""
    T = len(assets[0].spot)
    pos = [_Position() for _ in assets]
    coins = [a.coins for a in assets]
    # each asset's own view of the policy: its method and on-ratio where the policy names them
    views = [replace(policy, method=policy.methods.get(i, policy.method),
                     ratio_on=policy.ratios.get(i, policy.ratio_on)) for i in range(len(assets))]
    target = []
    for v in views:
        starts_off = v.method in ("trend", "rsi", "vol", "funding")
        target.append(0.0 if v.method == "none" else (v.ratio_off if starts_off else v.ratio_on))
    out = RefResult()
    cum_fund = cum_fee = 0.0
    for t in range(T):
        held, exposure_total, equity = 0.0, 0.0, 0.0
        row = []
        hit: set[str] = set()
        if policy.margin == "cross" and t > 0:
            hit = _breached_pools(assets, pos, t, reserve)
            if "USD" in hit:
                reserve = 0.0  # lost with the pool it backed
        for i, a in enumerate(assets):
            inst, p = a.instrument, pos[i]
            s_px, f_px = a.spot[t], a.fut[t]
            traded = rolled = False
            if t > 0:
                if a.stake_per_bar:
                    coins[i] += coins[i] * a.stake_per_bar[t]
                if p.contracts > 0:
                    if policy.margin == "cross":  # the pool's whole collateral is lost with it
                        bankrupt = _pool(inst) in hit
                    else:
                        liq = liquidation_price(inst, SHORT, p.contracts, p.entry, p.wallet,
                                                **_maintenance(a))
                        bankrupt = (liq.liquidation_price is not None
                                    and a.fut_high[t] >= liq.liquidation_price)
                        if bankrupt:  # closed at the bankruptcy price: what is left goes back
                            assert liq.bankruptcy_price is not None  # comes with a liquidation price
                            p.wallet += inst.pnl(SHORT, p.contracts, p.entry, liq.bankruptcy_price)
                            if inst.is_inverse:
                                coins[i] += p.wallet
                            else:
                                cash += _usd(a, p.wallet, t)
                    if bankrupt:
                        pos[i] = p = _Position()
                        out.liquidations.append((t, i))
                    else:
                        for rate, ref in a.funding[t]:
                            got = inst.funding(SHORT, p.contracts, ref, rate)
                            p.wallet += got
                            cum_fund += _usd(a, got, t)
            # roll a dated future into the next contract
            if not math.isnan(a.roll_to[t]):
                new_px = a.roll_to[t]
                if p.contracts > 0:
                    fee = (inst.fee(p.contracts, f_px, a.cost) + inst.fee(p.contracts, new_px, a.cost))
                    p.wallet += inst.pnl(SHORT, p.contracts, p.entry, f_px) - fee
                    p.entry = new_px
                    cum_fee += _usd(a, fee, t)
                    out.rolls += 1
                    rolled = True
                f_px = new_px
            # target ratio from trailing data only
            policy = views[i]
            if policy.method in ("minvar", "beta", "ewma"):
                if _reestimate_due(policy, t, dates):
                    h = (_ewma(a, t, policy.window, policy.halflife) if policy.method == "ewma"
                         else _minvar(a, t, policy.window))
                    if h is not None:
                        target[i] = min(max(h, 0.0), policy.max_ratio)
            elif policy.method in ("trend", "rsi", "vol"):
                on = _signal(policy, a, t)
                if on is not None:
                    target[i] = policy.ratio_on if on else policy.ratio_off
            elif policy.method == "funding":
                apr = _funding_apr(policy, a, t)
                off = policy.threshold if policy.threshold_off is None else policy.threshold_off
                if apr is not None and apr > policy.threshold:
                    target[i] = policy.ratio_on
                elif apr is not None and apr < off:  # between the thresholds: keep the state
                    target[i] = policy.ratio_off
            # rebalance
            exposure_coin = coins[i] + (_equity_settle(inst, p, f_px) if inst.is_inverse else 0.0)
            exposure = exposure_coin * s_px
            value = inst.notional_usd(1.0, f_px, _settle_usd(a, t))
            goal = (inst.round_contracts(target[i] * exposure / value, "nearest")
                    if exposure > 0 else 0.0)
            if goal != p.contracts:
                actual = p.contracts * value / exposure if exposure > 0 else 0.0
                due = t == 0 or (policy.calendar > 0 and t % policy.calendar == 0)
                if policy.band > 0:
                    if target[i] <= 0:
                        due = due or p.contracts > 0
                    elif abs(actual - target[i]) / target[i] > policy.band:
                        due = True
                elif policy.calendar == 0:
                    due = True
                if due:
                    change = goal - p.contracts
                    fee = inst.fee(abs(change), f_px, a.cost)
                    if change < 0:
                        p.wallet += inst.pnl(SHORT, -change, p.entry, f_px)
                        if goal == 0:
                            p.entry = 0.0
                    elif p.contracts == 0:
                        p.entry = f_px
                    else:
                        p.entry = average_entry(inst, [(p.contracts, p.entry), (change, f_px)])
                    p.contracts = goal
                    p.wallet -= fee
                    cum_fee += _usd(a, fee, t)
                    out.rebalances += 1
                    traded = True
            if traded or rolled:  # margin back to initial margin at this price
                im = inst.notional_settle(p.contracts, f_px) / policy.leverage if p.contracts else 0.0
                move = im - _equity_settle(inst, p, f_px)
                p.wallet += move
                if inst.is_inverse:
                    coins[i] -= move
                else:
                    cash -= _usd(a, move, t)
            if policy.topup > 0 and p.contracts > 0:
                liq = liquidation_price(inst, SHORT, p.contracts, p.entry, p.wallet,
                                        **_maintenance(a))
                if liq.liquidation_price is not None and liq.liquidation_price <= f_px * (1 + policy.topup):
                    need = inst.notional_settle(p.contracts, f_px) / policy.leverage - _equity_settle(inst, p, f_px)
                    add = min(need, reserve / _usd(a, 1.0, t))
                    if add > 0:
                        p.wallet += add
                        reserve -= _usd(a, add, t)
                        out.topups += 1
            # mark to market
            eq_settle = _equity_settle(inst, p, f_px)
            if inst.is_inverse:
                equity += (coins[i] + eq_settle) * s_px
                exposure_total += (coins[i] + eq_settle) * s_px
            else:
                equity += coins[i] * s_px + _usd(a, eq_settle, t)
                exposure_total += coins[i] * s_px
            held += inst.notional_usd(p.contracts, f_px, _settle_usd(a, t))
            row.append(p.contracts)
        equity += cash + reserve  # after this bar's margin transfers
        out.equity.append(equity)
        out.funding.append(cum_fund)
        out.fees.append(cum_fee)
        out.ratio.append(held / exposure_total if exposure_total > 0 else 0.0)
        out.contracts.append(row)
    return out
