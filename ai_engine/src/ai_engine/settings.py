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
    binance_base_url: str | None = Field(
        default=None,
        description="A server speaking Binance's REST and streams at this base URL replaces "
        "Binance for `tradingbot run --mode paper|testnet|live` (tests: a sim exchange): spot "
        "at /api and ws://host:port, USD-M at /fapi and ws://host:port/fstream (paper: the "
        "public klines the paper sim and the trader follow, spot or USD-M).",
    )

    # News sentiment and the ensemble (docs/sentiment.md). Keys only from the environment.
    anthropic_api_key: SecretStr | None = Field(
        default=None, description="Claude API key; unset: sentiment is disabled (neutral)."
    )
    anthropic_base_url: str | None = Field(
        default=None, description="Anthropic API base URL (tests point it at a local fake)."
    )
    sentiment_model: str = "claude-haiku-4-5"
    sentiment_daily_tokens: int = Field(
        default=200_000, ge=0, description="Daily Claude token budget (input + output, UTC day)."
    )
    sentiment_requests_per_minute: float = Field(default=30.0, gt=0)
    sentiment_half_life_hours: float = Field(default=6.0, gt=0)
    sentiment_lookback_hours: float = Field(default=48.0, gt=0)
    cryptopanic_token: SecretStr | None = None
    coingecko_api_key: SecretStr | None = None
    news_feeds: dict[str, str] = Field(
        default_factory=dict, description='RSS/Atom feeds, JSON: {"coindesk": "https://..."}.'
    )
    ensemble_weight_technical: float = Field(default=0.5, ge=0)
    ensemble_weight_model: float = Field(default=0.3, ge=0)
    ensemble_weight_sentiment: float = Field(default=0.2, ge=0)
    ensemble_threshold: float = Field(
        default=0.6, gt=0, le=1, description="|combined| at or above this: BUY or SELL."
    )

    log_level: str = "INFO"

    models_dir: Path | None = Field(
        default=None, description="The model registry (ml); defaults to <var_dir>/models."
    )
    ml_retrain_every_s: float = Field(
        default=0.0,
        ge=0.0,
        description="Celery beat period of research.ml_retrain in seconds; 0 = not scheduled.",
    )
    ml_retrain_symbol: str = Field(default="BTCUSDT", description="Series ml_retrain trains on.")
    ml_retrain_interval: str = Field(default="1m", description="Bar interval ml_retrain uses.")
    ml_retrain_days: float = Field(
        default=90.0, gt=0.0, description="ml_retrain trains on the most recent this many days."
    )
    ml_retrain_horizon: int = Field(default=30, ge=1, description="Label time barrier in bars.")
    news_every_s: float = Field(
        default=0.0,
        ge=0.0,
        description="Celery beat period of research.news_refresh (fetch news, score new "
        "articles within the daily token budget) in seconds; 0 = not scheduled.",
    )
    news_score_limit: int = Field(
        default=50, ge=1, description="Articles research.news_refresh scores per run at most."
    )

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
    def models_root(self) -> Path:
        """Where the model registry lives."""
        return self.models_dir if self.models_dir is not None else self.var_dir / "models"

    @property
    def services_dir(self) -> Path:
        """Where locally started PostgreSQL and Redis keep their files."""
        return self.var_dir / "services"
