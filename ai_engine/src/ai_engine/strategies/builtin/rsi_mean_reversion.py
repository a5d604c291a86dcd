"""``rsi_mean_reversion``: seed 002's RSI 30/70 mean reversion."""

from __future__ import annotations

from dataclasses import dataclass

from ai_engine.features import rsi
from ai_engine.strategies import reasons as rs
from ai_engine.strategies import rules
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.builtin.risk import AtrRiskParams, enter
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param, require
from ai_engine.strategies.signals import Component, Draft


@dataclass(frozen=True, kw_only=True)
class RsiMeanReversionParams(AtrRiskParams):
    period: int = param(14, 2, 500, "RSI period")
    oversold: float = param(30.0, 1.0, 49.0, "oversold level")
    overbought: float = param(70.0, 51.0, 99.0, "overbought level")

    def __post_init__(self) -> None:
        require(
            self.oversold < self.overbought,
            f"oversold ({self.oversold}) must be below overbought ({self.overbought})",
        )


class RsiMeanReversion(Strategy[RsiMeanReversionParams]):
    """Buy when RSI rises back above ``oversold`` (the dip is over); close the long when RSI
    reaches ``overbought``. With ``allow_short``: sell when RSI falls back below
    ``overbought``, cover when it reaches ``oversold``. Stop and take-profit as in seed 002's
    risk section (ATR stop, at most 3 %, 1:2 reward-to-risk).

    Plan: seed 002, "Day 1 (Backtesting Framework)": "RSI Mean Reversion (30/70)".
    Score: the RSI's distance from 50 read as mean reversion (RSI 30 = a full buy vote,
    RSI 70 = a full sell vote).
    """

    name = "rsi_mean_reversion"
    title = "RSI 30/70 mean reversion"
    plan = "seed 002 Day 1 'RSI Mean Reversion (30/70)'; risk: seed 002 section 5"
    params_type = RsiMeanReversionParams

    def warmup(self, params: RsiMeanReversionParams) -> int:
        return max(params.period, params.atr_period)

    def compute(self, data: MarketInput, params: RsiMeanReversionParams) -> Draft:
        value = rsi(data.close, params.period)
        half_band = (params.overbought - params.oversold) / 2.0
        middle = (params.overbought + params.oversold) / 2.0
        draft = Draft(
            n=len(data),
            components=(
                Component(
                    "rsi",
                    1.0,
                    value,
                    rules.clip_vote((middle - value) / half_band),
                    f"RSI({params.period})",
                ),
            ),
        )
        left_oversold = rules.crossed_above_level(value, params.oversold)
        left_overbought = rules.crossed_below_level(value, params.overbought)
        reached_overbought = rules.crossed_above_level(value, params.overbought)
        reached_oversold = rules.crossed_below_level(value, params.oversold)
        rs.mark(draft.reasons, left_oversold, rs.Reason.RSI_LEFT_OVERSOLD)
        rs.mark(draft.reasons, left_overbought, rs.Reason.RSI_LEFT_OVERBOUGHT)
        rs.mark(draft.reasons, reached_overbought, rs.Reason.RSI_REACHED_OVERBOUGHT)
        rs.mark(draft.reasons, reached_oversold, rs.Reason.RSI_REACHED_OVERSOLD)
        draft.exits_long |= reached_overbought
        draft.exits_short |= reached_oversold
        enter(draft, data, params, left_oversold, left_overbought)
        return draft


STRATEGY = RsiMeanReversion()
