"""``ml_lightgbm``: long entries and exits by thresholds on a served model's P(up).

The strategy reads the ``model_prob`` input column (``MarketInput``): the calibrated probability,
from the promoted LightGBM model, that a long entered at the bar's close reaches its take profit
before its stop or time barrier. The composition root (API, trader, backtest scripts) computes
it with ``ml.serving``; this module never imports ``ml`` (strategies import domain and features
only). Without the column (no model served) or where it is NaN, nothing is entered, the model
component abstains and the bar says why (``MODEL_UNAVAILABLE``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ai_engine.strategies import reasons as rs
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.gates import GateParams
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param, require
from ai_engine.strategies.signals import F64, Component, Draft, ExitRules


@dataclass(frozen=True, kw_only=True)
class MlLightgbmParams(GateParams):
    p_enter: float = param(0.6, 0.0, 1.0, "buy when the model's P(up) is at least this")
    p_exit: float = param(0.45, 0.0, 1.0, "close the long when P(up) is at or below this")
    take_profit_pct: float = param(0.4, 0.01, 20.0, "take-profit distance, % of price")
    stop_pct: float = param(0.4, 0.01, 20.0, "stop-loss distance, % of price")
    max_hold_minutes: float = param(30.0, 0.0, 1440.0, "time stop (0: none)")

    def __post_init__(self) -> None:
        require(
            self.p_exit < self.p_enter,
            f"p_exit ({self.p_exit}) must be below p_enter ({self.p_enter})",
        )


class MlLightgbm(Strategy[MlLightgbmParams]):
    """Long only, on the served LightGBM model's calibrated P(up) (the ``model_prob`` column).

    Entry: P(up) >= ``p_enter`` (0.6), with a take profit and a stop at the distances the model
    was labelled with (0.4 % each by default, ``ml.labels``) and a time stop at its horizon
    (30 minutes). Exit: P(up) <= ``p_exit`` (0.45). The fee gate applies as for every strategy.
    Break-even for a calibrated model with take profit = stop = 0.4 % and 0.2 % round-trip
    fees is P(up) = 0.75 (p * 0.4 - (1 - p) * 0.4 >= 0.2); lower thresholds trade more often
    and lose unless the model is better than its calibration says. The score is 50 + 50 x the
    model vote, the vote being +1 at ``p_enter`` and -1 at ``p_exit``.

    Plan: seed 002 "LightGBM" (self-hosted gradient boosting on engineered features) and
    seed 003 "online learning" (a model retrained on a schedule, promoted only when better).
    """

    name = "ml_lightgbm"
    title = "LightGBM model probability (seed 002)"
    plan = "seed 002 'LightGBM'; seed 003 'online learning' (scheduled retraining)"
    long_only = True
    params_type = MlLightgbmParams

    def warmup(self, params: MlLightgbmParams) -> int:
        return 1

    def compute(self, data: MarketInput, params: MlLightgbmParams) -> Draft:
        n = len(data)
        prob = np.full(n, np.nan) if data.model_prob is None else data.model_prob
        vote = model_vote(prob, params.p_exit, params.p_enter)
        draft = Draft(
            n=n,
            components=(
                Component("model", 1.0, prob, vote, "calibrated P(up) of the served model"),
            ),
            exit_rules=_exit_rules(data, params),
        )
        with np.errstate(invalid="ignore"):
            enter = prob >= params.p_enter
            leave = prob <= params.p_exit
        rs.mark(draft.reasons, np.isnan(prob), rs.Reason.MODEL_UNAVAILABLE)
        rs.mark(draft.reasons, enter, rs.Reason.MODEL_ENTER)
        rs.mark(draft.reasons, leave, rs.Reason.MODEL_EXIT)
        close = data.close
        draft.entries_long |= enter
        draft.exits_long |= leave
        draft.stop[enter] = (close * (1.0 - params.stop_pct / 100.0))[enter]
        draft.take_profit[enter] = (close * (1.0 + params.take_profit_pct / 100.0))[enter]
        draft.expected_move[:] = params.take_profit_pct / 100.0
        return draft


def model_vote(prob: F64, low: float, high: float) -> F64:
    """+1 at ``high``, -1 at ``low``, linear between, clipped; NaN stays NaN."""
    mid, half = (high + low) / 2.0, (high - low) / 2.0
    if half <= 0:
        return np.sign(prob - mid)
    return np.clip((prob - mid) / half, -1.0, 1.0)


def _exit_rules(data: MarketInput, params: MlLightgbmParams) -> ExitRules:
    hold = math.ceil(params.max_hold_minutes * 60_000 / data.interval_ms)
    return ExitRules(max_hold_bars=hold if hold > 0 else None)


STRATEGY = MlLightgbm()
