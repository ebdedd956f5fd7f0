"""``hedgekit data``: list the local store, import files, fetch history through ccxt."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import typer

from hedgekit.errors import InputError

DataDir = Annotated[str | None, typer.Option(
    "--data-dir", help="Store folder (default: $HEDGEKIT_DATA_DIR or the user data dir).")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
# the names of hedgekit.data.importers.FORMATS, spelled out so --help needs no pandas import
# (tests/test_cli_output.py checks they match)
FORMAT_NAMES = ("binance-kline-csv", "binance-json", "binance-funding-csv", "funding-daily-mean", "bitmex-funding",
                "deribit-funding", "multi-exchange-funding", "funding-parquet", "freqtrade", "yahoo-csv",
                "long-ohlcv-csv", "cme-databento", "price-volume-csv")


def _store(data_dir: str | None):
    from hedgekit.data.store import Store

    if data_dir is not None:
        from pathlib import Path

        p = Path(data_dir).expanduser()
        if p.exists() and not p.is_dir():
            raise InputError("--data-dir", "is not a folder", data_dir)
    return Store(data_dir)


def _progress(label: str, json: bool):
    """A rich progress bar on stderr while a terminal watches (and not --json); a no-op
    context otherwise, so pipes and tests get exactly the output they got before."""
    import sys
    from contextlib import nullcontext

    if json or not sys.stderr.isatty():
        return nullcontext(None)
    from rich.progress import Progress

    from hedgekit.cli._output import console

    bar = Progress(console=console(stderr=True), transient=True)

    class _Bar:
        def __enter__(self):
            bar.__enter__()
            task = bar.add_task(label, total=None)
            return lambda done, total: bar.update(task, completed=done, total=total)

        def __exit__(self, *exc):
            return bar.__exit__(*exc)

    return _Bar()


def list_cmd(data_dir: DataDir = None, json: Json = False) -> None:
    """Show every stored series: kind, venue, symbol, frequency, first/last timestamp, rows, gaps."""
    from hedgekit.cli._output import console, print_json

    store = _store(data_dir)
    series = store.catalog()
    if json:
        print_json({"data_dir": str(store.path), "series": [s.to_dict() for s in series]})
        return
    from rich.table import Table

    table = Table(title=f"{len(series)} series in {store.path}", title_justify="left", box=None)
    for col in ("kind", "venue", "symbol", "freq", "start", "end", "rows", "gaps"):
        table.add_column(col, justify="right" if col in ("rows", "gaps") else "left")
    for s in series:
        width = 10 if s.freq.endswith(("d", "w", "M")) else 16
        table.add_row(s.kind, s.venue, s.symbol, s.freq, s.start[:width].replace("T", " "),
                      s.end[:width].replace("T", " "), f"{s.rows:,}", str(s.gaps))
    from hedgekit.reports._terminal import print_natural

    print_natural(console(), [table])


def import_cmd(
    paths: Annotated[list[str], typer.Argument(help="Files or folders (folders are walked recursively).")],
    format: Annotated[str | None, typer.Option(
        "--format", help="Skip detection and use this layout: " + ", ".join(FORMAT_NAMES) + ".")] = None,
    venue: Annotated[str | None, typer.Option(
        "--venue", help="Venue id when the file does not say (e.g. binance).")] = None,
    symbol: Annotated[str | None, typer.Option(
        "--symbol", help="Symbol when the file does not say (e.g. BTC/USD).")] = None,
    tz_offset: Annotated[float | None, typer.Option(
        "--tz-offset", help="Hours added to every timestamp: -3 turns UTC+3 into UTC.")] = None,
    accept_outliers: Annotated[bool, typer.Option(
        "--accept-outliers",
        help="Keep rows that look wrong (inf or > 1e12 prices, high < low, a x100 one-bar spike, "
             "dates before 2009 or in the future) instead of dropping them.")] = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Let the file change stored rows to different values (refused otherwise).")] = False,
    data_dir: DataDir = None,
    json: Json = False,
) -> None:
    """Import files or folders into the store; each file is imported or refused with a reason.

    Timestamps are read as UTC. --tz-offset corrects a file whose clock is shifted (e.g. -3 for
    UTC+3); 8-hourly funding files are checked against the venue's settlement hours, so a shifted
    file is refused with the offset that fits, and a wrong offset is refused too.

    Each file is imported whole or not at all. Rows that cannot be market data are dropped and
    counted (--accept-outliers keeps them); changing stored rows needs --replace."""
    from pathlib import Path

    from hedgekit.cli._output import console, print_json
    from hedgekit.data.importers import FORMATS
    from hedgekit.data.ingest import ImportReport, import_path

    for path in paths:
        if not Path(path).expanduser().exists():
            raise InputError("PATH", "no such file or directory", path)
    if format is not None and format not in FORMATS:
        raise InputError("--format", f"unknown format; one of {', '.join(FORMATS)}", format)
    if tz_offset is not None and not -24 < tz_offset < 24:
        raise InputError("--tz-offset", "must be between -24 and 24 hours", tz_offset)
    store = _store(data_dir)
    with _progress("importing", json) as progress:
        try:
            reports = [import_path(p, store=store, format=format, venue=venue, symbol=symbol, tz_offset_hours=tz_offset,
                                   accept_outliers=accept_outliers, replace=replace, progress=progress)
                       for p in paths]
        except InputError as exc:
            flag = {"data_dir": "--data-dir", "venue": "--venue", "symbol": "--symbol"}.get(exc.field)
            raise (exc.relabel(flag) if flag else exc) from None
    report = ImportReport(files=tuple(f for r in reports for f in r.files), seconds=sum(r.seconds for r in reports),
                          data_dir=str(store.path))
    if len(paths) == 1 and Path(paths[0]).is_file() and report.refused:
        raise InputError("", f"{paths[0]}: refused: {report.refused[0].reason}", show_value=False)
    if json:
        print_json(report)
        return
    from rich.text import Text

    con = console()
    for f in report.files:
        if f.status == "imported":
            what = ", ".join(f"{s['kind']} {s['venue']} {s['symbol']} {s['freq']} ({s['rows']:,} rows)"
                             for s in f.series[:3])
            more = f" +{len(f.series) - 3} more series" if len(f.series) > 3 else ""
            con.print(Text.assemble(("imported", "green"), f" {f.path} [{f.format}]: {what}{more}"),
                      highlight=False, soft_wrap=True)
            for note in f.notes[:5]:
                con.print(f"  note: {note}", highlight=False, soft_wrap=True)
        else:
            con.print(Text.assemble(("refused", "yellow"), f"  {f.path}: {f.reason}"), highlight=False, soft_wrap=True)
    con.print(f"{len(report.imported)} imported, {len(report.refused)} refused, {report.rows:,} rows "
              f"in {report.seconds:.2f} s -> {report.data_dir}", highlight=False, soft_wrap=True)


def _advance(bar: Any, task: Any, done: float, total: float) -> None:
    """Progress callback of one fetch: move its bar to ``done / total``."""
    bar.update(task, completed=done / total)


def fetch_cmd(
    venue: Annotated[str, typer.Option("--venue", help="ccxt exchange id, e.g. binance, bybit, okx.")],
    symbols: Annotated[str, typer.Option("--symbols", help="Comma-separated ccxt symbols: BTC/USDT,ETH/USDT:USDT.")],
    kind: Annotated[str, typer.Option("--kind", help="ohlcv or funding.")] = "ohlcv",
    since: Annotated[str | None, typer.Option("--since", help="Start date (UTC) when nothing is stored yet.")] = None,
    timeframe: Annotated[str, typer.Option("--timeframe", help="Candle length for ohlcv (1h, 4h, 1d...).")] = "1d",
    data_dir: DataDir = None,
    json: Json = False,
) -> None:
    """Fetch history from an exchange's public API (paginated, rate-limited, incremental)."""
    from hedgekit.cli._output import print_json

    if kind not in ("ohlcv", "funding"):
        raise InputError("--kind", "must be ohlcv or funding", kind)
    syms = [s.strip() for s in symbols.split(",") if s.strip()]
    if not syms:
        raise InputError("--symbols", "must list at least one symbol", symbols)
    from hedgekit.data.fetch import fetch, make_exchange

    store = _store(data_dir)
    exchange = make_exchange(venue.lower())
    results = []
    if json:
        for s in syms:
            results.append(fetch(venue, s, kind=kind, since=since, timeframe=timeframe, store=store, exchange=exchange,
                                 max_retries=3, backoff_seconds=0.5))
        print_json({"results": [r.to_dict() for r in results]})
        return
    from rich.progress import Progress

    from hedgekit.cli._output import console

    con = console()
    with Progress(console=con, transient=True) as bar:
        for s in syms:
            task = bar.add_task(f"{venue} {s} {kind}", total=1.0)
            r = fetch(venue, s, kind=kind, since=since, timeframe=timeframe, store=store, exchange=exchange,
                      max_retries=3, backoff_seconds=0.5,
                      progress=partial(_advance, bar, task))
            results.append(r)
    for r in results:
        con.print(f"{r.venue} {r.symbol} {r.kind} {r.freq}: +{r.new_rows} rows ({r.calls} calls, {r.retries} retries), "
                  f"{r.stored_rows} stored", highlight=False, soft_wrap=True)


def check_cmd(data_dir: DataDir = None, json: Json = False) -> None:
    """Quality report of every stored series: gaps, non-positive/absurd prices, stale runs."""
    from hedgekit.cli._output import console, print_json
    from hedgekit.data.quality import QualityIssue, QualityReport, check_quality
    from hedgekit.errors import DataError

    store = _store(data_dir)
    reports = []
    catalog = store.catalog()
    with _progress("checking", json) as progress:
        for n, s in enumerate(catalog, 1):
            name = f"{s.kind}/{s.venue}/{s.symbol}/{s.freq}"
            try:
                df = store.read(s.kind, s.venue, s.symbol, s.freq)
            except DataError as exc:  # a damaged or missing file: name it, check the others
                reports.append(QualityReport(series=name, rows=s.rows, issues=(QualityIssue(
                    check="unreadable", start=s.start, end=s.end, rows=s.rows, detail=str(exc)),)))
            else:
                reports.append(check_quality(df, s.freq, series=name, kind=s.kind,
                                             weekdays=s.meta.get("calendar") == "weekdays"))
            if progress is not None:
                progress(n, len(catalog))
    if json:
        print_json({"reports": [r.to_dict() for r in reports]})
        return
    con = console()
    for r in reports:
        if r.ok:
            continue
        counts: dict[str, int] = {}
        for i in r.issues:
            counts[i.check] = counts.get(i.check, 0) + 1
        first = r.issues[0]
        detail = first.detail if first.check == "unreadable" else first.detail[:80]
        con.print(f"{r.series}: " + ", ".join(f"{k}={n}" for k, n in counts.items())
                  + f"; first: {first.check} {first.start[:10]} {detail}", highlight=False, soft_wrap=True)
    con.print(f"{sum(not r.ok for r in reports)} of {len(reports)} series with findings", highlight=False,
              soft_wrap=True)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(name="data", help="Market data: local store, file import, ccxt fetch.", no_args_is_help=True)
    sub.command("list")(list_cmd)
    sub.command("import")(import_cmd)
    sub.command("fetch")(fetch_cmd)
    sub.command("check")(check_cmd)
    app.add_typer(sub, name="data")
