"""Shared session fixtures: real PostgreSQL and Redis, started by the same `up()` as
`tradingbot services up`, in a temporary var dir, stopped when the session ends.

    service_urls       session   ServiceUrls of the session's servers
    database_url       test      a fresh database, migrated to head (cloned from a template)
    blank_database_url test      a fresh empty database (for migration tests)
    redis_url          test      a Redis database number of its own, flushed
    service_var_dir    session   factory of var dirs the postgres user can reach (root-safe)
    local_settings     session   factory: Settings(var_dir, **overrides) isolated from the env

Tests using any of them are marked `services` automatically (deselect with -m "not services").
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

from ai_engine.infra import local_services
from ai_engine.infra.local_services import ServiceUrls
from ai_engine.infra.waiting import wait_until
from ai_engine.settings import Settings
from ai_engine.store import migrate

_SERVICE_FIXTURES = {"service_urls", "database_url", "blank_database_url", "redis_url"}
_TEMPLATE = "tradingbot_test_template"
_REDIS_DBS = itertools.cycle(range(1, 16))  # 0 is left to whatever else uses the server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


@pytest.fixture(scope="session")
def service_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Path]]:
    """Make var dirs for local servers.

    As root, PostgreSQL runs as the `postgres` user, which cannot enter pytest's temp root
    (mode 0700), so the dirs go under the system temp dir instead and are removed at the end.
    """
    made: list[Path] = []

    def make() -> Path:
        if os.geteuid() != 0:
            return tmp_path_factory.mktemp("var")
        path = Path(tempfile.mkdtemp(prefix="tradingbot-test-"))
        path.chmod(0o755)
        made.append(path)
        return path

    yield make
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


def _local_settings(var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "var_dir": var_dir,
        "database_url": None,
        "redis_url": None,
        "postgres_port": 0,
        "redis_port": 0,
    }
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def local_settings() -> Callable[..., Settings]:
    """Settings(var_dir, **overrides) for local servers on free ports that ignore the caller's
    environment: a developer's TRADINGBOT_DATABASE_URL must never get the tests' CREATE/DROP."""
    return _local_settings


@pytest.fixture(scope="session")
def service_urls(service_var_dir: Callable[[], Path]) -> Iterator[ServiceUrls]:
    settings = _local_settings(service_var_dir())
    try:
        yield local_services.up(settings)
    finally:
        local_services.down(settings)


@pytest.fixture(scope="session")
def _pg_admin(service_urls: ServiceUrls) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    url = make_url(service_urls.database_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as conn:
        # A throwaway cluster need not survive a crash: without fsync a per-test database
        # costs ~50 ms instead of ~350 ms. `up()` itself stays durable (it holds the record).
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
        conn.execute("SELECT pg_reload_conf()")
        assert wait_until(lambda: _setting(conn, "fsync") == "off", timeout=10)
        yield conn


def _setting(conn: psycopg.Connection[tuple[object, ...]], name: str) -> object:
    row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
    return row[0] if row else None


def _database(service_urls: ServiceUrls, name: str) -> str:
    url = make_url(service_urls.database_url).set(database=name)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _migrated_template(
    service_urls: ServiceUrls, _pg_admin: psycopg.Connection[tuple[object, ...]]
) -> str:
    # Migrating takes ~0.5 s, cloning a template a few ms: migrate once, clone per test.
    _pg_admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_TEMPLATE)))
    migrate.upgrade(_database(service_urls, _TEMPLATE))
    return _TEMPLATE


def _fresh_database(
    service_urls: ServiceUrls, admin: psycopg.Connection[tuple[object, ...]], template: str
) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    # FILE_COPY: with fsync off, copying the files beats WAL-logging every page.
    admin.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    )
    yield _database(service_urls, name)
    admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database_url(
    service_urls: ServiceUrls,
    _pg_admin: psycopg.Connection[tuple[object, ...]],
    _migrated_template: str,
) -> Iterator[str]:
    """A database of its own for this test, already at the newest migration."""
    yield from _fresh_database(service_urls, _pg_admin, _migrated_template)


@pytest.fixture
def blank_database_url(
    service_urls: ServiceUrls, _pg_admin: psycopg.Connection[tuple[object, ...]]
) -> Iterator[str]:
    """A database of its own for this test, never migrated."""
    yield from _fresh_database(service_urls, _pg_admin, "template0")


@pytest.fixture
def redis_url(service_urls: ServiceUrls) -> str:
    """A Redis database number for this test, emptied first."""
    url = f"{service_urls.redis_url.rsplit('/', 1)[0]}/{next(_REDIS_DBS)}"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url
