"""One WebSocket connection: its subscriptions, its sender task and its lifecycle.

The sender is the only writer of data frames. It wakes when the clock moves (market streams,
rendered from the replay by ``MarketView``) or an event is pushed (user data, answers to
requests), writes what is due in chunks and waits for the socket to drain. It ends the
connection when asked (admin close), when the connection reaches its maximum age (Binance:
24 h), and when the client does not keep up: a socket that stays full for
``slow_consumer_s`` or more than ``outbox_limit`` pushed events waiting. Those are cut off
with 1008 rather than buffered without bound. A ``Heartbeat`` pings the client and closes a
connection whose pings go unanswered (1008 too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from ai_engine.simexchange.streams.book_changes import LostChangesError
from ai_engine.simexchange.streams.frames import FrameWriter
from ai_engine.simexchange.streams.heartbeat import Heartbeat
from ai_engine.simexchange.streams.market_view import MarketView
from ai_engine.simexchange.streams.names import MarketStream
from ai_engine.simexchange.streams.sources import SPOT, StreamSource

if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_engine.simexchange.exchange import SimExchange

log = logging.getLogger(__name__)

SLOW_CONSUMER = 1008  # policy violation, with the reason below
MAX_AGE = int(WSCloseCode.GOING_AWAY)


def socket_response(max_message: int) -> web.WebSocketResponse:
    """The server side of a connection. Pings and pongs come to ``Connection.read`` (autoping
    off): the heartbeat must see the client's pongs."""
    return web.WebSocketResponse(compress=False, max_msg_size=max_message, autoping=False)


class Connection:
    def __init__(
        self,
        exchange: SimExchange,
        ws: web.WebSocketResponse,
        request: web.BaseRequest,
        *,
        combined: bool,
        source: StreamSource | None = None,  # the market its streams are of (default spot)
    ) -> None:
        self.exchange = exchange
        self.bus = exchange.bus
        self.settings = self.bus.settings
        self.id = self.bus.connections.new_id()
        self.path = request.path
        self.combined = combined
        self.opened = time.monotonic()
        self.market = MarketView(source or exchange.streams[SPOT], exchange.bus)
        self._ws = ws
        self._writer = FrameWriter(request, self.settings.write_buffer_bytes)
        self._outbox: deque[bytes] = deque()
        self._wrappers: dict[str, tuple[bytes, bytes]] = {}  # pushed channel -> around data
        self._channel_names: dict[str, str] = {}  # pushed channel -> the name it was asked as
        self._fixed_wraps: set[str] = set()  # channels wrapped their own way (WS-API)
        self._wake = asyncio.Event()
        self._market_due = False
        self._close: tuple[int, str] | None = None
        self._stalled_until = 0.0
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.heartbeat: Heartbeat | None = None

    # -- subscriptions -------------------------------------------------------------------

    def names(self) -> list[str]:
        return self.market.names() + list(self._channel_names.values())

    def add_market(self, stream: MarketStream) -> None:
        self.market.add(stream)
        self.bus.watch_market(self)
        self.wake()

    def remove(self, name: str) -> None:
        self.market.remove(name)
        if not len(self.market):
            self.bus.unwatch_market(self)
        for channel, asked in list(self._channel_names.items()):
            if asked == name:
                self.detach(channel)

    def attach(self, channel: str, name: str, wrap: tuple[bytes, bytes] | None = None) -> None:
        """Push ``channel``'s events to this connection (``name``: how the client asked)."""
        if wrap is None:
            wrap = _stream_wrap(name) if self.combined else (b"", b"")
        else:
            self._fixed_wraps.add(channel)
        self._wrappers[channel] = wrap
        self._channel_names[channel] = name
        self.bus.attach(channel, self)

    def detach(self, channel: str) -> None:
        if self._wrappers.pop(channel, None) is not None:
            self._channel_names.pop(channel, None)
            self._fixed_wraps.discard(channel)
            self.bus.detach(channel, self)

    def set_combined(self, combined: bool) -> None:
        """Wrap events as ``{"stream", "data"}`` from now on (or stop)."""
        self.combined = combined
        for channel, name in self._channel_names.items():
            if channel not in self._fixed_wraps:
                self._wrappers[channel] = _stream_wrap(name) if combined else (b"", b"")

    # -- what others call ----------------------------------------------------------------

    def wake(self) -> None:
        self._market_due = True
        self._wake.set()

    def push(self, channel: str, data: bytes) -> None:
        before, after = self._wrappers.get(channel, (b"", b""))
        self.reply(before + data + after)

    def reply(self, payload: bytes) -> None:
        """Queue one text message (an answer to a request, a pushed event)."""
        if len(self._outbox) >= self.settings.outbox_limit:
            self.request_close(SLOW_CONSUMER, "too many events waiting")
            return
        self._outbox.append(payload)
        self._wake.set()

    def request_close(self, code: int, reason: str) -> None:
        if self._close is None:
            self._close = (code, reason)
        self._wake.set()

    def stall(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the connection stays open; events wait)."""
        self._stalled_until = max(self._stalled_until, time.monotonic() + seconds)
        self.bus.unwatch_market(self)  # the "max" clock must not wait for it meanwhile
        self._wake.set()

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "streams": self.names(),
            "ageSeconds": round(time.monotonic() - self.opened, 3),
            "cursor": self.market.cursor_ms if len(self.market) else None,
            "waiting": len(self._outbox),
            "stalled": self._stalled_until > time.monotonic(),
        }

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self.bus.connections.add(self)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(
            self.settings.max_connection_age_s, self.request_close, MAX_AGE, "max age"
        )
        self._task = asyncio.create_task(self._send_loop(), name=f"ws-send-{self.id}")
        if self.settings.ping_interval_s is not None:
            self.heartbeat = Heartbeat(
                self._ws, self.settings.ping_interval_s, self.settings.pong_timeout_s,
                lambda: self.request_close(SLOW_CONSUMER, "pong timeout"),
            )  # fmt: skip
            self.heartbeat.start()

    async def read(self, on_text: Callable[[str], None]) -> None:
        """Read the client's frames until it closes: text goes to ``on_text``; pings are
        answered and pongs reported to the heartbeat (``socket_response`` turns autoping off)."""
        async for message in self._ws:
            if message.type is WSMsgType.TEXT:
                on_text(message.data)
            elif message.type is WSMsgType.PING:
                with contextlib.suppress(ConnectionError):  # closing meanwhile: no matter
                    await self._ws.pong(message.data)
            elif message.type is WSMsgType.PONG and self.heartbeat is not None:
                self.heartbeat.ponged()

    async def finish(self) -> None:
        """The reading side ended: stop the sender and let go of everything."""
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None and not self._task.done():
            self.request_close(int(WSCloseCode.OK), "")
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 2.0)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self.heartbeat is not None:
            # Only now: a ping waiting for the socket to drain shares aiohttp's drain future
            # with the sender, and cancelling the ping cancels that future.
            await self.heartbeat.stop()
        for channel in list(self._wrappers):
            self.detach(channel)
        self.bus.unwatch_market(self)
        self.market.close()
        self.bus.connections.remove(self)

    async def _send_loop(self) -> None:
        try:
            while self._close is None:
                self._wake.clear()
                stalled = self._stalled_until - time.monotonic()
                if stalled > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), stalled)
                    if self._stalled_until <= time.monotonic() and len(self.market):
                        self.bus.watch_market(self)
                        self._market_due = True
                    continue
                if not await self._send_due():
                    await self._wake.wait()
        except ConnectionError as exc:  # the client went away: nothing to close
            log.debug("connection %s: %s", self.id, exc)
            self._close = None
        except LostChangesError:  # so far behind that book changes it needs were dropped
            self._close = (SLOW_CONSUMER, "slow consumer")
        except Exception:  # a bug: say so, and end this connection rather than the server
            log.exception("connection %s failed", self.id)
            self._close = (int(WSCloseCode.INTERNAL_ERROR), "internal error")
        if self._close is not None:
            await self._close_socket(*self._close)

    async def _send_due(self) -> bool:
        """Write what is due; False if there was nothing."""
        wrote = False
        if not len(self.market):
            self._market_due = False
        if self._market_due:
            now = self.bus.now_ms
            end = min(now, self.market.cursor_ms + self.settings.chunk_minutes * 60_000)
            end = max(end, self.market.cursor_ms)
            names, payloads = self.market.render(end)
            self._writer.send(self._wrap_market(names, payloads))
            wrote = bool(payloads)
            if self.market.cursor_ms >= now:
                self._market_due = False
                self.bus.caught_up(self)
        if self._outbox:  # after the market events that were due: an answer is a barrier
            payloads = list(self._outbox)
            self._outbox.clear()
            self._writer.send(payloads)
            wrote = True
        if self._writer.must_wait and not await self._socket_drained():
            return True
        if wrote or self._market_due:
            await asyncio.sleep(0)  # let requests and other connections in between chunks
            return True
        return False

    async def _socket_drained(self) -> bool:
        """Wait for the socket to take our writes; a client that stays behind for
        ``slow_consumer_s`` is cut off (False): aborted, as a close frame would queue behind
        all it has not read."""
        # Not wait_for(drain()): cancelling it would cancel aiohttp's shared drain future.
        drain = asyncio.ensure_future(self._writer.drain())
        try:
            done, _ = await asyncio.wait({drain}, timeout=self.settings.slow_consumer_s)
        except asyncio.CancelledError:
            drain.cancel()
            raise
        if done:
            drain.result()  # ConnectionError if the client went away meanwhile
            return True
        log.info("connection %s cut off: slow consumer", self.id)
        self._close = (SLOW_CONSUMER, "slow consumer")
        self._writer.abort()
        with contextlib.suppress(ConnectionError):
            await drain  # ends as the transport reports the connection lost
        return False

    def _wrap_market(self, names: list[str], payloads: list[bytes]) -> list[bytes]:
        if not self.combined:
            return payloads
        return [
            b'{"stream":"%s","data":%s}' % (name.encode(), payload)
            for name, payload in zip(names, payloads, strict=True)
        ]

    async def _close_socket(self, code: int, reason: str) -> None:
        if self._writer.closing:
            return  # aborted (cut off) or already closing
        try:
            async with asyncio.timeout(1.0):
                await self._ws.close(code=code, message=reason.encode())
        except (TimeoutError, ConnectionError):
            self._writer.abort()  # a client that does not read will not read a close frame


def _stream_wrap(name: str) -> tuple[bytes, bytes]:
    return b'{"stream":"%s","data":' % name.encode(), b"}"
