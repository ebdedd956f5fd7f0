"""``hedgekit calc``: the exchange calculators (PnL, margin, liquidation, funding) for any venue.

The commands only parse flags, build an :class:`~hedgekit.instruments.Instrument`, call the
public functions in ``hedgekit.margin`` / ``hedgekit.funding`` and render the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hedgekit.errors import InputError, check_finite, check_fraction, check_positive
from hedgekit.instruments import ContractType, Instrument, MarginMode, Side

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
    "--maint-amount", help="Maintenance amount (Binance cum / Bybit deduction), settle currency.")]


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


def _venue_margin(preset, inst: Instrument, symbol: str | None, contracts: float, price: float):
    """Default (mmr, tiers) of ``preset`` for this contract: the symbol's typed tiers, or the
    venue's size-dependent rate, or its default MMR."""
    if symbol is not None:
        try:
            listed = preset.instrument(symbol)
        except InputError as exc:
            raise exc.relabel("--symbol") from None
    else:
        listed = preset.listing_of(inst)
    if listed is None:
        return preset.default_mmr, None
    if inst.is_quanto:
        size_coin = contracts * inst.contract_size * price  # settle coin; rates per coin are per base
    else:
        size_coin = inst.notional_coin(contracts, price)
    spec = preset.maintenance(listed, size_coin)
    if "mmr" in spec:
        return spec["mmr"], None
    return None, spec["tiers"]


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
    entry: Annotated[float, typer.Option("--entry", help="Entry price (initial margin).")],
    leverage: Annotated[float, typer.Option("--leverage", help="Leverage (> 0).")],
    mark: Annotated[float | None, typer.Option("--mark", help="Mark price for MM (default: entry).")] = None,
    mmr: MmrOpt = None, maint_amount: MaintOpt = None, venue: VenueOpt = None, symbol: SymbolOpt = None,
    base: BaseOpt = "BTC", settle: SettleOpt = None, as_json: JsonOpt = False,
) -> None:
    """Initial margin at --entry and maintenance margin at --mark, in the settle currency."""
    from hedgekit.margin import initial_margin, maintenance_margin

    inst = _instrument(kind, contract_size, base, settle)
    check_positive("--contracts", contracts)
    check_positive("--entry", entry)
    check_positive("--leverage", leverage)
    mark = entry if mark is None else check_positive("--mark", mark)
    rate, tiers = _margin_inputs(inst, contracts, mark, mmr, venue, symbol)
    amount = check_finite("--maint-amount", maint_amount) if maint_amount is not None else 0.0
    im = initial_margin(inst, contracts, entry, leverage)
    mm = maintenance_margin(inst, contracts, mark, mmr=rate, maint_amount=amount, tiers=tiers)
    _print({"initial_margin": im, "maintenance_margin": mm, "currency": inst.settle}, as_json, "Margin")


def _margin_inputs(inst: Instrument, contracts: float, price: float, mmr: float | None,
                   venue: str | None, symbol: str | None):
    """(flat mmr or None, tiers or None) from the flags, falling back to the venue preset."""
    if mmr is not None:
        return check_fraction("--mmr", mmr), None
    preset = _venue(venue)
    if preset is None:
        raise InputError("--mmr", "is required without --venue", None)
    return _venue_margin(preset, inst, symbol, contracts, price)


# --------------------------------------------------------------------------- liquidation
@calc_app.command("liquidation")
def liquidation_cmd(
    kind: TypeOpt, side: SideOpt, contracts: ContractsOpt, contract_size: SizeOpt,
    entry: Annotated[float, typer.Option("--entry", help="Average entry price.")],
    margin_mode: Annotated[MarginMode, typer.Option("--margin-mode", help="isolated or cross.",
                                                    case_sensitive=False)],
    wallet: Annotated[float, typer.Option(
        "--wallet", help="Margin backing the position (isolated) or cross wallet, settle currency.")],
    leverage: Annotated[float | None, typer.Option("--leverage", help="Leverage (checked > 0).")] = None,
    mmr: MmrOpt = None, maint_amount: MaintOpt = None,
    taker_fee: Annotated[float | None, typer.Option("--taker-fee", help="Taker fee rate.")] = None,
    other_maintenance: Annotated[float, typer.Option(
        "--other-maintenance", help="Cross: other positions' maintenance margin.")] = 0.0,
    other_upnl: Annotated[float, typer.Option(
        "--other-upnl", help="Cross: other positions' unrealised PnL.")] = 0.0,
    venue: VenueOpt = None, symbol: SymbolOpt = None,
    convention: Annotated[str | None, typer.Option(
        "--convention", help="Override the venue's convention: mm-at-liquidation, mm-at-entry, "
                             "fee-in-mmr, hyperliquid, dydx.")] = None,
    base: BaseOpt = "BTC", settle: SettleOpt = None, as_json: JsonOpt = False,
) -> None:
    """Liquidation and bankruptcy price ('none' where the position cannot be liquidated)."""
    from hedgekit.margin import LiquidationConvention, liquidation_price

    inst = _instrument(kind, contract_size, base, settle)
    check_positive("--contracts", contracts)
    check_positive("--entry", entry)
    check_positive("--wallet", wallet)
    if leverage is not None:
        check_positive("--leverage", leverage)
    check_finite("--other-maintenance", other_maintenance)
    check_finite("--other-upnl", other_upnl)
    if margin_mode is MarginMode.ISOLATED:
        for flag, value in (("--other-maintenance", other_maintenance), ("--other-upnl", other_upnl)):
            if value:
                raise InputError(flag, "applies to --margin-mode cross only", value)
    preset = _venue(venue)
    rate, tiers = _margin_inputs(inst, contracts, entry, mmr, venue, symbol)
    amount = check_finite("--maint-amount", maint_amount) if maint_amount is not None else 0.0
    if taker_fee is not None:
        fee = check_fraction("--taker-fee", taker_fee)
    else:
        fee = preset.taker_fee if preset is not None else 0.0
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
    res = liquidation_price(inst, side, contracts, entry, wallet, margin_mode=margin_mode,
                            leverage=leverage, mmr=rate, maint_amount=amount, tiers=tiers,
                            taker_fee=fee, other_maintenance=other_maintenance, other_upnl=other_upnl,
                            convention=conv)
    out: dict[str, Any] = {"liquidation_price": res.liquidation_price,
                           "bankruptcy_price": res.bankruptcy_price}
    if not as_json:
        # the prices are quoted in the quote currency (USD for inverse and quanto contracts);
        # the maintenance amount is in the settle currency: label each with its own
        out.update(price_currency=inst.quote, mmr=res.mmr, maint_amount=res.maint_amount,
                   margin_currency=inst.settle, convention=res.convention.value)
    _print(out, as_json, "Liquidation")


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
