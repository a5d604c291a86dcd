"""The model tasks of the research workers. Thin: decode, load bars from the store, call ``ml``.

* ``research.ml_train(job)``: train on the bars the job names (symbol, interval, start/end ISO
  or ``days`` back from the newest bar, barriers, ``tune`` trials, ``promote``) and register the
  model; returns the model id, its OOS metrics and the verdict (what ``POST /api/v1/models/train``
  queues; its status is the Celery result, ``GET /api/v1/models/jobs/{id}``).
* ``research.ml_retrain(job=None)``: ``ml.retrain.retrain`` on the most recent
  ``settings.ml_retrain_days`` of ``settings.ml_retrain_symbol``: the candidate serves only if it
  passes the promotion rule and beats the served model on the recent holdout; otherwise the
  served model stays and ``promotions.jsonl`` says why. Fields of ``job`` override the settings.
* ``beat_schedule(settings)``: the Celery beat entry for ``research.ml_retrain`` every
  ``settings.ml_retrain_every_s`` seconds; empty when that is 0 (the default, and in tests).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ai_engine.settings import Settings

RETRAIN = "research.ml_retrain"
TRAIN = "research.ml_train"


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The beat entry of the scheduled retraining (none when it is off)."""
    if settings.ml_retrain_every_s <= 0:
        return {}
    return {
        "ml-retrain": {
            "task": RETRAIN,
            "schedule": float(settings.ml_retrain_every_s),
            "options": {"queue": "research"},
        }
    }


def _load(settings: Settings, job: dict[str, Any]) -> tuple[str, Any]:
    from ai_engine.backtest.service import parse_moment
    from ai_engine.domain.enums import MarketType
    from ai_engine.marketdata.series import normalise_symbol
    from ai_engine.marketdata.store import BarStore

    symbol = normalise_symbol(str(job["symbol"]))
    interval = str(job.get("interval", "1m"))
    store = BarStore(settings.store_dir)
    start = None if job.get("start") is None else parse_moment(str(job["start"]), "start")
    end = None if job.get("end") is None else parse_moment(str(job["end"]), "end")
    bars = store.load_bars(symbol, interval, start, end, market=MarketType.SPOT)
    days = job.get("days")
    if days is not None and len(bars.open_time):
        last = datetime.fromtimestamp(int(bars.open_time[-1]) / 1000, UTC)
        first_ms = int((last - timedelta(days=float(days))).timestamp() * 1000)
        import numpy as np

        lo = int(np.searchsorted(np.asarray(bars.open_time), first_ms))
        bars = bars.take(slice(lo, None))
    return f"binance spot {symbol} {interval}", bars


def _spec(job: dict[str, Any], horizon: int) -> Any:
    from ai_engine.ml.labels import BarrierSpec

    spec = BarrierSpec(
        int(job.get("horizon", horizon)),
        float(job.get("take_profit", 0.004)),
        float(job.get("stop_loss", 0.004)),
        float(job.get("fee_round_trip", 0.002)),
    )
    spec.check()
    return spec


def _config(job: dict[str, Any]) -> Any:
    from ai_engine.ml.train import TrainConfig

    return TrainConfig(num_threads=1, **dict(job.get("config") or {}))


def register(app: Any) -> None:
    """Define the model tasks on ``app`` (see ``tasks.register`` for why ``shared=False``)."""
    from ai_engine.workers.app import context_of

    @app.task(name=TRAIN, shared=False)  # type: ignore[untyped-decorator]
    def ml_train(job: dict[str, Any]) -> dict[str, Any]:
        from ai_engine.ml.pipeline import train_and_register

        settings = context_of(app).settings
        series, bars = _load(settings, job)
        model_id, result, meta = train_and_register(
            bars,
            series=series,
            spec=_spec(job, 30),
            root=settings.models_root,
            config=_config(job),
            tune_trials=int(job.get("tune", 0)),
            promote=bool(job.get("promote", True)),
            actor=str(job.get("actor", "api")),
        )
        return {
            "model_id": model_id,
            "series": series,
            "rows": meta["rows"],
            "oos": result.oos.to_dict(),
            "promoted": result.promoted,
            "reasons": result.reasons,
        }

    @app.task(name=RETRAIN, shared=False)  # type: ignore[untyped-decorator]
    def ml_retrain(job: dict[str, Any] | None = None) -> dict[str, Any]:
        from ai_engine.ml.retrain import retrain

        settings = context_of(app).settings
        merged: dict[str, Any] = {
            "symbol": settings.ml_retrain_symbol,
            "interval": settings.ml_retrain_interval,
            "days": settings.ml_retrain_days,
            **(job or {}),
        }
        series, bars = _load(settings, merged)
        outcome = retrain(
            bars,
            series=series,
            spec=_spec(merged, settings.ml_retrain_horizon),
            root=settings.models_root,
            config=_config(merged),
            actor=str(merged.get("actor", "beat")),
        )
        return outcome.to_dict()
