"""Hedge one asset with a perpetual or a dated future, switching to whichever carries more.

An asset whose config names both (``hedge: {venue, symbol, dated: {...}, switch: {...}}``) is
backtested on the dated future's trading days with the perpetual sampled on them. The switch
rule only reads market data, so the instrument held after every close is fixed before the
kernel runs; each policy picks it with ``hedge_with``: ``perp`` (always the perpetual),
``dated`` (always the rolled front contract) or ``carry`` (the rule below, with the asset's
``window`` / ``margin`` or the policy's ``switch_window`` / ``switch_margin``).

At each close, once ``window`` bars of funding exist (the perpetual before that):

* the perpetual's carry is the funding APR a short received over the last ``window`` bars, as
  the ``funding`` policy method reads it: ``sum(funding per unit notional at each bar's close)
  * bars_per_year / window``;
* the dated future's carry is its annualised basis ``(F / spot - 1) * 365 / days_to_expiry``
  (simple, as :func:`hedgekit.data.continuous_future`), for the contract a short opened at this
  close would hold (the next one on a roll bar): what the short earns as it converges;
* the short moves to the other instrument only when that one carries more by more than
  ``margin`` (an APR fraction): the hysteresis that keeps it from churning.

A switch is executed like a roll: the short is closed at the old instrument's close and reopened
on the new one at its close, the position carried over in coins. The composite hedge is one
linear contract of 1 coin whose lot is the coarser of the two coin steps (``contract_size x
lot_size`` of each; the coarser must be a whole multiple of the finer), so every size it holds
is tradable on both. Funding accrues only on bars that start on the perpetual.

Fees: each instrument's own fee + the asset's slippage, on both legs of a switch and on every
trade. The kernel runs these assets without fees and they are charged here from its trades:
with linear contracts and the margin re-set to notional / leverage after every trade, a fee
only moves cash, so the result is the same to rounding. Maintenance: one table per asset, the
higher of the two rates bracket by bracket (see ``hedgekit.backtest.config``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hedgekit.backtest.engine import AssetSpec, Market, Policy, _kernel_args, run_policy_arrays

__all__ = ["DATED", "PERP", "CarryLeg", "CarryRun", "carry_aprs", "composite", "held_for",
           "switch_schedule", "with_carry"]

PERP, DATED = 0, 1


@dataclass(frozen=True, kw_only=True)
class CarryLeg:
    """Both hedges of one asset on the market's bars (arrays of length T).

    Perpetual: ``perp_close``, ``perp_high`` (the highest price since the previous trading
    day's close), ``perp_fund_lin`` / ``perp_fund_inv`` (per-bar funding sums as
    :class:`~hedgekit.backtest.engine.Market`), ``perp_settlements`` (bar, rate, reference).
    Dated: the continuous front contract's ``dated_close`` / ``dated_high``, ``dated_roll_to``
    (the next contract's close on a roll bar, else NaN) and ``dated_days``: calendar days to
    expiry of the contract a short opened at the bar's close holds. ``perp_cost`` /
    ``dated_cost``: fee + slippage, fractions of the traded notional. ``window`` (bars) and
    ``margin`` (APR fraction): the switch rule.
    """

    perp_close: np.ndarray
    perp_high: np.ndarray
    perp_fund_lin: np.ndarray
    perp_fund_inv: np.ndarray
    perp_settlements: tuple[np.ndarray, np.ndarray, np.ndarray] = field(repr=False)
    dated_close: np.ndarray
    dated_high: np.ndarray
    dated_roll_to: np.ndarray
    dated_days: np.ndarray
    perp_cost: float
    dated_cost: float
    window: int = 30
    margin: float = 0.05

    @property
    def dated_entry(self) -> np.ndarray:
        """Price at which a short entered at each close opens the dated future."""
        return np.where(np.isfinite(self.dated_roll_to), self.dated_roll_to, self.dated_close)


def carry_aprs(leg: CarryLeg, spot: np.ndarray, bars_per_year: float) -> tuple[np.ndarray, np.ndarray]:
    """(perpetual funding APR, dated annualised basis) at each close; the APR is NaN until
    ``window`` bars exist."""
    n = leg.window
    per_bar = leg.perp_fund_lin / leg.perp_close
    perp = np.full(len(per_bar), np.nan)
    if len(per_bar) >= n:
        perp[n - 1:] = np.lib.stride_tricks.sliding_window_view(per_bar, n).sum(axis=1) * bars_per_year / n
    dated = (leg.dated_entry / spot - 1.0) * 365.0 / leg.dated_days
    return perp, dated


def switch_schedule(perp_apr: np.ndarray, dated_apr: np.ndarray, margin: float) -> np.ndarray:
    """Instrument held after each close (PERP / DATED): start on the perpetual, move when the
    other carries more by more than ``margin``; a bar without a perpetual APR keeps the state."""
    held = np.empty(len(perp_apr), dtype=np.int8)
    cur = PERP
    for t, (p, d) in enumerate(zip(perp_apr.tolist(), dated_apr.tolist(), strict=True)):
        if cur == PERP and d > p + margin:
            cur = DATED
        elif cur == DATED and p > d + margin:
            cur = PERP
        held[t] = cur
    return held


def held_for(leg: CarryLeg, hedge_with: str, spot: np.ndarray, bars_per_year: float) -> np.ndarray:
    """The instrument held after each close for a policy's ``hedge_with``."""
    T = len(spot)
    if hedge_with == "perp":
        return np.full(T, PERP, dtype=np.int8)
    if hedge_with == "dated":
        return np.full(T, DATED, dtype=np.int8)
    perp, dated = carry_aprs(leg, spot, bars_per_year)
    return switch_schedule(perp, dated, leg.margin)


def _during(held: np.ndarray) -> np.ndarray:
    """Instrument held during each bar (from the previous close); bar 0 opens on ``held[0]``."""
    return np.concatenate((held[:1], held[:-1]))


def composite(leg: CarryLeg, held: np.ndarray) -> dict[str, Any]:
    """The hedge columns of the kernel's market for one asset holding ``held``.

    ``fut`` / ``fut_high``: close and high of the instrument held during the bar; ``roll_to``:
    on a switch the new instrument's entry price, on a dated roll while holding the dated future
    the next contract's close; funding only on bars held on the perpetual.
    """
    during = _during(held)
    on_dated = during == DATED
    fut = np.where(on_dated, leg.dated_close, leg.perp_close)
    high = np.where(on_dated, leg.dated_high, leg.perp_high)
    entry = np.where(held == DATED, leg.dated_entry, leg.perp_close)
    dated_roll = np.where(held == DATED, leg.dated_roll_to, np.nan)
    roll_to = np.where(held != during, entry, dated_roll)
    prev = np.where(np.isfinite(roll_to[:-1]), roll_to[:-1], fut[:-1])
    ret_f = np.concatenate(([0.0], fut[1:] / prev - 1.0))
    bars, rate, ref = leg.perp_settlements
    keep = ~on_dated[bars]
    return {"fut": fut, "fut_high": high, "roll_to": roll_to, "ret_f": ret_f,
            "fund_lin": np.where(on_dated, 0.0, leg.perp_fund_lin),
            "fund_inv": np.where(on_dated, 0.0, leg.perp_fund_inv),
            "settlements": (bars[keep], rate[keep], ref[keep])}


def _market(market: Market, columns: dict[int, dict[str, Any]]) -> Market:
    """``market`` with the hedge columns of the given assets replaced."""
    arrays = {key: getattr(market, key).copy()
              for key in ("fut", "fut_high", "roll_to", "ret_f", "fund_lin", "fund_inv")}
    settlements = list(market.settlements)
    for j, cols in columns.items():
        for key, arr in arrays.items():
            arr[:, j] = cols[key]
        settlements[j] = cols["settlements"]
    return replace(market, **arrays, settlements=tuple(settlements))


def with_carry(market: Market, legs: dict[str, CarryLeg]) -> Market:
    """The market of a book with carry hedges: the ``carry`` composite in the hedge columns
    (what :func:`hedgekit.backtest.engine.sweep` or a policy without ``hedge_with`` sees) and
    ``legs`` attached for :func:`run_backtest` to build each policy's own."""
    bpy = market.bars_per_year
    columns = {}
    for name, leg in legs.items():
        j = market.names.index(name)
        columns[j] = composite(leg, held_for(leg, "carry", market.spot[:, j], bpy))
    return replace(_market(market, columns), carry=dict(legs))


def _rule(leg: CarryLeg, policy: Policy) -> CarryLeg:
    """``leg`` with the policy's ``switch_window`` / ``switch_margin`` in place of its own."""
    window = leg.window if policy.switch_window is None else int(policy.switch_window)
    margin = leg.margin if policy.switch_margin is None else float(policy.switch_margin)
    return replace(leg, window=window, margin=margin)


class CarryRun:
    """Runs policies on a market with carry hedges: per ``hedge_with`` the composite market
    (built once), the kernel without fees on those assets, then their fees charged."""

    def __init__(self, assets: Sequence[AssetSpec], market: Market, cash: float, reserve: float):
        assert market.carry
        self.market = market
        self.legs: dict[int, CarryLeg] = {market.names.index(name): leg
                                          for name, leg in market.carry.items()}
        self.assets = [replace(a, fee=0.0, slippage=0.0) if j in self.legs else a
                       for j, a in enumerate(assets)]
        self.cash, self.reserve = cash, reserve
        self._built: dict[tuple, tuple] = {}

    def _build(self, policy: Policy):
        key = (policy.hedge_with, policy.switch_window, policy.switch_margin)
        if key not in self._built:
            bpy = self.market.bars_per_year
            held = {j: held_for(_rule(leg, policy), policy.hedge_with, self.market.spot[:, j], bpy)
                    for j, leg in self.legs.items()}
            columns = {j: composite(self.legs[j], h) for j, h in held.items()}
            m = _market(self.market, columns)
            self._built[key] = (_kernel_args(self.assets, m, self.cash, self.reserve), m, held)
        return self._built[key]

    def run(self, policy: Policy, bars_per_year: float) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The kernel's outputs with the carry assets' fees charged, and the result's switch fields."""
        from hedgekit.backtest import _layout as k

        args, m, held = self._build(policy)
        out = run_policy_arrays(args, policy, bars_per_year, names=m.names)
        sc = out["scalars"]
        paid = np.zeros(len(m.index))
        switches, switch_cost, roll_cost, basis = 0, 0.0, 0.0, 0.0
        for j, h in held.items():
            bar_fee, moved, switched = trade_fees(self.legs[j], h, m.fut[:, j], m.roll_to[:, j],
                                                  out["contracts"][:, j], out["flags"][:, j])
            paid += bar_fee
            switches += int(switched.sum())
            switch_cost += float(moved[switched].sum())
            roll_cost += float(moved[~switched].sum())
            f, r = m.fut[switched, j], m.roll_to[switched, j]
            basis += float(((r - f) / f).sum())
        cum = np.cumsum(paid)
        out["equity"] -= cum
        out["fees"] += cum
        sc[k.S_FEES] += cum[-1]
        sc[k.S_ROLLS] -= switches
        sc[k.S_ROLL_COST] += roll_cost
        sc[k.S_ROLL_BASIS] -= basis
        return out, {"switches": switches, "switch_cost_usd": switch_cost}


def trade_fees(leg: CarryLeg, held: np.ndarray, fut: np.ndarray, roll_to: np.ndarray,
               contracts: np.ndarray, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fees of one carry asset per bar from the kernel's trades (contracts are coins).

    Returns (fee per bar, the roll / switch part of it per bar, bars whose move was a switch).
    On a bar flagged roll (4) the position held before the close (none after a liquidation, 2)
    is closed at ``fut`` at the old instrument's rate and reopened at ``roll_to`` at the new
    one's; any rebalance then trades the difference at the new price and rate.
    """
    during = _during(held)
    rate_old = np.where(during == DATED, leg.dated_cost, leg.perp_cost)
    rate_new = np.where(held == DATED, leg.dated_cost, leg.perp_cost)
    before = np.concatenate(([0.0], contracts[:-1]))
    before[(flags & 2) != 0] = 0.0
    rolled = (flags & 4) != 0
    moved = np.zeros(len(fut))
    moved[rolled] = before[rolled] * (fut[rolled] * rate_old[rolled] + roll_to[rolled] * rate_new[rolled])
    price = np.where(np.isfinite(roll_to), roll_to, fut)
    traded = np.abs(contracts - before) * price * rate_new
    return moved + traded, moved, rolled & (held != during)
