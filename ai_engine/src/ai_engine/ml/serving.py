"""Serving the promoted model: which model is promoted, loading it, P(up) for bars.

Rules:

* **The promoted pointer** is the file ``<root>/PROMOTED`` holding one model id (written to a
  temporary file and renamed, so a reader sees the old id or the new one, never half). Every
  change is appended to ``<root>/promotions.jsonl`` (time, model id, previous id, action
  ``promote`` / ``keep`` / ``rollback``, reason, actor), which is also where a retraining that
  kept the old model records why. No pointer: nothing is served.
* **ModelServer** holds the served model in a ``registry.ModelSlot``. ``load_promoted`` (API
  start-up) loads the pointer's model; a missing pointer, a missing model or a corrupt artifact
  leaves serving disabled with the reason in ``status`` (never an exception at start-up), and
  a model already serving keeps serving when the new one is refused (``swap`` raises
  ``CorruptArtifactError`` for the caller that asked for it explicitly).
* **P(up)** is the model's calibrated probability that a long entered at the bar's close reaches
  its take profit before its stop or time barrier (``ml.labels``). ``probabilities(bars)``
  computes the model's features over all of ``bars`` (causal: bar ``i`` uses bars ``0..i``) and
  predicts every bar whose features are all defined (NaN elsewhere); ``latest(bars)`` does the
  same on a trailing window (``LATEST_WINDOW`` bars, extended back to the last bar's UTC day
  start plus a margin, for the session VWAP) and returns the last bar's value: the live path.
* The features are the ones ``ml.dataset`` builds (``compute_features`` with its defaults), so
  the model is served on bars of the interval it was trained on (``meta["interval_ms"]``);
  other bars give ``None`` with the reason (``WrongIntervalError``).
* Depends on ``features`` and the ``ml`` registry only (strategies never import this module: the
  composition root passes the probabilities to them as the ``model_prob`` input column).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_engine.features import compute_features
from ai_engine.features.composite import BarColumns
from ai_engine.metrics.definitions import observe_inference
from ai_engine.ml.registry import CorruptArtifactError, LoadedModel, ModelSlot

PROMOTED = "PROMOTED"
HISTORY = "promotions.jsonl"
LATEST_WINDOW = 1000
_DAY_MS = 86_400_000
_DAY_MARGIN = 300

F64 = npt.NDArray[np.float64]


class WrongIntervalError(ValueError):
    """Bars of another interval than the model was trained on."""


def promoted_id(root: Path) -> str | None:
    """The id in ``<root>/PROMOTED``; ``None`` when there is no pointer (or it is empty)."""
    try:
        text = (root / PROMOTED).read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def set_promoted(
    root: Path,
    model_id: str,
    *,
    reason: str,
    action: str = "promote",
    actor: str = "cli",
    now: datetime | None = None,
) -> None:
    """Point ``PROMOTED`` at ``model_id`` (atomically) and record the change."""
    root.mkdir(parents=True, exist_ok=True)
    previous = promoted_id(root)
    fd, tmp = tempfile.mkstemp(prefix=".promoted-", dir=root)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(model_id + "\n")
        os.replace(tmp, root / PROMOTED)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    record(root, action=action, model_id=model_id, previous=previous, reason=reason,
           actor=actor, now=now)  # fmt: skip


def record(
    root: Path,
    *,
    action: str,
    model_id: str | None,
    previous: str | None,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Append one line to ``promotions.jsonl`` (also for decisions that changed nothing)."""
    root.mkdir(parents=True, exist_ok=True)
    entry = {
        "at": (now or datetime.now(UTC)).astimezone(UTC).isoformat(),
        "action": action,
        "model_id": model_id,
        "previous": previous,
        "reason": reason,
        "actor": actor,
    }
    with (root / HISTORY).open("a") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")


def history(root: Path) -> list[dict[str, Any]]:
    """Every recorded promotion decision, oldest first (unreadable lines are skipped)."""
    try:
        lines = (root / HISTORY).read_text().splitlines()
    except FileNotFoundError:
        return []
    out: list[dict[str, Any]] = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


@dataclass(frozen=True)
class ServingStatus:
    serving: bool
    model_id: str | None
    reason: str  # why serving is disabled, or what is served
    error: str | None = None  # the last refusal (a corrupt artifact), even while serving

    def to_dict(self) -> dict[str, Any]:
        return {
            "serving": self.serving,
            "model_id": self.model_id,
            "reason": self.reason,
            "error": self.error,
        }


class ModelServer:
    """The served model and its status (module docstring). Thread-safe."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.slot = ModelSlot(root)
        self._lock = threading.Lock()
        self._status = ServingStatus(False, None, "not loaded yet")

    @property
    def status(self) -> ServingStatus:
        return self._status

    @property
    def current(self) -> LoadedModel | None:
        return self.slot.current

    def load_promoted(self) -> ServingStatus:
        """Load the promoted model; never raises (the reason is in the returned status)."""
        try:
            wanted = promoted_id(self.root)
        except OSError as exc:  # unreadable pointer (permissions, a directory...)
            return self._refuse(None, f"cannot read {self.root / PROMOTED}: {exc}")
        if wanted is None:
            return self._refuse(None, f"no promoted model ({self.root / PROMOTED} not found)")
        if self.current is not None and self.current.model_id == wanted:
            return self._status
        try:
            self.swap(wanted)
        except (CorruptArtifactError, FileNotFoundError, ValueError) as exc:
            return self._refuse(wanted, f"promoted model {wanted} refused: {exc}")
        return self._status

    def swap(self, model_id: str) -> ServingStatus:
        """Serve ``model_id``; raises (and keeps the previous model) if it fails its checks."""
        with self._lock:
            loaded = self.slot.swap(model_id)
            self._status = ServingStatus(True, loaded.model_id, f"serving {loaded.model_id}")
            return self._status

    def _refuse(self, model_id: str | None, why: str) -> ServingStatus:
        with self._lock:
            served = self.current
            if served is not None:  # the previous model keeps serving
                self._status = ServingStatus(
                    True, served.model_id, f"serving {served.model_id}", error=why
                )
            else:
                self._status = ServingStatus(False, model_id, why, error=why)
            return self._status

    def probabilities(self, bars: BarColumns) -> F64 | None:
        """Calibrated P(up) of every bar (NaN where a feature is undefined); ``None`` when
        nothing is served. Raises ``WrongIntervalError`` for bars of another interval."""
        model = self.current
        if model is None:
            return None
        return probabilities(model, bars)

    def latest(self, bars: BarColumns) -> float | None:
        """P(up) of the last bar from a trailing window (module docstring); ``None`` when
        nothing is served or the last bar's features are undefined."""
        model = self.current
        if model is None or len(bars.close) == 0:
            return None
        start = window_start(np.asarray(bars.open_time, np.int64))
        p = probabilities(model, _tail(bars, start), last_only=True)
        value = float(p[-1])
        return value if math.isfinite(value) else None


def probabilities(model: LoadedModel, bars: BarColumns, *, last_only: bool = False) -> F64:
    """Calibrated P(up) of ``model`` for every bar of ``bars`` (NaN where undefined);
    ``last_only``: the features still need every bar, but only the last one is predicted
    (the others are NaN): the live path."""
    open_time = np.asarray(bars.open_time, np.int64)
    n = len(open_time)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    expected = model.meta.get("interval_ms")
    if expected is not None and n > 1:
        step = int(np.min(np.diff(open_time)))
        if step != int(expected):
            raise WrongIntervalError(
                f"model {model.model_id} was trained on {int(expected) // 1000} s bars, "
                f"these are {step // 1000} s bars"
            )
    names = list(model.meta["features"])
    feats = compute_features(bars)
    missing = [name for name in names if name not in feats]
    if missing:
        raise ValueError(f"model {model.model_id} needs features not computed: {missing}")
    rows = slice(n - 1, n) if last_only else slice(0, n)
    x = np.column_stack([np.asarray(feats[name], np.float64)[rows] for name in names])
    ok = ~np.isnan(x).any(axis=1)
    if ok.any():
        started = time.perf_counter()
        raw = np.asarray(model.booster.predict(x[ok], num_threads=1), np.float64)
        observe_inference(model.model_id, time.perf_counter() - started)  # metrics hook
        out[rows][ok] = model.calibrator.apply(raw)
    return out


def window_start(open_time: npt.NDArray[np.int64]) -> int:
    """First bar of the live window: ``LATEST_WINDOW`` bars back, or earlier to cover the last
    bar's UTC day from its start (session VWAP) plus ``_DAY_MARGIN`` bars."""
    n = len(open_time)
    last = int(open_time[-1])
    day_first = int(np.searchsorted(open_time, last - last % _DAY_MS))
    return max(0, min(n - LATEST_WINDOW, day_first - _DAY_MARGIN))


class _Tail:
    """The last bars of ``bars`` from ``start`` (the columns ``compute_features`` reads)."""

    def __init__(self, bars: BarColumns, start: int) -> None:
        self._bars = bars
        self._start = start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bars, name)[self._start :]


def _tail(bars: BarColumns, start: int) -> BarColumns:
    if start == 0:
        return bars
    return _Tail(bars, start)
