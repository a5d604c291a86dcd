"""What /health reports: can the engine reach its database, Redis and market-data store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import redis

from ai_engine.marketdata.partitions import discover
from ai_engine.store.db import ping as ping_database


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str
    latency_ms: float


@dataclass(frozen=True, slots=True)
class HealthReport:
    database: Check
    redis: Check
    store: Check

    @property
    def ok(self) -> bool:
        return self.database.ok and self.redis.ok and self.store.ok

    def to_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "degraded",
            "database": asdict(self.database),
            "redis": asdict(self.redis),
            "store": asdict(self.store),
        }


def _timed(probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as exc:  # a health probe reports every failure, it never raises
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return Check(ok=ok, detail=detail, latency_ms=round((time.perf_counter() - started) * 1e3, 2))


def check_database(url: str | None) -> Check:
    def probe() -> str:
        if url is None:
            raise RuntimeError("no database configured (TRADINGBOT_DATABASE_URL)")
        if not ping_database(url):
            raise RuntimeError("database did not answer")
        return "answering"

    return _timed(probe)


def check_redis(url: str | None) -> Check:
    def probe() -> str:
        if url is None:
            raise RuntimeError("no Redis configured (TRADINGBOT_REDIS_URL)")
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            client.ping()
        finally:
            client.close()
        return "answering"

    return _timed(probe)


def check_store(root: Path) -> Check:
    def probe() -> str:
        if not root.is_dir():
            raise RuntimeError(f"store folder {root} does not exist (run `tradingbot data import`)")
        # Folder walk only: a health probe must stay cheap however large the store grows.
        return f"{len(discover(root))} series"

    return _timed(probe)


def check_health(database_url: str | None, redis_url: str | None, store_root: Path) -> HealthReport:
    return HealthReport(
        database=check_database(database_url),
        redis=check_redis(redis_url),
        store=check_store(store_root),
    )
