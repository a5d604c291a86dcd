"""`tradingbot services ...` through the real CLI root (settings from the environment)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.infra.local_services import ServiceUrls

pytestmark = pytest.mark.services


def _env(var_dir: Path, **extra: str) -> dict[str, str | None]:
    # None removes a variable: the developer's own URLs must not leak into these runs.
    base: dict[str, str | None] = {
        "TRADINGBOT_VAR_DIR": str(var_dir),
        "TRADINGBOT_DATABASE_URL": None,
        "TRADINGBOT_REDIS_URL": None,
        "TRADINGBOT_POSTGRES_PORT": None,
        "TRADINGBOT_REDIS_PORT": None,
    }
    return {**base, **extra}


def test_up_status_env_down(service_var_dir: Callable[[], Path]) -> None:
    runner = CliRunner()
    env = _env(service_var_dir())
    try:
        started = runner.invoke(app, ["services", "up"], env=env)
        assert started.exit_code == 0, started.output
        assert "postgresql+psycopg://postgres@127.0.0.1:" in started.output

        listed = runner.invoke(app, ["services", "status", "--json"], env=env)
        assert listed.exit_code == 0, listed.output
        report = json.loads(listed.output)
        assert report["postgres"]["answering"] is True
        assert report["redis"]["origin"] == "started"

        table = runner.invoke(app, ["services", "status"], env=env)
        assert "answering" in table.output

        exported = runner.invoke(app, ["services", "env", "--export"], env=env)
        lines = exported.output.splitlines()
        assert lines[0] == f"export TRADINGBOT_DATABASE_URL={report['postgres']['url']}"
        assert lines[1] == f"export TRADINGBOT_REDIS_URL={report['redis']['url']}"
    finally:
        stopped = runner.invoke(app, ["services", "down"], env=env)
    assert stopped.exit_code == 0, stopped.output
    after = json.loads(runner.invoke(app, ["services", "status", "--json"], env=env).output)
    assert after["postgres"]["running"] is False


def test_configured_passwords_are_masked(service_urls: ServiceUrls, tmp_path: Path) -> None:
    # The session server trusts every login, so a password in the URL is accepted, unused.
    with_password = service_urls.database_url.replace("postgres@", "postgres:sekret@")
    env = _env(
        tmp_path,
        TRADINGBOT_DATABASE_URL=with_password,
        TRADINGBOT_REDIS_URL=service_urls.redis_url,
    )
    runner = CliRunner()
    for command in (["services", "up"], ["services", "status"], ["services", "status", "--json"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
        assert "sekret" not in result.output
        assert "postgres:***@" in result.output


def test_env_without_known_services_fails(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["services", "env"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "tradingbot services up" in result.output


def test_up_reports_an_unreachable_configured_server(tmp_path: Path) -> None:
    env = _env(tmp_path, TRADINGBOT_REDIS_URL="redis://127.0.0.1:1/0")
    result = CliRunner().invoke(app, ["services", "up"], env=env)
    assert result.exit_code == 1
    assert "does not answer" in result.output
