"""``hedgekit calc``: the exchange calculators (PnL, margin, liquidation, funding) for any venue.

The commands only parse flags, build an :class:`~hedgekit.instruments.Instrument`, call the
public functions in ``hedgekit.margin`` / ``hedgekit.funding`` and render the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hedgekit.errors import InputError, check_finite, check_fraction, check_nonnegative, check_positive
from hedgekit.instruments import ContractType, Instrument, MarginMode, Side
from hedgekit.margin import LiquidationConvention, tier_for

calc_app = typer.Typer(name="calc", help="Contract calculators: PnL, margin, liquidation, funding.",
                       no_args_is_help=True, add_completion=False)

# ----------------------------------------------------------------------------- shared flags
TypeOpt = Annotated[ContractType, typer.Option("--type", help="linear, inverse or quanto.",
                                               case_sensitive=False)]
SideOpt = Annotated[Side, typer.Option("--side", help="long or short.", case_sensitive=False)]
ContractsOpt = Annotated[float, typer.Option("--contracts", help="Number of contracts (> 0).")]
SizeOpt = Annotated[float, typer.Option(
    "--contract-size",
    help="Base coin per contract (linear), USD per contract (inverse), settle coin per USD point (quanto).")]
BaseOpt = Annotated[str, typer.Option("--base", help="Coin the contract tracks (labels only).")]
SettleOpt = Annotated[str | None, typer.Option(
    "--settle", help="Settle currency: quote stablecoin for linear (USDT), settle coin for quanto (BTC).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
VenueOpt = Annotated[str | None, typer.Option(
    "--venue", help="Venue preset: its convention, default tiers and fees (explicit flags win).")]
SymbolOpt = Annotated[str | None, typer.Option(
    "--symbol", help="Venue symbol whose tiers to use (default: the venue's contract on --base).")]
MmrOpt = Annotated[float | None, typer.Option("--mmr", help="Maintenance-margin rate, e.g. 0.005.")]
MaintOpt = Annotated[float | None, typer.Option(
    "--maint-amount", help="Maintenance amount (Binance cum / Bybit deduction), settle currency, >= 0; "
                           "with --venue and no --mmr it replaces the tier's amount.")]
FeeToCloseOpt = Annotated[bool, typer.Option(
    "--fee-to-close", help="Add the venue's taker fee as a fee to close (off unless asked).")]
TakerFeeOpt = Annotated[float | None, typer.Option(
    "--taker-fee", help="Fee-to-close rate, e.g. 0.00075 (implies --fee-to-close).")]
FundingOpt = Annotated[float | None, typer.Option(
    "--funding-rate", help="BitMEX: next funding rate (> 0: longs pay), added to the MM rate.")]


def _instrument(kind: ContractType, contract_size: float, base: str, settle: str | None) -> Instrument:
    check_positive("--contract-size", contract_size)
    kind = ContractType(kind)
    if kind is ContractType.LINEAR:
        quote = settle or "USDT"
        return Instrument(symbol="calc", contract_type=kind, contract_size=contract_size, base=base,
                          quote=quote, settle=quote)
    if kind is ContractType.INVERSE:
        return Instrument(symbol="calc", contract_type=kind, contract_size=contract_size, base=base,
                          quote="USD")
    return Instrument(symbol="calc", contract_type=kind, contract_size=contract_size, base=base,
                      quote="USD", settle=settle or "BTC")


def _venue(name: str | None):
    if name is None:
        return None
    from hedgekit.venues import get_venue

    try:
        return get_venue(name)
    except InputError as exc:
        raise exc.relabel("--venue") from None  # the CLI flag, not the API field


def _listed(preset, inst: Instrument, symbol: str | None) -> Instrument | None:
    """The venue's listed contract ``inst`` stands for (``--symbol`` when given), else None."""
    if symbol is None:
        return preset.listing_of(inst)
    try:
        return preset.instrument(symbol)
    except InputError as exc:
        raise exc.relabel("--symbol") from None


def _size_coin(inst: Instrument, contracts: float, price: float) -> float:
    """Position size in coin at ``price`` (quanto: in settle coin; per-coin rates are per base)."""
    if inst.is_quanto:
        return contracts * inst.contract_size * price
    return inst.notional_coin(contracts, price)


def _venue_margin(preset, inst: Instrument, symbol: str | None, contracts: float, price: float):
    """Default (mmr, tiers) of ``preset`` for this contract at ``price``: the symbol's typed tiers,
    or the venue's size-dependent rate, or its default MMR (``VenuePreset.maintenance``)."""
    listed = _listed(preset, inst, symbol)
    if listed is None:
        return preset.default_mmr, None
    spec = preset.maintenance(listed, _size_coin(inst, contracts, price))
    if "mmr" in spec:
        return spec["mmr"], None
    return None, spec["tiers"]


def _size_rates(preset, inst: Instrument, symbol: str | None, contracts: float,
                price: float) -> tuple[float, float] | None:
    """The venue's size-dependent (IMR, MMR) at ``price`` (Deribit standard margin), else None."""
    if preset is None:
        return None
    listed = _listed(preset, inst, symbol)
    if listed is None:
        return None
    return preset.margin_rates(listed.symbol, _size_coin(inst, contracts, price))


def _maintenance_spec(inst: Instrument, contracts: float, price: float, mmr: float | None,
                      maint_amount: float | None, preset, symbol: str | None) -> dict[str, Any] | None:
    """Keyword arguments for :mod:`hedgekit.margin` (``mmr``/``maint_amount`` or ``tiers``) at
    ``price``; explicit flags win over the preset. None when neither gives a rate."""
    amount = None if maint_amount is None else check_nonnegative("--maint-amount", maint_amount)
    if mmr is not None:
        return {"mmr": check_fraction("--mmr", mmr), "maint_amount": amount or 0.0}
    if preset is None:
        if amount is not None:
            raise InputError("--maint-amount", "needs --mmr or --venue", maint_amount)
        return None
    rate, tiers = _venue_margin(preset, inst, symbol, contracts, price)
    if amount is not None:  # the venue's rate at this size, the user's maintenance amount
        if rate is None:
            rate = tier_for(tiers, inst.notional_settle(contracts, price)).mmr
        return {"mmr": rate, "maint_amount": amount}
    return {"mmr": rate} if rate is not None else {"tiers": tiers}


def _fee_to_close(fee_to_close: bool, taker_fee: float | None, preset) -> float:
    """The fee-to-close rate: ``--taker-fee`` when given, the venue's taker fee with
    ``--fee-to-close``, else 0 (a venue's fee is never added unasked)."""
    if taker_fee is not None:
        return check_fraction("--taker-fee", taker_fee)
    if not fee_to_close:
        return 0.0
    if preset is None:
        raise InputError("--fee-to-close", "needs --taker-fee or --venue", None, show_value=False)
    return float(preset.taker_fee)


def _funding_rate(funding_rate: float | None, conv) -> float:
    """``--funding-rate`` (the next funding, > 0: longs pay); BitMEX's convention only."""
    from hedgekit.margin import LiquidationConvention

    if funding_rate is None:
        return 0.0
    rate = check_finite("--funding-rate", funding_rate)
    if not -1 < rate < 1:
        raise InputError("--funding-rate", "must be a fraction between -1 and 1", funding_rate)
    if conv is not LiquidationConvention.BITMEX:
        raise InputError("--funding-rate", "applies to the bitmex convention only "
                         "(--venue bitmex or --convention bitmex)", funding_rate)
    return rate


def _print(result: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        from hedgekit.cli._output import print_json

        # 12 significant digits: drops float noise (0.24999999999999992) without losing money precision
        print_json({k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in result.items()})
        return
    from rich.table import Table

    from hedgekit.cli._output import console

    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if isinstance(value, float):
            text = f"{value:,.8f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.6g}"
        else:
            text = "none" if value is None else str(value)
        table.add_row(key.replace("_", " "), text)
    console().print(table)


# ----------------------------------------------------------------------------------- pnl
@calc_app.command("pnl")
def pnl_cmd(
    kind: TypeOpt, side: SideOpt, contracts: ContractsOpt, contract_size: SizeOpt,
    entry: Annotated[float, typer.Option("--entry", help="Entry price.")],
    exit_: Annotated[float, typer.Option("--exit", help="Exit (or mark) price.")],
    base: BaseOpt = "BTC", settle: SettleOpt = None,
    settle_price: Annotated[float | None, typer.Option(
        "--settle-price", help="USD price of the settle coin (quanto pnl_usd).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """PnL of a position closed (or marked) at --exit, in the settle currency and in USD."""
    inst = _instrument(kind, contract_size, base, settle)
    check_positive("--contracts", contracts)
    check_positive("--entry", entry)
    check_positive("--exit", exit_)
    if settle_price is not None:
        check_positive("--settle-price", settle_price)
    pnl = inst.pnl(side, contracts, entry, exit_)
    pnl_usd = None if inst.is_quanto and settle_price is None else inst.pnl_usd(
        side, contracts, entry, exit_, settle_price)
    _print({"pnl": pnl, "currency": inst.settle, "pnl_usd": pnl_usd}, as_json, "PnL")


# -------------------------------------------------------------------------------- margin
@calc_app.command("margin")
def margin_cmd(
    kind: TypeOpt, side: SideOpt, contracts: ContractsOpt, contract_size: SizeOpt,
    entry: Annotated[float, typer.Option("--entry", help="Entry price (initial margin, notional).")],
    leverage: Annotated[float | None, typer.Option(
        "--leverage", help="Leverage (> 0); optional where the venue sets IM by size (deribit).")] = None,
    mark: Annotated[float | None, typer.Option("--mark", help="Mark price for MM (default: entry).")] = None,
    mmr: MmrOpt = None, maint_amount: MaintOpt = None, venue: VenueOpt = None, symbol: SymbolOpt = None,
    fee_to_close: FeeToCloseOpt = False, taker_fee: TakerFeeOpt = None, funding_rate: FundingOpt = None,
    base: BaseOpt = "BTC", settle: SettleOpt = None, as_json: JsonOpt = False,
) -> None:
    """Initial margin and notional at --entry, maintenance margin at --mark (null without --mmr
    or --venue), in the settle currency."""
    from hedgekit.margin import initial_margin, maintenance_margin

    inst = _instrument(kind, contract_size, base, settle)
    check_positive("--contracts", contracts)
    check_positive("--entry", entry)
    if leverage is not None:
        check_positive("--leverage", leverage)
    mark = entry if mark is None else check_positive("--mark", mark)
    preset = _venue(venue)
    fee = _fee_to_close(fee_to_close, taker_fee, preset)
    funding = _funding_rate(funding_rate, preset.convention if preset is not None else None)
    notional = inst.notional_settle(contracts, entry)
    if leverage is not None:
        im = initial_margin(inst, contracts, entry, leverage)
    else:
        rates = _size_rates(preset, inst, symbol, contracts, entry)
        if rates is None:
            raise InputError("--leverage", "is required unless the venue sets the initial margin by size "
                             "(deribit)", None, show_value=False)
        im = notional * rates[0]
    spec = _maintenance_spec(inst, contracts, mark, mmr, maint_amount, preset, symbol)
    mm = None
    if spec is not None:
        mm = maintenance_margin(inst, contracts, mark, extra_rate=fee + Side(side).sign * funding, **spec)
        if mm < 0:
            raise InputError("--maint-amount", "exceeds the notional times the maintenance rate", maint_amount)
    _print({"initial_margin": im, "maintenance_margin": mm, "notional": notional, "fee_to_close": fee,
            "funding_rate": funding, "currency": inst.settle}, as_json, "Margin")


# --------------------------------------------------------------------------- liquidation
@calc_app.command("liquidation")
def liquidation_cmd(
    kind: TypeOpt, side: SideOpt, contracts: ContractsOpt, contract_size: SizeOpt,
    entry: Annotated[float, typer.Option("--entry", help="Average entry price.")],
    margin_mode: Annotated[MarginMode, typer.Option("--margin-mode", help="isolated or cross.",
                                                    case_sensitive=False)],
    wallet: Annotated[float | None, typer.Option(
        "--wallet", help="Margin backing the position (isolated) or cross wallet, settle currency "
                         "(isolated default: the initial margin at --leverage).")] = None,
    leverage: Annotated[float | None, typer.Option(
        "--leverage", help="Leverage (> 0): isolated margin = notional / leverage without --wallet.")] = None,
    mmr: MmrOpt = None, maint_amount: MaintOpt = None,
    fee_to_close: FeeToCloseOpt = False, taker_fee: TakerFeeOpt = None, funding_rate: FundingOpt = None,
    other_maintenance: Annotated[float, typer.Option(
        "--other-maintenance", help="Cross: other positions' maintenance margin.")] = 0.0,
    other_upnl: Annotated[float, typer.Option(
        "--other-upnl", help="Cross: other positions' unrealised PnL.")] = 0.0,
    venue: VenueOpt = None, symbol: SymbolOpt = None,
    convention: Annotated[str | None, typer.Option(
        "--convention", help="Override the venue's convention: mm-at-liquidation, mm-at-entry, "
                             "fee-in-mmr, hyperliquid, dydx, bitmex.")] = None,
    base: BaseOpt = "BTC", settle: SettleOpt = None, as_json: JsonOpt = False,
) -> None:
    """Liquidation and bankruptcy price ('none' where the position cannot be liquidated), with the
    convention, fee to close and maintenance rate used."""
    import math

    from hedgekit.margin import liquidation_price

    inst = _instrument(kind, contract_size, base, settle)
    check_positive("--contracts", contracts)
    check_positive("--entry", entry)
    if leverage is not None:
        check_positive("--leverage", leverage)
    if wallet is not None:
        check_positive("--wallet", wallet)
    elif leverage is None:
        raise InputError("--wallet", "give --wallet, or --leverage for an isolated position", None,
                         show_value=False)
    elif margin_mode is MarginMode.CROSS:
        raise InputError("--wallet", "is required with --margin-mode cross", None, show_value=False)
    check_finite("--other-maintenance", other_maintenance)
    check_finite("--other-upnl", other_upnl)
    if margin_mode is MarginMode.ISOLATED:
        for flag, value in (("--other-maintenance", other_maintenance), ("--other-upnl", other_upnl)):
            if value:
                raise InputError(flag, "applies to --margin-mode cross only", value)
    preset = _venue(venue)
    fee = _fee_to_close(fee_to_close, taker_fee, preset)
    if convention is not None:
        try:
            conv = LiquidationConvention(convention.lower())
        except ValueError:
            raise InputError("--convention", "must be one of "
                             + ", ".join(c.value for c in LiquidationConvention), convention) from None
    else:
        conv = preset.convention if preset is not None else LiquidationConvention.MM_AT_LIQUIDATION
    if inst.is_inverse and conv in (LiquidationConvention.HYPERLIQUID, LiquidationConvention.DYDX):
        raise InputError("--type", f"{conv.value} lists linear contracts only", kind.value)
    funding = _funding_rate(funding_rate, conv)
    # A size-dependent rate (Deribit) is the rate at the size the position has at the liquidation
    # price: for inverse contracts that size (N/LP coins) moves with the price, so re-evaluate the
    # rate at the last LP until it no longer moves (as tiers are re-evaluated at the LP).
    resized = (mmr is None and conv is LiquidationConvention.MM_AT_LIQUIDATION and inst.is_inverse
               and _size_rates(preset, inst, symbol, contracts, entry) is not None)
    price = entry
    for _ in range(100):
        spec = _maintenance_spec(inst, contracts, price, mmr, maint_amount, preset, symbol)
        if spec is None:
            raise InputError("--mmr", "is required without --venue", None, show_value=False)
        res = liquidation_price(inst, side, contracts, entry, wallet, margin_mode=margin_mode,
                                leverage=leverage, taker_fee=fee, other_maintenance=other_maintenance,
                                other_upnl=other_upnl, convention=conv, funding_rate=funding, **spec)
        lp = res.liquidation_price
        if not resized or lp is None or math.isclose(lp, price, rel_tol=1e-14):
            break
        price = lp
    _print({"liquidation_price": res.liquidation_price, "bankruptcy_price": res.bankruptcy_price,
            "convention": res.convention.value, "fee_to_close": fee, "funding_rate": funding,
            "mmr": res.mmr, "maint_amount": res.maint_amount, "margin": res.margin,
            # prices are quoted in the quote currency (USD for inverse and quanto contracts);
            # margin and the maintenance amount in the settle currency: each labelled with its own
            "price_currency": inst.quote, "margin_currency": inst.settle}, as_json, "Liquidation")


# ------------------------------------------------------------------------------- funding
@calc_app.command("funding")
def funding_cmd(
    kind: TypeOpt, side: SideOpt, contracts: ContractsOpt, contract_size: SizeOpt,
    mark: Annotated[float, typer.Option("--mark", help="Reference price (mark, or oracle on-chain).")],
    rate: Annotated[float, typer.Option("--rate", help="Funding rate per interval (> 0: longs pay).")],
    intervals: Annotated[int, typer.Option("--intervals", help="Number of settlements.")] = 1,
    base: BaseOpt = "BTC", settle: SettleOpt = None, as_json: JsonOpt = False,
) -> None:
    """Funding over --intervals settlements; payment > 0 when the position receives."""
    from hedgekit.funding import funding_payment

    inst = _instrument(kind, contract_size, base, settle)
    check_positive("--contracts", contracts)
    check_positive("--mark", mark)
    check_finite("--rate", rate)
    if intervals < 1:
        raise InputError("--intervals", "must be >= 1", intervals)
    payment = funding_payment(inst, side, contracts, mark, rate) * intervals
    _print({"payment": payment, "currency": inst.settle}, as_json, "Funding")


def register(app: typer.Typer) -> None:
    """Add the ``calc`` command group to the root app."""
    app.add_typer(calc_app, name="calc")
