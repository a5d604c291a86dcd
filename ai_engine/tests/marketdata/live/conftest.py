"""Fixtures for the live client: stores of the vendored real bars, a sim exchange replaying
them in the test's event loop, its admin API, and a client wired to it.

    spot_store      session  BTCUSDT and ETHUSDT spot 1m bars, 2023-03-23..25 (with the real
                             halt of 2023-03-24 12:40-14:00)
    usdm_store      session  BTCUSDT (with funding) and ETHUSDT USD-M 1m bars, 2025-05-26..28
    running_sim     factory  ``async with running_sim(store, **SimConfig fields)`` -> RunningSim
    admin           helper   POST/GET the sim's admin API
    live_client     factory  StreamClient on a sim (or any URLs) collecting events in a list
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.marketdata.live import (
    BackoffPolicy,
    BarClosed,
    CallbackSink,
    ClockOffset,
    FanOut,
    LiveConfig,
    MarketEvent,
    RestGateway,
    RetryPolicy,
    StreamClient,
    StreamSpec,
    make_client,
)
from ai_engine.simexchange import RunningSim, SimConfig, running_sim_exchange
from ai_engine.simexchange.futures.config import FuturesConfig

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data" / "binance"
SPOT_KLINES = SAMPLE / "spot" / "klines_1m"
USDM = SAMPLE / "futures_um"
USDM_FILES = (
    USDM / "klines_1m" / "BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz",
    USDM / "klines_1m" / "ETHUSDT-1m-2025-05-26_2025-05-28.csv.gz",
    USDM / "funding_rate" / "BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz",
)
MINUTE = 60_000
QUICK = BackoffPolicy(initial_s=0.05, cap_s=0.4)
QUICK_RETRY = RetryPolicy(backoff=BackoffPolicy(initial_s=0.02, cap_s=0.2))


@pytest.fixture(scope="session")
def spot_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("live-spot-store")
    import_files(expand_paths([SPOT_KLINES]), root)
    return root


@pytest.fixture(scope="session")
def usdm_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("live-usdm-store")
    import_files(list(USDM_FILES), root)
    return root


def futures_only(**fields: Any) -> dict[str, Any]:
    """SimConfig fields of a sim listing only the two USD-M perpetuals."""
    return {"symbols": (), "futures": FuturesConfig(symbols=("BTCUSDT", "ETHUSDT")), **fields}


@pytest.fixture
def running_sim() -> Callable[..., Any]:
    @asynccontextmanager
    async def run(store: Path, **fields: Any) -> AsyncIterator[RunningSim]:
        async with running_sim_exchange(SimConfig(data_dir=store, **fields)) as sim:
            yield sim

    return run


def ws_base(sim: RunningSim, market: MarketType = MarketType.SPOT) -> str:
    base = sim.base_url.replace("http://", "ws://", 1)
    return base + "/fstream" if market is MarketType.USDM else base


async def admin(sim: RunningSim, method: str, path: str, body: Any = None) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, sim.base_url + path, json=body) as answer,
    ):
        assert answer.status in (200, 201), await answer.text()
        return await answer.json(content_type=None)


async def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``condition`` without blocking the loop the sim runs on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@dataclass
class Collected:
    """Everything a client published, in order."""

    events: list[MarketEvent] = field(default_factory=list)

    def add(self, event: MarketEvent) -> None:
        self.events.append(event)

    def bars(self, symbol: str | None = None) -> list[BarClosed]:
        return [
            e
            for e in self.events
            if isinstance(e, BarClosed) and (symbol is None or e.bar.instrument_id.symbol == symbol)
        ]

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@dataclass
class Running:
    client: StreamClient
    rest: RestGateway
    collected: Collected
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.client.stop()
        try:
            await asyncio.wait_for(self.task, 30)
        finally:
            await self.rest.close()


@pytest.fixture
async def live_client() -> AsyncIterator[Callable[..., Any]]:
    """``await live_client(spec, ws_url, rest_url, **LiveConfig fields)`` -> Running
    (started); extra keywords ``sinks``, ``sleep``, ``seed``, ``retry``, ``local_ms``."""
    started: list[Running] = []

    async def make(
        spec: StreamSpec,
        ws_url: str,
        rest_url: str,
        *,
        sinks: tuple[Any, ...] = (),
        sleep: Any = None,
        seed: int = 7,
        retry: RetryPolicy = QUICK_RETRY,
        local_ms: Callable[[], float] | None = None,
        resume_from: dict[tuple[str, str], int] | None = None,
        **fields: Any,
    ) -> Running:
        collected = Collected()
        gateway = RestGateway(make_client(rest_url), spec.market, policy=retry,
                              **({"sleep": sleep} if sleep else {}))  # fmt: skip
        config = LiveConfig(spec=spec, ws_url=ws_url, **{"reconnect": QUICK, **fields})
        client = StreamClient(
            config,
            gateway,
            FanOut([CallbackSink(collected.add), *sinks]),
            clock=ClockOffset(local_ms) if local_ms else None,
            rng=random.Random(seed),
            resume_from=resume_from,
            **({"sleep": sleep} if sleep else {}),
        )
        running = Running(client, gateway, collected, asyncio.create_task(client.run()))
        started.append(running)
        return running

    yield make
    for running in started:
        if not running.task.done():
            running.client.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(running.task, 30)
        await running.rest.close()


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
