"""``ema_cross``: the reference strategy of the backtesting issue, exact for cross-checks."""

from __future__ import annotations

from dataclasses import dataclass

from ai_engine.features import atr, ema
from ai_engine.strategies import reasons as rs
from ai_engine.strategies import rules
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.gates import GateParams
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param, require
from ai_engine.strategies.signals import Component, Draft


@dataclass(frozen=True, kw_only=True)
class EmaCrossParams(GateParams):
    fee_multiple: float = param(
        0.0, 0.0, 50.0, "fee gate multiple; 0 (default) keeps every crossing, as the reference"
    )
    fast: int = param(12, 2, 1000, "fast EMA period")
    slow: int = param(26, 3, 2000, "slow EMA period")
    expected_move_atr: float = param(3.0, 0.1, 100.0, "expected move in ATRs, for the fee gate")
    shorts: bool = param(False, doc="also short the downward crossing (USD-M); off: long only")

    def __post_init__(self) -> None:
        require(self.fast < self.slow, f"fast ({self.fast}) must be below slow ({self.slow})")


class EmaCross(Strategy[EmaCrossParams]):
    """Long only: buy when EMA(fast) of the close crosses above EMA(slow), sell when it crosses
    below (``shorts``: also short from a downward crossing to the next upward one; USD-M).
    EMAs are TA-Lib's. A crossing is decided at a bar's close; the execution layer buys
    or sells at the next bar's open (issue 6 adds: all equity, taker fee on every fill, a
    position still open after the last bar closed at its close). No stop, no take-profit.

    Plan: the backtesting issue's reference strategy (issue 6, "Reference strategy ema_cross");
    seed 001 section 1.4 (EMA crossovers) and seed 002 ("MA Crossover") are its family.
    Score: the EMA spread in ATRs (one ATR apart = a full vote).
    """

    name = "ema_cross"
    title = "EMA crossover (reference)"
    plan = "issue 6 'Reference strategy ema_cross'; seed 001 section 1.4"
    long_only = True
    params_type = EmaCrossParams

    def warmup(self, params: EmaCrossParams) -> int:
        return max(params.slow - 1, 14)

    def compute(self, data: MarketInput, params: EmaCrossParams) -> Draft:
        fast, slow = ema(data.close, params.fast), ema(data.close, params.slow)
        atr14 = atr(data.high, data.low, data.close, 14)
        spread = rules.scaled_vote(fast - slow, atr14)
        spread_pct = 100.0 * rules.ratio(fast - slow, slow)
        draft = Draft(
            n=len(data),
            components=(
                Component(
                    "ema_spread",
                    1.0,
                    spread_pct,
                    spread,
                    "EMA(fast) - EMA(slow) in % of EMA(slow)",
                ),
            ),
        )
        up, down = rules.crossed_above(fast, slow), rules.crossed_below(fast, slow)
        draft.entries_long |= up
        draft.exits_long |= down
        if params.shorts:  # the mirror image: a short from a downward crossing to the next up
            draft.entries_short |= down
            draft.exits_short |= up
        rules.put(draft.expected_move, up, params.expected_move_atr * atr14 / data.close)
        rs.mark(draft.reasons, up, rs.Reason.EMA_CROSS_UP)
        rs.mark(draft.reasons, down, rs.Reason.EMA_CROSS_DOWN)
        return draft


STRATEGY = EmaCross()
