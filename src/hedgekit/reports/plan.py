"""Terminal rendering (rich) of a hedge plan and of a scenario grid. No math here."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from hedgekit.reports._terminal import print_natural

__all__ = ["plan_renderable", "render_plan", "render_scenarios", "scenario_renderable"]


def _money(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:+,.0f}" if signed else f"{x:,.0f}"


def _num(x: float | None, digits: int = 6) -> str:
    if x is None:
        return "-"
    return f"{x:,.{digits}g}"


def _price(x: float | None) -> str:
    if x is None:
        return "none"
    return f"{x:,.2f}" if x >= 1 else f"{x:.6g}"


def _settle(amount: float, leg: Any) -> str:
    if leg.instrument.is_linear:
        return f"{amount:,.0f} {leg.settle}"
    return f"{amount:.6g} {leg.settle}"


def _table(title: str, *columns: str, right_from: int = 1) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", header_style="bold")
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if i >= right_from else "left", no_wrap=i == 0)
    return table


def _liquidation_terms(plan: Any) -> str:
    """Which convention and fee to close each venue's liquidation prices use."""
    terms: dict[str, str] = {}
    for leg in plan.legs:
        fee = leg.liquidation_fee_to_close
        terms.setdefault(leg.venue, f"{leg.venue} {leg.liquidation_convention.value}, "
                         + (f"fee to close {fee:.4%}" if fee else "no fee to close"))
    asked = "true" if plan.policy.fee_to_close else "false"
    return f"Liquidation prices: {'; '.join(terms.values())} (hedge.fee_to_close: {asked})"


def plan_renderable(plan: Any) -> Group:
    """Tables for :class:`~hedgekit.planner.HedgePlan`: exposures, legs, rounding, margin and
    carry, totals, warnings and what the hedge cannot remove."""
    parts: list[Any] = []
    ex = _table("Exposures", "asset", "amount", "price", "value USD", "delta (coin)", "note")
    ex.columns[-1].justify = "left"
    for e in plan.exposures:
        note = []
        if e.is_cash:
            note.append("cash")
        if e.lp_amount:
            note.append(f"{_num(e.lp_amount)} in pools")
        if e.locked_amount:
            note.append(f"{_num(e.locked_amount)} locked {e.max_unlock_days:g}d")
        ex.add_row(e.asset, _num(e.amount), _price(e.price), _money(e.value_usd),
                   "-" if e.is_cash else _num(e.delta_coin), ", ".join(note))
    parts.append(ex)

    if not plan.legs:
        parts.append(Text("No hedge legs: nothing risky to hedge.", style="bold"))
    legs = _table("Hedge legs", "asset", "contract", "type", "side", "contracts",
                  "notional USD", "notional coin", "ratio target", "after rounding",
                  right_from=4)
    if plan.held is not None:
        for name in ("held", "trade"):
            legs.add_column(name, justify="right")
    rounding = _table("Rounding to the lot (residual = target - hedged; > 0 under-hedged)",
                      "leg", "exact", "chosen", "residual USD", "round down", "residual",
                      "round up", "residual")
    margin = _table("Margin, liquidation, carry and fees (USD unless marked)", "leg", "lev",
                    "initial margin", "collateral", "liq price", "distance", "funding/8h",
                    "funding/day", "funding 30d", "fees in/out")
    for leg in plan.legs:
        tag = f"{leg.asset}@{leg.venue}"
        legs.add_row(leg.asset, f"{leg.symbol}@{leg.venue}", leg.contract_type.value, leg.side.value,
                     f"{leg.contracts:g}", _money(leg.notional_usd),
                     f"{_num(leg.notional_coin)} {leg.hedge_asset}",
                     f"{leg.hedge_ratio_target:.1%}", f"{leg.hedge_ratio_effective:.2%}",
                     *([] if leg.trade_contracts is None else
                       [f"{leg.current_contracts:+g}", f"{leg.trade_contracts:+g}"]))
        down, up = leg.alternatives
        rounding.add_row(tag, f"{leg.contracts_exact:,.4f}", f"{leg.contracts:g} ({leg.rounding})",
                         f"{leg.residual_usd:+,.0f} ({leg.residual_pct:+.2f}%)",
                         f"{down.contracts:g}", f"{down.residual_usd:+,.0f} ({down.residual_pct:+.2f}%)",
                         f"{up.contracts:g}", f"{up.residual_usd:+,.0f} ({up.residual_pct:+.2f}%)")
        dist = "-" if leg.liquidation_distance_pct is None else f"{leg.liquidation_distance_pct:+.1f}%"
        assumed = "*" if leg.funding_assumed else ""
        margin.add_row(tag, f"{leg.leverage:g}x", _settle(leg.initial_margin, leg),
                       _money(leg.to_usd(leg.collateral_needed)), _price(leg.liquidation_price), dist,
                       f"{leg.funding_rate_8h:.4%}{assumed}",
                       f"{leg.funding_per_day_usd:+,.2f}",
                       _money(leg.funding_30d_usd, signed=True),
                       f"{leg.to_usd(leg.fee_open):,.0f}/{leg.to_usd(leg.fee_close):,.0f}")
    if plan.legs:
        parts += [legs, rounding, margin]
        any_assumed = any(leg.funding_assumed for leg in plan.legs)
        parts.append(Text("Funding: + received, - paid (a positive rate means longs pay shorts)"
                          + ("; * rate assumed (hedge.default_funding_rate_8h)" if any_assumed else ""),
                          style="dim"))
        parts.append(Text(_liquidation_terms(plan), style="dim"))

    if plan.held is not None:
        parts.append(_trades_table(plan))
    sources = plan.price_sources()
    if any(p["source"] not in ("file", "given", "default") for p in sources.values()):
        prices = _table("Prices used", "asset", "price USD", "source", "kind", "as of (UTC)")
        for asset, p in sources.items():
            prices.add_row(asset, _price(p["value"]), p["source"], p["kind"],
                           (p["as_of"] or "-").replace("T", " ")[:16])
        parts.append(prices)

    t = plan.totals()
    parts.append(Text.assemble(
        ("Totals: ", "bold"),
        f"exposure {t['exposure_usd']:,.0f} USD, hedge {t['hedge_notional_usd']:,.0f} USD "
        f"({t['hedge_ratio_effective']:.1%} of it), residual {t['residual_usd']:+,.0f} USD; "
        f"margin {t['initial_margin_usd']:,.0f} USD, collateral {t['collateral_needed_usd']:,.0f} "
        f"USD; funding {t['funding_per_day_usd']:+,.2f} USD/day, {t['funding_30d_usd']:+,.0f} USD "
        f"per 30 days; fees {t['fees_open_usd']:,.2f} to open, {t['fees_close_usd']:,.2f} to close; "
        f"staking/lending yield {t['yield_per_year_usd']:,.0f} USD/year"))
    for title, lines, style in (("Warnings", [w.message for w in plan.warnings], "yellow"),
                                ("What a futures hedge cannot remove", plan.exposure.unhedgeable, ""),
                                ("Notes", plan.notes, "dim")):
        if lines:
            parts.append(Text(title, style="bold"))
            parts += [Text(f"- {line}", style=style) for line in lines]
    return Group(*parts)


def _trades_table(plan: Any) -> Any:
    """Held vs target per leg, then the trades that close the gap (the difference only)."""
    if not plan.trades:
        return Text("Trades: none: what is held matches the plan.", style="bold")
    table = _table("Trades (target - held)", "account", "contract", "side", "contracts",
                   "reduce only", right_from=3)
    for t in plan.trades:
        table.add_row(t.account or "-", f"{t.symbol}@{t.venue}", t.side, f"{t.contracts:g}",
                      "yes" if t.reduce_only else "no")
    return table


def scenario_renderable(result: Any) -> Group:
    """The shock grid of :class:`~hedgekit.scenarios.ScenarioResult` and the liquidation shocks."""
    coin = result.benchmark
    table = _table(f"Shocks to {coin} over {result.horizon_days:g} days (USD unless marked)",
                   "shock", "spot", "hedge", f"hedge {coin}", "funding", "yield", "net",
                   f"net {coin}", "margin ratio", "liquidated", right_from=0)
    for r in result.rows:
        if r.margin_ratio is None:
            ratio = "-"
        elif r.liquidated or r.margin_ratio >= 1:
            ratio = ">= 100%"
        else:
            ratio = f"{r.margin_ratio:.1%}"
        table.add_row(f"{r.shock:+g}%", _money(r.spot_pnl_usd, True), _money(r.hedge_pnl_usd, True),
                      f"{r.hedge_pnl_coin:+.4f}", _money(r.funding_usd, True),
                      _money(r.yield_usd, True), _money(r.net_usd, True), f"{r.net_coin:+.4f}",
                      ratio, Text("YES", style="bold red") if r.liquidated else Text("no"))
    liq = _table("Where each leg is liquidated", "leg", "liq price", "move of its underlying",
                 f"{coin} shock")
    for s in result.liquidation_shocks:
        liq.add_row(f"{s.asset} {s.symbol}@{s.venue}", _price(s.liquidation_price),
                    "never" if s.move_pct is None else f"{s.move_pct:+.1f}%",
                    "never" if s.benchmark_shock_pct is None else f"{s.benchmark_shock_pct:+.1f}%")
    parts: list[Any] = [table]
    if result.liquidation_shocks:
        parts.append(liq)
    betas = ", ".join(f"{a} {b:g}" for a, b in result.betas.items()
                      if a != coin and a not in result.cash)
    parts.append(Text(f"Assets move by beta x shock ({betas}); stablecoins stay at their price. "
                      "A liquidated leg loses its margin and stops hedging.", style="dim"))
    parts += [Text(f"- {n}", style="dim") for n in result.notes]
    return Group(*parts)


def _print(group: Group, console: Console | None) -> None:
    print_natural(console or Console(), group.renderables)


def render_plan(plan: Any, console: Console | None = None) -> None:
    _print(plan_renderable(plan), console)


def render_scenarios(result: Any, console: Console | None = None) -> None:
    _print(scenario_renderable(result), console)
