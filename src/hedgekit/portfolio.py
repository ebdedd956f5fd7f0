"""Holdings, the hedge policy and the exposures they imply.

A portfolio file (YAML) has three sections::

    prices:   {BTC: 65000, ETH: 3500}          # optional offline prices in USD
    holdings:                                   # what you own
      - {asset: BTC, amount: 5}
      - {asset: ETH, amount: 100, kind: staked, apy: 0.035, unlock_days: 21}
      - {kind: lp, pool: ETH/USDC, model: constant-product, amount_base: 50, amount_quote: 150000}
      - {asset: USDC, amount: 20000}            # stablecoins are cash
    hedge: {ratio: 1.0, method: notional, venues: [binance-usdm], leverage: 2}

Validation happens here, at the border: every problem becomes one
:class:`~hedgekit.errors.InputError` naming the entry and field,
e.g. ``holdings[3].amount: must be >= 0 (got -5)``.

Exposure is delta, not value. A liquidity position's delta in its base token is the base
amount the pool holds at the current price (Uniswap v2 whitepaper; Uniswap v3 whitepaper
section 6.2.1, equations 6.29-6.30), with ``L`` the pool liquidity and ``Pa < Pb`` the range:

* constant product:  ``x = L / sqrt(P)``, ``y = L * sqrt(P)``
* concentrated, ``Pa <= P <= Pb``: ``x = L (1/sqrt(P) - 1/sqrt(Pb))``, ``y = L (sqrt(P) - sqrt(Pa))``;
  below ``Pa`` all base ``x = L (1/sqrt(Pa) - 1/sqrt(Pb))``; above ``Pb`` all quote
  ``y = L (sqrt(Pb) - sqrt(Pa))``.

The pool value ``V = x P + y`` has ``dV/dP = x``, so the base amount *is* the delta; its
change with price (gamma, i.e. impermanent loss) is what a static futures hedge cannot remove.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hedgekit.errors import InputError

__all__ = [
    "STABLECOINS",
    "Collateral",
    "Exposure",
    "HedgeMethod",
    "HedgePolicy",
    "Holding",
    "HoldingKind",
    "InstrumentChoice",
    "LPModel",
    "LPState",
    "Portfolio",
    "PortfolioExposure",
    "Rounding",
    "ScenarioSettings",
    "compute_exposures",
    "is_cash",
    "load_portfolio",
    "lp_amounts",
    "lp_liquidity_from_amounts",
    "lp_value",
    "parse_portfolio",
    "price_of",
]

#: Symbols valued as cash at 1 USD unless ``prices`` says otherwise (a depeg).
STABLECOINS = frozenset({
    "USD", "USDT", "USDC", "DAI", "BUSD", "TUSD", "USDP", "FDUSD", "PYUSD", "USDE", "FRAX",
    "LUSD", "GUSD", "USDS", "CRVUSD", "GHO", "USDD",
})


class HoldingKind(StrEnum):
    SPOT = "spot"
    STAKED = "staked"
    LENT = "lent"
    LP = "lp"
    CASH = "cash"


class LPModel(StrEnum):
    CONSTANT_PRODUCT = "constant-product"
    CONCENTRATED = "concentrated"


class HedgeMethod(StrEnum):
    NOTIONAL = "notional"
    BETA = "beta"
    MINVAR = "minvar"


class Collateral(StrEnum):
    STABLECOINS = "stablecoins"
    HEDGED_COIN = "hedged-coin"
    COIN = "coin"


class Rounding(StrEnum):
    NEAREST = "nearest"
    DOWN = "down"
    UP = "up"


NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


def _symbol(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# ------------------------------------------------------------------ holdings
class Holding(_Model):
    """One entry of ``holdings``.

    ``spot``/``staked``/``lent``/``cash`` need ``asset`` and ``amount``; ``staked`` and
    ``lent`` may carry ``apy`` (fraction per year, paid in the asset) and ``unlock_days``.
    ``lp`` needs ``pool: BASE/QUOTE``, ``model`` and either ``liquidity`` (L in
    sqrt(base*quote) units) or both ``amount_base`` and ``amount_quote``; a concentrated
    range also needs ``lower`` < ``upper`` (quote per base).
    """

    kind: HoldingKind = HoldingKind.SPOT
    asset: str | None = None
    amount: NonNeg | None = None
    venue: str | None = None
    apy: Annotated[float, Field(ge=-1, allow_inf_nan=False)] = 0.0
    unlock_days: NonNeg = 0.0
    pool: str | None = None
    model: LPModel | None = None
    liquidity: Pos | None = None
    amount_base: NonNeg | None = None
    amount_quote: NonNeg | None = None
    lower: Pos | None = None
    upper: Pos | None = None

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
        if self.kind not in (HoldingKind.STAKED, HoldingKind.LENT):
            for name in ("apy", "unlock_days"):
                if getattr(self, name):
                    raise InputError(name, "only staked or lent holdings take " + name,
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
    contracts: Pos | None = None
    contract_type: Literal["linear", "inverse", "quanto"] | None = None
    contract_size: Pos | None = None
    base: str | None = None
    quote: str | None = None
    settle: str | None = None
    lot_size: Pos = 1.0

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
        method: ``notional`` (hedge ``ratio`` x exposure), ``beta`` or ``minvar`` (hedge
            ``ratio`` x beta x exposure; betas from ``betas`` or estimated from stored history).
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
        benchmark: the market factor used for proxy hedges and scenario shocks.
    """

    ratio: NonNeg = 1.0
    method: HedgeMethod = HedgeMethod.NOTIONAL
    betas: dict[str, Finite] = Field(default_factory=dict)
    proxies: dict[str, str] = Field(default_factory=dict)
    venues: list[str] = Field(default_factory=lambda: ["binance-usdm"], min_length=1)
    contract_type: Literal["linear", "inverse", "quanto"] | None = None
    instruments: dict[str, list[InstrumentChoice]] = Field(default_factory=dict)
    leverage: Pos = 2.0
    margin_mode: Literal["isolated", "cross"] = "isolated"
    collateral: Collateral | None = None
    max_share_per_venue: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    funding_rates: dict[str, Finite] = Field(default_factory=dict)
    default_funding_rate_8h: Finite = 0.0001
    recent_funding_days: Annotated[int, Field(ge=1)] | None = None
    rounding: Rounding = Rounding.NEAREST
    liquidation_warning_pct: Pos = 25.0
    benchmark: str = "BTC"
    lookback_days: Annotated[int, Field(ge=30)] = 365

    @field_validator("betas", "proxies", "funding_rates", "instruments", mode="before")
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
    betas: dict[str, Finite] = Field(default_factory=dict)
    asset_shocks: dict[str, Annotated[float, Field(gt=-1, allow_inf_nan=False)]] = Field(
        default_factory=dict)

    @field_validator("betas", "asset_shocks", mode="before")
    @classmethod
    def _upper_keys(cls, value: Any) -> Any:
        return {_symbol(k): v for k, v in value.items()} if isinstance(value, Mapping) else value

    @field_validator("benchmark", mode="before")
    @classmethod
    def _upper_benchmark(cls, value: Any) -> Any:
        return _symbol(value)


class Portfolio(_Model):
    """A validated portfolio file: holdings, offline prices, hedge policy, scenario settings."""

    holdings: list[Holding] = Field(min_length=1)
    prices: dict[str, Pos] = Field(default_factory=dict)
    hedge: HedgePolicy = Field(default_factory=HedgePolicy)
    scenario: ScenarioSettings = Field(default_factory=ScenarioSettings)

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


# -------------------------------------------------------------- validation
_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "finite_number": "must be a finite number",
    "float_parsing": "must be a finite number",
    "float_type": "must be a finite number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "dict_type": "must be a mapping (key: value)",
    "list_type": "must be a list",
    "model_type": "must be a mapping (key: value)",
    "too_short": "must not be empty",
}


def _loc_name(loc: tuple[Any, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def _from_validation_error(exc: ValidationError, prefix: str = "") -> InputError:
    err = exc.errors(include_url=False)[0]
    loc = _loc_name(tuple(err["loc"]))
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, InputError):  # raised by our own model validators
        field_name = ".".join(p for p in (prefix, loc, inner.field) if p)
        message = str(inner).split(": ", 1)[1] if ": " in str(inner) else str(inner)
        return InputError(field_name, message, show_value=False)
    field_name = ".".join(p for p in (prefix, loc) if p).replace(".[", "[")
    kind = err["type"]
    if kind in ("enum", "literal_error"):
        message = f"must be one of {ctx.get('expected', '')}".replace("'", "")
    elif kind in _MESSAGES:
        message = _MESSAGES[kind].format(**{k: _fmt(v) for k, v in ctx.items()})
    else:
        message = err["msg"][0].lower() + err["msg"][1:]
    if kind == "missing":
        return InputError(field_name, message, show_value=False)
    return InputError(field_name, message, err.get("input"))


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_portfolio(data: Any) -> Portfolio:
    """Validate a parsed portfolio document (a mapping) into a :class:`Portfolio`.

    Raises :class:`InputError` naming the entry and field, e.g.
    ``holdings[3].amount: must be >= 0 (got -5)``.
    """
    if not isinstance(data, Mapping):
        raise InputError("portfolio", "must be a mapping with a holdings: list", type(data).__name__)
    unknown = set(data) - set(Portfolio.model_fields)
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown section; expected holdings, prices, hedge, "
                         "scenario", show_value=False)
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
            raise _from_validation_error(exc, f"holdings[{i}]") from None
    try:
        portfolio = Portfolio.model_validate({**data, "holdings": parsed})
    except ValidationError as exc:
        raise _from_validation_error(exc) from None
    return portfolio


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and validate a portfolio YAML file (see the module docstring for the format)."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("PORTFOLIO", f"cannot read file: {exc.strerror}", str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(p.name, f"invalid YAML at {where}{problem}", show_value=False) from None
    return parse_portfolio(data)


# ------------------------------------------------------------- pool math
def lp_amounts(model: LPModel | str, liquidity: float, price: float,
               lower: float | None = None, upper: float | None = None) -> tuple[float, float]:
    """Base and quote amounts ``(x, y)`` a pool position holds at ``price`` (quote per base).

    See the module docstring for the formulas; ``lower``/``upper`` only for concentrated.
    """
    sp = math.sqrt(price)
    if LPModel(model) is LPModel.CONSTANT_PRODUCT:
        return liquidity / sp, liquidity * sp
    sa, sb = math.sqrt(lower), math.sqrt(upper)  # type: ignore[arg-type]
    if price <= lower:  # type: ignore[operator]
        return liquidity * (1 / sa - 1 / sb), 0.0
    if price >= upper:  # type: ignore[operator]
        return 0.0, liquidity * (sb - sa)
    return liquidity * (1 / sp - 1 / sb), liquidity * (sp - sa)


def lp_value(model: LPModel | str, liquidity: float, price: float,
             lower: float | None = None, upper: float | None = None) -> float:
    """Pool position value in quote units at ``price``: ``x * price + y``."""
    x, y = lp_amounts(model, liquidity, price, lower, upper)
    return x * price + y


def lp_liquidity_from_amounts(model: LPModel | str, amount_base: float, amount_quote: float,
                              lower: float | None = None, upper: float | None = None,
                              price: float | None = None) -> tuple[float, float]:
    """Liquidity ``L`` and the pool price ``P0`` at which ``(amount_base, amount_quote)`` were held.

    Constant product: ``L = sqrt(x*y)``, ``P0 = y/x``; with one amount zero the position is
    taken at ``price``. Concentrated: solve ``y/x = (s - sqrt(Pa)) / (1/s - 1/sqrt(Pb))`` for
    ``s = sqrt(P0)`` (a quadratic ``x s^2 + (y/sqrt(Pb) - x sqrt(Pa)) s - y = 0``), then
    ``L = x / (1/s - 1/sqrt(Pb))``; all base means at or below the range, all quote above.
    """
    x, y = amount_base, amount_quote
    if LPModel(model) is LPModel.CONSTANT_PRODUCT:
        if x > 0 and y > 0:
            return math.sqrt(x * y), y / x
        if price is None:
            raise InputError("amount_quote", "a constant-product position holds both tokens",
                             amount_quote)
        return (x * math.sqrt(price) if x > 0 else y / math.sqrt(price)), price
    sa, sb = math.sqrt(lower), math.sqrt(upper)  # type: ignore[arg-type]
    if y == 0:
        return x / (1 / sa - 1 / sb), lower  # type: ignore[return-value]
    if x == 0:
        return y / (sb - sa), upper  # type: ignore[return-value]
    b = y / sb - x * sa
    s = (-b + math.sqrt(b * b + 4 * x * y)) / (2 * x)
    return x / (1 / s - 1 / sb), s * s


# -------------------------------------------------------------- exposures
@dataclass(frozen=True, kw_only=True, slots=True)
class Exposure:
    """What one asset contributes to the book at the current price.

    ``amount`` is the coins held (pool tokens at the current price included); ``delta_coin``
    is d(book value in USD)/d(asset price in USD), in coins — the quantity a futures hedge
    offsets (equal to ``amount`` for spot, staked, lent and pool positions);
    ``value_usd = amount * price``.
    """

    asset: str
    amount: float
    price: float
    value_usd: float
    delta_coin: float
    is_cash: bool
    locked_amount: float = 0.0
    max_unlock_days: float = 0.0
    lp_amount: float = 0.0
    yield_coin_per_year: float = 0.0
    sources: tuple[int, ...] = ()

    @property
    def delta_usd(self) -> float:
        return self.delta_coin * self.price

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset, "amount": self.amount, "price": self.price,
            "value_usd": self.value_usd, "delta_coin": self.delta_coin,
            "delta_usd": self.delta_usd, "is_cash": self.is_cash,
            "locked_amount": self.locked_amount, "max_unlock_days": self.max_unlock_days,
            "lp_amount": self.lp_amount, "yield_coin_per_year": self.yield_coin_per_year,
            "holdings": list(self.sources),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class LPState:
    """A liquidity position resolved at the current price."""

    index: int
    pool: str
    base: str
    quote: str
    model: LPModel
    liquidity: float
    lower: float | None
    upper: float | None
    price: float          # current pool price, quote per base
    amount_base: float
    amount_quote: float
    entry_price: float | None  # pool price implied by the amounts in the file

    def amounts_at(self, price: float) -> tuple[float, float]:
        return lp_amounts(self.model, self.liquidity, price, self.lower, self.upper)

    def value_at(self, price: float) -> float:
        """Value in quote units at pool price ``price``."""
        return lp_value(self.model, self.liquidity, price, self.lower, self.upper)

    @property
    def in_range(self) -> bool:
        return self.model is LPModel.CONSTANT_PRODUCT or (self.lower < self.price < self.upper)  # type: ignore[operator]

    def gamma_loss(self, move: float) -> float:
        """Quote-unit loss of the position versus a perfect static delta hedge for a relative
        move ``move`` of the pool price: ``V(P(1+m)) - V(P) - x P m`` (<= 0: impermanent loss)."""
        p1 = self.price * (1 + move)
        return self.value_at(p1) - self.value_at(self.price) - self.amount_base * self.price * move

    def to_dict(self) -> dict[str, Any]:
        return {
            "holding": self.index, "pool": self.pool, "model": self.model.value,
            "liquidity": self.liquidity, "lower": self.lower, "upper": self.upper,
            "price": self.price, "amount_base": self.amount_base,
            "amount_quote": self.amount_quote, "entry_price": self.entry_price,
            "in_range": self.in_range,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class PortfolioExposure:
    """Exposures per asset plus what a futures hedge cannot remove."""

    exposures: tuple[Exposure, ...]
    prices: Mapping[str, float]
    pools: tuple[LPState, ...] = ()
    unhedgeable: tuple[str, ...] = ()
    yield_per_year_usd: float = 0.0
    custody: Mapping[str, float] = field(default_factory=dict)  # holding venue -> USD value

    @property
    def total_value_usd(self) -> float:
        return sum(e.value_usd for e in self.exposures)

    @property
    def risky(self) -> tuple[Exposure, ...]:
        """Exposures a hedge acts on: non-cash assets with a non-zero delta."""
        return tuple(e for e in self.exposures if not e.is_cash and e.delta_coin != 0)

    def get(self, asset: str) -> Exposure | None:
        return next((e for e in self.exposures if e.asset == asset), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exposures": [e.to_dict() for e in self.exposures],
            "total_value_usd": self.total_value_usd,
            "pools": [p.to_dict() for p in self.pools],
            "unhedgeable": list(self.unhedgeable),
            "yield_per_year_usd": self.yield_per_year_usd,
            "custody_usd": dict(self.custody),
        }


def is_cash(asset: str) -> bool:
    return asset in STABLECOINS


def price_of(asset: str, prices: Mapping[str, float], where: str) -> float:
    """USD price of ``asset``; stablecoins default to 1. ``where`` names the entry for errors."""
    p = prices.get(asset)
    if p is not None:
        return p
    if is_cash(asset):
        return 1.0
    raise InputError(where, f"no price for {asset}; add it under prices: (e.g. {asset}: 123.4) "
                     "or import history with 'hedgekit data'", show_value=False)


@dataclass(slots=True)
class _Acc:
    amount: float = 0.0
    locked: float = 0.0
    unlock: float = 0.0
    lp: float = 0.0
    yield_coin: float = 0.0
    sources: list[int] = field(default_factory=list)


_IL_MOVE = 0.20  # the move at which impermanent loss is quoted in the notes


def compute_exposures(portfolio: Portfolio, prices: Mapping[str, float] | None = None
                      ) -> PortfolioExposure:
    """Exposures per asset (value in USD, delta in coin) at ``prices`` (default: the file's).

    Pool positions are resolved at the current pool price ``P_base / P_quote``; the amounts in
    the file fix the liquidity ``L`` (see :func:`lp_liquidity_from_amounts`).
    """
    px = dict(portfolio.prices if prices is None else prices)
    acc: dict[str, _Acc] = {}
    pools: list[LPState] = []
    notes: list[str] = []
    custody: dict[str, float] = {}
    yield_usd = 0.0

    def add(asset: str, amount: float, i: int) -> _Acc:
        a = acc.setdefault(asset, _Acc())
        a.amount += amount
        if i not in a.sources:
            a.sources.append(i)
        return a

    for i, h in enumerate(portfolio.holdings):
        if h.kind is HoldingKind.LP:
            pb = price_of(h.base, px, f"holdings[{i}].pool")
            pq = price_of(h.quote, px, f"holdings[{i}].pool")  # type: ignore[arg-type]
            state = _resolve_pool(i, h, pb / pq)
            pools.append(state)
            add(h.base, state.amount_base, i).lp += state.amount_base
            add(h.quote, state.amount_quote, i).lp += state.amount_quote  # type: ignore[arg-type]
            notes.append(_lp_note(state, pq))
            continue
        price = price_of(h.asset, px, f"holdings[{i}].asset")  # type: ignore[arg-type]
        a = add(h.asset, h.amount, i)  # type: ignore[arg-type]
        if h.venue:
            custody[h.venue.lower()] = custody.get(h.venue.lower(), 0.0) + h.amount * price  # type: ignore[operator]
        if h.kind in (HoldingKind.STAKED, HoldingKind.LENT):
            yield_usd += h.amount * price * h.apy  # type: ignore[operator]
            a.yield_coin += h.amount * h.apy  # type: ignore[operator]
            if h.unlock_days > 0:
                a.locked += h.amount  # type: ignore[operator]
                a.unlock = max(a.unlock, h.unlock_days)
                notes.append(
                    f"holdings[{i}]: {h.amount:g} {h.asset} {h.kind.value} with a "
                    f"{h.unlock_days:g}-day unlock: they cannot be sold or posted as margin "
                    "quickly if the hedge needs collateral; the lock itself cannot be hedged")
    exposures = []
    for asset, a in acc.items():
        price = price_of(asset, px, "prices")
        cash = is_cash(asset)
        exposures.append(Exposure(
            asset=asset, amount=a.amount, price=price, value_usd=a.amount * price,
            delta_coin=a.amount, is_cash=cash, locked_amount=a.locked,
            max_unlock_days=a.unlock, lp_amount=a.lp, yield_coin_per_year=a.yield_coin,
            sources=tuple(a.sources)))
    return PortfolioExposure(exposures=tuple(exposures), prices=px, pools=tuple(pools),
                             unhedgeable=tuple(notes), yield_per_year_usd=yield_usd,
                             custody=custody)


def _resolve_pool(i: int, h: Holding, price: float) -> LPState:
    entry = None
    if h.liquidity is not None:
        liquidity = h.liquidity
    else:
        liquidity, entry = lp_liquidity_from_amounts(
            h.model, h.amount_base, h.amount_quote, h.lower, h.upper, price)  # type: ignore[arg-type]
    x, y = lp_amounts(h.model, liquidity, price, h.lower, h.upper)  # type: ignore[arg-type]
    return LPState(index=i, pool=h.pool, base=h.base, quote=h.quote, model=h.model,  # type: ignore[arg-type]
                   liquidity=liquidity, lower=h.lower, upper=h.upper, price=price,
                   amount_base=x, amount_quote=y, entry_price=entry)


def _lp_note(s: LPState, quote_usd: float) -> str:
    down = s.gamma_loss(-_IL_MOVE) * quote_usd
    up = s.gamma_loss(_IL_MOVE) * quote_usd
    where = "" if s.in_range else " (out of range: no gamma until the price re-enters it)"
    text = (f"holdings[{s.index}]: {s.pool} LP delta is {s.amount_base:.6g} {s.base} now and "
            f"changes with price (gamma){where}; a static futures hedge leaves impermanent loss "
            f"of {down:,.0f} USD at -20% and {up:,.0f} USD at +20% of {s.base}/{s.quote}")
    if s.entry_price is not None and abs(s.entry_price / s.price - 1) > 0.005:
        text += (f"; the file's amounts imply a pool price of {s.entry_price:,.6g}, so they were "
                 f"re-balanced to the current {s.price:,.6g}")
    return text
