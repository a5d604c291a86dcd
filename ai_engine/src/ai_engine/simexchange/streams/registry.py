"""The open WebSocket connections, so admin faults can find them by what they carry."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Iterator
from typing import Any, Protocol


class Controllable(Protocol):
    """What the admin API can do to a connection (``connection.Connection``)."""

    id: int
    path: str

    def names(self) -> list[str]: ...

    def request_close(self, code: int, reason: str) -> None: ...

    def stall(self, seconds: float) -> None: ...

    def describe(self) -> dict[str, Any]: ...


class Connections:
    def __init__(self) -> None:
        self._open: dict[int, Controllable] = {}
        self._next_id = 1
        self.opened = 0  # connections accepted since start (reconnect tests count these)
        self._empty = asyncio.Event()
        self._empty.set()

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def add(self, connection: Controllable) -> None:
        self._open[connection.id] = connection
        self.opened += 1
        self._empty.clear()

    def remove(self, connection: Controllable) -> None:
        self._open.pop(connection.id, None)
        if not self._open:
            self._empty.set()

    async def close_all(self, code: int, reason: str) -> None:
        """Ask every connection to close and wait until they have (server shutdown)."""
        for connection in self:
            connection.request_close(code, reason)
        await self._empty.wait()

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Controllable]:
        return iter(tuple(self._open.values()))

    def matching(self, pattern: str | None) -> list[Controllable]:
        """Connections whose path or one of whose stream names matches the glob ``pattern``
        (``*@kline_*``, ``/ws-api/v3``); every connection if ``pattern`` is None."""
        if pattern is None:
            return list(self)
        return [
            c
            for c in self
            if fnmatch.fnmatchcase(c.path, pattern)
            or any(fnmatch.fnmatchcase(name, pattern) for name in c.names())
        ]
