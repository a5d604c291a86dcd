"""Start a simulated exchange whose market is live: Binance's klines instead of the store.

Paper trading: the same matching engine, the same endpoints, but the bars are the ones
closing now, followed over the combined kline stream (``live.follower``), and the market
clock is the wall clock. Selected with ``tradingbot sim-exchange --source live``.

The USD-M perpetuals of ``config.futures.symbols`` (``/fapi``, paper USD-M) are followed the
same way on Binance's USD-M public data (``/fapi/v1/klines`` and the ``fstream`` kline
stream, ``source.futures_*``), with their own follower; with ``funding`` (the default) that
follower also reads ``<symbol>@markPrice`` and the venue charges funding at the funding times
it announces (``live.funding``: its rules and limits).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any

import aiohttp

from ai_engine.marketdata import Bars
from ai_engine.simexchange.config import SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.futures.symbols import futures_spec_for
from ai_engine.simexchange.limits import wall_clock_ms
from ai_engine.simexchange.live.follower import KlineFollower, LiveSource
from ai_engine.simexchange.live.funding import LiveFunding
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
    funding: bool = True,
    **app_options: Any,
) -> AsyncIterator[RunningSim]:
    """Fetch recent history over REST, then serve while following the streams."""
    instruments = {symbol: spec_for(symbol).instrument for symbol in config.symbols}
    perps = {s: futures_spec_for(s).instrument for s in config.futures.symbols}
    async with aiohttp.ClientSession(timeout=_SESSION_TIMEOUT) as session:

        async def history(symbols: Iterable[str], *, usdm: bool) -> dict[str, Bars]:
            rest, path = source.rest(usdm=usdm)
            return {
                symbol: await fetch_closed(
                    session, rest, symbol, now_ms, last=source.history_bars, path=path
                )
                for symbol in symbols
            }

        market = LiveMarket(instruments, await history(instruments, usdm=False))
        futures = LiveMarket(perps, await history(perps, usdm=True))
        exchange = SimExchange(
            config, market=market, clock=LiveClock(now_ms), futures_market=futures
        )
        followers = []
        if instruments:
            followers.append(KlineFollower(exchange, market, source, session, now_ms))
        if perps:

            def funding_due() -> None:  # a funding time passed: settle it now
                exchange.futures.market_changed()
                exchange.sync()

            charges = LiveFunding(exchange.futures.funding, funding_due) if funding else None
            followers.append(
                KlineFollower(exchange, futures, source, session, now_ms, usdm=True,
                              funding=charges)
            )  # fmt: skip
        async with running_sim_exchange(config, exchange=exchange, **app_options) as sim:
            tasks = [
                asyncio.create_task(f.run(), name=f"kline-follower-{i}")
                for i, f in enumerate(followers)
            ]
            try:
                yield sim
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with suppress(asyncio.CancelledError):
                        await task
