"""An HTTP exporter for processes that are not the API: the trader, the workers, the alerts.

``start_exporter(registry, port=0)`` serves ``registry`` (default: prometheus_client's, where
``definitions.process_metrics()`` and the hook functions record) on ``addr:port`` in a daemon
thread; port 0 picks a free one (``Exporter.port`` says which). ``close()`` stops it.

Celery's prefork pool runs tasks in child processes, each with its own registry: run the
``orders`` worker with ``--pool solo`` or ``threads`` (what docker-compose does) so the parent's
exporter sees the task metrics, or set ``PROMETHEUS_MULTIPROC_DIR`` and serve a
``multiprocess.MultiProcessCollector`` (docs/operations.md).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server


@dataclass
class Exporter:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_exporter(
    registry: CollectorRegistry = REGISTRY, *, port: int = 0, addr: str = "127.0.0.1"
) -> Exporter:
    server, thread = start_http_server(port, addr=addr, registry=registry)
    return Exporter(server, thread)
