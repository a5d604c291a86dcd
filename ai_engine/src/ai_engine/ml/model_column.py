"""A registered model's P(up) as the ``model_prob`` column of a backtest, point-in-time.

``model_column(root, ref, bars)`` batch-predicts the model over the backtest's bars
(``serving.probabilities``: the features of bar ``i`` use bars ``0..i`` only, as the live path).
``ref`` is a model id or ``"promoted"`` (the id in ``<root>/PROMOTED``). Rules:

* **Point in time.** A model exists only once its training data has ended: the model card's
  data span (``meta["data_start"]`` .. ``meta["data_end"]``, the first and last labelled rows)
  plus the last label's look-ahead (``barriers.horizon`` bars, through which the last label was
  decided) is the training span, and a backtest's bars must all open after its end. Bars that
  overlap the span (in-sample) or precede it (the model has seen their future) are refused
  (``ModelOverlapError``, naming both spans), whatever the symbol (markets move together: a
  model fitted on BTC over March has seen March). ``allow_overlap=True`` runs it anyway and the
  returned ``ModelColumn.info`` says ``overlap: true`` with a warning, which the backtest's JSON
  carries and the CLI prints: such metrics overstate the model and say nothing of the future.
* The model must be of the bars' interval (``WrongIntervalError``); a missing or corrupt
  model is the registry's ``FileNotFoundError`` / ``CorruptArtifactError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.features.composite import BarColumns
from ai_engine.ml import registry
from ai_engine.ml.pipeline import iso_ms as _iso
from ai_engine.ml.serving import F64, probabilities, promoted_id

PROMOTED_REF = "promoted"


class ModelOverlapError(ValueError):
    """The backtest's bars overlap the model's training span (message: both spans)."""


@dataclass(frozen=True)
class ModelColumn:
    prob: F64  # one value per bar, NaN where the model's features are undefined
    info: dict[str, Any]  # model id, training span, overlap flag (the backtest's JSON)


def resolve(root: Path, ref: str) -> str:
    """The model id ``ref`` names (``"promoted"``: the pointer's)."""
    if ref != PROMOTED_REF:
        return ref
    model_id = promoted_id(root)
    if model_id is None:
        raise FileNotFoundError(f"no promoted model in {root} (no PROMOTED pointer)")
    return model_id


def training_span_ms(meta: dict[str, Any]) -> tuple[int, int] | None:
    """[first, last] bar open (ms) the model's training read, look-ahead of the last label
    included; ``None`` when the card has no span."""
    start, end = meta.get("data_start"), meta.get("data_end")
    if not start or not end:
        return None
    first = int(datetime.fromisoformat(str(start)).timestamp() * 1000)
    last = int(datetime.fromisoformat(str(end)).timestamp() * 1000)
    horizon = int((meta.get("barriers") or {}).get("horizon", 0))
    step = int(meta.get("interval_ms") or 0)
    return first, last + horizon * step


def model_column(
    root: Path, ref: str, bars: BarColumns, *, allow_overlap: bool = False
) -> ModelColumn:
    """The model's P(up) for every bar of ``bars`` (module docstring for the rules)."""
    model_id = resolve(root, ref)
    loaded = registry.load(root, model_id)
    open_time = np.asarray(bars.open_time, np.int64)
    span = training_span_ms(loaded.meta)
    overlap = False
    info: dict[str, Any] = {
        "model_id": model_id,
        "series": loaded.meta.get("series"),
        "trained_from": loaded.meta.get("data_start"),
        "trained_to": loaded.meta.get("data_end"),
        "horizon_bars": (loaded.meta.get("barriers") or {}).get("horizon"),
    }
    if span is not None and len(open_time):
        first, last = int(open_time[0]), int(open_time[-1])
        overlap = first <= span[1]
        if overlap:
            how = "overlap" if last >= span[0] else "precede"
            what = (
                f"the backtest's bars ({_iso(first)} .. {_iso(last)}) {how} model {model_id}'s "
                f"training span ({_iso(span[0])} .. {_iso(span[1])}, label look-ahead included)"
            )
            if not allow_overlap:
                raise ModelOverlapError(
                    f"{what}: its probabilities there are not point-in-time. Backtest after "
                    f"{_iso(span[1])}, or pass --allow-model-overlap to run it flagged"
                )
            info["warning"] = f"NOT POINT-IN-TIME: {what}; these results overstate the model"
    info["overlap"] = overlap
    prob = probabilities(loaded, bars)
    info["bars_with_prob"] = int(np.count_nonzero(~np.isnan(prob)))
    return ModelColumn(prob, info)
