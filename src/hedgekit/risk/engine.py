"""The Monte Carlo risk engine: a plan packed into arrays, paths streamed through the kernels.

Nothing here reads a disk or a clock: the model's inputs (:class:`ModelParams`) come from
:mod:`hedgekit.risk.models` (fitted on a :class:`~hedgekit.risk.models.History` the caller loaded),
and the book from a :class:`~hedgekit.planner.HedgePlan`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hedgekit.errors import InputError
from hedgekit.planner import HedgePlan
from hedgekit.portfolio.schema import LPModel
from hedgekit.risk import kernels as K

__all__ = ["BLOCK", "MODELS", "BookArrays", "LegArrays", "ModelParams", "PathOutputs", "pack_plan",
           "simulate", "check_run"]

MODELS = {"gbm": K.GBM, "garch": K.GARCH, "bootstrap": K.BOOTSTRAP}
MAX_PATHS = 10_000_000
BLOCK_BYTES = 64 * 2**20  # the running summaries of one block stay under this (long horizons: fewer paths)
BLOCK = 1024  # paths per block: the results of a seed do not depend on --paths beyond the prefix


def check_run(paths: int, horizon_days: int, model: str) -> None:
    """InputError naming the flag for a run that cannot be simulated."""
    if int(paths) <= 0:
        raise InputError("--paths", "must be > 0", paths)
    if int(paths) > MAX_PATHS:
        raise InputError("--paths", f"must be <= {MAX_PATHS:,} (per-path results are kept in memory)", paths)
    if int(horizon_days) <= 0:
        raise InputError("--horizon-days", "must be > 0", horizon_days)
    if model not in MODELS:
        raise InputError("--model", f"must be one of {', '.join(MODELS)}", model)


@dataclass(frozen=True, kw_only=True)
class ModelParams:
    """Everything :func:`hedgekit.risk.kernels.draw_block` needs, per asset (daily units).

    ``sigma``: daily log volatility (GBM; the intrabar bridge's volatility in the bootstrap);
    ``corr``: correlation of the normal shocks (GBM, GARCH); ``fund_day``: daily funding forecast
    (GBM, GARCH) or the shift added to the bootstrapped funding; ``basis0``: ``F_0/S_0 - 1``;
    ``garch``: rows ``mu, omega, alpha, gamma, beta, nu, h0``; ``hist_*``: the joint daily
    history (``(days, assets)``) the bootstrap draws rows from.
    """

    model: str
    assets: tuple[str, ...]
    sigma: np.ndarray
    corr: np.ndarray | None = None
    fund_day: np.ndarray | None = None
    basis0: np.ndarray | None = None
    garch: np.ndarray | None = None
    hist_ret: np.ndarray | None = None
    hist_basis: np.ndarray | None = None
    hist_fund: np.ndarray | None = None
    mean_block: float = 10.0
    notes: tuple[str, ...] = ()

    def with_basis(self, basis0: np.ndarray) -> ModelParams:
        return replace(self, basis0=np.asarray(basis0, dtype=np.float64))

    def kernel_args(self) -> tuple:
        n = len(self.assets)
        zeros = np.zeros(n)
        corr = np.eye(n) if self.corr is None else self.corr
        chol = _cholesky(corr)
        g = self.garch if self.garch is not None else np.zeros((7, n))
        g = np.where(np.isfinite(g), g, 0.0)
        if self.garch is None:
            g[5] = 8.0  # nu, unused
        hist = [self.hist_ret, self.hist_basis, self.hist_fund]
        hist = [np.zeros((1, n)) if h is None else np.ascontiguousarray(h, dtype=np.float64) for h in hist]
        return (MODELS[self.model], np.asarray(self.sigma, dtype=np.float64), chol,
                zeros if self.fund_day is None else np.asarray(self.fund_day, dtype=np.float64),
                *[np.ascontiguousarray(g[i]) for i in range(7)], *hist,
                zeros if self.basis0 is None else np.asarray(self.basis0, dtype=np.float64))

    def random_block(self, seed: int, block: int, n: int, horizon_days: int) -> tuple[np.ndarray, ...]:
        """The random numbers of block ``block`` (``n`` paths) for :func:`kernels.draw_block`,
        from numpy's PCG64 generator seeded with ``(seed, block)``: the same seed gives the same
        paths on every machine, and block ``b`` does not depend on how many blocks follow."""
        rng = np.random.default_rng([int(seed), int(block)])
        a = len(self.assets)
        empty3 = np.empty((0, 0, 0))
        gaussian = self.model in ("gbm", "garch")
        normal = rng.standard_normal((n, horizon_days, a)) if gaussian else empty3
        if self.model == "garch" and self.garch is not None:
            chi2 = rng.chisquare(np.maximum(self.garch[5], 2.05), (n, horizon_days, a))
        else:
            chi2 = empty3
        uniform = 1.0 - rng.random((n, horizon_days, a))  # in (0, 1]: the bridge takes its log
        if self.model == "bootstrap":
            rows = 1 if self.hist_ret is None else len(self.hist_ret)
            jump = rng.random((n, horizon_days)) < 1.0 / max(self.mean_block, 1.0)
            pick = rng.integers(0, rows, (n, horizon_days))
        else:
            jump = np.zeros((0, 0), dtype=np.bool_)
            pick = np.zeros((0, 0), dtype=np.int64)
        return normal, chi2, uniform, jump, pick


def _cholesky(corr: np.ndarray) -> np.ndarray:
    c = np.asarray(corr, dtype=np.float64)
    for jitter in (0.0, 1e-10, 1e-8, 1e-6, 1e-4):
        try:
            return np.linalg.cholesky(c + jitter * np.eye(len(c)))
        except np.linalg.LinAlgError:
            continue
    raise InputError("corr", "is not a correlation matrix", None, show_value=False)


@dataclass(frozen=True, kw_only=True)
class LegArrays:
    """The hedge legs as arrays (see :func:`hedgekit.risk.kernels.evaluate_block`)."""

    asset: np.ndarray
    kind: np.ndarray
    sign: np.ndarray
    size: np.ndarray
    f0: np.ndarray
    lp: np.ndarray
    bp: np.ndarray
    settle_usd: np.ndarray
    margin: np.ndarray
    funded: np.ndarray
    warn: np.ndarray
    scale: np.ndarray

    def args(self) -> tuple:
        return (self.asset, self.kind, self.sign, self.size, self.f0, self.lp, self.bp, self.settle_usd,
                self.margin, self.funded, self.warn, self.scale)

    def with_margin(self, margin: np.ndarray, lp: np.ndarray, bp: np.ndarray,
                    scale: np.ndarray | None = None) -> LegArrays:
        return replace(self, margin=margin, lp=lp, bp=bp, scale=self.scale if scale is None else scale)


@dataclass(frozen=True, kw_only=True)
class BookArrays:
    """A plan's book as arrays over ``assets`` (the simulated risk factors)."""

    assets: tuple[str, ...]
    s0: np.ndarray
    spot_coins: np.ndarray   # at the horizon (staking/lending yield accrued)
    spot_coins0: np.ndarray  # now
    cash_usd: float          # stablecoins at the horizon, USD
    cash0: float             # now
    pool_base: np.ndarray
    pool_quote: np.ndarray
    pool_model: np.ndarray
    pool_liq: np.ndarray
    pool_lower: np.ndarray
    pool_upper: np.ndarray
    legs: LegArrays
    leg_labels: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    coin: str | None = None  # settle coin of the inverse legs (net_coin), if any
    basis0: np.ndarray | None = None

    def book_args(self) -> tuple:
        return (self.s0, self.spot_coins, self.spot_coins0, float(self.cash_usd), float(self.cash0),
                self.pool_base, self.pool_quote, self.pool_model, self.pool_liq, self.pool_lower, self.pool_upper)


def plan_assets(plan: HedgePlan) -> tuple[str, ...]:
    """The risk factors of a plan: every non-cash asset held, in a pool, or hedged with."""
    names: list[str] = []
    for e in plan.exposures:
        if not e.is_cash and e.asset not in names and (e.amount or e.delta_coin):
            names.append(e.asset)
    for pool in plan.exposure.pools:
        for name in (pool.base, pool.quote):
            if name in plan.prices and name not in names and not _is_cash(plan, name):
                names.append(name)
    for leg in plan.legs:
        if leg.contracts > 0 and leg.hedge_asset not in names:
            names.append(leg.hedge_asset)
    return tuple(names)


def _is_cash(plan: HedgePlan, asset: str) -> bool:
    e = plan.exposure.get(asset)
    if e is not None:
        return e.is_cash
    from hedgekit.portfolio import is_cash

    return is_cash(asset)


def pack_plan(plan: HedgePlan, horizon_days: int, assets: Sequence[str] | None = None) -> BookArrays:
    """The book of ``plan`` as arrays: spot coins (with the staking/lending yield accrued over
    ``horizon_days``), stablecoin cash, pools and every leg with contracts."""
    names = tuple(assets) if assets is not None else plan_assets(plan)
    where = {a: i for i, a in enumerate(names)}
    n = len(names)
    s0 = np.array([plan.prices[a] for a in names], dtype=np.float64)
    spot = np.zeros(n)
    spot0 = np.zeros(n)
    cash = cash0 = 0.0
    for e in plan.exposures:
        coins = e.amount - e.lp_amount
        accrued = e.yield_coin_per_year * horizon_days / 365.0
        if e.is_cash or e.asset not in where:
            cash0 += coins * e.price
            cash += (coins + accrued) * e.price
        else:
            spot0[where[e.asset]] += coins
            spot[where[e.asset]] += coins + accrued
    pools = plan.exposure.pools
    pb, pq, pm, pl, plo, phi = [], [], [], [], [], []
    for pool in pools:
        if pool.base not in where:
            raise InputError("holdings", f"pool {pool.pool}: no price path for {pool.base}", pool.pool)
        pb.append(where[pool.base])
        pq.append(where.get(pool.quote, -1))
        pm.append(0 if pool.model is LPModel.CONSTANT_PRODUCT else 1)
        pl.append(pool.liquidity)
        plo.append(pool.lower or 0.0)
        phi.append(pool.upper or 0.0)
    legs = [leg for leg in plan.legs if leg.contracts > 0]
    warn = plan.policy.liquidation_warning_pct / 100.0
    leg_arrays = LegArrays(
        asset=np.array([where[leg.hedge_asset] for leg in legs], dtype=np.int64),
        kind=np.array([K.INVERSE if leg.instrument.is_inverse else K.LINEAR for leg in legs], dtype=np.int64),
        sign=np.array([float(leg.side.sign) for leg in legs]),
        size=np.array([leg.contracts * leg.instrument.contract_size for leg in legs]),
        f0=np.array([leg.price for leg in legs]),
        lp=np.array([leg.liquidation_price or 0.0 for leg in legs]),
        bp=np.array([leg.bankruptcy_price or 0.0 for leg in legs]),
        settle_usd=np.array([leg.settle_usd for leg in legs]),
        margin=np.array([leg.initial_margin for leg in legs]),
        funded=np.array([leg.dated is None and leg.instrument.is_perpetual for leg in legs], dtype=np.bool_),
        warn=np.full(len(legs), warn),
        scale=np.ones(len(legs)),
    )
    basis0 = np.zeros(n)
    for leg in legs:
        if leg.instrument.is_perpetual:
            basis0[where[leg.hedge_asset]] = leg.price / plan.prices[leg.hedge_asset] - 1.0
    coin = next((leg.settle for leg in legs if leg.instrument.is_inverse), None)
    labels = tuple({"venue": leg.venue, "symbol": leg.symbol, "asset": leg.hedge_asset,
                    "liquidation_price": leg.liquidation_price} for leg in legs)
    return BookArrays(assets=names, s0=s0, spot_coins=spot, spot_coins0=spot0, cash_usd=cash, cash0=cash0,
                      pool_base=np.array(pb, dtype=np.int64), pool_quote=np.array(pq, dtype=np.int64),
                      pool_model=np.array(pm, dtype=np.int64), pool_liq=np.array(pl, dtype=np.float64),
                      pool_lower=np.array(plo, dtype=np.float64), pool_upper=np.array(phi, dtype=np.float64),
                      legs=leg_arrays, leg_labels=labels, coin=coin, basis0=basis0)


@dataclass(frozen=True, kw_only=True)
class PathOutputs:
    """Per-path results (no path history): ``out`` ``(paths, N_OUT)``, ``legs`` ``(paths, legs,
    N_LEG_OUT)`` and, for an inverse book, the coin's spot at the horizon (``coin_end``)."""

    out: np.ndarray
    legs: np.ndarray | None
    coin_end: np.ndarray | None
    leg_liquidated: np.ndarray  # per leg, the share of paths on which it was liquidated
    any_liquidated: np.ndarray  # per path, 1.0 when any leg was liquidated


def simulate(book: BookArrays, params: ModelParams, *, paths: int, horizon_days: int, seed: int,
             intrabar: bool = True, leg_sets: Sequence[LegArrays] | None = None,
             block: int = BLOCK, keep_legs: bool = True) -> list[PathOutputs]:
    """Draw ``paths`` paths of ``horizon_days`` daily steps in blocks of ``block`` and value the
    book on them, once per leg set (default: the plan's legs). Memory is bounded by the block:
    only per-path results are kept (per-leg ones only with ``keep_legs``)."""
    check_run(paths, horizon_days, params.model)
    if tuple(params.assets) != tuple(book.assets):
        raise InputError("assets", "the model and the book must cover the same assets", list(params.assets))
    sets = list(leg_sets) if leg_sets is not None else [book.legs]
    n_assets = len(book.assets)
    basis0 = params.basis0 if params.basis0 is not None else book.basis0
    prm = params.with_basis(basis0 if basis0 is not None else np.zeros(n_assets))
    margs = prm.kernel_args()
    # the block's size depends on the horizon and the assets only, never on --paths: the random
    # numbers of every block are drawn for a full block, so a run's first paths do not depend on
    # how many follow
    size = min(block, max(1, BLOCK_BYTES // (8 * K.N_RUN * horizon_days * n_assets)))
    ends = np.empty((size, n_assets, K.N_ENDS))
    run = np.empty((K.N_RUN, size, horizon_days, n_assets))
    no_raw = np.empty((0, 0, 0, 0))
    results = [(np.empty((paths, K.N_OUT)),
                np.empty((paths, len(legs.asset), K.N_LEG_OUT)) if keep_legs else None,
                np.zeros(len(legs.asset)), np.empty(paths)) for legs in sets]
    coin_idx = book.assets.index(book.coin) if book.coin in book.assets else -1
    coin_end = np.empty(paths) if coin_idx >= 0 else None
    book_args = book.book_args()
    for b, start in enumerate(range(0, paths, size)):
        n = min(size, paths - start)
        K.draw_block(margs[0], n, horizon_days, intrabar, *margs[1:], *prm.random_block(seed, b, size, horizon_days),
                     ends, run, False, no_raw)
        for (out, leg_out, liq_sum, any_liq), legs in zip(results, sets, strict=True):
            o = np.empty((n, K.N_OUT))
            lo_ = np.empty((n, len(legs.asset), K.N_LEG_OUT))
            K.evaluate_block(n, horizon_days, ends, run, *book_args, *legs.args(), o, lo_)
            out[start:start + n] = o
            if leg_out is not None:
                leg_out[start:start + n] = lo_
            flags = lo_[:, :, K.L_LIQUIDATED]
            liq_sum += flags.sum(axis=0)
            any_liq[start:start + n] = flags.max(axis=1) if flags.shape[1] else 0.0
        if coin_end is not None:
            coin_end[start:start + n] = book.s0[coin_idx] * np.exp(ends[:n, coin_idx, K.E_LOG_S])
    return [PathOutputs(out=o, legs=lg, coin_end=coin_end, leg_liquidated=liq / paths, any_liquidated=anyl)
            for o, lg, liq, anyl in results]


def tail_stats(x: np.ndarray) -> dict[str, float]:
    """Mean, percentiles, VaR and CVaR (losses as positive numbers) of a P&L sample."""
    x = np.asarray(x, dtype=np.float64)
    p01, p05, p50, p95 = np.percentile(x, [1, 5, 50, 95])
    return {"mean": float(x.mean()), "p01": float(p01), "p05": float(p05), "p50": float(p50),
            "p95": float(p95), "var_95": float(-p05), "cvar_95": _cvar(x, p05),
            "var_99": float(-p01), "cvar_99": _cvar(x, p01)}


def _cvar(x: np.ndarray, q: float) -> float:
    tail = x[x <= q]
    return float(-tail.mean()) if tail.size else float(-q)


def summarize(book: BookArrays, res: PathOutputs, *, model: str, seed: int, horizon_days: int,
              forecaster: str | None = None) -> dict[str, Any]:
    """The ``hedgekit risk --json`` object of one simulation."""
    out = res.out
    paths = out.shape[0]
    net_coin = None
    if res.coin_end is not None and book.coin is not None:
        i = book.assets.index(book.coin)
        v0 = float(out[0, K.O_END_VALUE] - out[0, K.O_NET])
        net_coin = tail_stats(out[:, K.O_END_VALUE] / res.coin_end - v0 / book.s0[i])
    fund = out[:, K.O_FUNDING]
    if res.legs is None:
        raise ValueError("summarize needs the per-leg outputs (simulate with keep_legs=True)")
    legs = []
    for j, label in enumerate(book.leg_labels):
        liq = res.legs[:, j, K.L_LIQUIDATED]
        legs.append({"venue": label["venue"], "symbol": label["symbol"],
                     "p_liquidation": float(liq.mean()),
                     "p_topup": float(res.legs[:, j, K.L_TOPUP].mean()),
                     "topup_usd_p95": float(np.percentile(res.legs[:, j, K.L_TOPUP_USD], 95)),
                     "liquidation_price": label["liquidation_price"]})
    report: dict[str, Any] = {
        "horizon_days": horizon_days, "paths": paths, "model": model, "seed": seed,
        "net_usd": tail_stats(out[:, K.O_NET]), "unhedged_usd": tail_stats(out[:, K.O_UNHEDGED]),
        "net_coin": net_coin,
        "funding_usd": {"mean": float(fund.mean()), "p05": float(np.percentile(fund, 5)),
                        "p95": float(np.percentile(fund, 95))},
        "legs": legs,
    }
    if forecaster is not None:
        report["funding_forecaster"] = forecaster
    return report


def liquidation_se(p: float, paths: int) -> float:
    """Monte Carlo standard error of a simulated probability."""
    return math.sqrt(max(p * (1 - p), 0.0) / paths)
