"""Root of the `tradingbot` CLI: global options and the command groups."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from ai_engine.cli import api as api_cmd
from ai_engine.cli import data as data_cmd
from ai_engine.cli import db as db_cmd
from ai_engine.cli import demo as demo_cmd
from ai_engine.cli import services as services_cmd
from ai_engine.cli import signals as signals_cmd
from ai_engine.cli import sim_exchange as sim_exchange_cmd
from ai_engine.settings import Settings

app = typer.Typer(
    name="tradingbot",
    help="TradingBot engine: market data, local services, API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_cmd.app, name="data")
app.add_typer(services_cmd.app, name="services")
app.add_typer(db_cmd.app, name="db")
app.command("api")(api_cmd.serve)
app.command("demo")(demo_cmd.demo)
app.command("sim-exchange")(sim_exchange_cmd.sim_exchange)
app.command("signals")(signals_cmd.signals)


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Market-data store folder (default: settings, var/data)."
    ),
) -> None:
    """Build the settings once; every command reads them from the context."""
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        ctx.obj = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        typer.echo(f"error: invalid settings:\n{exc}", err=True)
        raise typer.Exit(2) from exc


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
