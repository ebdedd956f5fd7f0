"""Funding payments and carry of perpetuals; basis and roll cost of dated futures.

A positive funding rate means longs pay shorts on every venue hedgekit covers
(e.g. BitMEX: https://www.bitmex.com/app/perpetualContractsGuideExamples; Deribit:
https://support.deribit.com/hc/en-us/articles/31424939178397-Funding-Specifications). Amounts are in the
instrument's settle currency and signed from the position's point of view (> 0 = received):

- linear: ``-s * q * P_ref * rate``      (quote, USDT/USDC)
- inverse: ``-s * N / P_ref * rate``     (coin)
- quanto: ``-s * n * M * P_ref * rate``  (settle coin)

``P_ref`` is the venue's reference price: the mark on CEXs, the oracle price on Hyperliquid and
dYdX (:attr:`hedgekit.venues.VenuePreset.reference_price`).
"""

from __future__ import annotations

from hedgekit.errors import InputError, check_finite, check_nonnegative, check_positive
from hedgekit.instruments import Instrument, Side

__all__ = [
    "annualize_rate",
    "annualized_basis",
    "basis",
    "basis_pct",
    "funding_carry",
    "funding_payment",
    "roll_cost",
]

HOURS_PER_YEAR = 24.0 * 365.0


def funding_payment(instrument: Instrument, side: Side | str, contracts: float, ref_price: float,
                    rate: float) -> float:
    """Funding received for one settlement, in the settle currency (> 0 = received).

    Example (Binance COIN-M: amount = multiplier*contracts/mark*rate, as quoted at
    https://docs.traderwagon.com/faq/futures-trading-introduction/funding-fee): a short of
    100 BTCUSD_PERP (100 USD each) at mark 25,000 with rate 0.01% receives 0.4*0.0001 = 0.00004 BTC.
    """
    check_positive("contracts", contracts)
    check_positive("ref_price", ref_price)
    check_finite("rate", rate)
    return instrument.funding(side, contracts, ref_price, rate)


def annualize_rate(rate: float, interval_hours: float) -> float:
    """Simple (non-compounded) annual rate of a per-interval funding rate: ``rate * 8760/h``.

    Use the venue's interval: 0.01% per 8h is 10.95% a year; per 1h it is 87.6%.
    """
    check_finite("rate", rate)
    check_positive("interval_hours", interval_hours)
    return rate * HOURS_PER_YEAR / interval_hours


def funding_carry(instrument: Instrument, side: Side | str, contracts: float, ref_price: float,
                  rate: float, *, days: float, interval_hours: float | None = None,
                  ) -> tuple[float, float]:
    """Projected funding ``(per_day, total)`` in the settle currency at a constant rate and price.

    ``per_day = funding_payment(...) * 24/interval_hours``; ``total = per_day * days``. The
    interval defaults to the instrument's ``funding_interval_hours``. Inverse amounts are coin:
    their USD value moves with the coin. A position of 0 contracts (a leg that rounded to
    nothing) carries nothing: ``(0.0, 0.0)``.
    """
    check_nonnegative("days", days)
    check_nonnegative("contracts", contracts)
    if interval_hours is None:
        interval_hours = instrument.funding_interval_hours
    if not interval_hours:
        raise InputError("interval_hours", "needs the funding interval of a perpetual", interval_hours)
    check_positive("interval_hours", interval_hours)
    if contracts == 0:
        check_positive("ref_price", ref_price)
        check_finite("rate", rate)
        return 0.0, 0.0
    per_day = funding_payment(instrument, side, contracts, ref_price, rate) * 24.0 / interval_hours
    return per_day, per_day * days


def basis(future: float, spot: float) -> float:
    """Futures basis in price units: ``future - spot`` (> 0 = contango)."""
    return check_positive("future", future) - check_positive("spot", spot)


def basis_pct(future: float, spot: float) -> float:
    """Basis as a fraction of spot: ``(future - spot) / spot``."""
    return basis(future, spot) / spot


def annualized_basis(future: float, spot: float, days_to_expiry: float) -> float:
    """Simple annualised basis: ``(future/spot - 1) * 365/days_to_expiry``.

    The yield a short-future/long-spot hedger locks in if held to expiry (convergence).
    """
    check_positive("days_to_expiry", days_to_expiry)
    return basis_pct(future, spot) * 365.0 / days_to_expiry


def roll_cost(side: Side | str, near_price: float, far_price: float, *, fee_rate: float = 0.0) -> float:
    """Cost of rolling a dated position from the near to the far contract, as a fraction of notional.

    Closing the near leg and reopening the far leg changes the entry by ``far - near``: a long
    pays the calendar spread in contango, a short earns it. ``cost = s*(far - near)/near +
    2*fee_rate`` (> 0 = cost); ``fee_rate`` is charged on each of the two legs.
    """
    s = Side(side).sign
    check_positive("near_price", near_price)
    check_positive("far_price", far_price)
    check_nonnegative("fee_rate", fee_rate)
    return s * (far_price - near_price) / near_price + 2.0 * fee_rate
