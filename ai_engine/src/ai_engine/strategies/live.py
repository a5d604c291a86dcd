"""Live evaluation: the signal of the last closed bar, from a rolling window of recent bars.

``latest`` runs the strategy's ordinary ``run`` on the last ``strategy.lookback(params)`` bars
and reads the last one: the same code as a backtest over the full history. Indicators that
depend on the whole history (EMA, RSI, ATR: recursive, with geometrically fading weight) start
afresh at the window's first bar; the window is at least ten warm-ups long so that difference
has faded far below the thresholds the rules compare with (a test checks that the last bar's
action and levels agree with a full-history run on real data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ai_engine.domain.errors import DomainValueError
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.signals import Action, Signals

NOTHING_FIRED = "no entry or exit rule fired on this bar"


@dataclass(frozen=True)
class ComponentReading:
    name: str
    value: float | None
    weight: float
    vote: float | None


@dataclass(frozen=True)
class Reading:
    """One bar's signal, as the API serves it (None where a value is NaN)."""

    open_time_ms: int
    close_time_ms: int  # when the signal was decided (the bar's close, exclusive end)
    action: Action
    score: float | None
    confidence: float | None
    price: float
    stop: float | None
    take_profit: float | None
    components: tuple[ComponentReading, ...]
    reasons: tuple[str, ...]


def latest(
    strategy: Strategy[Any], data: MarketInput, params: Mapping[str, object] | Any = None
) -> Reading:
    """The signal of ``data``'s last bar, computed on the rolling window (module docstring)."""
    if len(data) == 0:
        raise DomainValueError("no closed bars to evaluate")
    chosen = params if isinstance(params, strategy.params_type) else strategy.params(params)
    window = data.take(slice(max(0, len(data) - strategy.lookback(chosen)), None))
    return reading(strategy.run(window, chosen), window, len(window) - 1)


def reading(signals: Signals, data: MarketInput, i: int) -> Reading:
    """Bar ``i`` of ``signals`` (computed on ``data``) as a ``Reading``."""
    words = signals.reasons_at(i) or [NOTHING_FIRED]
    return Reading(
        open_time_ms=int(data.open_time[i]),
        close_time_ms=int(data.close_time[i]),
        action=signals.action_at(i),
        score=_num(signals.score[i]),
        confidence=_num(signals.confidence[i]),
        price=float(data.close[i]),
        stop=_num(signals.stop[i]),
        take_profit=_num(signals.take_profit[i]),
        components=tuple(
            ComponentReading(c.name, _num(c.value[i]), c.weight, _num(c.vote[i]))
            for c in signals.components
        ),
        reasons=tuple(words),
    )


def _num(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None
