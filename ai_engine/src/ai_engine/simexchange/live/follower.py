"""Follow Binance's combined kline stream and feed every closed 1m bar to the exchange.

Spot (``/stream?streams=<symbol>@kline_1m/...`` on the spot stream host, REST
``/api/v3/klines``) feeds the exchange's spot market; USD-M (``usdm=True``: the futures
stream host, ``fstream``, and ``/fapi/v1/klines`` on the futures REST host) feeds its
perpetuals' market (``SimExchange.futures``), and with ``funding`` the same connection also
carries ``<symbol>@markPrice`` for the funding it charges (``live.funding``).

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
from ai_engine.simexchange.live.funding import LiveFunding
from ai_engine.simexchange.live.klines import SPOT_KLINES, USDM_KLINES, closed_kline, fetch_closed
from ai_engine.simexchange.live.market import LiveMarket
from ai_engine.simexchange.market import BAR_MS

log = logging.getLogger(__name__)
BINANCE_STREAMS = "wss://stream.binance.com:9443"
BINANCE_REST = "https://api.binance.com"
BINANCE_FUTURES_STREAMS = "wss://fstream.binance.com"
BINANCE_FUTURES_REST = "https://fapi.binance.com"


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveSource:
    """Where the live market comes from (Binance's public endpoints by default)."""

    ws_url: str = BINANCE_STREAMS
    rest_url: str = BINANCE_REST
    futures_ws_url: str = BINANCE_FUTURES_STREAMS  # USD-M: the futures stream host
    futures_rest_url: str = BINANCE_FUTURES_REST  # USD-M: the futures REST host (no /fapi)
    history_bars: int = 1000  # closed 1m bars fetched per symbol at start
    backoff_s: float = 1.0  # first wait before a reconnect; doubles up to max_backoff_s
    max_backoff_s: float = 60.0
    heartbeat_s: float = 30.0  # ping when quiet; a dead peer is noticed within about this

    def stream_url(self, symbols: list[str], *, usdm: bool = False, marks: bool = False) -> str:
        """The combined stream of ``symbols``' 1m klines (``marks``: and their mark prices)."""
        names = [f"{symbol.lower()}@kline_1m" for symbol in symbols]
        names += [f"{symbol.lower()}@markPrice" for symbol in symbols] if marks else []
        base = self.futures_ws_url if usdm else self.ws_url
        return f"{base.rstrip('/')}/stream?streams={'/'.join(names)}"

    def rest(self, *, usdm: bool = False) -> tuple[str, str]:
        """(REST base, klines path) of the spot or the USD-M market."""
        return (self.futures_rest_url, USDM_KLINES) if usdm else (self.rest_url, SPOT_KLINES)


class KlineFollower:
    def __init__(
        self,
        exchange: SimExchange,
        market: LiveMarket,
        source: LiveSource,
        session: aiohttp.ClientSession,
        now_ms: Callable[[], int],
        *,
        usdm: bool = False,  # ``market`` is the exchange's perpetuals' (``exchange.futures``)
        funding: LiveFunding | None = None,  # usdm: charge funding from the mark price stream
    ) -> None:
        self._exchange = exchange
        self._market = market
        self._source = source
        self._session = session
        self._now_ms = now_ms
        self._usdm = usdm
        self._funding = funding
        self._rest, self._path = source.rest(usdm=usdm)
        self.connections = 0  # how many times a stream connection was opened

    async def run(self) -> None:
        """Forever: connect, catch up over REST, follow the stream; on loss, back off."""
        backoff = self._source.backoff_s
        url = self._source.stream_url(
            self._market.symbols, usdm=self._usdm, marks=self._funding is not None
        )
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
        message = json.loads(text)
        if not isinstance(message, dict):
            return
        if self._funding is not None and self._funding.on_event(message):
            return  # a mark price (a funding time that passed is settled by ``funding``)
        event = closed_kline(message)
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
            self._session, self._rest, symbol, self._now_ms,
            after_open=self._market.last_open(symbol), before_open=before_open, path=self._path,
        )  # fmt: skip
        self._add(symbol, missed)

    def _add(self, symbol: str, bars: Bars) -> None:
        if self._market.append(symbol, bars):
            if self._usdm:
                self._exchange.futures.market_changed()
            else:
                self._exchange.market_changed()
            self._exchange.sync()  # resting orders see the new bar now, not at the next tick
