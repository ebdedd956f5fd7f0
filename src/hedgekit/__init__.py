"""hedgekit: protect crypto portfolios with futures hedges.

The public API is re-exported here lazily, so ``import hedgekit`` stays fast and heavy
dependencies (pandas, numba) load only when a feature that needs them is used.
"""

from __future__ import annotations

from hedgekit._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AssetSpec": "hedgekit.backtest",
    "BacktestConfig": "hedgekit.backtest",
    "BacktestResult": "hedgekit.backtest",
    "ContractType": "hedgekit.instruments",
    "DataError": "hedgekit.errors",
    "EWMARatio": "hedgekit.estimators",
    "Exposure": "hedgekit.portfolio",
    "HedgeLeg": "hedgekit.planner",
    "HedgePlan": "hedgekit.planner",
    "HedgePolicy": "hedgekit.portfolio",
    "HedgekitError": "hedgekit.errors",
    "Holding": "hedgekit.portfolio",
    "InputError": "hedgekit.errors",
    "Instrument": "hedgekit.instruments",
    "LiquidationConvention": "hedgekit.margin",
    "LiquidationResult": "hedgekit.margin",
    "MarginMode": "hedgekit.instruments",
    "MarginTier": "hedgekit.margin",
    "MarketSnapshot": "hedgekit.market",
    "MinVarianceRatio": "hedgekit.estimators",
    "OLSBeta": "hedgekit.estimators",
    "PlanWarning": "hedgekit.planner",
    "Policy": "hedgekit.backtest",
    "Portfolio": "hedgekit.portfolio",
    "PortfolioExposure": "hedgekit.portfolio",
    "ScenarioResult": "hedgekit.scenarios",
    "Side": "hedgekit.instruments",
    "Store": "hedgekit.data",
    "VenuePreset": "hedgekit.venues",
    "analyze_pairs": "hedgekit.estimators",
    "annualize_rate": "hedgekit.funding",
    "annualized_basis": "hedgekit.funding",
    "average_entry": "hedgekit.instruments",
    "basis": "hedgekit.funding",
    "basis_pct": "hedgekit.funding",
    "build_tiers": "hedgekit.margin",
    "check_quality": "hedgekit.data",
    "compute_exposures": "hedgekit.portfolio",
    "continuous_future": "hedgekit.data",
    "funding_carry": "hedgekit.funding",
    "funding_payment": "hedgekit.funding",
    "get_venue": "hedgekit.venues",
    "hedge_effectiveness": "hedgekit.estimators",
    "import_path": "hedgekit.data",
    "initial_margin": "hedgekit.margin",
    "liquidation_price": "hedgekit.margin",
    "load_funding": "hedgekit.data",
    "load_ohlc": "hedgekit.data",
    "load_portfolio": "hedgekit.portfolio",
    "load_prices": "hedgekit.data",
    "maintenance_margin": "hedgekit.margin",
    "market_needs": "hedgekit.planner",
    "parse_portfolio": "hedgekit.portfolio",
    "plan": "hedgekit.planner",
    "portfolio_beta": "hedgekit.estimators",
    "rank_proxies": "hedgekit.estimators",
    "roll_cost": "hedgekit.funding",
    "rolling_ratio": "hedgekit.estimators",
    "run_backtest": "hedgekit.backtest",
    "run_config": "hedgekit.backtest",
    "run_scenarios": "hedgekit.scenarios",
    "snapshot_for": "hedgekit.market",
    "sweep": "hedgekit.backtest",
    "tier_for": "hedgekit.margin",
    "to_returns": "hedgekit.estimators",
    "venue_names": "hedgekit.venues",
    "walk_forward": "hedgekit.estimators",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
