"""Liquidity-pool math: the base and quote amounts a pool position holds at a price, its value,
the liquidity implied by amounts, and a position resolved at the current price (:class:`LPState`).

A position's delta in its base token is the base amount the pool holds at the current price
(Uniswap v2 whitepaper; Uniswap v3 whitepaper section 6.2.1, equations 6.29-6.30), with ``L``
the pool liquidity and ``Pa < Pb`` the range:

* constant product:  ``x = L / sqrt(P)``, ``y = L * sqrt(P)``
* concentrated, ``Pa <= P <= Pb``: ``x = L (1/sqrt(P) - 1/sqrt(Pb))``, ``y = L (sqrt(P) - sqrt(Pa))``;
  below ``Pa`` all base ``x = L (1/sqrt(Pa) - 1/sqrt(Pb))``; above ``Pb`` all quote
  ``y = L (sqrt(Pb) - sqrt(Pa))``.

The pool value ``V = x P + y`` has ``dV/dP = x``, so the base amount *is* the delta; its
change with price (gamma, i.e. impermanent loss) is what a static futures hedge cannot remove.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hedgekit.errors import InputError
from hedgekit.portfolio.schema import Holding, LPModel

__all__ = ["LPState", "lp_amounts", "lp_liquidity_from_amounts", "lp_value", "resolve_pool"]


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



def resolve_pool(i: int, h: Holding, price: float) -> LPState:
    """Holding ``i`` (an LP) at pool price ``price``: its liquidity is given or implied by the
    file's amounts (see :func:`lp_liquidity_from_amounts`)."""
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

