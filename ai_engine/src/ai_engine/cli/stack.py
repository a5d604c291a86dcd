"""`tradingbot stack up|down|status`: the whole system on free ports (see `infra.stack`).

`up` prints the dashboard URL and the demo credentials and writes the stack description (URLs,
ports, pids, logs, credentials, the engine token) to <var>/stack/stack.json and, with
`--json FILE`, to FILE as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ai_engine.cli.context import settings_of
from ai_engine.infra import stack as stack_infra
from ai_engine.infra.errors import ServiceError

app = typer.Typer(help="The whole system: services, engine, worker, trader, Rails, dashboard.",
                  no_args_is_help=True)  # fmt: skip


@app.command()
def up(
    ctx: typer.Context,
    json_out: Path | None = typer.Option(None, "--json", help="Also write the description here."),
    speed: str = typer.Option(stack_infra.DEFAULT_SPEED, "--speed",
                              help="Replay speed of the demo bot: N times real time, or max."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Market-data store folder."),
    trader: bool = typer.Option(True, "--trader/--no-trader", help="Start the demo bot."),
    bot_config: Path = typer.Option(stack_infra.DEMO_BOT, "--config", help="Bot config to run."),
    dashboard_origin: str = typer.Option("", "--dashboard-origin",
                                         help="Extra allowed origin (a Vite dev server)."),
) -> None:  # fmt: skip
    """Start everything on free ports and print the dashboard URL and demo credentials."""
    settings = settings_of(ctx)
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    options = stack_infra.StackOptions(
        speed=speed, trader=trader, bot_config=bot_config, dashboard_origin=dashboard_origin
    )
    try:
        stack = stack_infra.up(
            settings, options, progress=lambda step: typer.echo(f"stack: {step}", err=True)
        )
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if json_out is not None:
        stack_infra.write_json(stack, json_out)
    if stack.dashboard_url:
        typer.echo(f"dashboard  {stack.dashboard_url}")
    else:
        typer.echo("dashboard  not built (build frontend/ to get it; the API runs anyway)")
    typer.echo(f"rails API  {stack.rails_url}/api  (ActionCable {stack.cable_url})")
    typer.echo(f"engine API {stack.engine_url}")
    typer.echo(f"operator   {stack.operator['email']} / {stack.operator['password']}")
    typer.echo(f"viewer     {stack.viewer['email']} / {stack.viewer['password']}")
    typer.echo(f"logs       {stack.logs}")
    typer.echo("demo credentials only; `tradingbot stack down` stops everything")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop what `up` started (PostgreSQL and Redis too, if `up` started them)."""
    try:
        stopped = stack_infra.down(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "no stack was running")


@app.command()
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show the recorded stack and which of its processes still run."""
    try:
        stack = stack_infra.load(settings_of(ctx))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if stack is None:
        typer.echo("no stack recorded")
        raise typer.Exit(1)
    alive = {p.name for p in stack_infra.running(stack)}
    if as_json:
        payload = {**stack.to_dict(), "running": sorted(alive)}
        payload.pop("engine_api_token")
        typer.echo(json.dumps(payload, indent=2))
        return
    typer.echo(f"rails {stack.rails_url}  engine {stack.engine_url}  logs {stack.logs}")
    for process in stack.processes:
        state = "running" if process.name in alive else "stopped"
        typer.echo(f"  {process.name:<8} {process.pid:>7}  {state}")
