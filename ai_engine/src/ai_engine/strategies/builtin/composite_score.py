"""``composite_score``: seed 001's 0-100 composite score with its entry gates and exits."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ai_engine.features.composite import COMPOSITE, FeatureParams, FeatureSet, compute_features
from ai_engine.strategies import reasons as rs
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.builtin import composite_parts
from ai_engine.strategies.gates import GateParams
from ai_engine.strategies.inputs import MarketInput, interval_name
from ai_engine.strategies.params import param, require
from ai_engine.strategies.signals import Bool, Component, Draft, ExitRules, score_of


@dataclass(frozen=True, kw_only=True)
class CompositeScoreParams(GateParams):
    allow_short: bool = param(True, doc="also open shorts (seed 001 trades futures: on)")
    min_score: float = param(80.0, 50.0, 100.0, "buy at score >= this, sell at <= 100 - this")
    min_confluence: int = param(4, 1, 9, "components that must vote the entry's way")
    agree_vote: float = param(0.2, 0.0, 1.0, "a component agrees when its vote is at least this")
    min_volume_ratio: float = param(1.5, 0.0, 20.0, "bar volume over its 20-bar average")
    max_spread_bps: float = param(30.0, 0.0, 1000.0, "widest spread for an entry (if known)")
    exit_score: float = param(60.0, 0.0, 100.0, "close a long below this (a short above 100-x)")
    take_profit_pct: float = param(0.3, 0.01, 20.0, "take-profit distance, % of price")
    stop_pct: float = param(0.12, 0.01, 20.0, "stop-loss distance, % of price")
    trail_pct: float = param(0.1, 0.0, 20.0, "trailing stop from the best price, % (0: none)")
    max_hold_minutes: float = param(10.0, 0.0, 1440.0, "time stop (0: none)")
    model_weight: float = param(
        0.0, 0.0, 1.0, "weight of the served model's P(up) as a tenth component (0: none)"
    )
    model_center: float = param(0.5, 0.0, 1.0, "P(up) at which the model's vote is neutral")
    model_scale: float = param(0.25, 0.01, 1.0, "P(up) distance from the centre for a full vote")

    def __post_init__(self) -> None:
        require(
            self.exit_score < self.min_score,
            f"exit_score ({self.exit_score}) must be below min_score ({self.min_score})",
        )


class CompositeScore(Strategy[CompositeScoreParams]):
    """Seed 001's composite score: nine indicator votes weighted into 0-100 (50 neutral).

    Entry (all must pass, seed 001 "Entry Requirements"): score >= ``min_score`` (80) for a
    buy, <= 100 - ``min_score`` for a sell; at least ``min_confluence`` (4) components voting
    that way by at least ``agree_vote``; volume at least ``min_volume_ratio`` (1.5) times its
    20-bar average; spread below ``max_spread_bps`` (30 bps) when a spread source is given
    (klines carry none: the gate is then skipped and the bar says so); and the shared fee gate
    on the take-profit distance (seed 001's "expected profit >= 5x fees" was written for a
    0.04 % futures fee; here the multiple of round-trip fees is the ``fee_multiple`` parameter).
    Exits (seed 001 "Exit Conditions (Enhanced)"): take-profit 0.3 %, stop 0.12 %, trailing
    0.1 % from the best price, 10-minute time stop, and a signal exit when the score drops below
    ``exit_score`` (60); the plan's "opposite signal score > 70" is implied by it.
    The components and their votes are in ``composite_parts``. With ``model_weight`` > 0 and a
    served model (the ``model_prob`` input column, computed by the composition root), a tenth
    component ``model`` votes ``(P(up) - model_center) / model_scale``; the default weight 0
    leaves the seed's nine components alone, and without a model there is no tenth component.

    Plan: seed 001, "Phase 2: Signal Scoring System" and "Phase 4: Exit Conditions (Enhanced)".
    """

    name = "composite_score"
    title = "Composite 0-100 score (seed 001)"
    plan = "seed 001 'Phase 2: Signal Scoring System' and 'Phase 4: Exit Conditions'"
    params_type = CompositeScoreParams

    def warmup(self, params: CompositeScoreParams) -> int:
        return composite_parts.WARMUP

    def prepare(self, data: MarketInput) -> tuple[FeatureSet, tuple[Component, ...]]:
        """The features and the nine votes: no parameter changes them."""
        features = compute_features(
            data, groups=COMPOSITE, params=FeatureParams(interval=interval_name(data.interval_ms))
        )
        return features, composite_parts.components(data, features)

    def compute(self, data: MarketInput, params: CompositeScoreParams) -> Draft:
        return self.compute_prepared(data, params, self.prepare(data))

    def compute_prepared(
        self,
        data: MarketInput,
        params: CompositeScoreParams,
        prepared: tuple[FeatureSet, tuple[Component, ...]],
    ) -> Draft:
        features, parts = prepared
        n = len(data)
        extra = None
        if params.model_weight > 0:
            extra = composite_parts.model_component(
                data, params.model_weight, params.model_center, params.model_scale
            )
            parts = parts if extra is None else (*parts, extra)
        draft = Draft(n=n, components=parts, exit_rules=_exit_rules(data, params))
        if params.model_weight > 0 and extra is None:
            rs.mark(draft.reasons, np.ones(n, dtype=bool), rs.Reason.MODEL_UNAVAILABLE)
        score = score_of(parts, n)
        with np.errstate(invalid="ignore"):
            buy = score >= params.min_score
            sell = score <= 100.0 - params.min_score
            draft.exits_long |= score < params.exit_score
            draft.exits_short |= score > 100.0 - params.exit_score
        rs.mark(draft.reasons, buy, rs.Reason.SCORE_BUY)
        rs.mark(draft.reasons, sell, rs.Reason.SCORE_SELL)
        rs.mark(draft.reasons, draft.exits_long, rs.Reason.SCORE_FADED_LONG)
        rs.mark(draft.reasons, draft.exits_short, rs.Reason.SCORE_FADED_SHORT)
        votes = np.stack([c.vote for c in parts]) if parts else np.zeros((0, n))
        with np.errstate(invalid="ignore"):
            agree_up = np.sum(votes >= params.agree_vote, axis=0) >= params.min_confluence
            agree_down = np.sum(votes <= -params.agree_vote, axis=0) >= params.min_confluence
            volume_ok = features["volume_ratio"] >= params.min_volume_ratio
        spread_ok = self._spread_ok(draft, data, params, buy | sell)
        longs = self._gate(draft, buy, agree_up, volume_ok, spread_ok)
        shorts = self._gate(draft, sell, agree_down, volume_ok, spread_ok)
        if not params.allow_short:
            rs.mark(draft.reasons, shorts, rs.Reason.SHORT_DISABLED)
            shorts = np.zeros(n, dtype=bool)
        close = data.close
        for side, where in ((1.0, longs), (-1.0, shorts)):
            draft.stop[where] = (close * (1.0 - side * params.stop_pct / 100.0))[where]
            draft.take_profit[where] = (close * (1.0 + side * params.take_profit_pct / 100.0))[
                where
            ]
        draft.entries_long |= longs
        draft.entries_short |= shorts
        draft.expected_move[:] = params.take_profit_pct / 100.0
        if params.trail_pct > 0:
            draft.trail[:] = close * params.trail_pct / 100.0
        return draft

    @staticmethod
    def _gate(draft: Draft, want: Bool, agree: Bool, volume_ok: Bool, spread_ok: Bool) -> Bool:
        rs.mark(draft.reasons, want & ~agree, rs.Reason.CONFLUENCE_GATE)
        rs.mark(draft.reasons, want & ~volume_ok, rs.Reason.VOLUME_GATE)
        rs.mark(draft.reasons, want & ~spread_ok, rs.Reason.SPREAD_GATE)
        return np.asarray(want & agree & volume_ok & spread_ok)

    @staticmethod
    def _spread_ok(
        draft: Draft, data: MarketInput, params: CompositeScoreParams, candidates: Bool
    ) -> Bool:
        if data.spread_bps is None:
            rs.mark(draft.reasons, candidates, rs.Reason.SPREAD_UNKNOWN)
            return np.ones(len(data), dtype=bool)
        with np.errstate(invalid="ignore"):
            return np.asarray(data.spread_bps < params.max_spread_bps)


def _exit_rules(data: MarketInput, params: CompositeScoreParams) -> ExitRules:
    hold = math.ceil(params.max_hold_minutes * 60_000 / data.interval_ms)
    return ExitRules(
        max_hold_bars=hold if hold > 0 else None,
        trail_after_r=0.0 if params.trail_pct > 0 else None,
    )


STRATEGY = CompositeScore()
