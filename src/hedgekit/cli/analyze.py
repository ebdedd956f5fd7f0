"""``hedgekit analyze``: hedge ratios and effectiveness of assets against hedge instruments."""

from __future__ import annotations

from typing import Annotated

import typer

from hedgekit.errors import InputError

__all__ = ["register"]

PERP_SUFFIX = "-PERP"
BASKET = "BASKET"
HEDGE_KINDS = ("spot", "futures")
MAX_PERIODS = 100_000  # 273 years of daily bars, 11 of hourly: more is a typo


def _split(flag: str, text: str) -> list[str]:
    names = [t.strip().upper() for t in text.split(",") if t.strip()]
    if not names:
        raise InputError(flag, "must name at least one asset, comma-separated", text)
    bad = [n for n in names if not n.replace("-", "").replace("_", "").isalnum()]
    if bad:
        raise InputError(flag, f"not an asset name: {bad[0]}", text)
    if len(set(names)) != len(names):
        raise InputError(flag, "lists an asset twice", text)
    return names


def _check_date(flag: str, value: str | None):
    if value is None:
        return None
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(flag, "must be a date like 2021-01-01", value) from None
    if ts is pd.NaT or not 1970 <= ts.year <= 2100:
        raise InputError(flag, "must be a date like 2021-01-01 (between 1970 and 2100)", value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _hedge_specs(against: list[str], hedge_kind: str) -> list[tuple[str, str, str]]:
    """(label, coin, kind) per hedge instrument; 'BTC-PERP' is always the perpetual/futures series."""
    specs = []
    for name in against:
        if name == BASKET:
            continue
        if name.endswith(PERP_SUFFIX):
            specs.append((name, name[: -len(PERP_SUFFIX)], "futures"))
        elif hedge_kind == "futures":
            specs.append((f"{name}{PERP_SUFFIX}", name, "futures"))
        else:
            specs.append((name, name, "price"))
    return specs


def _basket_prices(hedges, label: str = BASKET):
    """Equal-weight basket of the hedge instruments, rebalanced every period, as a price index."""
    import numpy as np
    import pandas as pd

    from hedgekit.estimators import basket_returns, to_returns

    if hedges.shape[1] < 2:
        raise InputError("--against", f"{label} needs at least two other hedge instruments", list(hedges.columns))
    ret = basket_returns(to_returns(hedges, "simple"), name=label)
    first = hedges.index[hedges.index.get_loc(ret.index[0]) - 1]
    level = np.r_[1.0, np.cumprod(1.0 + ret.to_numpy())]
    return pd.Series(level, index=pd.Index([first]).append(ret.index), name=label)


def analyze_command(
    assets: Annotated[str, typer.Option("--assets", help="Assets to hedge, comma-separated, e.g. SOL,AVAX,LINK.")],
    against: Annotated[str, typer.Option(
        "--against",
        help="Hedge instruments, comma-separated: BTC (spot), BTC-PERP (perpetual/futures prices), "
             "BASKET (equal-weight basket of the others).")] = "BTC,ETH",
    hedge_kind: Annotated[str, typer.Option(
        "--hedge-kind", help="spot or futures: price series used for --against names without -PERP.")] = "spot",
    venue: Annotated[str | None,
                     typer.Option("--venue", help="Venue of the asset (spot) prices, e.g. binance.")] = None,
    hedge_venue: Annotated[str | None, typer.Option(
        "--hedge-venue", help="Venue of the hedge prices (default: --venue).")] = None,
    window: Annotated[int,
                      typer.Option("--window", help="Estimation window in periods (walk-forward and MV ratio).")] = 90,
    step: Annotated[int, typer.Option("--step", help="Re-estimate the walk-forward ratio every STEP periods.")] = 1,
    method: Annotated[str, typer.Option(
        "--method", help="Walk-forward estimator: minvar (rolling OLS) or ewma (uses --halflife).")] = "minvar",
    halflife: Annotated[float, typer.Option(
        "--halflife", help="EWMA half-life in periods (RiskMetrics lambda 0.94 = 11.2).")] = 30.0,
    returns: Annotated[str, typer.Option("--returns", help="log or simple returns.")] = "log",
    freq: Annotated[str, typer.Option("--freq", help="Bar frequency of the stored series, e.g. 1d, 8h, 1h.")] = "1d",
    start: Annotated[str | None, typer.Option("--start", help="First date (UTC), e.g. 2021-01-01.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date (UTC), inclusive.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
    data_dir: Annotated[str | None, typer.Option(
        "--data-dir", help="Data store (default: $HEDGEKIT_DATA_DIR or the user data dir).")] = None,
) -> None:
    """Hedge ratios of each asset against each hedge instrument, from stored history.

    Betas, correlations, minimum-variance ratios, in- and out-of-sample hedge effectiveness and
    residual volatility."""
    asset_list = _split("--assets", assets)
    against_list = _split("--against", against)
    if hedge_kind not in HEDGE_KINDS:
        raise InputError("--hedge-kind", f"must be one of {', '.join(HEDGE_KINDS)}", hedge_kind)
    if not 2 <= window <= MAX_PERIODS:
        raise InputError("--window", f"must be between 2 and {MAX_PERIODS:,}", window)
    if not 1 <= step <= MAX_PERIODS:
        raise InputError("--step", f"must be between 1 and {MAX_PERIODS:,}", step)
    if not halflife > 0:
        raise InputError("--halflife", "must be > 0", halflife)
    if method not in ("minvar", "ewma"):
        raise InputError("--method", "must be minvar or ewma", method)
    if returns not in ("log", "simple"):
        raise InputError("--returns", "must be log or simple", returns)
    t0, t1 = _check_date("--start", start), _check_date("--end", end)
    if t0 is not None and t1 is not None and t1 <= t0:
        raise InputError("--end", f"must be after --start ({start})", end)

    from hedgekit.data import Store, load_gapless_prices
    from hedgekit.estimators import analyze_pairs, periods_per_year

    try:
        periods_per_year(freq)
    except InputError:
        raise InputError("--freq", "must look like 1d, 8h, 1h, 15m or 1w", freq) from None
    store = Store(data_dir)
    spot = load_gapless_prices(asset_list, kind="price", venue=venue, freq=freq, start=t0, end=t1, store=store)
    sources: dict[str, str] = dict(spot.attrs["sources"])
    specs = _hedge_specs(against_list, hedge_kind)
    hedge_frames = []
    for kind in ("price", "futures"):
        coins = [coin for _, coin, k in specs if k == kind]
        if coins:
            labels = {c: lbl for lbl, c, k in specs if k == kind}
            frame = load_gapless_prices(coins, kind=kind, venue=hedge_venue or venue, freq=freq, start=t0, end=t1,
                                        store=store)
            sources.update({labels[c]: src for c, src in frame.attrs["sources"].items()})
            hedge_frames.append(frame.rename(columns=labels))
    import pandas as pd

    hedges = pd.concat(hedge_frames, axis=1) if hedge_frames else pd.DataFrame()
    if BASKET in against_list:
        hedges = pd.concat([hedges, _basket_prices(hedges)], axis=1)
    order = [lbl for lbl, _, _ in specs] + ([BASKET] if BASKET in against_list else [])
    result = analyze_pairs(spot[asset_list], hedges[order], window=window, step=step, method=method,
                           halflife=halflife,
                           returns=returns, freq=freq, sources=sources)
    if as_json:
        from hedgekit.cli._output import print_json

        print_json(result)
        return
    from hedgekit.cli._output import console
    from hedgekit.reports.analyze import render_analysis

    render_analysis(result, console())


def register(app: typer.Typer) -> None:
    app.command(name="analyze")(analyze_command)
