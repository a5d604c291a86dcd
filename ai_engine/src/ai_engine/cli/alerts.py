"""`tradingbot alerts run|test`: the Telegram alerts and commands process (docs/operations.md).

``run`` follows the engine event stream, sends the alerts that are due to the authorised chats
and answers their commands until interrupted (SIGINT/SIGTERM). ``test`` sends one message to
every authorised chat and says how many took it: a quick check of the token, the chat ids and
the network. Both read ``TRADINGBOT_TELEGRAM_*`` and ``TRADINGBOT_ALERT_*`` (``alerts.settings``);
Redis and PostgreSQL are the configured ones or those of `tradingbot services up`. A missing
setting or service exits 2 with a message naming it.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError

from ai_engine.cli.context import settings_of

if TYPE_CHECKING:
    from ai_engine.alerts.settings import AlertSettings

app = typer.Typer(help="Telegram alerts and commands.", no_args_is_help=True)


def _alert_settings() -> AlertSettings:
    from ai_engine.alerts.settings import AlertSettings

    try:
        return AlertSettings()
    except ValidationError as exc:
        typer.echo(f"error: invalid alert settings:\n{exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("run")
def run(
    ctx: typer.Context,
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve this process's metrics on this port (0: a free one)."
    ),
    metrics_host: str = typer.Option(
        "127.0.0.1", "--metrics-host", help="Address for --metrics-port (0.0.0.0 in a container)."
    ),
) -> None:
    """Send alerts and answer commands until interrupted."""
    from ai_engine.alerts.runner import AlertsSetupError, run_alerts
    from ai_engine.infra.local_services import resolve_urls

    settings = settings_of(ctx)
    alerts = _alert_settings()
    urls = resolve_urls(settings)
    if urls is None:
        typer.echo(
            "error: no Redis/PostgreSQL known: set TRADINGBOT_REDIS_URL and "
            "TRADINGBOT_DATABASE_URL, or run `tradingbot services up`",
            err=True,
        )
        raise typer.Exit(2)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_alerts(
            settings,
            alerts,
            redis_url=urls.redis_url,
            database_url=urls.database_url,
            stop=stop,
            metrics_port=metrics_port,
            metrics_host=metrics_host,
            on_ready=lambda _s: typer.echo(
                f"alerts: following the event stream; {len(alerts.telegram_chat_ids)} chat(s)"
            ),
        )

    try:
        asyncio.run(main())
    except AlertsSetupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("test")
def send_test(
    ctx: typer.Context,
    text: str = typer.Option(
        "TradingBot alerts: test message", "--text", help="The message to send."
    ),
) -> None:
    """Send one message to every authorised chat."""
    from telegram import Bot

    from ai_engine.alerts.notifier import Notifier
    from ai_engine.alerts.redact import Redactor
    from ai_engine.alerts.runner import secrets_of

    settings = settings_of(ctx)
    alerts = _alert_settings()
    if alerts.telegram_token is None or not alerts.telegram_chat_ids:
        typer.echo(
            "error: set TRADINGBOT_TELEGRAM_TOKEN and TRADINGBOT_TELEGRAM_CHAT_IDS", err=True
        )
        raise typer.Exit(2)
    token = alerts.telegram_token.get_secret_value()

    async def main() -> int:
        async with Bot(token, base_url=alerts.telegram_base_url) as bot:
            notifier = Notifier(
                bot, alerts.telegram_chat_ids, redactor=Redactor(secrets_of(settings, alerts, None))
            )
            return await notifier.broadcast(text)

    try:
        sent = asyncio.run(main())
    except Exception as exc:  # the token or the network: say which, never the token itself
        message = Redactor(secrets_of(settings, alerts, None))(str(exc))
        typer.echo(f"error: Telegram refused: {type(exc).__name__}: {message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"sent to {sent} of {len(alerts.telegram_chat_ids)} chat(s)")
    if sent < len(alerts.telegram_chat_ids):
        raise typer.Exit(1)
