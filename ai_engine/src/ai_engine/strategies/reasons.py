"""Why a bar got its signal: compact codes per bar (one bit each), mapped to plain words.

A strategy sets bits in a uint64 array (``mark``); ``describe`` turns a bar's mask into
sentences. The codes are shared by every strategy so a JSON export can carry one code table.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
Bool = npt.NDArray[np.bool_]


class Reason(IntEnum):
    """Bit positions; ``TEXT`` holds the words."""

    WARMUP = 0
    FEE_GATE = 1
    EMA_CROSS_UP = 2
    EMA_CROSS_DOWN = 3
    MA_CROSS_UP = 4
    MA_CROSS_DOWN = 5
    RSI_LEFT_OVERSOLD = 6
    RSI_LEFT_OVERBOUGHT = 7
    RSI_REACHED_OVERBOUGHT = 8
    RSI_REACHED_OVERSOLD = 9
    BB_LOWER_TOUCH = 10
    BB_UPPER_TOUCH = 11
    BB_MIDDLE_UP = 12
    BB_MIDDLE_DOWN = 13
    SCORE_BUY = 14
    SCORE_SELL = 15
    SCORE_FADED_LONG = 16
    SCORE_FADED_SHORT = 17
    CONFLUENCE_GATE = 18
    VOLUME_GATE = 19
    SPREAD_GATE = 20
    SPREAD_UNKNOWN = 21
    RSI_EXTREME_LOW = 22
    RSI_EXTREME_HIGH = 23
    SPIKE_UP = 24
    SPIKE_DOWN = 25
    VOLUME_SURGE = 26
    FLOW_SURGE_BUY = 27
    FLOW_SURGE_SELL = 28
    BREAKOUT_UP = 29
    BREAKOUT_DOWN = 30
    HTF_UP = 31
    HTF_DOWN = 32
    CONSOLIDATION = 33
    NO_ORDER_FLOW = 34
    FUNDING_BLOCK = 35
    REGIME_RANGE = 36
    MOMENTUM_LOST_LONG = 37
    MOMENTUM_LOST_SHORT = 38
    SHORT_DISABLED = 39
    STACK_INCOMPLETE = 40
    CONFLICT = 41
    MODEL_ENTER = 42
    MODEL_EXIT = 43
    MODEL_UNAVAILABLE = 44


TEXT: dict[Reason, str] = {
    Reason.WARMUP: "not enough history yet for the indicators",
    Reason.FEE_GATE: "entry blocked: the expected move does not cover the round-trip fees "
    "by the required multiple",
    Reason.EMA_CROSS_UP: "fast EMA crossed above the slow EMA",
    Reason.EMA_CROSS_DOWN: "fast EMA crossed below the slow EMA",
    Reason.MA_CROSS_UP: "fast moving average crossed above the slow one",
    Reason.MA_CROSS_DOWN: "fast moving average crossed below the slow one",
    Reason.RSI_LEFT_OVERSOLD: "RSI rose back above the oversold level",
    Reason.RSI_LEFT_OVERBOUGHT: "RSI fell back below the overbought level",
    Reason.RSI_REACHED_OVERBOUGHT: "RSI reached the overbought level",
    Reason.RSI_REACHED_OVERSOLD: "RSI reached the oversold level",
    Reason.BB_LOWER_TOUCH: "price touched the lower Bollinger band",
    Reason.BB_UPPER_TOUCH: "price touched the upper Bollinger band",
    Reason.BB_MIDDLE_UP: "price came back up to the middle band",
    Reason.BB_MIDDLE_DOWN: "price came back down to the middle band",
    Reason.SCORE_BUY: "composite score at or above the buy threshold",
    Reason.SCORE_SELL: "composite score at or below the sell threshold",
    Reason.SCORE_FADED_LONG: "score is below the level needed to stay long: exit a long",
    Reason.SCORE_FADED_SHORT: "score is above the level needed to stay short: exit a short",
    Reason.CONFLUENCE_GATE: "entry blocked: fewer indicators agree than required",
    Reason.VOLUME_GATE: "entry blocked: volume is not far enough above its average",
    Reason.SPREAD_GATE: "entry blocked: the spread is wider than allowed",
    Reason.SPREAD_UNKNOWN: "spread unknown for these bars (no book data): spread gate not applied",
    Reason.RSI_EXTREME_LOW: "RSI reversal: RSI turned up from an extreme low",
    Reason.RSI_EXTREME_HIGH: "RSI reversal: RSI turned down from an extreme high",
    Reason.SPIKE_UP: "momentum spike up: the move over the last bars exceeds the threshold",
    Reason.SPIKE_DOWN: "momentum spike down: the move over the last bars exceeds the threshold",
    Reason.VOLUME_SURGE: "volume surge: volume far above its recent average",
    Reason.FLOW_SURGE_BUY: "net taker buying far above its recent average",
    Reason.FLOW_SURGE_SELL: "net taker selling far above its recent average",
    Reason.BREAKOUT_UP: "close broke above the recent high (resistance)",
    Reason.BREAKOUT_DOWN: "close broke below the recent low (support)",
    Reason.HTF_UP: "higher-timeframe momentum is up, in line with this timeframe",
    Reason.HTF_DOWN: "higher-timeframe momentum is down, in line with this timeframe",
    Reason.CONSOLIDATION: "breakout came out of a tight consolidation (pullback complete)",
    Reason.NO_ORDER_FLOW: "no taker-buy volume in this data: order-flow rules cannot fire",
    Reason.FUNDING_BLOCK: "entry blocked: funding rate is extreme against this direction",
    Reason.REGIME_RANGE: "market is ranging, not trending: breakout entries are off",
    Reason.MOMENTUM_LOST_LONG: "momentum turned down: exit long",
    Reason.MOMENTUM_LOST_SHORT: "momentum turned up: exit short",
    Reason.SHORT_DISABLED: "short entries are disabled for this strategy (allow_short=false)",
    Reason.STACK_INCOMPLETE: "entry blocked: not every condition of the entry stack holds",
    Reason.CONFLICT: "buy and sell signals on the same bar cancel each other",
    Reason.MODEL_ENTER: "model probability of an up move at or above the entry threshold",
    Reason.MODEL_EXIT: "model probability of an up move at or below the exit threshold: exit long",
    Reason.MODEL_UNAVAILABLE: "no model probability for this bar (no model served, or its "
    "features are undefined)",
}


def empty(n: int) -> U64:
    return np.zeros(n, dtype=np.uint64)


def mark(mask: U64, where: Bool, reason: Reason) -> None:
    """Set ``reason`` on the bars where ``where`` is True (in place)."""
    mask[where] |= np.uint64(1 << int(reason))


def has(mask: U64, reason: Reason) -> Bool:
    """Bars whose mask carries ``reason``."""
    return np.asarray((mask & np.uint64(1 << int(reason))) != 0)


def codes(bits: int) -> list[Reason]:
    """The reasons set in one bar's mask, in code order."""
    return [reason for reason in Reason if bits >> int(reason) & 1]


def describe(bits: int) -> list[str]:
    """Plain words for one bar's mask."""
    return [TEXT[reason] for reason in codes(bits)]


def code_table() -> dict[str, str]:
    """``{"0": "not enough history ...", ...}``: what a JSON export carries once."""
    return {str(int(reason)): TEXT[reason] for reason in Reason}
