"""`tradingbot services up|down|status|env`: local PostgreSQL and Redis."""

from __future__ import annotations

import json
import shlex

import typer

from ai_engine.cli.context import settings_of
from ai_engine.infra import local_services
from ai_engine.infra.errors import ServiceError
from ai_engine.infra.local_services import ServiceStatus
from ai_engine.infra.urls import mask_url

app = typer.Typer(help="Local PostgreSQL and Redis under var/.", no_args_is_help=True)


@app.command()
def up(ctx: typer.Context) -> None:
    """Start PostgreSQL and Redis (or check the configured ones) and print their URLs."""
    try:
        urls = local_services.up(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"postgres  {mask_url(urls.database_url)}")
    typer.echo(f"redis     {mask_url(urls.redis_url)}")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop the servers `up` started (configured servers are left alone; data is kept)."""
    try:
        local_services.down(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo("local services stopped")


@app.command()
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show each service: answering or not, pid, started here or reused, URL."""
    try:
        current = local_services.status(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(current.as_dict(), indent=2))
        return
    typer.echo(f"{'service':<9} {'state':<12} {'pid':>7}  {'origin':<8} url")
    for service in (current.postgres, current.redis):
        typer.echo(_row(service))


def _row(service: ServiceStatus) -> str:
    state = "answering" if service.answering else "running" if service.running else "stopped"
    pid = str(service.pid) if service.pid is not None else "-"
    url = mask_url(service.url) if service.url else "-"
    return f"{service.name:<9} {state:<12} {pid:>7}  {service.origin:<8} {url}"


@app.command()
def env(
    ctx: typer.Context,
    export: bool = typer.Option(False, "--export", help="Prefix lines with `export `."),
) -> None:
    """Print TRADINGBOT_DATABASE_URL=... and TRADINGBOT_REDIS_URL=... for shells and .env files.

    Usage: `eval "$(tradingbot services env --export)"`. URLs are printed unmasked, that is
    their purpose; nothing is started (run `up` first).
    """
    try:
        urls = local_services.resolve_urls(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if urls is None:
        typer.echo("error: no services known: run `tradingbot services up` first", err=True)
        raise typer.Exit(1)
    prefix = "export " if export else ""
    typer.echo(f"{prefix}TRADINGBOT_DATABASE_URL={shlex.quote(urls.database_url)}")
    typer.echo(f"{prefix}TRADINGBOT_REDIS_URL={shlex.quote(urls.redis_url)}")
