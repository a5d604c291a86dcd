"""``trinity_scalper``: seed 000's "Scalping Strategy 2.0" entries and exits, on bars."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ai_engine.features import rsi
from ai_engine.features.orderflow import volume_ratio
from ai_engine.strategies import reasons as rs
from ai_engine.strategies import rules
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.gates import GateParams
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param, require
from ai_engine.strategies.signals import Component, Draft, ExitRules


@dataclass(frozen=True, kw_only=True)
class TrinityScalperParams(GateParams):
    allow_short: bool = param(True, doc="also open shorts (seed 000 sells too: on)")
    rsi_period: int = param(14, 2, 200, "RSI period")
    rsi_low: float = param(20.0, 1.0, 49.0, "RSI reversal: buy when RSI turns up from below")
    rsi_high: float = param(80.0, 51.0, 99.0, "RSI reversal: sell when RSI turns down from above")
    spike_bars: int = param(5, 1, 100, "momentum spike: bars the move is measured over")
    spike_pct: float = param(0.05, 0.0, 20.0, "momentum spike: move larger than this %")
    volume_window: int = param(20, 2, 500, "bars of the volume average")
    volume_surge: float = param(2.0, 0.0, 50.0, "volume at least this many times its average")
    max_spread_bps: float = param(1.0, 0.0, 1000.0, "spread squeeze: spread below this (if known)")
    take_profit_pct: float = param(0.05, 0.001, 20.0, "take-profit, % (seed 000: 0.05 % stocks)")
    stop_pct: float = param(0.03, 0.001, 20.0, "stop-loss, % (seed 000: 0.03 % stocks)")
    max_hold_minutes: float = param(5.0, 0.0, 1440.0, "time stop (seed 000: 5 minutes; 0: none)")

    def __post_init__(self) -> None:
        require(
            self.rsi_low < self.rsi_high,
            f"rsi_low ({self.rsi_low}) must be below rsi_high ({self.rsi_high})",
        )


class TrinityScalper(Strategy[TrinityScalperParams]):
    """Seed 000's four entry signals read as two triggers and two filters. Triggers: an RSI
    reversal (RSI turns back up through ``rsi_low`` = buy, down through ``rsi_high`` = sell) or a
    momentum spike (close moved more than ``spike_pct`` % over ``spike_bars`` bars; up = buy).
    Filters: a volume surge (volume >= ``volume_surge`` times its average) and a spread
    squeeze (spread < ``max_spread_bps`` when a spread source is given; skipped, and said so,
    on klines). Exits: take-profit 0.05 %, stop 0.03 %, 5-minute time stop, trailing stop
    (distance = the stop distance) once the trade is 1R in profit ("after 3 pips" with a
    3-pip stop).

    Plan: seed 000, "1.3 Scalping Strategy 2.0" (written for forex and US stocks, where
    these venues charge no commission). With Binance spot fees (0.1 % a side) the plan's
    0.05 % target cannot cover a round trip, so the fee gate blocks every entry at the
    defaults: raise ``take_profit_pct`` or use a venue with lower fees (``fee_rate``).
    Score: RSI read as mean reversion and the spike's direction, equal weights.
    """

    name = "trinity_scalper"
    title = "Trinity scalper 2.0 (seed 000)"
    plan = "seed 000 '1.3 Scalping Strategy 2.0'"
    params_type = TrinityScalperParams

    def warmup(self, params: TrinityScalperParams) -> int:
        return max(params.rsi_period, params.spike_bars, params.volume_window)

    def compute(self, data: MarketInput, params: TrinityScalperParams) -> Draft:
        n, close = len(data), data.close
        value = rsi(close, params.rsi_period)
        move = rules.change_pct(close, params.spike_bars)
        middle = (params.rsi_low + params.rsi_high) / 2.0
        draft = Draft(
            n=n,
            components=(
                Component(
                    "rsi",
                    1.0,
                    value,
                    rules.clip_vote((middle - value) / (middle - params.rsi_low)),
                    f"RSI({params.rsi_period})",
                ),
                Component(
                    "momentum",
                    1.0,
                    move,
                    rules.clip_vote(
                        move / params.spike_pct if params.spike_pct > 0 else np.sign(move)
                    ),
                    f"close change over {params.spike_bars} bars, %",
                ),
            ),
            exit_rules=ExitRules(
                max_hold_bars=math.ceil(params.max_hold_minutes * 60_000 / data.interval_ms)
                or None,
                trail_after_r=1.0,
            ),
        )
        turn_up = rules.crossed_above_level(value, params.rsi_low)
        turn_down = rules.crossed_below_level(value, params.rsi_high)
        with np.errstate(invalid="ignore"):
            spike_up = move > params.spike_pct
            spike_down = move < -params.spike_pct
            surge = volume_ratio(data.volume, params.volume_window) >= params.volume_surge
        for where, reason in (
            (turn_up, rs.Reason.RSI_EXTREME_LOW),
            (turn_down, rs.Reason.RSI_EXTREME_HIGH),
            (spike_up, rs.Reason.SPIKE_UP),
            (spike_down, rs.Reason.SPIKE_DOWN),
        ):
            rs.mark(draft.reasons, where, reason)
        want_long, want_short = turn_up | spike_up, turn_down | spike_down
        rs.mark(draft.reasons, (want_long | want_short) & surge, rs.Reason.VOLUME_SURGE)
        rs.mark(draft.reasons, (want_long | want_short) & ~surge, rs.Reason.VOLUME_GATE)
        spread_ok = np.ones(n, dtype=bool)
        if data.spread_bps is None:
            rs.mark(draft.reasons, want_long | want_short, rs.Reason.SPREAD_UNKNOWN)
        else:
            with np.errstate(invalid="ignore"):
                spread_ok = np.asarray(data.spread_bps < params.max_spread_bps)
            rs.mark(draft.reasons, (want_long | want_short) & ~spread_ok, rs.Reason.SPREAD_GATE)
        longs = want_long & surge & spread_ok
        shorts = want_short & surge & spread_ok
        if not params.allow_short:
            rs.mark(draft.reasons, shorts, rs.Reason.SHORT_DISABLED)
            shorts = np.zeros(n, dtype=bool)
        for side, where in ((1.0, longs), (-1.0, shorts)):
            draft.stop[where] = (close * (1.0 - side * params.stop_pct / 100.0))[where]
            draft.take_profit[where] = (close * (1.0 + side * params.take_profit_pct / 100.0))[
                where
            ]
        draft.entries_long |= longs
        draft.entries_short |= shorts
        draft.expected_move[:] = params.take_profit_pct / 100.0
        draft.trail[:] = close * params.stop_pct / 100.0
        return draft


STRATEGY = TrinityScalper()
