"""`tradingbot bots`: the bots the record knows, and their control commands.

``tradingbot bots list`` prints each bot's state, mode, reason and heartbeat age (the ``bots``
row with its live Redis status merged in); ``tradingbot bots start|pause|resume ID`` sends that
command (audited first, as ``tradingbot stop``). ``start`` is what lifts an emergency stop.
"""

from __future__ import annotations

import time

import typer

from ai_engine.cli.context import settings_of

app = typer.Typer(help="List bots; start, pause or resume one.", no_args_is_help=True)


@app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every bot: state, mode, reason, heartbeat age."""
    from redis import Redis
    from sqlalchemy.orm import Session

    from ai_engine.events import read_status
    from ai_engine.infra.errors import ServiceError
    from ai_engine.infra.local_services import up
    from ai_engine.store import db as store_db
    from ai_engine.store import migrate
    from ai_engine.store.bots import Bot
    from ai_engine.trader.commands import known_bots

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
            ids = known_bots(session, redis)
            rows = {b: session.get(Bot, b) for b in ids}
            if not ids:
                typer.echo("no bots")
                return
            typer.echo(f"{'bot':<24} {'state':<8} {'mode':<8} {'heartbeat':>10}  reason")
            for bot_id in ids:
                row, live = rows[bot_id], read_status(redis, bot_id)
                state = live.state.value if live else (row.state if row else "?")
                mode = live.mode if live else (row.mode if row else "?")
                reason = live.reason if live else (row.state_reason if row else "")
                beat = live.heartbeat_ts if live else None
                age = f"{time.time() - beat:,.1f}s" if beat else "-"
                typer.echo(f"{bot_id:<24} {state:<8} {mode:<8} {age:>10}  {reason}")
    finally:
        redis.close()
        engine.dispose()


def _command(name: str) -> None:
    def command(
        ctx: typer.Context,
        bot: str = typer.Argument(..., help="Bot id."),
        reason: str = typer.Option("", "--reason", help="Why (recorded in audit_log)."),
        actor: str | None = typer.Option(None, "--actor", help="Who (default cli:<login>)."),
    ) -> None:
        from ai_engine.cli.stop import send
        from ai_engine.events import Command

        send(ctx, [bot], Command(name), actor=actor, reason=reason or name)

    command.__doc__ = f"Send {name} to a bot."
    app.command(name)(command)


for _name in ("start", "pause", "resume"):
    _command(_name)
