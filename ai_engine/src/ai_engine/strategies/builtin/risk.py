"""Stops, take-profits and expected moves shared by the built-ins that size risk in ATRs.

Seed 002 ("TradingBot V2", section 5 Risk Management): a single trade may lose at most 3 %,
stops follow volatility (ATR), and the reward-to-risk ratio is at least 1:2. So: the stop sits
``stop_atr`` ATRs from the close (capped at ``max_loss_pct`` %), the take-profit
``reward_risk`` times that distance on the other side, and the expected move the fee gate
checks is the distance to the take-profit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_engine.features import atr
from ai_engine.strategies import reasons as rs
from ai_engine.strategies import rules
from ai_engine.strategies.gates import GateParams
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param
from ai_engine.strategies.signals import Bool, Draft


@dataclass(frozen=True, kw_only=True)
class AtrRiskParams(GateParams):
    allow_short: bool = param(False, doc="also open shorts (seed 002 starts on spot: off)")
    atr_period: int = param(14, 2, 500, "ATR period for the stop distance")
    stop_atr: float = param(2.0, 0.1, 50.0, "stop distance in ATRs")
    max_loss_pct: float = param(3.0, 0.01, 50.0, "stop never further than this % (seed 002: 3)")
    reward_risk: float = param(2.0, 0.1, 20.0, "take-profit distance over stop distance")


def enter(
    draft: Draft,
    data: MarketInput,
    params: AtrRiskParams,
    longs: Bool,
    shorts: Bool,
) -> None:
    """Record long (and, if allowed, short) entries with ATR stops and R-multiple targets."""
    close = data.close
    distance = rules.stop_distance(
        close,
        atr(data.high, data.low, close, params.atr_period),
        params.stop_atr,
        params.max_loss_pct,
    )
    longs = longs & np.isfinite(distance)
    shorts = shorts & np.isfinite(distance)
    if not params.allow_short:
        rs.mark(draft.reasons, shorts, rs.Reason.SHORT_DISABLED)
        shorts = np.zeros(len(close), dtype=bool)
    for side, where in ((1, longs), (-1, shorts)):
        stop, target = (rules.long_levels if side > 0 else rules.short_levels)(
            close, distance, params.reward_risk
        )
        rules.put(draft.stop, where, stop)
        rules.put(draft.take_profit, where, target)
    draft.entries_long |= longs
    draft.entries_short |= shorts
    move = params.reward_risk * distance / close
    rules.put(draft.expected_move, longs | shorts, move)
