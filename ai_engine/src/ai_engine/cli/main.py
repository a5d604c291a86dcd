"""Root of the `tradingbot` CLI: global options and the command groups.

Commands are imported when they are used, not when the CLI starts: `tradingbot backtest` loads
the backtester, not the API app, the sim exchange or Celery (importing every command module
costs seconds; the backtest CLI has a 1.5 s budget for a whole run). ``COMMANDS`` names each
command's module and attribute; `tradingbot --help` loads them all to list them.
"""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

import typer
from pydantic import ValidationError
from typer._click import Command, Context  # typer 0.29 vendors click: these are its types
from typer.core import TyperGroup
from typer.main import get_command, get_group

from ai_engine.settings import Settings

# name -> (module, attribute): a Typer sub-app (a command group) or a command function.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("ai_engine.cli.data", "app"),
    "services": ("ai_engine.cli.services", "app"),
    "db": ("ai_engine.cli.db", "app"),
    "api": ("ai_engine.cli.api", "serve"),
    "demo": ("ai_engine.cli.demo", "demo"),
    "sim-exchange": ("ai_engine.cli.sim_exchange", "sim_exchange"),
    "signals": ("ai_engine.cli.signals", "signals"),
    "backtest": ("ai_engine.cli.backtest", "backtest"),
    "optimize": ("ai_engine.cli.optimize", "optimize_command"),
    "walkforward": ("ai_engine.cli.walkforward", "walkforward_command"),
    "experiment": ("ai_engine.cli.experiment", "app"),
    "run": ("ai_engine.cli.run", "run"),
    "drift": ("ai_engine.cli.drift", "drift"),
    "stop": ("ai_engine.cli.stop", "stop"),
    "bots": ("ai_engine.cli.bots", "app"),
    "watchdog": ("ai_engine.cli.watchdog", "watchdog"),
    "ml": ("ai_engine.cli.ml", "app"),
    "sentiment": ("ai_engine.cli.sentiment", "app"),
    "stack": ("ai_engine.cli.stack", "app"),
    "alerts": ("ai_engine.cli.alerts", "app"),
}


def load_command(name: str) -> Command:
    """The click command for ``name``, importing its module now."""
    module, attribute = COMMANDS[name]
    gc.disable()  # importing allocates many long-lived objects: collecting them is wasted work
    try:
        target = getattr(importlib.import_module(module), attribute)
    finally:
        gc.enable()
    gc.freeze()  # ... and later collections need not walk them either
    holder = typer.Typer(add_completion=False)  # completion options belong to the root only
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
        return get_group(holder).commands[name]
    holder.command(name)(target)
    command = get_command(holder)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A root group whose subcommands come from ``COMMANDS`` on first use."""

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in COMMANDS:
            if cmd_name not in self.commands:
                self.commands[cmd_name] = load_command(cmd_name)
            return self.commands[cmd_name]
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="tradingbot",
    cls=LazyGroup,
    help="TradingBot engine: market data, sim exchange, signals, backtests, local services, API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
