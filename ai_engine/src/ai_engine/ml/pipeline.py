"""Bars -> dataset -> trained model -> registry, and a registered model scored on new bars."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.features.composite import BarColumns
from ai_engine.ml import registry
from ai_engine.ml.dataset import Dataset, build_dataset
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.metrics import Scores
from ai_engine.ml.train import TrainConfig, TrainResult, evaluate, train


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def interval_of(bars: BarColumns) -> int | None:
    """The bar length in ms (the smallest step between opens); ``None`` under 2 bars."""
    t = np.asarray(bars.open_time, np.int64)
    return int(np.min(np.diff(t))) if len(t) > 1 else None


def train_and_register(
    bars: BarColumns,
    *,
    series: str,
    spec: BarrierSpec,
    root: Path,
    config: TrainConfig | None = None,
    tune_trials: int = 0,
    now: datetime | None = None,
    promote: bool = False,
    actor: str = "cli",
) -> tuple[str, TrainResult, dict[str, Any]]:
    """Train on ``bars`` and save the artifact; returns (model id, result, meta).
    ``tune_trials > 0``: Optuna tuning on the purged CV folds first (``tuning.tune``).
    ``promote``: point ``PROMOTED`` at the new model if it passed the promotion rule
    (``serving.set_promoted``); a model that failed it is never promoted here."""
    ds = build_dataset(bars, spec)
    result = train_dataset(ds, config, tune_trials)
    meta: dict[str, Any] = {
        **result.summary(),
        "series": series,
        "features": list(ds.feature_names),
        "barriers": asdict(spec),
        "rows": len(ds),
        "data_start": iso_ms(int(ds.open_time[0])),
        "data_end": iso_ms(int(ds.open_time[-1])),
        "holdout_start": iso_ms(result.holdout_start_ms),
        "interval_ms": interval_of(bars),
    }
    model_id = registry.save(root, result.booster, meta, now=now)
    if promote and result.promoted:
        from ai_engine.ml.serving import set_promoted

        set_promoted(root, model_id, reason="passed the promotion rule out of sample",
                     actor=actor, now=now)  # fmt: skip
    return model_id, result, {**meta, "model_id": model_id}


def train_dataset(ds: Dataset, config: TrainConfig | None, tune_trials: int = 0) -> TrainResult:
    """``train``, after tuning the configuration on the CV folds when ``tune_trials > 0``."""
    if tune_trials <= 0:
        return train(ds, config)
    from ai_engine.ml.tuning import tune

    tuned, report = tune(ds, config or TrainConfig(), tune_trials)
    result = train(ds, tuned)
    result.extra["tuning"] = report
    return result


def evaluate_registered(bars: BarColumns, *, root: Path, model_id: str) -> Scores:
    """The registered model's scores on all finished rows of ``bars``, at its own threshold."""
    loaded = registry.load(root, model_id)
    spec = BarrierSpec(**loaded.meta["barriers"])
    ds = build_dataset(bars, spec, feature_names=loaded.meta["features"])
    return evaluate(
        ds, loaded.booster, float(loaded.meta["threshold"]), np.arange(len(ds)), loaded.calibrator
    )
