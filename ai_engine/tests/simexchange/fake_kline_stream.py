"""A stand-in for Binance's combined kline stream, driven by the test, in a thread of its own.

It speaks Binance's format (``/stream?streams=btcusdt@kline_1m/...`` sending
``{"stream", "data": {"e": "kline", "k": {...}}}``) but sends only what the test hands it --
kline events built from real rows -- and can cut every connection from the server side.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable
from typing import Any

from aiohttp import web


def kline_event(symbol: str, row: list[Any], *, closed: bool = True) -> dict[str, Any]:
    """Binance's kline stream event for one REST kline row."""
    return {
        "stream": f"{symbol.lower()}@kline_1m",
        "data": {
            "e": "kline", "E": int(row[6]) + 1, "s": symbol,
            "k": {"t": row[0], "T": row[6], "s": symbol, "i": "1m", "f": 0, "L": 0,
                  "o": row[1], "c": row[4], "h": row[2], "l": row[3], "v": row[5],
                  "n": row[8], "x": closed, "q": row[7], "V": row[9], "Q": row[10], "B": "0"},
        },
    }  # fmt: skip


class FakeKlineStream:
    def __init__(self) -> None:
        self.connections = 0
        self.requested: list[str] = []  # the ``streams`` query of each connection
        self._sockets: set[web.WebSocketResponse] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __enter__(self) -> FakeKlineStream:
        self._thread.start()
        self._run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def open_sockets(self) -> int:
        return len(self._sockets)

    def send(self, *events: dict[str, Any]) -> None:
        self._run(self._send([json.dumps(event) for event in events]))

    def drop_all(self) -> None:
        """Close every connection from the server side (what Binance does on maintenance)."""
        self._run(self._drop())

    def _run(self, coroutine: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/stream", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}"

    async def _stop(self) -> None:
        await self._drop()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.connections += 1
        self.requested.append(request.query.get("streams", ""))
        self._sockets.add(socket)
        try:
            async for _ in socket:
                pass
        finally:
            self._sockets.discard(socket)
        return socket

    async def _send(self, texts: list[str]) -> None:
        for socket in list(self._sockets):
            for text in texts:
                await socket.send_str(text)

    async def _drop(self) -> None:
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"going away")
