"""`tradingbot api`: run the FastAPI service under uvicorn."""

from __future__ import annotations

import gc

import typer
import uvicorn

from ai_engine.api.app import create_app
from ai_engine.cli.context import settings_of
from ai_engine.infra.local_services import resolve_urls


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Bind address (default: settings api_host)."),
    port: int | None = typer.Option(None, help="Port (default: settings api_port)."),
) -> None:
    """Run the engine API (OpenAPI at /docs). Uses the configured or locally started services."""
    settings = settings_of(ctx)
    urls = resolve_urls(settings)
    if urls is None:
        typer.echo(
            "warning: no database or Redis known; /health will report them down "
            "(run `tradingbot services up` or set TRADINGBOT_DATABASE_URL/TRADINGBOT_REDIS_URL)",
            err=True,
        )
    app = create_app(
        settings,
        database_url=urls.database_url if urls else None,
        redis_url=urls.redis_url if urls else None,
    )
    # What exists now (modules, the app) lives as long as the process: keep full collections
    # from walking it (they paused the API ~100 ms under load; see docs/strategies.md).
    gc.freeze()
    uvicorn.run(
        app,
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level=settings.log_level.lower(),
        ws="websockets-sansio",  # WS /api/v1/events; never silently "none" (404 on upgrade)
    )
