"""The served model's part in a signal: its P(up) on the signal's bar, and the column strategies
read.

* With model serving configured (the API always has it), every signal response carries
  ``model``: serving or not, which model, why not, and the calibrated P(up) of the signal's bar
  (what the ensemble combines with the technical score and sentiment). ``None`` only when the
  service has no model server at all.
* A strategy reads the model when it is ``ml_lightgbm`` or has a ``model_weight`` parameter
  above 0 (``composite_score``'s tenth component): it gets the model's P(up) of every bar of its
  window as the ``model_prob`` input column. Other strategies get only the last bar predicted
  (their decisions never depend on it).
* While a model serves, the bars window is at least ``MODEL_WINDOW`` bars (``ml.serving``'s
  live window: every feature's history, the session VWAP's day included); the strategy's own
  rolling window is cut from it (``strategies.live.latest``), so its decisions are unchanged.
* Bars of another interval than the model was trained on: not served, and the reason says so.
* The probability of a (series, last bar, model) is kept next to the signal cache (in the
  ``ModelsService``), so a cached signal answers with it too.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import replace
from typing import Any

from ai_engine.ml.serving import LATEST_WINDOW, WrongIntervalError
from ai_engine.strategies import MarketInput, Strategy

MODEL_WINDOW = LATEST_WINDOW + 1440 + 300


def wants_model(strategy: Strategy[Any], params: Any) -> bool:
    return strategy.name == "ml_lightgbm" or float(getattr(params, "model_weight", 0.0)) > 0


def status(models: Any, step_ms: int) -> dict[str, Any] | None:
    """The serving status for this request (``None``: no model server); bars of another
    interval than the served model's are refused here, with the reason."""
    if models is None:
        return None
    s = models.refresh()
    info = {"serving": s.serving, "model_id": s.model_id if s.serving else None, "reason": s.reason}
    model = models.server.current
    trained = None if model is None else model.meta.get("interval_ms")
    if s.serving and trained is not None and int(trained) != step_ms:
        info.update(
            serving=False,
            model_id=None,
            reason=f"model {s.model_id} serves {int(trained) // 1000} s bars, not "
            f"{step_ms // 1000} s bars",
        )
    return info


def bars_needed(strategy: Strategy[Any], params: Any, info: dict[str, Any] | None) -> int:
    lookback = strategy.lookback(params)
    return max(lookback, MODEL_WINDOW) if info is not None and info["serving"] else lookback


def attach(
    models: Any,
    strategy: Strategy[Any],
    params: Any,
    data: MarketInput,
    info: dict[str, Any] | None,
    key: Hashable,
) -> MarketInput:
    """``data`` with the served model's P(up) column (unchanged when no model serves); the last
    bar's value is remembered under ``key`` for ``with_probability``."""
    if info is None or not info["serving"] or models is None or len(data) == 0:
        return data
    wanted = wants_model(strategy, params)
    model = models.server.current
    if model is None:
        return data
    from ai_engine.ml.serving import probabilities

    try:
        prob = probabilities(model, data, last_only=not wanted)
    except WrongIntervalError:  # status() refuses these first; a race with a swap lands here
        return data
    last = float(prob[-1])
    models.remember(key, last if math.isfinite(last) else None)
    return replace(data, model_prob=prob) if wanted else data


def with_probability(
    models: Any, info: dict[str, Any] | None, key: Hashable
) -> dict[str, Any] | None:
    """``info`` plus the P(up) remembered for ``key`` (None when not served)."""
    if info is None:
        return None
    value = models.recall(key) if info["serving"] and models is not None else None
    return {**info, "probability": value}
