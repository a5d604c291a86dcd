"""Integer codes the numba kernel reads as compile-time constants.

Reason codes are written into ``Trades.entry_reason`` / ``exit_reason`` (their words:
``result.REASONS``). Sizing, slippage and skip codes select branches inside the kernel; the
``P_*`` names index the float parameter vector the engine hands to the kernel.
"""

from __future__ import annotations

# entry reasons
ENTRY_SIGNAL = 1
ENTRY_REVERSAL = 2
# exit reasons
EXIT_SIGNAL = 10
EXIT_REVERSAL = 11
EXIT_STOP = 12
EXIT_TAKE_PROFIT = 13
EXIT_PARTIAL = 14
EXIT_TRAILING = 15
EXIT_BREAKEVEN = 16
EXIT_TIME = 17
EXIT_LIQUIDATION = 18
EXIT_END = 19

# sizing kinds (config.SIZING_KINDS order)
SIZE_ALL_EQUITY = 0
SIZE_FIXED_NOTIONAL = 1
SIZE_EQUITY_PCT = 2
SIZE_RISK_PCT = 3

# slippage kinds (config.SLIPPAGE_KINDS order)
SLIP_NONE = 0
SLIP_FIXED_BPS = 1
SLIP_VOLATILITY = 2
SLIP_VOLUME = 3
SLIP_BOOK = 4

# skipped-entry causes (index into the kernel's skip counters)
SKIP_MAX_POSITIONS = 0
SKIP_NO_CASH = 1
SKIP_SHORT_ON_SPOT = 2
SKIP_NO_STOP = 3
SKIP_NAMES = ("max_positions", "no_cash", "short_on_spot", "no_stop_for_risk_sizing")

# the float parameter vector
P_CASH = 0
P_FEE_MAKER = 1
P_FEE_TAKER = 2
P_LATENCY_MS = 3
P_SIZING_KIND = 4
P_SIZING_VALUE = 5
P_LEVERAGE = 6
P_MMR = 7
P_FUTURES = 8  # 1.0: USD-M perpetual (shorts, funding, liquidation)
P_MAX_POSITIONS = 9
P_WORST = 10  # 1.0: stop before target when both are touched in one bar without finer data
P_CLOSE_AT_END = 11
P_SLIP_KIND = 12
P_SLIP_BPS = 13
P_SLIP_K = 14
P_SLIP_MAX_BPS = 15
P_BOOK_HALF_SPREAD_BPS = 16
P_BOOK_SPACING_BPS = 17
P_BOOK_DEPTH_FRACTION = 18
P_BOOK_LEVELS = 19
P_MAX_HOLD_BARS = 20  # 0: none
P_TRAIL_AFTER_R = 21  # NaN: trail from the entry (as 0)
P_BREAKEVEN_AFTER_R = 22  # NaN: never
P_INTERVAL_MS = 23
P_FINE_INTERVAL_MS = 24  # 0: no finer data
P_STOP_PCT = 25  # NaN: the strategy's stop levels
P_TAKE_PROFIT_PCT = 26  # NaN: the strategy's take-profit levels
P_PRICE_TICK = 27  # 0: no grid (stop_pct / take_profit_pct / trailing levels stay exact)
P_TRAIL_ENTRY_PCT = 28  # NaN: the per-bar trailing distances; else this % of the entry fill
N_PARAMS = 29

# per-symbol state columns (the kernel's float state matrix, one row per symbol)
S_SIDE = 0  # +1 long, -1 short, 0 flat
S_QTY = 1  # remaining quantity
S_QTY0 = 2  # quantity at entry (partial take-profit shares are of this)
S_ENTRY_PX = 3  # entry fill price (after slippage)
S_ENTRY_RAW = 4  # entry market price before slippage (the entry bar's scan starts there)
S_ENTRY_T = 5  # entry fill time, ms
S_ENTRY_BAR = 6  # grid index of the entry bar
S_ENTRY_FINE = 7  # index of the finer bar the entry filled in, -1 if none
S_ENTRY_REASON = 8
S_MARGIN = 9  # margin still locked (spot: the cost of what is held)
S_FEE_LEFT = 10  # entry fee not yet assigned to a closed trade row
S_FUND = 11  # funding paid by the remaining quantity so far
S_STOP = 12  # base stop level (initial, or the entry price after breakeven); NaN none
S_STOP_KIND = 13  # EXIT_STOP or EXIT_BREAKEVEN
S_R = 14  # entry-to-stop distance (1R); NaN when unknown
S_TP = 15  # single take-profit level; NaN none
S_TP_NEXT = 16  # next partial take-profit level to fill
S_TRAIL_ON = 17
S_TRAIL_LVL = 18  # trailing stop level; NaN until set
S_BEST = 19  # best price since entry (high for longs, low for shorts)
S_LIQ = 20  # liquidation trigger price; NaN none
S_HELD = 21  # bars held (closed bars since the entry bar, inclusive)
S_LAST_CLOSE = 22  # last close seen (mark-to-market)
S_PEND_TIME = 23  # when the pending orders reach the market, ms (0: none pending)
S_PEND_EXIT = 24  # exit reason of a pending market exit, 0 none
S_PEND_SIDE = 25  # side of a pending entry, 0 none
S_PEND_REASON = 26
S_PEND_STOP = 27
S_PEND_TP = 28
S_PEND_PRIO = 29  # tie-break priority (signal confidence)
S_PEND_EQUITY = 30  # equity at the decision bar's close (sizing)
N_STATE = 31

# trade row columns: floats and ints
T_ENTRY_PX = 0
T_EXIT_PX = 1
T_QTY = 2
T_ENTRY_FEE = 3
T_EXIT_FEE = 4
T_FUNDING = 5
T_PNL = 6
N_TF = 7
T_SYMBOL = 0
T_SIDE = 1
T_ENTRY_T = 2
T_EXIT_T = 3
T_ENTRY_REASON = 4
T_EXIT_REASON = 5
N_TI = 6

# the kernel's account vector
A_CASH = 0
A_OPEN = 1  # open positions
N_ACCOUNT = 2
