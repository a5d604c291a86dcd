"""The API's ``/metrics``: catch up with the event stream, then render (plus the API process's
own hook metrics from the default registry).

``StreamScraper.catch_up()`` reads the entries added since the last scrape (at most
``max_per_scrape``, in pages of 1000) into ``EventMetrics``; the first scrape starts
``lookback`` before now, so gauges (equity, positions, state) are right after an API restart
without replaying the whole stream into the counters. Nothing runs between scrapes: no thread,
no task. A Redis outage is counted (``tradingbot_metrics_stream_errors_total``) and the scrape
still answers with what it has.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from redis import Redis
from redis.exceptions import RedisError

from ai_engine.events import read_events
from ai_engine.metrics.definitions import new_registry
from ai_engine.metrics.queues import QueueDepthCollector
from ai_engine.metrics.stream import EventMetrics


class StreamScraper:
    def __init__(
        self,
        redis: Redis | None,
        *,
        registry: CollectorRegistry | None = None,
        lookback: timedelta = timedelta(minutes=15),
        max_per_scrape: int = 50_000,
    ) -> None:
        self.registry = registry or new_registry()
        self.redis = redis
        self.events = EventMetrics(self.registry)
        self.errors = Counter(
            "tradingbot_metrics_stream_errors",
            "Scrapes that could not read the event stream.",
            registry=self.registry,
        )
        if redis is not None:
            self.registry.register(QueueDepthCollector(redis))
        self.after = f"{int((time.time() - lookback.total_seconds()) * 1000)}-0"
        self.max_per_scrape = max_per_scrape
        self._lock = threading.Lock()

    def catch_up(self) -> int:
        if self.redis is None:
            return 0
        done = 0
        with self._lock:
            try:
                while done < self.max_per_scrape:
                    entries = read_events(self.redis, self.after, count=1000)
                    if not entries:
                        break
                    self.events.apply_all(entries)
                    self.after, done = entries[-1][0], done + len(entries)
            except RedisError:
                self.errors.inc()
        return done

    def render(self) -> bytes:
        """This scraper's metrics, then the process's own (default registry: the hooks of
        ``definitions``, Python's process and GC collectors); the names never overlap."""
        self.catch_up()
        return generate_latest(self.registry) + generate_latest(REGISTRY)
