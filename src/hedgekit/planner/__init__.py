"""The hedge planner: a pure function from a book and a market snapshot to a plan.

| module | owns |
|---|---|
| ``core`` | :func:`plan`, the order of the steps |
| ``needs`` | :func:`market_needs`: what the snapshot must hold for a book |
| ``selection`` | which futures can hedge an asset (own, hand-picked, proxy) |
| ``sizing`` | beta, funding rate, whole-contract rounding alternatives |
| ``allocation`` | splitting a hedge across venues under ``max_share_per_venue`` |
| ``legs`` | pricing one leg: margin, liquidation, funding carry, fees; merged positions |
| ``warnings`` | the coded warnings of a finished plan |
| ``trades`` | target minus held: ``current_contracts``, ``trade_contracts``, the trades |
| ``result`` | :class:`HedgePlan`, :class:`HedgeLeg`, :class:`PlanWarning`, :class:`RoundingOption` |
"""

from hedgekit.planner.core import file_snapshot, plan
from hedgekit.planner.legs import margin_spec
from hedgekit.planner.needs import market_needs
from hedgekit.planner.result import HedgeLeg, HedgePlan, PlanWarning, RoundingOption
from hedgekit.planner.trades import HeldPosition, Trade, held_from_book, with_trades

__all__ = ["HedgeLeg", "HedgePlan", "HeldPosition", "PlanWarning", "RoundingOption", "Trade",
           "file_snapshot", "held_from_book", "margin_spec", "market_needs", "plan", "with_trades"]
