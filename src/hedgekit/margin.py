"""Initial and maintenance margin, margin tiers, liquidation and bankruptcy prices.

Pure scalar functions over :class:`~hedgekit.instruments.Instrument`. Amounts are in the
instrument's settle currency (USDT/USDC for linear, the coin for inverse, the settle coin for
quanto); prices are in the quote currency (USD). Sources and worked examples for every
formula are cited per function below (Binance USD-M FAQ
https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93, Binance COIN-M FAQ
https://www.binance.com/en/support/faq/ceccfcfb4e3a45e3b48b0b1bb1a8ae46, Bybit and
dYdX liquidation pages).

Notation: ``s`` = +1 long / -1 short; ``q = contracts * contract_size`` is the position in base
coin (linear) or settle coin per USD point (quanto); ``N = contracts * contract_size`` is the
USD face value (inverse); ``W`` = margin backing the position (isolated margin, or the cross
wallet minus other positions' maintenance margin plus their unrealised PnL); ``EP`` entry,
``LP`` liquidation, ``BP`` bankruptcy price; ``MMR`` and ``cum`` the maintenance-margin rate and
maintenance amount of a tier.

The one equation behind every venue's formula: the position is liquidated when
``W + uPnL(LP) = MM`` (Binance USD-M and COIN-M FAQs above). Linear/quanto
``uPnL(P) = s*q*(P - EP)``, inverse ``uPnL(P) = s*N*(1/EP - 1/P)``. Venues differ in where MM is
evaluated and what is added to it; see :class:`LiquidationConvention`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

from hedgekit.errors import InputError, check_finite, check_fraction, check_nonnegative, check_positive
from hedgekit.instruments import Instrument, MarginMode, Side

__all__ = [
    "LiquidationConvention",
    "LiquidationResult",
    "MarginTier",
    "build_tiers",
    "initial_margin",
    "liquidation_price",
    "maintenance_margin",
    "size_scaled_rate",
    "tier_for",
]

_BOUND_EPS = 1e-9  # relative slack when checking that a price's notional falls inside a tier


class LiquidationConvention(StrEnum):
    """How a venue turns the liquidation equation into a price.

    - ``mm-at-liquidation``: MM = notional(LP)*MMR - cum with the tier *at the liquidation
      price* (Binance USD-M and COIN-M, ccxt, Bybit 2026 UTA, generic). No fee term.
    - ``mm-at-entry``: MM = notional(EP)*MMR - deduction, fixed at entry (Bybit USDT isolated,
      Bybit classic / 2024 UTA inverse, MyCoinStory); a taker fee, when given, is charged on the
      bankruptcy value as on Bybit classic (the closing fee is part of the MM and of the BP).
      A position whose margin covers its largest loss has no LP here either (see the code).
    - ``fee-in-mmr``: MM = notional(LP)*(MMR + taker) - cum (Gate; freqtrade's OKX; OKX's margin
      ratio divides by notional*(MMR + fee rate)).
    - ``hyperliquid``: ``LP = EP - s*margin_available/q/(1 - MMR*s)``,
      ``margin_available = W - q*EP*MMR`` (linear only).
    - ``dydx``: ``LP = (e - S*EP - MMR_o)/(|S|*MMF - S)`` with ``S = s*q`` (linear only).
    - ``bitmex``: MM on the entry value at ``MMR + taker + s*funding`` (BitMEX's reply on r/BitMEX:
      "0.5% * Order Value + (Taker Fee * Order Value)" plus funding,
      https://www.reddit.com/r/BitMEX/comments/fc6rui/is_maintenance_margin_factored_into_liquidation/ ;
      BitMEX support's formula quoted in
      https://www.reddit.com/r/BitMEX/comments/dgzniw/bitmex_support_again_fails_to_explain_essentials/ :
      ``initMargin = 1/leverage + entry fee + exit fee``, ``maintenanceMargin = 0.5% + exit fee +
      funding rate``; liquidation process https://www.bitmex.com/app/liquidation). Inverse long
      ``LP = EP/(1 + IM - MM)``, short ``LP = EP/(1 - IM + MM)`` with IM, MM as fractions of the
      entry value. The funding term is what the position pays: positive funding raises a long's
      MM and lowers a short's (the direction BitMEX support confirmed in the second thread).
    """

    MM_AT_LIQUIDATION = "mm-at-liquidation"
    MM_AT_ENTRY = "mm-at-entry"
    FEE_IN_MMR = "fee-in-mmr"
    HYPERLIQUID = "hyperliquid"
    DYDX = "dydx"
    BITMEX = "bitmex"

    @property
    def charges_fee_to_close(self) -> bool:
        """Whether a fee to close (``taker_fee`` of :func:`liquidation_price`) enters this
        convention's liquidation price (``mm-at-entry``, ``fee-in-mmr``, ``bitmex``)."""
        return self in _FEE_CONVENTIONS


_FEE_CONVENTIONS = frozenset({LiquidationConvention.MM_AT_ENTRY, LiquidationConvention.FEE_IN_MMR,
                              LiquidationConvention.BITMEX})


@dataclass(frozen=True, kw_only=True, slots=True)
class MarginTier:
    """One maintenance-margin bracket.

    ``floor``/``cap`` bound the position notional in the settle currency (USDT for linear,
    coin for inverse); ``mmr`` is the maintenance-margin rate, ``max_leverage`` the largest
    leverage allowed in the bracket and ``cum`` the maintenance amount (Binance "cum", Bybit
    "MM deduction") so that ``MM = notional*mmr - cum``.
    """

    floor: float
    cap: float
    mmr: float
    max_leverage: float
    cum: float = 0.0

    def contains(self, notional: float) -> bool:
        """Whether ``notional`` lies in ``[floor, cap]`` (with a 1e-9 relative slack)."""
        lo = self.floor * (1 - _BOUND_EPS)
        hi = self.cap * (1 + _BOUND_EPS)
        return lo <= notional <= hi

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def build_tiers(rows: Iterable[tuple[float, float, float, float]]) -> tuple[MarginTier, ...]:
    """Build tiers from ``(floor, cap, mmr, max_leverage)`` rows, computing each ``cum``.

    ``cum_1 = 0``, ``cum_n = floor_n*(MMR_n - MMR_(n-1)) + cum_(n-1)`` (Binance USD-M and
    COIN-M leverage-bracket FAQs, links above), which makes ``MM = notional*MMR - cum``
    continuous across tier boundaries. Rows must be contiguous (each floor = previous cap)
    with non-decreasing MMR.
    """
    tiers: list[MarginTier] = []
    for i, row in enumerate(rows):
        try:
            floor, cap, mmr, max_lev = (float(x) for x in row)
        except (TypeError, ValueError):
            raise InputError(f"tiers[{i}]", "must be (floor, cap, mmr, max_leverage)", row) from None
        check_nonnegative(f"tiers[{i}].floor", floor)
        check_fraction(f"tiers[{i}].mmr", mmr)
        check_positive(f"tiers[{i}].max_leverage", max_lev)
        if not cap > floor:
            raise InputError(f"tiers[{i}].cap", "must be > floor", cap)
        if tiers:
            prev = tiers[-1]
            if not math.isclose(floor, prev.cap, rel_tol=1e-12, abs_tol=1e-12):
                raise InputError(f"tiers[{i}].floor", "must equal the previous tier's cap", floor)
            if mmr < prev.mmr:
                raise InputError(f"tiers[{i}].mmr", "must not be below the previous tier's", mmr)
            cum = floor * (mmr - prev.mmr) + prev.cum
        else:
            cum = 0.0
        tiers.append(MarginTier(floor=floor, cap=cap, mmr=mmr, max_leverage=max_lev, cum=cum))
    if not tiers:
        raise InputError("tiers", "needs at least one tier", [], show_value=False)
    return tuple(tiers)


def tier_for(tiers: Sequence[MarginTier], notional_settle: float) -> MarginTier:
    """The tier whose ``[floor, cap)`` holds ``notional_settle``.

    Below the first floor the first tier applies; above the last cap the last tier does
    (the venue would refuse the position, but its margin is still defined by the last tier).
    """
    if not tiers:
        raise InputError("tiers", "needs at least one tier", [], show_value=False)
    for tier in tiers:
        if notional_settle < tier.cap:
            return tier
    return tiers[-1]


def size_scaled_rate(base_rate: float, rate_per_coin: float, size_coin: float) -> float:
    """A margin rate that grows with position size: ``base_rate + size_coin*rate_per_coin``.

    Deribit standard margin
    (https://support.deribit.com/hc/en-us/articles/25944738177565-Linear-Perpetual):
    BTC IM = 2% + size_BTC*0.005%, MM = 1% + size_BTC*0.005%; e.g. 25 BTC -> IM 2.125%, MM 1.125%.
    """
    return base_rate + abs(size_coin) * rate_per_coin


def initial_margin(instrument: Instrument, contracts: float, price: float, leverage: float) -> float:
    """Initial margin in the settle currency: ``notional_settle(price) / leverage``.

    Linear ``q*P/L`` (quote), inverse ``N/(P*L)`` (coin), quanto ``q*P/L`` (settle coin).
    Isolated IM uses the entry price; OKX cross IM uses the mark
    (https://okx.com/fr/help/iii-calculation-of-contract-profit-and-loss).
    """
    check_positive("contracts", contracts)
    check_positive("price", price)
    check_positive("leverage", leverage)
    return instrument.notional_settle(contracts, price) / leverage


def _rate_and_amount(notional: float, mmr: float | None, maint_amount: float,
                     tiers: Sequence[MarginTier] | None) -> tuple[float, float]:
    """(MMR, maintenance amount) to apply at ``notional``: explicit ``mmr`` wins over tiers."""
    if mmr is not None:
        return check_fraction("mmr", mmr), check_finite("maint_amount", maint_amount)
    if tiers:
        tier = tier_for(tiers, notional)
        return tier.mmr, tier.cum
    raise InputError("mmr", "give a maintenance-margin rate or tiers", None, show_value=False)


def maintenance_margin(instrument: Instrument, contracts: float, price: float, *,
                       mmr: float | None = None, maint_amount: float = 0.0,
                       tiers: Sequence[MarginTier] | None = None, extra_rate: float = 0.0) -> float:
    """Maintenance margin in the settle currency: ``notional_settle(price)*(MMR + extra_rate) - cum``.

    With ``mmr`` the rate is flat and ``maint_amount`` is subtracted; otherwise the tier holding
    the notional gives ``MMR`` and ``cum``. ``extra_rate`` adds terms a venue charges on the
    position value on top of the MMR (BitMEX: the taker fee to close and the next funding rate,
    see :class:`LiquidationConvention`); 0 by default. Example (Binance COIN-M FAQ,
    https://www.binance.com/en/support/faq/ceccfcfb4e3a45e3b48b0b1bb1a8ae46): 100 BTCUSD contracts of 100 USD
    at mark 25,000 -> 0.4 BTC notional, MM = 0.4*0.4% = 0.0016 BTC.
    """
    check_positive("contracts", contracts)
    check_positive("price", price)
    extra_rate = check_finite("extra_rate", extra_rate)
    notional = instrument.notional_settle(contracts, price)
    rate, amount = _rate_and_amount(notional, mmr, maint_amount, tiers)
    return notional * (rate + extra_rate) - amount


@dataclass(frozen=True, kw_only=True, slots=True)
class LiquidationResult:
    """Liquidation and bankruptcy price of one position (``None`` where no such price exists).

    ``mmr`` and ``maint_amount`` are the rate and maintenance amount actually used (the tier at
    the liquidation price, or at entry for ``mm-at-entry``); ``margin`` is the equity that backed
    the position in the calculation (settle currency).
    """

    liquidation_price: float | None
    bankruptcy_price: float | None
    mmr: float
    maint_amount: float
    convention: LiquidationConvention = LiquidationConvention.MM_AT_LIQUIDATION
    margin_mode: MarginMode = MarginMode.ISOLATED
    margin: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "liquidation_price": self.liquidation_price,
            "bankruptcy_price": self.bankruptcy_price,
            "mmr": self.mmr,
            "maint_amount": self.maint_amount,
            "convention": self.convention.value,
            "margin_mode": self.margin_mode.value,
            "margin": self.margin,
        }


def _solve(inverse: bool, s: int, size: float, entry: float, equity: float,
           rate: float, amount: float) -> float | None:
    """Price P where ``equity + uPnL(P) = notional(P)*rate - amount``; None if no positive root.

    linear/quanto: ``W + s*q*(P - EP) = q*P*r - a``  =>  ``P = (W + a - s*q*EP) / (q*(r - s))``
    inverse:       ``W + s*N*(1/EP - 1/P) = N*r/P - a``  =>  ``P = N*(r + s) / (W + a + s*N/EP)``
    """
    if inverse:
        num = size * (rate + s)
        den = equity + amount + s * size / entry
    else:
        num = equity + amount - s * size * entry
        den = size * (rate - s)
    if den == 0:
        return None
    price = num / den
    if not math.isfinite(price) or price <= 0:
        return None
    return price


def _notional(inverse: bool, size: float, price: float) -> float:
    return size / price if inverse else size * price


def _solve_tiered(inverse: bool, s: int, size: float, entry: float, equity: float,
                  tiers: Sequence[MarginTier], extra_rate: float) -> tuple[float | None, MarginTier]:
    """Solve the MM-at-LP equation tier by tier; keep the root whose notional lies in its tier.

    MM = notional*MMR - cum is continuous and convex in the notional (cum recursion), and
    equity - MM is monotone in the price, so exactly one tier's root is consistent when a
    liquidation price exists (Binance FAQ: re-evaluate the tier at the liquidation price).
    """
    entry_tier = tier_for(tiers, _notional(inverse, size, entry))
    last = len(tiers) - 1
    for i, tier in enumerate(tiers):
        price = _solve(inverse, s, size, entry, equity, tier.mmr + extra_rate, tier.cum)
        if price is None:
            continue
        notional = _notional(inverse, size, price)
        below_ok = i == 0 or notional >= tier.floor * (1 - _BOUND_EPS)
        above_ok = i == last or notional <= tier.cap * (1 + _BOUND_EPS)
        if below_ok and above_ok:
            return price, tier
    return None, entry_tier


def liquidation_price(instrument: Instrument, side: Side | str, contracts: float, entry: float,
                      wallet: float | None, *, margin_mode: MarginMode | str = "isolated",
                      leverage: float | None = None, mmr: float | None = None,
                      maint_amount: float = 0.0, tiers: Sequence[MarginTier] | None = None,
                      taker_fee: float = 0.0, other_maintenance: float = 0.0,
                      other_upnl: float = 0.0,
                      convention: LiquidationConvention | str = "mm-at-liquidation",
                      funding_rate: float = 0.0,
                      ) -> LiquidationResult:
    """Liquidation and bankruptcy price of a position, in the venue's convention.

    Args:
        instrument: the contract.
        side: long or short.
        contracts: positive contract count.
        entry: average entry price (quote currency).
        wallet: margin backing the position in the settle currency (coin for inverse):
            the isolated margin, or the cross wallet balance. ``None`` with ``leverage`` uses
            the initial margin ``notional(entry)/leverage`` (isolated).
        margin_mode: ``isolated`` or ``cross``. Cross uses
            ``W = wallet - other_maintenance + other_upnl`` (Binance ``WB - TMM1 + UPNL1``;
            dYdX ``e - MMR_o``); both must be 0 in isolated mode.
        leverage: only used to derive ``wallet`` when it is ``None``.
        mmr, maint_amount: a flat maintenance-margin rate and amount; override ``tiers``.
        tiers: margin tiers (settle-currency notional bounds); the tier is re-evaluated at the
            liquidation price (or taken at entry for ``mm-at-entry``).
        taker_fee: the fee to close (default 0: no fee term): used by ``fee-in-mmr``
            (added to MMR), ``mm-at-entry`` (fee to close at the bankruptcy price, Bybit classic)
            and ``bitmex`` (added to MMR on the entry value; a wallet derived from ``leverage``
            then also holds the entry and exit fees BitMEX reserves with the order); ignored by
            the other conventions.
        convention: see :class:`LiquidationConvention`.
        funding_rate: ``bitmex`` only: the next funding rate (> 0: longs pay), added to the MM
            rate as ``s*funding_rate``.

    Returns:
        :class:`LiquidationResult`. ``liquidation_price`` is ``None`` when the position can
        never reach its maintenance margin (e.g. a 1x inverse short whose collateral is the
        hedged coin: ``N*(1 - MMR)/(N/EP - W)`` has a zero denominator; a linear long whose
        margin covers the notional). ``bankruptcy_price`` is the same equation with
        ``MMR = cum = 0`` (plus the taker fee on the bankruptcy value for ``mm-at-entry``); in
        cross mode it is where the cross equity ``wallet + other_upnl + uPnL`` reaches zero.
        If the margin is already below the maintenance margin at entry, the LP lies on the
        winning side of entry: the position is liquidatable at once.

    Formulas (Binance USD-M / COIN-M FAQs), linear ``mm-at-liquidation``:
    ``LP = (W + cum - s*q*EP) / (q*MMR - s*q)``; inverse: ``LP = N*(MMR + s)/(W + cum + s*N/EP)``.
    ``mm-at-entry`` linear ``LP = EP - s*(W - MM_entry - F)/q`` (Bybit: 1 BTC at 20,000, 50x,
    MMR 0.5% -> 19,700, https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract);
    inverse ``LP = N/(N/EP + s*(W - MM_entry - F))``, ``F`` = taker fee on the bankruptcy value.
    """
    side = Side(side)
    s = side.sign
    mode = MarginMode(margin_mode)
    conv = LiquidationConvention(convention)
    contracts = check_positive("contracts", contracts)
    entry = check_positive("entry", entry)
    taker_fee = check_fraction("taker_fee", taker_fee)
    other_maintenance = check_finite("other_maintenance", other_maintenance)
    other_upnl = check_finite("other_upnl", other_upnl)
    funding_rate = check_finite("funding_rate", funding_rate)
    if funding_rate and conv is not LiquidationConvention.BITMEX:
        raise InputError("funding_rate", "applies to the bitmex convention only", funding_rate)
    if wallet is None:
        if leverage is None:
            raise InputError("wallet", "give the margin (wallet) or a leverage", None, show_value=False)
        wallet = initial_margin(instrument, contracts, entry, leverage)
        if conv is LiquidationConvention.BITMEX:
            # BitMEX reserves the entry and the exit commission with the initial margin
            # (https://www.bitmex.com/app/exchangeGuide: "Commission is reserved").
            wallet += 2 * taker_fee * instrument.notional_settle(contracts, entry)
    else:
        wallet = check_finite("wallet", wallet)
        if leverage is not None:
            check_positive("leverage", leverage)
    if mode is MarginMode.ISOLATED:
        if other_maintenance:
            raise InputError("other_maintenance", "applies to cross margin only", other_maintenance)
        if other_upnl:
            raise InputError("other_upnl", "applies to cross margin only", other_upnl)
    equity = wallet - other_maintenance + other_upnl

    inverse = instrument.is_inverse
    size = contracts * instrument.contract_size
    entry_notional = _notional(inverse, size, entry)
    if mmr is not None:
        flat = MarginTier(floor=0.0, cap=math.inf, mmr=check_fraction("mmr", mmr), max_leverage=math.inf,
                          cum=check_finite("maint_amount", maint_amount))
        tiers = (flat,)
    elif not tiers:
        raise InputError("mmr", "give a maintenance-margin rate or tiers", None, show_value=False)

    def result(lp: float | None, bp: float | None, tier: MarginTier) -> LiquidationResult:
        return LiquidationResult(liquidation_price=lp, bankruptcy_price=bp, mmr=tier.mmr,
                                 maint_amount=tier.cum, convention=conv, margin_mode=mode,
                                 margin=equity)

    # Bankruptcy = zero equity: other positions' maintenance margin is not subtracted.
    bankrupt_equity = wallet + other_upnl
    bankruptcy = _solve(inverse, s, size, entry, bankrupt_equity, 0.0, 0.0)

    if conv is LiquidationConvention.MM_AT_LIQUIDATION:
        lp, tier = _solve_tiered(inverse, s, size, entry, equity, tiers, 0.0)
        return result(lp, bankruptcy, tier)

    if conv is LiquidationConvention.FEE_IN_MMR:
        lp, tier = _solve_tiered(inverse, s, size, entry, equity, tiers, taker_fee)
        return result(lp, bankruptcy, tier)

    if conv is LiquidationConvention.MM_AT_ENTRY:
        tier = tier_for(tiers, entry_notional)
        if bankruptcy is None:
            # The margin covers the largest possible loss (1x inverse short on coin collateral,
            # linear long with W >= q*EP). The entry-frozen MM would otherwise "liquidate" it where
            # the shrinking equity meets a MM that no longer shrinks with the position (EP/MMR, or
            # EP*MMR for the long); Bybit's own LP-based 2026 formula has no such price.
            return result(None, None, tier)
        mm_entry = entry_notional * tier.mmr - tier.cum
        # Bybit classic: the bankruptcy price includes the fee to close there, and the LP keeps
        # that fee on top of the entry MM: W + uPnL(LP) = MM_entry + fee*notional(BP).
        bankruptcy = _solve(inverse, s, size, entry, bankrupt_equity, taker_fee, 0.0)
        close_fee = taker_fee * _notional(inverse, size, bankruptcy) if bankruptcy else 0.0
        lp = _solve(inverse, s, size, entry, equity, 0.0, -(mm_entry + close_fee))
        return result(lp, bankruptcy, tier)

    if conv is LiquidationConvention.BITMEX:
        tier = tier_for(tiers, entry_notional)
        if bankruptcy is None:
            return result(None, None, tier)  # margin covers the largest loss (see mm-at-entry)
        mm_entry = entry_notional * (tier.mmr + taker_fee + s * funding_rate) - tier.cum
        lp = _solve(inverse, s, size, entry, equity, 0.0, -mm_entry)
        return result(lp, bankruptcy, tier)

    if inverse:
        raise InputError("convention", "applies to linear contracts only", conv.value)
    tier = tier_for(tiers, entry_notional)
    rate = tier.mmr
    if conv is LiquidationConvention.HYPERLIQUID:
        # Hyperliquid docs via freqtrade: liq = price - side*margin_available/size/(1 - l*side)
        margin_available = equity - size * entry * rate
        lp = entry - s * margin_available / size / (1 - rate * s)
    else:  # dYdX v4 liquidations.mdx: p' = (e - S*p - MMR_o)/(|S|*MMF - S); MMR_o is in equity
        signed = s * size
        lp = (equity - signed * entry) / (abs(signed) * rate - signed)
    return result(lp if math.isfinite(lp) and lp > 0 else None, bankruptcy, tier)
