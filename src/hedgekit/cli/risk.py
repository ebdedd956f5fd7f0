"""``hedgekit risk BOOK`` and ``hedgekit size BOOK``: Monte Carlo risk of the planned hedge and
liquidation-aware sizing (issue 15). This module assembles the inputs (the plan, the stored
history, the funding forecast) and hands arrays to :mod:`hedgekit.risk`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from hedgekit.cli.plan import DataDirOpt, JsonOpt, PortfolioArg

__all__ = ["register"]

HorizonOpt = Annotated[int, typer.Option("--horizon-days", help="Days simulated (daily steps).")]
ModelOpt = Annotated[str, typer.Option(
    "--model", help="bootstrap (stationary block bootstrap of the stored joint history), garch "
    "(GJR-GARCH, Student-t) or gbm.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same numbers.")]
NoIntrabarOpt = Annotated[bool, typer.Option(
    "--no-intrabar", help="Count liquidations at the daily closes only (no Brownian-bridge crossing).")]


def _inputs(portfolio: Path, data_dir: Path | None, model: str, horizon_days: int) -> dict[str, Any]:
    """The plan, its book as arrays and the fitted model; the funding forecaster used."""
    import numpy as np

    from hedgekit.cli.plan import build_plan
    from hedgekit.data import Store
    from hedgekit.risk import fit_model, pack_plan
    from hedgekit.risk.engine import plan_assets
    from hedgekit.risk.forecast import forecast
    from hedgekit.risk.inputs import load_history

    plan = build_plan(portfolio, data_dir)
    assets = plan_assets(plan)
    if not assets:
        from hedgekit.errors import InputError

        raise InputError("holdings", "hold no asset with a price risk: nothing to simulate", str(portfolio),
                         show_value=False)
    store = Store(data_dir)
    venues, series, rate_8h, name = funding_forecaster(plan, store, horizon_days)
    fund_day = np.zeros(len(assets))
    for i, asset in enumerate(assets):
        s = series.get(asset)
        if s is not None and name is not None:
            r8 = s.rates * 8.0 / s.interval_hours
            per_day = 24.0 / float(np.median(s.interval_hours))
            fund_day[i] = 3.0 * forecast(name, r8, per_day, int(round(horizon_days * per_day)), s.predicted)
        else:
            fund_day[i] = 3.0 * rate_8h.get(asset, 0.0)
    history = load_history(assets, store=store, venues=venues, funding=series)
    params = fit_model(model, history, fund_day)
    book = pack_plan(plan, horizon_days, assets)
    label = (f"{name} (best walk-forward MAE on the stored funding of the legs)" if name else
             "the plan's funding rate (no stored funding for the legs)")
    return {"plan": plan, "book": book, "params": params, "forecaster": label, "history": history}


def funding_forecaster(plan: Any, store: Any, horizon_days: int) -> tuple[dict[str, str], dict[str, Any],
                                                                          dict[str, float], str | None]:
    """Per hedge asset of the plan's legs: the exchange, the stored funding series (perpetuals
    whose funding is stored) and the plan's 8h rate; and the forecaster with the lowest
    walk-forward MAE on those series at ``horizon_days`` (None when none is stored)."""
    from hedgekit.risk.forecast import best_forecaster
    from hedgekit.risk.inputs import funding_series
    from hedgekit.venues import exchange_of

    venues: dict[str, str] = {}
    series: dict[str, Any] = {}
    rate_8h: dict[str, float] = {}
    for leg in plan.legs:
        if leg.contracts <= 0 or leg.hedge_asset in venues:
            continue
        venues[leg.hedge_asset] = exchange_of(leg.venue)
        rate_8h[leg.hedge_asset] = leg.funding_rate_8h
        if leg.instrument.is_perpetual:
            venue = plan.market.venue(leg.venue) if plan.market is not None else None
            symbol = venue.ccxt_symbol(leg.instrument) if venue is not None else leg.hedge_asset
            found = funding_series(store, venues[leg.hedge_asset], symbol) or funding_series(
                store, venues[leg.hedge_asset], leg.hedge_asset)
            if found is not None:
                series[leg.hedge_asset] = found
    name = best_forecaster([s.scores() for s in series.values()], horizon_days) if series else None
    return venues, series, rate_8h, name


def risk_command(portfolio: PortfolioArg, horizon_days: HorizonOpt = 30,
                 paths: Annotated[int, typer.Option("--paths", help="Simulated paths.")] = 100_000,
                 model: ModelOpt = "bootstrap", seed: SeedOpt = 0, json: JsonOpt = False,
                 no_intrabar: NoIntrabarOpt = False, data_dir: DataDirOpt = None) -> None:
    """Monte Carlo risk of the hedged book: P&L quantiles, VaR/CVaR, funding, liquidation odds."""
    from hedgekit.risk import check_run, simulate, summarize

    check_run(paths, horizon_days, model)
    inp = _inputs(portfolio, data_dir, model, horizon_days)
    (res,) = simulate(inp["book"], inp["params"], paths=paths, horizon_days=horizon_days, seed=seed,
                      intrabar=not no_intrabar)
    report = summarize(inp["book"], res, model=model, seed=seed, horizon_days=horizon_days,
                       forecaster=inp["forecaster"])
    if json:
        from hedgekit.cli._output import print_json

        print_json(report)
        return
    _print_risk(report, inp["history"].days, inp["params"].notes)


def _money(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:,.0f}"


def _print_risk(r: dict[str, Any], days: int, notes: tuple[str, ...]) -> None:
    print(f"{r['model']} model, {r['paths']:,} paths x {r['horizon_days']} days, seed {r['seed']} "
          f"(fitted on {days:,} days of stored history)")
    for key, title in (("unhedged_usd", "unhedged"), ("net_usd", "hedged")):
        s = r[key]
        print(f"{title:>9} P&L USD: mean {_money(s['mean'])}, p05 {_money(s['p05'])}, p50 {_money(s['p50'])}, "
              f"p95 {_money(s['p95'])}; VaR95 {_money(s['var_95'])}, CVaR95 {_money(s['cvar_95'])}, "
              f"VaR99 {_money(s['var_99'])}, CVaR99 {_money(s['cvar_99'])}")
    if r["net_coin"] is not None:
        c = r["net_coin"]
        print(f"   hedged P&L in coin: mean {c['mean']:.4f}, p05 {c['p05']:.4f}, CVaR95 {c['cvar_95']:.4f}")
    f = r["funding_usd"]
    print(f"  funding USD: mean {_money(f['mean'])} (p05 {_money(f['p05'])}, p95 {_money(f['p95'])}); "
          f"forecast: {r.get('funding_forecaster')}")
    for leg in r["legs"]:
        liq = leg["liquidation_price"]
        print(f"  {leg['symbol']}@{leg['venue']}: P(liquidation) {leg['p_liquidation']:.2%}, "
              f"P(top-up) {leg['p_topup']:.2%}, top-up p95 {_money(leg['topup_usd_p95'])} USD, "
              f"liquidation price {'none' if liq is None else f'{liq:,.2f}'}")
    for note in notes:
        print(f"note: {note}")


def size_command(portfolio: PortfolioArg,
                 max_liquidation_prob: Annotated[float, typer.Option(
                     "--max-liquidation-prob", help="Largest acceptable probability of liquidation over the "
                     "horizon.")] = 0.01,
                 horizon_days: HorizonOpt = 30,
                 paths: Annotated[int, typer.Option("--paths", help="Simulated paths.")] = 20_000,
                 model: ModelOpt = "bootstrap", seed: SeedOpt = 0, json: JsonOpt = False,
                 data_dir: DataDirOpt = None) -> None:
    """Liquidation-aware sizing: per leg the highest leverage and least collateral under the
    liquidation-probability limit, and the hedge-ratio x leverage frontier."""
    from hedgekit.errors import InputError
    from hedgekit.risk import check_run
    from hedgekit.risk.sizing import size_book

    check_run(paths, horizon_days, model)
    if not 0 < max_liquidation_prob < 1:
        raise InputError("--max-liquidation-prob", "must be between 0 and 1", max_liquidation_prob)
    inp = _inputs(portfolio, data_dir, model, horizon_days)
    report = size_book(inp["plan"], inp["book"], inp["params"], max_liquidation_prob=max_liquidation_prob,
                       horizon_days=horizon_days, paths=paths, seed=seed)
    if json:
        from hedgekit.cli._output import print_json

        print_json(report)
        return
    print(f"{report['model']} model, {paths:,} paths x {horizon_days} days; limit P(liquidation) <= "
          f"{max_liquidation_prob:.2%}")
    for leg in report["legs"]:
        if leg["max_leverage"] is None:
            print(f"  {leg['symbol']}@{leg['venue']}: no leverage keeps the limit "
                  f"(P(liquidation) {leg['p_liquidation']:.2%} at 1x)")
        else:
            print(f"  {leg['symbol']}@{leg['venue']}: max leverage {leg['max_leverage']:g}x, "
                  f"min collateral {_money(leg['min_collateral_usd'])} USD "
                  f"(P(liquidation) {leg['p_liquidation']:.2%})")
    print("  ratio  leverage    std USD  CVaR95 USD  P(liq)  funding USD")
    for p in report["frontier"]:
        mark = " <- recommended" if p == report["recommended"] else ""
        print(f"  {p['ratio']:5.1f}  {p['leverage']:8g}  {p['std_usd']:9,.0f}  {p['cvar_95_usd']:10,.0f}  "
              f"{p['p_liquidation']:6.2%}  {p['funding_usd']:11,.0f}{mark}")
    if report["recommended"] is None:
        print("  no grid point keeps the limit")


def register(app: typer.Typer) -> None:
    app.command("risk")(risk_command)
    app.command("size")(size_command)
