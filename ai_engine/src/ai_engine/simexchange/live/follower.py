"""Follow Binance's combined kline stream and feed every closed 1m bar to the exchange.

No bar may be lost across a disconnect: after every (re)connect the closed bars missed
meanwhile are fetched over REST before stream events are used, and an event that skips ahead
of the last bar held fetches the gap first. Stream events for bars already held are dropped,
so the REST and stream paths can overlap freely. Reconnects back off exponentially (reset once
a connection is up); Binance itself closes every stream after 24 h, so this is routine.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from ai_engine.marketdata import Bars
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.live.klines import closed_kline, fetch_closed
from ai_engine.simexchange.live.market import LiveMarket
from ai_engine.simexchange.market import BAR_MS

log = logging.getLogger(__name__)
BINANCE_STREAMS = "wss://stream.binance.com:9443"
BINANCE_REST = "https://api.binance.com"


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveSource:
    """Where the live market comes from (Binance's public endpoints by default)."""

    ws_url: str = BINANCE_STREAMS
    rest_url: str = BINANCE_REST
    history_bars: int = 1000  # closed 1m bars fetched per symbol at start
    backoff_s: float = 1.0  # first wait before a reconnect; doubles up to max_backoff_s
    max_backoff_s: float = 60.0
    heartbeat_s: float = 30.0  # ping when quiet; a dead peer is noticed within about this

    def stream_url(self, symbols: list[str]) -> str:
        names = "/".join(f"{symbol.lower()}@kline_1m" for symbol in symbols)
        return f"{self.ws_url.rstrip('/')}/stream?streams={names}"


class KlineFollower:
    def __init__(
        self,
        exchange: SimExchange,
        market: LiveMarket,
        source: LiveSource,
        session: aiohttp.ClientSession,
        now_ms: Callable[[], int],
    ) -> None:
        self._exchange = exchange
        self._market = market
        self._source = source
        self._session = session
        self._now_ms = now_ms
        self.connections = 0  # how many times a stream connection was opened

    async def run(self) -> None:
        """Forever: connect, catch up over REST, follow the stream; on loss, back off."""
        backoff = self._source.backoff_s
        url = self._source.stream_url(self._market.symbols)
        while True:
            try:
                async with self._session.ws_connect(url, heartbeat=self._source.heartbeat_s) as ws:
                    self.connections += 1
                    backoff = self._source.backoff_s
                    for symbol in self._market.symbols:
                        await self._catch_up(symbol)
                    async for message in ws:
                        if message.type is aiohttp.WSMsgType.TEXT:
                            await self._on_event(message.data)
                log.warning("kline stream %s closed; reconnecting", url)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.warning("kline stream %s failed (%s); retry in %.1f s", url, exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._source.max_backoff_s)

    async def _on_event(self, text: str) -> None:
        event = closed_kline(json.loads(text))
        if event is None:
            return
        symbol, bar = event
        if symbol not in self._market.instruments:
            return
        opened = int(bar.open_time[0])
        if opened > self._market.last_open(symbol) + BAR_MS:
            await self._catch_up(symbol, before_open=opened)  # a gap: fill it first
        self._add(symbol, bar)

    async def _catch_up(self, symbol: str, before_open: int | None = None) -> None:
        missed = await fetch_closed(
            self._session, self._source.rest_url, symbol, self._now_ms,
            after_open=self._market.last_open(symbol), before_open=before_open,
        )  # fmt: skip
        self._add(symbol, missed)

    def _add(self, symbol: str, bars: Bars) -> None:
        if self._market.append(symbol, bars):
            self._exchange.market_changed()
            self._exchange.sync()  # resting orders see the new bar now, not at the next tick
