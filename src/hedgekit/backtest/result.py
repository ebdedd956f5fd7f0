"""Backtest results: frozen, with ``to_dict()`` (what ``--json`` prints) and ``to_frame()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.instruments import Instrument

__all__ = ["BacktestResult", "StrategyResult"]

_EVENT_BITS = ((1, "rebalance"), (2, "liquidation"), (4, "roll"), (8, "topup"))


@dataclass(frozen=True, kw_only=True, slots=True)
class StrategyResult:
    """One policy's run. Money in USD; ``max_drawdown`` and ``cvar_95`` are positive losses."""

    name: str
    method: str
    final_equity_usd: float
    total_return: float
    volatility: float
    max_drawdown: float
    cvar_95: float
    hedge_effectiveness: float
    funding_usd: float  # received (> 0) or paid (< 0)
    fees_usd: float  # paid, incl. slippage and roll fees
    rebalances: int
    liquidations: int
    rolls: int
    roll_cost_usd: float
    roll_basis: float  # mean (new - old) / old at the rolls
    topups: int
    topup_usd: float
    margin_lost_usd: float
    # hedges that switch between a perpetual and a dated future (hedgekit.backtest.carry): the
    # switches executed (not counted in ``rolls``) and their fees; None for other books
    switches: int | None = None
    switch_cost_usd: float | None = None
    series: dict[str, np.ndarray] = field(repr=False, compare=False)
    contracts: np.ndarray = field(repr=False, compare=False)
    flags: np.ndarray = field(repr=False, compare=False)

    @classmethod
    def from_kernel(cls, policy: Any, out: dict[str, np.ndarray], metrics: np.ndarray) -> StrategyResult:
        from hedgekit.backtest import _layout as k

        sc = out["scalars"]
        rolls = int(sc[k.S_ROLLS])
        return cls(
            name=policy.name, method=str(policy.method), final_equity_usd=float(out["equity"][-1]),
            total_return=float(metrics[k.MET_TOTAL_RETURN]),
            volatility=float(metrics[k.MET_VOLATILITY]),
            max_drawdown=float(metrics[k.MET_MAX_DRAWDOWN]), cvar_95=float(metrics[k.MET_CVAR_95]),
            hedge_effectiveness=float(metrics[k.MET_HEDGE_EFFECTIVENESS]),
            funding_usd=float(sc[k.S_FUNDING]),
            fees_usd=float(sc[k.S_FEES]), rebalances=int(sc[k.S_REBALANCES]),
            liquidations=int(sc[k.S_LIQUIDATIONS]), rolls=rolls,
            roll_cost_usd=float(sc[k.S_ROLL_COST]),
            roll_basis=float(sc[k.S_ROLL_BASIS] / rolls) if rolls else 0.0,
            topups=int(sc[k.S_TOPUPS]), topup_usd=float(sc[k.S_TOPUP_USD]),
            margin_lost_usd=float(sc[k.S_MARGIN_LOST]),
            series={key: out[key] for key in ("equity", "spot_pnl", "hedge_pnl", "funding", "fees", "ratio")},
            contracts=out["contracts"], flags=out["flags"],
        )

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name, "method": self.method, "final_equity_usd": self.final_equity_usd,
            "total_return": self.total_return, "volatility": self.volatility,
            "max_drawdown": self.max_drawdown, "cvar_95": self.cvar_95,
            "hedge_effectiveness": self.hedge_effectiveness, "funding_usd": self.funding_usd,
            "fees_usd": self.fees_usd, "rebalances": self.rebalances,
            "liquidations": self.liquidations, "rolls": self.rolls,
            "roll_cost_usd": self.roll_cost_usd, "roll_basis": self.roll_basis,
            "topups": self.topups, "topup_usd": self.topup_usd,
            "margin_lost_usd": self.margin_lost_usd,
        }
        if self.switches is not None:
            out["switches"] = self.switches
            out["switch_cost_usd"] = self.switch_cost_usd
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class BacktestResult:
    """Every policy run on the same data, plus the unhedged baseline."""

    index: pd.DatetimeIndex
    names: tuple[str, ...]
    instruments: tuple[Instrument, ...]
    initial_usd: float
    unhedged_equity: np.ndarray = field(repr=False)
    spot: np.ndarray = field(repr=False)
    strategies: tuple[StrategyResult, ...]

    def __getitem__(self, name: str) -> StrategyResult:
        for s in self.strategies:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def settle_coins(self) -> tuple[tuple[str, int], ...]:
        """``(coin, asset column)`` for each settle coin of the inverse hedges, in book order: the
        coins the book is also valued in (``equity_<coin>`` in :meth:`to_frame`)."""
        out: dict[str, int] = {}
        for j, inst in enumerate(self.instruments):
            if inst.is_inverse:
                out.setdefault(inst.settle, j)
        return tuple(out.items())

    def to_dict(self) -> dict[str, Any]:
        """What ``--json`` prints; a book with inverse hedges also gets each strategy's final
        equity in every settle coin (``final_equity_coin``, with ``initial_coin`` beside)."""
        coins = self.settle_coins
        strategies = []
        for s in self.strategies:
            row = s.to_dict()
            if coins:
                row["final_equity_coin"] = {c: float(s.series["equity"][-1] / self.spot[-1, j])
                                            for c, j in coins}
            strategies.append(row)
        out = {
            "start": self.index[0].isoformat(), "end": self.index[-1].isoformat(),
            "bars": len(self.index), "assets": list(self.names), "initial_usd": self.initial_usd,
        }
        if coins:
            out["initial_coin"] = {c: self.initial_usd / float(self.spot[0, j]) for c, j in coins}
        out["strategies"] = strategies
        return out

    def summary(self) -> pd.DataFrame:
        """One row per strategy with the ``to_dict`` metrics."""
        return pd.DataFrame([s.to_dict() for s in self.strategies]).set_index("name")

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """Per-bar equity and its components for one strategy (default: all, stacked by name).

        Columns: ``equity_usd``, ``unhedged_usd``, ``spot_pnl_usd`` (cumulative, incl. staking),
        ``hedge_pnl_usd`` (cumulative; for inverse hedges includes the revaluation of the coin
        margin), ``funding_usd`` (cumulative received), ``fees_usd`` (cumulative paid),
        ``hedge_ratio`` (hedged USD / exposure USD), ``contracts_<asset>``, and ``equity_<coin>`` /
        ``unhedged_<coin>`` (the whole book valued in the coin at its spot close) for every inverse
        hedge's settle coin. ``equity = initial + spot + hedge + funding - fees``.
        """
        if name is None:
            return pd.concat({s.name: self.to_frame(s.name) for s in self.strategies}, names=["strategy"])
        s = self[name]
        frame = pd.DataFrame({
            "equity_usd": s.series["equity"], "unhedged_usd": self.unhedged_equity,
            "spot_pnl_usd": s.series["spot_pnl"], "hedge_pnl_usd": s.series["hedge_pnl"],
            "funding_usd": s.series["funding"], "fees_usd": s.series["fees"],
            "hedge_ratio": s.series["ratio"],
        }, index=self.index)
        for j, asset in enumerate(self.names):
            frame[f"contracts_{asset}"] = s.contracts[:, j]
        for coin, j in self.settle_coins:
            frame[f"equity_{coin}"] = s.series["equity"] / self.spot[:, j]
            frame[f"unhedged_{coin}"] = self.unhedged_equity / self.spot[:, j]
        return frame

    def events(self) -> pd.DataFrame:
        """Rebalances, liquidations, rolls and top-ups: one row per (strategy, bar, asset, kind)."""
        rows = []
        for s in self.strategies:
            bars, cols = np.nonzero(s.flags)
            for b, j in zip(bars, cols, strict=True):
                for bit, kind in _EVENT_BITS:
                    if s.flags[b, j] & bit:
                        rows.append({"strategy": s.name, "time": self.index[b], "asset": self.names[j],
                                     "event": kind, "contracts": float(s.contracts[b, j])})
        return pd.DataFrame(rows, columns=["strategy", "time", "asset", "event", "contracts"])
