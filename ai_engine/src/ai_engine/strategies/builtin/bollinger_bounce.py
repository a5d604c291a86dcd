"""``bollinger_bounce``: seed 002's Bollinger band bounce."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_engine.features import bollinger, rsi
from ai_engine.strategies import reasons as rs
from ai_engine.strategies import rules
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.builtin.risk import AtrRiskParams, enter
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param
from ai_engine.strategies.signals import Component, Draft


@dataclass(frozen=True, kw_only=True)
class BollingerBounceParams(AtrRiskParams):
    period: int = param(20, 2, 500, "Bollinger period (SMA and standard deviation)")
    nbdev: float = param(2.0, 0.5, 5.0, "band width in standard deviations")
    rsi_confirm: bool = param(False, doc="also require RSI(14) < 30 / > 70 (seed 001 1.3)")


class BollingerBounce(Strategy[BollingerBounceParams]):
    """Buy when a bar's low touches the lower band and it closes back inside (above the band);
    close the long when the close comes back up to the middle band. With ``allow_short`` the
    mirror image at the upper band. Optional RSI confirmation (seed 001 section 1.3: "price
    touches lower band + RSI < 30 = BUY"). Stop and take-profit as in seed 002's risk section.

    Plan: seed 002, "Day 1 (Backtesting Framework)": "Bollinger Band Bounce"; bands per
    seed 001 section 1.3 (period 20, 2.0 standard deviations). Score: %B read as mean
    reversion (lower band = a full buy vote, upper band = a full sell vote).
    """

    name = "bollinger_bounce"
    title = "Bollinger band bounce"
    plan = "seed 002 Day 1 'Bollinger Band Bounce'; seed 001 section 1.3"
    params_type = BollingerBounceParams

    def warmup(self, params: BollingerBounceParams) -> int:
        return max(params.period - 1, params.atr_period, 14 if params.rsi_confirm else 0)

    def compute(self, data: MarketInput, params: BollingerBounceParams) -> Draft:
        upper, middle, lower = bollinger(data.close, params.period, params.nbdev)
        percent_b = rules.ratio(data.close - lower, upper - lower)
        draft = Draft(
            n=len(data),
            components=(
                Component(
                    "percent_b",
                    1.0,
                    percent_b,
                    rules.scaled_vote(middle - data.close, (upper - lower) / 2.0),
                    "%B: 0 at the lower band, 1 at the upper band",
                ),
            ),
        )
        close = data.close
        with np.errstate(invalid="ignore"):
            bounce_up = (data.low <= lower) & (close > lower)
            bounce_down = (data.high >= upper) & (close < upper)
            if params.rsi_confirm:
                value = rsi(close, 14)
                bounce_up &= value < 30.0
                bounce_down &= value > 70.0
        back_up = rules.crossed_above(close, middle)
        back_down = rules.crossed_below(close, middle)
        rs.mark(draft.reasons, bounce_up, rs.Reason.BB_LOWER_TOUCH)
        rs.mark(draft.reasons, bounce_down, rs.Reason.BB_UPPER_TOUCH)
        rs.mark(draft.reasons, back_up, rs.Reason.BB_MIDDLE_UP)
        rs.mark(draft.reasons, back_down, rs.Reason.BB_MIDDLE_DOWN)
        draft.exits_long |= back_up
        draft.exits_short |= back_down
        enter(draft, data, params, bounce_up, bounce_down)
        return draft


STRATEGY = BollingerBounce()
