from pathlib import Path

import pytest
from pydantic import ValidationError

from ai_engine.settings import Settings


def test_store_dir_defaults_under_var_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADINGBOT_VAR_DIR", "/srv/tb")
    settings = Settings(_env_file=None)
    assert settings.store_dir == Path("/srv/tb/data")
    assert settings.services_dir == Path("/srv/tb/services")


def test_explicit_data_dir_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADINGBOT_DATA_DIR", "/mnt/store")
    assert Settings(_env_file=None).store_dir == Path("/mnt/store")


def test_env_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TRADINGBOT_API_PORT=9123\nTRADINGBOT_REDIS_URL=redis://h:1/0\n")
    settings = Settings(_env_file=env)
    assert settings.api_port == 9123
    assert settings.redis_url == "redis://h:1/0"


def test_secrets_never_render(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADINGBOT_API_TOKEN", "tok-very-secret")
    monkeypatch.setenv("TRADINGBOT_BINANCE_API_SECRET", "bin-very-secret")
    monkeypatch.setenv("TRADINGBOT_DATABASE_URL", "postgresql+psycopg://u:pw-secret@h/db")
    settings = Settings(_env_file=None)
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in ("tok-very-secret", "bin-very-secret", "pw-secret"):
        assert secret not in shown
    assert settings.api_token.get_secret_value() == "tok-very-secret"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRADINGBOT_API_PORT", "99999"),
        ("TRADINGBOT_LOG_LEVEL", "LOUD"),
        ("TRADINGBOT_REDIS_PORT", "x"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("TRADINGBOT_").lower()):
        Settings(_env_file=None)
