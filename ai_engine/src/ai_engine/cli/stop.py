"""`tradingbot stop`: stop a bot, or pull the kill switch (docs/trading.md, "Kill switch").

``tradingbot stop --bot ID`` sends ``stop`` (graceful: no new entries, positions flattened if
the bot's config says ``flatten_on_stop``, the trader ends). ``tradingbot stop --emergency
--bot ID|all`` sends ``emergency_stop``: the trader cancels every open order, flattens its
positions and halts entries until an explicit ``start`` (``tradingbot bots start ID``).
``--bot`` defaults to ``all`` with ``--emergency`` and is required otherwise. Each command is
written to ``audit_log`` (actor ``--actor``, default ``cli:<login>``) before it is sent.
Exit 0: sent (the trader applies it within a bar or a heartbeat); 2: an unknown bot or no bot.
"""

from __future__ import annotations

import getpass

import typer

from ai_engine.cli.context import settings_of


def stop(
    ctx: typer.Context,
    bot: list[str] | None = typer.Option(None, "--bot", help="Bot id (repeatable), or all."),
    emergency: bool = typer.Option(
        False, "--emergency", help="Cancel all orders, flatten, halt until start."
    ),
    reason: str = typer.Option("", "--reason", help="Why (recorded in audit_log)."),
    actor: str | None = typer.Option(None, "--actor", help="Who (default cli:<login>)."),
) -> None:
    """Stop a bot gracefully, or (--emergency) cancel, flatten and halt it."""
    from ai_engine.events import Command

    targets = list(bot or ())
    if not targets:
        if not emergency:
            typer.echo("error: --bot ID (or --bot all) is required without --emergency", err=True)
            raise typer.Exit(2)
        targets = ["all"]
    command = Command.EMERGENCY_STOP if emergency else Command.STOP
    send(ctx, targets, command, actor=actor, reason=reason or command.value)


def send(
    ctx: typer.Context, targets: list[str], command: object, *, actor: str | None, reason: str
) -> None:
    """Audit and send ``command`` to ``targets``; print one line per bot."""
    from redis import Redis
    from sqlalchemy.orm import Session

    from ai_engine.events import Command
    from ai_engine.infra.errors import ServiceError
    from ai_engine.infra.local_services import up
    from ai_engine.store import db as store_db
    from ai_engine.store import migrate
    from ai_engine.trader.commands import UnknownBot, send_control

    assert isinstance(command, Command)
    who = actor or f"cli:{_login()}"
    try:
        urls = up(settings_of(ctx))
        migrate.upgrade(urls.database_url)
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    engine = store_db.make_engine(urls.database_url)
    redis = Redis.from_url(urls.redis_url)
    try:
        with Session(engine) as session:
            sent = send_control(session, redis, targets, command, actor=who, reason=reason)
    except UnknownBot as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        redis.close()
        engine.dispose()
    if not sent:
        typer.echo("error: no bot is known (none in the bots table or Redis)", err=True)
        raise typer.Exit(2)
    for item in sent:
        typer.echo(f"{command.value} -> {item.bot_id} ({item.entry_id}) by {who}")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
