"""The Celery worker's exporter (`--include ai_engine.metrics.celery_exporter`): started by the
worker's ready signal on TRADINGBOT_METRICS_PORT, serving the process's hook metrics, stopped
at shutdown; no port, no exporter."""

from __future__ import annotations

import httpx
import pytest
from celery.signals import worker_ready, worker_shutdown
from servers import free_port

from ai_engine.metrics import celery_exporter
from ai_engine.metrics.definitions import observe_inference


def test_started_on_ready_and_stopped_on_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv(celery_exporter.PORT_VARIABLE, str(port))
    worker_ready.send(sender=None)
    try:
        observe_inference("lgbm-test", 0.004)
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert page.status_code == 200
        assert 'tradingbot_model_inference_seconds_count{model="lgbm-test"}' in page.text
    finally:
        worker_shutdown.send(sender=None)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_no_port_no_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(celery_exporter.PORT_VARIABLE, raising=False)
    worker_ready.send(sender=None)
    assert celery_exporter._RUNNING == []
