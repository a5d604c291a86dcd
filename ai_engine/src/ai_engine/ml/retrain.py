"""Scheduled retraining made safe (seed 003 "online learning"): promote only a better model.

``retrain(bars, ...)`` (what the Celery task ``research.ml_retrain`` runs on the most recent
window of bars):

1. trains a candidate on ``bars`` (``pipeline.train_and_register``: purged CV, calibration, its
   own out-of-sample holdout = the last ``holdout_fraction`` of the window) and registers it;
2. scores the served model (the ``PROMOTED`` pointer's) on the **same** recent rows, at its own
   threshold, with its own features and calibration. Only rows the served model cannot have
   trained on count: those at or after its own ``holdout_start_ms`` (its final booster was fitted
   on rows before that); the candidate is scored on exactly those rows too;
3. promotes the candidate (``serving.set_promoted``) only if it passes the promotion rule
   (``train.verdict``) **and** its net-of-fees expectancy per signal on the compared rows is
   above the served model's (a served model without signals there counts as no edge); otherwise
   the served model stays (the candidate is "rolled back": registered but never served) and the
   decision, with every reason, is appended to ``promotions.jsonl`` (action ``keep``).
   A served model that cannot be loaded (corrupt) never blocks a better candidate; one that
   fails to load is named in the reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.features.composite import BarColumns
from ai_engine.ml import registry
from ai_engine.ml.dataset import build_dataset
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.metrics import Scores
from ai_engine.ml.pipeline import train_and_register
from ai_engine.ml.serving import promoted_id, record, set_promoted
from ai_engine.ml.train import TrainConfig, evaluate


@dataclass(frozen=True)
class RetrainOutcome:
    candidate: str
    served_before: str | None
    promoted: bool  # the candidate now serves
    reasons: list[str]
    candidate_scores: dict[str, Any]
    served_scores: dict[str, Any] | None
    compared_from: str | None  # ISO time of the first compared row

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "served_before": self.served_before,
            "promoted": self.promoted,
            "serving": self.candidate if self.promoted else self.served_before,
            "reasons": self.reasons,
            "candidate_scores": self.candidate_scores,
            "served_scores": self.served_scores,
            "compared_from": self.compared_from,
        }


def retrain(
    bars: BarColumns,
    *,
    series: str,
    spec: BarrierSpec,
    root: Path,
    config: TrainConfig | None = None,
    now: datetime | None = None,
    actor: str = "beat",
) -> RetrainOutcome:
    """Train a candidate on ``bars`` and promote it only if it is better (module docstring)."""
    cfg = config or TrainConfig()
    served_id = promoted_id(root)
    candidate_id, result, meta = train_and_register(
        bars, series=series, spec=spec, root=root, config=cfg, now=now
    )
    cand = registry.load(root, candidate_id)
    reasons = [f"candidate fails the promotion rule: {r}" for r in result.reasons]
    worse: list[str] = []  # the comparison with the served model, when it blocks
    served_scores: Scores | None = None
    cand_scores: Scores | None = result.oos
    compared_from: str | None = meta["holdout_start"]
    if served_id is not None:
        try:
            served = registry.load(root, served_id)
        except (registry.CorruptArtifactError, FileNotFoundError, ValueError) as exc:
            reasons.append(f"served model {served_id} cannot be loaded ({exc}): not compared")
        else:
            start_ms = max(int(result.holdout_start_ms), int(served.meta["holdout_start_ms"]))
            compared_from = _iso(start_ms)
            served_scores = _score(served, bars, start_ms)
            cand_scores = _score(cand, bars, start_ms)
            if served_scores is None or cand_scores is None:
                worse.append(f"no recent rows from {compared_from} to compare the models on")
            elif not _better(cand_scores, served_scores):
                worse.append(
                    f"candidate net expectancy {_f(cand_scores.expectancy_net)} per signal "
                    f"({cand_scores.signals} signals) is not above the served model's "
                    f"{_f(served_scores.expectancy_net)} ({served_scores.signals} signals) on "
                    f"the same {served_scores.rows} recent rows"
                )
    reasons += worse
    promote = result.promoted and not worse
    if promote:
        why = "passed the promotion rule" + (
            f" and beat {served_id} on the recent holdout" if served_scores is not None else ""
        )
        set_promoted(root, candidate_id, reason=why, actor=actor, now=now)
    else:
        record(
            root,
            action="keep",
            model_id=candidate_id,
            previous=served_id,
            reason="; ".join(reasons) or "not better",
            actor=actor,
            now=now,
        )
    return RetrainOutcome(
        candidate=candidate_id,
        served_before=served_id,
        promoted=promote,
        reasons=[] if promote else reasons,
        candidate_scores={} if cand_scores is None else cand_scores.to_dict(),
        served_scores=None if served_scores is None else served_scores.to_dict(),
        compared_from=compared_from,
    )


def _score(model: registry.LoadedModel, bars: BarColumns, start_ms: int) -> Scores | None:
    """``model``'s scores on the finished rows of ``bars`` from ``start_ms``; ``None``: none."""
    spec = BarrierSpec(**model.meta["barriers"])
    ds = build_dataset(bars, spec, feature_names=model.meta["features"])
    idx = np.flatnonzero(ds.open_time >= start_ms).astype(np.int64)
    if len(idx) == 0:
        return None
    return evaluate(ds, model.booster, float(model.meta["threshold"]), idx, model.calibrator)


def _better(candidate: Scores, served: Scores) -> bool:
    if math.isnan(candidate.expectancy_net):
        return False
    if math.isnan(served.expectancy_net):
        return True  # the served model gives no signal there: no edge to beat
    return candidate.expectancy_net > served.expectancy_net


def _f(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{v:.6f}"


def _iso(ms: int) -> str:
    from ai_engine.ml.pipeline import iso_ms

    return iso_ms(ms)
