"""The engine's one typed settings object.

Read once at the edge (CLI, API start-up, worker start-up) and passed inward; nothing below the
entry points reads the environment. Every field can be set as an environment variable with the
``TRADINGBOT_`` prefix or in a ``.env`` file (see ``.env.example`` at the repository root).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings for every engine process (CLI, API, workers, trader)."""

    model_config = SettingsConfigDict(
        env_prefix="TRADINGBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    var_dir: Path = Field(
        default=Path("var"),
        description="Folder for local state: the market-data store, local servers, logs.",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Parquet market-data store; defaults to <var_dir>/data.",
    )

    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of PostgreSQL (postgresql+psycopg://...). "
        "Unset: `tradingbot services up` starts a local server under var/.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL. Unset: `tradingbot services up` starts a local server.",
    )
    postgres_port: int = Field(
        default=0, ge=0, le=65535, description="Port for a locally started PostgreSQL; 0 = free."
    )
    redis_port: int = Field(
        default=0, ge=0, le=65535, description="Port for a locally started Redis; 0 = free."
    )

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_token: SecretStr = Field(
        default=SecretStr("change-me"),
        description="Bearer token every API route except /health requires.",
    )

    binance_api_key: SecretStr | None = None
    binance_api_secret: SecretStr | None = None

    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @property
    def store_dir(self) -> Path:
        """Where the Parquet market-data store lives."""
        return self.data_dir if self.data_dir is not None else self.var_dir / "data"

    @property
    def services_dir(self) -> Path:
        """Where locally started PostgreSQL and Redis keep their files."""
        return self.var_dir / "services"
