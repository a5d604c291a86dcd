"""One WebSocket connection of a live client: open it, pump its messages, notice staleness.

``open_connection`` performs the handshake (``websockets``; server pings are answered by the
library, ours keep idle links open). ``Connection.pump`` moves every text message, stamped
with the local receive time, onto the client's queue -- parsing happens elsewhere, so a slow
parse never delays the socket's own ping/pong -- and returns why the connection ended:

- ``stale``: no message for ``stale_after_s`` (the watchdog: a link can die without a close
  frame, or a server can stop sending and keep the connection open);
- ``closed <code>``: the server closed it (1001 at Binance's 24-hour limit, or on shutdown);
- ``lost``: the connection broke without a close handshake.

A handshake refused with 400/404 (an unknown stream, a wrong URL) will never work and raises
``RejectedError``; other failures are ``ConnectError`` for the caller's backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from ai_engine.domain.errors import RejectedError

MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # a full depth diff of a busy book is far below this


class ConnectError(Exception):
    """The connection could not be opened this time (refused, timed out, 5xx, 429...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketOptions:
    open_timeout_s: float = 10.0
    ping_interval_s: float | None = 20.0  # our pings; None: only answer the server's
    ping_timeout_s: float | None = 20.0
    close_timeout_s: float = 2.0


@dataclass(frozen=True, slots=True)
class Received:
    connection: int
    received_ms: int  # local wall clock
    payload: bytes


@dataclass(slots=True, eq=False)  # identity: kept in sets
class Connection:
    id: int
    ws: ClientConnection
    opened: float  # monotonic
    messages: int = 0
    end: str | None = None
    task: asyncio.Task[str] | None = field(default=None, repr=False)

    async def pump(
        self,
        put: Callable[[Received], None],
        stale_after_s: float,
        local_ms: Callable[[], float],
    ) -> str:
        try:
            while True:
                async with asyncio.timeout(stale_after_s):
                    payload = await self.ws.recv(decode=False)
                self.messages += 1
                put(Received(self.id, int(local_ms()), bytes(payload)))
        except TimeoutError:
            self.end = "stale"
        except ConnectionClosed as exc:
            self.end = "lost" if exc.rcvd is None else f"closed {exc.rcvd.code}"
        return self.end

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()

    def age_s(self) -> float:
        return time.monotonic() - self.opened


async def open_connection(url: str, options: SocketOptions) -> ClientConnection:
    try:
        return await connect(
            url,
            open_timeout=options.open_timeout_s,
            ping_interval=options.ping_interval_s,
            ping_timeout=options.ping_timeout_s,
            close_timeout=options.close_timeout_s,
            max_size=MAX_MESSAGE_BYTES,
            max_queue=1024,
            compression=None,  # Binance does not compress; saves CPU per message
        )
    except InvalidURI as exc:
        raise RejectedError(f"bad WebSocket URL {url!r}: {exc}") from exc
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = exc.response.body.decode(errors="replace")[:200] if exc.response.body else ""
        if status in (400, 404):
            raise RejectedError(f"{url} refused the streams: HTTP {status} {body}") from exc
        raise ConnectError(f"HTTP {status} {body}") from exc
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise ConnectError(f"{type(exc).__name__}: {exc}") from exc
