"""Terminal rendering of the live book (``hedgekit positions``). No math here."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hedgekit.reports._terminal import print_natural

__all__ = ["render_positions"]


def _num(x: Any, fmt: str = ",.6g") -> str:
    return "-" if x is None else format(x, fmt)


def render_positions(report: dict[str, Any], console: Console | None = None) -> None:
    parts: list[Any] = []
    synced = f" (synced {report['as_of'][:16].replace('T', ' ')} UTC)" if report["as_of"] else ""
    table = Table(title=f"Positions{synced}", title_justify="left",
                  title_style="bold", header_style="bold")
    for i, name in enumerate(("account", "contract", "side", "contracts", "entry", "mark",
                              "notional USD", "uPnL", "mode", "liq (venue)", "liq (hedgekit)",
                              "funding")):
        table.add_column(name, justify="left" if i < 3 else "right")
    for p in report["positions"]:
        table.add_row(escape(str(p["account"] or "-")), escape(f"{p['symbol']}@{p['venue']}"),
                      p["side"], _num(p["contracts"], "g"), _num(p["entry_price"], ",.2f"),
                      _num(p["mark_price"], ",.2f"), _num(p["notional_usd"], ",.0f"),
                      "-" if p["unrealized_pnl"] is None else f"{p['unrealized_pnl']:+,.6g} {p['pnl_currency']}",
                      p["margin_mode"] or "-", _num(p["liquidation_price_venue"], ",.2f"),
                      _num(p["liquidation_price"], ",.2f"),
                      "-" if p["funding_rate"] is None else f"{p['funding_rate']:.4%}")
    parts.append(table if report["positions"] else Text("No positions.", style="bold"))
    if report["balances"]:
        bal = Table(title="Balances", title_justify="left", title_style="bold", header_style="bold")
        for i, name in enumerate(("account", "currency", "total", "free", "used")):
            bal.add_column(name, justify="left" if i < 2 else "right")
        for b in report["balances"]:
            bal.add_row(escape(b["account"]), escape(b["currency"]), _num(b["total"]),
                        _num(b["free"]), _num(b["used"]))
        parts.append(bal)
    for w in report["warnings"]:
        parts.append(Text(f"warning: {w}", style="yellow"))
    for name in report["never_synced"]:
        parts.append(Text(f"account {name} has never been synced: run hedgekit sync", style="yellow"))
    print_natural(console or Console(), parts)
