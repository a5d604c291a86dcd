"""`tradingbot sim-exchange`: the simulated Binance exchange replaying the market-data store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from aiohttp import ClientError

from ai_engine.cli.context import settings_of
from ai_engine.domain import DomainValueError
from ai_engine.marketdata import UnknownSeries
from ai_engine.marketdata.intervals import iso
from ai_engine.matching.fee_tiers import spot_rates, usdm_rates
from ai_engine.simexchange import (
    AccountSpec,
    RunningSim,
    SimConfig,
    running_sim_exchange,
    serve_forever,
)
from ai_engine.simexchange.config import LatencySpec, parse_fees_bps, parse_speed
from ai_engine.simexchange.futures.config import futures_config
from ai_engine.simexchange.live import (
    BINANCE_FUTURES_REST,
    BINANCE_FUTURES_STREAMS,
    BINANCE_REST,
    BINANCE_STREAMS,
    LiveSource,
    running_live_sim,
)


def sim_exchange(
    ctx: typer.Context,
    port: int = typer.Option(9100, help="Port to listen on (0: any free port)."),
    host: str = typer.Option(
        "127.0.0.1", help="Bind address. The /sim admin API has no auth: keep it local."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Market-data store (default: the global --data-dir/settings)."
    ),
    symbols: str = typer.Option("BTCUSDT,ETHUSDT", help="Comma-separated symbols to list."),
    start: str | None = typer.Option(
        None, help="Replay start, ISO 8601 (UTC if no offset); default: first common bar."
    ),
    speed: str = typer.Option(
        "1", help="Replay speed: x times real time, 'max', or 0 (manual: POST /sim/clock/advance)."
    ),
    account: list[str] = typer.Option(
        [],
        "--account",
        help="KEY:SECRET:USDT=10000,BTC=0[:vip=3,bnb,futures-bnb=1,latency=50,jitter=10]"
        " (repeatable; options: this account's VIP tier, BNB fee payment, latency in ms).",
    ),
    fees_bps: str | None = typer.Option(
        None, help="Default spot maker,taker fees in basis points (default: --vip-tier's)."
    ),
    vip_tier: int = typer.Option(
        0, help="Default VIP tier, 0 (Regular) to 9: Binance's spot and USD-M fee rates."
    ),
    latency_ms: int = typer.Option(
        0, help="Order latency in replay ms: orders and cancels reach the engine this late."
    ),
    latency_jitter_ms: int = typer.Option(
        0, help="Plus a seeded random 0..N ms per order (see --seed)."
    ),
    seed: int = typer.Option(0, help="Seed for generated client order ids."),
    weight_limit: int = typer.Option(6000, help="Request weight per IP per minute."),
    orders_per_10s: int = typer.Option(100, help="New orders per account per 10 seconds."),
    futures_symbols: str = typer.Option(
        "", help="USD-M perpetuals to list under /fapi (comma-separated; --symbols '' for none)."
    ),
    futures_wallet: list[str] = typer.Option(
        [], "--futures-wallet", help="KEY:USDT=10000: an account's futures wallet (repeatable)."
    ),
    futures_fees_bps: str | None = typer.Option(
        None, help="Futures maker,taker fees in basis points (default: --vip-tier's)."
    ),
    source: str = typer.Option(
        "replay", help="Market: 'replay' (the store) or 'live' (Binance klines, wall clock)."
    ),
    live_url: str = typer.Option(BINANCE_STREAMS, help="Kline stream base for --source live."),
    live_rest_url: str = typer.Option(
        BINANCE_REST, help="REST base for --source live (history, missed bars)."
    ),
    live_futures_url: str = typer.Option(
        BINANCE_FUTURES_STREAMS, help="USD-M stream base (klines, mark prices) for --source live."
    ),
    live_futures_rest_url: str = typer.Option(
        BINANCE_FUTURES_REST, help="USD-M REST base (/fapi/v1/klines) for --source live."
    ),
) -> None:
    """Serve Binance's spot REST API over replayed bars; python-binance talks to it unchanged."""
    try:
        futures = futures_config(futures_symbols, futures_wallet, futures_fees_bps)
        if not futures_fees_bps:
            futures = replace(futures, fees=usdm_rates(vip_tier))
        config = SimConfig(
            data_dir=data_dir or settings_of(ctx).store_dir,
            symbols=tuple(s.strip().upper() for s in symbols.split(",") if s.strip()),
            start=_parse_start(start),
            speed=parse_speed(speed),
            accounts=tuple(AccountSpec.parse(text) for text in account),
            fees=parse_fees_bps(fees_bps) if fees_bps else spot_rates(vip_tier),
            seed=seed,
            host=host,
            port=port,
            weight_limit=weight_limit,
            orders_per_10s=orders_per_10s,
            futures=futures,
            latency=LatencySpec(latency_ms, latency_jitter_ms),
        )
        live = LiveSource(
            ws_url=live_url, rest_url=live_rest_url,
            futures_ws_url=live_futures_url, futures_rest_url=live_futures_rest_url,
        )  # fmt: skip
        _run(serve_forever(config, _announce, _server(source, live)))
    except (ValueError, KeyError, DomainValueError, UnknownSeries, OSError, ClientError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _server(
    source: str, live: LiveSource
) -> Callable[[SimConfig], AbstractAsyncContextManager[RunningSim]]:
    if source == "replay":
        return running_sim_exchange
    if source != "live":
        raise ValueError(f"--source must be replay or live, not {source!r}")
    return lambda config: running_live_sim(config, live)


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where installed (it comes with uvicorn[standard]): a faster event loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is in the lock on Linux
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def _parse_start(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _announce(sim: RunningSim) -> None:
    exchange = sim.exchange
    clock = exchange.clock
    typer.echo(f"sim exchange on {sim.base_url}  (python-binance: API_URL = {sim.api_url})")
    typer.echo(
        f"replay {', '.join(exchange.specs)} from {iso(clock.now_ms())} to {iso(clock.end_ms)}"
        f", speed {'manual' if clock.is_manual else clock.speed}"
    )
    keys = [spec.api_key for spec in exchange.config.accounts]
    typer.echo(f"accounts: {', '.join(keys) or 'none (POST /sim/accounts)'}; Ctrl-C stops")
