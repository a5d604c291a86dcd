"""``ma_crossover``: seed 002's SMA 20/50 crossover."""

from __future__ import annotations

from dataclasses import dataclass

from ai_engine.features import atr, sma
from ai_engine.strategies import reasons as rs
from ai_engine.strategies import rules
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.builtin.risk import AtrRiskParams, enter
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param, require
from ai_engine.strategies.signals import Component, Draft


@dataclass(frozen=True, kw_only=True)
class MaCrossoverParams(AtrRiskParams):
    fast: int = param(20, 2, 1000, "fast SMA period")
    slow: int = param(50, 3, 2000, "slow SMA period")

    def __post_init__(self) -> None:
        require(self.fast < self.slow, f"fast ({self.fast}) must be below slow ({self.slow})")


class MaCrossover(Strategy[MaCrossoverParams]):
    """Buy when SMA(fast) crosses above SMA(slow); close the long when it crosses back below.
    With ``allow_short`` the mirror image opens shorts. Stop ``stop_atr`` ATRs away (at most
    ``max_loss_pct`` %), take-profit at ``reward_risk`` times the stop distance.

    Plan: seed 002, "Day 1 (Backtesting Framework)": "MA Crossover (SMA 20/50)"; risk from
    seed 002 section 5. Score: the SMA spread in ATRs (one ATR apart = a full vote).
    """

    name = "ma_crossover"
    title = "SMA 20/50 crossover"
    plan = "seed 002 Day 1 'MA Crossover (SMA 20/50)'; risk: seed 002 section 5"
    params_type = MaCrossoverParams

    def warmup(self, params: MaCrossoverParams) -> int:
        return max(params.slow - 1, params.atr_period)

    def compute(self, data: MarketInput, params: MaCrossoverParams) -> Draft:
        fast, slow = sma(data.close, params.fast), sma(data.close, params.slow)
        vol = atr(data.high, data.low, data.close, params.atr_period)
        draft = Draft(
            n=len(data),
            components=(
                Component(
                    "sma_spread",
                    1.0,
                    100.0 * rules.ratio(fast - slow, slow),
                    rules.scaled_vote(fast - slow, vol),
                    "SMA(fast) - SMA(slow) in % of SMA(slow)",
                ),
            ),
        )
        up, down = rules.crossed_above(fast, slow), rules.crossed_below(fast, slow)
        rs.mark(draft.reasons, up, rs.Reason.MA_CROSS_UP)
        rs.mark(draft.reasons, down, rs.Reason.MA_CROSS_DOWN)
        draft.exits_long |= down
        draft.exits_short |= up
        enter(draft, data, params, up, down)
        return draft


STRATEGY = MaCrossover()
