"""Celery queue depth, read from Redis when Prometheus scrapes (a custom collector).

With the Redis broker a Celery queue is a Redis list named after the queue; ``LLEN`` is the
number of messages waiting (not the ones a worker has taken). Priority queues (not configured
here) would add ``<queue>\\x06\\x16<n>`` lists. Redis down: the gauge is left out of the scrape
and ``tradingbot_celery_queue_up`` says 0, so a scrape never fails on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError

QUEUES = ("orders", "research")


class QueueDepthCollector(Collector):
    def __init__(self, redis: Redis, queues: Sequence[str] = QUEUES) -> None:
        self.redis = redis
        self.queues = tuple(queues)

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "tradingbot_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        up = GaugeMetricFamily(
            "tradingbot_celery_queue_up", "1 when the broker answered the depth query."
        )
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    pipe.llen(queue)
                lengths = pipe.execute()
        except RedisError:
            up.add_metric([], 0.0)
            yield up
            return
        for queue, length in zip(self.queues, lengths, strict=True):
            depth.add_metric([queue], float(length))
        up.add_metric([], 1.0)
        yield depth
        yield up
