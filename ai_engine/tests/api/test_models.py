"""GET /api/v1/models[/{id}], POST /api/v1/models/{id}/promote, POST /api/v1/models/train and
the model's part in GET /api/v1/signals, with the real app, a real registry trained on the
sample bars, and (for training jobs) real Redis and a real Celery worker."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping for start_worker
import numpy as np
import pytest
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from ai_engine.api.app import create_app
from ai_engine.marketdata import BarStore
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.pipeline import train_and_register
from ai_engine.ml.serving import ModelServer, promoted_id
from ai_engine.ml.train import TrainConfig
from ai_engine.settings import Settings
from ai_engine.strategies import MarketInput, get
from ai_engine.strategies.live import latest
from ai_engine.workers.app import close_celery, make_celery

from .tokens import AUTH, TOKEN

URL = "/api/v1/models"
# Barriers under which a model of the sample BTC days passes the (real) promotion rule.
SPEC = BarrierSpec(horizon=30, take_profit=0.002, stop_loss=0.002, fee_round_trip=0.0)
CFG = TrainConfig(num_threads=1, num_boost_round=60, cv_splits=2, min_signals=10)

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture(scope="module")
def trained(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("models")
    # The three vendored BTCUSDT days (what tests/ml trains on), whatever else the store holds.
    start, end = datetime(2023, 3, 23, tzinfo=UTC), datetime(2023, 3, 26, tzinfo=UTC)
    bars = BarStore(sample_store).load_bars("BTCUSDT", "1m", start, end)
    model_id, result, _ = train_and_register(
        bars, series="binance spot BTCUSDT 1m", spec=SPEC, root=root, config=CFG, promote=True
    )
    assert result.promoted, result.reasons
    return root, model_id


@pytest.fixture
def models(trained: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "models"
    shutil.copytree(trained[0], root)
    return root, trained[1]


@pytest.fixture
def app_with(sample_store: Path) -> Iterator[Callable[..., TestClient]]:
    made: list[TestClient] = []

    def make(models_dir: Path, redis_url: str | None = None) -> TestClient:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=sample_store,
            models_dir=models_dir,
            api_token=TOKEN,  # type: ignore[arg-type]
        )
        client = TestClient(create_app(settings, redis_url=redis_url))
        made.append(client)
        return client

    yield make
    for client in made:
        client.app.state.models.close()  # type: ignore[attr-defined]


def test_the_routes_need_the_token(app_with: Callable[..., TestClient], tmp_path: Path) -> None:
    client = app_with(tmp_path / "none")
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/x", headers={"Authorization": "Bearer no"}).status_code == 401
    assert client.post(f"{URL}/train", json={"symbol": "BTCUSDT"}).status_code == 401


def test_no_model_serving_disabled_with_the_reason_everywhere(
    app_with: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = app_with(tmp_path / "none")
    body = client.get(URL, headers=AUTH).json()
    assert body["models"] == []
    assert body["serving"]["serving"] is False
    assert "no promoted model" in body["serving"]["reason"]
    signal = client.get(
        "/api/v1/signals/BTCUSDT", params={"strategy": "ml_lightgbm"}, headers=AUTH
    ).json()
    assert signal["action"] == "HOLD"
    assert signal["model"]["serving"] is False
    assert "no promoted model" in signal["model"]["reason"]
    assert signal["model"]["probability"] is None
    assert any("no model probability" in r for r in signal["reasons"])
    plain = client.get("/api/v1/signals/BTCUSDT", headers=AUTH).json()
    assert plain["model"]["serving"] is False  # every signal says so, whatever the strategy
    assert plain["model"]["probability"] is None


def test_list_and_card_of_the_served_model(
    app_with: Callable[..., TestClient], models: tuple[Path, str]
) -> None:
    root, model_id = models
    client = app_with(root)
    body = client.get(URL, headers=AUTH).json()
    assert body["serving"] == {
        "serving": True, "model_id": model_id, "reason": f"serving {model_id}", "error": None,
    }  # fmt: skip
    [listed] = body["models"]
    assert listed["id"] == model_id
    assert listed["promoted"] is True
    assert listed["serving"] is True
    assert listed["passed_rule"] is True
    assert listed["calibration"] == "isotonic"
    assert 0 < listed["metrics"]["auc"] < 1
    assert listed["metrics"]["brier"] > 0
    assert listed["features"] > 20
    one = client.get(f"{URL}/{model_id}", headers=AUTH).json()
    assert one["card"].startswith(f"# Model {model_id}")
    assert "## Calibration" in one["card"]
    assert one["meta"]["sha256"]
    assert one["meta"]["interval_ms"] == 60_000
    assert client.get(f"{URL}/lgbm-nope", headers=AUTH).status_code == 404
    assert client.get(f"{URL}/..%2Fetc", headers=AUTH).status_code == 404


def test_signals_carry_the_model_probability(
    app_with: Callable[..., TestClient], models: tuple[Path, str], sample_store: Path
) -> None:
    root, model_id = models
    client = app_with(root)
    server = ModelServer(root)
    server.load_promoted()
    bars = BarStore(sample_store).load_bars("BTCUSDT", "1m")
    expected = server.latest(bars)
    assert expected is not None
    params = {"strategy": "ml_lightgbm", "params": f"p_enter={expected:.6f},p_exit=0.0"}
    body = client.get("/api/v1/signals/BTCUSDT", params=params, headers=AUTH).json()
    assert body["model"]["serving"] is True
    assert body["model"]["model_id"] == model_id
    assert body["model"]["probability"] == pytest.approx(expected, abs=1e-9)
    model = next(c for c in body["components"] if c["name"] == "model")
    assert model["value"] == pytest.approx(expected, abs=1e-9)
    entry = expected >= float(f"{expected:.6f}")
    assert body["action"] == ("BUY" if entry else "HOLD")
    composite = client.get(
        "/api/v1/signals/BTCUSDT",
        params={"strategy": "composite_score", "params": "model_weight=0.5"},
        headers=AUTH,
    ).json()
    assert composite["model"]["probability"] == pytest.approx(expected, abs=1e-9)
    assert [c["name"] for c in composite["components"]][-1] == "model"
    # The default composite_score (weight 0) trades without it, but still reports it (for the
    # ensemble), and its decision is the one computed without any model.
    plain = client.get("/api/v1/signals/BTCUSDT", headers=AUTH).json()
    assert plain["model"]["probability"] == pytest.approx(expected, abs=1e-9)
    assert "model" not in [c["name"] for c in plain["components"]]
    alone = latest(get("composite_score"), MarketInput.from_bars(bars, 60_000))
    assert plain["score"] == alone.score
    assert plain["action"] == alone.action.value
    again = client.get("/api/v1/signals/BTCUSDT", headers=AUTH).json()  # from the cache
    assert again["model"] == plain["model"]
    # 5m bars: the model was trained on 1m bars, so it does not serve them (and says why).
    five = client.get(
        "/api/v1/signals/BTCUSDT", params={"strategy": "ml_lightgbm", "interval": "5m"},
        headers=AUTH,
    ).json()  # fmt: skip
    assert five["model"]["serving"] is False
    assert "60 s bars, not 300 s bars" in five["model"]["reason"]
    assert five["action"] == "HOLD"


def test_a_corrupt_artifact_is_refused_and_the_previous_model_keeps_serving(
    app_with: Callable[..., TestClient], models: tuple[Path, str]
) -> None:
    root, model_id = models
    bad = "lgbm-20991231T000000-corrupted001"
    shutil.copytree(root / model_id, root / bad)
    data = bytearray((root / bad / "model.txt").read_bytes())
    data[len(data) // 2] ^= 0x01
    (root / bad / "model.txt").write_bytes(bytes(data))
    client = app_with(root)
    refused = client.post(f"{URL}/{bad}/promote", headers=AUTH)
    assert refused.status_code == 409
    assert "sha256" in refused.json()["detail"]
    assert "refused" in refused.json()["detail"]
    body = client.get(URL, headers=AUTH).json()
    assert body["serving"]["model_id"] == model_id
    assert promoted_id(root) == model_id
    signal = client.get(
        "/api/v1/signals/BTCUSDT", params={"strategy": "ml_lightgbm"}, headers=AUTH
    ).json()
    assert signal["model"]["model_id"] == model_id
    # The pointer moved to the corrupt model behind the API's back (a bad deploy): the API
    # refuses it on refresh and keeps serving the previous model, showing the error.
    (root / "PROMOTED").write_text(bad + "\n")
    body = client.get(URL, headers=AUTH).json()
    assert body["serving"]["serving"] is True
    assert body["serving"]["model_id"] == model_id
    assert bad in body["serving"]["error"]
    assert "sha256" in body["serving"]["error"]
    # An API starting now has nothing to fall back on: serving disabled, the reason shown.
    fresh = app_with(root).get(URL, headers=AUTH).json()
    assert fresh["serving"]["serving"] is False
    assert "sha256" in fresh["serving"]["reason"]
    assert client.post(f"{URL}/{model_id}/promote", headers=AUTH).json()["model_id"] == model_id
    assert client.post(f"{URL}/lgbm-nope/promote", headers=AUTH).status_code == 404


def test_train_without_redis_is_503(app_with: Callable[..., TestClient], tmp_path: Path) -> None:
    client = app_with(tmp_path / "m")
    response = client.post(f"{URL}/train", json={"symbol": "BTCUSDT"}, headers=AUTH)
    assert response.status_code == 503
    assert "no Redis" in response.json()["detail"]
    bad = client.post(f"{URL}/train", json={"symbol": "BTCUSDT", "horizon": 0}, headers=AUTH)
    assert bad.status_code == 422


def test_train_job_on_a_real_worker(
    app_with: Callable[..., TestClient], tmp_path: Path, redis_url: str, sample_store: Path
) -> None:
    root = tmp_path / "models"
    client = app_with(root, redis_url)
    worker_settings = Settings(_env_file=None, data_dir=sample_store, models_dir=root)  # type: ignore[call-arg]
    worker_app: Any = make_celery(worker_settings, redis_url=redis_url)
    job = {
        "symbol": "BTCUSDT", "days": 3, "horizon": 30, "take_profit": 0.002,
        "stop_loss": 0.002, "fee_round_trip": 0.0,
    }  # fmt: skip
    try:
        with start_worker(
            worker_app, pool="solo", concurrency=1, queues=["research"],
            perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING",
        ):  # fmt: skip
            accepted = client.post(f"{URL}/train", json=job, headers=AUTH)
            assert accepted.status_code == 202
            job_id = accepted.json()["id"]
            assert accepted.headers["Location"] == f"{URL}/jobs/{job_id}"
            deadline = time.monotonic() + 120
            status: dict[str, Any] = {}
            while time.monotonic() < deadline:
                status = client.get(f"{URL}/jobs/{job_id}", headers=AUTH).json()
                if status["status"] in ("done", "failed"):
                    break
                time.sleep(0.2)
    finally:
        close_celery(worker_app)
    assert status["status"] == "done", status
    model_id = status["result"]["model_id"]
    listed = client.get(URL, headers=AUTH).json()
    assert [m["id"] for m in listed["models"]] == [model_id]
    assert listed["models"][0]["passed_rule"] == status["result"]["promoted"]
    if status["result"]["promoted"]:  # promote=True by default: the API picks it up
        assert listed["serving"]["model_id"] == model_id
    assert np.isfinite(status["result"]["oos"]["auc"])
