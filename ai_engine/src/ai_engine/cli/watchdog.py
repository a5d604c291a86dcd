"""`tradingbot watchdog`: run a trader under the watchdog (``trader/watchdog.py``).

``tradingbot watchdog --bot ID [--stale-after 30] [--grace 60] [--max-restarts 10] -- tradingbot
run --config bots/ID.yaml --mode ...``: starts the command, restarts it when it exits with an
error or its heartbeat (the bot's Redis status hash) is older than ``--stale-after`` seconds
(killed with SIGKILL first), and ends when it exits 0. Exit code: the trader's last one (1 when
the watchdog gave up after ``--max-restarts``).
"""

from __future__ import annotations

import typer

from ai_engine.cli.context import settings_of


def watchdog(
    ctx: typer.Context,
    command: list[str] = typer.Argument(..., help="The trader command (after --)."),
    bot: str = typer.Option(..., "--bot", help="The bot id the command runs (its heartbeat)."),
    stale_after: float = typer.Option(30.0, "--stale-after", help="Heartbeat age that restarts."),
    grace: float = typer.Option(60.0, "--grace", help="Start-up time before a first heartbeat."),
    max_restarts: int = typer.Option(10, "--max-restarts", help="Give up after this many."),
) -> None:
    """Run a trader command; restart it when it freezes or crashes."""
    from redis import Redis

    from ai_engine.infra.errors import ServiceError
    from ai_engine.infra.local_services import up
    from ai_engine.trader.watchdog import Watchdog, WatchdogConfig

    if stale_after <= 0 or grace < 0 or max_restarts < 0:
        typer.echo("error: --stale-after must be > 0, --grace and --max-restarts >= 0", err=True)
        raise typer.Exit(2)
    try:
        urls = up(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    redis = Redis.from_url(urls.redis_url)
    config = WatchdogConfig(
        bot, tuple(command), stale_after_s=stale_after, grace_s=grace, max_restarts=max_restarts
    )
    try:
        report = Watchdog(config, redis).run()
    finally:
        redis.close()
    for restart in report.restarts:
        typer.echo(f"restarted: {restart.reason}")
    if report.gave_up:
        typer.echo(f"error: gave up after {max_restarts} restarts", err=True)
        raise typer.Exit(1)
    raise typer.Exit(report.exit_code or 0)
