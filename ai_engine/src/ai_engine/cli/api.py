"""`tradingbot api`: run the FastAPI service under uvicorn."""

from __future__ import annotations

import typer


def serve(ctx: typer.Context) -> None:
    """Run the engine API."""
    raise typer.Exit(1)
