"""`tradingbot data ...`: import, list and check the market-data store."""

from __future__ import annotations

import typer

app = typer.Typer(help="Market-data store: import Binance files, list, check.", no_args_is_help=True)
