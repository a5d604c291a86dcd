"""A Prometheus exporter inside a Celery worker: ``celery ... worker --include
ai_engine.metrics.celery_exporter``.

Celery imports ``--include`` modules when the worker starts; this one serves the worker's default
registry (the hook metrics of ``definitions`` its tasks record, Python's process collectors) on
``TRADINGBOT_METRICS_PORT`` (read here, at the worker's edge; unset: no exporter) once the worker
is ready, and stops it at shutdown. Run such a worker with ``--pool solo`` or ``threads``: with the
prefork pool the tasks run in child processes whose metrics this exporter would not see
(docs/operations.md, "Metrics from Celery").
"""

from __future__ import annotations

import os
from typing import Any

from celery.signals import worker_ready, worker_shutdown  # type: ignore[import-untyped]

from ai_engine.metrics.exporter import Exporter, start_exporter

PORT_VARIABLE = "TRADINGBOT_METRICS_PORT"
_RUNNING: list[Exporter] = []


def start(**_: Any) -> None:
    port = os.environ.get(PORT_VARIABLE, "").strip()
    if port and not _RUNNING:
        _RUNNING.append(start_exporter(port=int(port), addr="0.0.0.0"))


def stop(**_: Any) -> None:
    while _RUNNING:
        _RUNNING.pop().close()


worker_ready.connect(start, weak=False)
worker_shutdown.connect(stop, weak=False)
