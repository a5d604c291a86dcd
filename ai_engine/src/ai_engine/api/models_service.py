"""What the model routes do: the registry listed, the served model, training jobs on Celery.

* The served model is a ``ml.serving.ModelServer`` on ``settings.models_root``, loaded at API
  start-up from the ``PROMOTED`` pointer (``start``). A missing or corrupt model disables
  serving with the reason in ``status`` (GET /api/v1/models shows it; signals too); it never
  stops the API. ``refresh`` (called by the routes and the signal service) reloads when the
  pointer names another model (a retraining promoted one): a cheap file read per call.
* ``promote(id)`` loads and verifies the model first (``CorruptArtifactError``: refused, the
  previous model keeps serving), then moves the pointer.
* Training jobs are Celery tasks (``research.ml_train`` on the research queue); their status is
  Celery's result in Redis (``job``): ``queued`` (PENDING), ``running`` (STARTED/RETRY),
  ``done`` (SUCCESS, with the result) or ``failed`` (with the error). No database is needed.
* Blocking (files, LightGBM, the broker): the routes call it in a thread.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ai_engine.api.backtests_service import UnavailableError
from ai_engine.ml import registry
from ai_engine.ml.serving import ModelServer, ServingStatus, promoted_id, set_promoted
from ai_engine.settings import Settings

_STATES = {
    "PENDING": "queued",
    "RECEIVED": "queued",
    "STARTED": "running",
    "RETRY": "running",
    "SUCCESS": "done",
    "FAILURE": "failed",
    "REVOKED": "failed",
}
_KEEP = 4096  # remembered probabilities (as many as the signal cache's readings)
_SUMMARY = ("auc", "brier", "precision", "signals", "expectancy_net", "baseline_net", "excess")


@dataclass
class ModelsService:
    settings: Settings
    redis_url: str | None
    server: ModelServer = field(init=False)
    _celery: Any = field(default=None, repr=False)
    _probabilities: OrderedDict[Hashable, float | None] = field(
        default_factory=OrderedDict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.server = ModelServer(self.settings.models_root)

    def remember(self, key: Hashable, probability: float | None) -> None:
        """The P(up) of a signal's bar, kept next to the signal cache (bounded)."""
        with self._lock:
            self._probabilities[key] = probability
            self._probabilities.move_to_end(key)
            while len(self._probabilities) > _KEEP:
                self._probabilities.popitem(last=False)

    def recall(self, key: Hashable) -> float | None:
        with self._lock:
            return self._probabilities.get(key)

    @property
    def root(self) -> Path:
        return self.settings.models_root

    def start(self) -> ServingStatus:
        """Load the promoted model (API start-up); never raises."""
        return self.server.load_promoted()

    def refresh(self) -> ServingStatus:
        """Reload when the pointer changed since the last load (never raises)."""
        current = self.server.current
        try:
            wanted = promoted_id(self.root)
        except OSError:
            return self.server.load_promoted()  # records why
        if wanted is not None and (current is None or current.model_id != wanted):
            return self.server.load_promoted()
        if wanted is None and current is None:
            return self.server.load_promoted()  # refreshes the reason
        return self.server.status

    def list(self) -> list[dict[str, Any]]:
        status = self.refresh()
        pointer = self._pointer()
        out = []
        for model_id in reversed(registry.list_models(self.root)):  # newest first
            meta = self._meta(model_id)
            out.append(self._summary(model_id, meta, pointer, status))
        return out

    def get(self, model_id: str) -> dict[str, Any]:
        """Meta and card of one model (``FileNotFoundError``; ``ValueError`` for a bad id)."""
        status = self.refresh()
        where = registry.model_dir(self.root, model_id)
        if not (where / "meta.json").is_file():
            raise FileNotFoundError(f"no model {model_id!r}")
        meta = self._meta(model_id)
        try:
            card = (where / "card.md").read_text()
        except OSError:
            card = ""
        summary = self._summary(model_id, meta, self._pointer(), status)
        return {**summary, "meta": meta, "card": card}

    def promote(self, model_id: str, actor: str = "api") -> ServingStatus:
        """Serve ``model_id`` and move the pointer; raises before anything changes if the
        artifact fails its checks (the previous model keeps serving)."""
        status = self.server.swap(model_id)
        set_promoted(self.root, model_id, reason="promoted by hand through the API", actor=actor)
        return status

    def submit_train(self, job: dict[str, Any]) -> str:
        from ai_engine.workers.ml_tasks import TRAIN

        try:
            app = self._app()
            with app.connection_for_write() as connection:
                result = app.send_task(TRAIN, args=[job], queue="research", connection=connection)
        except UnavailableError:
            raise
        except Exception as exc:  # kombu raises several kinds
            raise UnavailableError(f"could not queue the training job on Redis: {exc}") from exc
        return str(result.id)

    def job(self, job_id: str) -> dict[str, Any]:
        app = self._app()
        result = app.AsyncResult(job_id)
        try:
            state = str(result.state)
            value = result.result
        except Exception as exc:
            raise UnavailableError(f"cannot read the job status from Redis: {exc}") from exc
        status = _STATES.get(state, state.lower())
        out: dict[str, Any] = {"id": job_id, "status": status, "result": None, "error": None}
        if status == "done":
            out["result"] = value
        elif status == "failed":
            out["error"] = f"{type(value).__name__}: {value}"
        return out

    def close(self) -> None:
        if self._celery is not None:
            from ai_engine.workers.app import close_celery

            close_celery(self._celery)
            self._celery = None

    def _app(self) -> Any:
        if self.redis_url is None:
            raise UnavailableError("no Redis configured (TRADINGBOT_REDIS_URL or services up)")
        if self._celery is None:
            from ai_engine.workers.app import make_celery

            self._celery = make_celery(self.settings, redis_url=self.redis_url)
        return self._celery

    def _pointer(self) -> str | None:
        try:
            return promoted_id(self.root)
        except OSError:
            return None

    def _meta(self, model_id: str) -> dict[str, Any]:
        try:
            meta: dict[str, Any] = json.loads(
                (registry.model_dir(self.root, model_id) / "meta.json").read_text()
            )
        except (OSError, ValueError) as exc:
            return {"model_id": model_id, "error": f"unreadable meta.json: {exc}"}
        return meta

    @staticmethod
    def _summary(
        model_id: str, meta: dict[str, Any], pointer: str | None, status: ServingStatus
    ) -> dict[str, Any]:
        oos = meta.get("oos") or {}
        return {
            "id": model_id,
            "created": meta.get("created"),
            "series": meta.get("series"),
            "data_start": meta.get("data_start"),
            "data_end": meta.get("data_end"),
            "rows": meta.get("rows"),
            "features": len(meta.get("features") or []),
            "calibration": (meta.get("calibration") or {}).get("method", "none"),
            "metrics": {k: oos.get(k) for k in _SUMMARY},
            "cv_auc_mean": meta.get("cv_auc_mean"),
            "passed_rule": bool(meta.get("promoted", False)),
            "reasons": list(meta.get("reasons") or []),
            "promoted": model_id == pointer,
            "serving": status.serving and status.model_id == model_id,
        }
