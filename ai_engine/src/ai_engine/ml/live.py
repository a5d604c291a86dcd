"""The live per-bar path of a served model: one new closed bar -> its calibrated P(up).

``ml.serving.probabilities`` recomputes every feature over a window of 1,000+ bars for each
prediction (about 2 ms a bar); ``LiveModel`` keeps the features up to date bar by bar instead
(``features.IncrementalFeatures``), so a new bar costs one update of the feature groups the
model reads plus one single-row prediction. Rules:

* **Same features as training.** The model's columns (``meta["features"]``) come from
  ``compute_features`` with its defaults (``ml.dataset``); the live path computes the groups
  that hold them (``incremental.groups_for``) with the same parameters. The values agree with
  the batch computation within ``rtol = atol = 1e-6`` (the recursive indicators forget where
  the window starts: ``features.incremental``); ``tests/ml/test_live.py`` checks the features
  and the probabilities against the batch path on real bars.
* **Priming.** ``prime(bars)`` takes the history (closed bars, oldest first) and returns the
  batch probabilities of all of it (``serving.probabilities``, one vectorised pass), then feeds
  the history to the incremental state; a day of history makes the session VWAP exact from the
  first update on (shorter history: the features are NaN until their warm-up is over, as in the
  batch path over the same bars).
* **Per bar.** ``update(...)`` adds one closed bar (strictly after the last one) and returns
  its P(up), NaN while any of the model's features is undefined.
* **Interval.** Bars of another interval than the model's (``meta["interval_ms"]``) are refused
  at construction (``WrongIntervalError``), not predicted.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ai_engine.features import IncrementalFeatures
from ai_engine.features.composite import BarColumns
from ai_engine.features.incremental import groups_for
from ai_engine.metrics.definitions import observe_inference
from ai_engine.ml.registry import LoadedModel
from ai_engine.ml.serving import F64, WrongIntervalError, probabilities


class LiveModel:
    """One served model's P(up), bar by bar, for one symbol (see the module docstring)."""

    def __init__(self, model: LoadedModel, interval_ms: int) -> None:
        expected = model.meta.get("interval_ms")
        if expected is not None and int(expected) != int(interval_ms):
            raise WrongIntervalError(
                f"model {model.model_id} was trained on {int(expected) // 1000} s bars, "
                f"the bot trades {int(interval_ms) // 1000} s bars"
            )
        self.model = model
        self.names: tuple[str, ...] = tuple(model.meta["features"])
        self.features = IncrementalFeatures(groups=groups_for(self.names))
        self.last_open_time: int | None = None

    @property
    def model_id(self) -> str:
        return self.model.model_id

    def prime(self, bars: BarColumns) -> F64:
        """The batch P(up) of every bar of ``bars`` (NaN where undefined); the incremental
        state continues from the last of them."""
        open_time = np.asarray(bars.open_time, np.int64)
        if len(open_time) == 0:
            return np.full(0, np.nan)
        probs = probabilities(self.model, bars)
        self.features.extend(bars)
        self.last_open_time = int(open_time[-1])
        return probs

    def update(
        self,
        open_time: int,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
        taker_buy_volume: float,
        trades: int,
    ) -> float:
        """Add one closed bar; its calibrated P(up) (NaN while a feature is undefined)."""
        latest = self.features.update(
            open_time, open, high, low, close, volume, taker_buy_volume, trades
        )
        self.last_open_time = open_time
        return self.predict(latest)

    def predict(self, latest: dict[str, float]) -> float:
        """P(up) of one row of feature values (by name); NaN if any of the model's is NaN."""
        row = [latest[name] for name in self.names]
        if any(math.isnan(v) for v in row):
            return math.nan
        started = time.perf_counter()
        raw = self.model.booster.predict(np.array([row], np.float64), num_threads=1)
        p = float(self.model.calibrator.apply(np.asarray(raw, np.float64))[0])
        observe_inference(self.model.model_id, time.perf_counter() - started)  # metrics hook
        return p
