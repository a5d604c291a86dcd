"""`tradingbot run`: a bot traded through the full order path (docs/trading.md).

Two ways in:

* a bot config: ``tradingbot run --config bots/NAME.yaml --mode replay [--start T] [--end T]
  [--speed max|N] [--json OUT]`` -- the bot's strategy, risk profile, sizing and safety from
  the file (``trader.bot_config``), supervised (control commands, kill switch, breaker halts,
  events, status, heartbeat: ``trader.supervisor``), its data from the file's ``data`` section
  (``--start``/``--end`` override its bounds; ``--end`` is exclusive, the backtest's rule:
  ``trader.replay``'s docstring);
* a one-off replay: ``tradingbot run --strategy NAME [--params k=v,...] --data FILE... --mode
  replay --speed max [--json OUT]``; ``--market usdm --leverage N`` trades a USD-M perpetual
  (its ``futures_um`` klines, with its ``fundingRate`` files for funding), longs and shorts.

Both make PostgreSQL and Redis answer (``tradingbot services up``'s servers, or the configured
ones), migrate the database and run ``trader.replay.run_replay``: the files served by the sim
exchange, the trader, a Celery ``orders`` worker in this process. It prints the run id and a
summary; ``--json`` writes the trades in the JSON shape of ``tradingbot backtest --json``.

**Modes and their refusals** (exit 2, before anything connects, ``modes.check_mode``):
``--mode live`` needs ``--confirm-live`` *and* API keys in the environment
(``TRADINGBOT_BINANCE_API_KEY``/``_SECRET``); ``--mode testnet`` needs the keys. Paper, testnet
and live (``trader.live.run_live``) need a bot config (spot) and run until a ``stop``
(``tradingbot stop``, the API) or SIGINT/SIGTERM, then print the run id and a summary.
Bad input exits 2, a service or venue that cannot be reached exits 1; no message ever
carries a key.

``--metrics-port N`` (off by default; 0 picks a free port, printed as ``metrics on
http://HOST:PORT/metrics``) serves this process's Prometheus metrics: the venue weight of the
trader's and its in-process worker's clients, model inference time, reconnects, Python's
process collectors (the trading metrics are the API's, from the event stream).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from ai_engine.cli.context import settings_of
from ai_engine.strategies import StrategyParamError, parse_assignments

END_HELP = (  # the same rule and text as ``tradingbot backtest --end`` (cli/backtest.py)
    "Exclusive: bars opening before it; a position still open closes at the last one's close "
    "(ISO, UTC)."
)


def run(
    ctx: typer.Context,
    strategy: str | None = typer.Option(None, "--strategy", help="Strategy name."),
    params: str | None = typer.Option(None, "--params", help="Parameters: name=value,..."),
    data: list[Path] | None = typer.Option(
        None, "--data", help="Binance kline files or folders of one series (repeatable)."
    ),
    market: str = typer.Option("spot", "--market", help="spot | usdm (perpetual; one-off)."),
    leverage: int = typer.Option(1, "--leverage", help="USD-M leverage (one-off replay)."),
    mode: str = typer.Option("replay", "--mode", help="replay | paper | testnet | live."),
    speed: str = typer.Option("max", "--speed", help="max, or N times real time (replay)."),
    cash: str = typer.Option("10000", "--cash", help="Starting quote balance of the account."),
    fee: str = typer.Option("0.001", "--fee", help="Maker and taker fee (0.001 = 0.1%)."),
    risk_profile: str = typer.Option(
        "unrestricted", "--risk-profile", help="unrestricted (as the backtest) or a profile name."
    ),
    config: Path | None = typer.Option(None, "--config", help="Bot config file (bots/*.yaml)."),
    start: str | None = typer.Option(
        None, "--start", help="Replay clock starts here; earlier bars are warm-up (ISO, UTC)."
    ),
    end: str | None = typer.Option(None, "--end", help=END_HELP),  # backtest's --end rule
    confirm_live: bool = typer.Option(False, "--confirm-live", help="Required for --mode live."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the trades as JSON here."),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve Prometheus metrics on this port (0: a free one)."
    ),
    metrics_host: str = typer.Option(
        "127.0.0.1", "--metrics-host", help="Address for --metrics-port (0.0.0.0 in a container)."
    ),
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
    if metrics_port is not None:  # docs/operations.md, "Where each process serves its metrics"
        from ai_engine.metrics.exporter import start_exporter

        try:
            exporter = start_exporter(port=metrics_port, addr=metrics_host)
        except OSError as exc:  # the port is taken, or the address is not this host's
            typer.echo(f"error: --metrics-port {metrics_port} on {metrics_host}: {exc}", err=True)
            raise typer.Exit(1) from exc
        ctx.call_on_close(exporter.close)
        typer.echo(f"metrics on http://{metrics_host}:{exporter.port}/metrics")
    if mode != "replay":
        if config is None:
            raise refuse(f"--mode {mode} runs a bot config: give --config bots/NAME.yaml")
        if strategy is not None or data or start or end or json_out is not None:
            raise refuse(f"--mode {mode} takes its bot from --config only (no --strategy, "
                         "--data, --start, --end or --json)")  # fmt: skip
        _run_live(settings, config, mode, confirm_live, refuse)
        return
    try:
        pace = _speed(speed)
        bounds = (_time(start, "--start"), _time(end, "--end"))
    except ValueError as exc:
        raise refuse(str(exc)) from exc
    try:
        if config is not None:
            if strategy is not None or data:
                raise refuse("--config names the strategy and data: drop --strategy/--data")
            if market != "spot" or leverage != 1:
                raise refuse("--config names the market and leverage: drop --market/--leverage")
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
                start=bounds[0], end=bounds[1], speed=pace, market=market, leverage=leverage,
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


def _run_live(
    settings: Any, config: Path, mode: str, confirm_live: bool, refuse: Any
) -> None:  # fmt: skip
    """``--mode paper|testnet|live``: the bot config on a running market (``trader.live``)."""
    from ai_engine.domain.errors import FatalError, TradingBotError
    from ai_engine.infra.errors import ServiceError
    from ai_engine.infra.local_services import up
    from ai_engine.store import migrate
    from ai_engine.trader.bot_config import BotConfigError, load_bot_config
    from ai_engine.trader.live import LiveError, LiveRequest, check_live, run_live

    try:
        bot = load_bot_config(config)
        request = LiveRequest(bot=bot, mode=mode, confirm_live=confirm_live)
        check_live(request, settings)  # before any server starts or anything connects
    except (BotConfigError, LiveError, FatalError) as exc:
        raise refuse(str(exc)) from exc

    def started(run_id: str) -> None:
        typer.echo(f"run {run_id} started: bot {bot.id} ({mode}); stop with tradingbot stop "
                   f"{bot.id} or Ctrl-C")  # fmt: skip

    try:
        urls = up(settings)
        migrate.upgrade(urls.database_url)
        outcome = run_live(
            request, database_url=urls.database_url, redis_url=urls.redis_url,
            settings=settings, on_started=started,
        )  # fmt: skip
    except LiveError as exc:
        raise refuse(str(exc)) from exc
    except (ServiceError, TradingBotError, OSError) as exc:  # a venue or service unreachable
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"run {outcome.run_id}")
    typer.echo(
        f"  bot {outcome.bot_id}: {bot.strategy} on {', '.join(bot.symbols)} ({mode}, venue "
        f"{outcome.venue}): {outcome.bars:,} bars, {outcome.orders} orders"
    )
    equity = sum((b.quote for b in outcome.books.values()), Decimal(0))
    typer.echo(f"  quote balance of the bot's books {equity:,.2f}; stopped by "
               f"{outcome.stopped_by or 'the end of its feed'}")  # fmt: skip


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
