"""Start a simulated exchange whose market is live: Binance's klines instead of the store.

Paper trading: the same matching engine, the same endpoints, but the bars are the ones
closing now, followed over the combined kline stream (``live.follower``), and the market
clock is the wall clock. Selected with ``tradingbot sim-exchange --source live``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import aiohttp

from ai_engine.simexchange.config import SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.limits import wall_clock_ms
from ai_engine.simexchange.live.follower import KlineFollower, LiveSource
from ai_engine.simexchange.live.klines import fetch_closed
from ai_engine.simexchange.live.market import LiveClock, LiveMarket
from ai_engine.simexchange.runner import RunningSim, running_sim_exchange
from ai_engine.simexchange.symbols import spec_for

# No total timeout on the session: it would also cut the long-lived stream connection.
_SESSION_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10)


@asynccontextmanager
async def running_live_sim(
    config: SimConfig,
    source: LiveSource,
    *,
    now_ms: Callable[[], int] = wall_clock_ms,
    **app_options: Any,
) -> AsyncIterator[RunningSim]:
    """Fetch recent history over REST, then serve while following the stream."""
    instruments = {symbol: spec_for(symbol).instrument for symbol in config.symbols}
    async with aiohttp.ClientSession(timeout=_SESSION_TIMEOUT) as session:
        history = {
            symbol: await fetch_closed(
                session, source.rest_url, symbol, now_ms, last=source.history_bars
            )
            for symbol in instruments
        }
        market = LiveMarket(instruments, history)
        exchange = SimExchange(config, market=market, clock=LiveClock(now_ms))
        async with running_sim_exchange(config, exchange=exchange, **app_options) as sim:
            follower = KlineFollower(exchange, market, source, session, now_ms)
            task = asyncio.create_task(follower.run(), name="kline-follower")
            try:
                yield sim
            finally:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
