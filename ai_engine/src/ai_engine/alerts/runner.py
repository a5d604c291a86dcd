"""``tradingbot alerts run``: the alert loop and the Telegram commands in one asyncio process.

``run_alerts`` builds the pieces from the settings -- Redis (events, control), PostgreSQL
(command answers, audit), the python-telegram-bot ``Application`` (long polling against
``telegram_base_url``; its ``Bot`` also sends the alerts) -- runs until ``stop`` is set, and closes
everything. Secrets redacted from every message: the Telegram token, the engine API token, the
Binance key and secret, and the database URL's password. ``metrics_port`` (optional) serves the
event-derived metrics of this process (``metrics.exporter``) on ``metrics_host`` (loopback by
default; ``0.0.0.0`` where Prometheus scrapes it from another container).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis as AsyncRedis
from sqlalchemy.engine import make_url

from ai_engine.alerts.commands import Commands, build_application, install
from ai_engine.alerts.engine import AlertEngine
from ai_engine.alerts.notifier import Notifier
from ai_engine.alerts.ratelimit import SendLimiter
from ai_engine.alerts.redact import Redactor
from ai_engine.alerts.service import AlertService
from ai_engine.alerts.settings import AlertSettings
from ai_engine.alerts.views import EngineView
from ai_engine.settings import Settings
from ai_engine.store.db import make_engine

log = logging.getLogger(__name__)


class AlertsSetupError(RuntimeError):
    """The alerts process cannot start: say what is missing."""


def secrets_of(settings: Settings, alerts: AlertSettings, database_url: str | None) -> list[str]:
    found: list[str] = [settings.api_token.get_secret_value()]
    for secret in (alerts.telegram_token, settings.binance_api_key, settings.binance_api_secret):
        if secret is not None:
            found.append(secret.get_secret_value())
    if database_url:
        password = make_url(database_url).password
        if password:
            found.append(str(password))
    return found


async def run_alerts(
    settings: Settings,
    alerts: AlertSettings,
    *,
    redis_url: str,
    database_url: str | None,
    stop: asyncio.Event,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    on_ready: Callable[[AlertService], None] | None = None,
) -> None:
    if alerts.telegram_token is None:
        raise AlertsSetupError("TRADINGBOT_TELEGRAM_TOKEN is not set (the bot's token)")
    if not alerts.telegram_chat_ids:
        raise AlertsSetupError("TRADINGBOT_TELEGRAM_CHAT_IDS is not set (authorised chat ids)")
    token = alerts.telegram_token.get_secret_value()
    redis = AsyncRedis.from_url(redis_url)
    db = make_engine(database_url) if database_url else None
    view = EngineView(
        engine=db,
        redis=redis,
        api_url=alerts.engine_api_url,
        api_token=settings.api_token.get_secret_value(),
    )
    redactor = Redactor(secrets_of(settings, alerts, database_url))
    app = None
    exporter = None
    try:
        app = build_application(token, alerts.telegram_base_url)
        limiter = SendLimiter(per_chat_interval=alerts.telegram_chat_interval_s)
        notifier = Notifier(app.bot, alerts.telegram_chat_ids, redactor=redactor, limiter=limiter)
        install(app, Commands(view, notifier), alerts.telegram_chat_ids)
        on_entries = None
        if metrics_port is not None:
            from ai_engine.metrics.definitions import new_registry
            from ai_engine.metrics.exporter import start_exporter
            from ai_engine.metrics.stream import EventMetrics

            registry = new_registry()
            event_metrics = EventMetrics(registry)
            exporter = start_exporter(registry, port=metrics_port, addr=metrics_host)
            on_entries = event_metrics.apply_all
            log.info("alerts: metrics on port %d", exporter.port)
        service = AlertService(
            redis=redis,
            engine=AlertEngine(alerts.thresholds()),
            notifier=notifier,
            on_entries=on_entries,
        )
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=alerts.telegram_poll_timeout_s)
        if on_ready is not None:
            on_ready(service)
        await service.run(stop)
    finally:
        if app is not None:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
        if exporter is not None:
            exporter.close()
        await redis.aclose()
        if db is not None:
            db.dispose()
