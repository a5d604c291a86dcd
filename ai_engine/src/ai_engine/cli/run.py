"""`tradingbot run`: a bot traded through the full order path (docs/trading.md).

Two ways in:

* a bot config: ``tradingbot run --config bots/NAME.yaml --mode replay [--start T] [--end T]
  [--speed max|N] [--json OUT]`` -- the bot's strategy, risk profile, sizing and safety from
  the file (``trader.bot_config``), supervised (control commands, kill switch, breaker halts,
  events, status, heartbeat: ``trader.supervisor``), its data from the file's ``data`` section
  (``--start``/``--end`` override its bounds);
* a one-off replay: ``tradingbot run --strategy NAME [--params k=v,...] --data FILE... --mode
  replay --speed max [--json OUT]``.

Both make PostgreSQL and Redis answer (``tradingbot services up``'s servers, or the configured
ones), migrate the database and run ``trader.replay.run_replay``: the files served by the sim
exchange, the trader, a Celery ``orders`` worker in this process. It prints the run id and a
summary; ``--json`` writes the trades in the JSON shape of ``tradingbot backtest --json``.

**Modes and their refusals** (exit 2, before anything connects, ``modes.check_mode``):
``--mode live`` needs ``--confirm-live`` *and* API keys in the environment
(``TRADINGBOT_BINANCE_API_KEY``/``_SECRET``); ``--mode testnet`` needs the keys; paper, testnet
and live then stop with "not built yet" (the order path for a remote venue is not wired; see
docs/trading.md). Bad input exits 2, a service that cannot start exits 1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
    mode: str = typer.Option("replay", "--mode", help="replay | paper | testnet | live."),
    speed: str = typer.Option("max", "--speed", help="max, or N times real time (replay)."),
    cash: str = typer.Option("10000", "--cash", help="Starting quote balance of the account."),
    fee: str = typer.Option("0.001", "--fee", help="Maker and taker fee (0.001 = 0.1%)."),
    risk_profile: str = typer.Option(
        "unrestricted", "--risk-profile", help="unrestricted (as the backtest) or a profile name."
    ),
    config: Path | None = typer.Option(None, "--config", help="Bot config file (bots/*.yaml)."),
    start: str | None = typer.Option(None, "--start", help="Replay from (ISO-8601 UTC)."),
    end: str | None = typer.Option(None, "--end", help="Replay until (ISO-8601 UTC)."),
    confirm_live: bool = typer.Option(False, "--confirm-live", help="Required for --mode live."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the trades as JSON here."),
) -> None:
    """Trade a strategy or a bot config through trader, Celery, execution worker and venue."""
    from ai_engine.trader.bot_config import BotConfigError, load_bot_config
    from ai_engine.trader.modes import ModeRefused, check_mode
    from ai_engine.trader.replay import ReplayError, ReplayRequest, run_replay

    def refuse(message: str) -> typer.Exit:
        typer.echo(f"error: {message}", err=True)
        return typer.Exit(2)

    settings = settings_of(ctx)
    try:
        check_mode(mode, confirm_live=confirm_live, settings=settings)
    except ModeRefused as exc:
        raise refuse(str(exc)) from exc
    try:
        pace = _speed(speed)
        bounds = (_time(start, "--start"), _time(end, "--end"))
    except ValueError as exc:
        raise refuse(str(exc)) from exc
    try:
        if config is not None:
            if strategy is not None or data:
                raise refuse("--config names the strategy and data: drop --strategy/--data")
            bot = load_bot_config(config)
            request = ReplayRequest(
                strategy=bot.strategy, data=bot.data.files, params=bot.params, cash=bot.cash,
                fee=bot.fee, risk_profile=bot.risk_profile, bot=bot,
                start=bounds[0] or bot.data.start, end=bounds[1] or bot.data.end, speed=pace,
            )  # fmt: skip
        else:
            if strategy is None:
                raise refuse("--strategy (or --config) is required")
            request = ReplayRequest(
                strategy=strategy, data=tuple(data or ()), params=parse_assignments(params or ""),
                cash=Decimal(cash), fee=Decimal(fee), risk_profile=risk_profile,
                start=bounds[0], end=bounds[1], speed=pace,
            )  # fmt: skip
    except BotConfigError as exc:
        raise refuse(str(exc)) from exc
    except (InvalidOperation, StrategyParamError) as exc:
        raise refuse(f"{exc}") from exc
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
    who = f"bot {outcome.bot_id}: " if config is not None else ""
    typer.echo(
        f"  {who}{request.strategy} on {outcome.symbol} (replay through trader, Celery, "
        f"worker, sim): {doc['bars']:,} bars, {doc['start']} .. {doc['end']}"
    )
    typer.echo(
        f"  {len(doc['trades'])} trades, {doc['run']['orders']} orders, final equity "
        f"{doc['final_equity']:,.2f} from {doc['initial_cash']:,.2f}"
    )
    if outcome.run.stopped_by:
        typer.echo(f"  stopped early: {outcome.run.stopped_by}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(doc, separators=(",", ":"), allow_nan=False))
        typer.echo(f"wrote {json_out}")


def _speed(text: str) -> float:
    """``max`` -> 0 (as fast as the trader keeps up); N -> N times real time."""
    if text == "max":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--speed must be max or a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"--speed must be max or a positive number, got {text!r}")
    return value


def _time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{option}: expected an ISO-8601 time, got {text!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
