"""Settings of the alerts process (``tradingbot alerts run``): Telegram and the rule thresholds.

Read from the environment with the same ``TRADINGBOT_`` prefix and ``.env`` file as the engine's
``Settings`` (which still gives the Redis, database and API URLs and the engine token):

* ``TRADINGBOT_TELEGRAM_TOKEN`` -- the bot's token (from @BotFather); a secret.
* ``TRADINGBOT_TELEGRAM_CHAT_IDS`` -- the authorised chat ids, comma-separated (``123,-100456``):
  alerts go to each of them, and commands are taken from them only; any other chat gets nothing.
* ``TRADINGBOT_TELEGRAM_BASE_URL`` -- the Bot API base, the token is appended
  (``https://api.telegram.org/bot`` by default; tests point it at a local fake).
* ``TRADINGBOT_TELEGRAM_CHAT_INTERVAL_S`` -- seconds between two messages to one chat (1).
* ``TRADINGBOT_TELEGRAM_POLL_TIMEOUT_S`` -- the long poll of ``getUpdates`` (10): how long
  Telegram holds a request open while no command arrives. Stopping waits for the poll in flight,
  so a shorter one stops faster for the price of more requests.
* ``TRADINGBOT_ENGINE_API_URL`` -- where the engine API answers (``/signal``).
* ``TRADINGBOT_ALERT_*`` -- the thresholds of ``alerts.rules.Thresholds``.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ai_engine.alerts.rules import Thresholds


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRADINGBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    telegram_chat_ids: Annotated[tuple[int, ...], NoDecode] = ()
    telegram_base_url: str = "https://api.telegram.org/bot"
    engine_api_url: str = "http://127.0.0.1:8000"
    # Telegram allows ~1 message a second in one chat, 20 a minute in a group: raise it for groups.
    telegram_chat_interval_s: float = Field(default=1.0, ge=0)
    telegram_poll_timeout_s: int = Field(default=10, ge=0, le=50)

    alert_fill_notional: Decimal = Field(default=Decimal(1000), gt=0)
    alert_trade_pnl: Decimal = Field(default=Decimal(100), gt=0)
    alert_daily_loss: Decimal = Field(default=Decimal(200), gt=0)
    alert_venue_errors_per_minute: int = Field(default=5, ge=1)
    alert_win_rate_min: Decimal = Field(default=Decimal("0.40"), ge=0, le=1)
    alert_win_rate_trades: int = Field(default=20, ge=1)
    alert_idle_minutes: float = Field(default=10, gt=0)
    alert_stale_after_s: Decimal = Field(default=Decimal(60), gt=0)
    alert_daily_summary_at: time = time(0, 5)
    alert_repeat_minutes: float = Field(default=30, gt=0)

    @field_validator("telegram_chat_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return tuple(int(p) for p in value.replace(" ", "").split(",") if p)
            except ValueError:
                raise ValueError(f"chat ids must be integers, got {value!r}") from None
        if isinstance(value, int):
            return (value,)
        return value

    def thresholds(self) -> Thresholds:
        return Thresholds(
            fill_notional=self.alert_fill_notional,
            trade_pnl=self.alert_trade_pnl,
            daily_loss=self.alert_daily_loss,
            venue_errors_per_minute=self.alert_venue_errors_per_minute,
            win_rate_min=self.alert_win_rate_min,
            win_rate_trades=self.alert_win_rate_trades,
            idle_after=timedelta(minutes=self.alert_idle_minutes),
            stale_after_s=self.alert_stale_after_s,
            daily_summary_at=self.alert_daily_summary_at,
            repeat_after=timedelta(minutes=self.alert_repeat_minutes),
        )
