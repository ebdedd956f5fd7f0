"""``hedgekit analyze funding``: walk-forward, out-of-sample scores of the funding forecasters
(:mod:`hedgekit.risk.forecast`) on every stored funding series, as a Markdown table or JSON.

``analyze`` itself is one command with options; :class:`AnalyzeCommand` routes a first argument
``funding`` to this command instead, so both ``hedgekit analyze --assets SOL`` and
``hedgekit analyze funding`` work.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

__all__ = ["AnalyzeCommand", "funding_command", "funding_table"]

SUBCOMMAND = "funding"


def funding_table(rows: list[dict[str, Any]], horizons: tuple[int, ...]) -> str:
    """Markdown: one row per forecaster, MAE (bp per 8h) and sign hit rate per horizon, averaged
    over the series that forecaster could be scored on."""
    from hedgekit.risk.forecast import FORECASTERS

    head = "| forecaster | series | " + " | ".join(f"MAE {h}d (bp/8h) | hit {h}d" for h in horizons) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(horizons))]
    for name in FORECASTERS:
        scored = [r["scores"][name] for r in rows if name in r["scores"]]
        if not scored:
            lines.append(f"| {name} | 0 | " + " | ".join("n/a | n/a" for _ in horizons) + " |")
            continue
        cells = []
        for h in horizons:
            vals = [s[h] for s in scored if h in s]
            if not vals:
                cells.append("n/a | n/a")
                continue
            mae = sum(v["mae"] for v in vals) / len(vals) * 1e4
            hit = sum(v["hit_rate"] for v in vals) / len(vals)
            cells.append(f"{mae:.3f} | {hit:.1%}")
        lines.append(f"| {name} | {len(scored)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def funding_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (scores per series).")] = False,
    horizon_days: Annotated[int, typer.Option(
        "--horizon-days", help="Horizon used to name the best forecaster.")] = 30,
    data_dir: Annotated[str | None, typer.Option(
        "--data-dir", help="Data store (default: $HEDGEKIT_DATA_DIR or the user data dir).")] = None,
) -> None:
    """Funding forecasters (last, trailing mean, EWMA, AR(1), the venue's predicted rate where
    stored) scored walk-forward out of sample on every stored funding series: MAE and sign hit
    rate of the mean rate over the next 1, 7 and 30 days."""
    from hedgekit.data import Store
    from hedgekit.errors import DataError, InputError
    from hedgekit.risk.forecast import HORIZONS, best_forecaster
    from hedgekit.risk.inputs import stored_funding

    if horizon_days <= 0:
        raise InputError("--horizon-days", "must be > 0", horizon_days)
    store = Store(data_dir)
    series = stored_funding(store)
    if not series:
        raise DataError(f"no funding series stored in {store.path} (import some first)")
    scores = [s.scores() for s in series]
    rows: list[dict[str, Any]] = [{"venue": s.venue, "symbol": s.symbol, "source": s.source,
                                   "settlements": len(s.rates), "scores": sc}
                                  for s, sc in zip(series, scores, strict=True)]
    best = best_forecaster(scores, horizon_days)
    if as_json:
        from hedgekit.cli._output import print_json

        print_json({"horizons_days": list(HORIZONS), "best": best, "horizon_days": horizon_days,
                    "series": rows})
        return
    print(funding_table(rows, HORIZONS))
    print(f"\n{len(rows)} series; best at {horizon_days} days (lowest mean MAE): {best}")


class AnalyzeCommand(TyperCommand):
    """The ``analyze`` command, with ``analyze funding ...`` routed to :func:`funding_command`."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        if args and args[0] == SUBCOMMAND:
            sub = typer.main.get_command(_funding_app())
            return sub.make_context(f"{info_name} {SUBCOMMAND}", list(args[1:]), parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)

    def format_help(self, ctx, formatter):  # type: ignore[no-untyped-def]
        super().format_help(ctx, formatter)
        formatter.write_paragraph()
        formatter.write_text("'hedgekit analyze funding --help': funding forecasters scored out of sample.")


def _funding_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command(name=SUBCOMMAND)(funding_command)
    return app
