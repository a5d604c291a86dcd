"""Starting the server: in the caller's event loop, in a thread of its own, or as a process.

async with running_sim_exchange(config) as sim:      # async tests, the CLI
    client = await LocalAsyncClient.create(...)       # sim.base_url + "/api"

with ThreadedSimExchange(config) as sim:              # sync tests, python-binance Client
    sim.advance(bars=5)                               # runs on the server's loop
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from ai_engine.matching import Execution
from ai_engine.simexchange.app import STATE, create_app
from ai_engine.simexchange.config import SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.latency import LATENCY

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunningSim:
    base_url: str  # http://host:port; python-binance's API_URL is base_url + "/api"
    exchange: SimExchange
    app: web.Application

    @property
    def api_url(self) -> str:
        return self.base_url + "/api"


@asynccontextmanager
async def running_sim_exchange(config: SimConfig, **app_options: Any) -> AsyncIterator[RunningSim]:
    """Serve ``config`` on its host/port (port 0: a free one) until the block ends."""
    app = create_app(config, **app_options)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = runner.addresses[0][1]
        host = f"[{config.host}]" if ":" in config.host else config.host
        yield RunningSim(f"http://{host}:{port}", app[STATE].exchange, app)
    finally:
        await runner.cleanup()
        _forget_middleware_chains()


def _forget_middleware_chains() -> None:
    """aiohttp memoises every app's middleware chain in a module-level LRU cache of 1,024
    entries (``web_app._cached_build_middleware``) keyed by the app itself, so a stopped sim --
    its exchange and every bar it loaded -- stayed alive: back-to-back sims in one process
    (replays, the soak, tests) held one each (about 17 MB per soak day). Cleared when a sim
    stops; the cache only saves rebuilding a chain."""
    from aiohttp import web_app

    cache = getattr(web_app, "_cached_build_middleware", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()


async def serve_forever(
    config: SimConfig,
    on_ready: Callable[[RunningSim], None],
    serve: Callable[[SimConfig], AbstractAsyncContextManager[RunningSim]] = running_sim_exchange,
) -> None:
    """The CLI's loop: serve until SIGINT/SIGTERM (``serve``: e.g. ``live.running_live_sim``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with serve(config) as sim:
        on_ready(sim)
        await stop.wait()


class ThreadedSimExchange:
    """The server on an event loop in a daemon thread, for synchronous callers and tests.

    Touch the exchange only through ``call`` (it runs on the server's loop, so it never races
    a request); ``advance`` is the common case.
    """

    def __init__(self, config: SimConfig, **app_options: Any) -> None:
        self.config = config
        self._options = app_options
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-exchange", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._sim: RunningSim | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return self._running().base_url

    @property
    def api_url(self) -> str:
        return self._running().api_url

    def start(self) -> Self:
        self._thread.start()
        self._ready.wait(timeout=60)
        if self._error is not None:
            raise RuntimeError("the simulated exchange did not start") from self._error
        self._running()
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def call(self, function: Callable[[SimExchange], T]) -> T:
        """Run ``function(exchange)`` on the server's loop and return its result."""
        sim, loop = self._running(), self._loop
        assert loop is not None

        async def run() -> T:
            return function(sim.exchange)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=60)

    def advance(self, *, ms: int | None = None, bars: int | None = None) -> list[Execution]:
        """Move the replay clock (exactly one of ``ms``/``bars``); returns the new fills.
        Orders waiting on their latency go in at their due times on the way (``latency``)."""
        if (ms is None) == (bars is None):
            raise ValueError("give exactly one of ms and bars")
        delays = self._running().app[LATENCY]
        if bars is not None:
            count = bars
            return self.call(lambda exchange: delays.advance_bars(exchange, count))
        step = ms or 0
        return self.call(lambda exchange: delays.advance(exchange, step))

    def _running(self) -> RunningSim:
        if self._sim is None:
            raise RuntimeError("the simulated exchange is not running")
        return self._sim

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running_sim_exchange(self.config, **self._options) as sim:
            self._sim = sim
            self._ready.set()
            await self._stop.wait()
        self._sim = None
