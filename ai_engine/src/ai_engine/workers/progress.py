"""Progress of a fanned-out search, in Redis, readable by anyone while it runs.

One hash per run, ``tradingbot:progress:<run_id>``, fields ``total`` and ``done`` (parameter
sets). The coordinator sets ``total`` when the search starts; every worker adds the size of a
batch to ``done`` when the batch is finished, so ``done`` counts finished work whichever worker
did it. Keys expire a day after the last update.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

PREFIX = "tradingbot:progress:"
TTL_S = 24 * 3600


def key_of(run_id: str) -> str:
    return PREFIX + run_id


@dataclass
class RedisProgress:
    """A ``backtest.optimize.Progress`` sink writing to Redis."""

    redis_url: str
    run_id: str

    def start(self, total: int) -> None:
        with redis.Redis.from_url(self.redis_url) as client:
            client.hset(key_of(self.run_id), mapping={"total": total, "done": 0})
            client.expire(key_of(self.run_id), TTL_S)

    def advance(self, done: int) -> None:
        advance(self.redis_url, self.run_id, done)


def advance(redis_url: str, run_id: str, done: int) -> None:
    with redis.Redis.from_url(redis_url) as client:
        client.hincrby(key_of(run_id), "done", done)
        client.expire(key_of(run_id), TTL_S)


def read(redis_url: str, run_id: str) -> tuple[int, int] | None:
    """``(done, total)`` of a run, ``None`` when Redis knows no such run."""
    with redis.Redis.from_url(redis_url) as client:
        values = client.hgetall(key_of(run_id))
    if not values:
        return None
    return int(values.get(b"done", 0)), int(values.get(b"total", 0))
