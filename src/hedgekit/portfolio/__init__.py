"""Holdings, the hedge policy and the exposures they imply.

A portfolio file (YAML) has three sections::

    prices:   {BTC: 65000, ETH: 3500}          # optional offline prices in USD
    holdings:                                   # what you own
      - {asset: BTC, amount: 5}
      - {asset: ETH, amount: 100, kind: staked, apy: 0.035, unlock_days: 21}
      - {kind: lp, pool: ETH/USDC, model: constant-product, amount_base: 50, amount_quote: 150000}
      - {asset: USDC, amount: 20000}            # stablecoins are cash
    hedge: {ratio: 1.0, method: notional, venues: [binance-usdm], leverage: 2}

The parts, each in its own module:

* :mod:`~hedgekit.portfolio.schema`: the pydantic models and :func:`load_portfolio` /
  :func:`parse_portfolio` (validation at the border: ``holdings[3].amount: must be >= 0 (got -5)``);
* :mod:`~hedgekit.portfolio.pools`: liquidity-pool math (Uniswap v2/v3 amounts, value, liquidity
  from amounts, a pool position resolved at a price);
* :mod:`~hedgekit.portfolio.exposure`: :func:`compute_exposures`, the delta per asset at the
  current prices and what a futures hedge cannot remove.
"""

from __future__ import annotations

from hedgekit.portfolio.exposure import (
    STABLECOINS,
    Exposure,
    PortfolioExposure,
    compute_exposures,
    is_cash,
    price_of,
)
from hedgekit.portfolio.pools import (
    LPState,
    lp_amounts,
    lp_liquidity_from_amounts,
    lp_value,
)
from hedgekit.portfolio.schema import (
    Collateral,
    HedgeMethod,
    HedgePolicy,
    Holding,
    HoldingKind,
    InstrumentChoice,
    LPModel,
    Portfolio,
    PositionEntry,
    Rounding,
    ScenarioSettings,
    load_portfolio,
    parse_portfolio,
)

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
    "PositionEntry",
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
