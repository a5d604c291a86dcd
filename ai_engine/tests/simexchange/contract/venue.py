"""The venue the contract suite runs against, as a small protocol.

An execution adapter talks to Binance through python-binance; the suite exercises a venue the
same way: ``client`` is the python-binance call surface (called synchronously, whichever client
sits behind it), ``let_market_move`` lets replayed or real time pass, ``inject`` adds a fault
where the venue can (the simulated exchange) and skips the test where it cannot (testnet).
A later ``venues/binance`` suite provides its own ``VenueUnderTest`` and reuses the tests.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import requests

from ai_engine.domain import OrderStatus
from ai_engine.simexchange import ThreadedSimExchange

# Binance's order statuses as the domain knows them: what the adapter must map, and nothing
# else may appear (an unknown status is a contract failure, not a default).
BINANCE_STATUS: dict[str, OrderStatus] = {
    "NEW": OrderStatus.ACCEPTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "PENDING_CANCEL": OrderStatus.PENDING_CANCEL,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}


class VenueUnderTest(Protocol):
    name: str
    client: Any  # python-binance Client methods, called synchronously
    transport_errors: tuple[type[BaseException], ...]  # what a lost or late answer raises
    request_timeout: float  # the client's per-request timeout, seconds

    def let_market_move(self, bars: int) -> None: ...

    def inject(self, *rules: Mapping[str, Any]) -> None: ...


class SimVenue:
    """The simulated exchange: the replay clock moves on demand, faults go to /sim/faults."""

    def __init__(
        self,
        name: str,
        sim: ThreadedSimExchange,
        client: Any,
        transport_errors: tuple[type[BaseException], ...],
        request_timeout: float,
    ) -> None:
        self.name = name
        self.sim = sim
        self.client = client
        self.transport_errors = transport_errors
        self.request_timeout = request_timeout

    def let_market_move(self, bars: int) -> None:
        self.sim.advance(bars=bars)

    def inject(self, *rules: Mapping[str, Any]) -> None:
        posted = requests.post(f"{self.sim.base_url}/sim/faults", json=list(rules), timeout=5)
        assert posted.status_code == 201, posted.text


class BlockingAsyncClient:
    """python-binance's ``AsyncClient`` behind blocking calls, on an event loop of its own in a
    thread, so one synchronous test body drives both the sync and the async client."""

    def __init__(self, create: Callable[[], Awaitable[Any]]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._client = self._run(create())

    def _run(self, awaitable: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=60)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(**params: Any) -> Any:
            return self._run(method(**params))

        return call

    def close(self) -> None:
        self._run(self._client.close_connection())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
