"""The portfolio file's schema: pydantic models of the holdings, the hedge policy and the
scenario settings, and :func:`parse_portfolio` / :func:`load_portfolio` that validate it.

Validation happens here, at the border: every problem becomes one
:class:`~hedgekit.errors.InputError` naming the entry and field,
e.g. ``holdings[3].amount: must be >= 0 (got -5)`` (wording from :mod:`hedgekit._validation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hedgekit._validation import (
    Number,
    Whole,
    at_least,
    duration_seconds,
    from_validation_error,
    read_yaml,
)
from hedgekit.errors import InputError

__all__ = [
    "AlertSettings",
    "Collateral",
    "ExecutionSettings",
    "HedgeMethod",
    "HedgePolicy",
    "Holding",
    "HoldingKind",
    "InstrumentChoice",
    "LPModel",
    "Portfolio",
    "PositionEntry",
    "Rounding",
    "ScenarioSettings",
    "load_portfolio",
    "parse_portfolio",
]


class HoldingKind(StrEnum):
    SPOT = "spot"
    STAKED = "staked"
    LENT = "lent"
    LP = "lp"
    CASH = "cash"
    BORROWED = "borrowed"


class LPModel(StrEnum):
    CONSTANT_PRODUCT = "constant-product"
    CONCENTRATED = "concentrated"


class HedgeMethod(StrEnum):
    NOTIONAL = "notional"
    BETA = "beta"
    MINVAR = "minvar"
    DOWNSIDE_BETA = "downside-beta"


class Collateral(StrEnum):
    STABLECOINS = "stablecoins"
    HEDGED_COIN = "hedged-coin"
    COIN = "coin"


class Rounding(StrEnum):
    NEAREST = "nearest"
    DOWN = "down"
    UP = "up"


# history windows longer than this (about 27 years, older than any crypto market) are typos
MAX_FUNDING_DAYS = 10_000

# Bounds that keep every product of the plan finite (amount x price x ratio x beta stays far
# below the float maximum of 1.8e308) and refuse values no real book holds: a coin amount above
# 1e18 exceeds the supply of any token, a USD price outside [1e-12, 1e12] fits no listed coin,
# a funding rate beyond 100% per 8 hours or a beta beyond 100 is a typo.
MAX_AMOUNT = 1e18
MIN_PRICE, MAX_PRICE = 1e-12, 1e12
MIN_LEVERAGE = 0.01


Amount = Annotated[Number, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
PosAmount = Annotated[Number, Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Price = Annotated[Number, Field(gt=0, le=MAX_PRICE, allow_inf_nan=False), at_least(MIN_PRICE)]
Rate = Annotated[Number, Field(ge=-1, le=1, allow_inf_nan=False)]
Beta = Annotated[Number, Field(ge=-100, le=100, allow_inf_nan=False)]


def _symbol(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# ------------------------------------------------------------------ holdings
class Holding(_Model):
    """One entry of ``holdings``.

    ``spot``/``staked``/``lent``/``cash``/``borrowed`` need ``asset`` and ``amount``; ``staked``
    and ``lent`` may carry ``apy`` (fraction per year, paid in the asset) and ``unlock_days``;
    ``borrowed`` (a loan, e.g. on a DeFi money market) is a short exposure of ``amount`` and its
    ``apy`` is the borrow rate paid.
    ``lp`` needs ``pool: BASE/QUOTE``, ``model`` and either ``liquidity`` (L in
    sqrt(base*quote) units) or both ``amount_base`` and ``amount_quote``; a concentrated
    range also needs ``lower`` < ``upper`` (quote per base).
    """

    kind: HoldingKind = HoldingKind.SPOT
    asset: str | None = None
    amount: Amount | None = None
    venue: str | None = None
    apy: Annotated[Number, Field(ge=-1, le=100, allow_inf_nan=False)] = 0.0
    unlock_days: Annotated[Number, Field(ge=0, le=36500, allow_inf_nan=False)] = 0.0
    pool: str | None = None
    model: LPModel | None = None
    liquidity: PosAmount | None = None
    amount_base: Amount | None = None
    amount_quote: Amount | None = None
    lower: Price | None = None
    upper: Price | None = None

    _asset_upper = field_validator("asset", mode="before")(_symbol)
    _pool_upper = field_validator("pool", mode="before")(_symbol)

    @model_validator(mode="after")
    def _check_kind(self) -> Holding:
        if self.kind is HoldingKind.LP:
            self._check_lp()
            return self
        for name in ("pool", "model", "liquidity", "amount_base", "amount_quote", "lower", "upper"):
            if getattr(self, name) is not None:
                raise InputError(name, f"only liquidity positions (kind: lp) take {name}",
                                 getattr(self, name))
        if not self.asset:
            raise InputError("asset", "is required", self.asset)
        if self.amount is None:
            raise InputError("amount", "is required", None, show_value=False)
        if self.kind is HoldingKind.BORROWED:
            if self.unlock_days:
                raise InputError("unlock_days", "a borrowed holding has no unlock", self.unlock_days)
            if self.apy < 0:
                raise InputError("apy", "is the borrow rate paid: must be >= 0", self.apy)
        elif self.kind not in (HoldingKind.STAKED, HoldingKind.LENT):
            for name in ("apy", "unlock_days"):
                if getattr(self, name):
                    raise InputError(name, "only staked, lent or borrowed holdings take " + name
                                     if name == "apy" else "only staked or lent holdings take " + name,
                                     getattr(self, name))
        return self

    def _check_lp(self) -> None:
        if self.asset is not None or self.amount is not None:
            bad = "asset" if self.asset is not None else "amount"
            raise InputError(bad, "a liquidity position is described by pool and amount_base/"
                             "amount_quote or liquidity", getattr(self, bad))
        if not self.pool or self.pool.count("/") != 1 or "" in self.pool.split("/"):
            raise InputError("pool", "must look like BASE/QUOTE, e.g. ETH/USDC", self.pool)
        if self.model is None:
            raise InputError("model", "is required for kind: lp (constant-product or concentrated)",
                             None, show_value=False)
        has_amounts = self.amount_base is not None or self.amount_quote is not None
        if (self.liquidity is None) == (not has_amounts):
            raise InputError("liquidity", "give either liquidity or amount_base and amount_quote",
                             self.liquidity)
        if has_amounts and (self.amount_base is None or self.amount_quote is None):
            missing = "amount_base" if self.amount_base is None else "amount_quote"
            raise InputError(missing, "is required with the other amount (0 is allowed)", None,
                             show_value=False)
        if has_amounts and self.amount_base == 0 and self.amount_quote == 0:
            raise InputError("amount_base", "a position needs some base or quote", 0)
        if self.model is LPModel.CONCENTRATED:
            if self.lower is None or self.upper is None:
                missing = "lower" if self.lower is None else "upper"
                raise InputError(missing, "is required for a concentrated range", None,
                                 show_value=False)
            if self.lower >= self.upper:
                raise InputError("upper", f"must be > lower ({self.lower:g})", self.upper)
        elif self.lower is not None or self.upper is not None:
            raise InputError("lower", "a constant-product pool has no range", self.lower)

    @property
    def base(self) -> str:
        """The asset whose price moves the holding (the pool's base token for an LP)."""
        return self.pool.split("/")[0] if self.kind is HoldingKind.LP else self.asset  # type: ignore[union-attr,return-value]

    @property
    def quote(self) -> str | None:
        return self.pool.split("/")[1] if self.kind is HoldingKind.LP else None  # type: ignore[union-attr]


# ------------------------------------------------------------------ policy
class InstrumentChoice(_Model):
    """A hedge instrument picked by hand: a venue preset and its symbol, optionally a fixed
    contract count (instead of the size the policy implies).

    A contract the preset does not list (e.g. a CME-style 1-BTC future) is described by
    ``contract_type``, ``contract_size``, ``base`` and optionally ``lot_size``/``quote``/
    ``settle``; the venue then supplies fees, funding interval and its default margin rate.
    """

    venue: str
    symbol: str
    contracts: PosAmount | None = None
    contract_type: Literal["linear", "inverse", "quanto"] | None = None
    contract_size: Price | None = None
    base: str | None = None
    quote: str | None = None
    settle: str | None = None
    lot_size: Price = 1.0
    expiry: datetime | None = None  # a dated future (settles then; UTC when no zone is given)
    price: Price | None = None      # the contract's own price (a dated future's, for its basis)

    _base_upper = field_validator("base", "quote", "settle", mode="before")(_symbol)

    @model_validator(mode="after")
    def _custom_complete(self) -> InstrumentChoice:
        given = [n for n in ("contract_type", "contract_size", "base") if getattr(self, n) is not None]
        if given and len(given) < 3:
            missing = next(n for n in ("contract_type", "contract_size", "base") if n not in given)
            raise InputError(missing, "a custom contract needs contract_type, contract_size and "
                             "base", None, show_value=False)
        return self

    @property
    def is_custom(self) -> bool:
        return self.contract_size is not None


class HedgePolicy(_Model):
    """How to hedge (the ``hedge:`` section).

    Attributes:
        ratio: fraction of each exposure to hedge (1 = full, 0.5 = half).
        ratios: per asset, a ratio that replaces ``ratio`` (``{ETH: 0.1}``: hedge 10% of ETH).
        method: ``notional`` (hedge ``ratio`` x exposure), ``beta``, ``minvar`` or
            ``downside-beta`` (hedge ``ratio`` x beta x exposure; betas from ``betas`` or
            estimated from stored history; ``downside-beta`` on the days the hedge fell).
        methods: per asset, a method that replaces ``method``.
        betas: per asset, the beta (or minimum-variance ratio) of the asset's returns on its
            hedge instrument's returns.
        proxies: per asset, the asset whose future hedges it (default: its own future where a
            venue lists one, else ``benchmark``).
        venues: venue presets to use, in order of preference.
        contract_type: preferred contract kind when a venue lists several.
        instruments: per asset, instrument(s) picked by hand (overrides venues/proxies).
        leverage: initial-margin leverage of each leg (IM = notional / leverage).
        margin_mode: isolated or cross (cross uses the same collateral per leg here).
        collateral: ``stablecoins`` (USDT/USDC margin), ``hedged-coin`` (inverse legs margined
            with the hedged coins themselves) or ``coin`` (a separate coin balance — an
            unhedged long). Default: stablecoins for linear, hedged-coin for inverse.
        max_share_per_venue: cap on any venue's share of the total hedge notional; legs are
            split across ``venues`` to respect it.
        funding_rates: per asset or symbol, the funding rate per 8 hours (fraction; > 0 means
            shorts receive). Missing ones use the mean of the last ``recent_funding_days`` of
            the leg's funding history in the local data store when set and found, else
            ``default_funding_rate_8h`` (0.01%/8h, the usual interest-rate baseline).
        rounding: how the chosen contract count is rounded to the lot.
        liquidation_warning_pct: warn when a leg's liquidation price is closer than this (%).
        fee_to_close: add the venue's taker fee as a fee to close to the liquidation price, on
            venues whose convention charges one (Bybit classic ``mm-at-entry``, OKX/Gate
            ``fee-in-mmr``, BitMEX); off by default, as ``hedgekit calc liquidation
            --fee-to-close``. The plan states the convention and the fee it used per leg.
        benchmark: the market factor used for proxy hedges and scenario shocks.
    """

    ratio: Annotated[Number, Field(ge=0, le=10, allow_inf_nan=False)] = 1.0
    ratios: dict[str, Annotated[Number, Field(ge=0, le=10, allow_inf_nan=False)]] = Field(default_factory=dict)
    method: HedgeMethod = HedgeMethod.NOTIONAL
    methods: dict[str, HedgeMethod] = Field(default_factory=dict)
    betas: dict[str, Beta] = Field(default_factory=dict)
    proxies: dict[str, str] = Field(default_factory=dict)
    venues: list[str] = Field(default_factory=lambda: ["binance-usdm"], min_length=1)
    contract_type: Literal["linear", "inverse", "quanto"] | None = None
    instruments: dict[str, Annotated[list[InstrumentChoice], Field(min_length=1)]] = Field(default_factory=dict)
    leverage: Annotated[Number, Field(gt=0, le=1000, allow_inf_nan=False), at_least(MIN_LEVERAGE)] = 2.0
    margin_mode: Literal["isolated", "cross"] = "isolated"
    collateral: Collateral | None = None
    max_share_per_venue: Annotated[Number, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    funding_rates: dict[str, Rate] = Field(default_factory=dict)
    default_funding_rate_8h: Rate = 0.0001
    recent_funding_days: Annotated[Whole, Field(ge=1, le=MAX_FUNDING_DAYS)] | None = None
    rounding: Rounding = Rounding.NEAREST
    liquidation_warning_pct: Annotated[Number, Field(gt=0, le=1000, allow_inf_nan=False)] = 25.0
    fee_to_close: StrictBool = False
    benchmark: str = "BTC"
    lookback_days: Annotated[Whole, Field(ge=30, le=MAX_FUNDING_DAYS)] = 365
    roll_days_before_expiry: Annotated[Whole, Field(ge=0, le=366)] = 3
    gas_usd_per_tx: dict[str, Annotated[Number, Field(ge=0, le=1e6, allow_inf_nan=False)]] = Field(
        default_factory=dict)  # per on-chain venue

    def ratio_for(self, asset: str) -> float:
        """The hedge ratio of ``asset``: its entry under ``ratios``, else ``ratio``."""
        return self.ratios.get(asset, self.ratio)

    def method_for(self, asset: str) -> HedgeMethod:
        """The sizing method of ``asset``: its entry under ``methods``, else ``method``."""
        return self.methods.get(asset, self.method)

    @field_validator("betas", "proxies", "funding_rates", "instruments", "ratios", "methods",
                     mode="before")
    @classmethod
    def _upper_keys(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, Mapping):
            return value
        out = {}
        for k, v in value.items():
            if isinstance(v, (dict, InstrumentChoice)):
                v = [v]  # one instrument or a list of them
            elif info.field_name == "proxies":
                v = _symbol(v)
            out[_symbol(k)] = v
        return out

    @field_validator("benchmark", mode="before")
    @classmethod
    def _upper_benchmark(cls, value: Any) -> Any:
        return _symbol(value)

    @field_validator("venues", mode="before")
    @classmethod
    def _one_venue(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ScenarioSettings(_Model):
    """The optional ``scenario:`` section: betas of each asset to the benchmark and fixed
    per-asset shocks (fraction, e.g. ``USDC: -0.05`` for a depeg) applied in every row."""

    benchmark: str | None = None
    betas: dict[str, Beta] = Field(default_factory=dict)
    asset_shocks: dict[str, Annotated[Number, Field(gt=-1, le=100, allow_inf_nan=False)]] = Field(
        default_factory=dict)

    @field_validator("betas", "asset_shocks", mode="before")
    @classmethod
    def _upper_keys(cls, value: Any) -> Any:
        return {_symbol(k): v for k, v in value.items()} if isinstance(value, Mapping) else value

    @field_validator("benchmark", mode="before")
    @classmethod
    def _upper_benchmark(cls, value: Any) -> Any:
        return _symbol(value)


class AlertSettings(_Model):
    """The optional ``alerts:`` section read by ``hedgekit monitor``: where alerts go and the
    threshold of each rule (a rule left out is off). Fractions: 0.15 = 15%.

    Attributes:
        notify: apprise URLs (``tgram://...``, ``mailto://...``, ``json://host/``); the
            environment variable ``HEDGEKIT_NOTIFY`` adds more (space or comma separated).
        liquidation_distance: alert when a held leg's liquidation price is closer than this to
            its mark (``|liq - mark| / mark``).
        margin_ratio: alert when maintenance margin / equity of an account (or an isolated
            position) is above this.
        drift: alert when ``|held - target| / |target|`` of a coin's hedge is above this.
        funding_apr_below: alert when a held perpetual's funding, as a yearly rate received
            by the position (paid < 0), is below this.
        basis_apr_below: alert when a held dated future's annualised basis, as earned by the
            position (a short earns contango), is below this.
        stale_after: alert when a price or an account snapshot is older than this (90s, 5m, 1h).
        cooldown: the same alert is not sent again within this.
        sync_failures: alert when an account failed to sync this many times in a row.
        history_days: the monitor deletes this book's ``state_history`` rows older than this
            many days (whole days, default 90); ``null`` or 0 keeps every row. Alerts and the
            order journal are never deleted.
    """

    notify: list[str] = Field(default_factory=list)
    liquidation_distance: Annotated[Number, Field(gt=0, lt=1, allow_inf_nan=False)] | None = None
    margin_ratio: Annotated[Number, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    drift: Annotated[Number, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    funding_apr_below: Annotated[Number, Field(ge=-100, le=100, allow_inf_nan=False)] | None = None
    basis_apr_below: Annotated[Number, Field(ge=-100, le=100, allow_inf_nan=False)] | None = None
    stale_after: float | None = None
    cooldown: float = 3600.0
    sync_failures: Annotated[Whole, Field(ge=1, le=1000)] = 3
    history_days: Annotated[Whole, Field(ge=0, le=36500)] | None = 90

    @field_validator("stale_after", "cooldown", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else duration_seconds("", value)  # named by its location

    @field_validator("notify", mode="before")
    @classmethod
    def _one_url(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class PositionEntry(_Model):
    """One entry of ``positions``: a futures position held where no API is connected.

    ``contracts`` is signed (short < 0) in the venue's contracts; ``entry_price`` is needed for
    inverse contracts (their delta is face / entry), else today's price is assumed.
    """

    venue: str
    symbol: str
    contracts: Annotated[Number, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False)]
    entry_price: Price | None = None
    account: str | None = None

    @model_validator(mode="after")
    def _check(self) -> PositionEntry:
        from hedgekit.venues import get_venue

        get_venue(self.venue)
        if self.contracts == 0:
            raise InputError("contracts", "must not be 0 (short < 0, long > 0)", self.contracts)
        return self


class ExecutionSettings(_Model):
    """The optional ``execution:`` section: how ``hedgekit rebalance`` turns trades into orders.

    Attributes:
        band: trade a leg only when ``|held - target| / |target| > band`` (0 = always).
        order_type: ``limit`` (price = mark -/+ ``max_slippage``) or ``market``.
        max_slippage: fraction of the mark a fill may move against the order.
        timeout_s: an unfilled limit order is cancelled after this (re-planned next run).
        max_order_usd: larger trades are split into child orders of at most this notional.
        max_daily_usd: notional an account may send over 24 hours (from the order journal).
        reduce_only: ``auto`` sends reductions reduce-only; ``off`` never does.
    """

    band: Amount = 0.05
    order_type: Literal["limit", "market"] = "limit"
    max_slippage: Annotated[Number, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.002
    timeout_s: PosAmount = 60.0
    max_order_usd: PosAmount = 250_000.0
    max_daily_usd: PosAmount = 1_000_000.0
    reduce_only: Literal["auto", "off"] = "auto"

    @field_validator("timeout_s", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return value if isinstance(value, (int, float)) else duration_seconds("", value)


class Portfolio(_Model):
    """A validated portfolio file: holdings, offline prices, hedge policy, scenario settings,
    positions already held and how old a price may be."""

    holdings: list[Holding] = Field(min_length=1)
    prices: dict[str, Price] = Field(default_factory=dict)
    hedge: HedgePolicy = Field(default_factory=HedgePolicy)
    scenario: ScenarioSettings = Field(default_factory=ScenarioSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    positions: list[PositionEntry] | None = None
    max_price_age: float | None = None  # seconds; written 15m, 1h, ...
    accounts: tuple[Any, ...] = ()      # hedgekit.accounts.AccountConfig, checked by parse_accounts
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)

    @field_validator("max_price_age", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else duration_seconds("", value)  # named by its location

    @field_validator("prices", mode="before")
    @classmethod
    def _upper_keys(cls, value: Any) -> Any:
        return {_symbol(k): v for k, v in value.items()} if isinstance(value, Mapping) else value

    def assets(self) -> list[str]:
        """Every asset the holdings touch (pool bases and quotes included), in file order."""
        seen: dict[str, None] = {}
        for h in self.holdings:
            seen[h.base] = None
            if h.quote:
                seen[h.quote] = None
        return list(seen)



def parse_portfolio(data: Any) -> Portfolio:
    """Validate a parsed portfolio document (a mapping) into a :class:`Portfolio`.

    Raises :class:`InputError` naming the entry and field, e.g.
    ``holdings[3].amount: must be >= 0 (got -5)``.
    """
    if not isinstance(data, Mapping):
        raise InputError("portfolio", "must be a mapping with a holdings: list", type(data).__name__)
    unknown = set(data) - set(Portfolio.model_fields)
    if unknown:
        raise InputError(min(unknown), "unknown section; expected holdings, prices, hedge, "
                         "scenario, positions, max_price_age, accounts, execution, alerts", show_value=False)
    from hedgekit.accounts.config import parse_accounts

    accounts = parse_accounts(data.get("accounts"))
    holdings = data.get("holdings")
    if not isinstance(holdings, list) or not holdings:
        raise InputError("holdings", "must be a non-empty list of entries", holdings)
    parsed = []
    for i, entry in enumerate(holdings):
        if not isinstance(entry, Mapping):
            raise InputError(f"holdings[{i}]", "must be a mapping like {asset: BTC, amount: 1}", entry)
        try:
            parsed.append(Holding.model_validate(dict(entry)))
        except ValidationError as exc:
            raise from_validation_error(exc, f"holdings[{i}]") from None
    try:
        portfolio = Portfolio.model_validate({**data, "holdings": parsed, "accounts": accounts})
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    return portfolio



def load_portfolio(path: str | Path) -> Portfolio:
    """Read and validate a portfolio YAML file (see :mod:`hedgekit.portfolio` for the format)."""
    return parse_portfolio(read_yaml(path, "PORTFOLIO"))
