"""up / status / down against real servers, in a var dir of this module's own (the session's
servers are only ever reused here, never stopped or killed)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis

from ai_engine.infra import local_services, postgres_server
from ai_engine.infra.errors import ServiceError
from ai_engine.infra.local_services import ServiceUrls
from ai_engine.infra.ports import free_port
from ai_engine.infra.processes import pid_alive
from ai_engine.infra.urls import libpq_url
from ai_engine.infra.waiting import wait_until
from ai_engine.settings import Settings

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def own(
    service_var_dir: Callable[[], Path], local_settings: Callable[..., Settings]
) -> Iterator[Settings]:
    """Settings whose servers this module may start, kill and stop."""
    settings = local_settings(service_var_dir())
    try:
        yield settings
    finally:
        local_services.down(settings)


def _answers(urls: ServiceUrls) -> bool:
    with psycopg.connect(libpq_url(urls.database_url), connect_timeout=2) as conn:
        conn.execute("SELECT 1")
    with redis.Redis.from_url(urls.redis_url, socket_timeout=2) as client:
        return bool(client.ping())


def _pids(settings: Settings) -> tuple[int | None, int | None]:
    current = local_services.status(settings)
    return current.postgres.pid, current.redis.pid


def test_up_status_down_round_trip(own: Settings) -> None:
    urls = local_services.up(own)
    assert urls.database_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert urls.database_url.endswith("/tradingbot")
    assert urls.redis_url.startswith("redis://127.0.0.1:")
    assert _answers(urls)
    assert local_services.resolve_urls(own) == urls

    up_status = local_services.status(own)
    for service in (up_status.postgres, up_status.redis):
        assert (service.running, service.answering, service.origin) == (True, True, "started")
        assert service.pid is not None
    assert up_status.postgres.url == urls.database_url

    local_services.down(own)
    pids = [up_status.postgres.pid, up_status.redis.pid]
    assert wait_until(lambda: not any(pid_alive(pid) for pid in pids if pid), 10)
    down_status = local_services.status(own)
    assert not down_status.postgres.running
    assert not down_status.redis.answering
    assert local_services.resolve_urls(own) is None


def test_up_is_idempotent(own: Settings) -> None:
    first = local_services.up(own)
    pids = _pids(own)
    assert local_services.up(own) == first
    assert _pids(own) == pids  # nothing was restarted


def test_up_restarts_killed_servers_on_the_same_cluster(own: Settings) -> None:
    urls = local_services.up(own)
    with psycopg.connect(libpq_url(urls.database_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS survives_crash (x int)")
    old = _pids(own)
    for pid in old:
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not any(pid_alive(pid) for pid in old if pid), 10)

    again = local_services.up(own)
    assert _answers(again)
    assert set(_pids(own)).isdisjoint(old)
    with psycopg.connect(libpq_url(again.database_url)) as conn:  # same cluster, data kept
        assert conn.execute("SELECT to_regclass('survives_crash')").fetchone() == (
            "survives_crash",
        )


def test_servers_outlive_the_process_that_started_them(own: Settings) -> None:
    local_services.down(own)
    script = (
        "import sys; from ai_engine.infra.local_services import up; "
        "from ai_engine.settings import Settings; "
        "up(Settings(_env_file=None, var_dir=sys.argv[1], database_url=None, redis_url=None))"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(own.var_dir)],
        check=True,
        timeout=60,
        capture_output=True,
    )
    current = local_services.status(own)
    assert current.postgres.answering
    assert current.redis.answering


def test_taken_port_moves_postgres_to_the_next_candidate(own: Settings) -> None:
    local_services.down(own)
    root = own.services_dir / "postgres"
    with _listening() as busy:
        spare = free_port()
        started = postgres_server.start(root, iter([busy, spare]), timeout=30)
    assert started.port == spare
    assert postgres_server.serves(root, spare)


def test_configured_reachable_servers_are_reused(
    service_urls: ServiceUrls, tmp_path: Path, local_settings: Callable[..., Settings]
) -> None:
    settings = local_settings(
        tmp_path, database_url=service_urls.database_url, redis_url=service_urls.redis_url
    )
    assert local_services.up(settings) == service_urls
    assert not settings.services_dir.exists()  # nothing started, nothing recorded
    current = local_services.status(settings)
    assert (current.postgres.origin, current.redis.origin) == ("reused", "reused")
    assert current.postgres.answering
    assert current.redis.answering

    local_services.down(settings)
    assert _answers(service_urls)  # never ours to stop


@pytest.mark.parametrize(
    ("field", "variable"),
    [("database_url", "TRADINGBOT_DATABASE_URL"), ("redis_url", "TRADINGBOT_REDIS_URL")],
)
def test_configured_unreachable_server_is_a_clear_error(
    field: str, variable: str, tmp_path: Path, local_settings: Callable[..., Settings]
) -> None:
    port = free_port()  # nothing listens there
    scheme = "postgresql+psycopg" if field == "database_url" else "redis"
    settings = local_settings(tmp_path, **{field: f"{scheme}://u:sekret@127.0.0.1:{port}/0"})
    with pytest.raises(ServiceError, match=rf"\({variable}\) does not answer") as raised:
        local_services.up(settings)
    assert "sekret" not in str(raised.value)
    assert ":***@" in str(raised.value)
    assert not settings.services_dir.exists()  # did not fall back to starting a server


def test_fixed_redis_port_in_use_is_an_error(
    service_urls: ServiceUrls, tmp_path: Path, local_settings: Callable[..., Settings]
) -> None:
    with _listening() as busy:
        settings = local_settings(tmp_path, database_url=service_urls.database_url, redis_port=busy)
        with pytest.raises(ServiceError, match=rf"tried \[{busy}\]: address in use"):
            local_services.up(settings)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to `postgres`")
def test_var_dir_the_postgres_user_cannot_reach_is_a_clear_error(
    tmp_path: Path, local_settings: Callable[..., Settings]
) -> None:
    # pytest's temp root is mode 0700: exactly the trap the message must explain.
    settings = local_settings(tmp_path / "var")
    with pytest.raises(ServiceError, match="TRADINGBOT_VAR_DIR"):
        local_services.up(settings)


@contextmanager
def _listening() -> Iterator[int]:
    """A port bound and listening, as another session's server would hold it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]
