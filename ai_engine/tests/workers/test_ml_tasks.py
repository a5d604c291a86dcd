"""research.ml_train and research.ml_retrain through the queue, on a real Celery worker and the
store of real sample bars; the beat entry exists only when configured."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from ai_engine.ml.serving import history, promoted_id
from ai_engine.settings import Settings
from ai_engine.workers.app import close_celery, make_celery
from ai_engine.workers.ml_tasks import RETRAIN, TRAIN

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")

# Barriers and rules under which the sample days give a model that passes the promotion rule
# (a fee-free venue; the rule is the real one): see tests/ml/conftest.py.
JOB: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "interval": "1m",
    "days": 3,
    "horizon": 30,
    "take_profit": 0.002,
    "stop_loss": 0.002,
    "fee_round_trip": 0.0,
    "config": {"num_boost_round": 60, "cv_splits": 2, "min_signals": 10},
}


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def ml_app(research_store: Path, redis_url: str, models_dir: Path) -> Iterator[Any]:
    settings = Settings(_env_file=None, data_dir=research_store, models_dir=models_dir)  # type: ignore[call-arg]
    app = make_celery(settings, redis_url=redis_url)
    yield app
    close_celery(app)


def test_retrain_through_the_queue_promotes_then_keeps(
    ml_app: Any,
    research_worker: Callable[[Any], AbstractContextManager[Any]],
    models_dir: Path,
) -> None:
    with research_worker(ml_app):
        first = ml_app.send_task(RETRAIN, args=[JOB], queue="research").get(timeout=120)
        assert first["promoted"], first["reasons"]
        assert promoted_id(models_dir) == first["candidate"]
        second = ml_app.send_task(RETRAIN, args=[JOB], queue="research").get(timeout=120)
    assert not second["promoted"]
    assert second["serving"] == first["candidate"]
    assert promoted_id(models_dir) == first["candidate"]
    assert any("not above the served model's" in r for r in second["reasons"])
    assert [e["action"] for e in history(models_dir)] == ["promote", "keep"]


def test_train_job_through_the_queue(
    ml_app: Any,
    research_worker: Callable[[Any], AbstractContextManager[Any]],
    models_dir: Path,
) -> None:
    job = {**JOB, "take_profit": 0.004, "stop_loss": 0.004, "fee_round_trip": 0.002}
    with research_worker(ml_app):
        out = ml_app.send_task(TRAIN, args=[job], queue="research").get(timeout=120)
        bad = ml_app.send_task(TRAIN, args=[{**job, "symbol": "NOPEUSDT"}], queue="research")
        with pytest.raises(Exception, match="NOPEUSDT"):
            bad.get(timeout=60)
    assert (models_dir / out["model_id"] / "card.md").is_file()
    assert out["series"] == "binance spot BTCUSDT 1m"
    assert out["oos"]["auc"] is not None
    assert not out["promoted"]  # spot fees: the rule refuses it, so nothing is served
    assert promoted_id(models_dir) is None


def test_the_beat_entry_is_off_unless_configured(research_store: Path, redis_url: str) -> None:
    off = make_celery(Settings(_env_file=None), redis_url=redis_url)  # type: ignore[call-arg]
    on = make_celery(
        Settings(_env_file=None, ml_retrain_every_s=3600),  # type: ignore[call-arg]
        redis_url=redis_url,
    )
    try:
        assert off.conf.beat_schedule == {}
        entry = on.conf.beat_schedule["ml-retrain"]
        assert entry["task"] == RETRAIN
        assert entry["schedule"] == 3600.0
        assert RETRAIN in on.tasks
        assert TRAIN in on.tasks
    finally:
        close_celery(off)
        close_celery(on)
