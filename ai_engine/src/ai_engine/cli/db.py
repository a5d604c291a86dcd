"""`tradingbot db ...`: schema migrations."""

from __future__ import annotations

from typing import NoReturn

import typer
from sqlalchemy.exc import OperationalError

from ai_engine.cli.context import settings_of
from ai_engine.infra.errors import ServiceError
from ai_engine.infra.local_services import resolve_database_url
from ai_engine.infra.urls import mask_url
from ai_engine.store import migrate

app = typer.Typer(help="PostgreSQL schema: migrations.", no_args_is_help=True)


@app.command()
def upgrade(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="Target revision."),
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    url = _database_url(ctx)
    try:
        migrate.upgrade(url, revision)
        reached = migrate.current_revision(url)
    except OperationalError as exc:
        _unreachable(url, exc)
    typer.echo(f"{mask_url(url)} is at revision {reached}")


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's revision and the newest one this code ships."""
    url = _database_url(ctx)
    try:
        revision = migrate.current_revision(url)
    except OperationalError as exc:
        _unreachable(url, exc)
    head = migrate.head_revision()
    note = "up to date" if revision == head else f"behind: run `tradingbot db upgrade` ({head})"
    typer.echo(f"{revision or 'none (never migrated)'}  [{note}]")


@app.command()
def revision(
    ctx: typer.Context,
    message: str = typer.Option(..., "-m", "--message", help="What the migration does."),
    autogenerate: bool = typer.Option(
        True, help="Draft the operations from the models (database must be at head)."
    ),
) -> None:
    """Write a new migration file into the package (developers; review before committing)."""
    url = _database_url(ctx)
    try:
        path = migrate.new_revision(url, message, autogenerate=autogenerate)
    except OperationalError as exc:
        _unreachable(url, exc)
    typer.echo(f"wrote {path}")


def _database_url(ctx: typer.Context) -> str:
    try:
        url = resolve_database_url(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if url is None:
        typer.echo(
            "error: no database known: run `tradingbot services up` or set TRADINGBOT_DATABASE_URL",
            err=True,
        )
        raise typer.Exit(1)
    return url


def _unreachable(url: str, exc: OperationalError) -> NoReturn:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
    typer.echo(f"error: database {mask_url(url)} does not answer: {reason}", err=True)
    raise typer.Exit(1) from exc
