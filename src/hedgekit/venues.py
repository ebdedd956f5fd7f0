"""Venue presets: contracts, fees, funding, margin convention and tiers per exchange.

Every number here is a fact typed in by hand with its source in a comment. Short names used below:
``specs CSV`` = ccxt's static market fixtures (``ts/src/test/static/markets/{binance,bybit,bitmex}.json``
in the ccxt repository); ``Binance tiers JSON`` = Binance USD-M leverage brackets as returned by
ccxt ``fetch_leverage_tiers`` (2024-10 snapshot, as shipped by freqtrade); ``Binance USD-M FAQ`` =
https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93;
``Binance COIN-M FAQ`` = https://www.binance.com/en/support/faq/ceccfcfb4e3a45e3b48b0b1bb1a8ae46.
The package never reads these sources at run time; tests compare the typed tables against copies
of the two data sets. ``UNVERIFIED`` marks values we could not check against a primary source:
treat them as placeholders to override.

Fees and tiers change over time; the presets are defaults for calculators, and every command
lets explicit flags override them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from hedgekit.errors import InputError
from hedgekit.instruments import ContractType, Instrument
from hedgekit.margin import LiquidationConvention, MarginTier, build_tiers

__all__ = [
    "FUNDING_SETTLEMENT_HOURS_UTC",
    "VenuePreset",
    "exchange_of",
    "funding_settlement_hours",
    "get_venue",
    "hyperliquid_mmr",
    "unified_symbol",
    "venue_names",
]


def unified_symbol(base: str, quote: str, settle: str | None = None, expiry: date | None = None) -> str:
    """ccxt's unified market symbol: ``BASE/QUOTE`` (spot), ``BASE/QUOTE:SETTLE`` (perpetual:
    ``BTC/USDT:USDT`` linear, ``BTC/USD:BTC`` inverse), ``BASE/QUOTE:SETTLE-YYMMDD`` (dated
    future, e.g. ``BTC/USDT:USDT-211225``), as the ccxt Manual's "Contract naming conventions"
    define them (https://docs.ccxt.com/#/README?id=contract-naming-conventions)."""
    symbol = f"{base}/{quote}"
    if settle is None:
        if expiry is not None:
            raise ValueError(f"{symbol}: a dated future needs its settle currency")
        return symbol
    symbol += f":{settle}"
    if expiry is not None:
        symbol += f"-{expiry:%y%m%d}"
    return symbol


# Funding settlement hours (UTC) of each exchange's standard 8-hourly perpetual schedule, keyed by
# the exchange id of the data store. Single contracts can be moved to 4h/1h schedules; these are
# the defaults a shifted file is recognised against.
FUNDING_SETTLEMENT_HOURS_UTC: Mapping[str, tuple[int, ...]] = MappingProxyType({
    # https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031
    # "Funding payments occur every 8 hours at 00:00 UTC, 08:00 UTC and 16:00 UTC"
    "binance": (0, 8, 16),
    # https://www.bybit.com/en/help-center/article/Introduction-to-Funding-Rate
    # funding every 8 hours at 00:00, 08:00 and 16:00 UTC
    "bybit": (0, 8, 16),
    # https://www.okx.com/help/360053909272 "charged every 8 hours ... at 00:00, 08:00, and 16:00 (UTC)"
    "okx": (0, 8, 16),
    # https://www.gate.io/article/27396 (funding settled every 8 hours: 08:00 and 16:00 UTC settlements)
    "gate": (0, 8, 16),
    # https://www.htx.com/support/44958157384677 (8-hourly periods 00:00-08:00 UTC, settled at 08:00 UTC)
    "htx": (0, 8, 16),
    # https://www.mexc.com/support/articles/17827791519504 (8-hourly settlements 08:00, 16:00, 00:00 UTC)
    "mexc": (0, 8, 16),
    # https://www.bitmex.com/app/perpetualContractsGuideExamples (XBTUSD): funding every 8 hours at
    # 04:00, 12:00 and 20:00 UTC
    "bitmex": (4, 12, 20),
    # https://www.kucoin.com/support/26686295987353 "assessed once every 8 hours at UTC 04:00, 12:00, and 20:00"
    "kucoin": (4, 12, 20),
})


def funding_settlement_hours(exchange: str) -> tuple[int, ...] | None:
    """UTC hours at which ``exchange`` (a data-store venue id such as ``binance``) settles its
    standard 8-hourly funding, or None when hedgekit has no published schedule for it."""
    return FUNDING_SETTLEMENT_HOURS_UTC.get(exchange.lower())


def hyperliquid_mmr(max_leverage: float) -> float:
    """Hyperliquid maintenance-margin rate: half the initial margin at max leverage.

    ``MMR = 1/(2*max_leverage)``: 40x -> 1.25%, 25x -> 2%, 3x -> 16.7%
    (https://docs.byreal.io/perps/risk-and-liquidation and https://www.cortex-vigil.com/wiki/margining,
    summaries of the Hyperliquid docs).
    Valid below the first margin tier of large positions.
    """
    return 1.0 / (2.0 * max_leverage)


@dataclass(frozen=True, kw_only=True, slots=True)
class VenuePreset:
    """One venue's defaults.

    ``reference_price`` is what funding and liquidation are computed on: ``mark`` (CEXs) or
    ``oracle`` (on-chain perps). ``exchange`` names the operator (Binance USD-M and COIN-M are
    one counterparty) and is the venue id of the data store; ``ccxt_id`` the ccxt class.
    ``tier_tables`` holds typed-in maintenance tiers per symbol; symbols without a table get one
    open-ended tier at ``default_mmr`` (or the symbol's entry in ``symbol_mmr``). ``size_margin``
    holds size-dependent rates ``(im_base, mm_base, per_coin)`` (Deribit standard margin) per symbol.
    """

    name: str
    exchange: str  # the operator (one counterparty) and the data store's venue id: ``binance``
    ccxt_id: str   # the ccxt exchange class: ``binanceusdm``
    convention: LiquidationConvention
    maker_fee: float
    taker_fee: float
    funding_interval_hours: float
    reference_price: str
    onchain: bool
    instruments: Mapping[str, Instrument]
    default_mmr: float
    max_leverage: float
    tier_tables: Mapping[str, tuple[MarginTier, ...]] = field(default_factory=dict)
    symbol_mmr: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # (mmr, max_lev)
    size_margin: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)
    notes: str = ""

    def instrument(self, symbol: str) -> Instrument:
        """The contract ``symbol`` (case-insensitive); InputError naming the valid ones."""
        key = symbol.upper()
        for name, inst in self.instruments.items():
            if name.upper() == key:
                return inst
        raise InputError("symbol", f"not listed for {self.name}; one of {', '.join(self.instruments)}",
                         symbol)

    def tiers(self, symbol: str) -> tuple[MarginTier, ...]:
        """Maintenance tiers of ``symbol`` (typed-in table, or one tier at the default MMR)."""
        inst = self.instrument(symbol)
        table = self.tier_tables.get(inst.symbol)
        if table:
            return table
        mmr, max_lev = self.symbol_mmr.get(inst.symbol, (self.default_mmr, self.max_leverage))
        return (MarginTier(floor=0.0, cap=math.inf, mmr=mmr, max_leverage=max_lev, cum=0.0),)

    def margin_rates(self, symbol: str, size_coin: float) -> tuple[float, float] | None:
        """Deribit-style size-dependent ``(IMR, MMR)`` for ``size_coin`` coins, if the venue has them.

        ``IMR = im_base + size*per_coin``, ``MMR = mm_base + size*per_coin`` (Deribit standard margin,
        https://support.deribit.com/hc/en-us/articles/25944738177565-Linear-Perpetual).
        """
        inst = self.instrument(symbol)
        params = self.size_margin.get(inst.symbol)
        if params is None:
            return None
        im_base, mm_base, per_coin = params
        size = abs(size_coin)
        return im_base + size * per_coin, mm_base + size * per_coin

    def listing_of(self, inst: Instrument) -> Instrument | None:
        """The listed contract ``inst`` stands for: the same symbol and spec, else the listed
        contract on the same coin, kind and contract size; None for a contract of its own."""
        if self.instruments.get(inst.symbol) == inst:
            return inst
        listed = self.find_instrument(inst.base, inst.contract_type.value)
        if listed is not None and math.isclose(listed.contract_size, inst.contract_size):
            return listed
        return None

    def fee_to_close(self, asked: bool) -> float:
        """The fee-to-close rate this venue's liquidation price carries: the taker fee when the
        user ``asked`` for it (``hedge.fee_to_close``) and the convention charges one, else 0
        (a venue's fee is never folded into a liquidation price unasked)."""
        return self.taker_fee if asked and self.convention.charges_fee_to_close else 0.0

    def maintenance(self, inst: Instrument, size_coin: float | None = None) -> dict[str, Any]:
        """How this venue sets the maintenance margin of ``inst``, as keyword arguments for
        :mod:`hedgekit.margin`: ``{"mmr": rate}`` or ``{"tiers": (...)}``.

        The one rule: a contract the venue does not list gets ``default_mmr``; a size-dependent
        venue (Deribit) the rate at ``size_coin`` coins (when the size is known); every other
        listed contract its maintenance tiers, so the tier is re-evaluated at the liquidation
        price.
        """
        listed = self.listing_of(inst)
        if listed is None:
            return {"mmr": self.default_mmr}
        if size_coin is not None:
            sized = self.margin_rates(listed.symbol, size_coin)
            if sized is not None:
                return {"mmr": sized[1]}
        return {"tiers": self.tiers(listed.symbol)}

    def ccxt_symbol(self, inst: Instrument) -> str:
        """ccxt's unified symbol of ``inst``: ``BTC/USDT:USDT`` (linear), ``BTC/USD:BTC``
        (inverse), ``ETH/USD:BTC`` (quanto), with ``-YYMMDD`` for a dated future."""
        return unified_symbol(inst.base, "USD" if inst.is_inverse else inst.quote, inst.settle, inst.expiry)

    def find_instrument(self, base: str, contract_type: str | None = None) -> Instrument | None:
        """The first listed perpetual on ``base`` (optionally of ``contract_type``), else None."""
        want = ContractType(contract_type) if contract_type else None
        for inst in self.instruments.values():
            if (inst.base.upper() == base.upper() and inst.is_perpetual
                    and (want is None or inst.contract_type is want)):
                return inst
        return None


def _instruments(*items: Instrument) -> Mapping[str, Instrument]:
    return MappingProxyType({i.symbol: i for i in items})


def _usdc_hourly_perp(symbol: str, base: str, lot_size: float) -> Instrument:
    """An on-chain linear USDC perpetual sized in coin with hourly funding (Hyperliquid, dYdX)."""
    return Instrument(symbol=symbol, contract_type=ContractType.LINEAR, contract_size=1.0, base=base, quote="USDC",
                      lot_size=lot_size, funding_interval_hours=1.0)


# --------------------------------------------------------------------------- Binance USD-M
# Binance tiers JSON, BTC/USDT:USDT brackets 1-12 (notionalFloor, notionalCap, maintMarginRatio,
# initialLeverage); cum values follow from build_tiers' recursion and match the file's "cum".
_BINANCE_BTCUSDT_TIERS = build_tiers([
    (0, 50_000, 0.004, 125),
    (50_000, 600_000, 0.005, 100),
    (600_000, 3_000_000, 0.0065, 75),
    (3_000_000, 12_000_000, 0.01, 50),
    (12_000_000, 70_000_000, 0.02, 25),
    (70_000_000, 100_000_000, 0.025, 20),
    (100_000_000, 230_000_000, 0.05, 10),
    (230_000_000, 480_000_000, 0.1, 5),
    (480_000_000, 600_000_000, 0.125, 4),
    (600_000_000, 800_000_000, 0.15, 3),
    (800_000_000, 1_200_000_000, 0.25, 2),
    (1_200_000_000, 1_800_000_000, 0.5, 1),
])
# Binance tiers JSON, ETH/USDT:USDT brackets 1-12.
_BINANCE_ETHUSDT_TIERS = build_tiers([
    (0, 50_000, 0.004, 125),
    (50_000, 600_000, 0.005, 100),
    (600_000, 3_000_000, 0.0065, 75),
    (3_000_000, 12_000_000, 0.01, 50),
    (12_000_000, 50_000_000, 0.02, 25),
    (50_000_000, 65_000_000, 0.025, 20),
    (65_000_000, 150_000_000, 0.05, 10),
    (150_000_000, 320_000_000, 0.1, 5),
    (320_000_000, 400_000_000, 0.125, 4),
    (400_000_000, 530_000_000, 0.15, 3),
    (530_000_000, 800_000_000, 0.25, 2),
    (800_000_000, 1_200_000_000, 0.5, 1),
])
# Binance tiers JSON, SOL/USDT:USDT brackets 1-10.
_BINANCE_SOLUSDT_TIERS = build_tiers([
    (0, 20_000, 0.005, 100),
    (20_000, 100_000, 0.0065, 75),
    (100_000, 800_000, 0.01, 50),
    (800_000, 4_000_000, 0.02, 25),
    (4_000_000, 8_000_000, 0.025, 20),
    (8_000_000, 40_000_000, 0.05, 10),
    (40_000_000, 80_000_000, 0.1, 5),
    (80_000_000, 100_000_000, 0.125, 4),
    (100_000_000, 200_000_000, 0.25, 2),
    (200_000_000, 400_000_000, 0.5, 1),
])

BINANCE_USDM = VenuePreset(
    name="binance-usdm",
    exchange="binance", ccxt_id="binanceusdm",
    # MM at the LP with the tier re-evaluated there (Binance USD-M FAQ).
    convention=LiquidationConvention.MM_AT_LIQUIDATION,
    # specs CSV, Binance BTCUSDT/ETHUSDT maker 0.0002 / taker 0.0004 (ccxt fixture; the current
    # Binance schedule was not read this session).
    maker_fee=0.0002, taker_fee=0.0004,
    funding_interval_hours=8.0,  # 8h at 00/08/16 UTC, per-symbol exceptions (blogs.density.exchange/funding-rate)
    reference_price="mark", onchain=False,
    instruments=_instruments(
        # specs CSV: contractSize 1, tick 0.10, lot 0.001, min notional 5 USDT.
        Instrument(symbol="BTCUSDT", contract_type=ContractType.LINEAR, contract_size=1.0, base="BTC", quote="USDT",
                   tick_size=0.1, lot_size=0.001, min_notional=5.0),
        # specs CSV: contractSize 1, tick 0.01, lot 0.001, min notional 5 USDT.
        Instrument(symbol="ETHUSDT", contract_type=ContractType.LINEAR, contract_size=1.0, base="ETH", quote="USDT",
                   tick_size=0.01, lot_size=0.001, min_notional=5.0),
        # Listed (Binance tiers JSON has SOL/USDT:USDT). Tick 0.01 and lot 1 are UNVERIFIED.
        Instrument(symbol="SOLUSDT", contract_type=ContractType.LINEAR, contract_size=1.0, base="SOL", quote="USDT",
                   tick_size=0.01, lot_size=1.0, min_notional=5.0),
    ),
    tier_tables=MappingProxyType({"BTCUSDT": _BINANCE_BTCUSDT_TIERS, "ETHUSDT": _BINANCE_ETHUSDT_TIERS,
                                  "SOLUSDT": _BINANCE_SOLUSDT_TIERS}),
    default_mmr=0.004,  # Binance tiers JSON: bracket 1 of BTCUSDT/ETHUSDT
    max_leverage=125.0,  # Binance tiers JSON: bracket 1 initialLeverage of BTCUSDT
)

# --------------------------------------------------------------------------- Binance COIN-M
BINANCE_COINM = VenuePreset(
    name="binance-coinm",
    exchange="binance", ccxt_id="binancecoinm",
    # Inverse LP-based formula (Binance COIN-M FAQ; ccxt binance.parse_account_position COIN-M branch).
    convention=LiquidationConvention.MM_AT_LIQUIDATION,
    maker_fee=0.0001, taker_fee=0.0005,  # specs CSV, BTCUSD_PERP maker 0.0001 / taker 0.0005
    funding_interval_hours=8.0,  # docs.traderwagon.com/faq/futures-trading-introduction/funding-fee
    reference_price="mark", onchain=False,
    instruments=_instruments(
        # specs CSV: 100 USD per contract (ccxt contractSize 100), tick 0.1, lot 1 contract.
        Instrument(symbol="BTCUSD_PERP", contract_type=ContractType.INVERSE, contract_size=100.0, base="BTC",
                   quote="USD", tick_size=0.1, lot_size=1.0),
        # 10 USD per contract (Binance dev-forum answer,
        # https://dev.binance.vision/t/how-to-get-binance-futures-usd-m-pnl-and-roe/11463). Tick 0.01 UNVERIFIED.
        Instrument(symbol="ETHUSD_PERP", contract_type=ContractType.INVERSE, contract_size=10.0, base="ETH",
                   quote="USD", tick_size=0.01, lot_size=1.0),
        # 10 USD per contract like other non-BTC COIN-M contracts (each coin has its own contract
        # spec): SOL face value and tick 0.001 UNVERIFIED.
        Instrument(symbol="SOLUSD_PERP", contract_type=ContractType.INVERSE, contract_size=10.0, base="SOL",
                   quote="USD", tick_size=0.001, lot_size=1.0),
    ),
    # COIN-M brackets were not available as data. Tier 1 at 0.4% with cum 0 is the MM example of
    # the Binance COIN-M FAQ; higher tiers UNVERIFIED/unknown.
    default_mmr=0.004,
    max_leverage=125.0,  # UNVERIFIED for COIN-M (USD-M BTC bracket 1 value)
)

# --------------------------------------------------------------------------- Bybit
_BYBIT_NOTE = ("Bybit classic / 2024 UTA: MM on the entry value (https://bybit.nl/nl-NL/help-center/article/"
               "Liquidation-Price-Calculation-under-Isolated-Mode-Unified-Trading-Account); the 2026 "
               "UTA page evaluates inverse MM at the LP instead - pass convention "
               "'mm-at-liquidation' to model it. Risk-limit tiers were not available as data.")

BYBIT_LINEAR = VenuePreset(
    name="bybit-linear",
    exchange="bybit", ccxt_id="bybit",
    # Bybit USDT isolated: LP = EP - s(IM - MM)/Q - s*Extra/Q, MM at entry
    # (https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract).
    convention=LiquidationConvention.MM_AT_ENTRY,
    maker_fee=0.0001, taker_fee=0.0006,  # specs CSV, Bybit BTCUSDT/ETHUSDT
    funding_interval_hours=8.0,  # specs CSV funding_interval 480 min
    reference_price="mark", onchain=False,
    instruments=_instruments(
        # specs CSV: tick 0.10, qty step 0.001, min notional 5, max leverage 100.
        Instrument(symbol="BTCUSDT", contract_type=ContractType.LINEAR, contract_size=1.0, base="BTC", quote="USDT",
                   tick_size=0.1, lot_size=0.001, min_notional=5.0),
        # specs CSV: tick 0.01, qty step 0.01, min notional 5.
        Instrument(symbol="ETHUSDT", contract_type=ContractType.LINEAR, contract_size=1.0, base="ETH", quote="USDT",
                   tick_size=0.01, lot_size=0.01, min_notional=5.0),
        # Bybit lists SOLUSDT; tick 0.01 and qty step 0.1 UNVERIFIED.
        Instrument(symbol="SOLUSDT", contract_type=ContractType.LINEAR, contract_size=1.0, base="SOL", quote="USDT",
                   tick_size=0.01, lot_size=0.1, min_notional=5.0),
    ),
    # MMR 0.5% as in Bybit's USDT isolated example (page above); Bybit's current risk-limit
    # table UNVERIFIED.
    default_mmr=0.005,
    max_leverage=100.0,  # specs CSV
    notes=_BYBIT_NOTE,
)

BYBIT_INVERSE = VenuePreset(
    name="bybit-inverse",
    exchange="bybit", ccxt_id="bybit",
    convention=LiquidationConvention.MM_AT_ENTRY,  # 2024 UTA / classic pages (see _BYBIT_NOTE)
    maker_fee=0.0001, taker_fee=0.0006,  # specs CSV, Bybit BTCUSD (the classic example used 0.075%)
    funding_interval_hours=8.0,  # specs CSV funding_interval 480 min
    reference_price="mark", onchain=False,
    instruments=_instruments(
        # Inverse contract = 1 USD (specs CSV contractSize 1), tick 0.10, lot 1.
        Instrument(symbol="BTCUSD", contract_type=ContractType.INVERSE, contract_size=1.0, base="BTC", quote="USD",
                   tick_size=0.1, lot_size=1.0),
        # 1 USD per contract like BTCUSD; tick 0.05 UNVERIFIED.
        Instrument(symbol="ETHUSD", contract_type=ContractType.INVERSE, contract_size=1.0, base="ETH", quote="USD",
                   tick_size=0.05, lot_size=1.0),
    ),
    default_mmr=0.005,  # Bybit classic inverse cross example and 2024 UTA example use 0.5%
    max_leverage=100.0,  # specs CSV
    notes=_BYBIT_NOTE,
)

# --------------------------------------------------------------------------- BitMEX
BITMEX = VenuePreset(
    name="bitmex",
    exchange="bitmex", ccxt_id="bitmex",
    # MM on the entry value plus the fee to close and the next funding (BitMEX staff on r/BitMEX,
    # https://www.reddit.com/r/BitMEX/comments/fc6rui/is_maintenance_margin_factored_into_liquidation/ and
    # https://www.reddit.com/r/BitMEX/comments/dgzniw/bitmex_support_again_fails_to_explain_essentials/;
    # https://www.bitmex.com/app/liquidation). The fee and funding terms apply only when asked for.
    convention=LiquidationConvention.BITMEX,
    maker_fee=0.0005, taker_fee=0.0005,  # specs CSV / XBTUSD extra fields (2026-05-21 snapshot)
    funding_interval_hours=8.0,  # 04/12/20 UTC (bitmex.com/app/perpetualContractsGuideExamples); specs CSV 8h
    reference_price="mark", onchain=False,
    instruments=_instruments(
        # Inverse, 1 USD per contract, lotSize 100, tick 0.1 (specs CSV, XBTUSD extra fields).
        Instrument(symbol="XBTUSD", contract_type=ContractType.INVERSE, contract_size=1.0, base="BTC", quote="USD",
                   tick_size=0.1, lot_size=100.0),
        # Quanto, 0.000001 XBT per USD point (spec table of https://www.bitmex.com/app/futuresGuide; the
        # guide's worked example computes with 0.0001). Tick 0.05 and lot 1 UNVERIFIED.
        Instrument(symbol="ETHUSD", contract_type=ContractType.QUANTO, contract_size=0.000001, base="ETH",
                   quote="USD", settle="BTC", tick_size=0.05, lot_size=1.0),
        # Linear USDT, 0.000001 BTC per contract, tick 0.1, lot 100 (specs CSV).
        Instrument(symbol="XBTUSDT", contract_type=ContractType.LINEAR, contract_size=0.000001, base="BTC",
                   quote="USDT", tick_size=0.1, lot_size=100.0),
        # Linear USDT, 0.00001 ETH per contract, tick 0.01, lot 1000 (specs CSV).
        Instrument(symbol="ETHUSDT", contract_type=ContractType.LINEAR, contract_size=0.00001, base="ETH",
                   quote="USDT", tick_size=0.01, lot_size=1000.0),
    ),
    default_mmr=0.005,  # specs CSV maintMargin 0.005 (base risk-limit tier); multi-tier steps unknown
    max_leverage=100.0,  # specs CSV initMargin 0.01
)

# --------------------------------------------------------------------------- OKX
OKX = VenuePreset(
    name="okx",
    exchange="okx", ccxt_id="okx",
    # OKX margin ratio divides by notional*(tier MMR + fee rate); freqtrade treats OKX like Gate
    # (OKX margin-ratio help page, reposted at https://open-lib.com/11556.html). Exact OKX LP formula not read.
    convention=LiquidationConvention.FEE_IN_MMR,
    maker_fee=0.0002, taker_fee=0.0005,  # UNVERIFIED (OKX schedule not read; regular-tier values)
    funding_interval_hours=8.0,  # 8h: UNVERIFIED (OKX funding page not read)
    reference_price="mark", onchain=False,
    instruments=_instruments(
        # Face value 0.01 BTC per U-margined BTC contract (OKX examples reposted at amorrr.com/7837.html).
        Instrument(symbol="BTC-USDT-SWAP", contract_type=ContractType.LINEAR, contract_size=0.01, base="BTC",
                   quote="USDT", tick_size=0.1, lot_size=1.0),
        # Face value 0.1 ETH, tick 0.01: UNVERIFIED.
        Instrument(symbol="ETH-USDT-SWAP", contract_type=ContractType.LINEAR, contract_size=0.1, base="ETH",
                   quote="USDT", tick_size=0.01, lot_size=1.0),
        # Face value 1 SOL, tick 0.01: UNVERIFIED.
        Instrument(symbol="SOL-USDT-SWAP", contract_type=ContractType.LINEAR, contract_size=1.0, base="SOL",
                   quote="USDT", tick_size=0.01, lot_size=1.0),
        # Face value 100 USD per coin-margined BTC contract (OKX examples reposted at amorrr.com/7837.html).
        Instrument(symbol="BTC-USD-SWAP", contract_type=ContractType.INVERSE, contract_size=100.0, base="BTC",
                   quote="USD", tick_size=0.1, lot_size=1.0),
        # Face value 10 USD: UNVERIFIED.
        Instrument(symbol="ETH-USD-SWAP", contract_type=ContractType.INVERSE, contract_size=10.0, base="ETH",
                   quote="USD", tick_size=0.01, lot_size=1.0),
    ),
    default_mmr=0.004,  # UNVERIFIED (OKX tier tables not read)
    max_leverage=100.0,  # UNVERIFIED
)

# --------------------------------------------------------------------------- Deribit
DERIBIT = VenuePreset(
    name="deribit",
    exchange="deribit", ccxt_id="deribit",
    # Incremental liquidation when equity < MM (Deribit margin pages); engine details not read, the
    # generic MM-at-LP equation gives the price where equity first meets MM, with the size-dependent
    # MM rate taken at the size the position has there (``hedgekit calc liquidation``).
    convention=LiquidationConvention.MM_AT_LIQUIDATION,
    maker_fee=0.0, taker_fee=0.0005,  # taker 0.05% from the old futures example; maker UNVERIFIED
    # Funding accrues continuously but is quoted as an 8h rate
    # (https://support.deribit.com/hc/en-us/articles/31424939178397-Funding-Specifications), so rates and
    # their annualisation use 8h.
    funding_interval_hours=8.0,
    reference_price="mark", onchain=False,
    instruments=_instruments(
        # "1 USD per index point, contract size 10 USD" (https://www.deribit.com/pages/docs/perpetual).
        # Tick 0.5 UNVERIFIED.
        Instrument(symbol="BTC-PERPETUAL", contract_type=ContractType.INVERSE, contract_size=10.0, base="BTC",
                   quote="USD", tick_size=0.5, lot_size=1.0),
        # 1 USD per contract and tick 0.05: UNVERIFIED.
        Instrument(symbol="ETH-PERPETUAL", contract_type=ContractType.INVERSE, contract_size=1.0, base="ETH",
                   quote="USD", tick_size=0.05, lot_size=1.0),
        # Linear USDC perpetuals (https://support.deribit.com/hc/en-us/articles/25944738177565-Linear-Perpetual);
        # contract sizes and ticks UNVERIFIED.
        Instrument(symbol="BTC_USDC-PERPETUAL", contract_type=ContractType.LINEAR, contract_size=0.001, base="BTC",
                   quote="USDC", tick_size=0.5, lot_size=1.0),
        Instrument(symbol="SOL_USDC-PERPETUAL", contract_type=ContractType.LINEAR, contract_size=0.1, base="SOL",
                   quote="USDC", tick_size=0.01, lot_size=1.0),
    ),
    # Standard margin of the inverse BTC and ETH futures and perpetuals (Deribit, "11 January 2022",
    # https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022): BTC IM 2% + size_BTC*0.005%,
    # MM 1% + size_BTC*0.005%; ETH IM 2% + size_ETH*0.0004%, MM 1% + size_ETH*0.0004%. Linear USDC perps
    # (linear-perpetual page above): BTC the same, SOL IM 4% + size*0.0005%, MM 2% + size*0.0005%.
    size_margin=MappingProxyType({
        "BTC-PERPETUAL": (0.02, 0.01, 0.00005),
        "ETH-PERPETUAL": (0.02, 0.01, 0.000004),
        "BTC_USDC-PERPETUAL": (0.02, 0.01, 0.00005),
        "SOL_USDC-PERPETUAL": (0.04, 0.02, 0.000005),
    }),
    symbol_mmr=MappingProxyType({"SOL_USDC-PERPETUAL": (0.02, 25.0)}),
    default_mmr=0.01,  # BTC and ETH MM at zero size (standard margin above)
    max_leverage=50.0,  # 1 / 2% BTC IM at zero size
)

# --------------------------------------------------------------------------- Hyperliquid
# Max leverage per asset: BTC 40x (docs.byreal.io/perps/risk-and-liquidation example "40x -> 1.25%"); ETH 25x, SOL 20x
# UNVERIFIED (Hyperliquid's asset list not read). MMR = 1/(2*max_leverage).
_HL_MAX_LEV = {"BTC": 40.0, "ETH": 25.0, "SOL": 20.0}
HYPERLIQUID = VenuePreset(
    name="hyperliquid",
    exchange="hyperliquid", ccxt_id="hyperliquid",
    convention=LiquidationConvention.HYPERLIQUID,  # hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations
    maker_fee=0.00015, taker_fee=0.00045,  # UNVERIFIED (base-tier schedule, not read this session)
    funding_interval_hours=1.0,  # hourly, paying the 8h rate / 8 (www.cortex-vigil.com/wiki/funding-rates)
    reference_price="oracle", onchain=True,
    instruments=_instruments(
        # Linear USDC perps; size in coin (contract size 1). Lot sizes (szDecimals 5/4/2) UNVERIFIED.
        _usdc_hourly_perp("BTC", "BTC", 0.00001),
        _usdc_hourly_perp("ETH", "ETH", 0.0001),
        _usdc_hourly_perp("SOL", "SOL", 0.01),
    ),
    symbol_mmr=MappingProxyType({k: (hyperliquid_mmr(v), v) for k, v in _HL_MAX_LEV.items()}),
    default_mmr=hyperliquid_mmr(40.0),
    max_leverage=40.0,
)

# --------------------------------------------------------------------------- dYdX v4
DYDX = VenuePreset(
    name="dydx",
    exchange="dydx", ccxt_id="dydx",
    convention=LiquidationConvention.DYDX,  # dydxprotocol/v4-documentation liquidations.mdx
    maker_fee=0.0001, taker_fee=0.0005,  # UNVERIFIED (fee schedule not read this session)
    funding_interval_hours=1.0,  # hourly on the oracle price (dydxprotocol/v4-documentation funding.mdx)
    reference_price="oracle", onchain=True,
    instruments=_instruments(
        # Linear USDC perps, size in coin; step sizes UNVERIFIED.
        _usdc_hourly_perp("BTC-USD", "BTC", 0.0001),
        _usdc_hourly_perp("ETH-USD", "ETH", 0.001),
        _usdc_hourly_perp("SOL-USD", "SOL", 0.01),
    ),
    # funding.mdx market tiers: large-cap IMF 5% / MMF 3% (BTC, ETH), mid-cap 10% / 5%. SOL's
    # tier is UNVERIFIED (taken as mid-cap). The docs' liquidation examples use MMF 5% for ETH.
    symbol_mmr=MappingProxyType({"BTC-USD": (0.03, 20.0), "ETH-USD": (0.03, 20.0),
                                 "SOL-USD": (0.05, 10.0)}),
    default_mmr=0.03,
    max_leverage=20.0,
)

_VENUES: dict[str, VenuePreset] = {
    v.name: v for v in (BINANCE_USDM, BINANCE_COINM, BYBIT_LINEAR, BYBIT_INVERSE, BITMEX, OKX, DERIBIT,
                        HYPERLIQUID, DYDX)
}


def venue_names() -> list[str]:
    """Preset names in a fixed order."""
    return list(_VENUES)


def get_venue(name: str) -> VenuePreset:
    """The preset called ``name`` (case-insensitive); InputError listing the valid names."""
    preset = _VENUES.get(str(name).strip().lower())
    if preset is None:
        raise InputError("venue", f"unknown venue; one of {', '.join(_VENUES)}", name)
    return preset


def exchange_of(name: str) -> str:
    """The operator behind a venue or custodian name: a preset's ``exchange`` (``binance-usdm``
    -> ``binance``), else the name up to its first ``-``, lowercased (``bybit-spot`` -> ``bybit``)."""
    key = str(name).strip().lower()
    preset = _VENUES.get(key)
    return preset.exchange if preset is not None else key.split("-", 1)[0]
