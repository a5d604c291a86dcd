"""`tradingbot data stream`: live Binance bars into the store (and Redis), until stopped.

Parses the options, runs ``marketdata.live.service.stream_to_store`` until Ctrl-C, SIGTERM
or ``--duration``, then prints what it did. Exit 1 when the venue refuses the streams or a
REST call (unknown symbol, a long ban): the message says which.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

import typer

from ai_engine.cli.context import settings_of
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import DomainValueError, FatalError, RejectedError
from ai_engine.marketdata.intervals import iso, to_ms
from ai_engine.marketdata.live.events import BarClosed, MarketEvent
from ai_engine.marketdata.live.service import StreamJob, StreamSummary, stream_to_store
from ai_engine.marketdata.live.subscriptions import (
    DEFAULT_REST_URLS,
    DEFAULT_WS_URLS,
    StreamSpec,
)


class Market(StrEnum):
    SPOT = "spot"
    USDM = "usdm"


def stream(
    ctx: typer.Context,
    symbol: list[str] = typer.Option(..., "--symbol", help="Symbol (repeatable): BTCUSDT."),
    interval: list[str] = typer.Option(["1m"], "--interval", help="Kline interval (repeatable)."),
    market: Market = typer.Option(Market.SPOT, help="spot or usdm (USD-M perpetuals)."),
    base_url: str | None = typer.Option(
        None, help="REST base URL (default Binance's; a sim exchange: http://127.0.0.1:9100)."
    ),
    ws_url: str | None = typer.Option(
        None,
        help="WebSocket base URL (default Binance's; a sim: ws://HOST:PORT, + /fstream for usdm).",
    ),
    since: str | None = typer.Option(
        None, help="Backfill new series from this time (ISO 8601, UTC if no offset)."
    ),
    redis_url: str | None = typer.Option(
        None, help="Also publish closed bars to the Redis stream tradingbot:events here."
    ),
    stale_after: float = typer.Option(30.0, help="Reconnect after this many seconds of silence."),
    flush_bars: int = typer.Option(60, help="Write to the store every N bars (and every minute)."),
    duration: float | None = typer.Option(None, help="Stop after this many seconds."),
    quiet: bool = typer.Option(False, "--quiet", help="Do not print each closed bar."),
) -> None:
    """Stream live klines into the store: reconnects, backfills holes, never duplicates."""
    settings = settings_of(ctx)
    chosen = MarketType(market)
    try:
        spec = StreamSpec.of(chosen, symbol, intervals=interval)
        since_ms = None if since is None else to_ms(_parse_time(since))
    except (DomainValueError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    job = StreamJob(
        spec=spec,
        ws_url=ws_url or DEFAULT_WS_URLS[chosen],
        rest_url=base_url or DEFAULT_REST_URLS[chosen],
        store_dir=settings.store_dir,
        redis_url=redis_url,
        since_ms=since_ms,
        stale_after_s=stale_after,
        flush_bars=flush_bars,
    )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    typer.echo(f"streaming {', '.join(s.name for s in spec.subscriptions)} into {job.store_dir}")
    try:
        summary = asyncio.run(_run(job, duration, None if quiet else _print_bar))
    except (RejectedError, FatalError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    _print_summary(summary)


async def _run(
    job: StreamJob, duration: float | None, on_event: Callable[[MarketEvent], None] | None
) -> StreamSummary:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)
    return await stream_to_store(job, stop, on_event=on_event)


def _print_bar(event: MarketEvent) -> None:
    if isinstance(event, BarClosed):
        bar = event.bar
        typer.echo(
            f"{bar.instrument_id.symbol} {event.interval} {bar.open_time.isoformat()} "
            f"o={bar.open} h={bar.high} l={bar.low} c={bar.close} v={bar.volume} ({event.source})"
        )


def _print_summary(summary: StreamSummary) -> None:
    stats = summary.stats
    for series, ms in summary.resumed.items():
        typer.echo(f"resumed {series} after {iso(ms)}")
    offset = "n/a" if summary.clock_offset_ms is None else f"{summary.clock_offset_ms:+.1f} ms"
    typer.echo(
        f"{stats.bars_published:,} bars closed ({stats.bars_backfilled:,} from REST), "
        f"{summary.stored:,} stored, {summary.refused:,} refused, "
        f"{summary.published:,} published to Redis"
    )
    ends = ", ".join(f"{why} {count}" for why, count in sorted(stats.ends.items())) or "none"
    typer.echo(
        f"{stats.connections} connection(s); ended: {ends}; planned: {stats.planned_reconnects}; "
        f"malformed messages: {stats.malformed}; duplicates dropped: {stats.duplicates}; "
        f"clock offset {offset}"
    )


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
