"""Bars -> dataset -> trained model -> registry, and a registered model scored on new bars."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.features.composite import BarColumns
from ai_engine.ml import registry
from ai_engine.ml.dataset import build_dataset
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.metrics import Scores
from ai_engine.ml.train import TrainConfig, TrainResult, evaluate, train


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def train_and_register(
    bars: BarColumns,
    *,
    series: str,
    spec: BarrierSpec,
    root: Path,
    config: TrainConfig | None = None,
) -> tuple[str, TrainResult, dict[str, Any]]:
    """Train on ``bars`` and save the artifact; returns (model id, result, meta)."""
    ds = build_dataset(bars, spec)
    result = train(ds, config)
    meta: dict[str, Any] = {
        **result.summary(),
        "series": series,
        "features": list(ds.feature_names),
        "barriers": asdict(spec),
        "rows": len(ds),
        "data_start": iso_ms(int(ds.open_time[0])),
        "data_end": iso_ms(int(ds.open_time[-1])),
        "holdout_start": iso_ms(result.holdout_start_ms),
    }
    model_id = registry.save(root, result.booster, meta)
    return model_id, result, {**meta, "model_id": model_id}


def evaluate_registered(bars: BarColumns, *, root: Path, model_id: str) -> Scores:
    """The registered model's scores on all finished rows of ``bars``, at its own threshold."""
    loaded = registry.load(root, model_id)
    spec = BarrierSpec(**loaded.meta["barriers"])
    ds = build_dataset(bars, spec, feature_names=loaded.meta["features"])
    return evaluate(ds, loaded.booster, float(loaded.meta["threshold"]), np.arange(len(ds)))
