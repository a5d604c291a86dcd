"""`tradingbot services up|down|status`: local PostgreSQL and Redis."""

from __future__ import annotations

import typer

app = typer.Typer(help="Local PostgreSQL and Redis under var/.", no_args_is_help=True)
