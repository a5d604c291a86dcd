"""The Celery application of the research workers, configured from ``Settings``.

``make_celery(settings, redis_url=..., database_url=...)`` builds an app (no global state):
Redis is both the broker and the result backend; the research tasks are routed to the
``research`` queue, the execution worker's ``orders.*`` to the ``orders`` queue
(``workers/orders.py``, configured with ``orders.configure``); messages are JSON; a worker
takes one task at a time (``prefetch_multiplier`` 1, acks after the task) so a long batch
never holds others back.
The app carries a ``WorkerContext`` (``context_of(app)``): the settings, the database URL and
the per-worker data cache tasks share.

``celery -A ai_engine.workers.app worker -Q research`` (docker-compose's ``worker``) finds the
module attribute ``app``: it is built on first access from ``Settings()`` (the environment),
with the URLs of ``tradingbot services up`` when none are configured.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from celery import Celery  # type: ignore[import-untyped]

from ai_engine.settings import Settings
from ai_engine.workers.cache import DataCache

QUEUE = "research"


class WorkerSetupError(RuntimeError):
    """The worker cannot start: no Redis (or database) to talk to."""


@dataclass
class WorkerContext:
    settings: Settings
    redis_url: str
    database_url: str | None
    cache: DataCache = field(default_factory=DataCache)


def make_celery(
    settings: Settings, *, redis_url: str | None = None, database_url: str | None = None
) -> Any:
    """A configured Celery app with the research tasks registered (see the module doc)."""
    broker = redis_url or settings.redis_url
    if not broker:
        raise WorkerSetupError(
            "no Redis URL for the research workers: set TRADINGBOT_REDIS_URL "
            "or run `tradingbot services up`"
        )
    db = database_url or (
        settings.database_url.get_secret_value() if settings.database_url else None
    )
    app = Celery("tradingbot", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_routes={"research.*": {"queue": QUEUE}, "orders.*": {"queue": "orders"}},
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # One backend (one Redis connection pool, thread-safe) per app instead of one per
        # thread: an API answering in a thread pool shares it, and close_celery closes it.
        result_backend_thread_safe=True,
    )
    app.tradingbot = WorkerContext(settings=settings, redis_url=broker, database_url=db)
    from ai_engine.workers import orders, tasks

    tasks.register(app)
    orders.register(app)  # the execution worker's task (``orders`` queue; see workers/orders.py)
    from ai_engine.workers import ml_tasks

    ml_tasks.register(app)  # research.ml_train / research.ml_retrain (workers/ml_tasks.py)
    from ai_engine.workers import news_tasks

    news_tasks.register(app)  # research.news_refresh (workers/news_tasks.py)
    # Each entry is off unless configured (ml_retrain_every_s, news_every_s).
    app.conf.beat_schedule = {
        **ml_tasks.beat_schedule(settings),
        **news_tasks.beat_schedule(settings),
    }
    return app


def close_celery(app: Any) -> None:
    """Close what ``app`` opened in this thread: broker connections and the result backend's
    Redis client (``app.close()`` alone drops the pool without closing its sockets).

    kombu keeps its pools in process-wide groups keyed by broker URL, so the closed pools are
    also dropped from those groups: the next app on the same broker in this process (a second
    replay, the next test) would otherwise be handed a closed pool ("Acquire on closed pool").
    """
    pool = app._pool
    if pool is not None:
        pool.force_close_all()
        _forget_pools(app)
    backend = app._backend_cache or getattr(app._local, "backend", None)
    if backend is not None:
        consumer = getattr(backend, "result_consumer", None)
        pubsub = getattr(consumer, "_pubsub", None)
        if pubsub is not None:
            pubsub.close()
        client = getattr(backend, "client", None)
        if client is not None:
            client.close()
            client.connection_pool.disconnect()
    app.close()


def _forget_pools(app: Any) -> None:
    from kombu import pools

    connection = app.connection_for_write()
    try:
        for group in (pools.producers, pools.connections):
            with contextlib.suppress(KeyError):
                del group[connection]
    finally:
        connection.release()


def context_of(app: Any) -> WorkerContext:
    context: WorkerContext = app.tradingbot
    return context


def default_app() -> Any:
    """The app `celery -A ai_engine.workers.app` runs: settings from the environment."""
    from ai_engine.infra.local_services import resolve_database_url, resolve_urls

    settings = Settings()
    urls = resolve_urls(settings)
    return make_celery(
        settings,
        redis_url=urls.redis_url if urls else settings.redis_url,
        database_url=resolve_database_url(settings),
    )


_DEFAULT: list[Any] = []


def __getattr__(name: str) -> Any:
    # PEP 562: `celery -A ai_engine.workers.app` reads `app`; build it only then, so importing
    # make_celery reads no environment.
    if name == "app":
        if not _DEFAULT:
            _DEFAULT.append(default_app())
        return _DEFAULT[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
