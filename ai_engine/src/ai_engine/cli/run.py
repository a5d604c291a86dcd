"""`tradingbot run`: a bot traded through the full order path (docs/trading.md).

Built so far: the one-off replay, ``tradingbot run --strategy NAME [--params k=v,...]
--data FILE... --mode replay --speed max [--json OUT]``. It makes PostgreSQL and Redis answer
(``tradingbot services up``'s servers, or the configured ones), migrates the database, and
runs ``trader.replay.run_replay``: the files served by the sim exchange, the trader, a Celery
``orders`` worker in this process. It prints the run id and a summary; ``--json`` writes the
trades in the JSON shape of ``tradingbot backtest --json``.

Refused with a message (exit 2): ``--mode paper|testnet|live`` (not built yet; live will also
need ``--confirm-live``), ``--config`` bot files, and speeds other than ``max`` (the replay
steps the sim's clock bar by bar as fast as the trader keeps up). Bad input exits 2, a service
that cannot start exits 1.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from ai_engine.cli.context import settings_of
from ai_engine.strategies import StrategyParamError, parse_assignments


def run(
    ctx: typer.Context,
    strategy: str | None = typer.Option(None, "--strategy", help="Strategy name."),
    params: str | None = typer.Option(None, "--params", help="Parameters: name=value,..."),
    data: list[Path] | None = typer.Option(
        None, "--data", help="Binance kline files or folders of one spot series (repeatable)."
    ),
    mode: str = typer.Option("replay", "--mode", help="replay (paper, testnet, live: not yet)."),
    speed: str = typer.Option("max", "--speed", help="max: as fast as the trader keeps up."),
    cash: str = typer.Option("10000", "--cash", help="Starting quote balance of the account."),
    fee: str = typer.Option("0.001", "--fee", help="Maker and taker fee (0.001 = 0.1%)."),
    risk_profile: str = typer.Option(
        "unrestricted", "--risk-profile", help="unrestricted (as the backtest) or a profile name."
    ),
    config: Path | None = typer.Option(None, "--config", help="Bot config file (not yet)."),
    confirm_live: bool = typer.Option(False, "--confirm-live", help="Required for --mode live."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the trades as JSON here."),
) -> None:
    """Trade a strategy through trader, Celery, execution worker and venue (replay for now)."""
    from ai_engine.trader.replay import MODES, ReplayError, ReplayRequest, run_replay

    def refuse(message: str) -> typer.Exit:
        typer.echo(f"error: {message}", err=True)
        return typer.Exit(2)

    if mode not in MODES:
        raise refuse(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "live" and not confirm_live:
        raise refuse(
            "--mode live trades real money: it needs --confirm-live (and is not built yet)"
        )
    if mode != "replay":
        raise refuse(f"--mode {mode} is not built yet; only --mode replay runs (docs/trading.md)")
    if config is not None:
        raise refuse("--config bot files are not built yet; give --strategy and --data")
    if speed != "max":
        raise refuse(f"--speed {speed}: only --speed max is built (the replay steps bar by bar)")
    if strategy is None:
        raise refuse("--strategy is required")
    try:
        request = ReplayRequest(
            strategy=strategy,
            data=tuple(data or ()),
            params=parse_assignments(params or ""),
            cash=Decimal(cash),
            fee=Decimal(fee),
            risk_profile=risk_profile,
        )
    except (InvalidOperation, StrategyParamError) as exc:
        raise refuse(f"{exc}") from exc
    settings = settings_of(ctx)
    from ai_engine.infra.errors import ServiceError
    from ai_engine.infra.local_services import up
    from ai_engine.store import migrate

    try:
        from ai_engine.trader.replay import check_request

        check_request(request)  # before any server starts
        urls = up(settings)
        migrate.upgrade(urls.database_url)
        outcome = run_replay(
            request, database_url=urls.database_url, redis_url=urls.redis_url, settings=settings
        )
    except ReplayError as exc:
        raise refuse(str(exc)) from exc
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    doc = outcome.document
    typer.echo(f"run {outcome.run_id}")
    typer.echo(
        f"  {strategy} on {outcome.symbol} (replay through trader, Celery, worker, sim): "
        f"{doc['bars']:,} bars, {doc['start']} .. {doc['end']}"
    )
    typer.echo(
        f"  {len(doc['trades'])} trades, {doc['run']['orders']} orders, final equity "
        f"{doc['final_equity']:,.2f} from {doc['initial_cash']:,.2f}"
    )
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(doc, separators=(",", ":"), allow_nan=False))
        typer.echo(f"wrote {json_out}")
