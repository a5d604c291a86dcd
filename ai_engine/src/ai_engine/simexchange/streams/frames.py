"""WebSocket text frames written straight to the connection's transport, many per write.

Why not ``WebSocketResponse.send_str``: at "max" replay speed a kline subscriber gets hundreds
of thousands of events per second, and a per-message coroutine call costs more than rendering
the event. Server frames are unmasked, so a frame is a 2-10 byte header plus the payload; we
join a chunk of them and hand the transport one buffer. Control frames (pong, close) still go
through aiohttp, which writes them whole from the same thread, so frames never interleave.

Flow control: the transport pauses the protocol above its high-water mark; ``drain`` waits for
it to resume (aiohttp's own writer does the same through ``_drain_helper``).
"""

from __future__ import annotations

import asyncio
import struct

from aiohttp import web

_TEXT = 0x81  # FIN + opcode 1
_SHORT = struct.Struct(">BB").pack
_MEDIUM = struct.Struct(">BBH").pack
_LONG = struct.Struct(">BBQ").pack


def header(size: int) -> bytes:
    if size < 126:
        return _SHORT(_TEXT, size)
    if size < 65_536:
        return _MEDIUM(_TEXT, 126, size)
    return _LONG(_TEXT, 127, size)


def frames(payloads: list[bytes]) -> bytes:
    """Text frames of ``payloads``, concatenated."""
    parts: list[bytes] = []
    append = parts.append
    for payload in payloads:
        append(header(len(payload)))
        append(payload)
    return b"".join(parts)


class FrameWriter:
    def __init__(self, request: web.BaseRequest, buffer_bytes: int) -> None:
        transport = request.transport
        if transport is None:
            raise ConnectionResetError("the connection is gone")
        self._transport: asyncio.Transport = transport
        self._protocol = request.protocol
        # Room for a few rendered chunks: the client reads one while we render the next.
        transport.set_write_buffer_limits(high=buffer_bytes, low=buffer_bytes // 4)

    @property
    def closing(self) -> bool:
        return self._transport.is_closing()

    def write(self, data: bytes) -> None:
        if self._transport.is_closing():
            raise ConnectionResetError("the connection is closing")
        self._transport.write(data)

    def send(self, payloads: list[bytes]) -> None:
        if payloads:
            self.write(frames(payloads))

    @property
    def must_wait(self) -> bool:
        """The socket buffer is over its high-water mark: wait before writing more."""
        return self._protocol.writing_paused

    async def drain(self) -> None:
        await self._protocol._drain_helper()

    def abort(self) -> None:
        """Drop the connection without a close handshake (a client that does not read)."""
        self._transport.abort()
