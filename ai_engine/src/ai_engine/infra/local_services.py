"""The local PostgreSQL and Redis the engine runs against: one implementation for the
`tradingbot services` CLI, `make demo` and the test fixtures.

Configured URLs (TRADINGBOT_DATABASE_URL / TRADINGBOT_REDIS_URL) win: they are checked and
reused, never replaced by a local server. Otherwise servers run under `settings.services_dir`,
detached so they outlive the command that started them, and are recorded in state.json.
`up` never runs migrations: it is about servers (see `ai_engine.store.migrate`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from ai_engine.infra import postgres_server as pg
from ai_engine.infra import redis_server
from ai_engine.infra.errors import ServiceError
from ai_engine.infra.ports import candidate_ports
from ai_engine.infra.processes import pid_alive, read_tail
from ai_engine.infra.state import ServerRecord, ServicesState, load_state, locked, save_state
from ai_engine.infra.urls import mask_url, postgres_url, redis_url
from ai_engine.infra.waiting import wait_until
from ai_engine.settings import Settings

DATABASE = "tradingbot"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

Origin = Literal["started", "reused", "none"]


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str  # postgresql+psycopg://postgres@127.0.0.1:PORT/tradingbot
    redis_url: str  # redis://127.0.0.1:PORT/0


@dataclass(frozen=True)
class ServiceStatus:
    """One server as `status` sees it. `origin`: started by `up` (ours to stop), a configured
    server we reuse, or nothing known."""

    name: str
    url: str | None
    running: bool
    answering: bool
    pid: int | None
    origin: Origin

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, with any password in the URL masked."""
        return {**asdict(self), "url": mask_url(self.url) if self.url else None}


@dataclass(frozen=True)
class ServicesStatus:
    postgres: ServiceStatus
    redis: ServiceStatus

    def as_dict(self) -> dict[str, object]:
        return {"postgres": self.postgres.as_dict(), "redis": self.redis.as_dict()}


def up(settings: Settings) -> ServiceUrls:
    """Make both services answer and return their URLs (idempotent).

    Raises ServiceError when a configured server does not answer, or a local one cannot start.
    """
    database = _configured_database(settings)
    redis = settings.redis_url
    if database is not None:
        _require_answer("PostgreSQL", "TRADINGBOT_DATABASE_URL", database, pg.problem(database))
    if redis is not None:
        _require_answer("Redis", "TRADINGBOT_REDIS_URL", redis, redis_server.problem(redis))
    if database is not None and redis is not None:
        return ServiceUrls(database, redis)  # nothing to start, nothing to record
    services = settings.services_dir
    with locked(services):
        state = load_state(services)
        if database is None:
            record = _up_postgres(settings, state.postgres)
            state = ServicesState(postgres=record, redis=state.redis)
            save_state(services, state)  # before Redis starts, so a failure there leaks nothing
            database = record.url
        if redis is None:
            record = _up_redis(settings, state.redis)
            state = ServicesState(postgres=state.postgres, redis=record)
            save_state(services, state)
            redis = record.url
    return ServiceUrls(database, redis)


def down(settings: Settings) -> None:
    """Stop the servers running from `settings.services_dir`; configured servers are untouched.

    The cluster's data stays, so the next `up` reuses it (and its databases).
    """
    services = settings.services_dir
    if not services.is_dir():
        return
    with locked(services):
        recorded = load_state(services).redis
        if (pg.data_dir(_pg_root(settings)) / "PG_VERSION").exists():
            pg.stop(_pg_root(settings), STOP_TIMEOUT)
        pid = redis_server.read_pid(_redis_root(settings))
        if pid is not None:
            port = recorded.port if recorded is not None else None
            redis_server.stop(_redis_root(settings), pid, port, STOP_TIMEOUT)
        save_state(services, ServicesState())


def status(settings: Settings) -> ServicesStatus:
    """What runs and answers, without starting or stopping anything."""
    state = load_state(settings.services_dir)
    database = _configured_database(settings)
    if database is not None:
        postgres = _reused("postgres", database, pg.problem(database) is None)
    else:
        running = pg.postmaster(_pg_root(settings))
        if running is not None:
            answering = pg.serves(_pg_root(settings), running.port)
            url = postgres_url(running.port, DATABASE)
            postgres = ServiceStatus("postgres", url, True, answering, running.pid, "started")
        else:
            postgres = _stopped("postgres", state.postgres)
    if settings.redis_url is not None:
        redis = _reused(
            "redis", settings.redis_url, redis_server.problem(settings.redis_url) is None
        )
    else:
        pid = redis_server.read_pid(_redis_root(settings))
        if pid is not None and pid_alive(pid) and state.redis is not None:
            answering = redis_server.server_pid(state.redis.port) == pid
            redis = ServiceStatus("redis", state.redis.url, True, answering, pid, "started")
        else:
            redis = _stopped("redis", state.redis)
    return ServicesStatus(postgres, redis)


def resolve_urls(settings: Settings) -> ServiceUrls | None:
    """Configured URLs, else those recorded by `up`; None unless both are known.

    Cheap (no connection is made): callers that need a live server call `up` instead.
    """
    database = resolve_database_url(settings)
    redis = settings.redis_url
    if redis is None:
        recorded = load_state(settings.services_dir).redis
        redis = recorded.url if recorded is not None else None
    if database is None or redis is None:
        return None
    return ServiceUrls(database, redis)


def resolve_database_url(settings: Settings) -> str | None:
    """The configured database URL, else the one recorded by `up`, else None."""
    configured = _configured_database(settings)
    if configured is not None:
        return configured
    recorded = load_state(settings.services_dir).postgres
    return recorded.url if recorded is not None else None


def _up_postgres(settings: Settings, previous: ServerRecord | None) -> ServerRecord:
    root = _pg_root(settings)
    pg.ensure_cluster(root)  # initdb the first time only; later starts reuse the cluster
    running = pg.postmaster(root)
    if running is None:
        ports = candidate_ports(settings.postgres_port, previous.port if previous else None)
        running = pg.start(root, ports, START_TIMEOUT)
    port = running.port
    # A live postmaster may still be recovering; also make sure the port is really ours.
    if not wait_until(lambda: pg.serves(root, port), START_TIMEOUT):
        tail = read_tail(pg.log_file(root))
        raise ServiceError(
            f"PostgreSQL (pid {running.pid}) in {root} does not answer on port {port}:\n{tail}"
        )
    pg.ensure_database(port, DATABASE)
    return ServerRecord(postgres_url(port, DATABASE), port, running.pid)


def _up_redis(settings: Settings, previous: ServerRecord | None) -> ServerRecord:
    root = _redis_root(settings)
    if previous is not None:
        alive = redis_server.running(root, previous.port)
        if alive is not None:
            return ServerRecord(previous.url, alive.port, alive.pid)
        # Recorded but not answering: a hung process would keep the port, stop it first.
        redis_server.stop(root, previous.pid, previous.port, STOP_TIMEOUT)
    ports = candidate_ports(settings.redis_port, previous.port if previous else None)
    started = redis_server.start(root, ports, START_TIMEOUT)
    return ServerRecord(redis_url(started.port), started.port, started.pid)


def _require_answer(name: str, variable: str, url: str, problem: str | None) -> None:
    if problem is not None:
        raise ServiceError(
            f"{name} at {mask_url(url)} ({variable}) does not answer: {problem}\n"
            f"Start that server, or unset {variable} to let `tradingbot services up` "
            "start a local one."
        )


def _configured_database(settings: Settings) -> str | None:
    secret = settings.database_url
    return secret.get_secret_value() if secret is not None else None


def _reused(name: str, url: str, answering: bool) -> ServiceStatus:
    return ServiceStatus(name, url, answering, answering, None, "reused")


def _stopped(name: str, record: ServerRecord | None) -> ServiceStatus:
    url = record.url if record is not None else None
    return ServiceStatus(name, url, False, False, None, "started" if record else "none")


def _pg_root(settings: Settings) -> Path:
    return (settings.services_dir / "postgres").resolve()


def _redis_root(settings: Settings) -> Path:
    return (settings.services_dir / "redis").resolve()
