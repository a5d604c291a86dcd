"""`tradingbot db upgrade|current` through the real CLI root."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.infra.ports import free_port
from ai_engine.store import migrate


def _env(tmp_path: Path, database_url: str | None) -> dict[str, str | None]:
    return {"TRADINGBOT_VAR_DIR": str(tmp_path), "TRADINGBOT_DATABASE_URL": database_url}


@pytest.mark.services
def test_upgrade_then_current(blank_database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = _env(tmp_path, blank_database_url)
    before = runner.invoke(app, ["db", "current"], env=env)
    assert before.exit_code == 0, before.output
    assert "none (never migrated)" in before.output

    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert migrate.current_revision(blank_database_url) == migrate.head_revision()

    after = runner.invoke(app, ["db", "current"], env=env)
    assert after.output.startswith(f"{migrate.head_revision()}  [up to date]")


def test_no_known_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"], env=_env(tmp_path, None))
    assert result.exit_code == 1
    assert "run `tradingbot services up` or set TRADINGBOT_DATABASE_URL" in result.output


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres:sekret@127.0.0.1:{free_port()}/x"
    result = CliRunner().invoke(app, ["db", "current"], env=_env(tmp_path, url))
    assert result.exit_code == 1
    assert "does not answer" in result.output
    assert "sekret" not in result.output
