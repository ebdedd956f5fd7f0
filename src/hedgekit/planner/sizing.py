"""How big a leg is: the hedge ratio per unit of exposure (beta), the funding rate it is carried
at, and the whole-contract rounding alternatives with the residual each leaves.

Everything here reads the policy and the market snapshot; nothing reads a disk or a clock.
"""

from __future__ import annotations

import math

from hedgekit.errors import InputError
from hedgekit.instruments import Instrument
from hedgekit.market.snapshot import STORE, MarketSnapshot
from hedgekit.planner.result import RoundingOption
from hedgekit.portfolio import HedgeMethod, HedgePolicy
from hedgekit.venues import VenuePreset

__all__ = ["beta_for", "funding_rate", "rounding_options"]


def rounding_options(inst: Instrument, exact: float, cv: float, target: float, exposure: float
                     ) -> tuple[RoundingOption, ...]:
    """Round-down and round-up of ``exact`` contracts to the lot, with the residual each leaves."""
    out = []
    for mode in ("down", "up"):
        n = inst.round_contracts(exact, mode)
        notional = n * cv
        resid = target - notional
        out.append(RoundingOption(
            mode=mode, contracts=n, notional_usd=notional, residual_usd=resid,
            residual_pct=100.0 * resid / target if target else 0.0,
            hedge_ratio_effective=notional / exposure if exposure else 0.0))
    return tuple(out)


def beta_for(asset: str, hedge_asset: str, policy: HedgePolicy, market: MarketSnapshot,
             notes: list[str], own: list[str]) -> float:
    """Hedge ratio per unit of exposure for ``asset`` hedged with ``hedge_asset`` futures: 1 for
    notional sizing or the asset's own future, the file's ``hedge.betas``, else the estimate in
    the market snapshot (InputError asking for the beta when there is none)."""
    method = policy.method_for(asset).value
    if method == HedgeMethod.NOTIONAL:
        return 1.0
    if asset in policy.betas:
        return policy.betas[asset]
    if hedge_asset == asset:
        own.append(asset)
        return 1.0
    ask = (f"method {method} needs the beta of {asset} on {hedge_asset}: add "
           f"'{asset}: <beta>' under hedge.betas")
    est = market.beta_for(asset, hedge_asset, method)
    if est is None:
        raise InputError(f"hedge.betas.{asset}", ask + " (the market snapshot has no estimate: "
                         "import history with 'hedgekit data import')", show_value=False)
    if est.value is None:
        raise InputError(f"hedge.betas.{asset}", f"{ask} (estimating it from stored history "
                         f"failed: {est.error})", show_value=False)
    corr = est.correlation if est.correlation is not None else 0.0
    notes.append(f"{asset}: {method} ratio {est.value:.3f} on {hedge_asset} estimated "
                 f"from {est.n_obs} daily returns of stored spot prices (correlation {corr:.2f}); "
                 "the uncorrelated part "
                 f"({math.sqrt(max(0.0, 1 - corr * corr)):.0%} of {asset}'s volatility) stays unhedged")
    return est.value


def funding_rate(policy: HedgePolicy, venue: VenuePreset, inst: Instrument, hedge_asset: str,
                 market: MarketSnapshot, notes: list[str]) -> tuple[float, bool]:
    """``(rate per 8h, assumed?)``: the file's rate for the symbol or coin, else the venue's
    current rate in the market snapshot (synced), else the recent stored mean
    (``recent_funding_days``), else the policy's default."""
    rates = policy.funding_rates
    for key in (inst.symbol.upper(), hedge_asset):
        if key in rates:
            return rates[key], False
    point = market.funding_for(venue.name, inst.symbol)
    if point is not None and point.source != STORE:
        when = "" if point.as_of is None else f" at {point.as_of:%Y-%m-%d %H:%M} UTC"
        notes.append(f"{inst.symbol}@{venue.name}: funding {point.rate_8h:.4%}/8h is the venue's "
                     f"current rate ({point.source}{when})")
        return point.rate_8h, False
    if policy.recent_funding_days:
        if point is not None:
            span = ("" if point.first is None or point.last is None else
                    f" {point.first:%Y-%m-%d} to {point.last:%Y-%m-%d}")
            notes.append(f"{inst.symbol}@{venue.name}: funding {point.rate_8h:.4%}/8h is the mean "
                         f"of {point.settlements} stored settlements{span}")
            return point.rate_8h, False
        notes.append(f"{inst.symbol}@{venue.name}: no stored funding history; "
                     f"{policy.default_funding_rate_8h:.4%}/8h assumed")
    return policy.default_funding_rate_8h, True
