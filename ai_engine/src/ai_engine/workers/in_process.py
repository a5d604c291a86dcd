"""An orders worker inside this process: the replay's and the paper/testnet/live runs'
composition roots (``trader/replay.py``, ``trader/live.py``), the trader soak and the fault
drills run one next to their traders instead of a ``celery worker`` process of its own.

``with orders_worker(app, config):`` gives ``app``'s orders tasks their venue and limits
(``workers.orders.configure``), runs a Celery worker on the ``orders`` queue (or ``queue``) in
a thread, solo pool, one task at a time, and on leaving stops it, then closes ``config``
(the warm venue clients, the gate, the tasks' database engines). The app stays the caller's
(``make_celery`` / ``close_celery``): its broker outlives the worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ai_engine.workers.orders import QUEUE, OrdersConfig, configure


@contextlib.contextmanager
def orders_worker(app: Any, config: OrdersConfig, *, queue: str = QUEUE) -> Iterator[None]:
    """The module docstring's worker, for the ``with`` block's length."""
    from celery.contrib.testing.worker import start_worker  # type: ignore[import-untyped]

    configure(app, config)
    try:
        with start_worker(
            app, pool="solo", concurrency=1, queues=[queue], perform_ping_check=False,
            shutdown_timeout=30, loglevel="WARNING",
        ):  # fmt: skip
            yield
    finally:
        config.close()
