"""The model server's hook: a real LightGBM prediction (the ML tests' trained model) records its
inference time in the process metrics."""

from __future__ import annotations

from ml.conftest import btc, trained_root  # the ML tests' fixtures: real bars, a trained model
from prometheus_client import REGISTRY

from ai_engine.marketdata.frames import Bars
from ai_engine.ml.serving import ModelServer

__all__ = ["btc", "trained_root"]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_prediction_records_its_inference_time(trained_root: tuple, btc: Bars) -> None:
    path, model_id = trained_root
    server = ModelServer(path)
    assert server.load_promoted().serving
    before = sample("tradingbot_model_inference_seconds_count", model=model_id)
    assert server.latest(btc) is not None
    assert sample("tradingbot_model_inference_seconds_count", model=model_id) == before + 1
    assert sample("tradingbot_model_inference_seconds_sum", model=model_id) > 0
