"""The built-in strategies, each citing the plan (seed and section) it follows."""

from __future__ import annotations

from typing import Any

from ai_engine.strategies.base import Strategy
from ai_engine.strategies.builtin import (
    bollinger_bounce,
    composite_score,
    ema_cross,
    ma_crossover,
    ml_lightgbm,
    orderflow_breakout,
    rsi_mean_reversion,
    trinity_scalper,
)

BUILTINS: tuple[Strategy[Any], ...] = (
    ema_cross.STRATEGY,
    ma_crossover.STRATEGY,
    rsi_mean_reversion.STRATEGY,
    bollinger_bounce.STRATEGY,
    composite_score.STRATEGY,
    trinity_scalper.STRATEGY,
    orderflow_breakout.STRATEGY,
    ml_lightgbm.STRATEGY,
)
