"""The account's user data stream at a Binance-speaking venue: listen key, keepalive,
reconnect with backoff, and events parsed into ``execution.stream_events``.

    stream = UserDataStream.for_venue(venue, endpoints)     # a BinanceSpotVenue / UsdmVenue
    async with contextlib.aclosing(stream.events()) as events:
      async for event in events:                            # until stream.close()
        match event:
          case StreamConnected(reconnect=True): ...        # reconcile: events may be lost
          case OrderUpdate(report, execution, fill): ...
          case AccountUpdate(balances, positions): ...
          case UnreadableEvent(error): ...                # logged; the stream goes on

Rules:

- **Listen key** from the venue port (``start_user_stream``); the socket is
  ``<stream_url>ws/<key>`` on spot and ``<futures_stream_url>private/ws?listenKey=<key>`` on
  USD-M (python-binance 1.0.37's routing; the sim serves both).
- **Keepalive** every ``keepalive_s`` (Binance: 30 minutes, a key lives 60). A key the venue
  no longer knows (``RejectedError``), or a ``listenKeyExpired`` event, closes the socket:
  the reconnect asks for a key again. A failed keepalive for any other reason is retried at
  the next interval.
- **Reconnect** after any end of the socket (closed by the server, dropped, refused) with
  exponential backoff (``Backoff``: ``initial_s`` doubling to ``max_s``), reset once a
  connection has delivered an event or stayed up ``stable_after_s``. Every (re)connection is
  announced with ``StreamConnected``: events sent while the stream was down are lost, so the
  consumer reconciles after ``reconnect=True``.
- A ``FatalError`` from the venue (bad API key) ends the stream by raising; everything else is
  logged and retried. A bad payload is an ``UnreadableEvent``; the stream goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from ai_engine.domain import FatalError, MarketType, RejectedError, RetryableError
from ai_engine.execution.ports import ExecutionVenue
from ai_engine.execution.stream_events import StreamConnected, UnreadableEvent, UserEvent
from ai_engine.venues.binance.endpoints import BinanceEndpoints
from ai_engine.venues.binance.user_wire import ListenKeyExpired, UserEventParser

log = logging.getLogger("ai_engine.venues.binance.user_stream")

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
HEARTBEAT_S = 20.0  # our pings: a link that died without a close frame is noticed
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    initial_s: float = 0.2
    max_s: float = 30.0
    factor: float = 2.0

    def delay(self, failures: int) -> float:
        """The wait before reconnect attempt ``failures`` (1-based)."""
        return float(min(self.max_s, self.initial_s * self.factor ** max(0, failures - 1)))


def user_stream_url(endpoints: BinanceEndpoints, market: MarketType, listen_key: str) -> str:
    if market is MarketType.SPOT:
        return f"{endpoints.stream_url.rstrip('/')}/ws/{listen_key}"
    if market is MarketType.USDM:
        return f"{endpoints.futures_stream_url.rstrip('/')}/private/ws?listenKey={listen_key}"
    raise ValueError(f"no Binance user data stream for {market}")


class UserDataStream:
    def __init__(
        self,
        venue: ExecutionVenue,
        url_for: Callable[[str], str],
        parser: UserEventParser,
        *,
        keepalive_s: float = 30 * 60,
        backoff: Backoff = Backoff(),
        stable_after_s: float = 5.0,
        open_timeout_s: float = 10.0,
        sleep: Sleep = asyncio.sleep,  # the keepalive's timer (tests pass a faster one)
    ) -> None:
        self._venue, self._url_for, self._parser = venue, url_for, parser
        self._keepalive_s, self._backoff = keepalive_s, backoff
        self._stable_after_s, self._open_timeout_s, self._sleep = (
            stable_after_s, open_timeout_s, sleep,
        )  # fmt: skip
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._closed = asyncio.Event()
        self.connections = 0  # successful connections so far
        self.unreadable = 0  # payloads that could not be read
        self.keepalives = 0  # keepalives the venue accepted

    @classmethod
    def for_venue(
        cls,
        venue: ExecutionVenue,
        endpoints: BinanceEndpoints,
        *,
        keepalive_s: float = 30 * 60,
        backoff: Backoff = Backoff(),
        stable_after_s: float = 5.0,
    ) -> UserDataStream:
        """The stream of ``venue``'s account (its market and instrument venue), on the
        stream hosts of ``endpoints``."""
        market = venue.market_type
        return cls(
            venue, lambda key: user_stream_url(endpoints, market, key),
            UserEventParser(venue.venue, market), keepalive_s=keepalive_s, backoff=backoff,
            stable_after_s=stable_after_s,
        )  # fmt: skip

    async def close(self) -> None:
        """End ``events()`` (at its next step) and close the socket."""
        self._closed.set()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    async def drop(self) -> None:
        """Close the current socket as if the network had dropped it (tests, operators):
        the stream reconnects."""
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(code=4000, message=b"dropped")

    async def events(self) -> AsyncGenerator[UserEvent, None]:
        failures = 0
        async with aiohttp.ClientSession() as session:
            while not self._closed.is_set():
                key = await self._listen_key()
                if key is None:
                    failures += 1
                    await self._pause(failures)
                    continue
                try:
                    ws = await session.ws_connect(
                        self._url_for(key), timeout=aiohttp.ClientWSTimeout(ws_close=2),
                        max_msg_size=MAX_MESSAGE_BYTES, autoping=True, heartbeat=HEARTBEAT_S,
                    )  # fmt: skip
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    log.warning("user data stream: connect failed: %s", exc)
                    failures += 1
                    await self._pause(failures)
                    continue
                if self._closed.is_set():  # closed while connecting: nobody wants it now
                    await ws.close()
                    break
                self._ws = ws
                self.connections += 1
                opened, delivered = time.monotonic(), 0
                keepalive = asyncio.create_task(self._keep_alive(key, ws))
                try:
                    now = datetime.now(UTC)
                    yield StreamConnected(self.connections > 1, self.connections, now)
                    if self._closed.is_set():  # closed while the consumer handled that
                        break
                    async for message in ws:
                        if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                            break  # closed or an error: reconnect
                        event = self._parser.parse(message.data)
                        if isinstance(event, ListenKeyExpired):
                            log.warning("user data stream: listen key expired; reconnecting")
                            break
                        if event is None:
                            continue
                        if isinstance(event, UnreadableEvent):
                            self.unreadable += 1
                            log.error("user data stream: unreadable event: %s", event.error)
                        delivered += 1
                        yield event
                except (aiohttp.ClientError, OSError) as exc:
                    log.info("user data stream: connection lost: %s", exc)
                finally:
                    keepalive.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await keepalive
                    self._ws = None
                    with contextlib.suppress(Exception):
                        await ws.close()
                stable = delivered > 0 or time.monotonic() - opened >= self._stable_after_s
                failures = 1 if stable else failures + 1
                await self._pause(failures)

    async def _listen_key(self) -> str | None:
        try:
            return await self._venue.start_user_stream()
        except FatalError:
            raise
        except (RetryableError, RejectedError) as exc:
            log.warning("user data stream: no listen key: %s", exc)
            return None

    async def _pause(self, failures: int) -> None:
        if self._closed.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._backoff.delay(failures)):
                await self._closed.wait()

    async def _keep_alive(self, key: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            await self._sleep(self._keepalive_s)
            try:
                await self._venue.keepalive_user_stream(key)
                self.keepalives += 1
            except RejectedError as exc:
                log.warning("user data stream: keepalive refused (%s); reconnecting", exc)
                await ws.close(code=4001, message=b"listen key gone")
                return
            except (RetryableError, FatalError) as exc:
                log.warning("user data stream: keepalive failed: %s", exc)
