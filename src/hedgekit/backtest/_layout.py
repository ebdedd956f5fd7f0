"""The backtest kernels' array layout: contract kinds, methods, parameter and output slots.

Plain integers with no numba import, so the object layer (:mod:`hedgekit.backtest.engine`,
:mod:`hedgekit.backtest.result`) and the ahead-of-time build (:mod:`hedgekit.backtest._aot`) can
use them without loading the JIT. :mod:`hedgekit.backtest.kernels` re-exports every name.
Numba freezes these values into its on-disk cache of kernels.py, whose invalidation only watches
that file: after editing a value here, touch kernels.py too.
"""

from __future__ import annotations

# contract kinds (hedgekit.instruments.ContractType)
LINEAR = 0
INVERSE = 1
QUANTO = 2

# hedge-ratio methods (hedgekit.backtest.config.Method)
M_NONE = 0
M_STATIC = 1
M_MINVAR = 2
M_BETA = 3
M_TREND = 4
M_RSI = 5
M_VOL = 6
M_EWMA = 7
M_FUNDING = 8

# float policy parameters
F_RATIO_ON = 0  # static ratio, signal "on" ratio, estimator prior before enough data
F_RATIO_OFF = 1  # signal "off" ratio
F_BAND = 2  # drift band |actual - target| / target (0 = off)
F_LEVERAGE = 3  # isolated margin = notional / leverage
F_THRESHOLD = 4  # RSI level, annualised volatility level or funding APR (on above it)
F_TOPUP = 5  # top up when the liquidation price is within this fraction of the price (0 = off)
F_BARS_PER_YEAR = 6  # annualises the volatility signal
F_MAX_RATIO = 7  # cap on an estimated ratio
F_HALFLIFE = 8  # EWMA half-life in bars
F_THRESHOLD_OFF = 9  # funding: the APR below which the hedge goes to ratio_off
N_PF = 10

# int policy parameters
I_METHOD = 0
I_CALENDAR = 1  # rebalance every k bars (0 = off)
I_WINDOW = 2  # estimator window in returns
I_REESTIMATE = 3  # re-estimate every k bars
I_SIGNAL_N = 4  # lookback of the signal (SMA, RSI or volatility)
I_REEST_CALENDAR = 5  # re-estimate on calendar periods instead of every k bars (REEST_*)
I_MARGIN = 6  # MARGIN_ISOLATED or MARGIN_CROSS
N_PI = 7

# margin modes (I_MARGIN): one wallet per leg, or one pool per settle currency (kernels.run_policy)
MARGIN_ISOLATED = 0
MARGIN_CROSS = 1

# calendar re-estimation (I_REEST_CALENDAR): first bar of each UTC week (Monday) or month
REEST_BARS = 0
REEST_WEEKLY = 1
REEST_MONTHLY = 2

# scalar outputs
S_FUNDING = 0  # USD received (> 0) over the run
S_FEES = 1  # USD paid incl. slippage and roll fees
S_REBALANCES = 2  # asset trades at rebalances
S_LIQUIDATIONS = 3
S_ROLLS = 4
S_ROLL_COST = 5  # USD fees paid at rolls
S_ROLL_BASIS = 6  # sum of (new - old) / old at rolls
S_TOPUPS = 7
S_TOPUP_USD = 8
S_MARGIN_LOST = 9  # USD of margin lost at liquidations
N_SCALARS = 10

# metrics of an equity curve (equity_metrics, sweep_metrics)
MET_TOTAL_RETURN = 0
MET_VOLATILITY = 1  # annualised, sample
MET_MAX_DRAWDOWN = 2  # > 0, fraction of the peak
MET_CVAR_95 = 3  # > 0, mean loss of the worst 5% bar returns
MET_HEDGE_EFFECTIVENESS = 4  # 1 - Var(hedged returns) / Var(unhedged returns)
N_METRICS = 5
